"""``gbpower demo``: the main job, offline, on the embedded DuckDB default.

1. Build the bundled sample as a replay store: real Elexon payloads (see loaders/samples/real) plus
   clearly-labelled synthetic days for every dataset (including the autumn clock-change day).
2. Serve it from a loopback replay of the Insights API.
3. Load it with the real loader (``gbpower backfill`` code path) into DuckDB.
4. ``dbt build`` every seed, model and test.
5. Print a short summary of what was built.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import date, timedelta
from pathlib import Path

from loaders import config

log = logging.getLogger(__name__)

# A synthetic week around the autumn 2025 clock change (2025-10-26 has 50 periods).
DEMO_DAYS = [date(2025, 10, 24) + timedelta(days=i) for i in range(5)]
# Real data sets with whole settlement days (the small live captures cover a few periods only, so
# they would — rightly — fail the completeness tests; the loader tests use them instead).
DEMO_REAL_SETS = ["clock_change_disebsp", "legacy_2022_03_19", "ssp_sbp_niv", "fuelhh_2022"]
DBT_THREADS = 4


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="load the bundled sample through the real loader and build every model (DuckDB)")
    p.add_argument("--skip-dbt", action="store_true", help="load only")
    p.add_argument("--store", type=Path, default=None, help="replay store directory (default .gbpower/demo/store)")
    p.set_defaults(func=run)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Contiguous (from, to) runs of sorted dates."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and d == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def load_store(store: Path, manifest: dict[str, dict[str, int]], base_url: str) -> dict[str, int]:
    from loaders.api.client import ApiClient
    from loaders.backfill import Backfill
    from loaders.registry import get_dataset
    from loaders.warehouse import open_writer

    rows: dict[str, int] = {}
    failures: list[str] = []
    days_by_dataset: dict[str, set[str]] = {}
    for key, by_day in manifest.items():  # keys are DATASET or DATASET/variant
        days_by_dataset.setdefault(key.split("/")[0], set()).update(by_day)
    # One backfill run per contiguous date run, with every dataset that has it: the windows of all
    # datasets then share the fetch pool (one run per dataset left it idle between datasets).
    datasets_by_run: dict[tuple[date, date], list[str]] = {}
    for name, day_keys in sorted(days_by_dataset.items()):
        days = [date.fromisoformat(d) for d in day_keys if d != "snapshot"]
        for run in _runs(days) or [(DEMO_DAYS[0], DEMO_DAYS[0])]:
            datasets_by_run.setdefault(run, []).append(name)
    with open_writer("duckdb") as writer, writer.held_connection():
        bf = Backfill(writer, ApiClient(base_url, rate_per_s=500), concurrency=4, progress=False)
        for (d0, d1), names in sorted(datasets_by_run.items()):
            summary = bf.run([get_dataset(n) for n in names], d0, d1, force=True)
            for name, s in summary.datasets.items():
                rows[name] = rows.get(name, 0) + s.rows
            failures.extend(summary.failures)
    if failures:
        raise RuntimeError("demo load failed: " + "; ".join(failures[:5]))
    return rows


def run(args: argparse.Namespace) -> int:
    from loaders.dbt_runner import run_dbt
    from loaders.replay import ReplayServer
    from loaders.samples.store import build_store

    started = time.monotonic()
    store = args.store or config.resolve(".gbpower/demo/store")
    log.info("building the sample replay store in %s", store)
    manifest = build_store(store, DEMO_DAYS, scale="demo", include_real=True, real=DEMO_REAL_SETS)
    with ReplayServer(store) as server:
        log.info("replaying the Insights API at %s", server.base_url)
        rows = load_store(store, manifest, server.base_url)
    db = config.duckdb_path()
    print(f"\nLoaded {sum(rows.values()):,} raw rows into {db}:")
    for name, n in sorted(rows.items()):
        print(f"  {name:<9} {n:>9,}")
    if args.skip_dbt:
        return 0
    # `dbt build` loads the seeds before the models that use them (no separate `dbt seed`, which
    # would parse the project a second time). Most nodes are small views and tests whose time is
    # dbt's own overhead and DuckDB latency rather than CPU, so more threads than cores pay off.
    # --full-refresh: the sample's days lie outside the incremental window of today's clock, so on a
    # re-run (after an update of gbpower or of the sample) only a full refresh rebuilds them.
    cmd = ["build", "--full-refresh", "--threads", str(DBT_THREADS)]
    rc = run_dbt(cmd, target="duckdb")
    if rc != 0:
        print(f"dbt {' '.join(cmd)} failed (exit {rc}); see logs/dbt.log")
        return rc
    print_summary(db)
    print(f"\nDone in {time.monotonic() - started:.0f}s. Open the data dictionary with `make docs`.")
    return 0


def print_summary(db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        models = con.execute(
            "select table_name, table_type from information_schema.tables where table_schema = 'analytics' "
            "order by table_name"
        ).fetchall()
        print(f"\nBuilt {len(models)} models in schema analytics of {db}:")
        for name, kind in models:
            if name.startswith(("bmrs_costs", "mart_", "fct_", "boalf_complete", "rpt_", "dim_")):
                n = con.execute(f"select count(*) from analytics.{name}").fetchall()[0][0]
                print(f"  {name:<40} {n:>9,} rows ({kind.lower()})")
        if any(m[0] == "bmrs_costs" for m in models):
            row = con.execute(
                "select count(distinct settlement_date), count(*), round(min(system_sell_price), 2), "
                "round(max(system_sell_price), 2) from analytics.bmrs_costs"
            ).fetchall()[0]
            print(f"\nSystem prices: {row[0]} days, {row[1]} periods, £{row[2]}..£{row[3]}/MWh")
    finally:
        con.close()
