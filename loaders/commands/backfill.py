"""``gbpower backfill``: load historic Insights API data for a date range."""

from __future__ import annotations

import argparse
from datetime import date

from loaders.errors import UsageError
from loaders.registry import UnknownDataset, get_dataset


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backfill",
        help="load historic API data for settlement dates FROM..TO (inclusive)",
        description=(
            "Fetch each dataset window by window (one settlement day, or less where the API caps the "
            "window), validate, and replace that window in the warehouse atomically. Completed windows "
            "are skipped on a re-run unless --force. API base URL from env BMRS_API_BASE_URL."
        ),
    )
    p.add_argument(
        "--dataset",
        "-d",
        action="append",
        default=None,
        metavar="NAME",
        help="dataset code (repeatable), e.g. BOD, BOALF, DISEBSP (alias COSTS), or 'all' "
        "(required, except with --catch-up, which defaults to every dataset)",
    )
    p.add_argument("--from", dest="date_from", type=_date, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_date, default=None, metavar="YYYY-MM-DD")
    p.add_argument(
        "--last-days",
        type=int,
        default=None,
        metavar="N",
        help="instead of --from/--to: the N settlement days before today (Europe/London), for cron",
    )
    p.add_argument(
        "--target",
        choices=["duckdb", "bigquery"],
        default=None,
        help="warehouse (default: env GBPOWER_TARGET or duckdb)",
    )
    p.add_argument(
        "--catch-up",
        action="store_true",
        help="instead of --from/--to: fetch what is due in the last --catch-up-days days of each dataset "
        "(missing windows, windows loaded before they were final, revision windows per the dataset's "
        "policy); the scheduled job",
    )
    p.add_argument("--catch-up-days", type=int, default=7, metavar="N", help="--catch-up look-back (default 7)")
    p.add_argument(
        "--settle-hours",
        type=float,
        default=2.0,
        metavar="H",
        help="--catch-up: a window loaded less than H hours after it ended is fetched again (default 2)",
    )
    p.add_argument("--force", action="store_true", help="reload windows already loaded")
    p.add_argument("--concurrency", type=int, default=4, help="parallel requests (default 4)")
    p.add_argument("--rate", type=float, default=8.0, help="max requests per second (default 8)")
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from loaders.backfill import run_backfill
    from loaders.registry import DATASETS

    names: list[str] = []
    if args.dataset is None and not args.catch_up:
        raise UsageError("give --dataset NAME (or 'all')")
    for item in args.dataset or []:
        for name in item.split(","):
            if name.strip().lower() == "all":
                names.extend(DATASETS)
                continue
            try:
                names.append(get_dataset(name).name)
            except UnknownDataset as exc:
                raise UsageError(str(exc)) from None
    if args.concurrency < 1 or args.rate <= 0:
        raise UsageError("--concurrency must be >= 1 and --rate > 0")
    if args.catch_up:
        return _catch_up(args, list(dict.fromkeys(names)) or None)
    if args.last_days is not None:
        if args.date_from or args.date_to or args.last_days < 1:
            raise UsageError("--last-days N (N >= 1) replaces --from/--to; give one or the other")
        from datetime import UTC, datetime, timedelta

        from loaders.settlement import settlement_period_of

        today = settlement_period_of(datetime.now(UTC))[0]
        args.date_from, args.date_to = today - timedelta(days=args.last_days), today - timedelta(days=1)
    if args.date_from is None or args.date_to is None:
        raise UsageError("give --from and --to (or --last-days N)")
    if args.date_to < args.date_from:
        raise UsageError(f"--to {args.date_to} is before --from {args.date_from}")
    if args.concurrency < 1 or args.rate <= 0:
        raise UsageError("--concurrency must be >= 1 and --rate > 0")
    summary = run_backfill(
        list(dict.fromkeys(names)),
        args.date_from,
        args.date_to,
        target=args.target,
        force=args.force,
        concurrency=args.concurrency,
        rate_per_s=args.rate,
        progress=False if args.no_progress else None,
    )
    for line in summary.lines():
        print(line)
    return 0 if summary.ok else 1


def _catch_up(args: argparse.Namespace, names: list[str] | None) -> int:
    from datetime import timedelta

    from loaders.catch_up import CatchUpRules, run_catch_up

    if args.date_from or args.date_to or args.last_days is not None or args.force:
        raise UsageError("--catch-up chooses its own windows: do not combine it with --from/--to/--last-days/--force")
    if args.catch_up_days < 1 or args.settle_hours < 0:
        raise UsageError("--catch-up-days must be >= 1 and --settle-hours >= 0")
    rules = CatchUpRules(days=args.catch_up_days, settle=timedelta(hours=args.settle_hours))
    summary = run_catch_up(
        names,
        rules=rules,
        target=args.target,
        concurrency=args.concurrency,
        rate_per_s=args.rate,
        progress=False if args.no_progress else None,
    )
    for line in summary.lines():
        print(line)
    return 0 if summary.ok else 1
