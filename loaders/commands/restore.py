"""``gbpower restore``: put a backup made by ``gbpower backup`` back as the DuckDB warehouse."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from loaders import config
from loaders.errors import UsageError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "restore",
        help="replace the DuckDB warehouse with a backup (the current file is kept aside)",
        description="Stop the IRIS service and the timers/cron first. The backup is checked against its "
        "manifest; the current warehouse file is kept as <file>.before-restore-<time>.",
    )
    p.add_argument("backup", nargs="?", default="latest", help="a backup directory, or 'latest' (default)")
    p.add_argument("--dir", type=Path, default=None, help="backup directory for 'latest'")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from loaders.backup import BackupError, backups, default_backup_dir, restore

    warehouse = config.duckdb_path()
    if args.backup == "latest":
        found = backups(args.dir or default_backup_dir(), warehouse.stem)
        if not found:
            raise UsageError(f"no backup of {warehouse.stem} in {args.dir or default_backup_dir()}")
        chosen = found[-1]
    else:
        chosen = Path(args.backup)
        if not chosen.is_dir():
            raise UsageError(f"{chosen} is not a backup directory")
    try:
        kept = restore(chosen, warehouse)
    except BackupError as exc:
        log.error("%s", exc)
        return 1
    print(f"restored {warehouse} from {chosen}" + (f" (previous file kept as {kept})" if kept else ""))
    return 0
