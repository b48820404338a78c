"""The dashboard marts (models/marts/dashboard) on DuckDB: two synthetic settlement days (the sample
generator's, incl. the 50-period autumn clock-change day) landed through the loader's replay path,
`dbt build` of the marts and everything upstream with "now" pinned to the end of the second day,
and each panel checked against values computed here straight from the API rows — plus the dbt unit
tests, the outage size threshold var and the battery recognition from the seed."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.python import dashboard_support as ds
from tests.python.dbt_harness import load_via_replay, query, run_dbt

VARS = ["--vars", f"{{as_of_date: '{ds.AS_OF}'}}"]
BUILDABLE = {"DBT_INDIRECT_SELECTION": "buildable"}
UNIT_TESTS = [
    "interconnector_flows_split_import_export_and_total",
    "market_summary_daily_stats_and_30_day_window",
    "outages_panel_threshold_names_and_total",
    "outages_panel_threshold_is_a_var",
    "system_snapshot_latest_data_at_or_before_now",
    "system_snapshot_panels_without_recent_data_are_null",
    "battery_revenue_recognition_and_fleet_index",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[dict]]]:
    work = tmp_path_factory.mktemp("dashboard")
    rows = ds.build_store(work / "store")
    db = work / "warehouse.duckdb"
    load_via_replay(db, work / "store", work, ds.jobs())
    # upstream models without their tests (other files test them), then the marts with theirs
    upstream = run_dbt(ds.upstream_args(VARS), work / "upstream", duckdb_path=db, env=BUILDABLE)
    assert upstream.returncode == 0, upstream.output[-4000:]
    run = run_dbt(ds.build_args(VARS), work / "build", duckdb_path=db, env=BUILDABLE)
    assert run.returncode == 0, run.output[-4000:]
    assert not run.failed(), run.failed()
    # the folder's dbt unit tests ran (dbt build runs them before each model) and passed
    units = {r["unique_id"].split(".")[-1]: r["status"] for r in run.results if r["unique_id"].startswith("unit_test.")}
    assert {name: units.get(name) for name in UNIT_TESTS} == dict.fromkeys(UNIT_TESTS, "pass")
    return db, rows


def _dicts(db: Path, sql: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_snapshot_is_one_row_with_the_latest_data_of_each_panel(built) -> None:
    db, rows = built
    got = _dicts(db, "select * from analytics.mart_system_snapshot")
    assert len(got) == 1
    snap = got[0]
    assert snap["snapshot_time_utc"] == datetime(2025, 10, 27)
    assert (snap["snapshot_settlement_date"], snap["snapshot_settlement_period"]) == (date(2025, 10, 27), 1)
    for column, value in ds.expected_snapshot(rows).items():
        assert snap[column] == (pytest.approx(value) if isinstance(value, float) else value), column
    # ages are measured to "now", and the priced period is not the one in progress
    assert snap["frequency_age_minutes"] == pytest.approx(0.25)
    assert snap["price_is_current_period"] is False


def test_interconnector_flows_match_fuelhh_with_seed_names_and_totals(built) -> None:
    db, rows = built
    expected = ds.expected_interconnectors(rows)
    got = {
        (r[0], r[1], r[2]): r[3:]
        for r in query(
            db,
            "select settlement_date, settlement_period, interconnector_code, interconnector_name, country, "
            "import_mw, export_mw, net_import_mw, generation_source from analytics.mart_interconnector_flows",
        )
    }
    assert expected
    for key, (name, country, imp, exp, net) in expected.items():
        assert key in got, key
        g = got[key]
        assert (g[0], g[1]) == (name, country), key
        assert g[2:5] == pytest.approx((imp, exp, net)), key
    # rows FUELHH does not explain are the FUELINST fallback at the edges of the load window
    assert all(v[5] == "FUELINST" for k, v in got.items() if k not in expected)
    # the 50-period day has 50 TOTAL rows, and UK local time follows the clock change
    totals = query(
        db,
        "select settlement_period, start_time_uk from analytics.mart_interconnector_flows "
        "where is_total and settlement_date = '2025-10-26' order by settlement_period",
    )
    assert [p for p, _ in totals] == list(range(1, 51))
    assert totals[2][1] == datetime(2025, 10, 26, 1, 0) and totals[4][1] == datetime(2025, 10, 26, 1, 0)


def test_market_summary_matches_python_statistics(built) -> None:
    db, rows = built
    expected = ds.expected_market_days(rows)
    got = {r["settlement_date"]: r for r in _dicts(db, "select * from analytics.mart_market_summary_daily")}
    assert set(got) == set(expected)
    assert got[date(2025, 10, 26)]["system_price_periods"] == 50
    for d, exp in expected.items():
        for column, value in exp.items():
            assert got[d][column] == pytest.approx(value, rel=1e-9, abs=1e-9), (d, column)


def test_outages_panel_lists_outages_in_force_above_the_threshold_with_a_total(built) -> None:
    db, rows = built
    expected = ds.expected_outages(rows, 50)
    assert expected, "the sample should have outages in force at the pinned time"
    got = _dicts(db, "select * from analytics.mart_outages_panel order by display_order")
    total, listed = got[0], got[1:]
    assert (total["row_type"], total["asset_name"]) == ("total", "TOTAL UNAVAILABLE")
    assert total["unavailable_capacity"] == pytest.approx(sum(v[1] for v in expected.values()))
    assert total["outages"] == len(expected)
    assert {r["mrid"]: (r["asset_name"], r["unavailable_capacity"]) for r in listed} == {
        m: (name, mw) for m, (name, mw, _) in expected.items()
    }
    for r in listed:
        hours = expected[r["mrid"]][2]
        assert (r["duration_hours"] is None) if hours is None else r["duration_hours"] == pytest.approx(hours)
    assert [r["unavailable_capacity"] for r in listed] == sorted(
        (r["unavailable_capacity"] for r in listed), reverse=True
    )
    # mart_current_outages is untouched: it still lists every current outage, small and future ones too
    assert query(db, "select count(*) from analytics.mart_current_outages")[0][0] >= len(expected)


def test_outage_threshold_is_a_var(built, tmp_path: Path) -> None:
    db, rows = built
    higher = ds.expected_outages(rows, 200)
    assert higher != ds.expected_outages(rows, 50), "pick a threshold that changes the list"
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(db.read_bytes())
    run = run_dbt(
        ["run", "-s", "mart_outages_panel", "--vars", f"{{as_of_date: '{ds.AS_OF}', outage_min_unavailable_mw: 200}}"],
        tmp_path / "b",
        duckdb_path=copy,
    )
    assert run.returncode == 0, run.output[-3000:]
    got = query(copy, "select mrid, min_unavailable_mw from analytics.mart_outages_panel where row_type = 'outage'")
    assert {m for m, _ in got} == set(higher)
    assert all(t == 200 for _, t in got)


def test_battery_revenue_lists_seed_batteries_with_revenue_and_fleet_index(built) -> None:
    db, _ = built
    seed = {r["bm_unit"] for r in ds.seed_rows("vlp_units") if r["technology"] == "battery"}
    assert "2__FFSEN005" in seed
    got = _dicts(db, "select * from analytics.mart_battery_revenue_daily")
    days = {r[0] for r in query(db, "select distinct settlement_date from analytics.mart_bm_revenue_daily")}
    assert {(r["settlement_date"], r["bm_unit"]) for r in got} >= {(d, u) for d in days for u in seed}
    revenue = {
        (d, u): (net, active)
        for d, u, net, active in query(
            db, "select settlement_date, bm_unit, net_cashflow_gbp, periods_active from analytics.mart_bm_revenue_daily"
        )
    }
    for r in got:
        net, active = revenue.get((r["settlement_date"], r["bm_unit"]), (0.0, 0))
        assert r["net_revenue_gbp"] == pytest.approx(net)
        assert r["periods_active"] == active
        assert r["periods_in_day"] == (50 if r["settlement_date"] == date(2025, 10, 26) else 48)
    trading = [r for r in got if r["periods_active"] > 0]
    assert trading, "the synthetic batteries trade in the BM"
    for d in days:
        day = [r for r in got if r["settlement_date"] == d]
        included = [r for r in day if r["in_fleet_index"]]
        cap = sum(r["capacity_mw"] for r in included)
        index = sum(r["net_revenue_gbp"] for r in included) / cap if cap else None
        for r in day:
            assert r["fleet_units"] == len(included)
            if index is None:
                assert r["fleet_index_gbp_per_mw_day"] is None
            else:
                assert r["fleet_index_gbp_per_mw_day"] == pytest.approx(index)
        # a unit without a known capacity never counts
        assert all(r["capacity_mw"] is not None and r["capacity_mw"] > 0 for r in included)
    ffsen = [r for r in got if r["bm_unit"] == "2__FFSEN005"]
    assert ffsen and all(r["recognised_by"] == "seed" and not r["in_fleet_index"] for r in ffsen)
    assert not any(math.isnan(r["net_revenue_gbp"]) for r in got)
