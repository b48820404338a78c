"""One DuckDB connection for consecutive commits, given up every few seconds (DuckDBWriter's
``held_connection(max_hold_s=…)``, used by every backfill and catch-up): the lock is really held
between commits, really released after ``max_hold_s`` (another process, like the IRIS service, can
then open the file), nothing is lost across the hand-over, and a backfill opens the file far fewer
times than it commits windows.

Real payloads: loaders/samples/real/elexon_samples (Contains BMRS data © Elexon Limited copyright and
database right)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from loaders.replay import ReplayServer
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.test_backfill import backfill, store, table_rows  # noqa: F401  (store: fixture)

OPEN_FROM_ANOTHER_PROCESS = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1]).close()
except duckdb.Error as exc:
    print(exc)
    sys.exit(3)
"""


def another_process_can_open(db: Path) -> bool:
    proc = subprocess.run(
        [sys.executable, "-c", OPEN_FROM_ANOTHER_PROCESS, str(db)], capture_output=True, text=True, check=False
    )
    assert proc.returncode in (0, 3), proc.stderr
    if proc.returncode == 3:
        assert "lock" in proc.stdout.lower(), proc.stdout
    return proc.returncode == 0


def insert(writer: DuckDBWriter, value: int) -> None:
    with writer.transaction() as con:
        con.execute("INSERT INTO raw.lease_test VALUES (?)", [value])


def test_the_lock_is_held_between_commits_and_given_up_after_max_hold(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    writer = DuckDBWriter(db, lock_timeout_s=30)
    writer.init()
    with writer.transaction() as con:
        con.execute("CREATE TABLE raw.lease_test (x INTEGER)")
    with writer.held_connection(max_hold_s=3.0):
        insert(writer, 1)
        writer.release_held(only_if_older=True)  # not held long enough yet: kept
        assert not another_process_can_open(db)  # still held between two commits
        time.sleep(3.1)
        writer.release_held(only_if_older=True)  # an idle moment after max_hold_s: given up
        assert another_process_can_open(db)
        insert(writer, 2)  # reopens
        time.sleep(3.1)
        insert(writer, 3)  # held too long: closed and reopened between two commits, then used
        assert not another_process_can_open(db)
    assert another_process_can_open(db)  # the block closes it
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select x from raw.lease_test order by x").fetchall() == [(1,), (2,), (3,)]
    finally:
        con.close()


def test_without_max_hold_the_block_keeps_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    writer = DuckDBWriter(db, lock_timeout_s=30)
    writer.init()
    with writer.transaction() as con:
        con.execute("CREATE TABLE raw.lease_test (x INTEGER)")
    with writer.held_connection():
        insert(writer, 1)  # the connection is opened by the first commit of the block
        time.sleep(0.2)
        writer.release_held(only_if_older=True)
        assert not another_process_can_open(db)
    assert another_process_can_open(db)


def test_a_backfill_opens_the_file_far_less_often_than_it_commits(
    store: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch,
) -> None:
    opened: list[float] = []
    real_open = DuckDBWriter._open

    def counting_open(self: DuckDBWriter, read_only: bool) -> duckdb.DuckDBPyConnection:
        opened.append(time.monotonic())
        return real_open(self, read_only)

    monkeypatch.setattr(DuckDBWriter, "_open", counting_open)
    db = tmp_path / "w.duckdb"
    with ReplayServer(store) as server:
        summary = backfill(db, server, ["INDO", "DISEBSP", "BOALF"], date(2026, 5, 1), date(2026, 5, 8), tmp_path)
    assert summary.ok, summary.failures
    windows = sum(s.windows_done for s in summary.datasets.values())
    assert windows >= 20
    # init + the skip check + one lease (a few more if the run took over COMMIT_LEASE_S)
    assert len(opened) <= 8, (len(opened), windows)
    # and everything landed, exactly as without the lease (test_backfill.py checks row values)
    assert len(table_rows(db, "bmrs_boalf")) == summary.datasets["BOALF"].rows
