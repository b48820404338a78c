"""The synthetic DISPTAV and ISPSTACK rows agree with the sample's BOAV and BOD, and fit the registry.

DISPTAV period totals must be the sums of BOAV's per-acceptance pair volumes per unit, period and
side; every ISPSTACK item must carry its acceptance's BOAV volume and its pair's BOD price of that
side, numbered 1..n per period and side in price order (loaders/samples/synthetic_settlement_stack.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from loaders.samples.synthetic import generate_day
from tests.python.acceptance_support import parse_rows

DAYS = (date(2025, 6, 1), date(2025, 10, 26))  # an ordinary day and the 50-period autumn day


@pytest.fixture(scope="module", params=DAYS, ids=str)
def sample(request) -> dict[str, list[dict]]:
    return generate_day(request.param, datasets=["BOD", "BOAV", "DISPTAV", "ISPSTACK"])


def test_there_are_rows_on_both_sides(sample) -> None:
    for key in ("DISPTAV/offer", "DISPTAV/bid", "ISPSTACK/offer", "ISPSTACK/bid"):
        assert sample[key], key


def test_disptav_totals_are_boav_sums(sample) -> None:
    boav: dict[tuple, float] = defaultdict(float)
    for side in ("offer", "bid"):
        for r in sample[f"BOAV/{side}"]:
            for pair, v in r["pairVolumes"].items():
                if v is not None:
                    boav[(side, r["bmUnit"], r["settlementPeriod"], pair)] += v
    disptav = {
        (side, r["bmUnit"], r["settlementPeriod"], pair): v
        for side in ("offer", "bid")
        for r in sample[f"DISPTAV/{side}"]
        for pair, v in r["pairVolumes"].items()
        if v is not None
    }
    assert {k for k, v in boav.items() if abs(v) > 1e-9} == {k for k, v in disptav.items() if abs(v) > 1e-9}
    for key, total in disptav.items():
        assert total == pytest.approx(boav.get(key, 0.0), abs=1e-5), key
    assert all(r["dataType"] == "Original" for side in ("offer", "bid") for r in sample[f"DISPTAV/{side}"])


def test_stack_items_carry_boav_volumes_and_bod_prices(sample) -> None:
    prices = {(r["bmUnit"], r["settlementPeriod"], r["pairId"]): (r["offer"], r["bid"]) for r in sample["BOD"]}
    volumes: dict[tuple, float] = {}
    for side in ("offer", "bid"):
        for r in sample[f"BOAV/{side}"]:
            for pair, v in r["pairVolumes"].items():
                if v is not None and abs(v) > 1e-9:
                    pid = int(pair.removeprefix("positive")) if pair.startswith("positive") else -int(pair[8:])
                    volumes[(side, r["bmUnit"], r["settlementPeriod"], r["acceptanceId"], pid)] = v
    seen = set()
    for idx, side in enumerate(("offer", "bid")):
        by_period: dict[int, list[dict]] = defaultdict(list)
        for item in sample[f"ISPSTACK/{side}"]:
            key = (side, item["id"], item["settlementPeriod"], item["acceptanceId"], item["bidOfferPairId"])
            assert item["volume"] == pytest.approx(volumes[key], abs=1e-6), key
            bod = prices[(item["id"], item["settlementPeriod"], item["bidOfferPairId"])]
            assert item["originalPrice"] == item["finalPrice"] == bod[idx], key
            assert item["transmissionLossMultiplier"] == 1.0
            by_period[item["settlementPeriod"]].append(item)
            seen.add(key)
        sign = 1 if side == "offer" else -1
        for period, items in by_period.items():
            ordered = sorted(items, key=lambda r: r["sequenceNumber"])
            assert [r["sequenceNumber"] for r in ordered] == list(range(1, len(items) + 1)), period
            keys = [sign * r["originalPrice"] for r in ordered]
            assert keys == sorted(keys), period
    assert seen == set(volumes)  # every acceptance-pair with volume is in the stack, nothing else


def test_the_loader_accepts_every_row(sample, tmp_path) -> None:
    for key in ("DISPTAV/offer", "DISPTAV/bid", "ISPSTACK/offer", "ISPSTACK/bid"):
        name, side = key.split("/")
        batch = parse_rows(tmp_path / key.replace("/", "_"), name, sample[key], variant=side)
        assert batch is not None and batch.rows == len(sample[key]), key
