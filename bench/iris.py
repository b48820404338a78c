"""IRIS loader benchmarks (``make bench`` / ``python -m bench.run --only iris``).

1. ``iris_records_per_s``: records landed per second by ``gbpower iris --from-dir`` logic
   (``DirectoryDrain``: read, decode, validate, one DuckDB transaction per 2,000 files, move to
   processed/) from a directory of IRIS client files with a realistic mix of FREQ, FUELINST, BOD,
   BOALF, MELS and DISEBSP messages built from real Elexon records (``loaders/iris/synth.py``).
   Target: >= 50,000 records/s into DuckDB on 2 cores. Also ``iris_records_per_cpu_s`` (records
   per CPU-second of this process, all threads): on a shared machine the wall-clock figure depends
   on what else runs; twice the per-CPU-second figure bounds what two idle cores can do.
2. ``iris_commit_latency_p95_s``: p95 of the batch commit time of the Service Bus consumer
   (``IrisService``, real DuckDB file already holding the throughput run's data) fed 200
   messages/minute through the fake receiver (the Azure boundary). Target: < 2 s.
   Also ``iris_end_to_end_p95_s``: message enqueued -> completed (includes the 5 s batch window).
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import threading
import time
from pathlib import Path

from loaders.iris.drain import DirectoryDrain, DrainOptions
from loaders.iris.heartbeat import Heartbeat
from loaders.iris.service import IrisService, ServiceOptions
from loaders.iris.synth import messages, write_client_files
from loaders.warehouse.duckdb_writer import DuckDBWriter

log = logging.getLogger(__name__)

FILES = 6000
RATE_PER_MIN = 200
LATENCY_RUN_S = float(os.environ.get("GBPOWER_BENCH_IRIS_LATENCY_S", "90"))


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def run(results: dict, workdir: Path) -> None:
    work = workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "iris.duckdb"
    writer = DuckDBWriter(db, lock_timeout_s=5, memory_limit="1GB")
    writer.init()

    # -- 1. throughput from a directory of client files ------------------------------------------
    src = work / "files"
    msgs = list(messages(FILES))
    records = write_client_files(src, msgs)
    drain = DirectoryDrain(
        src,
        writer,
        DrainOptions(min_age_s=0, work_root=work / "scratch"),
        heartbeat=Heartbeat(work / "hb.json", mode="bench"),
    )
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    rc = drain.run()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0  # all threads of this process (DuckDB's included)
    if rc != 0 or drain.stats.inserted != records:
        raise RuntimeError(f"IRIS drain bench: rc={rc}, {drain.stats.inserted} of {records} records landed")
    results["iris_records_per_s"] = round(records / wall, 1)
    results["iris_drain_files_per_s"] = round(FILES / wall, 1)
    results["iris_drain_records"] = records
    # load-independent figure: the box is shared, so also report records per CPU-second
    results["iris_records_per_cpu_s"] = round(records / cpu, 1)
    results["iris_drain_cpu_utilisation"] = round(cpu / wall, 2)
    log.info("IRIS drain: %d files, %d records in %.2f s = %.0f records/s", FILES, records, wall, records / wall)

    # -- 2. commit latency at 200 messages/minute through the service ----------------------------
    from tests.python.iris_fakes import FakeReceiver, synth_fake_messages

    sent_at: dict[str, float] = {}
    e2e: list[float] = []

    def on_settle(kind: str, message: object) -> None:
        mid = getattr(message, "message_id", None)
        if kind == "complete" and mid in sent_at:
            e2e.append(time.monotonic() - sent_at[mid])

    receiver = FakeReceiver(lock_duration_s=60, on_settle=on_settle)
    svc = IrisService(
        lambda: receiver,
        DuckDBWriter(db, lock_timeout_s=2, memory_limit="1GB"),
        ServiceOptions(max_messages=200, max_wait_s=5.0, quarantine_root=work / "q", work_root=work / "scratch"),
        heartbeat=Heartbeat(work / "hb.json", mode="bench"),
    )
    thread = threading.Thread(target=svc.run, name="iris-bench-service")
    thread.start()
    interval = 60.0 / RATE_PER_MIN
    start = FILES  # continue the synthetic sequence: new keys, new message ids
    n = int(LATENCY_RUN_S / interval)
    t_next = time.monotonic()
    for i, m in enumerate(synth_fake_messages(n, start=start)):
        sent_at[m.message_id] = time.monotonic()
        receiver.send(m)
        t_next += interval
        time.sleep(max(0.0, t_next - time.monotonic()))
        if i % 100 == 0:
            log.info("IRIS latency bench: %d/%d messages sent", i, n)
    deadline = time.monotonic() + 60
    while receiver.pending() and time.monotonic() < deadline:
        time.sleep(0.2)
    svc.request_stop("benchmark done")
    thread.join(timeout=30)
    lat = svc.commit_latencies
    if len(receiver.completed) != n:
        raise RuntimeError(f"IRIS latency bench: {len(receiver.completed)} of {n} messages completed")
    results["iris_commit_latency_p95_s"] = round(_p95(lat), 3)
    results["iris_commit_latency_max_s"] = round(max(lat), 3)
    results["iris_end_to_end_p95_s"] = round(_p95(e2e), 3)
    results["iris_latency_batches"] = len(lat)
    log.info(
        "IRIS service at %d msg/min: %d batches, commit p95 %.3f s (max %.3f), end-to-end p95 %.2f s",
        RATE_PER_MIN,
        len(lat),
        _p95(lat),
        max(lat),
        _p95(e2e),
    )
