"""Warehouse writers: one small interface (``base.Writer``), DuckDB and BigQuery implementations."""

from loaders.warehouse.base import MessageRecord, Window, Writer, WriterError, open_writer

__all__ = ["MessageRecord", "Window", "Writer", "WriterError", "open_writer"]
