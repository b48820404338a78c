"""Raw-table schemas from the registry, in each warehouse's types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loaders.registry import DATASETS, Dataset, all_columns

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "json": "VARCHAR",
}

BIGQUERY_TYPES = {
    "string": "STRING",
    "integer": "INT64",
    "number": "FLOAT64",
    "boolean": "BOOL",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "json": "STRING",
}

if TYPE_CHECKING:
    import pyarrow as pa


def arrow_type(type_: str) -> pa.DataType:
    """The Arrow type of a registry column type (pyarrow is imported only when needed)."""
    import pyarrow as pa

    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "json": pa.string(),
    }[type_]


def arrow_schema(dataset: Dataset) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(name, arrow_type(t)) for name, t in all_columns(dataset)])


def quote(name: str) -> str:
    """Quote an identifier for DuckDB (field names are camelCase and must keep their case)."""
    return '"' + name.replace('"', '""') + '"'


def duckdb_create_table(dataset: Dataset, schema: str, table: str) -> str:
    cols = ",\n  ".join(f"{quote(n)} {DUCKDB_TYPES[t]}" for n, t in all_columns(dataset))
    return f"CREATE TABLE IF NOT EXISTS {schema}.{table} (\n  {cols}\n)"


def all_raw_tables() -> list[tuple[Dataset, str]]:
    return [(d, t) for d in DATASETS.values() for t in d.tables]
