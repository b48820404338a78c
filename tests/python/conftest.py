"""Shared pytest fixtures. Fixture modules live next to this file and are loaded as plugins."""

import os

import pytest

pytest_plugins = [
    p
    for p in ("tests.python.fixtures_bq_emulator",)
    if os.path.exists(os.path.join(os.path.dirname(__file__), p.rsplit(".", 1)[1] + ".py"))
]


@pytest.fixture
def duckdb_path(tmp_path):
    """A fresh DuckDB warehouse file for one test."""
    return tmp_path / "warehouse.duckdb"
