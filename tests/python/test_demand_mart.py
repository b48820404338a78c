"""mart_demand on DuckDB (issue #11 item 4), every column checked against values computed here from
the API rows: outturn (INDO, ITSDO), the day-ahead forecasts (NDF, TSDF) and their errors, TEMP, and
the week-ahead forecasts (NDFW, TSDFW) with the week-to-date peak outturn and the week-peak errors.

Data: SYNTHETIC, labelled days (loaders/samples/synthetic*: INDO, ITSDO, NDF, TSDF, TEMP) for Fri 24
to Tue 28 Oct 2025 — across the end of ISO week 43 (Sunday 26 Oct, the autumn clock change, 50
periods) into week 44 — plus hand-written SYNTHETIC NDFW/TSDFW publications (below) that exercise
the choice of the week-ahead forecast: several publications for a week (the latest before the week
began wins), one published inside its own week (not week-ahead: ignored), one 30 minutes before
Monday 00:00 GMT and one 30 minutes after it, and a week with no TSDFW. Everything lands through the
real loader (replay API). History grows by two days between a full and an incremental build whose
floor is Sunday 26 Oct, so Sunday's week-to-date peak needs Friday's and Saturday's INDO from before
the floor; a full refresh of a copy must match the incremental table row for row. The same loads and
runs on the BigQuery emulator (marked bigquery, slow) must give the same rows.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from loaders.dev.diff_outputs import compare
from loaders.registry import get_dataset
from loaders.replay.layout import write_rows
from loaders.samples.store import build_store
from loaders.settlement import day_bounds
from tests.python.dbt_harness import load_via_replay, query, run_dbt
from tests.python.fixtures_bq_emulator import emulator_writer

DAYS = [date(2025, 10, 24) + timedelta(days=i) for i in range(5)]  # Fri 24 .. Tue 28 Oct 2025
SYNTHETIC = ("INDO", "ITSDO", "NDF", "TSDF", "TEMP")
WEEKLY = ("NDFW", "TSDFW")
LOADED = (*SYNTHETIC, *WEEKLY)
SELECT = ["-s", "+mart_demand", "--exclude", "resource_type:test", "resource_type:unit_test"]
ENV = {"DBT_INDIRECT_SELECTION": "buildable"}
FIRST_PUBLISH_DAY = date(2025, 10, 9)  # the first weekly publication below
FIRST_LOAD = [*((d, DAYS[0], DAYS[2]) for d in SYNTHETIC), *((d, FIRST_PUBLISH_DAY, DAYS[2]) for d in WEEKLY)]
SECOND_LOAD = [(d, DAYS[2], DAYS[4]) for d in LOADED]
FIRST_AS_OF = ["--vars", f"{{as_of_date: '{DAYS[3].isoformat()}'}}"]
# the incremental run's floor is DAYS[2] (Sunday 26 Oct, the last day of ISO week 43)
SECOND_AS_OF = ["--vars", f"{{as_of_date: '{(DAYS[4] + timedelta(days=1)).isoformat()}'}}"]

# SYNTHETIC weekly publications: (dataset, publishTime UTC, ISO year, ISO week, MW). Week 43 began
# Mon 20 Oct 00:00 BST = 19 Oct 23:00 UTC; week 44 Mon 27 Oct 00:00 GMT = 00:00 UTC.
WEEKLY_ROWS = [
    ("NDFW", "2025-10-09T15:00:00Z", 2025, 43, 36_400),
    ("NDFW", "2025-10-16T15:00:00Z", 2025, 43, 37_100),  # the latest before week 43 began
    ("NDFW", "2025-10-23T15:00:00Z", 2025, 43, 45_000),  # inside week 43: not a week-ahead forecast
    ("NDFW", "2025-10-16T15:00:00Z", 2025, 44, 37_900),
    ("NDFW", "2025-10-23T15:00:00Z", 2025, 44, 38_200),
    ("NDFW", "2025-10-26T23:30:00Z", 2025, 44, 38_600),  # Sunday 23:30 GMT: the latest before week 44
    ("NDFW", "2025-10-27T00:30:00Z", 2025, 44, 46_000),  # Monday 00:30 GMT: inside week 44
    ("NDFW", "2025-10-23T15:00:00Z", 2025, 45, 39_000),  # a later week: no mart row is in it
    ("TSDFW", "2025-10-16T15:00:00Z", 2025, 43, 39_300),  # week 44 has no TSDFW
]

COLUMNS = (
    "indo_mw",
    "itsdo_mw",
    "ndf_day_ahead_mw",
    "ndf_published_at",
    "tsdf_day_ahead_mw",
    "tsdf_published_at",
    "national_forecast_error_mw",
    "transmission_forecast_error_mw",
    "temperature_c",
    "week_start_date",
    "ndfw_week_ahead_mw",
    "ndfw_published_at",
    "tsdfw_week_ahead_mw",
    "tsdfw_published_at",
    "indo_week_peak_to_date_mw",
    "itsdo_week_peak_to_date_mw",
    "national_week_peak_error_mw",
    "transmission_week_peak_error_mw",
)
MART_SQL = f"select settlement_date, settlement_period, {', '.join(COLUMNS)} from {{}}.mart_demand"


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def _day_start(day: date) -> datetime:
    return day_bounds(day)[0].astimezone(UTC).replace(tzinfo=None)


def _make_store(store: Path) -> Path:
    build_store(store, DAYS, include_real=False, datasets=SYNTHETIC)
    for name in WEEKLY:
        rows = [
            {"dataset": name, "publishTime": pub, "year": year, "week": week, "demand": mw}
            for ds, pub, year, week, mw in WEEKLY_ROWS
            if ds == name
        ]
        write_rows(store, get_dataset(name), rows)
    return store


def _store_rows(store: Path, name: str) -> list[dict]:
    return [json.loads(line) for f in sorted((store / name).glob("*.ndjson")) for line in f.read_text().splitlines()]


def _latest(rows: list[dict], key) -> dict:
    """One row per key: the newest publishTime (the registry's version column)."""
    out: dict = {}
    for r in rows:
        k = key(r)
        if k not in out or _ts(r["publishTime"]) > _ts(out[k]["publishTime"]):
            out[k] = r
    return out


def _day_ahead(rows: list[dict]) -> dict[tuple[date, int], tuple[float, datetime]]:
    """Boundary N; per period the latest forecast published before its settlement day began."""
    best: dict[tuple[date, int], tuple[float, datetime]] = {}
    for r in rows:
        day, pub = date.fromisoformat(r["settlementDate"]), _ts(r["publishTime"])
        if r["boundary"] != "N" or pub >= _day_start(day):
            continue
        k = (day, r["settlementPeriod"])
        if k not in best or pub > best[k][1]:
            best[k] = (float(r["demand"]), pub)
    return best


def _week_ahead(rows: list[dict], monday: date) -> tuple[float | None, datetime | None]:
    """The latest publication for the ISO week starting ``monday`` made before the week began."""
    year, week, _ = monday.isocalendar()
    chosen = [
        (_ts(r["publishTime"]), float(r["demand"]))
        for r in rows
        if (r["year"], r["week"]) == (year, week) and _ts(r["publishTime"]) < _day_start(monday)
    ]
    if not chosen:
        return None, None
    pub, mw = max(chosen)
    return mw, pub


def expected_mart(store: Path) -> dict[tuple[date, int], dict]:
    """mart_demand recomputed from the store's API rows (every row loaded by the two loads)."""
    indo = {k: float(r["demand"]) for k, r in _latest(_store_rows(store, "INDO"), _period_key).items()}
    itsdo = {k: float(r["demand"]) for k, r in _latest(_store_rows(store, "ITSDO"), _period_key).items()}
    ndf, tsdf = _day_ahead(_store_rows(store, "NDF")), _day_ahead(_store_rows(store, "TSDF"))
    temp = {k: float(r["temperature"]) for k, r in _latest(_store_rows(store, "TEMP"), _temp_key).items()}
    ndfw_rows, tsdfw_rows = _store_rows(store, "NDFW"), _store_rows(store, "TSDFW")

    def day_peaks(outturn: dict[tuple[date, int], float]) -> dict[date, float]:
        peaks: dict[date, float] = defaultdict(lambda: float("-inf"))
        for (day, _), mw in outturn.items():
            peaks[day] = max(peaks[day], mw)
        return dict(peaks)

    def week_to_date(peaks: dict[date, float], day: date) -> float | None:
        if day not in peaks:
            return None
        monday = day - timedelta(days=day.weekday())
        return max(mw for d, mw in peaks.items() if monday <= d <= day)

    def minus(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    indo_peaks, itsdo_peaks = day_peaks(indo), day_peaks(itsdo)
    out = {}
    for key in set(indo) | set(itsdo) | set(ndf) | set(tsdf):
        day = key[0]
        monday = day - timedelta(days=day.weekday())
        ndf_mw, ndf_pub = ndf.get(key, (None, None))
        tsdf_mw, tsdf_pub = tsdf.get(key, (None, None))
        ndfw_mw, ndfw_pub = _week_ahead(ndfw_rows, monday)
        tsdfw_mw, tsdfw_pub = _week_ahead(tsdfw_rows, monday)
        indo_wtd, itsdo_wtd = week_to_date(indo_peaks, day), week_to_date(itsdo_peaks, day)
        out[key] = {
            "indo_mw": indo.get(key),
            "itsdo_mw": itsdo.get(key),
            "ndf_day_ahead_mw": ndf_mw,
            "ndf_published_at": ndf_pub,
            "tsdf_day_ahead_mw": tsdf_mw,
            "tsdf_published_at": tsdf_pub,
            "national_forecast_error_mw": minus(indo.get(key), ndf_mw),
            "transmission_forecast_error_mw": minus(itsdo.get(key), tsdf_mw),
            "temperature_c": temp.get(day),
            "week_start_date": monday,
            "ndfw_week_ahead_mw": ndfw_mw,
            "ndfw_published_at": ndfw_pub,
            "tsdfw_week_ahead_mw": tsdfw_mw,
            "tsdfw_published_at": tsdfw_pub,
            "indo_week_peak_to_date_mw": indo_wtd,
            "itsdo_week_peak_to_date_mw": itsdo_wtd,
            "national_week_peak_error_mw": minus(indo_wtd, ndfw_mw),
            "transmission_week_peak_error_mw": minus(itsdo_wtd, tsdfw_mw),
        }
    return out


def _period_key(r: dict) -> tuple[date, int]:
    return date.fromisoformat(r["settlementDate"]), r["settlementPeriod"]


def _temp_key(r: dict) -> date:
    return date.fromisoformat(r["measurementDate"])


def _as_dicts(rows: list[tuple]) -> dict[tuple[date, int], dict]:
    def norm(v):
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v

    return {(r[0], r[1]): dict(zip(COLUMNS, map(norm, r[2:]), strict=True)) for r in rows}


def _assert_matches(actual: dict[tuple[date, int], dict], expected: dict[tuple[date, int], dict]) -> None:
    assert set(actual) == set(expected)
    for key, want in sorted(expected.items()):
        got = actual[key]
        for col in COLUMNS:
            if isinstance(want[col], float):
                assert got[col] == pytest.approx(want[col], abs=1e-6), (key, col, got[col], want[col])
            else:
                assert got[col] == want[col], (key, col, got[col], want[col])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("demand_mart")
    store = _make_store(tmp / "store")
    db = tmp / "incremental.duckdb"
    work = tmp / "load"
    load_via_replay(db, store, work, FIRST_LOAD)
    first = run_dbt(["run", *SELECT, *FIRST_AS_OF], tmp / "first", duckdb_path=db, env=ENV)
    assert first.returncode == 0, first.output[-3000:]
    load_via_replay(db, store, work, SECOND_LOAD)
    second = run_dbt(["run", *SELECT, *SECOND_AS_OF], tmp / "second", duckdb_path=db, env=ENV)
    assert second.returncode == 0, second.output[-3000:]
    [run_sql] = list((tmp / "second" / "target" / "run").rglob("mart_demand.sql"))
    assert "delete from" in run_sql.read_text().lower()  # an incremental delete+insert, not a rebuild
    # the reference: a full refresh on a copy (same file name: dbt-duckdb's views name their catalog by
    # it), with the mart's data and unit tests; then renamed for the comparison
    reference = tmp / "reference" / db.name
    reference.parent.mkdir()
    shutil.copy(db, reference)
    refresh = run_dbt(
        ["build", "-s", "mart_demand", "--full-refresh", *SECOND_AS_OF], tmp / "full", duckdb_path=reference, env=ENV
    )
    assert refresh.returncode == 0, refresh.output[-3000:]
    tests = [r for r in refresh.results if r["unique_id"].startswith(("test.", "unit_test."))]
    assert len(tests) >= 12 and not refresh.failed()
    full = tmp / "fullrefresh.duckdb"
    shutil.move(reference, full)
    return store, db, full


def test_incremental_equals_full_refresh(built: tuple[Path, Path, Path]) -> None:
    _, db, full = built
    diff = next(r for r in compare(db, full).relations if r.name == "analytics.mart_demand")
    assert diff.base_rows > 0 and diff.identical, diff.examples


def test_every_column_matches_the_api_rows(built: tuple[Path, Path, Path]) -> None:
    store, db, _ = built
    expected = expected_mart(store)
    actual = _as_dicts(query(db, MART_SQL.format("analytics")))
    _assert_matches(actual, expected)


def test_week_ahead_choice_and_week_peak_errors(built: tuple[Path, Path, Path]) -> None:
    """The hand-written publications pick out what they should, and the errors cover real values."""
    store, db, _ = built
    rows = _as_dicts(query(db, MART_SQL.format("analytics")))
    by_day: dict[date, list[dict]] = defaultdict(list)
    for (day, _), row in rows.items():
        by_day[day].append(row)
    week43, week44 = date(2025, 10, 20), date(2025, 10, 27)
    for day in DAYS:
        (monday,) = {r["week_start_date"] for r in by_day[day]}
        assert monday == (week43 if day < week44 else week44)
        (ndfw,) = {(r["ndfw_week_ahead_mw"], r["ndfw_published_at"]) for r in by_day[day]}
        (tsdfw,) = {(r["tsdfw_week_ahead_mw"], r["tsdfw_published_at"]) for r in by_day[day]}
        if monday == week43:
            assert ndfw == (37_100, datetime(2025, 10, 16, 15))  # not the one published inside the week
            assert tsdfw == (39_300, datetime(2025, 10, 16, 15))
        else:
            assert ndfw == (38_600, datetime(2025, 10, 26, 23, 30))  # 30 min before Monday 00:00 GMT
            assert tsdfw == (None, None)
    # Sunday 26 Oct (in the incremental window): the week-to-date peak is week 43's peak, Friday's
    # and Saturday's INDO (before the floor) included
    sunday = by_day[date(2025, 10, 26)]
    week_indo = query(
        db,
        "select max(demand) from analytics.bmrs_indo_unified where settlement_date between ? and ?",
        [week43, date(2025, 10, 26)],
    )[0][0]
    assert {r["indo_week_peak_to_date_mw"] for r in sunday} == {week_indo}
    assert {r["national_week_peak_error_mw"] for r in sunday} == {week_indo - 37_100}
    assert sum(r["national_week_peak_error_mw"] is not None for r in rows.values()) >= 5 * 46
    assert sum(r["transmission_week_peak_error_mw"] is not None for r in rows.values()) >= 3 * 46
    # a forecast-only day (NDF for Wed 29 Oct, published the day before): the week's forecast, no peak
    wednesday = by_day[date(2025, 10, 29)]
    assert wednesday and all(r["ndfw_week_ahead_mw"] == 38_600 for r in wednesday)
    assert all(r["indo_week_peak_to_date_mw"] is None for r in wednesday)
    assert expected_mart(store)  # the reference the other test compares with is not empty


@pytest.mark.bigquery
@pytest.mark.slow
def test_same_mart_on_bigquery(bq_emulator, built: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """The same loads and the same two runs (full, then incremental: BigQuery's MERGE on the
    settlement date and period) on the BigQuery emulator give the rows computed from the API rows."""
    store, _, _ = built
    suffix = uuid.uuid4().hex[:8]
    raw, analytics = f"raw_demand_{suffix}", f"analytics_demand_{suffix}"
    with emulator_writer(bq_emulator, raw, tmp_path / "bq-work") as writer:
        env = {**bq_emulator.env, "GBPOWER_RAW_SCHEMA": raw, "GBPOWER_BQ_DATASET": analytics, **ENV}
        for load, as_of, name in ((FIRST_LOAD, FIRST_AS_OF, "first"), (SECOND_LOAD, SECOND_AS_OF, "second")):
            load_via_replay(None, store, tmp_path, load, writer=writer)
            run = run_dbt(["run", *SELECT, *as_of], tmp_path / name, target="bigquery_emulator", env=env)
            assert run.returncode == 0, run.output[-4000:]
        client = bq_emulator.client()
        dataset = f"`{bq_emulator.project}.{analytics}`"
        rows = [tuple(r.values()) for r in client.query(MART_SQL.format(dataset)).result()]
    _assert_matches(_as_dicts(rows), expected_mart(store))
