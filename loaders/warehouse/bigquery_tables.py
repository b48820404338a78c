"""BigQuery table layouts of the raw layer, as plain data (no Google imports).

Every registry raw table gets an explicit schema (``ddl.BIGQUERY_TYPES``), DAY partitioning on the
registry's ``partition_column`` (a DATE column partitions by its value, a TIMESTAMP column by its UTC
day) and clustering on ``bm_unit_column`` where the dataset has one. The two state tables hold the
same columns as DuckDB's. ``TableSpec.ddl()`` renders the same layout as BigQuery DDL, for docs and
for anyone creating the tables by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from loaders.registry import Dataset, all_columns
from loaders.warehouse.base import MESSAGES_TABLE, STATE_TABLE
from loaders.warehouse.ddl import BIGQUERY_TYPES, all_raw_tables

STATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", "STRING"),
    ("window_start", "TIMESTAMP"),
    ("window_end", "TIMESTAMP"),
    ("row_count", "INT64"),
    ("batch_id", "STRING"),
    ("loaded_at", "TIMESTAMP"),
    # The UTC days (of the raw table's partition column) the window's rows fall in: the partition
    # bound of the next replace of an overlapping window (see ``BigQueryWriter.replace_window_script``).
    ("partition_lo", "DATE"),
    ("partition_hi", "DATE"),
)

MESSAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("message_id", "STRING"),
    ("dataset", "STRING"),
    ("record_count", "INT64"),
    ("batch_id", "STRING"),
    ("committed_at", "TIMESTAMP"),
)

# Columns of the staged message list appended with each IRIS batch.
STAGED_MESSAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("message_id", "STRING"),
    ("dataset", "STRING"),
    ("record_count", "INT64"),
)


def qi(name: str) -> str:
    """Quote a BigQuery identifier or path with backticks (camelCase names keep their case)."""
    if "`" in name or "\\" in name:
        raise ValueError(f"invalid BigQuery identifier {name!r}")
    return f"`{name}`"


@dataclass(frozen=True)
class TableSpec:
    """One BigQuery table: columns (name, BigQuery type), partitioning and clustering."""

    name: str
    columns: tuple[tuple[str, str], ...]
    partition_column: str | None = None
    partition_type: str | None = None  # the partition column's type: DATE or TIMESTAMP
    clustering: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.columns)

    def ddl(self, project: str, dataset: str) -> str:
        cols = ",\n  ".join(f"{qi(n)} {t}" for n, t in self.columns)
        sql = f"CREATE TABLE IF NOT EXISTS {qi(f'{project}.{dataset}.{self.name}')} (\n  {cols}\n)"
        if self.partition_column:
            col = qi(self.partition_column)
            expr = col if self.partition_type == "DATE" else f"TIMESTAMP_TRUNC({col}, DAY)"
            sql += f"\nPARTITION BY {expr}"
        if self.clustering:
            sql += "\nCLUSTER BY " + ", ".join(qi(c) for c in self.clustering)
        return sql


def raw_table_spec(dataset: Dataset, table: str) -> TableSpec:
    columns = tuple((n, BIGQUERY_TYPES[t]) for n, t in all_columns(dataset))
    part = dataset.partition_column
    if part and dataset.column(part).type not in ("date", "timestamp"):
        raise ValueError(f"{dataset.name}: partition column {part!r} must be a date or timestamp")
    return TableSpec(
        name=table,
        columns=columns,
        partition_column=part,
        partition_type=BIGQUERY_TYPES[dataset.column(part).type] if part else None,
        clustering=(dataset.bm_unit_column,) if dataset.bm_unit_column else (),
    )


def state_table_specs() -> list[TableSpec]:
    return [
        TableSpec(STATE_TABLE, STATE_COLUMNS, clustering=("dataset",)),
        TableSpec(MESSAGES_TABLE, MESSAGE_COLUMNS, clustering=("message_id",)),
    ]


def all_table_specs() -> list[TableSpec]:
    """Every table ``BigQueryWriter.init()`` creates: each registry raw table, then the state tables."""
    return [raw_table_spec(d, t) for d, t in all_raw_tables()] + state_table_specs()
