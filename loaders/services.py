"""Render (and install) the server's crontab, systemd units and logrotate config.

``orchestration/crontab`` is the single source of the schedule: each job line is
``SCHEDULE  …/run-job NAME [--timeout S] -- COMMAND…``. The systemd ``gbpower-NAME.service`` +
``.timer`` pairs are generated from those lines (same command, same times), so cron and timers
cannot drift apart. Templates hold ``@PLACEHOLDER@`` paths that :class:`InstallConfig` fills in.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from loaders import config

ORCHESTRATION = "orchestration"
DOW_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
# (name, low, high) of the five crontab fields
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
_ENV_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PLACEHOLDER = re.compile(r"@[A-Z_]+@")
_MEMORY = re.compile(r"^(\d+(\.\d+)?[KMGT]?|\d+(\.\d+)?%|infinity)$")
_CPU = re.compile(r"^\d+(\.\d+)?%$")
NO_LIMIT = ("", "none")


class CrontabError(ValueError):
    """A crontab line that cron would reject (message names the line)."""


@dataclass(frozen=True)
class CronSchedule:
    """The five time fields of a crontab line, each expanded to the set of values it allows."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    day_restricted: bool
    weekday_restricted: bool

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        parts = text.split()
        if len(parts) != 5:
            raise CrontabError(f"schedule {text!r}: expected 5 fields, got {len(parts)}")
        sets = [_parse_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, CRON_FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(text, sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] != "*", parts[4] != "*")

    def matches(self, t: datetime) -> bool:
        if t.minute not in self.minutes or t.hour not in self.hours or t.month not in self.months:
            return False
        dom = t.day in self.days
        dow = (t.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:  # cron: either may match
            return dom or dow
        return dom and dow

    def next_times(self, after: datetime, n: int) -> list[datetime]:
        """The next ``n`` start times strictly after ``after`` (minute resolution)."""
        t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        out: list[datetime] = []
        limit = t + timedelta(days=800)
        while len(out) < n and t < limit:
            if self.matches(t):
                out.append(t)
            t += timedelta(minutes=1)
        return out

    def on_calendar(self) -> str:
        """The systemd ``OnCalendar=`` expression for the same times."""
        if self.day_restricted and self.weekday_restricted:
            raise CrontabError(f"schedule {self.text!r}: day-of-month OR day-of-week has no OnCalendar form")

        def fmt(values: frozenset[int], lo: int, hi: int, width: int) -> str:
            if values == frozenset(range(lo, hi + 1)):
                return "*"
            return ",".join(f"{v:0{width}d}" for v in sorted(values))

        dow = ""
        if self.weekday_restricted:
            dow = ",".join(DOW_NAMES[d] for d in sorted(self.weekdays)) + " "
        date = f"*-{fmt(self.months, 1, 12, 2)}-{fmt(self.days, 1, 31, 2)}"
        return f"{dow}{date} {fmt(self.hours, 0, 23, 2)}:{fmt(self.minutes, 0, 59, 2)}:00"


def _parse_field(text: str, name: str, lo: int, hi: int) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        m = re.fullmatch(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?", item)
        if not m:
            raise CrontabError(f"{name} field {text!r}: cannot parse {item!r}")
        base, step = m.group(1), int(m.group(2) or 1)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            start, end = (int(x) for x in base.split("-"))
        else:
            start = end = int(base)
            if m.group(2):
                end = hi
        if not (lo <= start <= hi and lo <= end <= hi) or start > end or step < 1:
            raise CrontabError(f"{name} field {text!r}: {item!r} is outside {lo}-{hi}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronJob:
    """One job line of the crontab."""

    schedule: CronSchedule
    command: str  # the whole command part of the line
    name: str  # run-job NAME
    timeout_s: int | None

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.command)


def parse_crontab(text: str) -> tuple[dict[str, str], list[CronJob]]:
    """Parse a crontab: environment lines and job lines. Every job must go through run-job."""
    env: dict[str, str] = {}
    jobs: list[CronJob] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if _ENV_LINE.match(line):
            key, _, value = line.partition("=")
            env[key] = value.strip().strip('"')
            continue
        parts = line.split(None, 5)
        if len(parts) < 6:
            raise CrontabError(f"crontab line {lineno}: expected 5 time fields and a command: {raw!r}")
        try:
            schedule = CronSchedule.parse(" ".join(parts[:5]))
        except CrontabError as exc:
            raise CrontabError(f"crontab line {lineno}: {exc}") from None
        if "%" in parts[5]:
            raise CrontabError(f"crontab line {lineno}: unescaped % (cron turns it into a newline)")
        argv = shlex.split(parts[5])
        if not argv[0].endswith("/run-job") or len(argv) < 4 or "--" not in argv:
            raise CrontabError(f"crontab line {lineno}: every job must run as 'run-job NAME -- COMMAND'")
        opts = argv[2 : argv.index("--")]
        timeout = int(opts[opts.index("--timeout") + 1]) if "--timeout" in opts else None
        jobs.append(CronJob(schedule, parts[5], argv[1], timeout))
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise CrontabError(f"crontab: job names must be unique, got {names}")
    return env, jobs


@dataclass
class InstallConfig:
    """Where things live on the server; every template placeholder comes from here."""

    prefix: Path = field(default_factory=config.project_root)
    user: str = "gbpower"
    group: str | None = None
    venv: Path | None = None
    data_dir: Path = Path("/var/lib/gbpower")
    log_dir: Path = Path("/var/log/gbpower")
    conf_dir: Path = Path("/etc/gbpower")
    systemd_version: int | None = None  # None: ask the local systemctl
    # cgroup limits per unit ("" or "none": no limit); defaults from GBPOWER_MEMORY_MAX,
    # GBPOWER_CPU_QUOTA, GBPOWER_IRIS_MEMORY_MAX. CPUQuota is per unit: 100% = one core.
    memory_max: str = field(default_factory=lambda: os.environ.get("GBPOWER_MEMORY_MAX", "3G"))
    cpu_quota: str = field(default_factory=lambda: os.environ.get("GBPOWER_CPU_QUOTA", "150%"))
    iris_memory_max: str = field(default_factory=lambda: os.environ.get("GBPOWER_IRIS_MEMORY_MAX", "1G"))

    def __post_init__(self) -> None:
        for what, value, pattern in (
            ("memory max", self.memory_max, _MEMORY),
            ("iris memory max", self.iris_memory_max, _MEMORY),
            ("cpu quota", self.cpu_quota, _CPU),
        ):
            if value.strip().lower() not in NO_LIMIT and not pattern.match(value.strip()):
                raise ValueError(f"{what} {value!r}: expected e.g. 2G, 512M, 50% (memory) or 150% (cpu), or none")

    def resources(self, memory_max: str) -> str:
        """The cgroup lines of a unit (a comment when there is no limit at all)."""
        lines = []
        if memory_max.strip().lower() not in NO_LIMIT:
            lines.append(f"MemoryMax={memory_max.strip()}")
        if self.cpu_quota.strip().lower() not in NO_LIMIT:
            lines.append(f"CPUQuota={self.cpu_quota.strip()}")
        return "\n".join(lines) or "# (no MemoryMax/CPUQuota limit configured)"

    def placeholders(self) -> dict[str, str]:
        return {
            "@PREFIX@": str(self.prefix),
            "@VENV@": str(self.venv or self.prefix / ".venv"),
            "@USER@": self.user,
            "@GROUP@": self.group or self.user,
            "@DATA_DIR@": str(self.data_dir),
            "@LOG_DIR@": str(self.log_dir),
            "@CONF_DIR@": str(self.conf_dir),
            "@RESOURCES@": self.resources(self.memory_max),
            "@IRIS_RESOURCES@": self.resources(self.iris_memory_max),
        }


def substitute(text: str, values: dict[str, str], what: str) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    left = sorted(set(_PLACEHOLDER.findall(text)))
    if left:
        raise ValueError(f"{what}: unknown placeholders {', '.join(left)}")
    return text


def local_systemd_version() -> int | None:
    try:
        out = subprocess.run(["systemctl", "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.match(r"systemd (\d+)", out)
    return int(m.group(1)) if m else None


def render_all(cfg: InstallConfig, source: Path | None = None) -> dict[str, str]:
    """Every rendered file, keyed by its install-relative name (``crontab``,
    ``systemd/<unit>``, ``logrotate/gbpower``, ``gbpower.env.example``, ``iris.env.example``)."""
    src = source or (cfg.prefix / ORCHESTRATION)
    if not src.is_dir():
        src = config.project_root() / ORCHESTRATION
    values = cfg.placeholders()
    values["@HARDENING@"] = substitute(
        (src / "systemd/hardening.conf").read_text().rstrip("\n"), values, "hardening.conf"
    )
    crontab = substitute((src / "crontab").read_text(), values, "crontab")
    _, jobs = parse_crontab(crontab)
    out = {"crontab": crontab}
    iris = substitute((src / "systemd/gbpower-iris.service").read_text(), values, "gbpower-iris.service")
    version = cfg.systemd_version if cfg.systemd_version is not None else local_systemd_version()
    if version is not None and version < 254:  # RestartSteps/RestartMaxDelaySec arrived in 254
        iris = "".join(
            ln for ln in iris.splitlines(keepends=True) if not ln.startswith(("RestartSteps=", "RestartMaxDelaySec="))
        )
    out["systemd/gbpower-iris.service"] = iris
    out["systemd/gbpower-alert@.service"] = substitute(
        (src / "systemd/alert@.service.in").read_text(), values, "alert@.service.in"
    )
    service_t = (src / "systemd/job.service.in").read_text()
    timer_t = (src / "systemd/job.timer.in").read_text()
    for job in jobs:
        job_values = {
            **values,
            "@JOB@": job.name,
            "@EXEC@": job.command,
            "@CRON@": job.schedule.text,
            "@ON_CALENDAR@": job.schedule.on_calendar(),
            "@TIMEOUT_BACKSTOP@": f"{(job.timeout_s or 3600) + 120}s",
        }
        out[f"systemd/gbpower-{job.name}.service"] = substitute(service_t, job_values, "job.service.in")
        out[f"systemd/gbpower-{job.name}.timer"] = substitute(timer_t, job_values, "job.timer.in")
    out["logrotate/gbpower"] = substitute((src / "logrotate/gbpower").read_text(), values, "logrotate")
    for name in ("gbpower.env.example", "iris.env.example"):
        out[name] = substitute((src / name).read_text(), values, name)
    return out


@dataclass(frozen=True)
class InstalledFile:
    path: Path
    written: bool  # False: an existing config file was left alone


def install(cfg: InstallConfig, root: Path = Path("/")) -> list[InstalledFile]:
    """Write the rendered files under ``root`` (``/`` on the server; a staging dir in tests):
    units to /etc/systemd/system, logrotate to /etc/logrotate.d, the crontab next to the templates,
    and the env files into the config dir only where they do not exist yet (never overwriting
    credentials). Creates the data and log directories."""
    files = render_all(cfg)

    def under(p: Path) -> Path:
        return root / p.relative_to("/") if p.is_absolute() else root / p

    placed: list[InstalledFile] = []
    for name, text in files.items():
        if name.startswith("systemd/"):
            dest, mode = under(Path("/etc/systemd/system")) / name.split("/", 1)[1], 0o644
        elif name == "logrotate/gbpower":
            dest, mode = under(Path("/etc/logrotate.d/gbpower")), 0o644
        elif name == "crontab":
            dest, mode = under(cfg.prefix / ORCHESTRATION / "rendered" / "crontab"), 0o644
        else:
            dest, mode = under(cfg.conf_dir / name.removesuffix(".example")), 0o600
            if dest.exists():
                placed.append(InstalledFile(dest, False))
                continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.write_text(text)
        tmp.chmod(mode)
        tmp.replace(dest)
        placed.append(InstalledFile(dest, True))
    for d in (cfg.data_dir, cfg.data_dir / "locks", cfg.data_dir / "state", cfg.data_dir / "backups", cfg.log_dir):
        under(d).mkdir(parents=True, exist_ok=True)
    return placed


def unit_names(files: dict[str, str]) -> list[str]:
    return [n.split("/", 1)[1] for n in files if n.startswith("systemd/")]
