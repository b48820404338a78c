"""Where things live: project root, warehouse paths, working directories. All from env with defaults."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The dbt project root (holds dbt_project.yml). ``GBPOWER_HOME`` overrides."""
    env = os.environ.get("GBPOWER_HOME")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parent


def resolve(path: str | os.PathLike[str]) -> Path:
    """Relative paths are relative to the project root (as dbt, run from there, sees them)."""
    p = Path(path)
    return p if p.is_absolute() else project_root() / p


def duckdb_path() -> Path:
    return resolve(os.environ.get("GBPOWER_DUCKDB", "warehouse/gbpower.duckdb"))


def work_dir() -> Path:
    """Scratch space for downloads and Parquet batches (``GBPOWER_WORK_DIR``)."""
    return resolve(os.environ.get("GBPOWER_WORK_DIR", ".gbpower/work"))


def quarantine_dir() -> Path:
    """Where rejected rows, payloads and IRIS messages are kept for inspection."""
    return resolve(os.environ.get("GBPOWER_QUARANTINE_DIR", "quarantine"))


def state_dir() -> Path:
    """Heartbeat and other small state files (``GBPOWER_STATE_DIR``)."""
    return resolve(os.environ.get("GBPOWER_STATE_DIR", ".gbpower/state"))


def api_base_url() -> str:
    return os.environ.get("BMRS_API_BASE_URL", "https://data.elexon.co.uk/bmrs/api/v1").rstrip("/")
