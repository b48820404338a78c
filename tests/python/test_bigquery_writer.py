"""BigQueryWriter against the local BigQuery emulator (bqemulator, real REST on loopback).

Emulator differences from BigQuery that these tests work around (none of them hides a check):
* Table expiration is not reported back (``Table.expires`` is None), so the staging tables' one-day
  expiry is not asserted; that they are dropped is.
* Query parameters are ignored inside multi-statement scripts, which is why the writer declares
  script variables (see loaders/warehouse/bigquery_writer.py); ``query()`` parameters are tested.
* Job locations are always reported as US.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.registry import get_dataset
from loaders.time_window import Window
from loaders.warehouse import bigquery_writer
from loaders.warehouse.base import MessageRecord, TableBatch, WriterError
from loaders.warehouse.bigquery_tables import all_table_specs, raw_table_spec
from loaders.warehouse.ddl import arrow_schema

pytestmark = pytest.mark.bigquery

BOALF = get_dataset("BOALF")  # timestamp window (timeFrom), partitioned on settlementDate, clustered
DISEBSP = get_dataset("DISEBSP")  # settlement-date window
BMUNITS = get_dataset("BMUNITS")  # snapshot: whole table replaced

# BigQuery's REST API reports legacy type names; the DDL uses standard SQL names.
_LEGACY = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}

T0 = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)


def hour_window(h: int) -> Window:
    return Window(T0 + timedelta(hours=h), T0 + timedelta(hours=h + 1), date(2024, 3, 1))


def write_batch(path: Path, dataset, table: str, rows: list[dict[str, Any]]) -> TableBatch:
    """A Parquet batch as the loaders write it; ``_batch_id`` is the file's name."""
    schema = arrow_schema(dataset)
    full = [{name: r.get(name) for name in schema.names} | {"_batch_id": path.stem} for r in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)
    return TableBatch(dataset=dataset, table=table, parquet=path, rows=len(rows))


def boalf_rows(window: Window, n: int, unit: str, source: str = "api", msg: str | None = None) -> list[dict]:
    start = window.start.replace(tzinfo=None)
    return [
        {
            "settlementDate": window.settlement_date,
            "settlementPeriodFrom": 1,
            "settlementPeriodTo": 1,
            "timeFrom": start + timedelta(minutes=5 * i),
            "timeTo": start + timedelta(minutes=5 * i + 5),
            "levelFrom": float(i),
            "levelTo": float(i + 1),
            "acceptanceNumber": 1000 + i,
            "acceptanceTime": start,
            "bmUnit": unit,
            "nationalGridBmUnit": unit,
            "_source": source,
            "_message_id": msg,
        }
        for i in range(n)
    ]


def boalf_by_hour(writer) -> dict[int, list[tuple]]:
    rows = writer.query(
        "SELECT EXTRACT(HOUR FROM timeFrom), bmUnit, acceptanceNumber, _batch_id, _ingested_at "
        "FROM bmrs_boalf ORDER BY 1, 3"
    )
    out: dict[int, list[tuple]] = {}
    for r in rows:
        out.setdefault(int(r[0]), []).append(tuple(r[1:]))
    return out


def state_rows(writer) -> list[tuple]:
    return writer.query(
        "SELECT dataset, window_start, window_end, row_count, batch_id FROM gbpower_windows "
        "ORDER BY dataset, window_start"
    )


def staging_tables(writer) -> list[str]:
    tables = writer.client.list_tables(f"{writer.project}.{writer.dataset}")
    return [t.table_id for t in tables if t.table_id.startswith("_gbpower_stage_")]


def test_init_creates_every_table_with_schema_partitioning_and_clustering(bq_writer):
    client = bq_writer.client
    for spec in all_table_specs():
        table = client.get_table(bq_writer.table_id(spec.name))
        got = [(f.name, _LEGACY.get(f.field_type, f.field_type)) for f in table.schema]
        assert got == list(spec.columns), spec.name
        if spec.partition_column:
            assert table.time_partitioning is not None, spec.name
            assert table.time_partitioning.field == spec.partition_column
            assert table.time_partitioning.type_ == "DAY"
        else:
            assert table.time_partitioning is None, spec.name
        assert list(table.clustering_fields or []) == list(spec.clustering), spec.name
    boalf = client.get_table(bq_writer.table_id("bmrs_boalf"))
    assert boalf.time_partitioning.field == "settlementDate"
    assert boalf.clustering_fields == ["bmUnit"]
    freq = client.get_table(bq_writer.table_id("bmrs_freq"))
    assert freq.time_partitioning.field == "measurementTime"  # TIMESTAMP column: DAY partitions


def test_init_is_idempotent_and_keeps_data(bq_writer, tmp_path):
    w = hour_window(1)
    bq_writer.replace_window(write_batch(tmp_path / "b.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 2, "U1")), w, "b1")
    bq_writer.init()
    bq_writer.init()
    assert len(bq_writer.query("SELECT * FROM bmrs_boalf")) == 2
    assert len(state_rows(bq_writer)) == 1


def test_replace_window_is_idempotent_and_leaves_neighbours(bq_writer, tmp_path):
    for h in (0, 1, 2):
        w = hour_window(h)
        batch = write_batch(tmp_path / f"w{h}.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 3, f"U{h}"))
        assert bq_writer.replace_window(batch, w, f"first-{h}") == 3
    before = boalf_by_hour(bq_writer)
    assert {h: len(r) for h, r in before.items()} == {0: 3, 1: 3, 2: 3}

    w1 = hour_window(1)
    again = write_batch(tmp_path / "again.parquet", BOALF, "bmrs_boalf", boalf_rows(w1, 2, "NEW"))
    bq_writer.replace_window(again, w1, "second")
    bq_writer.replace_window(again, w1, "third")
    after = boalf_by_hour(bq_writer)

    assert [r[:3] for r in after[1]] == [("NEW", 1000, "again"), ("NEW", 1001, "again")]
    assert after[0] == before[0] and after[2] == before[2]  # neighbours untouched, same _ingested_at
    assert all(isinstance(r[3], datetime) for r in after[1])  # _ingested_at set by the writer
    state = state_rows(bq_writer)
    assert [(s[1], s[2], s[3], s[4]) for s in state] == [
        (hour_window(0).start, hour_window(0).end, 3, "first-0"),
        (w1.start, w1.end, 2, "third"),
        (hour_window(2).start, hour_window(2).end, 3, "first-2"),
    ]
    assert bq_writer.completed_windows(BOALF) == {(hour_window(h).start, hour_window(h).end) for h in range(3)}
    assert staging_tables(bq_writer) == []


def test_settlement_date_window_replaces_only_that_date(bq_writer, tmp_path):
    def rows(d: date, n: int, price: float) -> list[dict]:
        return [{"settlementDate": d, "settlementPeriod": p, "systemSellPrice": price} for p in range(1, n + 1)]

    d1, d2 = date(2024, 3, 30), date(2024, 3, 31)  # d2 is the spring clock change: 46 periods
    win = {
        d: Window(
            datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(hours=1),
            datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(hours=22),
            d,
        )
        for d in (d1, d2)
    }
    bq_writer.replace_window(
        write_batch(tmp_path / "a.parquet", DISEBSP, "bmrs_disebsp", rows(d1, 48, 10.0)), win[d1], "a"
    )
    bq_writer.replace_window(
        write_batch(tmp_path / "b.parquet", DISEBSP, "bmrs_disebsp", rows(d2, 46, 20.0)), win[d2], "b"
    )
    bq_writer.replace_window(
        write_batch(tmp_path / "c.parquet", DISEBSP, "bmrs_disebsp", rows(d2, 46, 30.0)), win[d2], "c"
    )
    got = bq_writer.query(
        "SELECT settlementDate, COUNT(*), MIN(systemSellPrice), MAX(systemSellPrice) FROM bmrs_disebsp "
        "GROUP BY 1 ORDER BY 1"
    )
    assert got == [(d1, 48, 10.0, 10.0), (d2, 46, 30.0, 30.0)]


def test_snapshot_replaces_whole_table_without_state(bq_writer, tmp_path):
    def units(names: list[str]) -> list[dict]:
        return [{"nationalGridBmUnit": n, "elexonBmUnit": f"E_{n}"} for n in names]

    bq_writer.replace_window(
        write_batch(tmp_path / "a.parquet", BMUNITS, "bmrs_bmunits", units(["A", "B", "C"])), None, "s1"
    )
    bq_writer.replace_window(
        write_batch(tmp_path / "b.parquet", BMUNITS, "bmrs_bmunits", units(["B", "D"])), None, "s2"
    )
    assert bq_writer.query("SELECT nationalGridBmUnit FROM bmrs_bmunits ORDER BY 1") == [("B",), ("D",)]
    assert state_rows(bq_writer) == []


def test_batch_with_wrong_schema_fails_and_changes_nothing(bq_writer, tmp_path):
    w = hour_window(4)
    bq_writer.replace_window(
        write_batch(tmp_path / "ok.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 2, "OK")), w, "good"
    )
    before, state_before = boalf_by_hour(bq_writer), state_rows(bq_writer)

    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"timeFrom": ["not a timestamp"], "bmUnit": ["X"]}), bad)
    with pytest.raises(WriterError) as err:
        bq_writer.replace_window(TableBatch(BOALF, "bmrs_boalf", bad, 1), w, "bad")
    msg = str(err.value)
    assert "BOALF" in msg and w.label() in msg and "bad.parquet" in msg
    assert "missing columns" in msg and "timeFrom" in msg

    assert boalf_by_hour(bq_writer) == before
    assert state_rows(bq_writer) == state_before
    assert staging_tables(bq_writer) == []


def test_failure_inside_the_transaction_rolls_everything_back(bq_writer, tmp_path, monkeypatch):
    """Fault injection: the script fails after its DELETE and INSERTs, just before COMMIT."""
    w = hour_window(5)
    bq_writer.replace_window(
        write_batch(tmp_path / "ok.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 3, "KEEP")), w, "good"
    )
    before, state_before = boalf_by_hour(bq_writer), state_rows(bq_writer)

    real_script = bigquery_writer._script

    def failing_script(decls, stmts, result=None):
        return real_script(decls, [*stmts, "SELECT ERROR('injected failure')"], result)

    monkeypatch.setattr(bigquery_writer, "_script", failing_script)
    batch = write_batch(tmp_path / "new.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 1, "LOST"))
    with pytest.raises(WriterError, match="injected failure") as err:
        bq_writer.replace_window(batch, w, "doomed")
    assert "BOALF" in str(err.value) and w.label() in str(err.value)
    assert boalf_by_hour(bq_writer) == before
    assert state_rows(bq_writer) == state_before
    assert staging_tables(bq_writer) == []


def test_batch_id_with_quotes_is_stored_verbatim(bq_writer, tmp_path):
    w = hour_window(6)
    odd = "run 'x'\\y; DROP TABLE gbpower_windows; --"
    bq_writer.replace_window(write_batch(tmp_path / "b.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 1, "Q")), w, odd)
    assert [s[4] for s in state_rows(bq_writer)] == [odd]


def test_append_messages_skips_redelivered_messages(bq_writer, tmp_path):
    w = hour_window(7)

    def iris_batch(name: str, msgs: dict[str, int]) -> TableBatch:
        rows: list[dict] = []
        for m, n in msgs.items():
            rows += boalf_rows(w, n, f"U_{m}", source="iris", msg=m)
        return write_batch(tmp_path / name, BOALF, "bmrs_boalf_iris", rows)

    first = iris_batch("1.parquet", {"m1": 2, "m2": 3})
    records = [MessageRecord("m1", "BOALF", 2), MessageRecord("m2", "BOALF", 3)]
    assert bq_writer.append_messages([first], records, "iris-1") == 5

    # m2 is redelivered together with a new message m3: only m3's rows land.
    second = iris_batch("2.parquet", {"m2": 3, "m3": 1})
    records2 = [MessageRecord("m2", "BOALF", 3), MessageRecord("m3", "BOALF", 1)]
    assert bq_writer.append_messages([second], records2, "iris-2") == 1
    assert bq_writer.append_messages([second], records2, "iris-3") == 0

    counts = bq_writer.query("SELECT _message_id, COUNT(*) FROM bmrs_boalf_iris GROUP BY 1 ORDER BY 1")
    assert counts == [("m1", 2), ("m2", 3), ("m3", 1)]
    msgs = bq_writer.query("SELECT message_id, record_count, batch_id FROM iris_messages ORDER BY 1")
    assert msgs == [("m1", 2, "iris-1"), ("m2", 3, "iris-1"), ("m3", 1, "iris-2")]
    assert bq_writer.query("SELECT COUNT(*) FROM bmrs_boalf") == [(0,)]  # API table untouched
    assert staging_tables(bq_writer) == []


def test_append_messages_failure_records_nothing(bq_writer, tmp_path):
    good = write_batch(
        tmp_path / "g.parquet", BOALF, "bmrs_boalf_iris", boalf_rows(hour_window(8), 2, "G", "iris", "g1")
    )
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"x": [1]}), bad)
    with pytest.raises(WriterError, match=r"bad\.parquet"):
        bq_writer.append_messages(
            [good, TableBatch(DISEBSP, "bmrs_disebsp_iris", bad, 1)],
            [MessageRecord("g1", "BOALF", 2), MessageRecord("b1", "DISEBSP", 1)],
            "iris-bad",
        )
    assert bq_writer.query("SELECT COUNT(*) FROM bmrs_boalf_iris") == [(0,)]
    assert bq_writer.query("SELECT COUNT(*) FROM iris_messages") == [(0,)]
    assert staging_tables(bq_writer) == []


def test_query_binds_positional_parameters(bq_writer, tmp_path):
    w = hour_window(9)
    bq_writer.replace_window(write_batch(tmp_path / "b.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 4, "P")), w, "p")
    got = bq_writer.query(
        "SELECT COUNT(*) FROM bmrs_boalf WHERE bmUnit = ? AND timeFrom >= ? AND acceptanceNumber > ? "
        "AND settlementDate = ?",
        ["P", w.start + timedelta(minutes=5), 1000, date(2024, 3, 1)],
    )
    assert got == [(3,)]
    assert bq_writer.query("SELECT ?", ["it's"]) == [("it's",)]


def test_init_adds_registry_columns_missing_from_an_existing_table(bq_writer, tmp_path):
    """Emulator difference: after ``ALTER TABLE … ADD COLUMN`` the emulator's table metadata
    (``get_table().schema``) still lists the old columns while its data table has the new ones, so
    this asserts through queries and a load rather than through the reported schema."""
    from google.cloud import bigquery

    client = bq_writer.client
    table_id = bq_writer.table_id("bmrs_freq")
    client.delete_table(table_id)
    old = bigquery.Table(table_id, schema=[bigquery.SchemaField("measurementTime", "TIMESTAMP")])
    client.create_table(old)
    client.query(f"INSERT INTO `{table_id}` (measurementTime) VALUES (TIMESTAMP '2024-01-01 00:00:00+00')").result()

    bq_writer.init()
    assert bq_writer.query("SELECT measurementTime, frequency, _source FROM bmrs_freq") == [
        (datetime(2024, 1, 1, tzinfo=UTC), None, None)
    ]
    bq_writer.init()  # again: nothing left to add, no error
    w = Window(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 2, 1, tzinfo=UTC))
    rows = [{"measurementTime": datetime(2024, 1, 2, 0, 0, 15), "frequency": 50.02, "_source": "api"}]
    bq_writer.replace_window(write_batch(tmp_path / "f.parquet", get_dataset("FREQ"), "bmrs_freq", rows), w, "f")
    assert bq_writer.query("SELECT frequency FROM bmrs_freq WHERE frequency IS NOT NULL") == [(50.02,)]


def test_fixture_env_configures_a_subprocess(bq_emulator, tmp_path):
    """``bq_emulator.env`` is all a subprocess (dbt, the CLI) needs to reach the emulator."""
    import os
    import subprocess
    import sys
    import uuid

    dataset = f"raw_{uuid.uuid4().hex[:10]}"
    env = {**os.environ, **bq_emulator.env, "GBPOWER_BQ_RAW_DATASET": dataset}
    code = (
        "from loaders.warehouse import open_writer\n"
        "w = open_writer()\n"
        "print(type(w).__name__, w.project, w.dataset, w.query('SELECT COUNT(*) FROM gbpower_windows'))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["BigQueryWriter", bq_emulator.project, dataset, "[(0,)]"]
    tables = {t.table_id for t in bq_emulator.client().list_tables(f"{bq_emulator.project}.{dataset}")}
    assert {"bmrs_boalf", "gbpower_windows", "iris_messages"} <= tables


def test_window_replace_deletes_within_the_recorded_partition_days(bq_writer, tmp_path):
    """BOALF is windowed on ``timeFrom`` but partitioned on ``settlementDate``: a replace deletes
    only within the days its overlapping windows recorded, and still catches every row, including a
    row whose settlement date is the day before (23:00 UTC in summer belongs to the next date)."""
    w = hour_window(0)
    rows = boalf_rows(w, 3, "U1")
    rows[0]["settlementDate"] = date(2024, 2, 29)  # a different partition from the window's date
    bq_writer.replace_window(write_batch(tmp_path / "a.parquet", BOALF, "bmrs_boalf", rows), w, "a")
    days = bq_writer.query("SELECT partition_lo, partition_hi FROM gbpower_windows")
    assert days == [(date(2024, 2, 29), date(2024, 3, 1))]

    # A day-long window overlapping the hour: its replace must delete all three rows of the hour.
    day = Window(T0, T0 + timedelta(days=1), date(2024, 3, 1))
    bq_writer.replace_window(write_batch(tmp_path / "b.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 2, "U2")), day, "b")
    assert sorted(r[0] for r in bq_writer.query("SELECT bmUnit FROM bmrs_boalf")) == ["U2", "U2"]

    # An empty load records no days and does not widen later bounds to the whole table.
    empty = hour_window(5)
    bq_writer.replace_window(write_batch(tmp_path / "e.parquet", BOALF, "bmrs_boalf", []), empty, "e")
    recorded = bq_writer.query("SELECT row_count, partition_lo FROM gbpower_windows WHERE batch_id = 'e'")
    assert recorded == [(0, None)]
    script = bq_writer.replace_window_script(raw_table_spec(BOALF, "bmrs_boalf"), "stage", BOALF, empty, "x", 0)
    assert "partition_lo IS NULL AND row_count > 0" in script


def test_window_recorded_before_partition_days_falls_back_to_the_whole_table(bq_writer, tmp_path):
    """State rows written before ``partition_lo``/``partition_hi`` existed have no days: the replace
    of an overlapping window then deletes across every partition, so nothing is doubled."""
    w = hour_window(2)
    rows = boalf_rows(w, 2, "OLD")
    rows[1]["settlementDate"] = date(2024, 1, 15)
    bq_writer.replace_window(write_batch(tmp_path / "a.parquet", BOALF, "bmrs_boalf", rows), w, "a")
    bq_writer.query("UPDATE gbpower_windows SET partition_lo = NULL, partition_hi = NULL WHERE TRUE")
    bq_writer.replace_window(write_batch(tmp_path / "b.parquet", BOALF, "bmrs_boalf", boalf_rows(w, 2, "NEW")), w, "b")
    assert sorted(r[0] for r in bq_writer.query("SELECT bmUnit FROM bmrs_boalf")) == ["NEW", "NEW"]
    assert bq_writer.query("SELECT partition_lo, partition_hi FROM gbpower_windows") == [
        (date(2024, 3, 1), date(2024, 3, 1))
    ]
