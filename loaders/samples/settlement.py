"""Settlement-calendar helpers for the sample data: the project's one implementation,
:mod:`loaders.settlement`, under the names the sample generators use."""

from loaders.settlement import (
    LONDON,
    PERIOD,
    day_bounds_utc,
    day_start_utc,
    fmt_ts,
    parse_ts,
    period_start_utc,
    periods_in_day,
    settlement_of,
)

__all__ = [
    "LONDON",
    "PERIOD",
    "day_bounds_utc",
    "day_start_utc",
    "fmt_ts",
    "parse_ts",
    "period_start_utc",
    "periods_in_day",
    "settlement_of",
]
