"""``gbpower backup``: a consistent, verified copy of the DuckDB warehouse, keeping the newest N."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from loaders import config
from loaders.errors import UsageError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backup",
        help="copy the DuckDB warehouse consistently (under its lock) into a backup dir, keeping N",
        description="Each backup is DIR/<stem>-<UTC time>/ with the database file and a manifest of "
        "every table's row count and fingerprint. Restore with gbpower restore. On BigQuery there is "
        "nothing to do (use BigQuery's time travel and table snapshots).",
    )
    p.add_argument(
        "--dir", type=Path, default=None, help="backup dir (default $GBPOWER_BACKUP_DIR or <warehouse dir>/backups)"
    )
    p.add_argument("--keep", type=int, default=7, help="backups to keep (default 7)")
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from loaders.backup import BackupError, backup, default_backup_dir
    from loaders.warehouse import resolve_target

    if args.keep < 1:
        raise UsageError("--keep must be >= 1")
    if resolve_target(args.target) != "duckdb":
        print("BigQuery warehouse: nothing to back up here (BigQuery keeps 7 days of time travel; use table snapshots)")
        return 0
    try:
        made = backup(config.duckdb_path(), args.dir or default_backup_dir(), args.keep)
    except BackupError as exc:
        log.error("%s", exc)
        return 1
    print(f"backup {made.directory}: {made.tables} tables, {made.rows:,} rows (keeping the newest {args.keep})")
    return 0
