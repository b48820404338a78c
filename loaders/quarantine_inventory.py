"""What sits in quarantine: items per source, dataset and reason, and their removal.

Layouts read (see ``loaders.quarantine`` and ``loaders.iris``):

* ``$GBPOWER_QUARANTINE_DIR/<source>/<DATASET>/…`` — ``api`` (historic API) and ``iris`` (the
  Service Bus consumer):
  ``<stamp>_<input>.jsonl``  rejected rows, one JSON line each with its ``reason``;
  ``<name>`` + ``<name>.reason``  a whole payload or IRIS message that could not be used
  (``reason:`` line: a text, or an IRIS code such as ``undecodable`` / ``bad_records``).
* an IRIS client directory drained with ``--from-dir DIR`` (source ``iris-files``):
  ``DIR/quarantine/<DATASET>/<file>`` + ``.reason`` and rejected rows under
  ``DIR/quarantine/rows/iris/<DATASET>/*.jsonl``.

An *item* is one quarantined message/payload (its body and ``.reason`` together) or one rejected
row; a ``.jsonl`` file is one removable unit holding many rows."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REASON_SUFFIX = ".reason"
ROWS_DIR = "rows"  # the --from-dir drain's row quarantine: DIR/quarantine/rows/iris/<DATASET>/
_MAX_PARSED_BYTES = 64 << 20  # larger .jsonl files: count lines, take the first line's reason


@dataclass
class Unit:
    """One removable thing in quarantine: a ``.jsonl`` of rows, or a body with its ``.reason``."""

    source: str
    dataset: str
    kind: str  # rows | message
    paths: list[Path]
    reasons: dict[str, int] = field(default_factory=dict)  # short reason -> items
    mtime: float = 0.0  # newest of its files
    size: int = 0

    @property
    def items(self) -> int:
        return sum(self.reasons.values())


def short_reason(text: str) -> str:
    """A reason with the per-record detail cut off, so equal faults group together
    (``frequency: expected number, got fifty`` → ``frequency: expected number``)."""
    first = str(text).strip().split("; ")[0].split(", got ")[0].strip()
    return first[:100] or "unknown"


def _reason_file_reason(path: Path) -> str:
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("reason: "):
                return short_reason(line[len("reason: ") :])
    except OSError:
        pass
    return "unknown"


def _rows_reasons(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    big = path.stat().st_size > _MAX_PARSED_BYTES
    with path.open("rb") as fh:
        first_reason: str | None = None
        n = 0
        for raw in fh:
            if not raw.strip():
                continue
            n += 1
            if big and first_reason is not None:
                continue
            try:
                reason = short_reason(json.loads(raw).get("reason") or "unknown")
            except (ValueError, AttributeError):
                reason = "unreadable quarantine line"
            if big:
                first_reason = reason
                continue
            out[reason] = out.get(reason, 0) + 1
    if big:
        out[first_reason or "unknown"] = n
    return out


def _stat(paths: list[Path]) -> tuple[float, int]:
    mtime, size = 0.0, 0
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        mtime, size = max(mtime, st.st_mtime), size + st.st_size
    return mtime, size


def _dataset_units(source: str, d: Path) -> Iterator[Unit]:
    try:
        files = sorted(p for p in d.iterdir() if p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return
    names = {p.name for p in files}
    for p in files:
        if p.name.endswith(".tmp"):
            continue
        if p.name.endswith(REASON_SUFFIX):
            if p.name[: -len(REASON_SUFFIX)] not in names:  # a reason whose body never arrived
                unit = Unit(source, d.name, "message", [p], {_reason_file_reason(p): 1})
                unit.mtime, unit.size = _stat(unit.paths)
                yield unit
            continue
        if p.suffix == ".jsonl" and p.name + REASON_SUFFIX not in names:
            try:
                reasons = _rows_reasons(p)
            except OSError:
                continue
            unit = Unit(source, d.name, "rows", [p], reasons)
        else:
            reason_file = p.with_name(p.name + REASON_SUFFIX)
            paths = [p, reason_file] if reason_file.name in names else [p]
            reason = _reason_file_reason(reason_file) if reason_file.name in names else "no .reason file"
            unit = Unit(source, d.name, "message", paths, {reason: 1})
        unit.mtime, unit.size = _stat(unit.paths)
        yield unit


def _tree_units(source: str, root: Path, skip: tuple[str, ...] = ()) -> Iterator[Unit]:
    try:
        dirs = sorted(p for p in root.iterdir() if p.is_dir() and p.name not in skip)
    except (FileNotFoundError, NotADirectoryError):
        return
    for d in dirs:
        yield from _dataset_units(source, d)


def scan(quarantine_root: Path, iris_dirs: list[Path] | None = None) -> list[Unit]:
    """Every unit under the quarantine root (each top-level folder is a source: ``api``, ``iris``, …)
    and under ``DIR/quarantine`` of each ``--from-dir`` IRIS client directory."""
    units: list[Unit] = []
    try:
        sources = sorted(p for p in quarantine_root.iterdir() if p.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        sources = []
    for s in sources:
        units.extend(_tree_units(s.name, s))
    for iris_dir in iris_dirs or []:
        q = iris_dir / "quarantine"
        units.extend(_tree_units("iris-files", q, skip=(ROWS_DIR,)))
        units.extend(_tree_units("iris-files", q / ROWS_DIR / "iris"))
    return units


@dataclass
class Summary:
    source: str
    dataset: str
    reasons: dict[str, int] = field(default_factory=dict)
    units: int = 0
    size: int = 0
    oldest: float | None = None
    newest: float | None = None

    @property
    def items(self) -> int:
        return sum(self.reasons.values())


def summarise(units: list[Unit]) -> list[Summary]:
    """Per (source, dataset): items per reason, bytes, oldest and newest file time."""
    out: dict[tuple[str, str], Summary] = {}
    for u in units:
        s = out.setdefault((u.source, u.dataset), Summary(u.source, u.dataset))
        for r, n in u.reasons.items():
            s.reasons[r] = s.reasons.get(r, 0) + n
        s.units += 1
        s.size += u.size
        s.oldest = u.mtime if s.oldest is None else min(s.oldest, u.mtime)
        s.newest = u.mtime if s.newest is None else max(s.newest, u.mtime)
    return [out[k] for k in sorted(out)]


def purge(units: list[Unit], dry_run: bool = False) -> tuple[int, int]:
    """Delete the units' files (a body and its ``.reason`` together; the ``.reason`` last, so a crash
    never leaves a body without its reason) and then empty dataset folders. Returns (units, bytes)."""
    n = size = 0
    for u in units:
        n += 1
        size += u.size
        if dry_run:
            continue
        for p in sorted(u.paths, key=lambda p: p.name.endswith(REASON_SUFFIX)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        with contextlib.suppress(OSError):
            os.rmdir(u.paths[0].parent)  # only if now empty
    return n, size
