"""``python -m loaders.samples --root DIR --days 2025-10-24..2025-10-28``: build a replay store."""

from __future__ import annotations

import argparse
import logging
from datetime import date, timedelta
from pathlib import Path

from loaders.samples.real_sets import REAL_SETS
from loaders.samples.store import build_store


def parse_days(text: str) -> list[date]:
    """``2025-10-24..2025-10-28`` (inclusive range) or a comma list ``2025-10-24,2026-03-29``."""
    days: list[date] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("..")
        d0 = date.fromisoformat(first)
        d1 = date.fromisoformat(last) if last else d0
        if d1 < d0:
            raise argparse.ArgumentTypeError(f"empty day range {part!r}")
        days += [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]
    return days


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m loaders.samples", description=__doc__)
    p.add_argument("--root", type=Path, required=True, help="store directory (empty, or a previous store)")
    p.add_argument("--days", type=parse_days, default=[], help="synthetic days: D1..D2 or D1,D2,...")
    p.add_argument("--scale", choices=("demo", "production"), default="demo")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-real", action="store_true", help="synthetic days only")
    p.add_argument("--real", nargs="*", choices=sorted(REAL_SETS), help="real sets to include (default all)")
    p.add_argument("--csv-days", choices=("default", "all"), default="default")
    p.add_argument("--datasets", nargs="*", help="registry dataset codes (default all)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    manifest = build_store(
        args.root, args.days, scale=args.scale, seed=args.seed, include_real=not args.no_real,
        datasets=args.datasets, real=args.real, csv_days=args.csv_days,
    )  # fmt: skip
    total = sum(n for per_day in manifest.values() for n in per_day.values())
    print(f"wrote {total:,} rows in {sum(len(v) for v in manifest.values())} files under {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
