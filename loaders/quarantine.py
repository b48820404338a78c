"""Quarantine: where rejected rows, payloads and messages are kept for inspection.

Layout (under ``GBPOWER_QUARANTINE_DIR``, default ``quarantine/``)::

    <source>/<DATASET>/<UTC stamp>_<input>.jsonl   one line per rejected row:
                                                   {"input", "reason", "record", "message_id"}
    <source>/<DATASET>/<UTC stamp>_<input>         a whole payload that could not be parsed,
    <source>/<DATASET>/<UTC stamp>_<input>.reason  with the reason next to it
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from loaders import config

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def safe_name(text: str, limit: int = 120) -> str:
    return _SAFE.sub("_", text).strip("_")[:limit] or "input"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass
class Quarantine:
    root: Path = field(default_factory=config.quarantine_dir)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _dir(self, source: str, dataset: str) -> Path:
        d = self.root / safe_name(source) / safe_name(dataset)
        d.mkdir(parents=True, exist_ok=True)
        return d

    def reject_rows(
        self,
        source: str,
        dataset: str,
        input_name: str,
        rows: list[tuple[str, str, str | None]],
    ) -> Path | None:
        """Write rejected rows (record JSON text, reason, message id) as JSON lines; returns the file."""
        if not rows:
            return None
        with self._lock:
            path = self._dir(source, dataset) / f"{_stamp()}_{safe_name(input_name)}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for record, reason, message_id in rows:
                    try:
                        parsed = json.loads(record) if record is not None else None
                    except ValueError:
                        parsed = record
                    line = {"input": input_name, "reason": reason, "record": parsed}
                    if message_id:
                        line["message_id"] = message_id
                    fh.write(json.dumps(line, default=str) + "\n")
        log.warning(
            "quarantined %d %s row(s) from %s (first reason: %s) -> %s",
            len(rows),
            dataset,
            input_name,
            rows[0][1],
            path,
        )
        return path

    def reject_file(self, source: str, dataset: str, input_name: str, payload: Path | bytes, reason: str) -> Path:
        """Keep a whole payload that could not be used, with a ``.reason`` file next to it."""
        with self._lock:
            path = self._dir(source, dataset) / f"{_stamp()}_{safe_name(input_name)}"
            if isinstance(payload, bytes | bytearray):
                path.write_bytes(payload)
            else:
                shutil.copyfile(payload, path)
            path.with_name(path.name + ".reason").write_text(
                f"input: {input_name}\nreason: {reason}\n", encoding="utf-8"
            )
        log.warning("quarantined %s payload %s: %s -> %s", dataset, input_name, reason, path)
        return path
