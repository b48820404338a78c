"""Settlement-time rules: a settlement day runs from Europe/London midnight to the next, 46, 48 or 50
half-hour periods long; period 1 starts at local midnight. All results are UTC datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
PERIOD = timedelta(minutes=30)


def day_bounds(d: date) -> tuple[datetime, datetime]:
    """UTC start and end of settlement day ``d`` (local midnight to next local midnight)."""
    start = datetime.combine(d, time(0), tzinfo=LONDON).astimezone(UTC)
    end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    return start, end


def periods_in_day(d: date) -> int:
    start, end = day_bounds(d)
    return int((end - start) / PERIOD)


def period_start(d: date, period: int) -> datetime:
    """UTC start of settlement period ``period`` (1-based) of day ``d``."""
    n = periods_in_day(d)
    if not 1 <= period <= n:
        raise ValueError(f"settlement period {period} does not exist on {d} ({n} periods)")
    return day_bounds(d)[0] + (period - 1) * PERIOD


def settlement_period_of(ts: datetime) -> tuple[date, int]:
    """(settlement date, period) containing the UTC instant ``ts``."""
    local_date = ts.astimezone(LONDON).date()
    start, _ = day_bounds(local_date)
    return local_date, int((ts.astimezone(UTC) - start) / PERIOD) + 1


def days(date_from: date, date_to: date) -> list[date]:
    """Every date from ``date_from`` to ``date_to`` inclusive."""
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
