"""Alerts: tell someone when something goes wrong, once — and once more when it is fixed.

Problems come from three places, each under its own key prefix:

* ``health:<check>:<subject>`` — ``gbpower health --notify`` replaces the whole set each run;
* ``job:<name>`` — ``run-job``'s hook (``gbpower alert job NAME EXIT_CODE``): set on a failure,
  cleared by the next success;
* ``unit:<unit>`` — systemd's ``OnFailure=gbpower-alert@%n.service`` (``gbpower alert unit UNIT``)
  for a unit that is not a scheduled job (the IRIS service; a job unit's failure is its ``job:``
  problem); there is no "it works again" signal for such a unit, so its problem clears itself after
  ``UNIT_QUIET`` (a unit that keeps failing alerts at most once per ``UNIT_QUIET``).

The state (``$GBPOWER_STATE_DIR/alerts.json``) holds the open problems and, per channel, what that
channel was last told. Each call sends one message per channel holding what is NEW (or worse:
warn→error) and what RECOVERED since that channel's last message, and nothing when nothing
changed — so a problem that lasts a week is one alert plus one recovery, never a storm. A channel
that could not be reached is told again next time (the other channels are not).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from loaders import config
from loaders.alerts.channels import Channel, DeliveryError, configured_channels

log = logging.getLogger(__name__)

STATE_FILE = "alerts.json"
UNIT_QUIET = timedelta(hours=6)
SEVERITY = {"warn": 1, "error": 2}


@dataclass(frozen=True)
class Problem:
    key: str
    status: str  # warn | error
    message: str
    since: str  # ISO time first seen


@dataclass
class Outcome:
    """What one notify call did, per channel."""

    sent: dict[str, str] = field(default_factory=dict)  # channel description -> subject line
    failed: dict[str, str] = field(default_factory=dict)  # channel description -> error
    channels: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


class AlertState:
    """The open problems and what each channel was told; one file, guarded by a lock file."""

    def __init__(self, state_dir: Path | None = None) -> None:
        self.dir = state_dir or config.state_dir()
        self.path = self.dir / STATE_FILE
        self.problems: dict[str, Problem] = {}
        self.told: dict[str, dict[str, str]] = {}  # channel name -> {problem key -> status told}

    @contextlib.contextmanager
    def locked(self) -> Iterator[AlertState]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / f"{STATE_FILE}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._load()
            yield self

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:  # a damaged state file must not silence alerts
            log.warning("alert state %s unreadable (%s); starting afresh", self.path, exc)
            return
        self.problems = {k: Problem(**v) for k, v in data.get("problems", {}).items()}
        self.told = {ch: dict(v) for ch, v in data.get("told", {}).items()}

    def save(self) -> None:
        data = {"problems": {k: vars(p) for k, p in sorted(self.problems.items())}, "told": self.told}
        tmp = self.path.with_name(f".{STATE_FILE}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(self.path)

    # -- updating the open problems ------------------------------------------------------------
    def replace_scope(self, prefix: str, current: dict[str, tuple[str, str]], now: datetime) -> None:
        """Set every problem under ``prefix`` to ``current`` ({key: (status, message)})."""
        for key in [k for k in self.problems if k.startswith(prefix) and k not in current]:
            del self.problems[key]
        for key, (status, message) in current.items():
            old = self.problems.get(key)
            since = old.since if old else iso(now)
            self.problems[key] = Problem(key, status, message, since)

    def expire_units(self, now: datetime) -> None:
        """Forget unit failures older than UNIT_QUIET, silently (no "recovered": nobody knows)."""
        for key, p in list(self.problems.items()):
            if key.startswith("unit:") and now - parse_iso(p.since) >= UNIT_QUIET:
                del self.problems[key]
                for told in self.told.values():
                    told.pop(key, None)

    # -- what a channel has not been told yet --------------------------------------------------
    def changes(self, channel: str) -> tuple[list[Problem], list[str]]:
        told = self.told.get(channel, {})
        new = [
            p
            for k, p in sorted(self.problems.items())
            if k not in told or SEVERITY.get(p.status, 0) > SEVERITY.get(told[k], 0)
        ]
        recovered = sorted(k for k in told if k not in self.problems)
        return new, recovered

    def mark_told(self, channel: str) -> None:
        self.told[channel] = {k: p.status for k, p in self.problems.items()}


def notify(
    update: Any,
    *,
    channels: list[Channel] | None = None,
    state_dir: Path | None = None,
    now: datetime | None = None,
    source: str = "gbpower",
) -> Outcome:
    """Apply ``update(state, now)`` to the open problems, then tell every channel what changed."""
    now = now or datetime.now(UTC)
    channels = configured_channels() if channels is None else channels
    outcome = Outcome(channels=len(channels))
    with AlertState(state_dir).locked() as state:
        update(state, now)
        state.expire_units(now)
        for channel in channels:
            new, recovered = state.changes(channel.name)
            if not new and not recovered:
                continue
            subject, text = compose(new, recovered, state, source)
            try:
                channel.send(subject, text)
            except DeliveryError as exc:
                outcome.failed[channel.describe()] = str(exc)
                log.error("alert not delivered: %s", exc)
                continue
            outcome.sent[channel.describe()] = subject
            log.info("alert sent via %s: %s", channel.describe(), subject)
            state.mark_told(channel.name)
        state.save()
    return outcome


def compose(new: list[Problem], recovered: list[str], state: AlertState, source: str) -> tuple[str, str]:
    host = socket.gethostname()
    parts = []
    if new:
        parts.append(f"{len(new)} new problem{'s' if len(new) != 1 else ''}")
    if recovered:
        parts.append(f"{len(recovered)} recovered")
    subject = f"[gbpower {host}] {source}: {', '.join(parts)}"
    lines = [f"NEW {p.status.upper()}  {label(p.key)}: {p.message}" for p in new]
    lines += [f"RECOVERED  {label(k)}" for k in recovered]
    open_ = sorted(state.problems.values(), key=lambda p: (-SEVERITY.get(p.status, 0), p.key))
    if open_:
        lines.append("")
        lines.append(f"Open now ({len(open_)}):")
        lines += [f"  {p.status.upper():5}  {label(p.key)} (since {p.since})" for p in open_[:30]]
        if len(open_) > 30:
            lines.append(f"  … and {len(open_) - 30} more (gbpower health)")
    else:
        lines.append("")
        lines.append("All clear: no open problems.")
    return subject, "\n".join(lines)


def label(key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "health":
        check, _, subject = rest.partition(":")
        return f"health {check} {subject}"
    if kind == "job":
        return f"job {rest}"
    if kind == "unit":
        return f"unit {rest}"
    return key


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# -- the three sources ---------------------------------------------------------------------------
def health_update(report: Any) -> Any:
    """An update for :func:`notify` from a health :class:`~loaders.health.model.Report`."""
    from loaders.health.model import Status

    current = {
        f"health:{c.check}:{c.subject}": ("error" if c.status is Status.ERROR else "warn", c.message)
        for c in report.checks
        if c.status in (Status.WARN, Status.ERROR)
    }

    def update(state: AlertState, now: datetime) -> None:
        state.replace_scope("health:", current, now)

    return update


def job_update(name: str, exit_code: int, log_file: Path | None = None) -> Any:
    key = f"job:{name}"

    def update(state: AlertState, now: datetime) -> None:
        if exit_code == 0:
            state.problems.pop(key, None)
            return
        what = "timed out" if exit_code == 124 else f"failed with exit code {exit_code}"
        message = what + (f"; last lines of {log_file}:\n{tail(log_file)}" if log_file else "")
        old = state.problems.get(key)
        state.problems[key] = Problem(key, "error", message, old.since if old else iso(now))

    return update


def unit_update(unit: str, log_dir: Path | None = None) -> Any:
    """A failed systemd unit. A scheduled job's unit (``gbpower-<job>.service``) is the job's problem
    (run-job's hook has usually reported it already, and clears it on the next good run); any other
    unit (the IRIS service) is a ``unit:`` problem that clears itself after UNIT_QUIET."""
    name = unit.removesuffix(".service")
    job = name.removeprefix("gbpower-")
    is_job = name.startswith("gbpower-") and job not in ("iris",) and not job.startswith("alert")
    key = f"job:{job}" if is_job else f"unit:{unit}"
    message = f"systemd unit {unit} failed; see journalctl -u {unit}"
    log_file = (log_dir / f"{job}.log") if log_dir and is_job else None
    if log_file and log_file.exists():
        message += f"; last lines of {log_file}:\n{tail(log_file)}"

    def update(state: AlertState, now: datetime) -> None:
        if key not in state.problems:
            state.problems[key] = Problem(key, "error", message, iso(now))

    return update


def tail(path: Path, lines: int = 8, max_chars: int = 1500) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 16384))
            text = fh.read().decode(errors="replace")
    except OSError:
        return "(log not readable)"
    out = "\n".join(text.splitlines()[-lines:])
    return out[-max_chars:]
