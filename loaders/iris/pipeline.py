"""One IRIS batch: decode → route → validate (``loaders.parse``) → one warehouse transaction.

``prepare_batch`` does everything that needs no warehouse (so a commit retried while DuckDB is
locked does not redo it); ``commit_batch`` makes the single ``Writer.append_messages`` call. Rows
carry their message id; the writer skips any message already committed, so a redelivered message
(or a file re-read after a crash) never lands twice.

Every message ends as exactly one of: loaded (typed rows), kept (well-formed but no typed table can
take it yet — an unregistered dataset, or a BOAV/EBOCF record whose bid/offer side cannot be
derived: ``raw.iris_kept_messages``, committed in the same transaction), or poison (undecodable, or
a record failing the registry types: dead-lettered and quarantined)."""

from __future__ import annotations

import contextlib
import json
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
from loaders.iris.bid_offer import SideUnknown, with_sides
from loaders.iris.decode import (
    Decoded,
    PoisonMessage,
    UnregisteredDataset,
    body_bytes,
    decode_message,
    message_id_of,
)
from loaders.iris.validate import validate_groups
from loaders.quarantine import Quarantine, safe_name
from loaders.scratch import clean_stale_dirs
from loaders.warehouse.base import MessageRecord, TableBatch, Writer
from loaders.warehouse.kept_messages import KeptMessage, Promotion

try:
    import orjson
except ImportError:  # pragma: no cover - declared dependency
    orjson = None  # type: ignore[assignment]

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
    reason: str  # short code: undecodable | bad_records
    description: str
    raw: bytes


@dataclass
class Kept:
    """A well-formed message that cannot go into a typed table yet: kept in raw.iris_kept_messages."""

    item: Incoming
    message: KeptMessage


@dataclass
class PreparedBatch:
    batch_id: str
    workdir: Path
    good: list[Incoming] = field(default_factory=list)  # every delivery to settle after commit
    messages: list[MessageRecord] = field(default_factory=list)  # one per distinct message id
    tables: list[TableBatch] = field(default_factory=list)
    poison: list[Poison] = field(default_factory=list)
    kept: list[KeptMessage] = field(default_factory=list)  # one per distinct message id
    kept_datasets: Counter[str] = field(default_factory=Counter)
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


def _json_text(records: list[dict[str, Any]]) -> str:
    if orjson is not None:
        try:
            return orjson.dumps(records).decode("utf-8")
        except TypeError:  # e.g. an integer beyond 64 bits
            pass
    return json.dumps(records, ensure_ascii=False, separators=(",", ":"))


def _received_at(item: Incoming) -> datetime:
    """When the message reached us: the Service Bus enqueued time, a file's mtime, else now (UTC)."""
    ts = getattr(item.handle, "enqueued_time_utc", None)
    if isinstance(ts, datetime):
        return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts
    if isinstance(item.handle, Path):
        with contextlib.suppress(OSError):
            return datetime.fromtimestamp(item.handle.stat().st_mtime, UTC).replace(tzinfo=None)
    return datetime.now(UTC).replace(tzinfo=None)


def _kept(item: Incoming, mid: str, dataset: str, reason: str, description: str, records: list[dict]) -> Kept:
    return Kept(
        item,
        KeptMessage(
            message_id=mid,
            dataset=dataset,
            subject=item.subject,
            reason=reason,
            description=description,
            record_count=len(records),
            body=_json_text(records),
            received_at=_received_at(item),
        ),
    )


def _decode(item: Incoming) -> Decoded | Poison | Kept:
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
        d = decode_message(item.message_id, item.subject, raw, item.application_properties)
    except UnregisteredDataset as exc:
        mid = message_id_of(item.message_id, item.application_properties, raw)
        return _kept(item, mid, exc.dataset, exc.keep_reason, exc.description, exc.records)
    except PoisonMessage as exc:
        mid = message_id_of(item.message_id, item.application_properties, raw)
        return Poison(item, mid, item.subject or "unknown", exc.reason, exc.description, raw)
    if d.dataset.variant_column:  # BOAV/EBOCF: the bid/offer side from the message (loaders.iris.bid_offer)
        try:
            d.records = with_sides(d.dataset, d.records)
        except SideUnknown as exc:
            return _kept(item, d.message_id, d.dataset.name, "bid_offer_unknown", str(exc), d.records)
    return d


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
    kept: dict[str, Kept] = {}
    for item in items:
        d = _decode(item)
        if isinstance(d, Poison):
            batch.poison.append(d)
            continue
        if isinstance(d, Kept):  # kept whole; the delivery is settled once the batch commits
            mid = d.message.message_id
            if mid in kept or mid in decoded:
                batch.duplicate_deliveries += 1
            else:
                kept[mid] = d
                batch.kept.append(d.message)
                batch.kept_datasets[d.message.dataset] += 1
            batch.good.append(item)
            continue
        if d.message_id in kept:
            batch.duplicate_deliveries += 1
            batch.good.append(item)
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


def commit_batch(writer: Writer, batch: PreparedBatch, promoted: list[Promotion] | None = None) -> CommitResult:
    """The single atomic write (typed rows, message ids, kept messages and — for a promote run —
    the kept messages it settled); raises ``WriterError`` (incl. ``WarehouseLocked``) on failure."""
    t0 = time.monotonic()
    inserted = writer.append_messages(
        batch.tables, batch.messages, batch.batch_id, kept=batch.kept, promoted=promoted or ()
    )
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
    kept = " ".join(f"{k}={v}" for k, v in sorted(batch.kept_datasets.items()))
    inserted = result.inserted if result else 0
    latency = f"{result.latency_s:.3f}s" if result else "-"
    return (
        f"batch {batch.batch_id}: messages={len(batch.messages)} poison={len(batch.poison)} "
        f"dup_deliveries={batch.duplicate_deliveries} records={sum(batch.records.values())} "
        f"inserted={inserted} datasets[{datasets}] commit={latency}"
        + (f" kept={len(batch.kept)}[{kept}]" if batch.kept else "")
    )
