"""Data tests in the scheduled build read the window that build changed; by default (and in the weekly
full-history job) they read everything (macros/data_test_scope.sql, issue #13 item 1).

* On real data: a duplicate planted in old history passes the window-scoped test and fails the
  full-history one, and a duplicate inside the window fails both.
* Over the compiled BigQuery SQL: every generic test of a model that declares ``meta.test_window``
  bounds its read by that column in ``window`` scope (so BigQuery prunes), and reads the whole model in
  the default scope; every incremental model declares its window and its MERGE is bounded.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loaders.commands.dbt import FULL_HISTORY_STAMP, data_test_scope_of, proves_full_history, record_full_history_pass
from loaders.dev.lint_sql import compile_project
from loaders.dev.partition_predicates import unbounded_reads
from loaders.health.file_checks import full_history_tests_check
from loaders.health.model import Status
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.dbt_harness import run_dbt

AS_OF = "2024-03-05"  # lookback_days 3: the window is settlement dates from 2024-03-02 on
WINDOW = f"{{data_test_scope: window, as_of_date: {AS_OF}}}"
ALL = f"{{as_of_date: {AS_OF}}}"
PK_TEST = "unique_combination_of_columns_stg_bmrs__disebsp"


def _disebsp(con: duckdb.DuckDBPyConnection, day: date, period: int, created: datetime) -> None:
    con.execute(
        "INSERT INTO raw.bmrs_disebsp (settlementDate, settlementPeriod, startTime, createdDateTime, "
        "systemSellPrice, systemBuyPrice, _ingested_at, _source, _batch_id) "
        "VALUES (?, ?, ?, ?, 50, 50, now(), 'api', 'test')",
        [day, period, datetime(day.year, day.month, day.day, tzinfo=UTC), created],
    )


def _pk_status(run) -> str:
    [status] = [s for uid, s in run.status("unique_combination_of_columns").items() if PK_TEST in uid]
    return status


def test_window_scope_skips_old_history_and_the_full_run_catches_it(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    with DuckDBWriter(db) as writer:
        writer.init()
    con = duckdb.connect(str(db))
    created = datetime(2024, 1, 1, 12, tzinfo=UTC)
    _disebsp(con, date(2024, 1, 10), 5, created)
    _disebsp(con, date(2024, 1, 10), 5, created)  # an old duplicate, long out of the window
    _disebsp(con, date(2024, 3, 4), 7, created)
    con.close()

    select = ["build", "-s", "stg_bmrs__disebsp"]
    state = {"GBPOWER_STATE_DIR": str(tmp_path / "state")}
    windowed = run_dbt([*select, "--vars", WINDOW], tmp_path / "a", duckdb_path=db, env=state)
    assert _pk_status(windowed) == "pass", windowed.output[-2000:]
    full = run_dbt([*select, "--vars", ALL], tmp_path / "b", duckdb_path=db)
    assert _pk_status(full) == "fail", full.output[-2000:]

    con = duckdb.connect(str(db))
    _disebsp(con, date(2024, 3, 4), 7, created)  # a duplicate inside the window
    con.close()
    windowed = run_dbt([*select, "--vars", WINDOW], tmp_path / "c", duckdb_path=db, env=state)
    assert _pk_status(windowed) == "fail", windowed.output[-2000:]
    assert not (tmp_path / "state" / FULL_HISTORY_STAMP).exists()  # a selection proves nothing about history


def test_which_runs_prove_the_whole_history_clean():
    no_flag = argparse.Namespace(test_scope=None)
    assert data_test_scope_of(no_flag, ["build"]) == "all"
    assert data_test_scope_of(argparse.Namespace(test_scope="window"), ["build"]) == "window"
    assert data_test_scope_of(no_flag, ["build", "--vars", "{data_test_scope: window}"]) == "window"
    assert proves_full_history(["test"], "all") and proves_full_history(["build", "--target-path", "t"], "all")
    assert not proves_full_history(["build"], "window")
    assert not proves_full_history(["test", "-s", "marts"], "all")
    assert not proves_full_history(["build", "--exclude=stg_bmrs__bod"], "all")
    assert not proves_full_history(["run"], "all") and not proves_full_history(["build", "--empty"], "all")


def test_health_reports_when_the_whole_history_last_passed(tmp_path, monkeypatch):
    monkeypatch.setenv("GBPOWER_STATE_DIR", str(tmp_path))
    stamp = tmp_path / FULL_HISTORY_STAMP
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    assert full_history_tests_check(stamp, now).status == Status.INFO  # a new install: never run yet
    assert record_full_history_pass(["test"], "duckdb") == stamp
    passed = datetime.fromisoformat(json.loads(stamp.read_text())["passed_utc"])
    check = full_history_tests_check(stamp, passed + timedelta(days=2))
    assert check.status == Status.OK and check.details["last_passed_utc"].startswith(passed.strftime("%Y-%m-%dT%H"))
    assert full_history_tests_check(stamp, passed + timedelta(days=9)).status == Status.WARN
    assert full_history_tests_check(stamp, passed + timedelta(days=16)).status == Status.ERROR
    stamp.write_text("not json")
    assert full_history_tests_check(stamp, now).status == Status.WARN


@pytest.fixture(scope="module")
def bigquery_manifests(tmp_path_factory) -> dict[str, dict]:
    """The whole project compiled for BigQuery in window scope, and a few models in the default scope."""
    out = {}
    for scope, select in (("window", ["path:models"]), ("all", list(DEFAULT_SCOPE_MODELS))):
        work = tmp_path_factory.mktemp(f"compile-{scope}")
        compiled = compile_project("bigquery", work, select, f"{{data_test_scope: {scope}}}")
        out[scope] = json.loads((compiled.parent.parent / "manifest.json").read_text())
    return out


DEFAULT_SCOPE_MODELS = ("stg_bmrs__bod", "bmrs_bod_unified", "bmrs_mid_unified", "bmrs_fuelhh_unified")


def _windowed_models(manifest: dict) -> dict[str, dict]:
    return {
        uid: n["config"]["meta"]["test_window"]
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and n["config"].get("meta", {}).get("test_window")
    }


def test_every_growing_model_declares_its_test_window(bigquery_manifests):
    manifest = bigquery_manifests["window"]
    windowed = _windowed_models(manifest)
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        if node["config"]["materialized"] == "incremental":
            assert uid in windowed, f"{uid}: incremental but no meta.test_window"
            column = windowed[uid]["column"]
            assert node["config"]["partition_by"]["field"] == column, uid
            # a model may leave its MERGE unbounded only when it says why (meta.merge_unbounded)
            if node["config"]["incremental_strategy"] == "merge" and not node["config"]["meta"].get("merge_unbounded"):
                predicates = node["config"].get("incremental_predicates") or []
                assert any(column in p for p in predicates), f"{uid}: MERGE not bounded by {column}"
    for name in ("stg_bmrs__bod", "stg_bmrs__bod_iris", "bmrs_bod_unified", "bmrs_fuelhh_unified"):
        assert f"model.gbpower.{name}" in windowed, name


def test_tests_read_only_the_window_in_window_scope(bigquery_manifests):
    manifest = bigquery_manifests["window"]
    windowed = _windowed_models(manifest)
    tables = {manifest["nodes"][uid]["alias"]: w["column"] for uid, w in windowed.items()}
    checked = ahead = 0
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node.get("attached_node") not in windowed:
            continue
        window = windowed[node["attached_node"]]
        attached = manifest["nodes"][node["attached_node"]]["alias"]
        found = [u for u in unbounded_reads(node["compiled_code"], tables) if u.table == attached.lower()]
        assert found == [], f"{node['unique_id']} reads {attached} whole in window scope"
        if window.get("whole_days"):
            assert f"{window['whole_days']} >=" in node["compiled_code"], node["unique_id"]
        if window.get("ahead_days") is not None:  # a model that holds the future: bounded above too
            assert f"{window['column']} <" in node["compiled_code"], node["unique_id"]
            ahead += 1
        checked += 1
    assert checked >= 60
    assert ahead >= 5  # the calendar's tests


def test_tests_read_the_whole_model_by_default(bigquery_manifests):
    """No test silently stops covering old data: outside window scope no test gets the window bound."""
    manifest = bigquery_manifests["all"]
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("compiled_code")]
    assert len(tests) >= len(DEFAULT_SCOPE_MODELS)
    for node in tests:
        assert node["config"].get("where") is None
        assert "dbt_subquery" not in node["compiled_code"], node["unique_id"]
