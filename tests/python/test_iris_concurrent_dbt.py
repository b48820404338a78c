"""The IRIS service and ``gbpower dbt build`` on the same DuckDB file at the same time, for a minute.

DuckDB allows one writing process per file: while dbt holds it, the service's commits wait
(keeping message locks renewed) and retry; dbt's own connect retries cover the moments the service
holds it. No error may escape either side and no record may be lost or doubled."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter

import duckdb
import pytest

from loaders.iris.heartbeat import Heartbeat
from loaders.iris.service import IrisService, ServiceOptions
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.dbt_harness import run_dbt
from tests.python.iris_fakes import FakeReceiver, synth_fake_messages

DATASETS = ("BOALF", "BOD", "DISEBSP", "FREQ", "FUELINST", "MELS")
MODELS = [f"+bmrs_{d.lower()}_unified" for d in DATASETS]


@pytest.mark.slow
def test_service_and_dbt_build_share_the_file_for_a_minute(tmp_path, duckdb_path, caplog):
    caplog.set_level(logging.WARNING, logger="loaders")
    DuckDBWriter(duckdb_path).init()
    receiver = FakeReceiver(lock_duration_s=8.0)
    svc = IrisService(
        lambda: receiver,
        DuckDBWriter(duckdb_path, lock_timeout_s=1.0, memory_limit="1GB"),
        ServiceOptions(
            max_messages=50,
            max_wait_s=1.0,
            lock_renew_margin_s=4.0,
            retry_budget_s=240,
            quarantine_root=tmp_path / "q",
            work_root=tmp_path / "work",
        ),
        heartbeat=Heartbeat(tmp_path / "hb.json"),
    )
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            svc.run()
        except BaseException as exc:
            errors.append(exc)

    sent = []
    stop_producing = threading.Event()

    def produce() -> None:  # ~10 messages/s, as a busy IRIS queue
        i = 0
        while not stop_producing.is_set():
            batch = synth_fake_messages(5, start=i)
            receiver.send(*batch)
            sent.extend(batch)
            i += 5
            time.sleep(0.5)

    service = threading.Thread(target=serve, name="iris-service")
    producer = threading.Thread(target=produce, name="producer")
    service.start()
    producer.start()
    builds = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 60:
            run = run_dbt(["build", "-s", *MODELS], tmp_path / f"dbt{len(builds)}", duckdb_path=duckdb_path)
            builds.append(run)
            assert run.returncode == 0, run.output[-3000:]
    finally:
        stop_producing.set()
        producer.join()
        deadline = time.monotonic() + 180
        while receiver.pending() and time.monotonic() < deadline:
            time.sleep(0.5)
        svc.request_stop("test finished")
        service.join(timeout=60)
    assert not service.is_alive()
    assert errors == []
    assert len(builds) >= 2, "dbt ran only once: no overlap was tested"
    assert receiver.pending() == 0
    assert receiver.dead_lettered == [] and len(receiver.completed) >= len(sent)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

    expected: Counter = Counter()
    for m in sent:
        expected[m.subject] += len(json.loads(b"".join(m.body)))
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        ids = con.execute("SELECT count(*), count(DISTINCT message_id) FROM raw.iris_messages").fetchone()
        raw = {d: con.execute(f"SELECT count(*) FROM raw.bmrs_{d.lower()}_iris").fetchone()[0] for d in DATASETS}
    finally:
        con.close()
    assert ids == (len(sent), len(sent))
    assert raw == {d: expected[d] for d in DATASETS}
    final = run_dbt(["build", "-s", *MODELS], tmp_path / "dbt-final", duckdb_path=duckdb_path)
    assert final.returncode == 0, final.output[-3000:]
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        for d in DATASETS:
            n = con.execute(f"SELECT count(*) FROM analytics.bmrs_{d.lower()}_unified").fetchone()[0]
            assert n == expected[d], f"{d}: {n} rows in the unified view, {expected[d]} records sent"
    finally:
        con.close()
