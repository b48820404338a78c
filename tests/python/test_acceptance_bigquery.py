"""The acceptance engine on the BigQuery emulator (bqemulator): the same real 2022-03-19 SP27 rows
(every unit's BOD, PN, BOALF; "Contains BMRS data © Elexon Limited copyright and database right",
source: hackcollective/wind-curtailment, see loaders/samples/real) are loaded through the BigQuery
writer, dbt builds boalf_complete and fct_bm_unit_cashflows with the BigQuery SQL (adapter.dispatch
macros: generate_array/unnest, unix_micros, array_agg ... limit 1, partition-by-unit window), and the
results must match the same independent integral and hand-worked figures as on DuckDB. The dbt unit
tests also run on the emulator.

Emulator differences: it executes BigQuery SQL by translating it to DuckDB (sqlglot), and partition /
cluster settings are accepted but have no physical effect; `insert_overwrite` is unsupported, which
is why the BigQuery incremental strategy defaults to merge (var acceptances_bq_strategy).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.python.acceptance_support import dbt, expected_period27_volumes, load_legacy


@pytest.fixture(scope="module")
def bq_built(bq_emulator, tmp_path_factory: pytest.TempPathFactory):
    from loaders.warehouse.bigquery_writer import BigQueryWriter

    tmp = tmp_path_factory.mktemp("acceptance_bq")
    suffix = uuid.uuid4().hex[:8]
    raw, analytics = f"raw_acc_{suffix}", f"analytics_acc_{suffix}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIGQUERY_EMULATOR_HOST", bq_emulator.host)
        writer = BigQueryWriter(project=bq_emulator.project, dataset=raw, location="US", work_dir=tmp / "bq-work")
        load_legacy(writer, tmp / "work")
    env = {**bq_emulator.env, "GBPOWER_RAW_SCHEMA": raw, "GBPOWER_BQ_DATASET": analytics}
    # bmrs_disptav_unified: the unit tests of rpt_period_volume_reconciliation read its columns
    dbt(
        ["run", "-s", "+fct_bm_unit_cashflows", "+bmrs_disptav_unified"],
        Path(tmp / "unused.duckdb"),
        tmp,
        target="bigquery_emulator",
        env=env,
    )
    client = bq_emulator.client()
    yield client, f"{bq_emulator.project}.{analytics}", env, tmp
    writer.close()


def _rows(client, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in client.query(sql).result()]


def test_same_volumes_as_the_independent_integral(bq_built) -> None:
    client, ds, _, _ = bq_built
    rows = _rows(
        client,
        f"select bm_unit, acceptance_number, sum(offer_volume_mwh + bid_volume_mwh) from `{ds}.boalf_complete` "
        "where settlement_period = 27 group by bm_unit, acceptance_number",
    )
    ours = {(u, n): v for u, n, v in rows}
    expected = expected_period27_volumes()
    for key, volume in expected.items():
        assert ours.get(key, 0.0) == pytest.approx(volume, abs=2e-5), key
    distinct = "count(distinct concat(bm_unit, '/', cast(acceptance_number as string)))"
    every = _rows(client, f"select {distinct} from `{ds}.boalf_complete`")
    assert every == [(81,)]


def test_hand_worked_unit_and_rollup(bq_built) -> None:
    client, ds, _, _ = bq_built
    rows = _rows(
        client,
        f"select pair_id, bid_volume_mwh, cashflow_gbp, pricing_status from `{ds}.boalf_complete` "
        "where bm_unit = 'T_BRBEO-1' and settlement_period = 27 order by acceptance_number",
    )
    assert rows == [
        (-1, pytest.approx(-9.991667, abs=1e-6), pytest.approx(940.315781, abs=1e-3), "priced"),
        (-1, pytest.approx(-57.008333, abs=1e-6), pytest.approx(5365.054219, abs=1e-3), "priced"),
    ]
    fct = _rows(
        client,
        f"select net_cashflow_gbp from `{ds}.fct_bm_unit_cashflows` "
        "where bm_unit = 'T_BRBEO-1' and settlement_period = 27",
    )
    assert fct == [(pytest.approx(6305.37, abs=1e-2),)]


def test_unit_tests_pass_on_the_emulator(bq_built) -> None:
    _, _, env, tmp = bq_built
    out = dbt(
        [
            "test",
            "-s",
            "test_type:unit,boalf_complete",
            "test_type:unit,fct_bm_unit_cashflows",
            "test_type:unit,rpt_period_volume_reconciliation",
            "test_type:unit,rpt_stack_price_reconciliation",
        ],
        Path(tmp / "unused.duckdb"),
        tmp,
        target="bigquery_emulator",
        env=env,
    )
    assert "PASS=23" in out


def test_reconciliation_and_revenue_marts_build_on_the_emulator(bq_built) -> None:
    client, ds, env, tmp = bq_built
    unused = Path(tmp / "unused.duckdb")
    dbt(["seed", "-s", "vlp_units"], unused, tmp, target="bigquery_emulator", env=env)
    dbt(
        [
            "run",
            "-s",
            "+rpt_cashflow_reconciliation",
            "+rpt_period_volume_reconciliation",
            "+rpt_stack_price_reconciliation",
            "+mart_vlp_revenue_daily",
            "+mart_arbitrage_daily",
            "--exclude",
            "+fct_bm_unit_cashflows",
        ],
        unused,
        tmp,
        target="bigquery_emulator",
        env=env,
    )
    revenue = _rows(
        client,
        f"select net_cashflow_gbp, avg_bid_price_gbp_per_mwh from `{ds}.mart_bm_revenue_daily` "
        "where bm_unit = 'T_BRBEO-1'",
    )
    assert revenue == [(pytest.approx(6305.37, abs=1e-2), pytest.approx(-94.11))]
    vlp = _rows(client, f"select bm_unit, net_cashflow_gbp from `{ds}.mart_vlp_revenue_daily` order by bm_unit")
    assert vlp == [("2__FBPGM001", 0.0), ("2__FBPGM002", 0.0), ("2__FFSEN005", 0.0)]
    # no BOAV/EBOCF and no system prices were loaded: both reports are empty, not wrong
    assert _rows(client, f"select count(*) from `{ds}.rpt_cashflow_reconciliation`") == [(0,)]
    assert _rows(client, f"select count(*) from `{ds}.rpt_period_volume_reconciliation`") == [(0,)]
    assert _rows(client, f"select count(*) from `{ds}.rpt_stack_price_reconciliation`") == [(0,)]
    assert _rows(client, f"select count(*) from `{ds}.mart_arbitrage_daily`") == [(0,)]
