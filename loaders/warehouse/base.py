"""The warehouse-writer interface shared by DuckDB and BigQuery.

Two write shapes cover every loader:

* ``replace_window`` (historic API): delete the rows of one dataset window, insert the freshly
  fetched rows and record the window as done — all in one transaction, so a re-run replaces exactly
  that window and a crash never leaves half of it.
* ``append_messages`` (IRIS): insert the rows of a batch of messages, skipping any message whose id
  is already recorded, and record the message ids — all in one transaction, so a redelivered message
  never lands twice.

Rows always arrive as Parquet files whose schema is ``ddl.arrow_schema(dataset)`` — the same file
goes into DuckDB (``read_parquet``) and into a BigQuery load job, and nothing is held in memory.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from loaders.registry import Dataset
from loaders.time_window import Window
from loaders.warehouse.kept_messages import KeptMessage, Promotion

STATE_TABLE = "gbpower_windows"  # raw.gbpower_windows: completed API windows
MESSAGES_TABLE = "iris_messages"  # raw.iris_messages: committed IRIS message ids


class WriterError(RuntimeError):
    """A write that did not happen (nothing was committed)."""


class WarehouseLocked(WriterError):
    """The DuckDB file stayed locked by another process past the configured limit."""


@dataclass(frozen=True)
class MessageRecord:
    """One IRIS message committed with a batch."""

    message_id: str
    dataset: str
    records: int


@dataclass(frozen=True)
class TableBatch:
    """Rows for one raw table in a Parquet file (schema = ddl.arrow_schema(dataset))."""

    dataset: Dataset
    table: str
    parquet: Path
    rows: int


class Writer(abc.ABC):
    """A raw-layer writer. Implementations are used from one thread at a time."""

    target: str

    @abc.abstractmethod
    def init(self) -> None:
        """Create the raw schema, every registry raw table and the state tables (idempotent)."""

    @abc.abstractmethod
    def replace_window(self, batch: TableBatch, window: Window | None, batch_id: str) -> int:
        """Atomically replace one window of ``batch.table`` with the batch's rows and record the window
        as completed. ``window=None`` replaces the whole table (snapshot datasets). Returns rows written."""

    # Whether ``replace_windows`` commits several windows in one transaction (the backfill then
    # prepares a dataset's consecutive windows together: one parse and one commit for the run).
    supports_window_runs = False

    def replace_windows(self, batch: TableBatch, windows: Sequence[Window], batch_id: str) -> int:
        """Like ``replace_window`` for several windows of one dataset at once: one transaction deletes
        the rows of every window, inserts the batch (rows outside them were dropped by the parse) and
        records each window as completed with its own row count."""
        raise NotImplementedError(f"{self.target}: no multi-window replace (supports_window_runs is False)")

    @abc.abstractmethod
    def completed_windows(self, dataset: Dataset) -> set[tuple[datetime, datetime]]:
        """(start, end) of every API window recorded as completed for this dataset."""

    @abc.abstractmethod
    def append_messages(
        self,
        batches: list[TableBatch],
        messages: list[MessageRecord],
        batch_id: str,
        kept: Sequence[KeptMessage] = (),
        promoted: Sequence[Promotion] = (),
    ) -> int:
        """Atomically insert the rows of messages not yet recorded and record the messages.
        Rows carry their message id in ``_message_id``. In the same transaction: keep ``kept`` in
        ``raw.iris_kept_messages`` (unless already kept or loaded) and mark ``promoted`` kept
        messages as settled (``loaders.warehouse.kept_messages``). Returns the number of rows inserted."""

    @abc.abstractmethod
    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """Run a read-only query (SQL in the warehouse's dialect) and return all rows."""

    def held_connection(self, max_hold_s: float | None = None) -> contextlib.AbstractContextManager[None]:
        """Keep one connection for many commits where that saves time (DuckDB); a no-op elsewhere.
        ``max_hold_s``: give the connection (and the file's lock) up between commits once it has been
        held this long, so other writers get in."""
        return contextlib.nullcontext()

    def release_held(self, only_if_older: bool = False) -> None:
        """Inside ``held_connection``: give the connection up now (when unused; with ``only_if_older``
        only once held longer than its ``max_hold_s``). A no-op where nothing is held."""
        return None

    def close(self) -> None:  # pragma: no cover - default no-op
        return None

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
