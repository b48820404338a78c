"""Health-check results: one :class:`Check` per finding, rolled up into a :class:`Report`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any


class Status(IntEnum):
    """Ordered by severity; the report's exit code is the worst check's ``exit_code``."""

    OK = 0
    INFO = 1  # worth knowing, not a problem (e.g. a dataset that is not loaded at all)
    WARN = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def exit_code(self) -> int:
        return {Status.OK: 0, Status.INFO: 0, Status.WARN: 1, Status.ERROR: 2}[self]


@dataclass
class Check:
    check: str  # freshness | gaps | duplicates | dbt | iris
    subject: str  # e.g. "BOALF/iris", "dbt build", "iris heartbeat"
    status: Status
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.label
        return d


@dataclass
class Report:
    generated_utc: datetime
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """The worst finding; information alone is still healthy."""
        worst = max((c.status for c in self.checks), default=Status.OK)
        return Status.OK if worst is Status.INFO else worst

    @property
    def exit_code(self) -> int:
        return self.status.exit_code

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.label,
            "exit_code": self.exit_code,
            "generated_utc": iso(self.generated_utc),
            "checks": [c.to_json() for c in self.checks],
        }

    def lines(self) -> list[str]:
        width = max((len(c.check) + len(c.subject) for c in self.checks), default=10) + 3
        out = [f"gbpower health at {iso(self.generated_utc)}: {self.status.label.upper()}"]
        for c in self.checks:
            out.append(f"  {c.status.label.upper():5}  {(c.check + ' ' + c.subject):{width}} {c.message}")
        return out


def iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(ts: datetime | None) -> datetime | None:
    """Warehouse timestamps as aware UTC (DuckDB returns naive UTC, BigQuery aware)."""
    if ts is None:
        return None
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    raise TypeError(f"not a timestamp: {ts!r}")


def human_age(age: timedelta | None) -> str:
    if age is None:
        return "never"
    secs = int(age.total_seconds())
    sign = "in " if secs < 0 else ""
    secs = abs(secs)
    if secs < 120:
        text = f"{secs}s"
    elif secs < 7200:
        text = f"{secs // 60}m"
    elif secs < 172800:
        text = f"{secs / 3600:.1f}h"
    else:
        text = f"{secs / 86400:.1f}d"
    return sign + text if sign else text + " ago"


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``3d`` (a bare number is minutes)."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text[-1] in units:
            return timedelta(seconds=float(text[:-1]) * units[text[-1]])
        return timedelta(minutes=float(text))
    except (ValueError, IndexError):
        raise ValueError(f"not a duration (e.g. 90s, 15m, 2h, 3d): {text!r}") from None
