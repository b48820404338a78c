"""``gbpower health``: is the pipeline healthy? Warehouse freshness, gaps and duplicates, the last dbt
run, the IRIS heartbeat — one report, exit code 0 healthy, 1 warnings, 2 errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loaders.health.file_checks import dbt_check, default_heartbeat, default_run_results, iris_check
from loaders.health.model import Check, Report, Status
from loaders.health.warehouse_checks import warehouse_checks
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
        )
    except Exception as exc:  # an unreachable warehouse is a finding, not a crash
        report.checks.append(Check("warehouse", writer.target, Status.ERROR, f"warehouse query failed: {exc}"))
    report.checks.append(dbt_check(options.run_results or default_run_results(), now))
    if options.iris:
        report.checks.append(iris_check(options.heartbeat or default_heartbeat(), now))
    return report
