"""Free disk space where gbpower writes: the DuckDB warehouse, quarantine, work and state dirs.

One check per filesystem (directories on the same filesystem are reported together). A filesystem
with less than ``warn_pct`` percent free is a warning, less than ``error_pct`` an error; the
default thresholds come from ``GBPOWER_DISK_WARN_PCT`` (15) and ``GBPOWER_DISK_ERROR_PCT`` (5).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from loaders import config
from loaders.health.model import Check, Status

WARN_PCT = 15.0
ERROR_PCT = 5.0


def default_thresholds() -> tuple[float, float]:
    return (
        float(os.environ.get("GBPOWER_DISK_WARN_PCT", WARN_PCT)),
        float(os.environ.get("GBPOWER_DISK_ERROR_PCT", ERROR_PCT)),
    )


def watched_dirs(target: str) -> dict[str, Path]:
    dirs = {
        "quarantine": config.quarantine_dir(),
        "work": config.work_dir(),
        "state": config.state_dir(),
    }
    if target == "duckdb":
        dirs = {"warehouse": config.duckdb_path().parent, **dirs}
    return dirs


def _existing(path: Path) -> Path:
    """The directory itself, or its nearest existing parent (the dir may not be created yet)."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def disk_checks(dirs: dict[str, Path], warn_pct: float | None = None, error_pct: float | None = None) -> list[Check]:
    default_warn, default_error = default_thresholds()
    warn_pct = default_warn if warn_pct is None else warn_pct
    error_pct = default_error if error_pct is None else error_pct
    by_fs: dict[int, tuple[Path, list[str]]] = {}
    for name, path in dirs.items():
        existing = _existing(path)
        dev = existing.stat().st_dev
        by_fs.setdefault(dev, (existing, []))[1].append(f"{name} {path}")
    checks = []
    for probe, names in by_fs.values():
        usage = shutil.disk_usage(probe)
        free_pct = 100.0 * usage.free / usage.total if usage.total else 0.0
        free_gb = usage.free / 1e9
        if free_pct < error_pct:
            status = Status.ERROR
        elif free_pct < warn_pct:
            status = Status.WARN
        else:
            status = Status.OK
        subject = ", ".join(n.split(" ", 1)[0] for n in names)
        message = f"{free_pct:.1f}% free ({free_gb:.1f} GB of {usage.total / 1e9:.1f} GB)"
        if status is not Status.OK:
            message += f", below {warn_pct if status is Status.WARN else error_pct:g}%"
        details = {
            "dirs": names,
            "free_bytes": usage.free,
            "total_bytes": usage.total,
            "free_pct": round(free_pct, 2),
            "warn_pct": warn_pct,
            "error_pct": error_pct,
        }
        checks.append(Check("disk", subject, status, message, details))
    return checks
