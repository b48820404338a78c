"""Helpers for the acceptance tests: load API-shaped rows into raw tables, run dbt, query results.

Rows go through the real loader path (``loaders.parse.parse_records_file`` -> Parquet ->
``DuckDBWriter.replace_window``), so a test exercises the same typing the backfill uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from loaders.parse import parse_records_file
from loaders.quarantine import Quarantine
from loaders.registry import get_dataset
from loaders.warehouse.duckdb_writer import DuckDBWriter

ROOT = Path(__file__).resolve().parents[2]
GBPOWER = str(Path(sys.executable).with_name("gbpower"))
LEGACY_DIR = ROOT / "loaders" / "samples" / "real" / "legacy_2022-03-19_SP27"


def load_rows(db: Path, work: Path, dataset: str, rows: list[dict[str, Any]], variant: str | None = None) -> int:
    """Replace raw.<dataset table> in ``db`` with ``rows`` (API field names); returns rows loaded."""
    ds = get_dataset(dataset)
    work.mkdir(parents=True, exist_ok=True)
    name = f"{ds.name.lower()}{'_' + variant if variant else ''}"
    src = work / f"{name}.json"
    src.write_text(json.dumps(rows))
    result = parse_records_file(
        ds,
        src,
        out_parquet=work / f"{name}.parquet",
        source="api",
        batch_id=f"test-{name}",
        quarantine=Quarantine(root=work / "quarantine"),
        input_name=src.name,
        fmt="array",
        variant=variant,
    )
    if result.rejected:
        raise AssertionError(f"{dataset}: {result.rejected} rows rejected: {result.rejected_messages}")
    batch = result.batch(ds, ds.raw_table)
    writer = DuckDBWriter(db)
    writer.init()
    if batch is None:
        return 0
    return writer.replace_window(batch, None, f"test-{name}")


def dbt(args: list[str], db: Path, tmp: Path, target: str = "duckdb", env: dict[str, str] | None = None) -> str:
    """Run ``gbpower dbt ARGS`` against ``db`` with private target/log paths; returns stdout.

    Raises AssertionError (with dbt's output) when dbt fails."""
    full_env = dict(os.environ)
    full_env["GBPOWER_DUCKDB"] = str(db)
    full_env.update(env or {})
    cmd = [
        GBPOWER,
        "dbt",
        *args,
        "--target",
        target,
        "--target-path",
        str(tmp / "target"),
        "--log-path",
        str(tmp / "logs"),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
