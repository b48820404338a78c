"""Backups of the DuckDB warehouse: a consistent copy, verified, keeping the newest N; and restore.

``backup`` opens the warehouse like any writer (waiting for the file lock, so no load or dbt run
writes while it copies) and copies every schema, table, view and macro into a new database file
with ``COPY FROM DATABASE``. Each backup is a directory ``<stem>-<UTC time>/`` holding
``<stem>.duckdb`` — the same file name as the warehouse, because dbt's views name their catalog
(the file's stem), so the copy opens and queries as it is — and ``manifest.json`` with every
table's row count and content fingerprint. The directory appears under its final name only when
the copy is complete and matches the source.

``restore`` checks a backup against its manifest, keeps the current warehouse file as
``<file>.before-restore-<time>`` (nothing is thrown away) and moves a copy of the backup into place.
Stop the IRIS service and the timers first: the file is swapped under a brief exclusive lock.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from loaders import config
from loaders.warehouse.duckdb_literals import execute

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
ATTACHED = "gbpower_backup_target"


class BackupError(RuntimeError):
    """A backup or restore that did not happen (nothing was changed)."""


def default_backup_dir() -> Path:
    env = os.environ.get("GBPOWER_BACKUP_DIR")
    return config.resolve(env) if env else config.duckdb_path().parent / "backups"


def fingerprints(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[int]]:
    """``schema.table`` -> [row count, order-independent hash of every row] for each base table."""
    tables = execute(
        con, "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1, 2", [catalog]
    ).fetchall()
    out = {}
    for schema, table in tables:
        ref = f'"{catalog}"."{schema}"."{table}"'
        n, h = _one(con, f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {ref} AS t")
        out[f"{schema}.{table}"] = [int(n), int(h)]
    return out


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    row = con.execute(sql).fetchone()
    if row is None:
        raise BackupError(f"no result from {sql}")
    return row


@dataclass(frozen=True)
class Backup:
    directory: Path
    database: Path
    tables: int
    rows: int


# COPY FROM DATABASE holds more in memory than a loader's commit (the writer's 128MB default ran out
# on the soak's month of every dataset); it spills what it can beyond this
BACKUP_MEMORY = "1GB"


def _writer_connection(path: Path):
    from loaders.warehouse.duckdb_writer import DuckDBWriter

    return DuckDBWriter(path, memory_limit=BACKUP_MEMORY).connect()


def backup(warehouse: Path, backup_dir: Path, keep: int, now: datetime | None = None) -> Backup:
    if not warehouse.exists():
        raise BackupError(f"no warehouse at {warehouse}: nothing to back up")
    now = now or datetime.now(UTC)
    stem = warehouse.stem
    final = backup_dir / f"{stem}-{now:%Y%m%dT%H%M%SZ}"
    if final.exists():
        raise BackupError(f"{final} already exists")
    partial = backup_dir / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    copy = partial / warehouse.name
    try:
        with _writer_connection(warehouse) as con:  # holds the warehouse lock: nobody writes meanwhile
            catalog = _one(con, "SELECT current_database()")[0]
            source = fingerprints(con, catalog)
            con.execute(f"ATTACH '{_sql_path(copy)}' AS {ATTACHED}")
            try:
                con.execute(f'COPY FROM DATABASE "{catalog}" TO {ATTACHED}')
                con.execute(f"CHECKPOINT {ATTACHED}")
            finally:
                con.execute(f"DETACH {ATTACHED}")
        copied = _fingerprints_of(copy)
        if copied != source:
            differ = sorted(k for k in set(source) | set(copied) if source.get(k) != copied.get(k))
            raise BackupError(f"backup copy differs from the warehouse in {', '.join(differ[:10])}")
        manifest = {
            "warehouse": str(warehouse),
            "created_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tables": source,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    prune(backup_dir, stem, keep)
    return Backup(final, final / warehouse.name, len(source), sum(v[0] for v in source.values()))


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _fingerprints_of(db: Path) -> dict[str, list[int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return fingerprints(con, _one(con, "SELECT current_database()")[0])
    finally:
        con.close()


def backups(backup_dir: Path, stem: str) -> list[Path]:
    """Complete backups of warehouse ``stem``, oldest first."""
    if not backup_dir.is_dir():
        return []
    return sorted(
        p for p in backup_dir.iterdir() if p.is_dir() and p.name.startswith(f"{stem}-") and (p / MANIFEST).exists()
    )


def prune(backup_dir: Path, stem: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    found = backups(backup_dir, stem)
    doomed = found[: max(0, len(found) - keep)]
    for p in doomed:
        shutil.rmtree(p)
        log.info("deleted old backup %s", p)
    return doomed


def verify(backup_path: Path) -> tuple[Path, dict]:
    """The database file of a backup directory, after checking it against its manifest."""
    manifest_path = backup_path / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{backup_path} is not a complete backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    dbs = sorted(backup_path.glob("*.duckdb"))
    if len(dbs) != 1:
        raise BackupError(f"{backup_path}: expected one .duckdb file, found {len(dbs)}")
    found = _fingerprints_of(dbs[0])
    if found != manifest["tables"]:
        differ = sorted(k for k in set(found) | set(manifest["tables"]) if found.get(k) != manifest["tables"].get(k))
        raise BackupError(f"{dbs[0]} does not match its manifest ({', '.join(differ[:10])}): damaged backup")
    return dbs[0], manifest


def restore(backup_path: Path, warehouse: Path, now: datetime | None = None) -> Path | None:
    """Put the backup in place of ``warehouse``; returns where the replaced file was kept (or None)."""
    now = now or datetime.now(UTC)
    source, _ = verify(backup_path)
    if source.name != warehouse.name:
        log.warning(
            "backup file %s is named differently from the warehouse %s: dbt views name their catalog "
            "after the file, so rebuild the views (gbpower dbt run) after restoring",
            source.name,
            warehouse.name,
        )
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    staged = warehouse.with_name(f".{warehouse.name}.restoring")
    shutil.copyfile(source, staged)
    kept = None
    try:
        if warehouse.exists():
            # exclusive lock: fails (after GBPOWER_DUCKDB_LOCK_TIMEOUT) while a service has the file
            with _writer_connection(warehouse) as con:
                con.execute("CHECKPOINT")  # nothing left in the WAL that could be replayed onto the new file
            kept = warehouse.with_name(f"{warehouse.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
            os.replace(warehouse, kept)
        wal = warehouse.with_name(warehouse.name + ".wal")
        if wal.exists():  # belongs to the old file: keep it with that file, never replay it on the new one
            os.replace(wal, wal.with_name(f"{(kept or warehouse).name}.wal.before-restore-{now:%Y%m%dT%H%M%SZ}"))
        os.replace(staged, warehouse)
    finally:
        staged.unlink(missing_ok=True)
    return kept
