"""The synthetic day generator: API shapes, the Europe/London calendar and BM consistency.

The checks rebuild everything they need from the generated *rows* (PN, BOD, BOALF, BOAV, EBOCF),
not from the generator's internals, so a bug in the generator's model shows up here.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loaders.registry import DATASETS
from loaders.samples.synthetic import generate_bmunits, generate_day
from loaders.samples.validate import row_errors

LONDON = ZoneInfo("Europe/London")
SPRING, NORMAL, AUTUMN = date(2026, 3, 29), date(2026, 5, 6), date(2025, 10, 26)


def ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def days() -> dict[date, dict[str, list[dict]]]:
    return {d: generate_day(d, "demo", seed=7) for d in (SPRING, NORMAL, AUTUMN)}


def test_every_registry_dataset_is_generated(days):
    keys = {k.split("/")[0] for k in days[NORMAL]} | {"BMUNITS"}
    assert keys == set(DATASETS)
    assert set(days[NORMAL]) >= {"BOAV/bid", "BOAV/offer", "EBOCF/bid", "EBOCF/offer"}
    for key, rows in days[NORMAL].items():
        assert rows, f"{key}: no rows"


def test_rows_have_exactly_the_api_fields_and_types(days):
    for day_rows in days.values():
        for key, rows in day_rows.items():
            dataset = key.split("/")[0]
            for row in rows:
                errors = row_errors(dataset, row, allow_missing_nullable=dataset == "REMIT")
                assert not errors, f"{key}: {errors} in {row}"
    for row in generate_bmunits("demo"):
        assert not row_errors("BMUNITS", row)


def test_api_only_fields_by_route(days):
    d = days[NORMAL]
    assert "dataset" not in d["DISEBSP"][0] and "dataset" not in d["BOAV/bid"][0]
    assert all("bidOffer" not in r for k in ("BOAV/bid", "EBOCF/offer") for r in d[k])
    assert d["BOD"][0]["dataset"] == "BOD" and d["FREQ"][0]["dataset"] == "FREQ"


@pytest.mark.parametrize(("day", "periods"), [(SPRING, 46), (NORMAL, 48), (AUTUMN, 50)])
def test_periods_follow_the_london_calendar(days, day, periods):
    d = days[day]
    sp = d["DISEBSP"]
    assert [r["settlementPeriod"] for r in sp] == list(range(1, periods + 1))
    midnight = datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(UTC)
    for r in sp:
        assert ts(r["startTime"]) == midnight + timedelta(minutes=30 * (r["settlementPeriod"] - 1))
        assert r["systemSellPrice"] == r["systemBuyPrice"]
    assert {r["settlementPeriod"] for r in d["BOD"]} == set(range(1, periods + 1))
    assert {r["settlementPeriod"] for r in d["NETBSAD"]} == set(range(1, periods + 1))
    assert len(d["MID"]) == 2 * periods
    assert len(d["FREQ"]) == periods * 120  # every 15 s through the (23/24/25-hour) day


def test_clock_change_start_times_by_hand(days):
    spring = {r["settlementPeriod"]: r["startTime"] for r in days[SPRING]["DISEBSP"]}
    assert spring[1] == "2026-03-29T00:00:00Z" and spring[3] == "2026-03-29T01:00:00Z"
    assert spring[46] == "2026-03-29T22:30:00Z"
    autumn = {r["settlementPeriod"]: r["startTime"] for r in days[AUTUMN]["DISEBSP"]}
    assert autumn[1] == "2025-10-25T23:00:00Z" and autumn[50] == "2025-10-26T23:30:00Z"


def test_windows_hold_only_rows_of_the_day(days):
    for day, day_rows in days.items():
        for key, rows in day_rows.items():
            ds = DATASETS[key.split("/")[0]]
            col = ds.window_column
            values = [r[col] for r in rows]
            if ds.column(col).type == "date":
                assert set(values) == {day.isoformat()}, key
            else:
                local_days = {ts(v).astimezone(LONDON).date() for v in values}
                assert local_days == {day}, key
                assert values == sorted(values, key=ts), f"{key} not sorted by {col}"


def test_bod_pairs(days):
    for row in days[NORMAL]["BOD"]:
        assert row["bid"] <= row["offer"], row
        assert row["levelFrom"] == row["levelTo"]
        assert (row["levelFrom"] >= 0) if row["pairId"] > 0 else (row["levelFrom"] <= 0), row
        assert ts(row["timeTo"]) - ts(row["timeFrom"]) == timedelta(minutes=30)
    pairs = defaultdict(set)
    for row in days[NORMAL]["BOD"]:
        pairs[(row["bmUnit"], row["settlementPeriod"])].add(row["pairId"])
    for ids in pairs.values():
        n_off, n_bid = max(ids), -min(ids)
        assert ids == set(range(1, n_off + 1)) | set(range(-n_bid, 0))


def _profile(points: list[tuple[datetime, float]]):
    points = sorted(points)
    times = [t for t, _ in points]

    def at(t: datetime) -> float:
        i = bisect.bisect_right(times, t)
        if i == len(points):
            return points[-1][1]
        (t0, v0), (t1, v1) = points[i - 1], points[i]
        return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)

    return at


class Model:
    """FPN and BOD bands of one day rebuilt from PN and BOD rows."""

    def __init__(self, d: dict[str, list[dict]]):
        pn = defaultdict(list)
        for r in d["PN"]:
            pn[r["bmUnit"]] += [(ts(r["timeFrom"]), r["levelFrom"]), (ts(r["timeTo"]), r["levelTo"])]
        self.fpn = {u: _profile(p) for u, p in pn.items()}
        self.breaks = {u: {t for t, _ in p} for u, p in pn.items()}  # PN breakpoints + period starts
        self.pairs = defaultdict(dict)  # (unit, period start) -> {pairId: (level, offer, bid)}
        for r in d["BOD"]:
            self.pairs[(r["bmUnit"], ts(r["timeFrom"]))][r["pairId"]] = (r["levelFrom"], r["offer"], r["bid"])

    def band(self, unit: str, start: datetime, t: datetime) -> tuple[float, float]:
        pairs = self.pairs[(unit, start)]
        f = self.fpn[unit](t)
        return f + sum(v[0] for k, v in pairs.items() if k < 0), f + sum(v[0] for k, v in pairs.items() if k > 0)


def test_acceptances_stay_inside_bod_bands(days):
    """Check every BOALF segment at its ends, at period boundaries and at FPN breakpoints inside it
    (between those points level, FPN and band edges are all linear)."""
    half = timedelta(minutes=30)
    checked = 0
    for d in days.values():
        model = Model(d)
        for r in d["BOALF"]:
            unit, t0, t1 = r["bmUnit"], ts(r["timeFrom"]), ts(r["timeTo"])
            level = _profile([(t0, r["levelFrom"]), (t1, r["levelTo"])])
            inside = {t for t in model.breaks[unit] if t0 < t < t1}
            for t in {t0, t1} | inside:
                floor = t - timedelta(minutes=t.minute % 30, seconds=t.second)
                for start in (floor, floor - half):
                    if not (start <= t <= start + half and start < t1 and start + half > t0):
                        continue
                    lo, hi = model.band(unit, start, t)
                    assert lo - 1e-3 <= level(t) <= hi + 1e-3, (r, t, lo, hi)
                    checked += 1
    assert checked > 500


def test_acceptance_variety(days):
    rows = [r for d in days.values() for r in d["BOALF"]]
    accs = {(r["bmUnit"], r["acceptanceNumber"]): r for r in rows}
    assert any(r["settlementPeriodTo"] > r["settlementPeriodFrom"] for r in rows)
    assert any(r["soFlag"] for r in accs.values()) and any(r["rrFlag"] for r in accs.values())
    assert not all(r["soFlag"] for r in accs.values())
    assert any(r["levelFrom"] != r["levelTo"] for r in rows)  # ramps
    units = {u for u, _ in accs}
    assert {"2__FBPGM001", "2__FBPGM002"} <= units
    for r in rows:
        assert ts(r["acceptanceTime"]) < ts(r["timeFrom"]) < ts(r["timeTo"])


def _minutes(start: datetime) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in range(31)]


def test_boav_volumes_match_the_accepted_energy(days):
    """For an acceptance no other acceptance of its unit overlaps, the offer + bid volumes BOAV
    reports for a period equal the energy between its level and FPN (minute trapezoid)."""
    d = days[NORMAL]
    model = Model(d)
    spans = defaultdict(list)
    points = defaultdict(list)
    for r in d["BOALF"]:
        key = (r["bmUnit"], r["acceptanceNumber"])
        points[key] += [(ts(r["timeFrom"]), r["levelFrom"]), (ts(r["timeTo"]), r["levelTo"])]
    for (unit, _), pts in points.items():
        spans[unit].append((min(pts)[0], max(pts)[0]))
    totals = defaultdict(float)
    for side in ("bid", "offer"):
        for r in d[f"BOAV/{side}"]:
            totals[(r["bmUnit"], r["acceptanceId"], r["startTime"])] += r["totalVolumeAccepted"]
    checked = 0
    for (unit, number, start), volume in totals.items():
        pts = points[(unit, number)]
        t_lo, t_hi = min(pts)[0], max(pts)[0]
        if sum(1 for a, b in spans[unit] if a < t_hi and b > t_lo) > 1:
            continue
        level, fpn = _profile(pts), model.fpn[unit]
        diff = [(level(t) - fpn(t)) if t_lo <= t <= t_hi else 0.0 for t in _minutes(ts(start))]
        energy = sum((a + b) / 2 for a, b in itertools.pairwise(diff)) / 60
        assert volume == pytest.approx(energy, abs=1e-4), (unit, number, start)
        checked += 1
    assert checked >= 20


def test_ebocf_is_boav_times_bod_prices(days):
    d = days[NORMAL]
    model = Model(d)
    for side, idx in (("offer", 1), ("bid", 2)):
        expected = defaultdict(float)
        for r in d[f"BOAV/{side}"]:
            pairs = model.pairs[(r["bmUnit"], ts(r["startTime"]))]
            for key, vol in r["pairVolumes"].items():
                if vol is not None:
                    pid = int(key[8:]) if key.startswith("positive") else -int(key[8:])
                    expected[(r["bmUnit"], r["startTime"])] += vol * pairs[pid][idx]
        got = {(r["bmUnit"], r["startTime"]): r["totalCashflow"] for r in d[f"EBOCF/{side}"]}
        assert set(got) <= set(expected)
        assert {k for k, v in expected.items() if abs(v) > 1e-3} <= set(got)
        assert len(got) >= 20
        for k, v in got.items():
            assert v == pytest.approx(expected[k], abs=1e-3)


def test_no_volume_lands_on_sentinel_priced_pairs(days):
    model = Model(days[NORMAL])
    for side, idx in (("offer", 1), ("bid", 2)):
        for r in days[NORMAL][f"BOAV/{side}"]:
            pairs = model.pairs[(r["bmUnit"], ts(r["startTime"]))]
            for key, vol in r["pairVolumes"].items():
                pid = int(key[8:]) if key.startswith("positive") else -int(key[8:])
                if vol is not None and abs(vol) > 1e-6:
                    assert abs(pairs[pid][idx]) < 8998, (r, key)


def test_system_volumes_are_the_boav_totals(days):
    d = days[NORMAL]
    offers = defaultdict(float)
    for r in d["BOAV/offer"]:
        offers[r["settlementPeriod"]] += r["totalVolumeAccepted"]
    for r in d["DISEBSP"]:
        assert r["totalAcceptedOfferVolume"] == pytest.approx(offers[r["settlementPeriod"]], abs=1e-4)


def test_market_and_system_datasets(days):
    d = days[NORMAL]
    n2ex = [r for r in d["MID"] if r["dataProvider"] == "N2EXMIDP"]
    assert {r["dataProvider"] for r in d["MID"]} == {"APXMIDP", "N2EXMIDP"}
    assert any(r["price"] == 0 and r["volume"] == 0 for r in n2ex) and any(r["volume"] > 0 for r in n2ex)
    fuels = {r["fuelType"] for r in d["FUELHH"]}
    assert {"WIND", "CCGT", "NUCLEAR", "BIOMASS", "PS", "NPSHYD", "OCGT", "OIL", "COAL", "OTHER"} <= fuels
    assert {"INTFR", "INTIFA2", "INTNED"} <= fuels
    inst = sorted({ts(r["startTime"]) for r in d["FUELINST"]})
    assert all(b - a == timedelta(minutes=5) for a, b in itertools.pairwise(inst))
    assert all(r["demand"] < 0 for r in d["INDDEM"]) and all(r["generation"] > 0 for r in d["INDGEN"])
    publishes = defaultdict(set)
    for r in d["INDGEN"]:
        publishes[(r["settlementDate"], r["settlementPeriod"], r["boundary"])].add(r["publishTime"])
    assert max(len(p) for p in publishes.values()) >= 4
    assert len({r["publishTime"] for r in d["WINDFOR"]}) >= 6
    indo = defaultdict(set)
    for r in d["INDO"]:
        indo[(r["settlementDate"], r["settlementPeriod"])].add(r["publishTime"])
    assert any(len(p) > 1 for p in indo.values())  # revised publishes exist


def test_outturn_publishes_every_period_once_across_consecutive_days():
    """INDO/ITSDO are fetched by publish time, so a period's first publish may fall on the next day;
    across consecutive days every period of the middle day must be published exactly once first
    (a sample that dropped the second-to-last period made a false gap on every day)."""
    first, middle, last = (AUTUMN - timedelta(days=1), AUTUMN, AUTUMN + timedelta(days=1))
    for name in ("INDO", "ITSDO"):
        rows = [r for d in (first, middle, last) for r in generate_day(d, "demo", seed=7, datasets=[name])[name]]
        first_publish: dict[int, list[str]] = defaultdict(list)
        for r in rows:
            if r["settlementDate"] == middle.isoformat() and ts(r["publishTime"]) == ts(r["startTime"]) + timedelta(
                minutes=30
            ):
                first_publish[r["settlementPeriod"]].append(r["publishTime"])
        assert sorted(first_publish) == list(range(1, 51)), name  # the autumn day has 50 periods
        assert all(len(p) == 1 for p in first_publish.values()), name


def test_frequency_excursions(days):
    freq = days[NORMAL]["FREQ"]
    times = [ts(r["measurementTime"]) for r in freq]
    assert all(b - a == timedelta(seconds=15) for a, b in itertools.pairwise(times))
    outside = [abs(r["frequency"] - 50) > 0.2 for r in freq]
    assert 2 <= sum(outside) <= 40
    assert any(a and b for a, b in itertools.pairwise(outside))  # lasts >= 15 s
    assert 49.9 < sum(r["frequency"] for r in freq) / len(freq) < 50.1


def test_remit_revisions(days):
    rows = days[NORMAL]["REMIT"]
    assert all(r["mrid"].startswith("SYNTH-") for r in rows)
    revisions = defaultdict(list)
    for r in rows:
        revisions[r["mrid"]].append(r["revisionNumber"])
        assert isinstance(r["outageProfile"], list) and r["outageProfile"]
    assert any(len(v) > 1 for v in revisions.values())
    for v in revisions.values():  # consecutive, in publish order
        assert v == list(range(v[0], v[0] + len(v)))
    # some messages first published the day before get further revisions today, numbered on
    yesterday = generate_day(NORMAL - timedelta(days=1), "demo", seed=7, datasets=["REMIT"])["REMIT"]
    carried = {r["mrid"] for r in yesterday} & set(revisions)
    assert carried
    for mrid in carried:
        assert min(revisions[mrid]) == max(r["revisionNumber"] for r in yesterday if r["mrid"] == mrid) + 1


def test_deterministic_per_seed():
    a = generate_day(NORMAL, "demo", seed=3, datasets=["BOALF", "FREQ"])
    b = generate_day(NORMAL, "demo", seed=3, datasets=["BOALF", "FREQ"])
    c = generate_day(NORMAL, "demo", seed=4, datasets=["BOALF", "FREQ"])
    assert a == b and a != c


def test_unknown_inputs_are_rejected():
    with pytest.raises(ValueError, match="scale"):
        generate_day(NORMAL, "huge", datasets=["BOD"])
    with pytest.raises(ValueError, match="NOTADATASET"):
        generate_day(NORMAL, datasets=["NOTADATASET"])


def test_some_acceptances_reverse_an_earlier_one(days):
    spans = defaultdict(list)
    for d in days.values():
        for r in d["BOALF"]:
            spans[(r["bmUnit"], r["acceptanceNumber"])].append((ts(r["timeFrom"]), ts(r["timeTo"])))
    by_unit = defaultdict(list)
    for (unit, number), segs in spans.items():
        by_unit[unit].append((number, min(a for a, _ in segs), max(b for _, b in segs)))
    overlapping = 0
    for accs in by_unit.values():
        accs.sort()
        overlapping += sum(1 for a, b in itertools.pairwise(accs) if b[1] < a[2])
    assert overlapping >= 1


def test_production_scale_volumes():
    d = generate_day(NORMAL, "production", seed=0, datasets=["BOD", "BOALF"])
    assert 250_000 <= len(d["BOD"]) <= 350_000
    acceptances = {(r["bmUnit"], r["acceptanceNumber"]) for r in d["BOALF"]}
    assert 4_000 <= len(acceptances) <= 6_500
    assert len({r["bmUnit"] for r in d["BOD"]}) == 1250
