"""Choosing and opening a warehouse writer (kept out of :mod:`loaders.warehouse.base`, which the
implementations import, so the interface never imports its own implementations)."""

from __future__ import annotations

import os
from typing import Any

from loaders.warehouse.base import Writer


def resolve_target(target: str | None = None) -> str:
    """'duckdb' or 'bigquery': the argument, else env GBPOWER_TARGET, else duckdb."""
    target = (target or os.environ.get("GBPOWER_TARGET") or "duckdb").lower()
    return "bigquery" if target.startswith("bigquery") or target == "bq" else target


def open_writer(target: str | None = None, **kwargs: Any) -> Writer:
    """The writer for ``target`` ('duckdb' — the default — or 'bigquery'), configured from env."""
    target = resolve_target(target)
    if target == "duckdb":
        from loaders.warehouse.duckdb_writer import DuckDBWriter

        return DuckDBWriter(**kwargs)
    if target in ("bigquery", "bq", "bigquery_emulator"):
        from loaders.warehouse.bigquery_writer import BigQueryWriter

        return BigQueryWriter(**kwargs)
    raise ValueError(f"unknown target {target!r}: use 'duckdb' or 'bigquery'")
