"""``gbpower health``: is the pipeline healthy? Warehouse freshness, gaps and duplicates, the last dbt
run, the IRIS heartbeat — one report, exit code 0 healthy, 1 warnings, 2 errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loaders.gaps.classify import Period
from loaders.health.disk_checks import disk_checks, watched_dirs
from loaders.health.file_checks import (
    dbt_check,
    default_full_history_stamp,
    default_heartbeat,
    default_run_results,
    full_history_tests_check,
    iris_check,
)
from loaders.health.model import Check, Report, Status
from loaders.health.quarantine_checks import kept_checks, quarantine_checks
from loaders.health.warehouse_checks import StatusFetcher, warehouse_checks
from loaders.warehouse.base import Writer

__all__ = ["Check", "HealthOptions", "Report", "Status", "run_health"]


@dataclass
class HealthOptions:
    datasets: list[str] | None = None  # registry names; None = all
    days: int = 3  # look-back for gaps and duplicates
    max_age: dict[str, timedelta] = field(default_factory=dict)  # "BOALF" or "BOALF/iris" -> age
    require: set[str] = field(default_factory=set)
    run_results: Path | None = None
    heartbeat: Path | None = None
    iris: bool = True
    disk_warn_pct: float | None = None  # None: GBPOWER_DISK_WARN_PCT or 15
    disk_error_pct: float | None = None  # None: GBPOWER_DISK_ERROR_PCT or 5
    quarantine_warn: int | None = None  # items per dataset; None: GBPOWER_QUARANTINE_WARN or 10
    iris_dirs: list[Path] = field(default_factory=list)  # --from-dir client folders (their quarantine/)
    # Asks Elexon's /data-status whether a missing period has data at source (None: never ask, so
    # every undocumented gap counts as an ingestion gap); see loaders.gaps.
    fetch_status: StatusFetcher | None = None
    known_source_gaps: dict[str, set[Period]] | None = None  # None: seeds/known_source_gaps.csv


def run_health(writer: Writer, options: HealthOptions, now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    report = Report(now)
    try:
        report.checks += warehouse_checks(
            writer,
            datasets=options.datasets,
            days=options.days,
            now=now,
            max_age=options.max_age,
            require=options.require,
            known_source_gaps=options.known_source_gaps,
            fetch_status=options.fetch_status,
        )
    except Exception as exc:  # an unreachable warehouse is a finding, not a crash
        report.checks.append(Check("warehouse", writer.target, Status.ERROR, f"warehouse query failed: {exc}"))
    report.checks.append(dbt_check(options.run_results or default_run_results(), now))
    report.checks.append(full_history_tests_check(default_full_history_stamp(), now))
    if options.iris:
        report.checks.append(iris_check(options.heartbeat or default_heartbeat(), now))
    report.checks += quarantine_checks(now, iris_dirs=options.iris_dirs, warn_items=options.quarantine_warn)
    if options.iris:
        try:
            report.checks += kept_checks(writer)
        except Exception as exc:
            report.checks.append(Check("iris kept", "all", Status.WARN, f"kept-message query failed: {exc}"))
    report.checks += disk_checks(watched_dirs(writer.target), options.disk_warn_pct, options.disk_error_pct)
    return report
