"""``gbpower backup`` / ``gbpower restore`` on real DuckDB files: back up, destroy, restore, identical
tables; N kept; a damaged backup is refused; the replaced warehouse is kept, never thrown away;
a backup waits for (and so is consistent with) a writer holding the lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from loaders.backup import BackupError, backups, restore, verify
from loaders.cli import main
from loaders.warehouse.duckdb_writer import DuckDBWriter


def make_warehouse(path: Path) -> None:
    DuckDBWriter(path).init()
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS analytics")
        con.execute(
            "CREATE TABLE analytics.prices AS SELECT range AS period, range * 1.5 AS price, "
            "'u' || range AS unit, DATE '2026-05-06' + (range % 3)::INT AS day FROM range(5000)"
        )
        con.execute("CREATE VIEW analytics.expensive AS SELECT * FROM analytics.prices WHERE price > 7000")
        con.execute(
            "INSERT INTO raw.bmrs_freq (measurementTime, frequency, _source) "
            "VALUES (TIMESTAMP '2026-05-06 10:00', 50.01, 'api')"
        )
    finally:
        con.close()


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every base table's rows, sorted: an independent check of 'identical'."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2").fetchall()
        out = {f"{s}.{t}": sorted(map(repr, con.execute(f'SELECT * FROM "{s}"."{t}"').fetchall())) for s, t in tables}
        out["view expensive"] = [repr(r) for r in con.execute("SELECT count(*) FROM analytics.expensive").fetchall()]
        return out
    finally:
        con.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    db = tmp_path / "data" / "gbpower.duckdb"
    monkeypatch.setenv("GBPOWER_DUCKDB", str(db))
    monkeypatch.setenv("GBPOWER_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("GBPOWER_TARGET", "duckdb")
    make_warehouse(db)
    return db


def test_backup_destroy_restore_gives_identical_tables(env, tmp_path, capsys):
    before = contents(env)
    assert before["analytics.prices"] and before["raw.bmrs_freq"]
    assert main(["backup"]) == 0
    assert "tables" in capsys.readouterr().out
    assert len(backups(tmp_path / "backups", "gbpower")) == 1
    env.unlink()  # destroyed
    assert not env.exists()
    assert main(["restore"]) == 0
    assert contents(env) == before
    # the restored file is a working warehouse: a writer opens it and appends
    DuckDBWriter(env).query("SELECT count(*) FROM raw.bmrs_freq")


def test_restore_keeps_the_replaced_file(env, tmp_path):
    assert main(["backup"]) == 0
    con = duckdb.connect(str(env))
    con.execute("INSERT INTO analytics.prices VALUES (99999, 1, 'late', DATE '2026-05-07')")
    con.close()
    newer = contents(env)
    (made,) = backups(tmp_path / "backups", "gbpower")
    kept = restore(made, env)
    assert kept is not None and kept.exists() and contents(kept) == newer  # nothing thrown away
    assert len(contents(env)["analytics.prices"]) == 5000


def test_keeps_the_newest_n(env, tmp_path):
    for _ in range(4):
        assert main(["backup", "--keep", "2"]) == 0
        time.sleep(1.05)  # one backup per second (names carry the UTC time)
    found = backups(tmp_path / "backups", "gbpower")
    assert len(found) == 2 and found == sorted(found)
    assert not [p for p in (tmp_path / "backups").iterdir() if p.name.startswith(".")]  # no partial dirs


def test_a_damaged_backup_is_refused_and_nothing_changes(env, tmp_path):
    assert main(["backup"]) == 0
    (made,) = backups(tmp_path / "backups", "gbpower")
    con = duckdb.connect(str(made / "gbpower.duckdb"))
    con.execute("DELETE FROM analytics.prices WHERE period < 10")
    con.close()
    before = contents(env)
    with pytest.raises(BackupError, match="does not match its manifest"):
        verify(made)
    assert main(["restore", str(made)]) == 1
    assert contents(env) == before


def test_backup_waits_for_a_writer_and_copies_a_consistent_state(env, tmp_path):
    """A process holding the warehouse (as a load does) inserts in one transaction and keeps the lock
    for a while; the backup waits for the commit and holds all of those rows, not a torn state."""
    script = (
        "import duckdb, time, sys\n"
        f"con = duckdb.connect({str(env)!r})\n"
        "con.execute('BEGIN')\n"
        "con.execute(\"INSERT INTO analytics.prices SELECT range + 100000, 1, 'x', DATE '2026-05-08' \"\n"
        '            "FROM range(3000)")\n'
        "print('locked', flush=True); time.sleep(2); con.execute('COMMIT'); con.close()\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    t0 = time.monotonic()
    assert main(["backup"]) == 0
    assert time.monotonic() - t0 > 1.0  # it waited for the lock
    holder.wait(timeout=30)
    (made,) = backups(tmp_path / "backups", "gbpower")
    n = (
        duckdb.connect(str(made / "gbpower.duckdb"), read_only=True)
        .execute("SELECT count(*) FROM analytics.prices")
        .fetchone()[0]
    )
    assert n == 8000


def test_restore_without_a_backup_is_a_usage_error(env, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["restore"])
    assert exc.value.code == 2 and "no backup" in capsys.readouterr().err
