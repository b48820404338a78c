"""The marts whose cost grows with history are incremental (issue #13 item 2): a scheduled run rebuilds
only the settlement days from the incremental floor on, and the result equals a full refresh.

Synthetic, labelled days (loaders/samples/synthetic*: DISEBSP, MID, FUELHH, FUELINST, AGPT and the
demand datasets) land through the real loader; history grows by two days and a price revision lands
inside the lookback window between the first (full) build and the incremental one; a full refresh of
a copy must then match table for table.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from loaders.dev.diff_outputs import compare
from loaders.registry import get_dataset
from loaders.samples.store import build_store, iter_store_rows, store_path
from tests.python.dbt_harness import ROOT, load_via_replay, query, run_dbt

DAYS = [date(2025, 10, 24) + timedelta(days=i) for i in range(5)]  # 2025-10-26 has 50 periods
DATASETS = ("DISEBSP", "MID", "FUELHH", "FUELINST", "AGPT", "INDO", "ITSDO", "NDF", "TSDF", "TEMP")
MARTS = (
    "bmrs_costs",
    "mart_generation_mix",
    "mart_carbon_intensity",
    "mart_wholesale_vs_imbalance",
    "mart_generation_by_type",
    "mart_interconnector_flows",
    "mart_demand",
)
SELECT = ["-s", *(f"+{m}" for m in MARTS), "--exclude", "resource_type:test"]


def _as_of(day: date) -> list[str]:
    return ["--vars", f"{{as_of_date: '{day.isoformat()}'}}"]


def _revise_prices(store: Path, day: date) -> None:
    """A later calculation run of ``day``'s system prices: every price +7 £/MWh, created a day later."""
    dataset = get_dataset("DISEBSP")
    path = store_path(store, dataset.name, day)
    rows = list(iter_store_rows(store, dataset.name, day))
    for row in rows:
        row["systemSellPrice"] = round(row["systemSellPrice"] + 7, 2)
        row["systemBuyPrice"] = round(row["systemBuyPrice"] + 7, 2)
        created = datetime.fromisoformat(row["createdDateTime"].replace("Z", "+00:00")) + timedelta(days=1)
        row["createdDateTime"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_incremental_marts_equal_a_full_refresh(tmp_path: Path):
    store = tmp_path / "store"
    build_store(store, DAYS, include_real=False, datasets=DATASETS)
    db = tmp_path / "incremental.duckdb"
    work = tmp_path / "load"
    load_via_replay(db, store, work, [(d, DAYS[0], DAYS[2]) for d in DATASETS])
    first = run_dbt(["build", *SELECT, *_as_of(DAYS[3])], tmp_path / "first", duckdb_path=db)
    assert first.returncode == 0, first.output[-3000:]
    before = query(db, "select max(system_sell_price) from analytics.bmrs_costs where settlement_date = ?", [DAYS[2]])

    _revise_prices(store, DAYS[2])  # inside the next run's lookback (floor = DAYS[4] - 3 days)
    load_via_replay(db, store, work, [("DISEBSP", DAYS[2], DAYS[2])], force=True)
    load_via_replay(db, store, work, [(d, DAYS[2], DAYS[4]) for d in DATASETS])
    second = run_dbt(["build", *SELECT, *_as_of(DAYS[4] + timedelta(days=1))], tmp_path / "second", duckdb_path=db)
    assert second.returncode == 0, second.output[-3000:]
    for mart in MARTS:  # each ran as an incremental delete+insert, not a rebuild
        [run_sql] = list((tmp_path / "second" / "target" / "run").rglob(f"{mart}.sql"))
        assert "delete from" in run_sql.read_text().lower(), mart
    after = query(db, "select max(system_sell_price) from analytics.bmrs_costs where settlement_date = ?", [DAYS[2]])
    assert after[0][0] == before[0][0] + 7  # the revision reached the incremental mart

    full = tmp_path / "fullrefresh.duckdb"
    shutil.copy(db, full)
    refresh = run_dbt(
        ["build", *SELECT, "--full-refresh", *_as_of(DAYS[4] + timedelta(days=1))], tmp_path / "full", duckdb_path=full
    )
    assert refresh.returncode == 0, refresh.output[-3000:]
    report = compare(db, full)
    diffs = {r.name: r for r in report.relations if r.name.split(".")[-1] in MARTS}
    assert set(diffs) == {f"analytics.{m}" for m in MARTS}
    for name, diff in diffs.items():
        assert diff.base_rows > 0 and diff.identical, f"{name}: {diff.examples}"
    days = {r[0] for r in query(db, "select distinct settlement_date from analytics.mart_generation_mix")}
    assert days >= set(DAYS)  # the first build's days kept, the new ones added
    for mart in MARTS:  # stored in date order (pruning_order), after a full build and after a window replace
        for warehouse in (full, db):
            out_of_order = query(
                warehouse,
                f"select count(*) from (select settlement_date, lag(settlement_date) over (order by rowid) as before "
                f"from analytics.{mart}) where settlement_date < before",
            )
            assert out_of_order == [(0,)], (mart, warehouse.name)


def test_every_incremental_model_is_stored_in_order_of_its_partition_column():
    """On DuckDB a window read skips row groups by their min/max only if the table is stored in date
    order: every incremental model ends with pruning_order(<its partition column>), directly or through
    unify_sources' incremental_column (macros/incremental.sql)."""
    models = [p for p in (ROOT / "models").rglob("*.sql") if "incremental_config(" in p.read_text()]
    assert len(models) >= 40
    for path in models:
        sql = path.read_text()
        args = re.search(r"incremental_config\((?:'(\w+)')?", sql)
        column = (args.group(1) if args else None) or "settlement_date"
        ordered = re.search(r"\{\{ pruning_order\((?:'(?:\w+\.)?(\w+)')?\) \}\}\s*$", sql)
        if ordered:
            assert (ordered.group(1) or "settlement_date") == column, path.name
        else:
            assert f"incremental_column='{column}'" in sql and "unify_sources(" in sql, path.name


# mart_frequency_events: a window replace. Hand-made FREQ samples (15 s apart where dense); the second
# build's floor is FREQ_DAYS[2] 00:00 (as_of FREQ_DAYS[5], lookback_days 3).
FREQ_DAYS = [date(2026, 3, 2) + timedelta(days=i) for i in range(6)]
LOW, HIGH, IN_BAND = 49.7, 50.3, 50.0


def _freq_samples(with_gap_filled: bool) -> list[tuple[datetime, float]]:
    d0, _, d2, d3 = (datetime(d.year, d.month, d.day) for d in FREQ_DAYS[:4])
    s = timedelta(seconds=15)
    old = [(d0 + timedelta(hours=10) + i * s, f) for i, f in enumerate([LOW, LOW, LOW, IN_BAND])]
    # an event across midnight, into the rebuilt window
    midnight = [(d2 - 2 * s + i * s, f) for i, f in enumerate([LOW, LOW, LOW, LOW, IN_BAND])]
    # two events 75 s apart; the missing samples between them arrive late and merge them into one
    noon = d3 + timedelta(hours=12)
    first = [(noon, HIGH), (noon + s, HIGH)]
    gap = [(noon + i * s, HIGH) for i in range(2, 6)]
    second = [(noon + 6 * s, HIGH), (noon + 7 * s, HIGH), (noon + 8 * s, IN_BAND)]
    return old + midnight + first + (gap if with_gap_filled else []) + second


def _write_freq(store: Path, with_gap_filled: bool) -> None:
    from loaders.replay.layout import write_rows

    rows = [
        {"dataset": "FREQ", "measurementTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "frequency": f}
        for t, f in _freq_samples(with_gap_filled)
    ]
    write_rows(store, get_dataset("FREQ"), rows)


def _events(db: Path) -> list[tuple]:
    return query(
        db,
        "select strftime(start_time_utc, '%Y-%m-%d %H:%M:%S'), strftime(end_time_utc, '%Y-%m-%d %H:%M:%S'), "
        "direction, samples from analytics.mart_frequency_events order by start_time_utc",
    )


def test_frequency_events_window_replace_merges_events_after_a_late_gap_fill(tmp_path: Path):
    store = tmp_path / "store"
    _write_freq(store, with_gap_filled=False)
    db = tmp_path / "incremental.duckdb"
    work = tmp_path / "load"
    load_via_replay(db, store, work, [("FREQ", FREQ_DAYS[0], FREQ_DAYS[3])])
    select = ["-s", "+mart_frequency_events", "--exclude", "resource_type:test"]
    first = run_dbt(["build", *select, *_as_of(FREQ_DAYS[4])], tmp_path / "first", duckdb_path=db)
    assert first.returncode == 0, first.output[-3000:]
    assert _events(db) == [
        ("2026-03-02 10:00:00", "2026-03-02 10:00:45", "low", 3),
        ("2026-03-03 23:59:30", "2026-03-04 00:00:30", "low", 4),
        ("2026-03-05 12:00:00", "2026-03-05 12:00:30", "high", 2),  # data stop: last sample + 15 s
        ("2026-03-05 12:01:30", "2026-03-05 12:02:00", "high", 2),
    ]

    _write_freq(store, with_gap_filled=True)  # the gap's samples arrive late
    load_via_replay(db, store, work, [("FREQ", FREQ_DAYS[3], FREQ_DAYS[3])], force=True)
    second = run_dbt(["build", *select, *_as_of(FREQ_DAYS[5])], tmp_path / "second", duckdb_path=db)
    assert second.returncode == 0, second.output[-3000:]
    [run_sql] = list((tmp_path / "second" / "target" / "run").rglob("mart_frequency_events.sql"))
    assert "delete from" in run_sql.read_text().lower()  # an incremental run, not a rebuild
    [compiled] = list((tmp_path / "second" / "target" / "compiled").rglob("mart_frequency_events.sql"))
    assert "measurement_time >= cast(" in compiled.read_text()  # reading only the window's samples
    incremental = _events(db)
    assert incremental == [
        ("2026-03-02 10:00:00", "2026-03-02 10:00:45", "low", 3),  # before the window: kept as it was
        ("2026-03-03 23:59:30", "2026-03-04 00:00:30", "low", 4),  # across the window's start: whole
        ("2026-03-05 12:00:00", "2026-03-05 12:02:00", "high", 8),  # merged; the second event is gone
    ]

    full = tmp_path / "fullrefresh.duckdb"
    shutil.copy(db, full)
    refresh = run_dbt(["build", *select, "--full-refresh", *_as_of(FREQ_DAYS[5])], tmp_path / "full", duckdb_path=full)
    assert refresh.returncode == 0, refresh.output[-3000:]
    diff = next(r for r in compare(db, full).relations if r.name == "analytics.mart_frequency_events")
    assert diff.base_rows == 3 and diff.identical, diff.examples


# mart_battery_revenue_daily: the acceptance chain's synthetic units (the seed lists batteries among them)
BATTERY_DATASETS = ("DISEBSP", "BMUNITS", "BOD", "PN", "BOALF")
BATTERY_MARTS = ("mart_bm_revenue_daily", "mart_battery_revenue_daily")


def test_battery_revenue_incremental_equals_a_full_refresh(tmp_path: Path):
    store = tmp_path / "store"
    build_store(store, DAYS, include_real=False, datasets=BATTERY_DATASETS)
    db = tmp_path / "incremental.duckdb"
    work = tmp_path / "load"
    load_via_replay(db, store, work, [(d, DAYS[0], DAYS[2]) for d in BATTERY_DATASETS])
    select = ["-s", "+mart_battery_revenue_daily", "--exclude", "resource_type:test"]
    first = run_dbt(["build", *select, *_as_of(DAYS[3])], tmp_path / "first", duckdb_path=db)
    assert first.returncode == 0, first.output[-3000:]
    first_days = query(db, "select count(distinct settlement_date) from analytics.mart_battery_revenue_daily")

    _revise_prices(store, DAYS[2])  # a price revision inside the next run's lookback changes revenue
    load_via_replay(db, store, work, [("DISEBSP", DAYS[2], DAYS[2])], force=True)
    load_via_replay(db, store, work, [(d, DAYS[2], DAYS[4]) for d in BATTERY_DATASETS])
    as_of = _as_of(DAYS[4] + timedelta(days=1))
    second = run_dbt(["build", *select, *as_of], tmp_path / "second", duckdb_path=db)
    assert second.returncode == 0, second.output[-3000:]
    [run_sql] = list((tmp_path / "second" / "target" / "run").rglob("mart_battery_revenue_daily.sql"))
    assert "delete from" in run_sql.read_text().lower()  # an incremental delete+insert, not a rebuild
    days = query(db, "select count(distinct settlement_date) from analytics.mart_battery_revenue_daily")
    assert days[0][0] > first_days[0][0]  # the new days were added, the first build's kept

    full = tmp_path / "fullrefresh.duckdb"
    shutil.copy(db, full)
    refresh = run_dbt(["build", *select, "--full-refresh", *as_of], tmp_path / "full", duckdb_path=full)
    assert refresh.returncode == 0, refresh.output[-3000:]
    diffs = {r.name: r for r in compare(db, full).relations if r.name.split(".")[-1] in BATTERY_MARTS}
    assert set(diffs) == {f"analytics.{m}" for m in BATTERY_MARTS}
    for name, diff in diffs.items():
        assert diff.base_rows > 0 and diff.identical, f"{name}: {diff.examples}"
    trading = query(db, "select count(*) from analytics.mart_battery_revenue_daily where periods_active > 0")
    assert trading[0][0] > 0  # batteries with revenue: the comparison covers real values
