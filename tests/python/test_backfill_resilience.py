"""Kill -9 and resume, DuckDB lock contention, CLI errors — with real processes and real files."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loaders.registry import get_dataset
from loaders.replay import Fault, ReplayServer
from loaders.replay.layout import write_rows
from loaders.time_window import Window
from loaders.warehouse.base import WarehouseLocked
from loaders.warehouse.ddl import arrow_schema
from loaders.warehouse.duckdb_writer import DuckDBWriter

GBPOWER = [sys.executable, "-m", "loaders.cli"]
DAYS = [date(2025, 10, 24) + timedelta(days=i) for i in range(5)]  # includes the 25-hour 2025-10-26


def freq_rows(days: list[date]) -> list[dict]:
    """FREQ samples every 15 s over whole settlement days (the shape of the real FREQ.json rows)."""
    from loaders.settlement import day_bounds

    rng = random.Random(7)
    rows = []
    for d in days:
        start, end = day_bounds(d)
        t = start
        while t < end:
            rows.append(
                {
                    "dataset": "FREQ",
                    "measurementTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "frequency": round(50 + rng.uniform(-0.15, 0.15), 3),
                }
            )
            t += timedelta(seconds=15)
    return rows


def run_cli(args: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*GBPOWER, *args], env=env, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env.update(
        GBPOWER_DUCKDB=str(tmp_path / "w.duckdb"),
        GBPOWER_WORK_DIR=str(tmp_path / "work"),
        GBPOWER_QUARANTINE_DIR=str(tmp_path / "q"),
        GBPOWER_LOG_LEVEL="INFO",
    )
    return env


def count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_kill_9_at_random_points_then_resume_loses_and_doubles_nothing(tmp_path: Path, cli_env: dict) -> None:
    rows = freq_rows(DAYS)
    store = tmp_path / "store"
    write_rows(store, get_dataset("FREQ"), rows)
    db = Path(cli_env["GBPOWER_DUCKDB"])
    # slow every response a little so kills land mid-run: before, during and after commits
    faults = [Fault("FREQ", kind="slow", delay_s=0.3, times=10_000)]
    args = [
        "backfill",
        "--dataset",
        "FREQ",
        "--from",
        str(DAYS[0]),
        "--to",
        str(DAYS[-1]),
        "--concurrency",
        "2",
        "--no-progress",
    ]
    rng = random.Random(11)
    with ReplayServer(store, faults=faults) as server:
        cli_env["BMRS_API_BASE_URL"] = server.base_url
        kills = 0
        for _ in range(4):
            proc = subprocess.Popen(
                [*GBPOWER, *args], env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(rng.uniform(0.5, 2.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        assert kills >= 1
        final = run_cli(args, cli_env)
    assert final.returncode == 0, final.stderr
    assert count(db, "select count(*) from raw.bmrs_freq") == len(rows)
    assert count(db, 'select count(distinct "measurementTime") from raw.bmrs_freq') == len(rows)
    assert count(db, "select count(*) from raw.gbpower_windows where dataset = 'FREQ'") == len(DAYS)
    assert "FREQ" in final.stdout and "total" in final.stdout


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
        "time.sleep(float(sys.argv[2]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _batch(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from loaders.warehouse.base import TableBatch

    ds = get_dataset("FREQ")
    schema = arrow_schema(ds)
    t0 = datetime(2025, 10, 24, 0, 0)
    data = {f.name: [None] * 4 for f in schema}
    data["measurementTime"] = [t0 + timedelta(seconds=15 * i) for i in range(4)]
    data["frequency"] = [50.0, 50.1, 49.9, 50.05]
    data["_source"] = ["api"] * 4
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table(data, schema=schema), path)
    return TableBatch(ds, ds.raw_table, path, 4), Window(
        t0.replace(tzinfo=UTC) - timedelta(hours=1), t0.replace(tzinfo=UTC) + timedelta(hours=23)
    )


def test_writer_waits_for_a_locked_file_then_commits(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    DuckDBWriter(db).init()
    holder = _hold_lock(db, 2.0)
    batch, window = _batch(tmp_path)
    t0 = time.monotonic()
    DuckDBWriter(db, lock_timeout_s=30).replace_window(batch, window, "b1")
    waited = time.monotonic() - t0
    holder.wait()
    assert waited >= 1.0  # it really waited for the other process
    assert count(db, "select count(*) from raw.bmrs_freq") == 4


def test_writer_gives_up_clearly_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    DuckDBWriter(db).init()
    holder = _hold_lock(db, 4.0)
    batch, window = _batch(tmp_path)
    with pytest.raises(WarehouseLocked, match="stayed locked"):
        DuckDBWriter(db, lock_timeout_s=1.0).replace_window(batch, window, "b1")
    holder.wait()
    assert count(db, "select count(*) from raw.bmrs_freq") == 0
    assert count(db, "select count(*) from raw.gbpower_windows") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "NOPE", "--from", "2025-01-01", "--to", "2025-01-01"], "unknown dataset 'NOPE'"),
        (["--dataset", "BOD", "--from", "2025-01-02", "--to", "2025-01-01"], "is before --from"),
        (["--dataset", "BOD", "--from", "2025-02-30", "--to", "2025-03-01"], "not a date"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str, cli_env: dict) -> None:
    res = run_cli(["backfill", *args], cli_env)
    assert res.returncode == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_cli_backfill_summary_and_exit_code(tmp_path: Path, cli_env: dict) -> None:
    real = Path(__file__).resolve().parents[2] / "loaders/samples/real/elexon_samples/DISEBSP_system_prices.json"
    store = tmp_path / "store"
    write_rows(store, get_dataset("DISEBSP"), json.loads(real.read_text())["data"])
    with ReplayServer(store, faults=[Fault("2026-05-07", status=500, times=99)]) as server:
        cli_env["BMRS_API_BASE_URL"] = server.base_url
        ok = run_cli(["backfill", "-d", "costs", "--from", "2026-05-06", "--to", "2026-05-06"], cli_env)
        bad = run_cli(["backfill", "-d", "DISEBSP", "--from", "2026-05-07", "--to", "2026-05-07"], cli_env)
    assert ok.returncode == 0, ok.stderr
    assert "DISEBSP" in ok.stdout and "rows=" in ok.stdout
    assert bad.returncode == 1
    assert "FAILED: DISEBSP 2026-05-07" in bad.stdout
