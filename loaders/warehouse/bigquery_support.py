"""Helpers for the BigQuery writer: retries, query parameters, script values and Parquet staging.

Kept apart from the writer so each piece stays small and testable without a BigQuery endpoint.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
import requests
from google.api_core import exceptions as gexc

log = logging.getLogger(__name__)

T = TypeVar("T")

# Job-level error reasons Google documents as transient ("retry with backoff").
_RETRYABLE_REASONS = {"rateLimitExceeded", "backendError", "internalError", "jobBackendError"}
_RETRYABLE_TYPES: tuple[type[BaseException], ...] = (
    gexc.TooManyRequests,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,
    ConnectionError,
    requests.ConnectionError,
    requests.Timeout,
)
# A multi-statement transaction that lost a race with another DML job on the same table is aborted
# as a whole (nothing committed) and may simply be run again.
_RETRYABLE_MESSAGES = ("concurrent update", "could not serialize access")


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: HTTP 429/5xx, transient job reasons, aborted transactions."""
    if isinstance(exc, _RETRYABLE_TYPES):
        return True
    if isinstance(exc, gexc.GoogleAPICallError):
        reasons = {e.get("reason") for e in (exc.errors or []) if isinstance(e, dict)}
        if reasons & _RETRYABLE_REASONS:
            return True
        return any(m in str(exc).lower() for m in _RETRYABLE_MESSAGES)
    return False


def with_retries(
    what: str,
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 1.0,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` until it succeeds, retrying transient Google errors with exponential backoff and
    jitter. Non-transient errors and the last transient one propagate unchanged."""
    delay = base_delay
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt >= attempts or not is_transient(exc):
                raise
            wait = min(delay, max_delay) * (0.5 + random.random() / 2)
            log.warning(
                "%s: transient BigQuery error (attempt %d/%d, retrying in %.1f s): %s",
                what,
                attempt,
                attempts,
                wait,
                short_error(exc),
            )
            sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def short_error(exc: BaseException, limit: int = 500) -> str:
    """One-line error text: the exception's message without the client's request dump."""
    msg = getattr(exc, "message", None) or str(exc)
    first = " ".join(str(msg).split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


# -- query parameters ---------------------------------------------------------------------------


def param_type(value: Any) -> str:
    """The BigQuery parameter type for a Python value (naive datetimes are taken as UTC)."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, Decimal):
        return "NUMERIC"
    if isinstance(value, datetime):
        return "TIMESTAMP"
    if isinstance(value, date):
        return "DATE"
    if isinstance(value, bytes):
        return "BYTES"
    if value is None or isinstance(value, str):
        return "STRING"
    raise TypeError(f"unsupported query parameter type {type(value).__name__}")


def to_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)


# -- script values ------------------------------------------------------------------------------


def sql_literal(value: Any) -> str:
    """A typed BigQuery literal for a script variable's value.

    Multi-statement transactions declare their inputs as script variables at the top (``DECLARE
    gbp_x TYPE DEFAULT <literal>``) because the emulator ignores query parameters in scripts. Only
    typed values are accepted: dates, datetimes and integers render from their type (no text of the
    caller's can reach the SQL); strings are escaped.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite float {value!r}")
        return repr(float(value))
    if isinstance(value, datetime):
        return f"TIMESTAMP '{to_utc(value).strftime('%Y-%m-%d %H:%M:%S.%f')}+00'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + _escape(value) + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            raise ValueError(f"control character {ch!r} in a string value")
        else:
            out.append(ch)
    return "".join(out)


# -- Parquet staging ----------------------------------------------------------------------------


class BatchSchemaError(ValueError):
    """A batch file whose columns do not match the registry schema of its table."""


def _utc_type(t: pa.DataType) -> pa.DataType:
    return pa.timestamp("us", tz="UTC") if pa.types.is_timestamp(t) else t


def _same_type(got: pa.DataType, want: pa.DataType) -> bool:
    if pa.types.is_timestamp(want):
        return pa.types.is_timestamp(got)
    if pa.types.is_string(want):
        return pa.types.is_string(got) or pa.types.is_large_string(got)
    return got.equals(want)


def check_schema(path: Path, got: pa.Schema, want: pa.Schema) -> None:
    names = set(got.names)
    missing = [n for n in want.names if n not in names]
    extra = [n for n in got.names if n not in set(want.names)]
    wrong = [
        f"{f.name} is {got.field(f.name).type}, expected {f.type}"
        for f in want
        if f.name in names and not _same_type(got.field(f.name).type, f.type)
    ]
    problems = []
    if missing:
        problems.append("missing columns " + ", ".join(missing))
    if extra:
        problems.append("unexpected columns " + ", ".join(extra))
    if wrong:
        problems.append("; ".join(wrong))
    if problems:
        raise BatchSchemaError(f"batch file {path.name}: " + "; ".join(problems))


def stage_parquet(source: Path, want: pa.Schema, dest: Path, batch_rows: int = 65_536) -> int:
    """Copy ``source`` to ``dest`` in the column order of ``want`` with timestamps marked as UTC.

    BigQuery reads a Parquet timestamp that is not marked "adjusted to UTC" as DATETIME; our batches
    hold UTC instants, so they are rewritten as UTC timestamps (streamed one record batch at a time).
    Raises BatchSchemaError (naming the file and the columns) when the schema does not match."""
    pf = pq.ParquetFile(source)
    check_schema(source, pf.schema_arrow, want)
    out_schema = pa.schema([pa.field(f.name, _utc_type(f.type)) for f in want])
    rows = 0
    with pq.ParquetWriter(dest, out_schema) as writer:
        for rb in pf.iter_batches(batch_size=batch_rows, columns=list(want.names)):
            arrays = [rb.column(f.name).cast(f.type) for f in out_schema]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=out_schema))
            rows += rb.num_rows
    return rows


def write_parquet(rows: list[dict[str, Any]], schema: pa.Schema, dest: Path) -> None:
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), dest)


_ARROW_OF_BQ = {"STRING": pa.string(), "INT64": pa.int64(), "TIMESTAMP": pa.timestamp("us", tz="UTC")}


def arrow_schema_of(columns: tuple[tuple[str, str], ...]) -> pa.Schema:
    """Arrow schema for a small table of (name, BigQuery type) columns (STRING/INT64/TIMESTAMP)."""
    return pa.schema([pa.field(n, _ARROW_OF_BQ[t]) for n, t in columns])
