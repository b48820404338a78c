"""The IRIS heartbeat: ``$GBPOWER_STATE_DIR/iris_heartbeat.json``, rewritten atomically after every
commit and read by ``gbpower health``.

Top-level counters count since ``started_utc`` (this process). Each dataset's ``last_commit_utc`` is
carried over from the previous file until this process commits that dataset again, so a restart
does not make healthy datasets look stale."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loaders import config

log = logging.getLogger(__name__)

FILE_NAME = "iris_heartbeat.json"


def iso_z(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def heartbeat_path() -> Path:
    return config.state_dir() / FILE_NAME


def read_heartbeat(path: Path | None = None) -> dict[str, Any] | None:
    path = path or heartbeat_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class Heartbeat:
    def __init__(self, path: Path | None = None, mode: str = "service") -> None:
        self.path = path or heartbeat_path()
        self.started = datetime.now(UTC)
        self.mode = mode
        self.batches = 0
        self.messages = 0
        self.records = 0
        self.last_commit: datetime | None = None
        previous = read_heartbeat(self.path) or {}
        self.datasets: dict[str, dict[str, Any]] = {}
        for name, entry in (previous.get("datasets") or {}).items():
            if isinstance(entry, dict) and entry.get("last_commit_utc"):
                self.datasets[name] = {"records": 0, "last_commit_utc": entry["last_commit_utc"]}

    def commit(self, when: datetime, messages: int, records: Mapping[str, int]) -> None:
        """Record one committed batch and rewrite the file (tmp + rename)."""
        self.batches += 1
        self.messages += messages
        self.records += sum(records.values())
        self.last_commit = when
        for name, n in records.items():
            entry = self.datasets.setdefault(name, {"records": 0})
            entry["records"] = int(entry.get("records", 0)) + int(n)
            entry["last_commit_utc"] = iso_z(when)
        self.write()

    def as_dict(self) -> dict[str, Any]:
        return {
            "last_commit_utc": iso_z(self.last_commit) if self.last_commit else None,
            "started_utc": iso_z(self.started),
            "pid": os.getpid(),
            "mode": self.mode,
            "batches": self.batches,
            "messages": self.messages,
            "records": self.records,
            "datasets": dict(sorted(self.datasets.items())),
        }

    def write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.as_dict(), indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # a heartbeat must never stop loading
            log.warning("could not write IRIS heartbeat %s: %s", self.path, exc)
