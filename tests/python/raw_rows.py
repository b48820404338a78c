"""Put hand-made rows into raw tables through the writer's real load path (a Parquet batch), for
tests of what reads the raw tables (health, `gbpower datasets`, ...)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loaders.warehouse.base import TableBatch
from loaders.warehouse.ddl import arrow_schema


def load(writer, tmp_path: Path, dataset, table: str, rows: list[dict]) -> None:
    """Put ``rows`` in raw ``table`` (missing fields null; ``_source`` from the table's side)."""
    schema = arrow_schema(dataset)
    source = "iris" if table.endswith("_iris") else "api"
    full = [{**{n: None for n in schema.names}, "_source": source, **r} for r in rows]
    path = tmp_path / f"{table}-{len(os.listdir(tmp_path))}.parquet"
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)
    writer.replace_window(TableBatch(dataset, table, path, len(rows)), None, "test")


def naive(ts: datetime) -> datetime:
    """An aware time as the naive UTC value raw timestamp columns hold."""
    return ts.astimezone(UTC).replace(tzinfo=None)
