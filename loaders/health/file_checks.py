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
