"""Settlement-calendar helpers for the sample data (Europe/London days, 46/48/50 periods).

Period 1 of settlement date D starts at local midnight of D (23:00Z the day before in BST); every
period lasts 30 elapsed minutes, so a day has 46 periods on the spring clock-change Sunday and 50 on
the autumn one. All conversions go through ``zoneinfo`` -- never "period 1 = 00:00Z".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
PERIOD = timedelta(minutes=30)


@lru_cache(maxsize=4096)
def day_start_utc(day: date) -> datetime:
    """UTC instant of local midnight starting settlement date ``day``."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """[start, end) of settlement date ``day`` in UTC."""
    return day_start_utc(day), day_start_utc(day + timedelta(days=1))


@lru_cache(maxsize=4096)
def periods_in_day(day: date) -> int:
    start, end = day_bounds_utc(day)
    return int((end - start) / PERIOD)


def period_start_utc(day: date, period: int) -> datetime:
    """UTC start of (settlement date, period); raises if the period does not exist that day."""
    n = periods_in_day(day)
    if not 1 <= period <= n:
        raise ValueError(f"settlement period {period} does not exist on {day} ({n} periods)")
    return day_start_utc(day) + (period - 1) * PERIOD


def settlement_of(instant: datetime) -> tuple[date, int]:
    """(settlement date, period) containing a UTC instant (period start inclusive)."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: pass an aware UTC datetime")
    day = instant.astimezone(LONDON).date()
    period = int((instant - day_start_utc(day)) / PERIOD) + 1
    return day, period


def fmt_ts(instant: datetime) -> str:
    """The API's timestamp format: ``2026-05-06T03:00:00Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> datetime:
    """Parse an API timestamp (``…Z`` or with offset) to an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
