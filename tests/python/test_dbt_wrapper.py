"""``gbpower dbt`` and ``gbpower init`` on real warehouses with real dbt: any selection works on a
fresh demo-loaded warehouse (indirect selection defaults to ``buildable``), and a warehouse where only
the loaders have written is ready for ``dbt run`` then ``dbt test`` (the seeds are loaded first)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from loaders.commands.dbt import env_defaults, forwarded_options, subcommand
from loaders.dbt_results_only import target_path
from loaders.dbt_runner import dbt_command
from loaders.seeds import missing_seeds, seed_names
from loaders.warehouse.duckdb_writer import DuckDBWriter

SEEDS = seed_names()  # one table per seeds/*.csv


def test_indirect_selection_defaults_to_buildable_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("DBT_INDIRECT_SELECTION", raising=False)
    _, env = dbt_command(["build"], env_defaults=env_defaults(["build", "-s", "+bmrs_costs"]))
    assert env["DBT_INDIRECT_SELECTION"] == "buildable"
    assert env_defaults(["build", "--indirect-selection", "eager"]) == {}
    assert env_defaults(["build", "--indirect-selection=cautious"]) == {}
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "eager")
    assert env_defaults(["build"]) == {}
    _, env = dbt_command(["build"], env_defaults={"DBT_INDIRECT_SELECTION": "buildable"})
    assert env["DBT_INDIRECT_SELECTION"] == "eager"  # the user's setting wins


def test_the_scheduled_scope_leaves_unit_tests_out_unless_types_are_chosen(monkeypatch):
    monkeypatch.delenv("DBT_EXCLUDE_RESOURCE_TYPES", raising=False)
    assert env_defaults(["build"], "window")["DBT_EXCLUDE_RESOURCE_TYPES"] == "unit_test"
    assert env_defaults(["test", "-s", "x"], "window")["DBT_EXCLUDE_RESOURCE_TYPES"] == "unit_test"
    assert "DBT_EXCLUDE_RESOURCE_TYPES" not in env_defaults(["build"], "all")
    assert "DBT_EXCLUDE_RESOURCE_TYPES" not in env_defaults(["run"], "window")  # run has no tests
    chosen = ["build", "--resource-type", "unit_test"]
    assert "DBT_EXCLUDE_RESOURCE_TYPES" not in env_defaults(chosen, "window")
    assert "DBT_EXCLUDE_RESOURCE_TYPES" not in env_defaults(["build", "--exclude-resource-type=seed"], "window")
    monkeypatch.setenv("DBT_EXCLUDE_RESOURCE_TYPES", "seed")
    assert "DBT_EXCLUDE_RESOURCE_TYPES" not in env_defaults(["build"], "window")  # the user's setting wins


def test_the_scheduled_scope_writes_only_run_results(monkeypatch, tmp_path):
    monkeypatch.delenv("GBPOWER_DBT_ARTIFACTS", raising=False)
    assert env_defaults(["build"], "window")["GBPOWER_DBT_ARTIFACTS"] == "run_results"
    assert "GBPOWER_DBT_ARTIFACTS" not in env_defaults(["build"], "all")
    assert "GBPOWER_DBT_ARTIFACTS" not in env_defaults(["docs", "generate"], "window")
    cmd, _ = dbt_command(["build"], env_defaults=env_defaults(["build"], "window"))
    assert cmd[1:4] == ["-m", "loaders.dbt_results_only", "build"]
    monkeypatch.setenv("GBPOWER_DBT_ARTIFACTS", "all")  # the user's setting wins
    cmd, _ = dbt_command(["build"], env_defaults=env_defaults(["build"], "window"))
    assert cmd[1:] == ["build"] and cmd[0].endswith("dbt")
    # where run_results.json goes: as dbt decides it
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    assert target_path(["build", "--target-path", "/a", "--target-path=/b"]) == Path("/b")
    assert target_path(["build", "--project-dir", str(tmp_path), "--target-path", "t"]) == tmp_path / "t"
    (tmp_path / "dbt_project.yml").write_text("name: x\ntarget-path: out\n")
    assert target_path(["build", "--project-dir", str(tmp_path)]) == tmp_path / "out"
    monkeypatch.setenv("DBT_TARGET_PATH", "/env")
    assert target_path(["build", "--project-dir", str(tmp_path)]) == Path("/env")


def test_argument_helpers():
    assert subcommand(["build", "-s", "x"]) == "build" and subcommand(["--help"]) is None
    assert forwarded_options(["run", "--target-path", "/t", "-s", "x", "--log-path=/l"]) == [
        "--target-path",
        "/t",
        "--log-path=/l",
    ]
    assert {"bm_unit_overrides", "fuel_carbon_factors", "vlp_units"} <= set(SEEDS)


@pytest.fixture(scope="module")
def loaded_warehouse(tmp_path_factory) -> Path:
    """A demo warehouse loaded by the real loader only (`gbpower demo --skip-dbt`): no models, no seeds."""
    tmp = tmp_path_factory.mktemp("loaded")
    db = tmp / "gbpower.duckdb"
    proc = gbpower(["demo", "--skip-dbt", "--store", str(tmp / "store")], db, tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return db


def gbpower(args: list[str], db: Path, work: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(
        os.environ,
        GBPOWER_DUCKDB=str(db),
        GBPOWER_WORK_DIR=str(work / "work"),
        GBPOWER_QUARANTINE_DIR=str(work / "quarantine"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        **env,
    )
    full.pop("GBPOWER_TARGET", None)
    if "DBT_INDIRECT_SELECTION" not in env:
        full.pop("DBT_INDIRECT_SELECTION", None)
    return subprocess.run(
        [sys.executable, "-m", "loaders.cli", *args], env=full, capture_output=True, text=True, timeout=1800
    )


def copy_of(db: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "gbpower.duckdb"
    shutil.copyfile(db, dest)
    return dest


def tables(db: Path, schema: str) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema])
        return {r[0] for r in rows.fetchall()}
    finally:
        con.close()


def results(work: Path) -> dict[str, int]:
    doc = json.loads((work / "target/run_results.json").read_text())
    counts: dict[str, int] = {}
    for r in doc["results"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def test_build_plus_bmrs_costs_passes_on_a_fresh_loaded_warehouse(loaded_warehouse, tmp_path):
    db = copy_of(loaded_warehouse, tmp_path)
    proc = gbpower(["dbt", "build", "-s", "+bmrs_costs"], db, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "bmrs_costs" in tables(db, "analytics")
    counts = results(tmp_path)
    assert counts.get("pass", 0) > 10 and set(counts) <= {"pass", "success"}


def test_the_users_own_eager_setting_is_respected(loaded_warehouse, tmp_path):
    """Control: with dbt's eager indirect selection the same command fails on this warehouse (tests
    whose other parents were never built) — the default above is what makes it pass."""
    db = copy_of(loaded_warehouse, tmp_path)
    proc = gbpower(["dbt", "build", "-s", "+bmrs_costs"], db, tmp_path, DBT_INDIRECT_SELECTION="eager")
    assert proc.returncode != 0
    assert "does not exist" in proc.stdout or "Catalog Error" in proc.stdout


def test_loader_only_warehouse_is_ready_for_dbt_run_then_dbt_test(loaded_warehouse, tmp_path):
    db = copy_of(loaded_warehouse, tmp_path)
    assert missing_seeds(DuckDBWriter(db)) == SEEDS  # only the loader has written
    run = gbpower(["dbt", "run"], db, tmp_path)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "seed table(s) missing" in run.stderr
    assert set(SEEDS) <= tables(db, "analytics") and "mart_vlp_revenue_daily" in tables(db, "analytics")
    test = gbpower(["dbt", "test"], db, tmp_path)
    assert test.returncode == 0, test.stdout[-4000:]
    assert "seed table(s) missing" not in test.stderr  # seeded once
    counts = results(tmp_path)
    assert counts.get("pass", 0) > 100 and not {"fail", "error"} & set(counts)

    # the scheduled scope leaves dbt's unit tests out and writes run_results.json but not the manifest;
    # the default scope (CI, the weekly job) runs them and writes every artifact
    select = ["test", "-s", "mart_system_snapshot"]
    manifest, run_results = tmp_path / "target/manifest.json", tmp_path / "target/run_results.json"
    manifest.unlink()
    run_results.unlink()
    scheduled = gbpower(["dbt", "--test-scope", "window", *select], db, tmp_path)
    assert scheduled.returncode == 0, scheduled.stdout[-4000:]
    kinds = result_kinds(tmp_path)
    assert kinds.get("test", 0) > 3 and "unit_test" not in kinds, kinds
    assert not manifest.exists()
    assert "PASS=" in scheduled.stdout  # dbt's own log output, as from the dbt command
    everything = gbpower(["dbt", *select], db, tmp_path)
    assert everything.returncode == 0, everything.stdout[-4000:]
    assert result_kinds(tmp_path).get("unit_test", 0) >= 2
    assert manifest.exists()

    # a failing test fails the scheduled run with dbt's exit code, and its results say which
    con = duckdb.connect(str(db))
    try:
        con.execute("update analytics.mart_system_snapshot set snapshot_time_utc = null")
    finally:
        con.close()
    failed = gbpower(["dbt", "--test-scope", "window", *select], db, tmp_path)
    assert failed.returncode == 1, failed.stdout[-4000:]
    statuses = {r["unique_id"]: r["status"] for r in json.loads(run_results.read_text())["results"]}
    failing = [uid for uid, status in statuses.items() if status == "fail"]
    assert [uid.split(".")[2] for uid in failing] == ["not_null_mart_system_snapshot_snapshot_time_utc"], statuses
    usage = gbpower(["dbt", "--test-scope", "window", "test", "--no-such-option"], db, tmp_path)
    assert usage.returncode == 2, usage.stdout[-2000:] + usage.stderr[-2000:]


def result_kinds(work: Path) -> dict[str, int]:
    """Resource types in the last run's results (``test``, ``unit_test``, ``model`` …)."""
    counts: dict[str, int] = {}
    for r in json.loads((work / "target/run_results.json").read_text())["results"]:
        kind = r["unique_id"].split(".")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_init_creates_raw_tables_and_loads_the_seeds(tmp_path):
    db = tmp_path / "gbpower.duckdb"
    proc = gbpower(["init"], db, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "bmrs_boalf" in tables(db, "raw") and set(SEEDS) <= tables(db, "analytics")
    assert missing_seeds(DuckDBWriter(db)) == []
    bare = tmp_path / "bare" / "gbpower.duckdb"
    assert gbpower(["init", "--no-seed"], bare, tmp_path / "bare").returncode == 0
    assert "bmrs_boalf" in tables(bare, "raw") and not set(SEEDS) & tables(bare, "analytics")
