"""``gbpower prune-iris``: optional retention of the raw IRIS tables (off by default)."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import timedelta

from loaders.errors import UsageError
from loaders.registry import UnknownDataset, get_dataset

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prune-iris",
        help="delete IRIS rows older than N days that the API tables hold too (off unless N is given)",
        description="Deletes an old IRIS row only when the API table has an identical row: the only copy "
        "of anything is never deleted. N from --older-than or GBPOWER_IRIS_RETENTION_DAYS; with "
        "neither, does nothing (retention is off by default).",
    )
    p.add_argument("--older-than", type=int, default=None, metavar="DAYS")
    p.add_argument("--dataset", "-d", action="append", metavar="NAME", help="only these datasets (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="count only")
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    days = args.older_than
    if days is None:
        env = os.environ.get("GBPOWER_IRIS_RETENTION_DAYS", "").strip()
        if not env:
            print("IRIS retention is off (set GBPOWER_IRIS_RETENTION_DAYS or pass --older-than): nothing deleted")
            return 0
        try:
            days = int(env)
        except ValueError:
            raise UsageError(f"GBPOWER_IRIS_RETENTION_DAYS={env!r}: not a whole number of days") from None
    if days < 4:
        raise UsageError("retention must be >= 4 days (IRIS keeps 3 days; the API catch-up needs them)")
    try:
        names = [get_dataset(n).name for n in args.dataset] if args.dataset else None
    except UnknownDataset as exc:
        raise UsageError(str(exc)) from None
    from loaders.iris_retention import prune_iris
    from loaders.warehouse import open_writer

    with open_writer(args.target) as writer:
        results = prune_iris(writer, timedelta(days=days), names, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for r in results:
        print(f"{r.dataset:<9} {verb} {r.deleted:>9,}  kept (no API copy) {r.kept_only_copy:>9,}")
    print(f"total     {verb} {sum(r.deleted for r in results):,} IRIS rows older than {days} days")
    return 0
