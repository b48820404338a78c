"""``gbpower datasets`` on a real DuckDB warehouse: every registry dataset, its upkeep, and per source
(API table, IRIS table) the rows and the newest data time; ``--json``; a warehouse not created yet."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from loaders.cli import main
from loaders.registry import DATASETS
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.raw_rows import load, naive

DAY = date(2025, 1, 15)
T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def boalf(t: datetime, number: int) -> dict:
    return {
        "settlementDate": t.date(),
        "settlementPeriodFrom": 25,
        "settlementPeriodTo": 25,
        "timeFrom": naive(t),
        "timeTo": naive(t + timedelta(minutes=5)),
        "levelFrom": 0.0,
        "levelTo": 10.0,
        "acceptanceNumber": number,
        "acceptanceTime": naive(t - timedelta(minutes=2)),
        "nationalGridBmUnit": "A-1",
        "bmUnit": "T_A-1",
        "amendmentFlag": "ORI",
    }


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    """A DuckDB warehouse with a few rows: BOALF (API 3, IRIS 2), NETBSAD (API, a date column), BMUNITS."""
    path = tmp_path / "wh" / "gbpower.duckdb"
    monkeypatch.setenv("GBPOWER_DUCKDB", str(path))
    writer = DuckDBWriter(path)
    writer.init()
    batches = tmp_path / "batches"
    batches.mkdir()
    b = DATASETS["BOALF"]
    load(writer, batches, b, b.raw_table, [boalf(T0 + timedelta(minutes=30 * i), i + 1) for i in range(3)])
    load(writer, batches, b, b.iris_table, [boalf(T0 + timedelta(hours=5, minutes=i), 10 + i) for i in range(2)])
    n = DATASETS["NETBSAD"]
    rows = [{"settlementDate": DAY - timedelta(days=k), "settlementPeriod": p} for k in (0, 1) for p in (1, 2)]
    load(writer, batches, n, n.raw_table, rows)
    u = DATASETS["BMUNITS"]
    load(writer, batches, u, u.raw_table, [{"nationalGridBmUnit": "A-1", "elexonBmUnit": "T_A-1", "eic": "x"}])
    writer.close()
    return path


def run_json(capsys, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["datasets", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_lists_every_dataset_with_rows_and_newest_per_source(warehouse, capsys):
    records = run_json(capsys)
    assert [r["code"] for r in records] == list(DATASETS)
    by = {r["code"]: r for r in records}

    boalf_ = by["BOALF"]
    assert boalf_["route"] == "/datasets/BOALF/stream" and boalf_["iris"] is True
    assert boalf_["description"] == DATASETS["BOALF"].description
    api, iris = boalf_["sources"]["api"], boalf_["sources"]["iris"]
    assert (api["table"], api["rows"], api["newest_data"]) == ("bmrs_boalf", 3, "2025-01-15T13:00:00Z")
    assert (iris["table"], iris["rows"], iris["newest_data"]) == ("bmrs_boalf_iris", 2, "2025-01-15T17:01:00Z")
    assert api["last_loaded_utc"] and iris["last_loaded_utc"]

    netbsad = by["NETBSAD"]["sources"]["api"]  # newest on a date column is a date
    assert (netbsad["rows"], netbsad["newest_data"]) == (4, "2025-01-15")

    bmunits = by["BMUNITS"]
    assert bmunits["iris"] is False and set(bmunits["sources"]) == {"api"}
    assert bmunits["sources"]["api"]["rows"] == 1
    assert bmunits["sources"]["api"]["newest_data"] is None  # a snapshot has no time column

    empty = by["FREQ"]["sources"]
    assert empty["api"]["rows"] == 0 and empty["iris"]["rows"] == 0
    assert empty["api"]["newest_data"] is None and empty["api"]["last_loaded_utc"] is None


def test_upkeep_is_the_registry_policy(warehouse, capsys):
    for r in run_json(capsys):
        d = DATASETS[r["code"]]
        policy = getattr(d, "policy", None)
        assert r["upkeep"] == (list(policy.upkeep) if policy is not None else None)
        assert r["iris"] == d.iris and set(r["sources"]) == ({"api", "iris"} if d.iris else {"api"})


def test_text_table(warehouse, capsys):
    assert main(["datasets", "-d", "boalf", "-d", "bmrs_costs", "-d", "BOALF"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["code", "description", "route"]
    assert [line.split()[0] for line in lines[2:]] == ["BOALF", "DISEBSP"]  # aliases resolved, no repeats
    boalf_line = lines[2]
    assert "/datasets/BOALF/stream" in boalf_line and " yes " in boalf_line
    assert "  3  2025-01-15T13:00:00Z" in boalf_line and "  2  2025-01-15T17:01:00Z" in boalf_line
    policy = getattr(DATASETS["BOALF"], "policy", None)
    assert (", ".join(policy.upkeep) if policy else " - ") in boalf_line
    assert lines[3].rstrip().endswith("0  —")  # DISEBSP: nothing loaded


def test_a_warehouse_not_created_yet_shows_zeros_and_stays_uncreated(tmp_path, monkeypatch, capsys):
    path = tmp_path / "nowhere" / "gbpower.duckdb"
    monkeypatch.setenv("GBPOWER_DUCKDB", str(path))
    records = run_json(capsys)
    assert len(records) == len(DATASETS)
    assert all(s["rows"] == 0 and s["newest_data"] is None for r in records for s in r["sources"].values())
    assert not path.exists() and not path.parent.exists()


def test_unknown_dataset_is_a_usage_error(warehouse, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["datasets", "-d", "NOPE"])
    assert exc.value.code == 2
    assert "unknown dataset 'NOPE'" in capsys.readouterr().err


@pytest.mark.bigquery
def test_same_inventory_on_the_bigquery_emulator(bq_writer, tmp_path):
    """The same portable query through the BigQuery writer (tables qualified `project.dataset.table`)."""
    from loaders.commands.datasets import inventory

    b, n = DATASETS["BOALF"], DATASETS["NETBSAD"]
    load(bq_writer, tmp_path, b, b.raw_table, [boalf(T0 + timedelta(minutes=30 * i), i + 1) for i in range(3)])
    load(bq_writer, tmp_path, n, n.raw_table, [{"settlementDate": DAY, "settlementPeriod": p} for p in (1, 2)])
    by = {r["code"]: r["sources"] for r in inventory(bq_writer, [b, n])}
    assert (by["BOALF"]["api"]["rows"], by["BOALF"]["api"]["newest_data"]) == (3, "2025-01-15T13:00:00Z")
    assert (by["BOALF"]["iris"]["rows"], by["BOALF"]["iris"]["newest_data"]) == (0, None)
    assert (by["NETBSAD"]["api"]["rows"], by["NETBSAD"]["api"]["newest_data"]) == (2, "2025-01-15")
