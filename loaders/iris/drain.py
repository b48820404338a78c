"""``gbpower iris --from-dir DIR``: load the files Elexon's official IRIS client writes.

Layout read: ``DIR/<DATASET>/<message_id>.json`` (the client's ``{download dir}/{subject}/{id}``).
Each file is one message; its name is the message id, so a file re-read after a crash is skipped
by the writer's message-id check. A file leaves ``DIR/<DATASET>/`` only after its rows are
committed: it is moved to ``DIR/processed/<DATASET>/`` (or deleted). A malformed file is moved to
``DIR/quarantine/<DATASET>/`` with a ``.reason`` file next to it. Kill the process at any moment and
restart it: nothing is lost and nothing is loaded twice.

Files still being written. Elexon's official clients write each message *in place* (Python
``open(path, 'w+')`` + ``json.dump``; Node ``writeFile``; .NET ``File.WriteAllTextAsync``), with no
temporary name, and the Node/.NET clients complete the message whatever happens to the write. Two
rules keep a half-written file from being lost:

1. A file is read only when it is older than ``min_age_s`` *and* its size and mtime are the same at
   two looks ``settle_s`` apart (files left for this reason are counted and logged).
2. A quarantined file's size and mtime (nanoseconds) are recorded in its ``.reason``. If the client
   was stalled longer than that and finishes writing later — into the moved file, since it holds
   the open file — the file no longer matches its ``.reason``, so the next pass takes it back
   (``DIR/<DATASET>/``) and loads it. A truly truncated file never changes, so it stays quarantined."""

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
    settle_s: float = 0.5  # ...and files whose size/mtime changed between two looks this far apart
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
    left_unsettled: int = 0  # files left for a later pass: too fresh, or still changing
    reclaimed: int = 0  # quarantined files taken back because the client finished writing them
    kept: int = 0  # files of datasets the registry cannot load yet, kept in raw.iris_kept_messages


def _signature(p: Path) -> tuple[int, int] | None:
    try:
        st = p.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def _candidates(root: Path) -> list[Path]:
    candidates: list[Path] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(root.iterdir()):
            if entry.name.startswith(".") or entry.name in (PROCESSED, QUARANTINE):
                continue
            if entry.is_dir():
                candidates.extend(sorted(p for p in entry.iterdir() if p.is_file()))
            elif entry.is_file():
                candidates.append(entry)
    return [p for p in candidates if not p.name.startswith(".") and not p.name.endswith(_SKIP_SUFFIXES)]


def settled_files(root: Path, min_age_s: float = 0.0, settle_s: float = 0.0) -> tuple[list[Path], int]:
    """(files ready to load, number left because too fresh or still changing).

    Ready = older than ``min_age_s`` and the same size and mtime at two looks ``settle_s`` apart."""
    now = time.time()
    first: dict[Path, tuple[int, int]] = {}
    left = 0
    for p in _candidates(root):
        sig = _signature(p)
        if sig is None:
            continue
        if min_age_s > 0 and now - sig[1] / 1e9 < min_age_s:
            left += 1
            continue
        first[p] = sig
    if settle_s > 0 and first:
        time.sleep(settle_s)
    out: list[Path] = []
    for p, sig in first.items():
        again = _signature(p)
        if again is None:
            continue
        if again != sig:
            left += 1
            continue
        out.append(p)
    return out, left


def pending_files(root: Path, min_age_s: float = 0.0) -> list[Path]:
    """Files waiting to be loaded (older than ``min_age_s``), dataset directory order then name."""
    return settled_files(root, min_age_s)[0]


def _recorded_signature(reason: Path) -> tuple[int, int] | None:
    """The (size, mtime_ns) a ``.reason`` file recorded for its quarantined file, if any."""
    size = mtime = None
    try:
        for line in reason.read_text(encoding="utf-8").splitlines():
            if line.startswith("file_size: "):
                size = int(line.split(": ", 1)[1])
            elif line.startswith("file_mtime_ns: "):
                mtime = int(line.split(": ", 1)[1])
    except (FileNotFoundError, ValueError):
        return None
    return (size, mtime) if size is not None and mtime is not None else None


def reclaim_changed_quarantine(root: Path) -> list[Path]:
    """Take back quarantined files that changed after they were quarantined (a client that was
    stalled mid-write finished writing them): move each to ``root/<DATASET>/`` and drop its
    ``.reason``. Returns the paths they were moved to."""
    back: list[Path] = []
    qroot = root / QUARANTINE
    if not qroot.is_dir():
        return back
    for reason in sorted(qroot.glob("*/*.reason")):
        body = reason.with_name(reason.name[: -len(".reason")])
        recorded = _recorded_signature(reason)
        now = _signature(body)
        if recorded is None or now is None or now == recorded:
            continue
        dest_dir = root / body.parent.name
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / body.name
        if dest.exists():  # a newer copy of the same message is waiting: keep this one for inspection
            continue
        os.replace(body, dest)
        reason.unlink(missing_ok=True)
        log.warning(
            "IRIS file %s changed after it was quarantined (the client finished writing it): taken back to %s",
            body,
            dest,
        )
        back.append(dest)
    return back


def looks_one_level_too_high(root: Path) -> Path | None:
    """A subfolder that holds dataset folders, when ``root`` itself holds none (DIR given one level
    too high, e.g. the client's parent folder)."""
    from loaders.registry import UnknownDataset, get_dataset

    def dataset_dirs(d: Path) -> bool:
        for sub in d.iterdir():
            if sub.is_dir() and sub.name not in (PROCESSED, QUARANTINE):
                try:
                    get_dataset(sub.name)
                    return True
                except UnknownDataset:
                    continue
        return False

    try:
        if dataset_dirs(root):
            return None
        for sub in sorted(root.iterdir()):
            if sub.is_dir() and not sub.name.startswith(".") and dataset_dirs(sub):
                return sub
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    return None


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
        nested = looks_one_level_too_high(self.root)
        if nested is not None:
            log.warning(
                "IRIS directory %s has no dataset folders but %s has: is DIR one level too high? (try --from-dir %s)",
                self.root,
                nested,
                nested,
            )
        failed = False
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="iris-commit") as committer:
            while not self.stop.is_set():
                self.stats.reclaimed += len(reclaim_changed_quarantine(self.root))
                files, left = settled_files(self.root, self.opt.min_age_s, self.opt.settle_s)
                if left:
                    log.info(
                        "%d file(s) left for a later pass: younger than %.1fs or still being written",
                        left,
                        self.opt.min_age_s,
                    )
                self.stats.left_unsettled = left
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
            "IRIS directory %s: %d batches, %d files, %d records (%d new rows), %d quarantined, "
            "%d taken back from quarantine, %d left (too fresh or still being written), "
            "%d kept for datasets the registry cannot load yet",
            self.root,
            self.stats.batches,
            self.stats.files,
            self.stats.records,
            self.stats.inserted,
            self.stats.poison,
            self.stats.reclaimed,
            self.stats.left_unsettled,
            self.stats.kept,
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
            self.stats.kept += len(batch.kept)
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
            sig = _signature(poison.item.handle)
            if sig is None:
                continue
            try:
                target = quarantine_message(
                    self.root / QUARANTINE,
                    poison,
                    name=poison.item.handle.name,
                    extra={"file_size": str(sig[0]), "file_mtime_ns": str(sig[1])},
                )
            except FileNotFoundError:
                continue
            log.warning(
                "quarantined IRIS file %s (%s: %s) -> %s",
                poison.item.handle,
                poison.reason,
                poison.description[:300],
                target,
            )
