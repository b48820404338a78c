"""Settlement-time rules: a settlement day runs from Europe/London midnight to the next, 46, 48 or 50
half-hour periods long; period 1 starts at local midnight (23:00Z the day before in BST). Every
conversion goes through ``zoneinfo`` — never "period 1 = 00:00Z". All results are aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
PERIOD = timedelta(minutes=30)


@lru_cache(maxsize=8192)
def day_start_utc(day: date) -> datetime:
    """UTC instant of the local midnight that starts settlement date ``day``."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of settlement date ``day`` in UTC (23, 24 or 25 hours)."""
    return day_start_utc(day), day_start_utc(day + timedelta(days=1))


@lru_cache(maxsize=8192)
def periods_in_day(day: date) -> int:
    start, end = day_bounds(day)
    return int((end - start) / PERIOD)


def period_start(day: date, period: int) -> datetime:
    """UTC start of settlement period ``period`` (1-based) of ``day``; raises if it does not exist."""
    n = periods_in_day(day)
    if not 1 <= period <= n:
        raise ValueError(f"settlement period {period} does not exist on {day} ({n} periods)")
    return day_start_utc(day) + (period - 1) * PERIOD


def settlement_period_of(instant: datetime) -> tuple[date, int]:
    """(settlement date, period) containing an aware instant (period start inclusive)."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: pass an aware UTC datetime")
    day = instant.astimezone(LONDON).date()
    return day, int((instant - day_start_utc(day)) / PERIOD) + 1


def days(date_from: date, date_to: date) -> list[date]:
    """Every date from ``date_from`` to ``date_to`` inclusive."""
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def fmt_ts(instant: datetime) -> str:
    """The API's timestamp format: ``2026-05-06T03:00:00Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> datetime:
    """Parse an API timestamp (``…Z`` or with offset; naive = UTC) to an aware UTC datetime."""
    ts = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)
