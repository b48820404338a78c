"""Warehouse writers: one small interface (``base.Writer``), DuckDB and BigQuery implementations,
and ``factory.open_writer`` to pick one."""

from loaders.warehouse.base import MessageRecord, Writer, WriterError
from loaders.warehouse.factory import open_writer, resolve_target

__all__ = ["MessageRecord", "Writer", "WriterError", "open_writer", "resolve_target"]
