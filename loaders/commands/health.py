"""``gbpower health``: freshness, gaps, duplicates, last dbt build and the IRIS heartbeat.

Exit code 0 healthy, 1 warnings, 2 errors; ``--json`` for machines (monitoring, cron mail)."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import timedelta
from pathlib import Path

from loaders.cli import UsageError
from loaders.health import HealthOptions, run_health
from loaders.health.model import parse_duration
from loaders.registry import UnknownDataset, get_dataset
from loaders.warehouse import open_writer

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "health",
        help="report data freshness, gaps, duplicates, the last dbt build and the IRIS heartbeat",
        description="Exit code: 0 healthy, 1 warnings, 2 errors.",
    )
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--dataset", "-d", action="append", metavar="NAME", help="only these datasets (repeatable)")
    p.add_argument("--days", type=int, default=3, help="look-back for missing periods and duplicates (default 3)")
    p.add_argument(
        "--max-age",
        action="append",
        default=[],
        metavar="DATASET[/SOURCE]=AGE",
        help="override the expected freshness, e.g. BOALF/iris=30m, FUELHH=2h",
    )
    p.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="NAME",
        help="a dataset that must have data (empty is an error)",
    )
    p.add_argument(
        "--run-results", type=Path, default=None, help="dbt run_results.json (default $DBT_TARGET_PATH or target/)"
    )
    p.add_argument(
        "--heartbeat",
        type=Path,
        default=None,
        help="IRIS heartbeat file (default $GBPOWER_STATE_DIR/iris_heartbeat.json)",
    )
    p.add_argument("--no-iris", action="store_true", help="this deployment runs no IRIS service")
    p.set_defaults(func=run)


def _dataset(name: str) -> str:
    try:
        return get_dataset(name).name
    except UnknownDataset as exc:
        raise UsageError(str(exc)) from None


def _max_ages(items: list[str]) -> dict[str, timedelta]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--max-age {item!r}: expected DATASET[/SOURCE]=AGE")
        name, _, source = key.partition("/")
        if source not in ("", "api", "iris"):
            raise UsageError(f"--max-age {item!r}: source must be api or iris")
        try:
            out[_dataset(name) + (f"/{source}" if source else "")] = parse_duration(value)
        except ValueError as exc:
            raise UsageError(f"--max-age {item!r}: {exc}") from None
    return out


def run(args: argparse.Namespace) -> int:
    if args.days < 0:
        raise UsageError("--days must be >= 0")
    options = HealthOptions(
        datasets=[_dataset(n) for n in args.dataset] if args.dataset else None,
        days=args.days,
        max_age=_max_ages(args.max_age),
        require={_dataset(n) for n in args.require},
        run_results=args.run_results,
        heartbeat=args.heartbeat,
        iris=not args.no_iris,
    )
    with open_writer(args.target) as writer:
        report = run_health(writer, options)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    return report.exit_code
