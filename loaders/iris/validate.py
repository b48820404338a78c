"""Validate decoded IRIS records with ``loaders.parse`` (registry types, vectorised in DuckDB).

Records are written as NDJSON with ``_message_id`` in chunks of bounded size; each chunk's parse
runs on a worker thread (DuckDB releases the GIL) while the next chunk is being written, so JSON
encoding and validation overlap on two cores."""

from __future__ import annotations

import itertools
import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from loaders.iris.decode import Decoded
from loaders.parse import PayloadError, parse_records_file
from loaders.quarantine import Quarantine
from loaders.registry import Dataset
from loaders.warehouse.base import TableBatch

try:
    import orjson
except ImportError:  # pragma: no cover - declared dependency; the standard library is the fallback
    orjson = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

PARSE_CHUNK_RECORDS = 25_000  # records per parse call (bounds the parser's memory)
PARSE_MEMORY_LIMIT = "1GB"
PARSE_THREADS = 2


class TransientBatchError(RuntimeError):
    """The batch could not be validated for a reason that is not the messages' fault (memory,
    disk): settle nothing and let the messages come back."""


def _is_resource_error(exc: Exception) -> bool:
    text = str(exc)
    return any(m in text for m in ("Out of Memory", "No space left", "IO Error", "Could not set lock"))


@dataclass
class Validation:
    tables: list[TableBatch] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # message id -> reason


@dataclass
class _Ctx:
    workdir: Path
    batch_id: str
    quarantine: Quarantine
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)


def validate_groups(
    groups: dict[str, list[Decoded]], workdir: Path, batch_id: str, quarantine: Quarantine
) -> Validation:
    """Parse every dataset's messages into Parquet table batches (one or more per dataset)."""
    ctx = _Ctx(workdir, batch_id, quarantine)
    out = Validation()
    futures: list[Future[Validation]] = []
    with ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="iris-parse") as pool:
        for _name, group in sorted(groups.items()):
            dataset = group[0].dataset
            for chunk in _chunks(group):
                ndjson = _write_ndjson(ctx, dataset, chunk)
                futures.append(pool.submit(_parse_chunk, ctx, dataset, chunk, ndjson))
        for f in futures:
            v = f.result()  # re-raises TransientBatchError
            out.tables.extend(v.tables)
            out.rejected.update(v.rejected)
    return out


def _chunks(group: list[Decoded]) -> list[list[Decoded]]:
    chunks: list[list[Decoded]] = []
    chunk: list[Decoded] = []
    size = 0
    for d in group:
        if chunk and size + len(d.records) > PARSE_CHUNK_RECORDS:
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append(d)
        size += len(d.records)
    if chunk:
        chunks.append(chunk)
    return chunks


_std_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _dumps(record: dict) -> bytes:
    if orjson is not None:
        try:
            return orjson.dumps(record)
        except TypeError:  # e.g. an integer beyond 64 bits: the standard library copes
            pass
    return _std_dumps(record).encode("utf-8")


def _write_ndjson(ctx: _Ctx, dataset: Dataset, chunk: list[Decoded]) -> Path:
    with ctx.lock:
        n = next(ctx.counter)
    path = ctx.workdir / f"{dataset.name}_{n:04d}.ndjson"
    with path.open("wb") as fh:
        for d in chunk:
            mid = d.message_id
            fh.writelines(_dumps({**rec, "_message_id": mid}) + b"\n" for rec in d.records)
    return path


def _parse_chunk(ctx: _Ctx, dataset: Dataset, chunk: list[Decoded], ndjson: Path) -> Validation:
    """Parse one NDJSON chunk. A chunk the parser cannot read at all is split to find the culprit
    message (which is then rejected with the parser's reason)."""
    out = Validation()
    try:
        result = parse_records_file(
            dataset,
            ndjson,
            fmt="ndjson",
            out_parquet=ndjson.with_suffix(".parquet"),
            source="iris",
            batch_id=ctx.batch_id,
            quarantine=ctx.quarantine,
            input_name=f"{ctx.batch_id}_{dataset.name}",
            memory_limit=PARSE_MEMORY_LIMIT,
        )
    except PayloadError as exc:
        if _is_resource_error(exc):
            raise TransientBatchError(f"{dataset.name} records of batch {ctx.batch_id}: {exc}") from exc
        if len(chunk) == 1:
            out.rejected[chunk[0].message_id] = f"unreadable records: {exc}"
            return out
        half = len(chunk) // 2
        for part in (chunk[:half], chunk[half:]):
            v = _parse_chunk(ctx, dataset, part, _write_ndjson(ctx, dataset, part))
            out.tables.extend(v.tables)
            out.rejected.update(v.rejected)
        return out
    finally:
        ndjson.unlink(missing_ok=True)
    table = result.batch(dataset, dataset.iris_table)
    if table is not None and result.rows:
        out.tables.append(table)
    out.rejected.update(result.rejected_messages)
    return out
