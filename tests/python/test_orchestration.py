"""orchestration/bin/run-job: the lock, the timeout, the start/end log lines, the env file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loaders import config

RUN_JOB = config.project_root() / "orchestration/bin/run-job"


@pytest.fixture
def dirs(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GBPOWER_")}
    env["GBPOWER_LOG_DIR"] = str(tmp_path / "logs")
    env["GBPOWER_LOCK_DIR"] = str(tmp_path / "locks")
    return env


def run_job(env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RUN_JOB), *args], env=env, capture_output=True, text=True, timeout=60, **kw)


def log_of(env: dict[str, str], name: str) -> str:
    return (Path(env["GBPOWER_LOG_DIR"]) / f"{name}.log").read_text()


def test_success_logs_start_and_end_with_duration_and_exit_code(dirs):
    proc = run_job(dirs, "hello", "--", "bash", "-c", "echo out-line; echo err-line >&2")
    assert proc.returncode == 0
    log = log_of(dirs, "hello")
    lines = log.splitlines()
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ run-job\[\d+\] hello: start \(timeout 3600s\): bash", lines[0])
    assert "out-line" in log and "err-line" in log  # the command's own output is in the job log
    assert re.search(r"hello: end ok \(duration \d+s, exit code 0\)$", lines[-1])
    assert "start" in proc.stderr and "end ok" in proc.stderr


def test_failing_command_exit_code_is_passed_through_and_logged(dirs):
    proc = run_job(dirs, "failing", "--", "bash", "-c", "exit 3")
    assert proc.returncode == 3
    assert re.search(r"failing: end FAILED \(duration \d+s, exit code 3\)", log_of(dirs, "failing"))


def test_two_concurrent_runs_of_the_same_job_one_runs_one_says_already_running(dirs, tmp_path):
    marker = tmp_path / "runs"
    cmd = ["same", "--", "bash", "-c", f"echo run >> {marker}; sleep 3"]
    first = subprocess.Popen([str(RUN_JOB), *cmd], env=dirs, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not marker.exists():  # wait until the first has the lock and is running
        assert time.monotonic() < deadline, "first run-job never started its command"
        time.sleep(0.05)
    second = run_job(dirs, *cmd)
    assert second.returncode == 0
    assert "already running" in second.stderr
    assert first.wait(timeout=30) == 0
    first.stderr.close()
    assert marker.read_text() == "run\n"  # the command ran exactly once
    log = log_of(dirs, "same")
    assert log.count(": start ") == 1 and "already running" in log and "end ok" in log


def test_different_jobs_do_not_block_each_other(dirs, tmp_path):
    a = subprocess.Popen([str(RUN_JOB), "job-a", "--", "sleep", "2"], env=dirs, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        b = run_job(dirs, "job-b", "--", "true")
        assert b.returncode == 0 and "already running" not in b.stderr
        assert "end ok" in log_of(dirs, "job-b")
    finally:
        a.wait(timeout=30)


def test_also_lock_waits_for_the_other_job_and_keeps_it_out(dirs, tmp_path):
    """--also-lock OTHER: the job starts only once OTHER's run is over, and OTHER started meanwhile
    says "already running" (the weekly full-history tests and the 30-minute build)."""
    order = tmp_path / "order"
    build = subprocess.Popen(
        [
            str(RUN_JOB),
            "dbt-build",
            "--",
            "bash",
            "-c",
            f"echo build-start >> {order}; sleep 2; echo build-end >> {order}",
        ],
        env=dirs,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not order.exists():
        assert time.monotonic() < deadline, "the build never started"
        time.sleep(0.05)
    weekly = subprocess.Popen(
        [str(RUN_JOB), "full-tests", "--also-lock", "dbt-build", "--", "bash", "-c", f"echo tests >> {order}; sleep 2"],
        env=dirs,
        stderr=subprocess.DEVNULL,
    )
    assert build.wait(timeout=30) == 0
    time.sleep(0.5)  # the weekly job now holds dbt-build's lock and runs
    skipped = run_job(dirs, "dbt-build", "--", "bash", "-c", f"echo second-build >> {order}")
    assert skipped.returncode == 0 and "already running" in skipped.stderr
    assert weekly.wait(timeout=30) == 0
    assert order.read_text().split() == ["build-start", "build-end", "tests"]
    after = run_job(dirs, "dbt-build", "--", "true")  # released with the weekly job
    assert after.returncode == 0 and "already running" not in after.stderr


def test_also_lock_gives_up_after_the_timeout(dirs, tmp_path):
    held = subprocess.Popen([str(RUN_JOB), "dbt-build", "--", "sleep", "4"], env=dirs, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        proc = run_job(dirs, "full-tests", "--timeout", "1", "--also-lock", "dbt-build", "--", "true")
        assert proc.returncode == 75
        assert "job dbt-build held its lock for 1s; not starting" in log_of(dirs, "full-tests")
    finally:
        held.wait(timeout=30)


def test_lock_is_released_after_a_run(dirs):
    assert run_job(dirs, "again", "--", "true").returncode == 0
    assert run_job(dirs, "again", "--", "true").returncode == 0
    assert log_of(dirs, "again").count("end ok") == 2


def test_job_killed_by_timeout_logs_it_and_exits_non_zero(dirs):
    t0 = time.monotonic()
    proc = run_job(dirs, "slow", "--timeout", "1", "--", "sleep", "30")
    assert time.monotonic() - t0 < 20
    assert proc.returncode == 124
    log = log_of(dirs, "slow")
    assert re.search(r"slow: timed out after 1s \(duration \d+s, exit code 124\)", log)
    assert "timed out" in proc.stderr


def test_a_command_ignoring_sigterm_is_killed_too(dirs):
    """SIGKILL follows SIGTERM after GBPOWER_JOB_KILL_AFTER seconds; the job is reported as timed
    out (not merely failed) even though the command trapped TERM."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [str(RUN_JOB), "stubborn", "--timeout", "1", "--", "bash", "-c", "trap '' TERM; sleep 60"],
        env={**dirs, "GBPOWER_JOB_KILL_AFTER": "2"},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert time.monotonic() - t0 < 30
    assert proc.returncode == 124
    assert "timed out" in log_of(dirs, "stubborn")


def test_held_lock_survives_children_but_not_the_job(dirs, tmp_path):
    """A background child of the command must not keep the job 'running' after run-job exits."""
    proc = run_job(dirs, "forks", "--", "bash", "-c", "sleep 5 >/dev/null 2>&1 &")
    assert proc.returncode == 0
    again = run_job(dirs, "forks", "--", "true")
    assert "already running" not in again.stderr


def test_env_file_is_loaded_and_missing_env_file_is_a_clear_error(dirs, tmp_path):
    env_file = tmp_path / "gbpower.env"
    env_file.write_text("GBPOWER_SOMETHING=from-env-file\n")
    out = tmp_path / "seen"
    env = {**dirs, "GBPOWER_ENV_FILE": str(env_file)}
    assert run_job(env, "envjob", "--", "bash", "-c", f'echo "$GBPOWER_SOMETHING" > {out}').returncode == 0
    assert out.read_text() == "from-env-file\n"
    missing = run_job({**dirs, "GBPOWER_ENV_FILE": str(tmp_path / "nope.env")}, "envjob", "--", "true")
    assert missing.returncode == 2 and "nope.env" in missing.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["name"],
        [
            "name",
            "--",
        ],
        ["bad/name", "--", "true"],
        ["n", "--timeout", "x", "--", "true"],
    ],
)
def test_bad_usage_exits_2_with_a_message(dirs, args):
    proc = run_job(dirs, *args)
    assert proc.returncode == 2 and proc.stderr.strip()


def test_failure_hook_alerts_once_per_failure_spell_and_on_recovery(dirs, tmp_path):
    """run-job hands a failed run to GBPOWER_FAILURE_HOOK (the real `gbpower alert job`, as the
    crontab sets it), and the first good run after it; the alert reaches a loopback webhook once per
    failure spell, then once on recovery; a good run with nothing to recover does not call the hook."""
    from tests.python.alert_receivers import WebhookReceiver

    gbpower = Path(sys.executable).with_name("gbpower")
    with WebhookReceiver() as receiver:
        env = {
            **dirs,
            "GBPOWER_FAILURE_HOOK": f"{gbpower} alert job",
            "GBPOWER_ALERT_WEBHOOK": receiver.url,
            "GBPOWER_STATE_DIR": str(tmp_path / "state"),
        }
        assert run_job(env, "flaky", "--", "bash", "-c", "echo 'ERROR: the api said 500'; exit 3").returncode == 3
        assert run_job(env, "flaky", "--", "bash", "-c", "exit 3").returncode == 3
        assert run_job(env, "flaky", "--timeout", "1", "--", "sleep", "20").returncode == 124
        assert len(receiver.posts) == 1
        assert "NEW ERROR  job flaky: failed with exit code 3" in receiver.texts[0]
        assert "ERROR: the api said 500" in receiver.texts[0]  # the log's last lines
        assert (Path(dirs["GBPOWER_LOCK_DIR"]) / "flaky.failed").exists()
        assert run_job(env, "flaky", "--", "true").returncode == 0
        assert len(receiver.posts) == 2 and "RECOVERED  job flaky" in receiver.texts[1]
        assert not (Path(dirs["GBPOWER_LOCK_DIR"]) / "flaky.failed").exists()
        before = log_of(dirs, "flaky")
        assert run_job(env, "flaky", "--", "true").returncode == 0
        assert len(receiver.posts) == 2
        assert "alert" not in log_of(dirs, "flaky")[len(before) :]  # the hook did not run


def test_a_failing_hook_never_changes_the_exit_code_and_is_retried(dirs, tmp_path):
    calls = tmp_path / "calls"
    hook = tmp_path / "hook"
    hook.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 1\n')
    hook.chmod(0o755)
    env = {**dirs, "GBPOWER_FAILURE_HOOK": str(hook)}
    proc = run_job(env, "j", "--", "bash", "-c", "exit 4")
    assert proc.returncode == 4 and "failure hook" in proc.stderr
    assert run_job(env, "j", "--", "true").returncode == 0
    assert run_job(env, "j", "--", "true").returncode == 0  # hook failed again: called again
    log_file = Path(dirs["GBPOWER_LOG_DIR"]) / "j.log"
    assert calls.read_text().splitlines() == [f"j 4 --log {log_file}", f"j 0 --log {log_file}", f"j 0 --log {log_file}"]


def test_no_hook_configured_changes_nothing(dirs):
    assert run_job(dirs, "plain", "--", "bash", "-c", "exit 5").returncode == 5
    assert not (Path(dirs["GBPOWER_LOCK_DIR"]) / "plain.failed").exists()


# -- the 5-minute refresh-live job and the heavy dbt jobs (issue 14: "minutes, not half-hours") -----


def _wait_for(path: Path, what: str) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, f"{what} never started"
        time.sleep(0.05)


def test_light_job_skips_at_once_while_a_heavy_job_runs_and_runs_again_after(dirs, tmp_path):
    """dbt-build holds refresh-live's lock (--also-lock): a refresh-live start meanwhile exits 0 at
    once without running (it does not queue behind the build), the next one after the build runs."""
    ran, building = tmp_path / "ran", tmp_path / "building"
    build = subprocess.Popen(
        [str(RUN_JOB), "dbt-build", "--also-lock", "refresh-live", "--", "bash", "-c", f"touch {building}; sleep 8"],
        env=dirs,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(building, "the build")
    started = time.monotonic()
    light = run_job(dirs, "refresh-live", "--", "bash", "-c", f"echo light >> {ran}")
    assert light.returncode == 0 and "already running" in light.stderr
    assert time.monotonic() - started < 5  # skipped, not waited for the 8 s build (slack for a loaded machine)
    assert not ran.exists()
    assert build.wait(timeout=30) == 0
    again = run_job(dirs, "refresh-live", "--", "bash", "-c", f"echo light >> {ran}")
    assert again.returncode == 0 and ran.read_text() == "light\n"


def test_heavy_job_waits_for_a_light_run_under_way_and_keeps_the_next_out(dirs, tmp_path):
    """A refresh-live run already under way finishes first; the build starts right after it."""
    order = tmp_path / "order"
    light_cmd = f"echo light-start >> {order}; sleep 2; echo light-end >> {order}"
    light = subprocess.Popen(
        [str(RUN_JOB), "refresh-live", "--", "bash", "-c", light_cmd],
        env=dirs,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(order, "the light job")
    build = subprocess.Popen(
        [
            str(RUN_JOB),
            "dbt-build",
            "--also-lock",
            "refresh-live",
            "--",
            "bash",
            "-c",
            f"echo build >> {order}; sleep 2",
        ],
        env=dirs,
        stderr=subprocess.DEVNULL,
    )
    assert light.wait(timeout=30) == 0
    time.sleep(0.5)  # the build now holds refresh-live's lock
    skipped = run_job(dirs, "refresh-live", "--", "bash", "-c", f"echo light-again >> {order}")
    assert skipped.returncode == 0 and "already running" in skipped.stderr
    assert build.wait(timeout=30) == 0
    assert order.read_text().split() == ["light-start", "light-end", "build"]


def test_repeated_also_lock_holds_every_lock_and_bad_ones_are_refused(dirs, tmp_path):
    """full-history-tests holds dbt-build's and refresh-live's locks (--also-lock twice)."""
    running = tmp_path / "running"
    weekly = subprocess.Popen(
        [
            *(str(RUN_JOB), "full-history-tests", "--also-lock", "dbt-build", "--also-lock", "refresh-live"),
            *("--", "bash", "-c", f"touch {running}; sleep 3"),
        ],
        env=dirs,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(running, "the weekly tests")
    for other in ("dbt-build", "refresh-live"):
        proc = run_job(dirs, other, "--", "true")
        assert proc.returncode == 0 and "already running" in proc.stderr, other
    assert weekly.wait(timeout=30) == 0
    assert "already running" not in run_job(dirs, "refresh-live", "--", "true").stderr
    for bad in (["--also-lock", "x"] * 4, ["--also-lock", "self"], ["--also-lock", "../etc"]):
        proc = run_job(dirs, "self", *bad, "--", "true")
        assert proc.returncode == 2 and "--also-lock" in proc.stderr, bad


def test_crontab_runs_the_live_chain_every_5_minutes_clear_of_the_heavy_jobs():
    """The refresh-live line: every 5 minutes, `gbpower refresh-live` (selector live_chain, the GB
    Live tab) with its own dbt target dir; both heavy jobs hold its lock; and each run's timeout ends
    it before a heavy job's start, so the light job never delays one."""
    from loaders.commands.refresh_live import LIVE_TAB, SELECTOR
    from loaders.services import InstallConfig, parse_crontab, render_all

    rendered = render_all(InstallConfig(systemd_version=252))
    _, jobs = parse_crontab(rendered["crontab"])
    by_name = {j.name: j for j in jobs}
    live = by_name["refresh-live"]
    assert live.timeout_s is not None
    assert live.schedule.hours == set(range(24)) and len(live.schedule.minutes) == 12
    assert sorted(live.schedule.minutes) == list(range(min(live.schedule.minutes), 60, 5))
    command = live.argv[live.argv.index("--") + 1 :]
    assert command[0].endswith("/bin/gbpower") and command[1] == "refresh-live"
    assert command[command.index("--target-path") + 1].endswith("/target-live")
    assert "--selector" not in command and "--tab" not in command  # the defaults below
    assert (SELECTOR, LIVE_TAB) == ("live_chain", "GB Live")
    assert "--also-lock" not in live.argv[: live.argv.index("--")]  # it never waits for anything
    # every job that writes the warehouse for minutes or writes GB Live itself keeps refresh-live out;
    # the backup (which holds the warehouse's write lock) keeps the 30-minute build out as well
    for heavy in ("dbt-build", "full-history-tests", "backup", "export-sheets"):
        opts = by_name[heavy].argv[: by_name[heavy].argv.index("--")]
        held = [opts[i + 1] for i, a in enumerate(opts) if a == "--also-lock"]
        assert "refresh-live" in held, heavy
        assert heavy != "backup" or "dbt-build" in held
        for minute in live.schedule.minutes:  # run-job's kill comes 30 s after the timeout
            end_s = minute * 60 + live.timeout_s + 30
            for start in by_name[heavy].schedule.minutes:
                assert not (minute * 60 <= start * 60 < end_s), (heavy, minute, start)
    timer = rendered["systemd/gbpower-refresh-live.timer"]  # the systemd timer, same times
    assert "OnCalendar=*-*-* *:01,06,11,16,21,26,31,36,41,46,51,56:00" in timer


def test_live_chain_selector_is_the_gb_live_exposure_and_its_upstream():
    """selectors.yml's live_chain: the exposure gb_live (generated from the GB Live tab) with its
    parents, seeds and unit tests excluded — the one name the job, the docs and the tests use."""
    import yaml

    root = config.project_root()
    selectors = {s["name"]: s for s in yaml.safe_load((root / "selectors.yml").read_text())["selectors"]}
    union = selectors["live_chain"]["definition"]["union"]
    assert {"method": "exposure", "value": "gb_live", "parents": True} in union
    excluded = next(u["exclude"] for u in union if "exclude" in u)
    assert {e["value"] for e in excluded if e["method"] == "resource_type"} == {"seed", "unit_test"}
    exposures = yaml.safe_load((root / "models/exposures/_sheets__exposures.yml").read_text())["exposures"]
    assert any(e["name"] == "gb_live" for e in exposures)
    ops = (root / "docs/operations.md").read_text()
    assert "refresh-live" in ops and "live_chain" in ops
