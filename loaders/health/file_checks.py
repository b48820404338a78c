"""Checks that read files: dbt's ``run_results.json`` and the IRIS service heartbeat."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from loaders import config
from loaders.health.model import Check, Status, human_age, iso, utc
from loaders.scratch import pid_alive

FAILED = ("error", "fail", "runtime error")
DBT_MAX_AGE = timedelta(hours=2)  # builds run every 30 minutes
IRIS_WARN_AGE = timedelta(minutes=15)
IRIS_ERROR_AGE = timedelta(hours=1)
HEARTBEAT_FILE = "iris_heartbeat.json"


def default_run_results() -> Path:
    target = os.environ.get("DBT_TARGET_PATH")
    return (config.resolve(target) if target else config.project_root() / "target") / "run_results.json"


def _parse_ts(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def dbt_check(path: Path, now: datetime, max_age: timedelta = DBT_MAX_AGE) -> Check:
    subject = "last run"
    if not path.exists():
        return Check("dbt", subject, Status.WARN, f"no dbt results at {path} (has dbt build run?)", {"path": str(path)})
    try:
        doc = json.loads(path.read_text())
        results = doc["results"]
        generated = _parse_ts(doc["metadata"]["generated_at"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Check("dbt", subject, Status.ERROR, f"unreadable dbt results {path}: {exc}", {"path": str(path)})
    command = (doc.get("args") or {}).get("which") or "?"
    counts: dict[str, int] = {}
    failed: list[str] = []
    warned: list[str] = []
    for r in results:
        status = str(r.get("status", "?")).lower()
        counts[status] = counts.get(status, 0) + 1
        if status in FAILED:
            failed.append(r.get("unique_id", "?"))
        elif status == "warn":
            warned.append(r.get("unique_id", "?"))
    age = now - generated if generated else None
    details = {
        "path": str(path),
        "command": command,
        "generated_utc": iso(generated),
        "elapsed_s": doc.get("elapsed_time"),
        "counts": counts,
        "failed": failed[:50],
        "warned": warned[:50],
    }
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    msg = f"dbt {command} {human_age(age)}: {summary or 'no nodes'}"
    if failed:
        return Check("dbt", subject, Status.ERROR, f"{msg}; failed: {', '.join(failed[:5])}", details)
    if age is None or age > max_age:
        return Check(
            "dbt", subject, Status.WARN, f"{msg}; older than {human_age(max_age).removesuffix(' ago')}", details
        )
    if warned:
        return Check("dbt", subject, Status.WARN, f"{msg}; warnings: {', '.join(warned[:5])}", details)
    return Check("dbt", subject, Status.OK, msg, details)


def _pid_running(pid: Any) -> bool | None:
    if not isinstance(pid, int) or pid <= 0:
        return None
    return pid_alive(pid)


def iris_check(
    path: Path, now: datetime, warn_age: timedelta = IRIS_WARN_AGE, error_age: timedelta = IRIS_ERROR_AGE
) -> Check:
    subject = "heartbeat"
    if not path.exists():
        return Check(
            "iris", subject, Status.WARN, f"no IRIS heartbeat at {path} (is gbpower-iris running?)", {"path": str(path)}
        )
    try:
        hb = json.loads(path.read_text())
        last = _parse_ts(hb["last_commit_utc"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Check("iris", subject, Status.ERROR, f"unreadable IRIS heartbeat {path}: {exc}", {"path": str(path)})
    running = _pid_running(hb.get("pid"))
    age = now - last if last else None
    details = {
        "path": str(path),
        "last_commit_utc": iso(last),
        "age_seconds": int(age.total_seconds()) if age else None,
        "started_utc": hb.get("started_utc"),
        "pid": hb.get("pid"),
        "pid_running": running,
        "batches": hb.get("batches"),
        "messages": hb.get("messages"),
        "records": hb.get("records"),
        "datasets": hb.get("datasets") or {},
    }
    msg = (
        f"last commit {human_age(age)} (pid {hb.get('pid')}"
        f"{'' if running is not False else ', not running'}), {hb.get('messages')} messages, "
        f"{hb.get('records')} records since {hb.get('started_utc')}"
    )
    if age is None or age > error_age or (running is False and age > warn_age):
        return Check("iris", subject, Status.ERROR, msg, details)
    if age > warn_age:
        return Check("iris", subject, Status.WARN, msg, details)
    return Check("iris", subject, Status.OK, msg, details)


def default_heartbeat() -> Path:
    return config.state_dir() / HEARTBEAT_FILE


FULL_HISTORY_WARN_AGE = timedelta(days=8)  # the job runs weekly: one missed run warns
FULL_HISTORY_ERROR_AGE = timedelta(days=15)


def default_full_history_stamp() -> Path:
    from loaders.commands.dbt import FULL_HISTORY_STAMP

    return config.state_dir() / FULL_HISTORY_STAMP


def full_history_tests_check(path: Path, now: datetime) -> Check:
    """When every data test last passed over the whole history (the weekly ``full-history-tests``
    job; the 30-minute build tests only its window). Never: INFO (a new install; a failing weekly
    job alerts through run-job); older than a missed week: WARN; two: ERROR."""
    subject = "full-history tests"
    if not path.exists():
        return Check(
            "dbt",
            subject,
            Status.INFO,
            "the whole history has not been tested yet (weekly job full-history-tests, or gbpower dbt test)",
            {"path": str(path)},
        )
    try:
        doc = json.loads(path.read_text())
        passed = _parse_ts(doc["passed_utc"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Check("dbt", subject, Status.WARN, f"unreadable {path}: {exc}", {"path": str(path)})
    if passed is None:
        return Check("dbt", subject, Status.WARN, f"{path} has no pass time", {"path": str(path)})
    age = now - passed
    details = {"path": str(path), "last_passed_utc": iso(passed), "command": doc.get("command")}
    status = Status.OK
    if age > FULL_HISTORY_ERROR_AGE:
        status = Status.ERROR
    elif age > FULL_HISTORY_WARN_AGE:
        status = Status.WARN
    message = f"every data test last passed over the whole history {human_age(age)} ago ({iso(passed)})"
    if status != Status.OK:
        message += "; check the full-history-tests job log"
    return Check("dbt", subject, status, message, details)
