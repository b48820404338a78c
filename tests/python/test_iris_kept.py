"""Well-formed IRIS messages of datasets the registry does not know are kept, not lost.

Service Bus (fake receiver, the Azure boundary) and ``--from-dir`` files into a real DuckDB file:
a message of an unregistered dataset lands in ``raw.iris_kept_messages`` in the batch's own
transaction and is completed; a redelivery or a re-dropped file keeps nothing twice; an undecodable
body is still dead-lettered and quarantined with every byte. Then the dataset is added to the
registry (in-test) and ``gbpower iris promote`` loads every kept record exactly once through the
normal validation path (a bad record is quarantined), atomically; re-running adds nothing."""

from __future__ import annotations

import dataclasses
import json

import duckdb
import pytest

from loaders import cli
from loaders.iris.drain import DirectoryDrain, DrainOptions
from loaders.iris.heartbeat import Heartbeat
from loaders.iris.promote import kept_counts, promote_kept
from loaders.iris.service import IrisService, ServiceOptions
from loaders.iris.synth import make_record
from loaders.registry import DATASETS, get_dataset
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.iris_fakes import FakeMessage, FakeReceiver
from tests.python.openapi_records import example_record


def syswarn(i: int, **over) -> dict:
    """An IRIS SYSWARN record (fields and examples from the OpenAPI ``/datasets/SYSWARN`` row)."""
    rec = example_record("DatasetRows.SystemWarningsData")  # /datasets row = IRIS row
    rec.update(publishTime=f"2026-11-21T06:{i:02d}:00Z", warningText=f"{rec['warningText']} #{i}")
    rec.update(over)
    return rec


def register_syswarn(monkeypatch, aliases: tuple[str, ...] = ()) -> None:
    """Add SYSWARN to the registry for this test, as a developer adding the dataset would."""
    base = get_dataset("INDO")
    entry = dataclasses.replace(
        base,
        name="SYSWARN",
        aliases=aliases,
        description="System warnings.",
        route="/datasets/SYSWARN",
        columns_spec="dataset:string publishTime:timestamp! warningType:string warningText:string!",
        natural_key=("publishTime", "warningType"),
        version_columns=(),
        window_column="publishTime",
        partition_column="publishTime",
        policy=dataclasses.replace(base.policy, every_period=False),
        column_docs={},
        quirks=(),
        **({"freshness_column": None} if hasattr(base, "freshness_column") else {}),
    )
    monkeypatch.setitem(DATASETS, "SYSWARN", entry)


@pytest.fixture(autouse=True)
def _syswarn_unregistered(monkeypatch):
    """These tests use SYSWARN as an IRIS dataset the registry lacks; it is registered since the
    catalogue (#11), so each test takes it out (and register_syswarn adds a test entry back)."""
    monkeypatch.delitem(DATASETS, "SYSWARN", raising=False)


def _writer(db) -> DuckDBWriter:
    return DuckDBWriter(db, lock_timeout_s=0.5, memory_limit="1GB")


def _service(tmp_path, receiver, db) -> IrisService:
    return IrisService(
        lambda: receiver,
        _writer(db),
        ServiceOptions(
            max_messages=50,
            max_wait_s=0.2,
            idle_exit_s=0.5,
            quarantine_root=tmp_path / "quarantine" / "iris",
            work_root=tmp_path / "work",
        ),
        heartbeat=Heartbeat(tmp_path / "hb.json"),
    )


def serve(tmp_path, db, messages) -> FakeReceiver:
    """Run the IRIS service over ``messages`` until the fake queue is idle."""
    receiver = FakeReceiver(messages)
    assert _service(tmp_path, receiver, db).run() == 0
    return receiver


def _q(db, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _syswarn_messages(n: int) -> list[FakeMessage]:
    return [
        FakeMessage([json.dumps([syswarn(i)]).encode()], "SYSWARN", f"SYSWARN_20261121060{i}_{i}.json")
        for i in range(n)
    ]


def test_unregistered_messages_are_kept_once_and_completed(tmp_path, duckdb_path):
    warns = _syswarn_messages(3)
    freq = FakeMessage([json.dumps([make_record("FREQ", 1)]).encode()], "FREQ", "FREQ_1.json")
    # no subject and no dataset field: decodable, so kept (as "unknown"), not quarantined
    anonymous = FakeMessage([json.dumps([{"x": 1}]).encode()], None, "ANON_1.json")
    # undecodable (truncated JSON, delivered as a one-shot body in two sections): quarantined whole
    broken = b'[{"dataset": "NDF", "publishTime": "2026-11-21T06:00:00Z", "dem'
    undecodable = FakeMessage([broken[:20], broken[20:]], "NDF", "NDF_1.json")
    receiver = FakeReceiver([*warns, freq, anonymous, undecodable])
    assert _service(tmp_path, receiver, duckdb_path).run() == 0

    assert {m.message_id for m in receiver.completed} == {m.message_id for m in (*warns, freq, anonymous)}
    assert [(m.message_id, r) for m, r, _ in receiver.dead_lettered] == [("NDF_1.json", "undecodable")]
    q = tmp_path / "quarantine" / "iris"
    assert (q / "NDF" / "NDF_1.json").read_bytes() == broken
    assert sorted(p.parent.name for p in q.rglob("*.json")) == ["NDF"]  # nothing else quarantined

    kept = _q(
        duckdb_path,
        "SELECT message_id, dataset, subject, reason, record_count, body, batch_id, received_at "
        "FROM raw.iris_kept_messages ORDER BY message_id",
    )
    assert [k[:5] for k in kept] == [
        ("ANON_1.json", "unknown", None, "no_dataset", 1),
        *[(m.message_id, "SYSWARN", "SYSWARN", "unregistered_dataset", 1) for m in warns],
    ]
    assert [json.loads(k[5]) for k in kept[1:]] == [[syswarn(i)] for i in range(3)]
    # kept in the same transaction as the batch's typed rows
    freq_batch = _q(duckdb_path, "SELECT batch_id FROM raw.iris_messages WHERE message_id = 'FREQ_1.json'")[0][0]
    assert {k[6] for k in kept} == {freq_batch}
    assert all(k[7] is not None for k in kept)

    # redelivery (lock lost after the commit, or a crash before complete): nothing kept twice
    receiver.send(*(FakeMessage(m.body, m.subject, m.message_id) for m in (*warns, anonymous)))
    receiver.send(FakeMessage(warns[0].body, "SYSWARN", warns[0].message_id))  # twice in one batch
    assert _service(tmp_path, receiver, duckdb_path).run() == 0
    assert _q(duckdb_path, "SELECT count(*), count(DISTINCT message_id) FROM raw.iris_kept_messages")[0] == (4, 4)
    assert receiver.pending() == 0 and len(receiver.dead_lettered) == 1


def test_from_dir_files_of_unregistered_datasets_are_kept_once(tmp_path, duckdb_path):
    src = tmp_path / "iris"
    (src / "SYSWARN").mkdir(parents=True)
    for i in range(4):
        (src / "SYSWARN" / f"SYSWARN_{i}.json").write_text(json.dumps([syswarn(i), syswarn(i + 10)]))
    opts = DrainOptions(min_age_s=0, settle_s=0, work_root=tmp_path / "work", batch_files=3)
    assert DirectoryDrain(src, _writer(duckdb_path), opts, heartbeat=Heartbeat(tmp_path / "hb.json")).run() == 0
    assert sorted(p.name for p in (src / "processed" / "SYSWARN").iterdir()) == [f"SYSWARN_{i}.json" for i in range(4)]
    # the same file dropped again (a crash between commit and move): kept once
    (src / "SYSWARN" / "SYSWARN_0.json").write_bytes((src / "processed" / "SYSWARN" / "SYSWARN_0.json").read_bytes())
    assert DirectoryDrain(src, _writer(duckdb_path), opts, heartbeat=Heartbeat(tmp_path / "hb.json")).run() == 0
    assert kept_counts(_writer(duckdb_path)) == [("SYSWARN", "unregistered_dataset", 4)]
    assert _q(duckdb_path, "SELECT sum(record_count) FROM raw.iris_kept_messages")[0][0] == 8


def test_promote_after_registering_lands_every_record_once(tmp_path, duckdb_path, monkeypatch, capsys):
    warns = _syswarn_messages(5)
    bad = FakeMessage(
        [json.dumps([syswarn(8), syswarn(9, publishTime="not a time")]).encode()], "SYSWARN", "SYSWARN_bad.json"
    )
    receiver = FakeReceiver([*warns, bad])
    assert _service(tmp_path, receiver, duckdb_path).run() == 0
    assert kept_counts(_writer(duckdb_path)) == [("SYSWARN", "unregistered_dataset", 6)]
    with pytest.raises(SystemExit) as exit_:  # not in the registry yet: a usage error
        cli.main(["iris", "promote", "--dataset", "SYSWARN"])
    assert exit_.value.code == 2

    monkeypatch.setenv("GBPOWER_DUCKDB", str(duckdb_path))
    monkeypatch.setenv("GBPOWER_QUARANTINE_DIR", str(tmp_path / "quarantine"))
    monkeypatch.setenv("GBPOWER_WORK_DIR", str(tmp_path / "work"))
    assert cli.main(["iris", "kept"]) == 0
    assert "SYSWARN          unregistered_dataset           6  not in the registry" in capsys.readouterr().out
    register_syswarn(monkeypatch)
    assert cli.main(["iris", "kept"]) == 0
    assert "6  loadable: run `gbpower iris promote`" in capsys.readouterr().out
    assert cli.main(["iris", "promote", "--page", "2"]) == 0  # three transactions
    assert "SYSWARN: 5 message(s) loaded, 1 quarantined, 0 still kept" in capsys.readouterr().out

    rows = _q(duckdb_path, 'SELECT "warningText", _message_id, _source FROM raw.bmrs_syswarn_iris ORDER BY 1')
    assert sorted(r[0] for r in rows) == sorted(syswarn(i)["warningText"] for i in range(5))
    assert {r[2] for r in rows} == {"iris"}
    assert {r[1] for r in rows} == {m.message_id for m in warns}
    assert _q(duckdb_path, "SELECT count(*) FROM raw.iris_messages WHERE dataset = 'SYSWARN'")[0][0] == 5
    marks = dict(_q(duckdb_path, "SELECT message_id, promote_outcome FROM raw.iris_kept_messages"))
    assert marks == {**{m.message_id: "loaded" for m in warns}, "SYSWARN_bad.json": "quarantined"}
    assert _q(duckdb_path, "SELECT count(*) FROM raw.iris_kept_messages WHERE promoted_at IS NULL")[0][0] == 0
    reason = (tmp_path / "quarantine" / "iris" / "SYSWARN" / "SYSWARN_bad.json.reason").read_text()
    assert "bad_records" in reason and "publishTime" in reason
    assert kept_counts(_writer(duckdb_path)) == []

    # re-running adds nothing; neither does forcing the kept rows back to "not promoted"
    assert cli.main(["iris", "promote"]) == 0
    con = duckdb.connect(str(duckdb_path))
    con.execute("UPDATE raw.iris_kept_messages SET promoted_at = NULL, promote_outcome = NULL")
    con.close()
    res = promote_kept(_writer(duckdb_path), work_root=tmp_path / "work", quarantine_root=tmp_path / "quarantine")
    assert res.inserted == 0 and res.loaded["SYSWARN"] == 5
    # a live redelivery after the registration goes the typed way and is skipped as already loaded
    receiver.send(FakeMessage(warns[0].body, "SYSWARN", warns[0].message_id))
    assert _service(tmp_path, receiver, duckdb_path).run() == 0
    assert _q(duckdb_path, "SELECT count(*) FROM raw.bmrs_syswarn_iris")[0][0] == 5


def test_promote_is_atomic(tmp_path, duckdb_path, monkeypatch):
    """A commit that fails leaves the kept rows unmarked and no typed row behind."""
    receiver = FakeReceiver(_syswarn_messages(3))
    assert _service(tmp_path, receiver, duckdb_path).run() == 0
    register_syswarn(monkeypatch)
    writer = _writer(duckdb_path)

    def fail(con, promoted, batch_id, now):
        raise duckdb.Error("disk full (injected)")

    monkeypatch.setattr(DuckDBWriter, "_mark_promoted", staticmethod(fail))
    from loaders.warehouse.base import WriterError

    with pytest.raises(WriterError):
        promote_kept(writer, work_root=tmp_path / "work", quarantine_root=tmp_path / "quarantine")
    assert _q(duckdb_path, "SELECT count(*) FROM raw.bmrs_syswarn_iris")[0][0] == 0
    assert _q(duckdb_path, "SELECT count(*) FROM raw.iris_messages")[0][0] == 0
    assert kept_counts(writer) == [("SYSWARN", "unregistered_dataset", 3)]


def test_promote_matches_kept_messages_by_registry_name(tmp_path, duckdb_path, monkeypatch):
    """IRIS spells some codes differently from the API (the archive's SYS_WARN is the API's SYSWARN):
    kept under the subject's spelling, promoted by the registry name once it is an alias."""
    msgs = [FakeMessage([json.dumps([syswarn(i)]).encode()], "SYS_WARN", f"SYS_WARN_{i}.json") for i in range(2)]
    assert _service(tmp_path, FakeReceiver(msgs), duckdb_path).run() == 0
    assert kept_counts(_writer(duckdb_path)) == [("SYS_WARN", "unregistered_dataset", 2)]
    register_syswarn(monkeypatch, aliases=("SYS_WARN",))
    res = promote_kept(
        _writer(duckdb_path), ["SYSWARN"], work_root=tmp_path / "work", quarantine_root=tmp_path / "quarantine"
    )
    assert res.loaded["SYS_WARN"] == 2 and res.inserted == 2
    assert _q(duckdb_path, "SELECT count(*) FROM raw.bmrs_syswarn_iris")[0][0] == 2
