"""How long the Google Sheets export takes: the whole dashboard and the GB Live tab alone (issue #14).

The warehouse is the demo's (``gbpower demo``: the bundled sample, every model built). Google is the
fake Sheets v4 API on loopback that the tests and the soak use (``tests/python/fake_sheets_api.py``:
service-account token grant, every request validated against Google's discovery document), so the
figure is our side of the export — the CLI starting, the queries, building the requests, one
metadata read per spreadsheet and one ``batchUpdate`` per tab over HTTP — not Google's own latency.

Metrics (median of ``RUNS`` runs of the real CLI, ``gbpower export-sheets``, start-up included):
- ``sheets_export_all_tabs_s``: every tab of ``config/sheets.yml`` (the 15-minute job);
- ``sheets_export_gb_live_s``: ``--tab "GB Live"`` (what ``refresh-live`` runs after its build);
- ``sheets_export_tabs`` and ``sheets_export_batch_updates_per_tab`` (must be 1: one atomic write per
  tab), ``sheets_export_rejected_requests`` (must be 0).
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3


def _cli(args: list[str], env: dict[str, str]) -> float:
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "loaders.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"gbpower {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds


def run(results: dict, workdir: Path) -> None:
    from loaders.sheets.config import load_config
    from tests.soak.harness import SheetsService

    db = workdir / "demo.duckdb"
    env = dict(
        os.environ,
        GBPOWER_DUCKDB=str(db),
        GBPOWER_WORK_DIR=str(workdir / "tmp"),
        GBPOWER_QUARANTINE_DIR=str(workdir / "quarantine"),
        GBPOWER_STATE_DIR=str(workdir / "state"),
        DBT_TARGET_PATH=str(workdir / "target"),
        DBT_LOG_PATH=str(workdir / "logs"),
    )
    env.pop("GBPOWER_TARGET", None)
    for f in (db, db.with_suffix(".duckdb.wal")):  # always this checkout's models and config
        f.unlink(missing_ok=True)
    log.info("building the demo warehouse (gbpower demo)")
    _cli(["demo", "--store", str(workdir / "store")], env)
    with SheetsService(workdir / "conf", time.time) as sheets:
        env.update(sheets.env)
        tabs = len(load_config(ROOT / "config/sheets.yml").tabs)
        all_tabs = [_cli(["export-sheets"], env) for _ in range(RUNS)]
        writes_all = sum(1 for m, _ in sheets.fake.calls if m == "spreadsheets.batchUpdate")
        live = [_cli(["export-sheets", "--tab", "GB Live"], env) for _ in range(RUNS)]
        rejected = len(sheets.fake.errors)
    results["sheets_export_all_tabs_s"] = round(statistics.median(all_tabs), 2)
    results["sheets_export_gb_live_s"] = round(statistics.median(live), 2)
    results["sheets_export_tabs"] = tabs
    results["sheets_export_batch_updates_per_tab"] = round(writes_all / (RUNS * tabs), 3)
    results["sheets_export_rejected_requests"] = rejected
    log.info(
        "export: all %d tabs %.2f s, GB Live %.2f s (median of %d); %.3f batchUpdates per tab; %d rejected",
        tabs, results["sheets_export_all_tabs_s"], results["sheets_export_gb_live_s"], RUNS,
        results["sheets_export_batch_updates_per_tab"], rejected,
    )  # fmt: skip
    if rejected or writes_all != RUNS * tabs:
        raise RuntimeError(f"export made {writes_all} writes for {RUNS * tabs} tab exports, {rejected} rejected")
