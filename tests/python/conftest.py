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


@pytest.fixture(autouse=True)
def _disk_thresholds_off(monkeypatch):
    """Health's disk check judges the machine running the tests, not the code under test: a CI disk with
    14.99 % free turned two health tests' exit codes into warnings. Its thresholds are tested where
    they are passed explicitly (test_health's disk tests); everywhere else only a full disk counts."""
    monkeypatch.setenv("GBPOWER_DISK_WARN_PCT", "0")
    monkeypatch.setenv("GBPOWER_DISK_ERROR_PCT", "0")
