"""Backfill landing throughput and peak RSS: 7 production-size days of BOD (~300k rows/day) served by
the loopback replay server (a separate process), loaded by ``gbpower backfill`` (a separate process
whose RSS, children included, is sampled every 50 ms).

Metrics: backfill_rows_per_s, backfill_peak_rss_mb (DuckDB target; targets >= 100,000 rows/s and
<= 300 MB peak RSS), and the same for one production day into the BigQuery emulator
(backfill_bigquery_emulator_rows_per_s, backfill_bigquery_emulator_peak_rss_mb): the emulator is a
local DuckDB-backed stand-in, so that figure says nothing about real BigQuery's speed — it shows the
BigQuery code path (Parquet load job + one transaction per window) runs in bounded memory.
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
import psutil

log = logging.getLogger(__name__)

DAYS = [date(2025, 11, 3) + timedelta(days=i) for i in range(7)]


def build_store(root: Path) -> None:
    from loaders.samples.store import build_store

    marker = root / ".complete"
    if marker.exists():
        return
    t0 = time.monotonic()
    build_store(root, DAYS, scale="production", include_real=False, datasets=["BOD"])
    marker.write_text("ok")
    log.info("built production BOD store in %.1fs", time.monotonic() - t0)


def start_replay(store: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "loaders.replay", "--store", str(store)], stdout=subprocess.PIPE, text=True
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError(f"replay server did not start: {url!r}")
    return proc, url


def measure(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """Run ``cmd``; return (seconds, peak RSS MB of it and its children, exit code)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.monotonic() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        log.error("backfill failed:\n%s\n%s", out, err[-3000:])
    else:
        log.info("backfill output:\n%s", out)
    return seconds, peak / 2**20, proc.returncode


def backfill_cmd(day_from: date, day_to: date, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "loaders.cli",
        "backfill",
        "-d",
        "BOD",
        "--from",
        str(day_from),
        "--to",
        str(day_to),
        "--no-progress",
        "--rate",
        "50",
        *extra,
    ]


def run_bigquery_emulator(results: dict, workdir: Path, url: str) -> None:
    from loaders.dev import bqemulator
    from loaders.warehouse.bigquery_writer import BigQueryWriter

    emu, host, _ = bqemulator.start("gbpower-bench", workdir / "bqemulator")
    try:
        env = dict(
            os.environ,
            BMRS_API_BASE_URL=url,
            BIGQUERY_EMULATOR_HOST=host,
            GBPOWER_BQ_PROJECT="gbpower-bench",
            GBPOWER_BQ_LOCATION="US",
            GBPOWER_WORK_DIR=str(workdir / "tmp-bq"),
            GBPOWER_QUARANTINE_DIR=str(workdir / "quarantine"),
        )
        seconds, peak_mb, rc = measure(backfill_cmd(DAYS[0], DAYS[0], "--target", "bigquery"), env)
        if rc != 0:
            raise RuntimeError("BigQuery emulator backfill run failed")
        os.environ["BIGQUERY_EMULATOR_HOST"] = host
        writer = BigQueryWriter(project="gbpower-bench", location="US")
        rows = writer.query(f"select count(*) from `{writer.table_id('bmrs_bod')}`")[0][0]
        results["backfill_bigquery_emulator_rows_per_s"] = round(rows / seconds)
        results["backfill_bigquery_emulator_peak_rss_mb"] = round(peak_mb, 1)
        log.info("backfill into the BigQuery emulator: %d rows in %.1fs, peak RSS %.0f MB", rows, seconds, peak_mb)
    finally:
        os.environ.pop("BIGQUERY_EMULATOR_HOST", None)
        bqemulator.stop(emu)


def run(results: dict, workdir: Path) -> None:
    store = workdir / "store"
    build_store(store)
    db = workdir / "bench.duckdb"
    for f in (db, db.with_suffix(".duckdb.wal")):
        f.unlink(missing_ok=True)
    server, url = start_replay(store)
    try:
        env = dict(
            os.environ,
            BMRS_API_BASE_URL=url,
            GBPOWER_DUCKDB=str(db),
            GBPOWER_WORK_DIR=str(workdir / "tmp"),
            GBPOWER_QUARANTINE_DIR=str(workdir / "quarantine"),
        )
        cmd = backfill_cmd(DAYS[0], DAYS[-1])
        seconds, peak_mb, rc = measure(cmd, env)
        if rc == 0 and os.environ.get("GBPOWER_BENCH_BIGQUERY", "1") == "1":
            run_bigquery_emulator(results, workdir, url)
    finally:
        server.terminate()
        server.wait()
    if rc != 0:
        raise RuntimeError("backfill benchmark run failed")
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("select count(*) from raw.bmrs_bod").fetchone()[0]
    con.close()
    results["backfill_rows"] = rows
    results["backfill_seconds"] = round(seconds, 2)
    results["backfill_rows_per_s"] = round(rows / seconds)
    results["backfill_peak_rss_mb"] = round(peak_mb, 1)
    log.info("backfill: %d rows in %.1fs = %.0f rows/s, peak RSS %.0f MB", rows, seconds, rows / seconds, peak_mb)
