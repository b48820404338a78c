"""install-services: the rendered crontab parses, the systemd units pass ``systemd-analyze verify``,
the timers fire at exactly the crontab's times, and the logrotate config is accepted by logrotate."""

from __future__ import annotations

import getpass
import grp
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from loaders import config
from loaders.cli import main
from loaders.services import CronSchedule, CrontabError, InstallConfig, parse_crontab, render_all

ROOT = config.project_root()
VENV = Path(ROOT / ".venv")


def ensure_tool(binary: str, package: str) -> str:
    """The path of ``binary``, installing Debian's ``package`` with apt-get if it is missing
    (CI starts from a clean image). Fails — never skips — if it cannot be had."""
    found = shutil.which(binary)
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.fail(f"{binary} is not installed and apt-get is unavailable: install {package}")
    for cmd in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "--no-install-recommends", package]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"could not install {package} ({' '.join(cmd)}): {proc.stderr[-2000:]}")
    found = shutil.which(binary)
    if not found:
        pytest.fail(f"{package} installed but {binary} is still not on PATH")
    return found


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    # Real paths of this checkout, so systemd-analyze can check every ExecStart= binary exists.
    return render_all(InstallConfig(prefix=ROOT, user="daemon", venv=VENV))


def write_units(files: dict[str, str], dest: Path) -> list[Path]:
    paths = []
    for name, text in files.items():
        if name.startswith("systemd/"):
            p = dest / name.split("/", 1)[1]
            p.write_text(text)
            paths.append(p)
    return paths


def verify(units: list[Path]) -> subprocess.CompletedProcess[str]:
    tool = ensure_tool("systemd-analyze", "systemd")
    return subprocess.run([tool, "verify", "--man=no", *map(str, units)], capture_output=True, text=True, timeout=120)


def problems(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """Every complaint systemd-analyze made about one of our units (it only warns on most errors)."""
    return [ln for ln in (proc.stdout + proc.stderr).splitlines() if "gbpower" in ln]


def test_systemd_analyze_verify_passes_on_rendered_units(rendered, tmp_path):
    units = write_units(rendered, tmp_path)
    names = sorted(p.name for p in units)
    for job in (
        "dbt-build",
        "dbt-freshness",
        "api-catch-up",
        "health",
        "export-sheets",
        "docs",
        "backup",
        "prune-iris",
    ):
        assert f"gbpower-{job}.service" in names and f"gbpower-{job}.timer" in names
    assert "gbpower-iris.service" in names
    proc = verify(units)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert problems(proc) == []


def test_systemd_analyze_verify_catches_a_broken_unit(rendered, tmp_path):
    """Control for the test above: the same check does fail on a unit with a bad directive."""
    broken = {
        "systemd/gbpower-iris.service": rendered["systemd/gbpower-iris.service"].replace(
            "Restart=always", "Restart=sometimes"
        )
    }
    found = problems(verify(write_units(broken, tmp_path)))
    assert len(found) == 1 and "sometimes" in found[0]


def test_iris_unit_is_hardened_and_holds_no_secret(rendered):
    unit = rendered["systemd/gbpower-iris.service"]
    for directive in (
        "Restart=always",
        "RestartSec=",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "User=daemon",
        "EnvironmentFile=/etc/gbpower/iris.env",
        "ReadWritePaths=/var/lib/gbpower /var/log/gbpower",
    ):
        assert directive in unit
    assert "IRIS_CLIENT_SECRET" not in unit and "User=root" not in unit


def test_old_systemd_gets_no_unknown_restart_keys():
    old = render_all(InstallConfig(prefix=ROOT, systemd_version=252))["systemd/gbpower-iris.service"]
    new = render_all(InstallConfig(prefix=ROOT, systemd_version=256))["systemd/gbpower-iris.service"]
    assert "RestartSteps=" not in old and "RestartMaxDelaySec=" not in old
    assert "RestartSteps=" in new and "RestartMaxDelaySec=" in new


def test_rendered_crontab_parses_with_every_required_job(rendered):
    env, jobs = parse_crontab(rendered["crontab"])
    assert env["GBPOWER_ENV_FILE"] == "/etc/gbpower/gbpower.env"
    by_name = {j.name: j for j in jobs}
    assert by_name["dbt-build"].schedule.minutes == {0, 30}
    build = by_name["dbt-build"].argv
    # every model, not only what the marts select (incremental models no mart uses stay current)
    assert build[build.index("--") + 1 :][1:] == ["dbt", "--test-scope", "window", "build"]
    # ... and the whole history is tested weekly, never at the same time as a build
    full = by_name["full-history-tests"]
    assert len(full.schedule.weekdays) == 1 and len(full.schedule.hours) == 1
    assert full.argv[full.argv.index("--also-lock") + 1] == "dbt-build"
    command = full.argv[full.argv.index("--") + 1 :][1:]
    assert command[:2] == ["dbt", "test"] and "--test-scope" not in command and "-s" not in command
    assert by_name["dbt-freshness"].schedule.minutes == {0, 15, 30, 45}
    assert "source freshness" in by_name["dbt-freshness"].command
    catch_up = by_name["api-catch-up"]
    assert catch_up.schedule.hours == set(range(24)) and len(catch_up.schedule.minutes) == 1
    assert "--catch-up" in catch_up.argv and "--dataset" not in catch_up.argv  # every dataset
    health = by_name["health"]
    assert "--notify" in health.argv and len(health.schedule.minutes) == 4
    assert env["GBPOWER_FAILURE_HOOK"].endswith("/bin/gbpower alert job")
    assert "backup" in by_name["backup"].argv and len(by_name["backup"].schedule.hours) == 1
    assert "prune-iris" in by_name["prune-iris"].argv
    assert len(by_name["export-sheets"].schedule.minutes) == 4
    assert "docs" in by_name["docs"].argv and len(by_name["docs"].schedule.hours) == 1
    for job in jobs:
        assert Path(job.argv[0]) == ROOT / "orchestration/bin/run-job"
        assert job.timeout_s and job.timeout_s > 0
        assert "@" not in job.command


@pytest.mark.parametrize(
    "line",
    [
        "61 * * * * /x/run-job a -- true",  # minute out of range
        "* * * * /x/run-job a -- true",  # four fields
        "*/0 * * * * /x/run-job a -- true",  # zero step
        "* * * * * /usr/bin/true",  # not through run-job
        "* * * * * /x/run-job a -- date +%s",  # unescaped %
    ],
)
def test_crontab_parser_rejects_lines_cron_would_reject(line):
    with pytest.raises(CrontabError):
        parse_crontab(line + "\n")


def test_timers_fire_exactly_when_the_crontab_does(rendered):
    """For each job, the next 12 elapses systemd computes for the timer's OnCalendar equal the next
    12 times the crontab line fires."""
    tool = ensure_tool("systemd-analyze", "systemd")
    _, jobs = parse_crontab(rendered["crontab"])
    for job in jobs:
        timer = rendered[f"systemd/gbpower-{job.name}.timer"]
        on_cal = re.search(r"^OnCalendar=(.+)$", timer, re.M).group(1)
        proc = subprocess.run(
            [tool, "calendar", "--iterations=12", on_cal],
            capture_output=True,
            text=True,
            timeout=60,
            env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
        )
        assert proc.returncode == 0, proc.stderr
        systemd_times = [
            datetime.strptime(m, "%Y-%m-%d %H:%M:%S")
            for m in re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", proc.stdout)
        ]
        # systemd prints "Next elapse" (local == UTC here) then "(in UTC)" lines; keep one each
        systemd_times = sorted(set(systemd_times))[:12]
        assert len(systemd_times) == 12, proc.stdout
        cron_times = job.schedule.next_times(systemd_times[0].replace(second=0) - timedelta(minutes=1), 12)
        assert cron_times == systemd_times, (job.name, on_cal)


def test_cron_schedule_semantics():
    s = CronSchedule.parse("5-59/15 2 * * 1-5")
    assert s.minutes == {5, 20, 35, 50} and s.weekdays == {1, 2, 3, 4, 5}
    assert s.on_calendar() == "Mon,Tue,Wed,Thu,Fri *-*-* 02:05,20,35,50:00"
    assert s.matches(datetime(2026, 5, 4, 2, 20))  # a Monday
    assert not s.matches(datetime(2026, 5, 3, 2, 20))  # a Sunday


def test_logrotate_accepts_the_rendered_config(rendered, tmp_path):
    tool = ensure_tool("logrotate", "logrotate")
    conf = tmp_path / "gbpower"
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "dbt-build.log").write_text("x\n" * 10)
    # point at a temp log dir and the current user so logrotate can act on it
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    text = render_all(InstallConfig(prefix=ROOT, user=user, group=group, log_dir=log_dir))["logrotate/gbpower"]
    conf.write_text(text)
    conf.chmod(0o644)
    state = tmp_path / "state"
    proc = subprocess.run([tool, "--force", "--state", str(state), str(conf)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rotated = sorted(p.name for p in log_dir.iterdir())
    assert "dbt-build.log" in rotated and any(n.startswith("dbt-build.log-") for n in rotated), rotated
    assert (log_dir / "dbt-build.log").read_text() == ""  # recreated empty ("create")


def test_install_services_dry_run_prints_every_file_with_real_paths(capsys):
    assert main(["install-services", "--dry-run", "--user", "svc", "--prefix", "/opt/gbp"]) == 0
    out = capsys.readouterr().out
    for header in (
        "### crontab",
        "### systemd/gbpower-iris.service",
        "### systemd/gbpower-dbt-build.timer",
        "### logrotate/gbpower",
        "### gbpower.env.example",
    ):
        assert header in out
    assert "/opt/gbp/orchestration/bin/run-job dbt-build" in out
    assert "User=svc" in out and "@PREFIX@" not in out and "@USER@" not in out


def test_install_services_writes_under_root_and_keeps_existing_credentials(tmp_path, capsys):
    root = tmp_path / "root"
    iris_env = root / "etc/gbpower/iris.env"
    iris_env.parent.mkdir(parents=True)
    iris_env.write_text("IRIS_CLIENT_SECRET=keep-me\n")
    assert main(["install-services", "--root", str(root), "--prefix", str(ROOT), "--user", "svc"]) == 0
    assert (root / "etc/systemd/system/gbpower-iris.service").is_file()
    assert (root / "etc/systemd/system/gbpower-export-sheets.timer").is_file()
    assert (root / "etc/logrotate.d/gbpower").is_file()
    assert iris_env.read_text() == "IRIS_CLIENT_SECRET=keep-me\n"
    env = root / "etc/gbpower/gbpower.env"
    assert env.stat().st_mode & 0o077 == 0 and "GBPOWER_DUCKDB=/var/lib/gbpower" in env.read_text()
    assert (root / str(ROOT).lstrip("/") / "orchestration/rendered/crontab").is_file()
    assert (root / "var/lib/gbpower/locks").is_dir() and (root / "var/log/gbpower").is_dir()
    assert "kept existing" in capsys.readouterr().out


def test_every_crontab_command_parses_with_the_real_cli(rendered):
    """Each job's gbpower arguments are accepted by the real argument parser (a renamed option
    would otherwise only show up at 02:00 on the server)."""
    from loaders.cli import build_parser

    _, jobs = parse_crontab(rendered["crontab"])
    parser = build_parser()
    for job in jobs:
        argv = job.argv[job.argv.index("--") + 1 :]
        assert argv[0].endswith("/gbpower"), job.command
        args = parser.parse_args(argv[1:])
        assert args.command == argv[1].replace("-", "_") or args.command == argv[1]


def test_every_unit_reports_its_failure_and_has_resource_limits(rendered):
    """OnFailure= on every unit (but the alert template itself), MemoryMax/CPUQuota in each, the IRIS
    unit backfills start-up gaps, and the job units hand failures to run-job's hook."""
    units = {n.split("/", 1)[1]: t for n, t in rendered.items() if n.endswith(".service")}
    alert = units.pop("gbpower-alert@.service")
    assert not re.search(r"^OnFailure=", alert, re.M) and "ExecStart=" in alert and "gbpower alert unit %i" in alert
    assert len(units) >= 9
    for name, text in units.items():
        assert "OnFailure=gbpower-alert@%N.service" in text, name
        assert re.search(r"^MemoryMax=\S+$", text, re.M) and "CPUQuota=150%" in text, name
    assert "ExecStart=" + str(VENV) + "/bin/gbpower iris --backfill-gaps" in units["gbpower-iris.service"]
    assert "MemoryMax=1G" in units["gbpower-iris.service"] and "MemoryMax=3G" in units["gbpower-dbt-build.service"]
    assert "GBPOWER_FAILURE_HOOK=" + str(VENV) + "/bin/gbpower alert job" in units["gbpower-health.service"]


def test_resource_limits_are_configurable_and_validated(capsys):
    files = render_all(InstallConfig(prefix=ROOT, memory_max="512M", cpu_quota="none", iris_memory_max="none"))
    job, iris = files["systemd/gbpower-dbt-build.service"], files["systemd/gbpower-iris.service"]
    assert "MemoryMax=512M" in job and not re.search(r"^CPUQuota=", job, re.M)
    assert not re.search(r"^(MemoryMax|CPUQuota)=", iris, re.M)
    with pytest.raises(SystemExit) as exc:
        main(["install-services", "--dry-run", "--memory-max", "lots"])
    assert exc.value.code == 2 and "memory max 'lots'" in capsys.readouterr().err
    assert main(["install-services", "--dry-run", "--cpu-quota", "80%", "--iris-memory-max", "700M"]) == 0
    out = capsys.readouterr().out
    assert "CPUQuota=80%" in out and "MemoryMax=700M" in out


def test_install_places_the_alert_template_and_creates_state_and_backup_dirs(tmp_path, capsys):
    root = tmp_path / "root"
    assert main(["install-services", "--root", str(root), "--prefix", str(ROOT), "--user", "svc"]) == 0
    alert = (root / "etc/systemd/system/gbpower-alert@.service").read_text()
    assert f"ExecStart={VENV}/bin/gbpower alert unit %i" in alert
    assert (root / "var/lib/gbpower/state").is_dir() and (root / "var/lib/gbpower/backups").is_dir()
    env = (root / "etc/gbpower/gbpower.env").read_text()
    assert "GBPOWER_BACKUP_DIR=/var/lib/gbpower/backups" in env  # pragma: allowlist secret
    assert "# GBPOWER_ALERT_WEBHOOK=" in env
