"""Ingestion gaps vs source gaps: Elexon's /data-status (served by the replay from what it holds), the
seed of known source gaps, and the classification health uses."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from loaders.api.client import ApiClient
from loaders.gaps.classify import GapKind, classify, load_known_source_gaps, source_status
from loaders.gaps.data_status import fetch_data_status
from loaders.registry import get_dataset
from loaders.replay import ReplayServer
from loaders.replay.layout import write_rows
from loaders.settlement import day_start_utc, periods_in_day

DAY = date(2025, 10, 14)
SOURCE_GAP = {20, 21}  # Elexon has nothing for these periods (the real BOAV/EBOCF gap of that day)


def _system_price_rows(day: date, skip: set[int]) -> list[dict]:
    start = day_start_utc(day)
    return [
        {
            "settlementDate": day.isoformat(),
            "settlementPeriod": p,
            "startTime": (start + timedelta(minutes=30 * (p - 1))).isoformat().replace("+00:00", "Z"),
            "createdDateTime": (start + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
            "systemSellPrice": 50.0 + p,
            "systemBuyPrice": 50.0 + p,
        }
        for p in range(1, periods_in_day(day) + 1)
        if p not in skip
    ]


def _freq_rows(day: date, skip: set[int]) -> list[dict]:
    start = day_start_utc(day)
    rows = []
    for i in range(periods_in_day(day) * 2):  # one reading every 15 minutes is enough here
        ts = start + timedelta(minutes=15 * i)
        if i // 2 + 1 not in skip:
            rows.append({"measurementTime": ts.isoformat().replace("+00:00", "Z"), "frequency": 50.0})
    return rows


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    write_rows(root, get_dataset("DISEBSP"), _system_price_rows(DAY, SOURCE_GAP))
    write_rows(root, get_dataset("FREQ"), _freq_rows(DAY, {48}))
    return root


def test_data_status_counts_what_the_source_holds(store: Path) -> None:
    with ReplayServer(store) as server:
        client = ApiClient(server.base_url, rate_per_s=50)
        prices = fetch_data_status(client, "DISEBSP", DAY, DAY)
        freq = fetch_data_status(client, "FREQ", DAY, DAY)
        requested = [r for r in server.log.requests if r.startswith("/bmrs/api/v1/data-status/")]
    assert prices.counts[(DAY, 1)] == 1 and (DAY, 20) not in prices.counts
    assert [prices.has_data(DAY, p) for p in (19, 20, 21, 22)] == [True, False, False, True]
    assert prices.has_data(DAY + timedelta(days=1), 1) is None  # outside the days asked: unknown
    assert freq.counts[(DAY, 1)] == 2 and freq.has_data(DAY, 48) is False
    # the parameter names are the OpenAPI document's (a misspelt one would be ignored by the live API)
    assert all("settlementDateFrom=2025-10-14" in r and "settlementDateTo=2025-10-14" in r for r in requested)


def test_missing_periods_are_sorted_into_the_four_kinds(store: Path, tmp_path: Path) -> None:
    seed = tmp_path / "known.csv"
    seed.write_text(
        "dataset,settlement_date,settlement_period_from,settlement_period_to,reason,evidence\n"
        "DISEBSP,2025-10-14,21,21,documented outage,Elexon notice\n"
    )
    known = load_known_source_gaps(seed)
    assert known == {"DISEBSP": {(DAY, 21)}}
    missing = [(DAY, 5), (DAY, 20), (DAY, 21)]  # we lack 5 (Elexon has it), 20 and 21 (Elexon has not)
    with ReplayServer(store) as server:
        client = ApiClient(server.base_url, rate_per_s=50)
        status = source_status("DISEBSP", missing, lambda ds, a, b: fetch_data_status(client, ds, a, b))
    result = classify("DISEBSP", missing, known, status)
    assert result.periods(GapKind.INGESTION) == [(DAY, 5)]
    assert result.periods(GapKind.SOURCE) == [(DAY, 20)]
    assert result.periods(GapKind.KNOWN_SOURCE) == [(DAY, 21)]
    assert result.unexplained == [(DAY, 5)]
    assert result.seed_rows() == [
        "DISEBSP,2025-10-14,20,20,Elexon's /data-status lists no data points,/data-status/DISEBSP"
    ]


def test_without_a_status_route_or_with_the_api_down_a_gap_stays_unexplained() -> None:
    missing = [(DAY, 7)]
    # MID has no /data-status route in the OpenAPI document: nothing is asked
    assert source_status("MID", missing, lambda *a: pytest.fail("must not be called")) is None

    def down(*_args):
        raise ConnectionError("api unreachable")

    status = source_status("DISEBSP", missing, down)
    assert status is None
    result = classify("DISEBSP", missing, {}, status)
    assert result.periods(GapKind.UNCONFIRMED) == missing and result.unexplained == missing


def test_the_shipped_seed_is_well_formed_and_holds_the_known_real_gaps() -> None:
    known = load_known_source_gaps()
    assert {(date(2025, 10, 14), 20), (date(2025, 10, 14), 21), (date(2026, 1, 18), 26)} <= known["BOAV"]
    assert known["BOAV"] == known["EBOCF"]


def test_a_bad_period_range_in_the_seed_names_the_file_and_dataset(tmp_path: Path) -> None:
    seed = tmp_path / "known.csv"
    seed.write_text(
        "dataset,settlement_date,settlement_period_from,settlement_period_to,reason,evidence\n"
        "BOAV,2025-10-14,21,20,typo,-\n"
    )
    with pytest.raises(ValueError, match=r"known_source_gaps\.csv: bad period range 21\.\.20 for BOAV"):
        load_known_source_gaps(seed)


def test_clock_change_day_counts_fifty_periods(tmp_path: Path) -> None:
    day = date(2025, 10, 26)
    root = tmp_path / "store"
    write_rows(root, get_dataset("DISEBSP"), _system_price_rows(day, set()))
    with ReplayServer(root) as server:
        status = fetch_data_status(ApiClient(server.base_url, rate_per_s=50), "DISEBSP", day, day)
    assert sorted(p for _, p in status.counts) == list(range(1, 51))
