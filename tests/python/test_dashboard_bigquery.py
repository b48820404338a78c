"""The dashboard marts on the BigQuery emulator (bqemulator): the same two synthetic settlement days
as tests/python/test_dashboard_marts.py, landed through the loader's replay path with the BigQuery
writer; `dbt build` of the dashboard marts and everything upstream (the BigQuery SQL of the
duckdb__/bigquery__ macros: UK local time, settlement period of an instant, RANGE windows over
unix_date) incl. the folder's dbt unit tests; every panel checked against the same values computed
in Python from the API rows as on DuckDB.

Emulator difference (documented, not hidden): it runs BigQuery SQL translated to DuckDB, so it
proves the SQL is accepted and computes the same results, not BigQuery's performance.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from tests.python import dashboard_support as ds
from tests.python.dbt_harness import load_via_replay, run_dbt
from tests.python.fixtures_bq_emulator import emulator_writer


@pytest.fixture(scope="module")
def bq_built(bq_emulator, tmp_path_factory: pytest.TempPathFactory):

    work = tmp_path_factory.mktemp("dashboard_bq")
    rows = ds.build_store(work / "store")
    suffix = uuid.uuid4().hex[:8]
    raw, analytics = f"raw_dash_{suffix}", f"analytics_dash_{suffix}"
    with emulator_writer(bq_emulator, raw, work / "bq-work") as writer:
        load_via_replay(None, work / "store", work, ds.jobs(), writer=writer)
        env = {**bq_emulator.env, "GBPOWER_RAW_SCHEMA": raw, "GBPOWER_BQ_DATASET": analytics}
        env["DBT_INDIRECT_SELECTION"] = "buildable"
        dbt_vars = ["--vars", f"{{as_of_date: '{ds.AS_OF}'}}"]
        # upstream models without their tests (other files test them), then the marts with theirs
        upstream = run_dbt(ds.upstream_args(dbt_vars), work / "upstream", target="bigquery_emulator", env=env)
        assert upstream.returncode == 0, upstream.output[-4000:]
        run = run_dbt(ds.build_args(dbt_vars), work / "build", target="bigquery_emulator", env=env)
        client = bq_emulator.client()
        yield {"run": run, "client": client, "dataset": f"{bq_emulator.project}.{analytics}", "rows": rows}


def _dicts(ctx: dict, sql: str) -> list[dict]:
    return [dict(r.items()) for r in ctx["client"].query(sql.format(ds=ctx["dataset"])).result()]


def _naive(value):
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def test_dashboard_builds_and_its_unit_tests_pass_on_bigquery(bq_built: dict) -> None:
    run = bq_built["run"]
    assert run.returncode == 0, run.output[-4000:]
    statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in run.results}
    for model in ("mart_system_snapshot", "mart_interconnector_flows", "mart_market_summary_daily"):
        assert statuses.get(model) == "success", model
    for model in ("mart_outages_panel", "mart_battery_revenue_daily"):
        assert statuses.get(model) == "success", model
    units = [r for r in run.results if r["unique_id"].startswith("unit_test.") and ".mart_" in r["unique_id"]]
    dashboard = [r for r in units if r["unique_id"].split(".")[2] in _DASHBOARD_MODELS]
    assert len(dashboard) == 7 and all(r["status"] == "pass" for r in dashboard), dashboard


_DASHBOARD_MODELS = {
    "mart_system_snapshot",
    "mart_interconnector_flows",
    "mart_market_summary_daily",
    "mart_outages_panel",
    "mart_battery_revenue_daily",
}


def test_snapshot_on_bigquery(bq_built: dict) -> None:
    got = _dicts(bq_built, "select * from `{ds}.mart_system_snapshot`")
    assert len(got) == 1
    snap = {k: _naive(v) for k, v in got[0].items()}
    assert snap["snapshot_settlement_period"] == 1
    for column, value in ds.expected_snapshot(bq_built["rows"]).items():
        assert snap[column] == (pytest.approx(value) if isinstance(value, float) else value), column


def test_interconnector_flows_on_bigquery(bq_built: dict) -> None:
    expected = ds.expected_interconnectors(bq_built["rows"])
    got = {
        (r["settlement_date"], r["settlement_period"], r["interconnector_code"]): r
        for r in _dicts(bq_built, "select * from `{ds}.mart_interconnector_flows`")
    }
    for key, (name, country, imp, exp, net) in expected.items():
        g = got[key]
        assert (g["interconnector_name"], g["country"]) == (name, country), key
        assert (g["import_mw"], g["export_mw"], g["net_import_mw"]) == pytest.approx((imp, exp, net)), key
    assert _naive(got[(date(2025, 10, 26), 3, "TOTAL")]["start_time_uk"]) == datetime(2025, 10, 26, 1, 0)
    assert _naive(got[(date(2025, 10, 26), 5, "TOTAL")]["start_time_uk"]) == datetime(2025, 10, 26, 1, 0)


def test_market_summary_on_bigquery(bq_built: dict) -> None:
    expected = ds.expected_market_days(bq_built["rows"])
    got = {r["settlement_date"]: r for r in _dicts(bq_built, "select * from `{ds}.mart_market_summary_daily`")}
    assert set(got) == set(expected)
    for d, exp in expected.items():
        for column, value in exp.items():
            assert got[d][column] == pytest.approx(value, rel=1e-9, abs=1e-9), (d, column)


def test_outages_panel_on_bigquery(bq_built: dict) -> None:
    expected = ds.expected_outages(bq_built["rows"], 50)
    got = _dicts(bq_built, "select * from `{ds}.mart_outages_panel` order by display_order")
    assert got[0]["row_key"] == "TOTAL"
    assert got[0]["unavailable_capacity"] == pytest.approx(sum(v[1] for v in expected.values()))
    assert {r["mrid"]: r["asset_name"] for r in got[1:]} == {m: v[0] for m, v in expected.items()}


def test_battery_revenue_on_bigquery(bq_built: dict) -> None:
    got = _dicts(bq_built, "select * from `{ds}.mart_battery_revenue_daily`")
    revenue = {
        (r["settlement_date"], r["bm_unit"]): r["net_cashflow_gbp"]
        for r in _dicts(bq_built, "select settlement_date, bm_unit, net_cashflow_gbp from `{ds}.mart_bm_revenue_daily`")
    }
    assert any(r["periods_active"] > 0 for r in got)
    for r in got:
        assert r["net_revenue_gbp"] == pytest.approx(revenue.get((r["settlement_date"], r["bm_unit"]), 0.0))
        included = [x for x in got if x["settlement_date"] == r["settlement_date"] and x["in_fleet_index"]]
        cap = sum(x["capacity_mw"] for x in included)
        if cap:
            index = sum(x["net_revenue_gbp"] for x in included) / cap
            assert r["fleet_index_gbp_per_mw_day"] == pytest.approx(index)
