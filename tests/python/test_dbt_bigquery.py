"""The same dbt models on the BigQuery emulator (bqemulator): real Elexon rows landed through the
loader's replay path with the BigQuery writer, a full `dbt build`, then an incremental one (the
`merge` path of the large unified models) that must neither lose nor double a row.

Emulator differences (documented, not hidden): the emulator runs BigQuery SQL on DuckDB, so
partition pruning is not observable here — the test checks the merge's results, not bytes scanned;
and `insert_overwrite` is unsupported there, which is why the unified models use `merge`.

Data: Contains BMRS data © Elexon Limited copyright and database right — DISEBSP from
nikolisan/bmrs_api tests (2025-10-26, 50 periods; 2026-03-29, 46 periods); BOD/PN/MELS/MILS/BOALF
for 2022-03-19 period 27 from hackcollective/wind-curtailment (legacy BMRS CSVs), copies in
loaders/samples/real/.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.python.dbt_harness import CORE_SELECTOR, legacy_rows, load_via_replay, real_json_rows, run_dbt
from tests.python.fixtures_bq_emulator import emulator_writer

PRICES = {
    date(2025, 10, 26): "system_prices/DISEBSP_2025-10-26_autumn_clock_change_50_periods.json",
    date(2026, 3, 29): "system_prices/DISEBSP_2026-03-29_spring_clock_change_46_periods.json",
}
LEGACY_DAY = date(2022, 3, 19)


def _keys(rows: list[dict], key: tuple[str, ...]) -> int:
    return len({tuple(r.get(k) for k in key) for r in rows})


@pytest.fixture(scope="module")
def bq_built(bq_emulator, tmp_path_factory: pytest.TempPathFactory):
    from loaders.registry import get_dataset
    from loaders.replay.layout import write_rows

    work = tmp_path_factory.mktemp("dbt_bq")
    store = work / "store"
    prices = [r for rel in PRICES.values() for r in real_json_rows(rel)]
    write_rows(store, get_dataset("DISEBSP"), prices)
    legacy = legacy_rows()
    for name, rows in legacy.items():
        write_rows(store, get_dataset(name), rows)

    suffix = uuid.uuid4().hex[:8]
    with emulator_writer(bq_emulator, f"raw_{suffix}", work / "bq-work") as writer:
        jobs = [("DISEBSP", d, d) for d in PRICES]
        jobs += [(name, LEGACY_DAY, LEGACY_DAY) for name in legacy]
        load_via_replay(None, store, work, jobs, writer=writer)

        env = {**bq_emulator.env, "GBPOWER_RAW_SCHEMA": f"raw_{suffix}", "GBPOWER_BQ_DATASET": f"analytics_{suffix}"}
        args = ["build", "-s", *CORE_SELECTOR, "--vars", "{as_of_date: '2022-03-20'}"]
        full = run_dbt(args, work / "full", target="bigquery_emulator", env=env)
        assert full.returncode == 0, full.output[-4000:]
        client = bq_emulator.client()
        yield {
            "client": client,
            "dataset": f"{bq_emulator.project}.analytics_{suffix}",
            "env": env,
            "work": work,
            "args": args,
            "legacy": legacy,
        }


def _count(ctx: dict, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in ctx["client"].query(sql.format(ds=ctx["dataset"])).result()]


def test_bmrs_costs_periods_on_bigquery(bq_built: dict) -> None:
    got = dict(_count(bq_built, "select settlement_date, count(*) from `{ds}.bmrs_costs` group by 1"))
    assert got == {date(2025, 10, 26): 50, date(2026, 3, 29): 46}


def test_unified_counts_on_bigquery(bq_built: dict) -> None:
    legacy = bq_built["legacy"]
    bod_key = ("nationalGridBmUnit", "settlementDate", "settlementPeriod", "pairId", "timeFrom")
    assert _count(bq_built, "select count(*) from `{ds}.bmrs_bod_unified`") == [(_keys(legacy["BOD"], bod_key),)]
    pn_key = ("nationalGridBmUnit", "settlementDate", "settlementPeriod", "timeFrom")
    assert _count(bq_built, "select count(*) from `{ds}.bmrs_pn_unified`") == [(_keys(legacy["PN"], pn_key),)]


def test_incremental_merge_neither_loses_nor_doubles(bq_built: dict) -> None:
    tables = ["bmrs_bod_unified", "bmrs_pn_unified", "bmrs_boalf_unified", "bmrs_mels_unified", "bmrs_mils_unified"]
    before = {t: _count(bq_built, f"select count(*) from `{{ds}}.{t}`") for t in tables}
    assert all(v[0][0] > 0 for v in before.values()), before
    again = run_dbt(bq_built["args"], bq_built["work"] / "incremental", target="bigquery_emulator", env=bq_built["env"])
    assert again.returncode == 0, again.output[-4000:]
    run_sql = (
        (
            bq_built["work"]
            / "incremental"
            / "target"
            / "run"
            / "gbpower"
            / "models"
            / "intermediate"
            / "unified"
            / "bmrs_bod_unified.sql"
        )
        .read_text()
        .lower()
    )
    assert "merge into" in run_sql
    # the destination is pruned to the lookback window (static bound: as_of_date - lookback_days)
    assert "dbt_internal_dest.settlement_date >=" in run_sql
    after = {t: _count(bq_built, f"select count(*) from `{{ds}}.{t}`") for t in tables}
    assert after == before
