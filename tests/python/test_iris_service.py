"""The IRIS Service Bus consumer against a fake receiver (the Azure boundary) and a real DuckDB file.

Checked: messages are completed only after their rows are committed; poison messages are
dead-lettered with a reason and quarantined without stopping the service; redelivered messages
never create a second row; a warehouse locked by another process keeps message locks renewed and
completes nothing until the commit succeeds (or abandons for redelivery when the retry budget runs
out); SIGTERM mid-batch commits and completes the batch and exits 0 within 10 s."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from loaders.iris.heartbeat import Heartbeat, read_heartbeat
from loaders.iris.service import IrisService, ServiceOptions
from loaders.iris.synth import make_record
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.iris_fakes import FakeMessage, FakeReceiver, synth_fake_messages

ROOT = Path(__file__).resolve().parents[2]


def _service(tmp_path, receiver, writer, **opts) -> IrisService:
    options = ServiceOptions(
        max_messages=opts.pop("max_messages", 50),
        max_wait_s=opts.pop("max_wait_s", 0.2),
        idle_exit_s=opts.pop("idle_exit_s", 0.5),
        quarantine_root=tmp_path / "quarantine" / "iris",
        work_root=tmp_path / "work",
        **opts,
    )
    return IrisService(lambda: receiver, writer, options, heartbeat=Heartbeat(tmp_path / "hb.json"))


def _writer(db: Path, lock_timeout_s: float = 0.5) -> DuckDBWriter:
    return DuckDBWriter(db, lock_timeout_s=lock_timeout_s, memory_limit="1GB")


def _count(db: Path, table: str, where: str = "true") -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM raw.{table} WHERE {where}").fetchone()[0]
    finally:
        con.close()


def _committed_ids(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT message_id FROM raw.iris_messages").fetchall()}
    finally:
        con.close()


def test_batches_land_and_messages_complete_only_after_commit(tmp_path, duckdb_path):
    msgs = synth_fake_messages(60)
    expected = {m.message_id: len(json.loads(b"".join(m.body))) for m in msgs}
    completed_before_commit: list[str] = []

    def check(kind, message):  # runs at the moment the service settles a delivery
        if kind == "complete" and message.message_id not in _committed_ids(duckdb_path):
            completed_before_commit.append(message.message_id)

    receiver = FakeReceiver(msgs, on_settle=check)
    writer = _writer(duckdb_path)
    svc = _service(tmp_path, receiver, writer, max_messages=25)
    assert svc.run() == 0

    assert completed_before_commit == []
    assert sorted(m.message_id for m in receiver.completed) == sorted(expected)
    assert receiver.abandoned == [] and receiver.dead_lettered == []
    assert _committed_ids(duckdb_path) == set(expected)
    total = sum(
        _count(duckdb_path, t)
        for t in (
            "bmrs_freq_iris",
            "bmrs_fuelinst_iris",
            "bmrs_bod_iris",
            "bmrs_boalf_iris",
            "bmrs_mels_iris",
            "bmrs_disebsp_iris",
        )
    )
    assert total == sum(expected.values())
    assert _count(duckdb_path, "bmrs_bod_iris", "_source <> 'iris' OR _message_id IS NULL") == 0
    hb = read_heartbeat(tmp_path / "hb.json")
    assert hb["messages"] == 60 and hb["records"] == total and hb["batches"] >= 3
    assert hb["pid"] == os.getpid() and hb["last_commit_utc"].endswith("Z")
    assert sum(d["records"] for d in hb["datasets"].values()) == total
    assert set(hb["datasets"]) == {"BOALF", "BOD", "DISEBSP", "FREQ", "FUELINST", "MELS"}


def test_poison_messages_are_dead_lettered_quarantined_and_do_not_stop_the_service(tmp_path, duckdb_path):
    good = synth_fake_messages(4)
    bad_type = make_record("FREQ", 999)
    bad_type["frequency"] = "fifty"  # fails the registry type
    half_bad = [make_record("FREQ", 1000), {**make_record("FREQ", 1001), "measurementTime": None}]
    poison = [
        FakeMessage([b"\x00not json"], "FREQ", "FREQ_undecodable.json"),
        FakeMessage([json.dumps([bad_type]).encode()], "FREQ", "FREQ_badtype.json"),
        FakeMessage([json.dumps(half_bad).encode()], "FREQ", "FREQ_halfbad.json"),
    ]
    # a well-formed message of a dataset the registry lacks is kept and completed, not poison
    unregistered = FakeMessage(
        [json.dumps([{"dataset": "OCNMFW", "warningText": "x"}]).encode()], "OCNMFW", "SYS_1.json"
    )
    later = synth_fake_messages(3, start=4)
    receiver = FakeReceiver([*good[:2], poison[0], unregistered, *poison[1:], *good[2:]])
    writer = _writer(duckdb_path)
    svc = _service(tmp_path, receiver, writer, max_messages=5)
    receiver.send(*later)
    assert svc.run() == 0

    reasons = {m.message_id: (r, d) for m, r, d in receiver.dead_lettered}
    assert set(reasons) == {m.message_id for m in poison}
    assert reasons["FREQ_undecodable.json"][0] == "undecodable"
    assert reasons["FREQ_badtype.json"][0] == "bad_records" and "frequency" in reasons["FREQ_badtype.json"][1]
    assert "measurementTime" in reasons["FREQ_halfbad.json"][1]
    assert {m.message_id for m in receiver.completed} == {m.message_id for m in (*good, *later, unregistered)}
    assert _committed_ids(duckdb_path) == {m.message_id for m in (*good, *later)}
    # nothing of a poison message landed, not even its valid record
    assert _count(duckdb_path, "bmrs_freq_iris", "_message_id LIKE 'FREQ_%bad%'") == 0
    q = tmp_path / "quarantine" / "iris"
    assert (q / "FREQ" / "FREQ_undecodable.json").read_bytes() == b"\x00not json"
    assert "undecodable" in (q / "FREQ" / "FREQ_undecodable.json.reason").read_text()
    assert not (q / "OCNMFW").exists()
    assert _count(duckdb_path, "iris_kept_messages", "message_id = 'SYS_1.json' AND dataset = 'OCNMFW'") == 1
    # the body is a one-shot generator (as in the SDK): the quarantine copy still holds every byte
    for m in poison:
        copy = q / "FREQ" / m.message_id
        assert copy.read_bytes() == b"".join(m.body), m.message_id
    assert "frequency: expected number" in (q / "FREQ" / "FREQ_badtype.json.reason").read_text()


def test_redelivery_never_creates_a_second_row(tmp_path, duckdb_path):
    msgs = synth_fake_messages(6)
    dup_same_batch = FakeMessage(msgs[0].body, msgs[0].subject, msgs[0].message_id)
    receiver = FakeReceiver([*msgs, dup_same_batch])
    writer = _writer(duckdb_path)
    assert _service(tmp_path, receiver, writer, max_messages=10).run() == 0
    rows_once = _count(duckdb_path, "bmrs_bod_iris") + _count(duckdb_path, "bmrs_mels_iris")
    # the same messages again, later (lock expired after commit, crash before complete, ...)
    receiver.send(*(FakeMessage(m.body, m.subject, m.message_id) for m in msgs[:4]))
    assert _service(tmp_path, receiver, writer, max_messages=2).run() == 0
    assert _count(duckdb_path, "bmrs_bod_iris") + _count(duckdb_path, "bmrs_mels_iris") == rows_once
    assert len(receiver.completed) == 7 + 4  # every delivery is settled: duplicates too
    con = duckdb.connect(str(duckdb_path), read_only=True)
    assert con.execute("SELECT count(*) - count(DISTINCT message_id) FROM raw.iris_messages").fetchone()[0] == 0
    con.close()


def _slow_writer(db: Path, delay_s: float, calls: int = 1) -> DuckDBWriter:
    """A real writer whose first ``calls`` commits take ``delay_s`` longer."""
    writer = _writer(db)
    real = writer.append_messages
    state = {"n": 0}

    def slow_append(*a, **k):
        state["n"] += 1
        if state["n"] <= calls:
            time.sleep(delay_s)
        return real(*a, **k)

    writer.append_messages = slow_append  # type: ignore[method-assign]
    return writer


def _all_iris_rows(db: Path) -> int:
    tables = ("bmrs_bod_iris", "bmrs_mels_iris", "bmrs_freq_iris", "bmrs_boalf_iris", "bmrs_fuelinst_iris")
    return sum(_count(db, t) for t in tables) + _count(db, "bmrs_disebsp_iris")


def test_slow_commit_keeps_locks_renewed_and_completes_first_time(tmp_path, duckdb_path):
    # the commit outlives the lock 3x over; the renewer (every margin/3 = 0.27 s) must keep it
    msgs = synth_fake_messages(3)
    receiver = FakeReceiver(msgs, lock_duration_s=1.0)
    svc = _service(tmp_path, receiver, _slow_writer(duckdb_path, 3.0), lock_renew_margin_s=0.8)
    assert svc.run() == 0
    assert receiver.renewals >= 3
    assert {m.message_id for m in receiver.completed} == {m.message_id for m in msgs}
    assert receiver.abandoned == [] and receiver.dead_lettered == []


def test_locks_are_renewed_from_receipt_with_no_gap_between_preparing_and_committing(tmp_path, duckdb_path):
    """The receive wait uses up most of a short lock: the renewer's first pass runs at once, and one
    renewer covers preparing, dead-lettering and committing (stop 21's CI lost all three locks here)."""
    msgs = synth_fake_messages(3)
    receiver = FakeReceiver(msgs, lock_duration_s=1.0)
    # the batch stays open 0.7 s after the first message: 0.3 s of lock left, inside the 0.8 s margin
    svc = _service(tmp_path, receiver, _slow_writer(duckdb_path, 1.5), lock_renew_margin_s=0.8, max_wait_s=0.7)
    renewals_at_commit: list[int] = []
    real_append = svc.writer.append_messages

    def watch(*a, **k):
        renewals_at_commit.append(receiver.renewals)
        return real_append(*a, **k)

    svc.writer.append_messages = watch  # type: ignore[method-assign]
    assert svc.run() == 0
    assert renewals_at_commit and renewals_at_commit[0] >= 3  # renewed before the commit began
    assert {m.message_id for m in receiver.completed} == {m.message_id for m in msgs}
    assert max(m.delivery_count for m in receiver.completed) == 0  # first delivery (counted from 0, as AMQP)


def test_lock_lost_during_a_slow_commit_redelivers_and_loads_once(tmp_path, duckdb_path):
    """No lock renewal and a commit that outlives the lock: completing fails (as on Service Bus),
    the message comes back, is recognised as committed and completed."""
    msgs = synth_fake_messages(3)
    receiver = FakeReceiver(msgs, lock_duration_s=0.3)
    writer = _slow_writer(duckdb_path, 0.6)
    svc = _service(tmp_path, receiver, writer, max_messages=3, renew_locks=False, idle_exit_s=1.5)
    assert svc.run() == 0
    assert {m.message_id for m in receiver.completed} == {m.message_id for m in msgs}
    assert min(m.delivery_count for m in receiver.completed) == 1  # completed on the redelivery
    assert _committed_ids(duckdb_path) == {m.message_id for m in msgs}
    assert _all_iris_rows(duckdb_path) == sum(len(json.loads(b"".join(m.body))) for m in msgs)


def _hold_lock(db: Path, seconds: float) -> subprocess.Popen:
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); c.execute('SELECT 1');"
        "print('LOCKED', flush=True); time.sleep(float(sys.argv[2]))"
    )
    p = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "LOCKED"
    return p


def test_locked_warehouse_renews_locks_and_completes_only_after_commit(tmp_path, duckdb_path):
    _writer(duckdb_path).init()
    msgs = synth_fake_messages(5)
    completed_at: list[float] = []
    receiver = FakeReceiver(msgs, lock_duration_s=1.5, on_settle=lambda k, m: completed_at.append(time.time()))
    holder = _hold_lock(duckdb_path, 4.0)
    t0 = time.time()
    try:
        svc = _service(tmp_path, receiver, _writer(duckdb_path, 0.3), lock_renew_margin_s=1.0, retry_budget_s=30)
        assert svc.run() == 0
    finally:
        holder.wait(timeout=30)
    assert receiver.renewals > 0  # locks were kept alive while waiting
    assert receiver.abandoned == []
    assert min(completed_at) >= t0 + 3.5  # nothing completed while the file was locked
    assert {m.message_id for m in receiver.completed} == {m.message_id for m in msgs}
    assert _committed_ids(duckdb_path) == {m.message_id for m in msgs}


def test_retry_budget_exhausted_abandons_for_redelivery_then_loads(tmp_path, duckdb_path):
    _writer(duckdb_path).init()
    msgs = synth_fake_messages(4)
    receiver = FakeReceiver(msgs)
    holder = _hold_lock(duckdb_path, 6.0)
    try:
        svc = _service(tmp_path, receiver, _writer(duckdb_path, 0.2), retry_budget_s=1.5, max_batches=1)
        assert svc.run() == 0
        assert receiver.completed == []
        assert {m.message_id for m in receiver.abandoned} == {m.message_id for m in msgs}
    finally:
        holder.wait(timeout=30)
    assert _committed_ids(duckdb_path) == set()
    assert _service(tmp_path, receiver, _writer(duckdb_path)).run() == 0  # redelivered, now loads
    assert {m.message_id for m in receiver.completed} == {m.message_id for m in msgs}
    assert _committed_ids(duckdb_path) == {m.message_id for m in msgs}


def test_sigterm_mid_batch_commits_completes_and_exits_0_within_10s(tmp_path, duckdb_path):
    settle_log = tmp_path / "settled.jsonl"
    env = {
        **os.environ,
        "GBPOWER_STATE_DIR": str(tmp_path / "state"),
        "GBPOWER_WORK_DIR": str(tmp_path / "w"),
        "GBPOWER_QUARANTINE_DIR": str(tmp_path / "q"),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests/python/iris_fakes.py"),
            "--db",
            str(duckdb_path),
            "--messages",
            "200",
            "--max-messages",
            "30",
            "--settle-log",
            str(settle_log),
            "--slow-parse-s",
            "1.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == "READY"
        assert proc.stdout.readline().strip() == "BATCH-STARTED"
        assert proc.stdout.readline().strip() == "BATCH-STARTED"  # second batch is in flight
        time.sleep(0.3)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read()
    assert rc == 0, err
    assert elapsed < 10
    assert "received SIGTERM" in err
    settled = [json.loads(line) for line in settle_log.read_text().splitlines()]
    completed = {s["message_id"] for s in settled if s["kind"] == "complete"}
    assert [s for s in settled if s["kind"] != "complete"] == []
    assert len(completed) == 60  # both batches (the one in flight at SIGTERM too), nothing more
    assert _committed_ids(duckdb_path) == completed
    hb = json.loads((tmp_path / "state" / "iris_heartbeat.json").read_text())
    assert hb["messages"] == 60 and hb["batches"] == 2


@pytest.mark.parametrize("body_form", ["bytes", "str", "double"])
def test_body_forms_load_through_the_service(tmp_path, duckdb_path, body_form):
    recs = [make_record("FUELINST", i) for i in range(20)]
    text = json.dumps(recs)
    body = {"bytes": [text.encode()], "str": text, "double": [json.dumps(text).encode()]}[body_form]
    receiver = FakeReceiver([FakeMessage(body, "FUELINST", "FUELINST_1.json")])
    assert _service(tmp_path, receiver, _writer(duckdb_path)).run() == 0
    assert _count(duckdb_path, "bmrs_fuelinst_iris") == 20
    assert _count(duckdb_path, "bmrs_fuelinst_iris", "\"fuelType\" = 'WIND' AND generation IS NOT NULL") == 1
