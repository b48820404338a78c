"""The loaders give DuckDB no statement parameters (loaders/warehouse/duckdb_literals.py): a bound
parameter makes DuckDB's Python client import pandas and NumPy, ~85 MB and ~0.5 s in every loader
process. Values go into the SQL as literals; these tests check the literals round-trip through DuckDB
exactly, and that a real backfill into DuckDB never imports pandas."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from loaders.warehouse.duckdb_literals import bind, literal
from tests.python.dbt_harness import ROOT


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -42,
        2**40,
        1.5,
        -0.001,
        1e-300,
        0.1 + 0.2,
        "",
        "O'Brien's ''quoted'' ? text",
        'a "double" quote; -- not a comment',
        "2024-01-30T00:00:00Z",
        datetime(2024, 1, 30, 23, 59, 59, 123456),
        datetime(2024, 3, 31),
        date(2024, 10, 27),
    ],
)
def test_a_literal_reads_back_as_the_value(value):
    con = duckdb.connect()
    try:
        assert con.execute(f"SELECT {literal(value)}").fetchone()[0] == value
    finally:
        con.close()


def test_bind_fills_placeholders_outside_quotes_only():
    sql = bind("SELECT ?, '?' AS q, \"a?b\", ? WHERE x = 'it''s ?'", ["x'y", datetime(2024, 1, 1)])
    assert sql == "SELECT 'x''y', '?' AS q, \"a?b\", TIMESTAMP '2024-01-01 00:00:00' WHERE x = 'it''s ?'"
    assert bind("SELECT 1", None) == "SELECT 1"


def test_an_aware_timestamp_is_written_in_utc():
    from datetime import timedelta, timezone

    bst = timezone(timedelta(hours=1))
    assert literal(datetime(2024, 6, 1, 1, 30, tzinfo=bst)) == "TIMESTAMP '2024-06-01 00:30:00'"
    assert literal(datetime(2024, 6, 1, 0, 30, tzinfo=UTC)) == "TIMESTAMP '2024-06-01 00:30:00'"


def test_bind_refuses_what_it_cannot_render_exactly():
    with pytest.raises(ValueError, match="more placeholders"):
        bind("SELECT ?, ?", [1])
    with pytest.raises(ValueError, match="2 parameter"):
        bind("SELECT ?", [1, 2])
    with pytest.raises(ValueError, match="float"):
        literal(float("nan"))
    with pytest.raises(TypeError, match="list"):
        literal([1, 2])


def test_a_backfill_into_duckdb_never_imports_pandas(tmp_path: Path):
    """A fresh interpreter lands two days of real system prices and BOD through the replay API and the
    DuckDB writer (window state read, windows replaced, state recorded), then reports its modules."""
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import date
        from pathlib import Path
        from loaders.samples.store import build_store
        from tests.python.dbt_harness import load_via_replay
        tmp = Path({str(tmp_path)!r})
        days = [date(2025, 10, 26), date(2025, 10, 27)]
        build_store(tmp / "store", days, include_real=False, datasets=("DISEBSP", "BOD", "SYSWARN"))
        jobs = [(d, days[0], days[1]) for d in ("DISEBSP", "BOD", "SYSWARN")]
        load_via_replay(tmp / "w.duckdb", tmp / "store", tmp / "work", jobs)
        load_via_replay(tmp / "w.duckdb", tmp / "store", tmp / "work", jobs, force=True)
        import duckdb
        con = duckdb.connect(str(tmp / "w.duckdb"), read_only=True)
        print("ROWS", con.execute("SELECT count(*) FROM raw.bmrs_bod").fetchone()[0])
        print("WINDOWS", con.execute("SELECT count(*) FROM raw.gbpower_windows").fetchone()[0])
        print("PANDAS", "pandas" in sys.modules, "numpy" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.split(" ", 1)[0].isupper())
    assert int(lines["ROWS"]) > 0 and int(lines["WINDOWS"]) == 6  # 3 datasets x 2 days, reloaded in place
    assert lines["PANDAS"] == "False False"


def test_iris_batches_kept_and_promoted_messages_never_import_pandas(tmp_path: Path):
    """The IRIS writer hands DuckDB its message ids, kept messages and promotions as VALUES literals
    (``fill_temp_table``), not registered Arrow tables: a fresh interpreter writes all three (a body
    with quotes, newlines and non-ASCII text; a redelivery adds nothing) and reads them back."""
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import datetime
        from pathlib import Path
        from loaders.warehouse.base import MessageRecord
        from loaders.warehouse.duckdb_writer import DuckDBWriter
        from loaders.warehouse.kept_messages import KeptMessage, Promotion
        w = DuckDBWriter(Path({str(tmp_path / "w.duckdb")!r}))
        w.init()
        body = '[{{"note": "it\\'s 5\\\\u00b0C\\\\nand \u00a3 sign"}}]'
        at = datetime(2026, 1, 2, 3, 4, 5)
        kept = [KeptMessage("k1", "SOAKX", "SOAKX", "unregistered_dataset", "d", 1, body, at)]
        msgs = [MessageRecord(f"m{{i}}", "FREQ", i) for i in range(1200)]  # more than one VALUES chunk
        w.append_messages([], msgs, "b1", kept=kept)
        w.append_messages([], msgs[:5], "b2", kept=kept)  # redelivered: nothing twice
        w.append_messages([], [], "b3", promoted=[Promotion("k1", "loaded")])
        import duckdb
        con = duckdb.connect({str(tmp_path / "w.duckdb")!r}, read_only=True)
        print("MSGS", con.execute("SELECT count(*), sum(record_count) FROM raw.iris_messages").fetchone())
        kept_sql = "SELECT count(*), any_value(body), any_value(received_at) FROM raw.iris_kept_messages"
        n, text, received = con.execute(kept_sql).fetchone()
        print("KEPT", (n, text == body, received))
        promoted_sql = "SELECT promote_outcome, promoted_batch_id FROM raw.iris_kept_messages"
        print("PROMOTED", con.execute(promoted_sql).fetchone())
        print("PANDAS", "pandas" in sys.modules, "numpy" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.split(" ", 1)[0].isupper())
    assert lines["MSGS"] == str((1200, sum(range(1200))))
    assert lines["KEPT"] == "(1, True, datetime.datetime(2026, 1, 2, 3, 4, 5))"
    assert lines["PROMOTED"] == "('loaded', 'b3')"
    assert lines["PANDAS"] == "False False"
