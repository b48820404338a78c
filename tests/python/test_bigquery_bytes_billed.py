"""BigQuery ``maximum_bytes_billed`` per job type (issue #13 item 3), from config/bigquery_bytes_billed.yml.

The resolution (file → job type → bytes) runs on its own; each job of orchestration/crontab gets its
type from its real command line; and the limit reaches the query jobs we send: the writer's, and dbt's
through the profile. The BigQuery emulator accepts but ignores ``maximumBytesBilled`` (it bills
nothing and does not echo the setting back), so those tests record the job configuration our code
hands to the real ``google.cloud.bigquery.Client.query`` on its way to the emulator.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from loaders import config
from loaders.commands import dbt as dbt_command
from loaders.warehouse import bytes_billed
from loaders.warehouse.bytes_billed import ENV_VAR, BytesBilledConfigError, limit_for

ROOT = config.project_root()


def _parse(command_line: str) -> tuple[argparse.Namespace, list[str]]:
    """``gbpower dbt …`` as the CLI parses it: (options, dbt arguments)."""
    parser = argparse.ArgumentParser(prog="gbpower")
    dbt_command.register(parser.add_subparsers())
    words = shlex.split(command_line)
    args = parser.parse_args(words[words.index("dbt") :])
    return args, list(args.dbt_args)


def _job_type(command_line: str) -> str:
    args, dbt_args = _parse(command_line)
    return args.job_type or dbt_command.job_type_of_dbt_run(dbt_args, dbt_command.data_test_scope_of(args, dbt_args))


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(bytes_billed.FILE_ENV_VAR, raising=False)
    monkeypatch.delenv(dbt_command.SCOPE_ENV, raising=False)


def test_the_shipped_file_sets_every_job_type_and_the_limits_differ():
    limits = bytes_billed.load_limits()
    assert set(limits) == set(bytes_billed.JOB_TYPES)
    assert limits["scheduled_build"] == 20 * 10**9
    assert limits["scheduled_build"] < limits["full_history_tests"] < limits["full_refresh"]
    assert 0 < limits["loader"] < limits["other"]


def test_sizes_units_defaults_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert bytes_billed.parse_bytes("10 GB", "x") == 10**10
    assert bytes_billed.parse_bytes("1.5GiB", "x") == int(1.5 * 2**30)
    assert bytes_billed.parse_bytes(123, "x") == 123
    path = tmp_path / "limits.yml"
    path.write_text("scheduled_build: 2 MB\nloader: 0\n")
    monkeypatch.setenv(bytes_billed.FILE_ENV_VAR, str(path))
    assert limit_for("scheduled_build") == 2_000_000
    assert limit_for("loader") == 0  # no limit
    assert limit_for("full_refresh") == bytes_billed.DEFAULTS["full_refresh"]  # left out: the default
    monkeypatch.setenv(ENV_VAR, "777")
    assert limit_for("full_refresh") == 777  # the environment overrides every job type
    monkeypatch.delenv(ENV_VAR)
    for bad, message in (("sheduled_build: 1 GB\n", "unknown job type 'sheduled_build'"), ("loader: lots\n", "loader")):
        path.write_text(bad)
        with pytest.raises(BytesBilledConfigError, match=message):
            limit_for("loader")
    with pytest.raises(BytesBilledConfigError, match="unknown BigQuery job type"):
        limit_for("nightly")


def test_each_scheduled_job_gets_its_job_type():
    """The job type of every ``gbpower dbt`` line of orchestration/crontab, from its real command line."""
    jobs = {}
    for line in (ROOT / "orchestration" / "crontab").read_text().splitlines():
        if "run-job" in line and "gbpower dbt" in line and not line.lstrip().startswith("#"):
            name = line.split("run-job", 1)[1].split()[0]
            jobs[name] = _job_type(line.split(" -- ", 1)[1])
    assert jobs["dbt-build"] == "scheduled_build"
    assert jobs["full-history-tests"] == "full_history_tests"
    assert jobs["dbt-freshness"] == "other" and jobs["docs"] == "other"


@pytest.mark.parametrize(
    ("command_line", "job_type"),
    [
        ("gbpower dbt build --full-refresh", "full_refresh"),
        ("gbpower dbt --test-scope window build --vars '{refresh_from: 2024-01-01}'", "full_refresh"),
        ("gbpower dbt build", "full_history_tests"),
        ("gbpower dbt build -s marts", "other"),
        ("gbpower dbt --test-scope window run", "scheduled_build"),
        ("gbpower dbt --job-type full_refresh run -s mart_frequency_events", "full_refresh"),
    ],
)
def test_job_type_of_a_run_by_hand(command_line: str, job_type: str):
    assert _job_type(command_line) == job_type


def test_gbpower_dbt_passes_the_limit_to_dbt_unless_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch):
    args, dbt_args = _parse("gbpower dbt --test-scope window build")
    assert dbt_command.bytes_billed_env(args, dbt_args, "window") == {ENV_VAR: "20000000000"}
    args, dbt_args = _parse("gbpower dbt build --full-refresh")
    assert dbt_command.bytes_billed_env(args, dbt_args, "all") == {ENV_VAR: str(10**12)}
    monkeypatch.setenv(ENV_VAR, "5")
    assert dbt_command.bytes_billed_env(args, dbt_args, "all") == {}


def _record_query_job_configs(monkeypatch: pytest.MonkeyPatch) -> list:
    """Spy on the real client: remember every query job's configuration, then send it on."""
    from google.cloud import bigquery

    sent: list = []
    original = bigquery.Client.query

    def query(self, *args, **kwargs):
        sent.append(kwargs.get("job_config") if "job_config" in kwargs else (args[1] if len(args) > 1 else None))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(bigquery.Client, "query", query)
    return sent


@pytest.mark.bigquery
def test_the_writer_sends_the_loader_limit_with_every_query_job(bq_writer, monkeypatch: pytest.MonkeyPatch):
    assert bq_writer.maximum_bytes_billed == limit_for("loader") == 5 * 10**9
    sent = _record_query_job_configs(monkeypatch)
    bq_writer.query("SELECT COUNT(*) FROM gbpower_windows WHERE dataset = ?", ["BOALF"])
    bq_writer._run_script("script", "SELECT 1")
    bq_writer._run_plain("ddl", "SELECT 1")
    assert len(sent) == 3
    assert [c.maximum_bytes_billed for c in sent] == [5 * 10**9] * 3


@pytest.mark.bigquery
@pytest.mark.parametrize(
    ("command_line", "limit"),
    [("gbpower dbt --test-scope window build", 20 * 10**9), ("gbpower dbt build --full-refresh", 10**12)],
)
def test_dbt_query_jobs_carry_the_limit_of_the_job_type(
    bq_emulator, monkeypatch: pytest.MonkeyPatch, command_line: str, limit: int
):
    """dbt (in process, its real BigQuery adapter and our profile) against the emulator: the connection
    test's query job carries the limit ``gbpower dbt`` chose for the command line."""
    from dbt.cli.main import dbtRunner

    from loaders.dbt_runner import dbt_command as build_dbt_command

    args, dbt_args = _parse(command_line)
    scope = dbt_command.data_test_scope_of(args, dbt_args)
    for key, value in {**bq_emulator.env, **dbt_command.bytes_billed_env(args, dbt_args, scope)}.items():
        monkeypatch.setenv(key, value)
    _, env = build_dbt_command(["debug"], target="bigquery_emulator")
    sent = _record_query_job_configs(monkeypatch)
    result = dbtRunner().invoke(
        ["debug", "--connection", "--target", "bigquery_emulator", "--profiles-dir", env["DBT_PROFILES_DIR"]]
    )
    assert result.success, result.exception
    assert sent, "dbt ran no query job"
    assert {c.maximum_bytes_billed for c in sent} == {limit}
