"""``gbpower quarantine``: list what sits in quarantine, and purge old items.

``list`` shows items per source, dataset and reason (``--json`` for machines). ``purge --older-than
30d`` deletes quarantined files whose newest file time is older than that (a message's body and its
``.reason`` go together); ``--dry-run`` only says what would go. Both read
``$GBPOWER_QUARANTINE_DIR`` and, with ``--iris-dir DIR``, the ``--from-dir`` client folder's
``DIR/quarantine``. Layout: ``loaders.quarantine_inventory``."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from loaders import config
from loaders.errors import UsageError
from loaders.health.model import parse_duration
from loaders.quarantine_inventory import Unit, purge, scan, summarise


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "quarantine",
        help="list quarantined rows, payloads and IRIS messages; purge old ones",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    actions = p.add_subparsers(dest="quarantine_action", metavar="{list,purge}", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=None, help="quarantine root (default $GBPOWER_QUARANTINE_DIR)")
    common.add_argument(
        "--iris-dir", action="append", type=Path, default=[], metavar="DIR", help="also DIR/quarantine (repeatable)"
    )
    common.add_argument("--source", action="append", metavar="NAME", help="only api, iris or iris-files (repeatable)")
    common.add_argument("--dataset", "-d", action="append", metavar="NAME", help="only this dataset (repeatable)")
    ls = actions.add_parser("list", parents=[common], help="items per source, dataset and reason")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=run_list)
    pg = actions.add_parser("purge", parents=[common], help="delete quarantined files older than --older-than")
    pg.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 30d, 12h (a bare number is minutes)")
    pg.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    pg.set_defaults(func=run_purge)


def _units(args: argparse.Namespace) -> tuple[Path, list[Unit]]:
    root = args.root or config.quarantine_dir()
    units = scan(root, args.iris_dir)
    if args.source:
        units = [u for u in units if u.source in set(args.source)]
    if args.dataset:
        wanted = {d.upper() for d in args.dataset}
        units = [u for u in units if u.dataset.upper() in wanted]
    return root, units


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def run_list(args: argparse.Namespace) -> int:
    root, units = _units(args)
    summaries = summarise(units)
    if args.json:
        print(
            json.dumps(
                {
                    "root": str(root),
                    "datasets": [
                        {
                            "source": s.source,
                            "dataset": s.dataset,
                            "items": s.items,
                            "files": s.units,
                            "bytes": s.size,
                            "oldest_utc": _iso(s.oldest),
                            "newest_utc": _iso(s.newest),
                            "reasons": s.reasons,
                        }
                        for s in summaries
                    ],
                },
                indent=2,
            )
        )
        return 0
    if not summaries:
        print(f"nothing in quarantine ({root})")
        return 0
    for s in summaries:
        print(
            f"{s.source}/{s.dataset}: {s.items} item(s) in {s.units} file(s), {s.size} bytes, "
            f"{_iso(s.oldest)} .. {_iso(s.newest)}"
        )
        for reason, n in sorted(s.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:>8}  {reason}")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    try:
        age = parse_duration(args.older_than)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    if age.total_seconds() <= 0:
        raise UsageError("--older-than must be positive")
    root, units = _units(args)
    cutoff = time.time() - age.total_seconds()
    old = [u for u in units if u.mtime < cutoff]
    n, size = purge(old, dry_run=args.dry_run)
    items = sum(u.items for u in old)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {n} file group(s) ({items} item(s), {size} bytes) older than {args.older_than} under {root}")
    for s in summarise(old):
        print(f"  {s.source}/{s.dataset}: {s.items} item(s)")
    return 0
