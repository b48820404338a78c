"""Start-up gap check: IRIS keeps messages for 3 days, so a long outage loses data that only the
API can give back. If the newest committed IRIS message is older than a threshold, warn naming the
gap and (``--backfill-gaps``) fill it from the Insights API with the backfill logic."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from loaders.registry import DATASETS, RAW_SCHEMA
from loaders.warehouse.base import MESSAGES_TABLE, Writer

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
IRIS_RETENTION = timedelta(days=3)


@dataclass(frozen=True)
class Gap:
    last_commit: datetime
    now: datetime
    datasets: tuple[str, ...]

    @property
    def length(self) -> timedelta:
        return self.now - self.last_commit

    def settlement_dates(self) -> tuple[date, date]:
        """Settlement dates (Europe/London) from the last commit's to today's."""
        return self.last_commit.astimezone(LONDON).date(), self.now.astimezone(LONDON).date()

    def describe(self) -> str:
        hours = self.length.total_seconds() / 3600
        lost = " (longer than IRIS's 3-day retention: data is missing)" if self.length > IRIS_RETENTION else ""
        return (
            f"newest IRIS data was committed {self.last_commit:%Y-%m-%dT%H:%MZ}, {hours:.1f} h ago{lost}; "
            f"gap {self.last_commit:%Y-%m-%dT%H:%MZ}..{self.now:%Y-%m-%dT%H:%MZ}"
        )


def _messages_table(writer: Writer) -> str:
    """DuckDB: schema-qualified; BigQuery: the writer's query() sets the raw dataset as default."""
    return f"{RAW_SCHEMA}.{MESSAGES_TABLE}" if writer.target == "duckdb" else MESSAGES_TABLE


def find_gap(writer: Writer, threshold: timedelta, now: datetime | None = None) -> Gap | None:
    """The gap since the newest committed IRIS message, if longer than ``threshold``."""
    now = now or datetime.now(UTC)
    table = _messages_table(writer)
    rows = writer.query(f"SELECT max(committed_at) FROM {table}")
    last = rows[0][0] if rows else None
    if last is None:
        log.info("no IRIS data committed yet: nothing to compare against")
        return None
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if now - last <= threshold:
        return None
    seen = writer.query(f"SELECT DISTINCT dataset FROM {table}")
    names = tuple(sorted(n for (n,) in seen if n in DATASETS and DATASETS[n].iris))
    return Gap(last, now, names)


def check_gap(writer: Writer, threshold: timedelta, backfill: bool, target: str | None = None) -> Gap | None:
    """Warn about a gap and, if asked, fill it from the API (``loaders.backfill.run_backfill``)."""
    gap = find_gap(writer, threshold)
    if gap is None:
        return None
    log.warning("IRIS gap: %s; datasets %s", gap.describe(), ", ".join(gap.datasets) or "-")
    if not backfill:
        log.warning("run with --backfill-gaps (or gbpower backfill) to fill it from the API")
        return gap
    if not gap.datasets:
        return gap
    from loaders.backfill import run_backfill  # lazy: the API client is not needed otherwise

    start, end = gap.settlement_dates()
    log.info("backfilling %s for settlement dates %s..%s from the API", ", ".join(gap.datasets), start, end)
    summary = run_backfill(list(gap.datasets), start, end, target=target, writer=writer, progress=False)
    for line in summary.lines():
        log.info("gap backfill: %s", line)
    if not summary.ok:
        log.error("gap backfill had failures: %s", "; ".join(summary.failures[:5]))
    return gap
