"""DuckDB writer: the embedded default warehouse.

DuckDB allows one writing process per file. The IRIS service, backfills and cron ``dbt build`` all
touch the same file, so this writer opens the database only for the duration of one commit and,
while another process holds the lock, waits and retries with exponential backoff (up to
``lock_timeout_s``, env ``GBPOWER_DUCKDB_LOCK_TIMEOUT``, default 600 s) before failing clearly.
Every write is one transaction: it either commits completely or not at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from loaders import config
from loaders.registry import RAW_SCHEMA, Dataset
from loaders.time_window import Window
from loaders.warehouse.base import (
    MESSAGES_TABLE,
    STATE_TABLE,
    MessageRecord,
    TableBatch,
    WarehouseLocked,
    Writer,
    WriterError,
)
from loaders.warehouse.ddl import all_raw_tables, duckdb_create_table, quote
from loaders.warehouse.duckdb_literals import execute, fill_temp_table
from loaders.warehouse.kept_messages import (
    KEPT_COLUMNS,
    KEPT_TABLE,
    STAGED_KEPT_COLUMNS,
    KeptMessage,
    Promotion,
    duckdb_create_kept,
)

log = logging.getLogger(__name__)

_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "database is locked", "lock on file")


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and any(m in str(exc) for m in _LOCK_MARKERS)


def window_predicate(dataset: Dataset, window: Window | None) -> tuple[str, list[Any]]:
    """SQL predicate (and parameters) selecting the rows of one window in a raw table."""
    if window is None or dataset.window_column is None:
        return "true", []
    col = quote(dataset.window_column)
    if dataset.column(dataset.window_column).type == "date":
        return f"{col} = ?", [window.settlement_date]
    return f"{col} >= ? AND {col} < ?", [_naive(window.start), _naive(window.end)]


def windows_predicate(dataset: Dataset, windows: Sequence[Window]) -> tuple[str, list[Any]]:
    """SQL predicate (and parameters) selecting the rows of any of ``windows`` in a raw table."""
    preds, params = [], []
    for w in windows:
        pred, p = window_predicate(dataset, w)
        preds.append(f"({pred})")
        params += p
    return " OR ".join(preds), params


def _naive(ts: datetime) -> datetime:
    """UTC-naive timestamp (raw tables hold UTC as TIMESTAMP without zone)."""
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


class DuckDBWriter(Writer):
    target = "duckdb"
    supports_window_runs = True

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        lock_timeout_s: float | None = None,
        memory_limit: str = "128MB",
        threads: int = 2,
    ) -> None:
        self.path = Path(path) if path else config.duckdb_path()
        self.lock_timeout_s = (
            lock_timeout_s
            if lock_timeout_s is not None
            else float(os.environ.get("GBPOWER_DUCKDB_LOCK_TIMEOUT", "600"))
        )
        self.memory_limit = memory_limit
        self.threads = threads
        self._initialised = False
        self._held: duckdb.DuckDBPyConnection | None = None
        self._holding = False  # inside held_connection(): connect() hands out self._held
        self._held_since = 0.0
        self._held_uses = 0  # connect() blocks using the held connection right now
        self._max_hold_s: float | None = None

    # -- connection handling -------------------------------------------------------------------
    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the file, waiting while another process holds the lock (inside ``held_connection``:
        the held connection, left open)."""
        if self._holding:
            self.release_held(only_if_older=True)  # between two commits: let other writers in
            if self._held is None:
                self._held = self._open(read_only=False)
                self._held_since = time.monotonic()
            self._held_uses += 1
            try:
                yield self._held
            finally:
                self._held_uses -= 1
            return
        con = self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A new connection to the file, waiting while another process holds its lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.05
        attempts = 0
        while True:
            attempts += 1
            try:
                con = duckdb.connect(
                    str(self.path),
                    read_only=read_only and self.path.exists(),
                    config={
                        "memory_limit": self.memory_limit,
                        "threads": self.threads,
                        "allocator_flush_threshold": "16MB",
                    },
                )
                con.execute("SET TimeZone = 'UTC'")
                break
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    raise
                if time.monotonic() + delay > deadline:
                    raise WarehouseLocked(
                        f"DuckDB file {self.path} stayed locked by another process for "
                        f"{self.lock_timeout_s:.0f} s ({attempts} attempts); nothing was written"
                    ) from exc
                if attempts == 1 or attempts % 20 == 0:
                    log.info("warehouse %s is locked by another process; retrying", self.path)
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
        return con

    @contextlib.contextmanager
    def held_connection(self, max_hold_s: float | None = None) -> Iterator[None]:
        """Keep one connection open for many commits (a bulk load such as ``gbpower demo``, or a
        backfill's windows).

        Opening the file and closing it (which checkpoints) costs ~0.1–1 s, which dominates a commit
        of a small window; inside this block every write reuses one connection, and each is still
        its own transaction. Without ``max_hold_s`` the file stays locked for the whole block, so
        only one-off bulk loads use that; with it, the connection is closed and reopened between two
        commits once held that long, so the IRIS service (which waits for the lock) gets in."""
        if self._holding:
            yield
            return
        self._holding, self._max_hold_s = True, max_hold_s
        try:
            yield
        finally:
            self._holding = False
            self.release_held()
            self._max_hold_s = None

    def release_held(self, only_if_older: bool = False) -> None:
        """Close the held connection (checkpoint; the file's lock is released) unless it is in use;
        with ``only_if_older``, only once it has been held longer than ``max_hold_s``. The next
        ``connect()`` inside ``held_connection`` opens a new one."""
        if self._held is None or self._held_uses:
            return
        if only_if_older and (self._max_hold_s is None or time.monotonic() - self._held_since <= self._max_hold_s):
            return
        held, self._held = self._held, None
        held.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connect() as con:
            if not self._initialised:
                self._create_tables(con)
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise

    # -- schema ----------------------------------------------------------------------------------
    def _create_tables(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
        for dataset, table in all_raw_tables():
            con.execute(duckdb_create_table(dataset, RAW_SCHEMA, table))
        con.execute(
            f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{STATE_TABLE} (
                dataset VARCHAR, window_start TIMESTAMP, window_end TIMESTAMP,
                row_count BIGINT, batch_id VARCHAR, loaded_at TIMESTAMP)"""
        )
        con.execute(
            f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{MESSAGES_TABLE} (
                message_id VARCHAR, dataset VARCHAR, record_count BIGINT,
                batch_id VARCHAR, committed_at TIMESTAMP)"""
        )
        con.execute(duckdb_create_kept(RAW_SCHEMA))
        self._initialised = True

    def init(self) -> None:
        with self.connect() as con:
            self._create_tables(con)

    # -- writes ----------------------------------------------------------------------------------
    def replace_window(self, batch: TableBatch, window: Window | None, batch_id: str) -> int:
        if window is None:
            return self._replace(batch, None, batch_id)
        return self._replace(batch, (window,), batch_id)

    def replace_windows(self, batch: TableBatch, windows: Sequence[Window], batch_id: str) -> int:
        if not windows:
            raise ValueError(f"{batch.dataset.name}: replace_windows needs at least one window")
        return self._replace(batch, tuple(windows), batch_id)

    def _replace(self, batch: TableBatch, windows: tuple[Window, ...] | None, batch_id: str) -> int:
        """One transaction: delete the rows of ``windows`` (None: the whole table), insert the batch,
        and record each window as completed."""
        dataset = batch.dataset
        pred, params = windows_predicate(dataset, windows) if windows is not None else ("true", [])
        target = f"{RAW_SCHEMA}.{batch.table}"
        now = _naive(datetime.now(UTC))
        try:
            with self.transaction() as con:
                execute(con, f"DELETE FROM {target} WHERE {pred}", params)
                execute(
                    con,
                    f"INSERT INTO {target} SELECT * REPLACE (?::TIMESTAMP AS _ingested_at) FROM read_parquet(?)",
                    [now, str(batch.parquet)],
                )
                if windows is not None:
                    self._record_windows(con, batch, windows, batch_id, now)
        except WarehouseLocked:
            raise
        except duckdb.Error as exc:
            label = ", ".join(w.label() for w in windows) if windows else None
            raise WriterError(f"writing {dataset.name} window {label}: {exc}") from exc
        return batch.rows

    @staticmethod
    def _record_windows(
        con: duckdb.DuckDBPyConnection, batch: TableBatch, windows: tuple[Window, ...], batch_id: str, now: datetime
    ) -> None:
        """Record each window as completed, with its own row count (as if it had been loaded alone)."""
        dataset = batch.dataset
        counts = [batch.rows]
        if len(windows) > 1:
            preds = [window_predicate(dataset, w) for w in windows]
            filters = ", ".join(f"count(*) FILTER (WHERE {p})" for p, _ in preds)
            params = [v for _, ps in preds for v in ps] + [str(batch.parquet)]
            counts = list(execute(con, f"SELECT {filters} FROM read_parquet(?)", params).fetchone() or ())
        bounds = [(_naive(w.start), _naive(w.end)) for w in windows]
        execute(
            con,
            f"DELETE FROM {RAW_SCHEMA}.{STATE_TABLE} WHERE dataset = ? AND ("
            + " OR ".join("(window_start = ? AND window_end = ?)" for _ in bounds)
            + ")",
            [dataset.name, *(t for b in bounds for t in b)],
        )
        execute(
            con,
            f"INSERT INTO {RAW_SCHEMA}.{STATE_TABLE} VALUES " + ", ".join("(?, ?, ?, ?, ?, ?)" for _ in bounds),
            [v for (s, e), n in zip(bounds, counts, strict=True) for v in (dataset.name, s, e, n, batch_id, now)],
        )

    def append_messages(
        self,
        batches: list[TableBatch],
        messages: list[MessageRecord],
        batch_id: str,
        kept: Sequence[KeptMessage] = (),
        promoted: Sequence[Promotion] = (),
    ) -> int:
        if not messages and not kept and not promoted:
            return 0
        now = _naive(datetime.now(UTC))
        inserted = 0
        try:
            with self.transaction() as con:
                fill_temp_table(
                    con,
                    "_batch_msgs",
                    (("message_id", "VARCHAR"), ("dataset", "VARCHAR"), ("record_count", "BIGINT")),
                    [(m.message_id, m.dataset, m.records) for m in messages],
                )
                for b in batches:
                    res = execute(
                        con,
                        f"INSERT INTO {RAW_SCHEMA}.{b.table} "
                        f"SELECT * REPLACE (?::TIMESTAMP AS _ingested_at) FROM read_parquet(?) p "
                        f"WHERE p._message_id NOT IN (SELECT message_id FROM {RAW_SCHEMA}.{MESSAGES_TABLE})",
                        [now, str(b.parquet)],
                    ).fetchone()
                    inserted += int(res[0]) if res else 0
                execute(
                    con,
                    f"INSERT INTO {RAW_SCHEMA}.{MESSAGES_TABLE} "
                    "SELECT DISTINCT ON (message_id) message_id, dataset, record_count, ?, ? "
                    f"FROM _batch_msgs WHERE message_id NOT IN (SELECT message_id FROM "
                    f"{RAW_SCHEMA}.{MESSAGES_TABLE})",
                    [batch_id, now],
                )
                con.execute("DROP TABLE _batch_msgs")
                if kept:
                    self._keep_messages(con, kept, batch_id, now)
                if promoted:
                    self._mark_promoted(con, promoted, batch_id, now)
        except WarehouseLocked:
            raise
        except duckdb.Error as exc:
            raise WriterError(f"writing IRIS batch {batch_id}: {exc}") from exc
        return inserted

    @staticmethod
    def _keep_messages(
        con: duckdb.DuckDBPyConnection, kept: Sequence[KeptMessage], batch_id: str, now: datetime
    ) -> None:
        """Insert kept messages not already kept and not already loaded (a redelivery adds nothing)."""
        types = {n: t for n, t, _ in KEPT_COLUMNS}
        fill_temp_table(
            con,
            "_batch_kept",
            [(n, types[n]) for n in STAGED_KEPT_COLUMNS],
            [tuple(getattr(k, n) for n in STAGED_KEPT_COLUMNS) for k in kept],
        )
        cols = ", ".join(STAGED_KEPT_COLUMNS)
        execute(
            con,
            f"INSERT INTO {RAW_SCHEMA}.{KEPT_TABLE} ({cols}, batch_id, kept_at) "
            f"SELECT DISTINCT ON (message_id) {cols}, ?, ? FROM _batch_kept "
            f"WHERE message_id NOT IN (SELECT message_id FROM {RAW_SCHEMA}.{KEPT_TABLE}) "
            f"AND message_id NOT IN (SELECT message_id FROM {RAW_SCHEMA}.{MESSAGES_TABLE})",
            [batch_id, now],
        )
        con.execute("DROP TABLE _batch_kept")

    @staticmethod
    def _mark_promoted(
        con: duckdb.DuckDBPyConnection, promoted: Sequence[Promotion], batch_id: str, now: datetime
    ) -> None:
        fill_temp_table(
            con,
            "_batch_promoted",
            (("message_id", "VARCHAR"), ("outcome", "VARCHAR")),
            [(p.message_id, p.outcome) for p in promoted],
        )
        execute(
            con,
            f"UPDATE {RAW_SCHEMA}.{KEPT_TABLE} AS k SET promoted_at = ?, promoted_batch_id = ?, "
            "promote_outcome = p.outcome FROM _batch_promoted AS p "
            "WHERE k.message_id = p.message_id AND k.promoted_at IS NULL",
            [now, batch_id],
        )
        con.execute("DROP TABLE _batch_promoted")

    # -- reads -----------------------------------------------------------------------------------
    def completed_windows(self, dataset: Dataset) -> set[tuple[datetime, datetime]]:
        rows = self.query(
            f"SELECT window_start, window_end FROM {RAW_SCHEMA}.{STATE_TABLE} WHERE dataset = ?",
            [dataset.name],
        )
        return {(s.replace(tzinfo=UTC), e.replace(tzinfo=UTC)) for s, e in rows}

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with self.connect() as con:
            if not self._initialised:
                self._create_tables(con)
            return execute(con, sql, params).fetchall()
