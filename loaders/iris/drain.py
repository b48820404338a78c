"""``gbpower iris --from-dir DIR``: load the files Elexon's official IRIS client writes.

Layout read: ``DIR/<DATASET>/<message_id>.json`` (the client's ``{download dir}/{subject}/{id}``).
Each file is one message; its name is the message id, so a file re-read after a crash is skipped
by the writer's message-id check. A file leaves ``DIR/<DATASET>/`` only after its rows are
committed: it is moved to ``DIR/processed/<DATASET>/`` (or deleted). A malformed file is moved to
``DIR/quarantine/<DATASET>/`` with a ``.reason`` file next to it. Kill the process at any moment and
restart it: nothing is lost and nothing is loaded twice."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from loaders.iris.heartbeat import Heartbeat
from loaders.iris.pipeline import (
    CommitResult,
    Incoming,
    PreparedBatch,
    batch_summary,
    commit_batch,
    prepare_batch,
    quarantine_message,
)
from loaders.iris.validate import TransientBatchError
from loaders.quarantine import Quarantine
from loaders.warehouse.base import Writer, WriterError

log = logging.getLogger(__name__)

PROCESSED = "processed"
QUARANTINE = "quarantine"
_SKIP_SUFFIXES = (".tmp", ".part", ".partial", ".reason", ".swp")


@dataclass
class DrainOptions:
    batch_files: int = 2000  # files per transaction
    batch_bytes: int = 64 << 20  # ...or this many bytes of JSON, whichever comes first
    on_done: Literal["move", "delete"] = "move"
    watch: bool = False  # keep polling for new files instead of exiting when drained
    poll_s: float = 2.0
    min_age_s: float = 2.0  # leave files younger than this (the client may still be writing them)
    retry_budget_s: float = 600.0  # keep retrying a failed commit this long (files stay put)
    work_root: Path | None = None
    max_batches: int | None = None


@dataclass
class DrainStats:
    batches: int = 0
    files: int = 0
    records: int = 0
    inserted: int = 0
    poison: int = 0
    failed_batches: int = 0


def pending_files(root: Path, min_age_s: float = 0.0) -> list[Path]:
    """Files waiting to be loaded, oldest dataset directory order then name."""
    now = time.time()
    out: list[Path] = []
    candidates: list[Path] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(root.iterdir()):
            if entry.name.startswith(".") or entry.name in (PROCESSED, QUARANTINE):
                continue
            if entry.is_dir():
                candidates.extend(sorted(p for p in entry.iterdir() if p.is_file()))
            elif entry.is_file():
                candidates.append(entry)
    for p in candidates:
        if p.name.startswith(".") or p.name.endswith(_SKIP_SUFFIXES):
            continue
        if min_age_s > 0:
            try:
                if now - p.stat().st_mtime < min_age_s:
                    continue
            except FileNotFoundError:
                continue
        out.append(p)
    return out


def _chunks(files: list[Path], opt: DrainOptions) -> list[list[Path]]:
    chunks: list[list[Path]] = []
    current: list[Path] = []
    size = 0
    for p in files:
        try:
            n = p.stat().st_size
        except FileNotFoundError:
            continue
        if current and (len(current) >= opt.batch_files or size + n > opt.batch_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(p)
        size += n
    if current:
        chunks.append(current)
    return chunks


class DirectoryDrain:
    def __init__(
        self,
        root: Path,
        writer: Writer,
        options: DrainOptions | None = None,
        heartbeat: Heartbeat | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.root = Path(root)
        self.writer = writer
        self.opt = options or DrainOptions()
        self.heartbeat = heartbeat or Heartbeat(mode="from-dir")
        self.stop = stop or threading.Event()
        self.stats = DrainStats()
        self.row_quarantine = Quarantine(self.root / QUARANTINE / "rows")
        self.latencies: list[float] = []

    def run(self) -> int:
        """Drain (and with ``watch``, keep draining). 0 = success, 1 = a batch could not be committed.

        Pipelined: batch N is committed on a helper thread while batch N+1 is read and validated;
        batch N's files are moved only once its commit has returned."""
        if not self.root.is_dir():
            log.error("IRIS directory %s does not exist", self.root)
            return 2
        failed = False
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="iris-commit") as committer:
            while not self.stop.is_set():
                files = pending_files(self.root, self.opt.min_age_s)
                in_flight: tuple[PreparedBatch, Future[CommitResult | None]] | None = None
                for chunk in _chunks(files, self.opt):
                    if self.stop.is_set() or failed:
                        break
                    if self.opt.max_batches is not None and self.stats.batches >= self.opt.max_batches:
                        break
                    batch = self._prepare(chunk)
                    if in_flight is not None:
                        failed = not self._finish(*in_flight)
                        in_flight = None
                    if batch is None:
                        failed = True
                    elif failed:
                        batch.cleanup()
                    else:
                        in_flight = (batch, committer.submit(self._commit, batch))
                if in_flight is not None:
                    failed = not self._finish(*in_flight) or failed
                if not self.opt.watch:
                    break
                failed = False
                self.stop.wait(self.opt.poll_s)
        log.info(
            "IRIS directory %s: %d batches, %d files, %d records (%d new rows), %d quarantined",
            self.root,
            self.stats.batches,
            self.stats.files,
            self.stats.records,
            self.stats.inserted,
            self.stats.poison,
        )
        return 1 if failed else 0

    def load_files(self, paths: list[Path]) -> bool:
        """Load one batch of files synchronously (prepare, commit, settle)."""
        batch = self._prepare(paths)
        if batch is None:
            return False
        done: Future[CommitResult | None] = Future()
        done.set_result(self._commit(batch))
        return self._finish(batch, done)

    def _prepare(self, paths: list[Path]) -> PreparedBatch | None:
        items: list[Incoming] = []
        for p in paths:
            try:
                body = p.read_bytes()
            except FileNotFoundError:  # moved by another drain meanwhile
                continue
            subject = None if p.parent == self.root else p.parent.name
            items.append(Incoming(message_id=p.name, subject=subject, body=body, handle=p))
        try:
            return prepare_batch(items, work_root=self.opt.work_root, quarantine=self.row_quarantine)
        except TransientBatchError as exc:
            log.error("%d file(s) not loaded this time (left in place): %s", len(items), exc)
            return None

    def _finish(self, batch: PreparedBatch, commit: Future[CommitResult | None]) -> bool:
        """Wait for the batch's commit; then move its files. False if it was not committed."""
        try:
            result = commit.result()
            if batch.good and result is None:
                return False
            self._settle(batch)
            self.stats.batches += 1
            self.stats.files += len(batch.good) + len(batch.poison)
            self.stats.records += sum(batch.records.values())
            self.stats.poison += len(batch.poison)
            if result is not None:
                self.stats.inserted += result.inserted
                self.latencies.append(result.latency_s)
                self.heartbeat.commit(result.committed_utc, len(batch.messages), batch.records)
            log.info(batch_summary(batch, result))
            return True
        finally:
            batch.cleanup()

    def _commit(self, batch: PreparedBatch) -> CommitResult | None:
        if not batch.good:
            return None
        deadline = time.monotonic() + self.opt.retry_budget_s
        delay = 0.5
        while True:
            try:
                return commit_batch(self.writer, batch)
            except WriterError as exc:
                if self.stop.is_set() or time.monotonic() + delay > deadline:
                    log.error("batch %s: commit failed, files left in place: %s", batch.batch_id, exc)
                    return None
                log.warning("batch %s: commit failed, retrying: %s", batch.batch_id, exc)
                self.stop.wait(delay)
                delay = min(delay * 2, 10.0)

    def _settle(self, batch: PreparedBatch) -> None:
        """After the commit: move (or delete) loaded files; quarantine poison files."""
        for item in batch.good:
            path: Path = item.handle
            try:
                if self.opt.on_done == "delete":
                    path.unlink()
                else:
                    dest = (
                        self.root / PROCESSED / path.parent.name
                        if path.parent != self.root
                        else (self.root / PROCESSED)
                    )
                    dest.mkdir(parents=True, exist_ok=True)
                    os.replace(path, dest / path.name)
            except FileNotFoundError:
                pass
        for poison in batch.poison:
            try:
                target = quarantine_message(self.root / QUARANTINE, poison, name=poison.item.handle.name)
            except FileNotFoundError:
                continue
            log.warning(
                "quarantined IRIS file %s (%s: %s) -> %s",
                poison.item.handle,
                poison.reason,
                poison.description[:300],
                target,
            )
