"""A backfill against the loopback replay server, as the tests run it: the real client, writer and
quarantine, with the retry and rate settings a test needs."""

from __future__ import annotations

from pathlib import Path

from loaders.api.client import ApiClient
from loaders.backfill import Backfill
from loaders.quarantine import Quarantine
from loaders.replay import ReplayServer
from loaders.warehouse.duckdb_writer import DuckDBWriter


def replay_backfill(
    server: ReplayServer,
    db: Path,
    tmp: Path,
    *,
    rate: float = 500,
    backoff_base_s: float = 0.01,
    read_timeout_s: float = 30,
    max_attempts: int = 2,
    concurrency: int = 2,
    lock_timeout_s: float = 30,
) -> Backfill:
    """A :class:`Backfill` into the DuckDB file ``db`` from ``server``; scratch and quarantine under ``tmp``."""
    client = ApiClient(
        server.base_url,
        rate_per_s=rate,
        backoff_base_s=backoff_base_s,
        read_timeout_s=read_timeout_s,
        max_attempts=max_attempts,
    )
    return Backfill(
        DuckDBWriter(db, lock_timeout_s=lock_timeout_s),
        client,
        concurrency=concurrency,
        quarantine=Quarantine(tmp / "quarantine"),
        work_dir=tmp / "work",
        progress=False,
    )
