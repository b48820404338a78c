"""dbt build time on 7 production-scale SYNTHETIC days, an incremental build after one more day, and
the floor: a plain DuckDB scan of the same raw tables.

Data: ``loaders.samples`` production scale (1,250 units: BOD ~300k rows/day, PN ~66k, MELS/MILS
60k each, BOALF ~16k, FREQ 5,760, FUELINST 5,760, BOAV/EBOCF, system prices, MID, ...), written as a
replay store and landed through the real loader path (loopback replay server + loaders.backfill).

Metrics (seconds, wall clock of the whole `gbpower dbt build` process, start-up included):
- ``dbt_full_build_s``: first build (every model, seed and test of the core models: staging,
  calendar, unified, prices, grid, reference) over days 1-7.
- ``dbt_incremental_build_s``: the next build after day 8 is loaded, run as the 30-minute job runs it
  (``gbpower dbt --test-scope window build``; since 2026-12-06 — before, a plain ``dbt build`` with every
  unit test and whole-table data tests): incremental models re-process only the lookback window — 4
  of the 8 days here; `as_of_date` pins "today" to day 8.
- ``dbt_scan_floor_s``: DuckDB (2 threads) `count(*) … group by settlement date` over every raw
  table the build reads — the cost of just reading the data once.
- the catalogue's cost to the incremental build (``dbt_catalogue_overhead_pct``, bench/catalogue_overhead.py).
The models are the core ones: the catalogue's (issue #11) are excluded, so the figures compare with
the ones from before it. Targets: full <= 90 s, incremental <= 20 s on 2 cores; catalogue <= 10 %.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from bench import catalogue_overhead

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
FIRST_DAY = date(2024, 1, 8)
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(8)]  # 7 for the full build + 1 incremental
DATASETS = [
    "BOD", "PN", "MELS", "MILS", "BOALF", "BOAV", "EBOCF", "DISEBSP", "FREQ", "FUELHH", "FUELINST",
    "MID", "INDO", "ITSDO", "INDGEN", "INDDEM", "WINDFOR", "REMIT", "DISBSAD", "NETBSAD",
]  # fmt: skip
SELECT = [
    "path:models/staging", "path:models/intermediate/unified", "path:models/intermediate/calendar",
    "path:models/marts/prices", "path:models/marts/grid", "path:models/marts/reference",
    "fuel_carbon_factors", "bm_unit_overrides",
]  # fmt: skip


def build_store(root: Path) -> None:
    from loaders.samples.store import build_store as samples_store

    marker = root / ".complete"
    if marker.exists():
        return
    t0 = time.monotonic()
    samples_store(root, DAYS, scale="production", include_real=False, datasets=[*DATASETS, "BMUNITS"])
    marker.write_text("ok")
    log.info("built production store (%d days) in %.1fs", len(DAYS), time.monotonic() - t0)


def land(db: Path, store: Path, workdir: Path, first: date, last: date, datasets: list[str]) -> None:
    from loaders.api.client import ApiClient
    from loaders.backfill import Backfill
    from loaders.quarantine import Quarantine
    from loaders.registry import get_dataset
    from loaders.replay import ReplayServer
    from loaders.warehouse.duckdb_writer import DuckDBWriter

    with ReplayServer(store) as server:
        client = ApiClient(server.base_url, rate_per_s=200)
        bf = Backfill(DuckDBWriter(db), client, concurrency=2, quarantine=Quarantine(workdir / "quarantine"),
                      work_dir=workdir / "tmp", progress=False)  # fmt: skip
        summary = bf.run([get_dataset(d) for d in datasets], first, last)
    if not summary.ok:
        raise RuntimeError("landing the synthetic days failed: " + "; ".join(summary.failures[:5]))
    log.info("landed %s..%s: %d rows in %.1fs", first, last, summary.rows, summary.seconds)


def selection() -> list[str]:
    """SELECT less the catalogue (``--exclude``), or the dbt selectors in env ``BENCH_DBT_SELECT``
    (space-separated): e.g. the node set of an older checkout, to time the same models in a bigger
    project."""
    return os.environ.get("BENCH_DBT_SELECT", "").split() or [*SELECT, "--exclude", *catalogue_exclusions()]


def catalogue_exclusions() -> list[str]:
    """The catalogue's staging models and everything downstream of them (``stg_…+``): the core models
    are what this bench has timed since before the catalogue (bench/catalogue_overhead.py)."""
    staging = ROOT / "models" / "staging" / "bmrs"
    datasets = catalogue_overhead.catalogue_datasets()
    names = [f"stg_bmrs__{d.lower()}{suffix}" for d in datasets for suffix in ("", "_iris")]
    return [f"{name}+" for name in names if (staging / f"{name}.sql").exists()]


def gbpower_dbt(db: Path, workdir: Path, as_of: date, dbt_args: list[str], scheduled: bool) -> float:
    """Seconds of one ``gbpower dbt DBT_ARGS`` with this bench's vars, target and log paths;
    ``scheduled``: as the 30-minute job runs it (``--test-scope window``: data tests read the window, no
    unit tests, only run_results.json written)."""
    scope = ["--test-scope", "window"] if scheduled else []
    cmd = [sys.executable, "-m", "loaders.cli", "dbt", *scope, *dbt_args,
           "--vars", f"{{as_of_date: '{as_of}'}}",
           "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]  # fmt: skip
    env = dict(os.environ, GBPOWER_DUCKDB=str(db))
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"dbt {dbt_args[0]} failed:\n{proc.stdout[-4000:]}")
    return seconds


def dbt_build(db: Path, workdir: Path, as_of: date, scheduled: bool = False) -> float:
    """Seconds of one ``gbpower dbt build`` of this bench's selection."""
    return gbpower_dbt(db, workdir, as_of, ["build", "-s", *selection()], scheduled)


def scan_floor(db: Path) -> float:
    con = duckdb.connect(str(db), read_only=True, config={"threads": 2})
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name like 'bmrs_%'"
            ).fetchall()
        ]
        t0 = time.monotonic()
        for t in tables:
            cols = {r[0] for r in con.execute(f"describe raw.{t}").fetchall()}
            key = next((c for c in ("settlementDate", "measurementTime", "publishTime") if c in cols), None)
            if key is None:
                con.execute(f"select count(*) from raw.{t}").fetchall()
            else:
                con.execute(f'select "{key}", count(*) from raw.{t} group by 1').fetchall()
        return time.monotonic() - t0
    finally:
        con.close()


def run(results: dict, workdir: Path) -> None:
    store = workdir / "store"
    build_store(store)
    db = workdir / "dbt_bench.duckdb"
    for f in (db, db.with_suffix(".duckdb.wal")):
        f.unlink(missing_ok=True)
    # a stale partial-parse state from an older checkout can miss macro signature changes
    (workdir / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
    land(db, store, workdir, DAYS[0], DAYS[6], [*DATASETS, "BMUNITS"])
    # "today" is day 8 for both builds: vars stay the same between runs, as they do under cron, so
    # the second build reuses dbt's partial parse like production does
    results["dbt_full_build_s"] = round(dbt_build(db, workdir, as_of=DAYS[7]), 2)
    results["dbt_scan_floor_s"] = round(scan_floor(db), 3)
    # the 30-minute job's environment (data_test_scope window) differs from the full build's, and dbt
    # re-parses the whole project when it changes: on the server the previous scheduled run left that
    # state, so it is made here untimed (a parse changes no data)
    gbpower_dbt(db, workdir, DAYS[7], ["parse"], scheduled=True)
    land(db, store, workdir, DAYS[7], DAYS[7], DATASETS)
    results["dbt_incremental_build_s"] = round(dbt_build(db, workdir, as_of=DAYS[7], scheduled=True), 2)
    con = duckdb.connect(str(db), read_only=True)
    try:
        results["dbt_bench_bod_rows"] = con.execute("select count(*) from analytics.bmrs_bod_unified").fetchall()[0][0]
    finally:
        con.close()
    # what the catalogue costs this build, measured on the same warehouse (issue #11)
    catalogue_overhead.run(results, workdir / "catalogue", db, workdir / "target" / "manifest.json", SELECT, DAYS[7])
    log.info("dbt bench: %s", {k: v for k, v in results.items() if k.startswith("dbt_")})


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out: dict = {}
    wd = ROOT / "bench" / "work" / "dbt"
    wd.mkdir(parents=True, exist_ok=True)
    run(out, wd)
    print(out)
