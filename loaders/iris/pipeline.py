"""One IRIS batch: decode → route → validate (``loaders.parse``) → one warehouse transaction.

``prepare_batch`` does everything that needs no warehouse (so a commit retried while DuckDB is
locked does not redo it); ``commit_batch`` makes the single ``Writer.append_messages`` call. Rows
carry their message id; the writer skips any message already committed, so a redelivered message
(or a file re-read after a crash) never lands twice."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loaders import config
from loaders.iris.decode import Decoded, PoisonMessage, body_bytes, decode_message, message_id_of
from loaders.iris.validate import validate_groups
from loaders.quarantine import Quarantine, safe_name
from loaders.scratch import clean_stale_dirs
from loaders.warehouse.base import MessageRecord, TableBatch, Writer

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    """A message as received: from Service Bus (``handle`` = the SDK message) or a file (a Path)."""

    message_id: Any
    subject: str | None
    body: Any
    handle: Any = None
    application_properties: dict[Any, Any] | None = None


@dataclass
class Poison:
    item: Incoming
    message_id: str
    dataset: str  # registry name, or the subject / "unknown" when it could not be routed
    reason: str  # short code: undecodable | unknown_dataset | bad_records
    description: str
    raw: bytes


@dataclass
class PreparedBatch:
    batch_id: str
    workdir: Path
    good: list[Incoming] = field(default_factory=list)  # every delivery to settle after commit
    messages: list[MessageRecord] = field(default_factory=list)  # one per distinct message id
    tables: list[TableBatch] = field(default_factory=list)
    poison: list[Poison] = field(default_factory=list)
    duplicate_deliveries: int = 0
    records: Counter[str] = field(default_factory=Counter)  # valid records per dataset

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class CommitResult:
    inserted: int
    latency_s: float
    committed_utc: datetime


def new_batch_id() -> str:
    return f"iris-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def _decode(item: Incoming) -> Decoded | Poison:
    """Decode one message. The body is read exactly once: the Service Bus SDK hands out a one-shot
    generator of AMQP data sections, so reading it a second time (e.g. for the quarantine copy)
    would give ``b""``."""
    try:
        raw = body_bytes(item.body)
    except PoisonMessage as exc:
        raw = repr(item.body).encode("utf-8", "replace")
        mid = message_id_of(item.message_id, item.application_properties, raw)
        return Poison(item, mid, item.subject or "unknown", exc.reason, exc.description, raw)
    try:
        return decode_message(item.message_id, item.subject, raw, item.application_properties)
    except PoisonMessage as exc:
        mid = message_id_of(item.message_id, item.application_properties, raw)
        return Poison(item, mid, item.subject or "unknown", exc.reason, exc.description, raw)


def prepare_batch(
    items: list[Incoming],
    *,
    work_root: Path | None = None,
    quarantine: Quarantine | None = None,
    batch_id: str | None = None,
) -> PreparedBatch:
    """Decode, route and validate ``items``; write one Parquet file per dataset."""
    batch_id = batch_id or new_batch_id()
    root = work_root or config.work_dir() / "iris"
    root.mkdir(parents=True, exist_ok=True)
    batch = PreparedBatch(batch_id, Path(tempfile.mkdtemp(prefix=f"iris-{os.getpid()}-", dir=root)))
    quarantine = quarantine or Quarantine()
    decoded: dict[str, Decoded] = {}
    deliveries: dict[str, list[Incoming]] = {}
    for item in items:
        d = _decode(item)
        if isinstance(d, Poison):
            batch.poison.append(d)
            continue
        if d.message_id in decoded:  # the same message twice in one batch: load once, settle both
            batch.duplicate_deliveries += 1
            deliveries[d.message_id].append(item)
            continue
        decoded[d.message_id] = d
        deliveries[d.message_id] = [item]

    by_dataset: dict[str, list[Decoded]] = {}
    for d in decoded.values():
        by_dataset.setdefault(d.dataset.name, []).append(d)
    try:
        validation = validate_groups(by_dataset, batch.workdir, batch_id, quarantine)
    except BaseException:
        batch.cleanup()
        raise
    batch.tables = validation.tables
    rejected = {mid: ("bad_records", reason) for mid, reason in validation.rejected.items()}
    for mid, d in decoded.items():
        if mid in rejected:
            reason, description = rejected[mid]
            for item in deliveries[mid]:
                batch.poison.append(Poison(item, mid, d.dataset.name, reason, description, d.raw))
            continue
        batch.messages.append(MessageRecord(mid, d.dataset.name, len(d.records)))
        batch.good.extend(deliveries[mid])
        batch.records[d.dataset.name] += len(d.records)
    return batch


def clean_stale_work_dirs(root: Path | None = None) -> None:
    """Remove batch scratch dirs left behind by killed processes (their pid is gone)."""
    clean_stale_dirs(root or config.work_dir() / "iris", "iris")


def commit_batch(writer: Writer, batch: PreparedBatch) -> CommitResult:
    """The single atomic write; raises ``WriterError`` (incl. ``WarehouseLocked``) on failure."""
    t0 = time.monotonic()
    inserted = writer.append_messages(batch.tables, batch.messages, batch.batch_id)
    return CommitResult(inserted, time.monotonic() - t0, datetime.now(UTC))


def quarantine_message(
    root: Path, poison: Poison, name: str | None = None, extra: dict[str, str] | None = None
) -> Path:
    """Keep a poison message's body as ``root/<DATASET>/<message_id>`` with a ``.reason`` file
    (written first, so a crash in between leaves the reason, never an unexplained body); ``extra``
    adds ``key: value`` lines to the ``.reason``."""
    d = root / safe_name(poison.dataset or "unknown")
    d.mkdir(parents=True, exist_ok=True)
    if name is None:
        name = poison.message_id if poison.message_id.endswith(".json") else poison.message_id + ".json"
    target = d / safe_name(name, limit=200)
    target.with_name(target.name + ".reason").write_text(
        f"message_id: {poison.message_id}\nreason: {poison.reason}\ndescription: {poison.description}\n"
        + "".join(f"{k}: {v}\n" for k, v in (extra or {}).items()),
        encoding="utf-8",
    )
    if isinstance(poison.item.handle, Path):
        poison.item.handle.replace(target)
    else:
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(poison.raw)
        tmp.replace(target)
    return target


def batch_summary(batch: PreparedBatch, result: CommitResult | None) -> str:
    """The one log line per batch."""
    datasets = " ".join(f"{k}={v}" for k, v in sorted(batch.records.items())) or "-"
    inserted = result.inserted if result else 0
    latency = f"{result.latency_s:.3f}s" if result else "-"
    return (
        f"batch {batch.batch_id}: messages={len(batch.messages)} poison={len(batch.poison)} "
        f"dup_deliveries={batch.duplicate_deliveries} records={sum(batch.records.values())} "
        f"inserted={inserted} datasets[{datasets}] commit={latency}"
    )
