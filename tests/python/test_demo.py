"""`gbpower demo` — the main job — end to end in a subprocess: sample store, loopback API replay,
real loader, dbt seed + build on a fresh DuckDB file, summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb


def test_demo_builds_every_model_from_the_replayed_sample(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    env = dict(
        os.environ,
        GBPOWER_DUCKDB=str(db),
        GBPOWER_WORK_DIR=str(tmp_path / "work"),
        GBPOWER_QUARANTINE_DIR=str(tmp_path / "quarantine"),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
    )
    env.pop("GBPOWER_TARGET", None)
    proc = subprocess.run(
        [sys.executable, "-m", "loaders.cli", "demo", "--store", str(tmp_path / "store")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "Loaded" in proc.stdout and "System prices:" in proc.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        # every registry raw table got rows through the loader (BMUNITS included)
        empty = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' and estimated_size = 0 "
            "and table_name not like '%_iris' and table_name not in ('iris_messages', 'iris_kept_messages')"
        ).fetchall()
        assert empty == []
        # the clock-change days come through with 50 and 46 periods (real Elexon system prices)
        periods = dict(
            con.execute(
                "select settlement_date::varchar, count(*) from analytics.bmrs_costs "
                "where settlement_date in ('2025-10-26', '2026-03-29') group by 1"
            ).fetchall()
        )
        assert periods == {"2025-10-26": 50, "2026-03-29": 46}
        assert con.execute("select count(*) from analytics.boalf_complete").fetchone()[0] > 0
        assert con.execute("select count(*) from analytics.fct_bm_unit_cashflows").fetchone()[0] > 0
    finally:
        con.close()
    # nothing was quarantined: the bundled sample is clean
    assert not any((tmp_path / "quarantine").rglob("*.jsonl"))
