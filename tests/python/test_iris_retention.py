"""``gbpower prune-iris``: off by default; deletes old IRIS rows only where the API table holds an
identical row — never the only copy (a different value, unknown extra fields, no API row at all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from loaders.cli import main
from loaders.warehouse.duckdb_writer import DuckDBWriter

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=2)


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    monkeypatch.setenv("GBPOWER_DUCKDB", str(path))
    monkeypatch.setenv("GBPOWER_TARGET", "duckdb")
    monkeypatch.delenv("GBPOWER_IRIS_RETENTION_DAYS", raising=False)
    DuckDBWriter(path).init()
    con = duckdb.connect(str(path))
    rows = [  # (table, time, frequency, _extra)
        ("bmrs_freq", OLD, 50.0, None),
        ("bmrs_freq_iris", OLD, 50.0, None),  # identical API copy: deletable
        ("bmrs_freq", OLD + timedelta(seconds=15), 50.1, None),
        ("bmrs_freq_iris", OLD + timedelta(seconds=15), 49.9, None),  # API says something else: keep
        ("bmrs_freq_iris", OLD + timedelta(seconds=30), 50.2, None),  # no API row: the only copy
        ("bmrs_freq", OLD + timedelta(seconds=45), 50.3, None),
        ("bmrs_freq_iris", OLD + timedelta(seconds=45), 50.3, '{"newField": 1}'),  # unknown field: keep
        ("bmrs_freq", RECENT, 50.4, None),
        ("bmrs_freq_iris", RECENT, 50.4, None),  # identical but recent: keep
    ]
    for table, t, f, extra in rows:
        source = "iris" if table.endswith("_iris") else "api"
        con.execute(
            f"INSERT INTO raw.{table} (dataset, measurementTime, frequency, _source, _extra) "
            "VALUES ('FREQ', ?, ?, ?, ?)",
            [t, f, source, extra],
        )
    con.close()
    return path


def iris_times(path) -> list[datetime]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT measurementTime FROM raw.bmrs_freq_iris ORDER BY 1").fetchall()]
    finally:
        con.close()


def test_off_by_default(db, capsys):
    assert main(["prune-iris"]) == 0
    assert "retention is off" in capsys.readouterr().out
    assert len(iris_times(db)) == 5


def test_deletes_only_old_rows_the_api_holds_identically(db, capsys):
    assert main(["prune-iris", "--older-than", "30", "--dataset", "FREQ", "--dry-run"]) == 0
    assert "would delete         1" in capsys.readouterr().out and len(iris_times(db)) == 5
    assert main(["prune-iris", "--older-than", "30"]) == 0
    out = capsys.readouterr().out
    assert "FREQ      deleted         1  kept (no API copy)         3" in out
    assert iris_times(db) == [OLD + timedelta(seconds=s) for s in (15, 30, 45)] + [RECENT]
    api = duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM raw.bmrs_freq").fetchone()[0]
    assert api == 4  # the API side is untouched


def test_env_setting_and_minimum(db, monkeypatch, capsys):
    monkeypatch.setenv("GBPOWER_IRIS_RETENTION_DAYS", "30")
    assert main(["prune-iris"]) == 0
    assert len(iris_times(db)) == 4
    with pytest.raises(SystemExit) as exc:
        main(["prune-iris", "--older-than", "2"])
    assert exc.value.code == 2 and ">= 4 days" in capsys.readouterr().err
