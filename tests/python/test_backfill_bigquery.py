"""`gbpower backfill` into BigQuery (the bqemulator), from the loopback replay of real samples.

The same loader code path as on DuckDB: windows, parse to Parquet, then the BigQuery writer's load
job into a staging table and one multi-statement transaction per window.
Contains BMRS data © Elexon Limited copyright and database right (loaders/samples/real).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from loaders.api.client import ApiClient
from loaders.backfill import Backfill
from loaders.quarantine import Quarantine
from loaders.registry import get_dataset
from loaders.replay import Fault, ReplayServer
from loaders.replay.layout import write_rows

pytestmark = pytest.mark.bigquery

REAL = Path(__file__).resolve().parents[2] / "loaders" / "samples" / "real" / "elexon_samples"


def real_rows(name: str) -> list[dict]:
    doc = json.loads((REAL / name).read_text())
    return doc["data"] if isinstance(doc, dict) else doc


def test_backfill_into_bigquery_is_idempotent(bq_writer, tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_rows(store, get_dataset("BOALF"), real_rows("BOALF.json"))
    write_rows(store, get_dataset("DISEBSP"), real_rows("DISEBSP_system_prices.json"))
    datasets = [get_dataset("BOALF"), get_dataset("DISEBSP")]

    def run(force: bool):
        client = ApiClient(server.base_url, rate_per_s=50, backoff_base_s=0.05)
        return Backfill(
            bq_writer,
            client,
            concurrency=2,
            quarantine=Quarantine(tmp_path / "q"),
            work_dir=tmp_path / "work",
            progress=False,
        ).run(datasets, date(2026, 5, 6), date(2026, 5, 6), force=force)

    with ReplayServer(store, faults=[Fault("BOALF", status=503, times=1)]) as server:
        first = run(False)
        again = run(False)
        forced = run(True)
    assert first.ok and again.ok and forced.ok, (first.failures, forced.failures)
    assert again.rows == 0 and again.datasets["BOALF"].windows_skipped == 1
    rows = bq_writer.query(
        f"select acceptanceNumber, soFlag, levelFrom, _source from `{bq_writer.table_id('bmrs_boalf')}` "
        "order by acceptanceNumber"
    )
    expected = sorted(real_rows("BOALF.json"), key=lambda r: r["acceptanceNumber"])
    assert [tuple(r) for r in rows] == [(e["acceptanceNumber"], e["soFlag"], e["levelFrom"], "api") for e in expected]
    prices = bq_writer.query(
        f"select settlementPeriod, systemSellPrice from `{bq_writer.table_id('bmrs_disebsp')}` order by 1"
    )
    assert [tuple(p) for p in prices] == [
        (r["settlementPeriod"], r["systemSellPrice"]) for r in real_rows("DISEBSP_system_prices.json")
    ]
    assert len(bq_writer.completed_windows(get_dataset("BOALF"))) == 1
