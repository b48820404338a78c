"""``gbpower health``: freshness, gaps, duplicates, last dbt build and the IRIS heartbeat.

Exit code 0 healthy, 1 warnings, 2 errors; ``--json`` for machines (monitoring, cron mail)."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import timedelta
from pathlib import Path

from loaders.errors import UsageError
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
    p.add_argument(
        "--quarantine-warn",
        type=int,
        default=None,
        metavar="N",
        help="warn when a dataset has more than N items in quarantine (default $GBPOWER_QUARANTINE_WARN or 10)",
    )
    p.add_argument(
        "--iris-dir",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="an IRIS client folder drained with --from-dir: count its DIR/quarantine too (repeatable)",
    )
    p.add_argument("--disk-warn", type=float, default=None, metavar="PCT", help="warn below PCT%% free (default 15)")
    p.add_argument("--disk-error", type=float, default=None, metavar="PCT", help="error below PCT%% free (default 5)")
    p.add_argument(
        "--no-source-check",
        action="store_true",
        help="do not ask Elexon's /data-status whether a missing period exists at source "
        "(every undocumented gap is then an ingestion gap)",
    )
    p.add_argument(
        "--notify",
        action="store_true",
        help="alert NEW warnings/errors and recoveries (GBPOWER_ALERT_WEBHOOK / GBPOWER_ALERT_EMAIL); "
        "exit 0 unless an alert could not be delivered (3); with no channel set, the usual exit code",
    )
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


def _status_fetcher():
    """Elexon's /data-status through a quick client: two attempts, short timeouts (health must not
    hang on an unreachable API; the gap then stays unconfirmed, i.e. an ingestion gap)."""
    from loaders import config
    from loaders.api.client import ApiClient
    from loaders.gaps.data_status import fetch_data_status

    client = ApiClient(config.api_base_url(), max_attempts=2, connect_timeout_s=5, read_timeout_s=30)
    return lambda dataset, first, last: fetch_data_status(client, dataset, first, last)


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
        disk_warn_pct=args.disk_warn,
        disk_error_pct=args.disk_error,
        quarantine_warn=args.quarantine_warn,
        iris_dirs=args.iris_dir,
        fetch_status=None if args.no_source_check else _status_fetcher(),
    )
    with open_writer(args.target) as writer:
        report = run_health(writer, options)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    if args.notify:
        return _notify(report)
    return report.exit_code


def _notify(report) -> int:
    """Under --notify the findings travel as alerts, so the exit code says only whether they did
    (a scheduled health run that exits 1 on every warning would also fire the job-failure alert)."""
    from loaders.alerts import health_update, notify

    outcome = notify(health_update(report), source="health")
    if not outcome.channels:  # nobody to tell: the exit code is the only signal left (systemctl --failed)
        log.warning("--notify: no alert channel configured (GBPOWER_ALERT_WEBHOOK, GBPOWER_ALERT_EMAIL)")
        return report.exit_code
    return 0 if outcome.ok else 3
