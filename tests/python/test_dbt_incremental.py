"""Incremental unified models on DuckDB (delete+insert by settlement date), with real BOD, PN, MELS,
MILS and BOALF for 2022-03-19 period 27 landed through the replay path: a re-run neither loses nor
doubles a row; an IRIS row with a newer version replaces the API row; an IRIS copy of the same version
loses to the API row (the tie rule); a rows deleted upstream within the lookback disappears.

Contains BMRS data © Elexon Limited copyright and database right (hackcollective/wind-curtailment
legacy BMRS CSVs, copies in loaders/samples/real/legacy_2022-03-19_SP27).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.python.dbt_harness import legacy_rows, load_via_replay, run_dbt

DAY = date(2022, 3, 19)
PINNED = ["--vars", "{as_of_date: '2022-03-20'}"]  # lookback window covers 2022-03-17 onwards
SELECT = [
    "-s",
    "stg_bmrs__bod",
    "stg_bmrs__bod_iris",
    "bmrs_bod_unified",
    "stg_bmrs__boalf",
    "stg_bmrs__boalf_iris",
    "bmrs_boalf_unified",
    "stg_bmrs__pn",
    "stg_bmrs__pn_iris",
    "bmrs_pn_unified",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    from loaders.registry import get_dataset
    from loaders.replay.layout import write_rows

    rows = legacy_rows()
    store = tmp_path / "store"
    for name in ("BOD", "PN", "BOALF"):
        write_rows(store, get_dataset(name), rows[name])
    path = tmp_path / "warehouse.duckdb"
    load_via_replay(path, store, tmp_path, [(n, DAY, DAY) for n in ("BOD", "PN", "BOALF")])
    return path


def sql(db: Path, *statements: str) -> list[tuple]:
    con = duckdb.connect(str(db))
    try:
        con.execute("SET TimeZone = 'UTC'")
        out: list[tuple] = []
        for s in statements:
            out = con.execute(s).fetchall()
        return out
    finally:
        con.close()


def build(db: Path, work: Path, *extra: str):
    run = run_dbt(["build", *SELECT, *PINNED, *extra], work, duckdb_path=db)
    assert run.returncode == 0, run.output[-3000:]
    return run


def test_rerun_and_version_rules(db: Path, tmp_path: Path) -> None:
    build(db, tmp_path / "b1")
    counts = {
        t: sql(db, f"select count(*) from analytics.{t}")[0][0]
        for t in ("bmrs_bod_unified", "bmrs_pn_unified", "bmrs_boalf_unified")
    }
    raw = {t: sql(db, f"select count(*) from raw.{t.replace('_unified', '')}")[0][0] for t in counts}
    assert counts == raw and all(counts.values())

    # second run is incremental (delete+insert of the lookback days): same rows
    run = build(db, tmp_path / "b2")
    run_sql = (
        (
            tmp_path
            / "b2"
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
    assert "delete from" in run_sql and run.returncode == 0
    assert {t: sql(db, f"select count(*) from analytics.{t}")[0][0] for t in counts} == counts

    # IRIS: a newer acceptance version of one BOALF segment, and a same-version copy of another
    first, second = sql(
        db, 'select "acceptanceNumber", "timeFrom" from raw.bmrs_boalf order by "acceptanceNumber", "timeFrom" limit 2'
    )
    sql(
        db,
        "insert into raw.bmrs_boalf_iris select * replace ('iris' as _source, 'm1' as _message_id, "
        '"acceptanceTime" + interval 1 minute as "acceptanceTime", 999.0 as "levelTo") '
        f'from raw.bmrs_boalf where "acceptanceNumber" = {first[0]} and "timeFrom" = \'{first[1]}\'',
        "insert into raw.bmrs_boalf_iris select * replace ('iris' as _source, 'm2' as _message_id, "
        '-1.0 as "levelTo") '
        f'from raw.bmrs_boalf where "acceptanceNumber" = {second[0]} and "timeFrom" = \'{second[1]}\'',
    )
    # a BOD row withdrawn upstream (the API window was re-loaded without it)
    sql(db, "delete from raw.bmrs_bod where rowid = (select min(rowid) from raw.bmrs_bod)")
    build(db, tmp_path / "b3")

    assert sql(db, "select count(*) from analytics.bmrs_boalf_unified")[0][0] == counts["bmrs_boalf_unified"]
    won = sql(
        db,
        f"select source, level_to from analytics.bmrs_boalf_unified where acceptance_number = {first[0]} "
        f"and time_from = '{first[1]}'",
    )
    assert won == [("iris", 999.0)]
    tie = sql(
        db,
        f"select source, level_to from analytics.bmrs_boalf_unified where acceptance_number = {second[0]} "
        f"and time_from = '{second[1]}'",
    )
    assert len(tie) == 1 and tie[0][0] == "api" and tie[0][1] != -1.0
    assert sql(db, "select count(*) from analytics.bmrs_bod_unified")[0][0] == counts["bmrs_bod_unified"] - 1
