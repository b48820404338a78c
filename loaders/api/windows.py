"""Split a date range into request windows and build each window's request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from loaders.registry import Dataset, TimeParams
from loaders.settlement import PERIOD, day_bounds, days, period_start, periods_in_day
from loaders.time_window import Window

MIN_WINDOW = timedelta(minutes=15)


def split_windows(dataset: Dataset, date_from: date, date_to: date) -> list[Window]:
    """Windows covering the settlement days ``date_from``..``date_to`` (inclusive).

    One window per settlement day (local midnight to local midnight, in UTC: 23, 24 or 25 hours),
    cut into equal parts where the day is longer than the dataset's maximum window. Snapshot
    datasets have a single window (``None`` = the whole table)."""
    if dataset.time_params is TimeParams.SNAPSHOT:
        return []
    if dataset.time_params is TimeParams.SETTLEMENT_PERIOD_PATH:
        return period_windows(date_from, date_to)
    windows: list[Window] = []
    for d in days(date_from, date_to):
        start, end = day_bounds(d)
        parts = 1
        if dataset.max_window and dataset.time_params is not TimeParams.SETTLEMENT_DATE_PATH:
            while (end - start) / parts > dataset.max_window:
                parts += 1
        step = (end - start) / parts
        for i in range(parts):
            windows.append(Window(start + i * step, start + (i + 1) * step, d))
    return windows


def period_windows(date_from: date, date_to: date) -> list[Window]:
    """One window per settlement period of each day, from the settlement calendar: 46, 48 or 50."""
    return [
        Window(period_start(d, p), period_start(d, p) + PERIOD, d)
        for d in days(date_from, date_to)
        for p in range(1, periods_in_day(d) + 1)
    ]


def window_period(window: Window) -> int:
    """The settlement period a per-period window stands for (1-based)."""
    assert window.settlement_date is not None
    return int((window.start - day_bounds(window.settlement_date)[0]) / PERIOD) + 1


def halve(window: Window) -> list[Window]:
    """Two halves of a time window (for a 400 'range too large'); [] when already minimal."""
    if window.end - window.start <= MIN_WINDOW:
        return []
    mid = window.start + (window.end - window.start) / 2
    return [
        Window(window.start, mid, window.settlement_date),
        Window(mid, window.end, window.settlement_date),
    ]


def _z(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Request:
    path: str
    params: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        q = "&".join(f"{k}={v}" for k, v in self.params)
        return f"{self.path}?{q}" if q else self.path


def build_request(dataset: Dataset, window: Window | None, variant: str | None = None) -> Request:
    """The route and query parameters for one window (and route variant) of a dataset."""
    tp = dataset.time_params
    fmt: tuple[tuple[str, str], ...] = ()
    if not dataset.route.endswith("/stream") and not dataset.route.startswith("/reference"):
        fmt = (("format", "json"),)
    if tp is TimeParams.SNAPSHOT or window is None:
        return Request(dataset.route, fmt)
    sd = window.settlement_date
    if tp is TimeParams.SETTLEMENT_DATE_PATH:
        assert sd is not None
        return Request(dataset.route.format(settlementDate=sd.isoformat(), variant=variant or ""), fmt)
    if tp is TimeParams.SETTLEMENT_PERIOD_PATH:
        assert sd is not None
        path = dataset.route.format(
            settlementDate=sd.isoformat(), settlementPeriod=window_period(window), variant=variant or ""
        )
        return Request(path, fmt)
    if tp is TimeParams.SETTLEMENT_RANGE:
        assert sd is not None
        day = f"{sd.isoformat()}T00:00Z"
        day_params = (("from", day), ("to", day), ("settlementPeriodFrom", "1"), ("settlementPeriodTo", "50"))
        return Request(dataset.route, day_params + fmt)
    if tp is TimeParams.SETTLEMENT_DATE_RANGE:
        assert sd is not None
        day_params = (
            ("settlementDateFrom", sd.isoformat()),
            ("settlementPeriodFrom", "1"),
            ("settlementDateTo", sd.isoformat()),
            ("settlementPeriodTo", "50"),
        )
        return Request(dataset.route, day_params + fmt)
    names = {
        TimeParams.FROM_TO: ("from", "to"),
        TimeParams.PUBLISH: ("publishDateTimeFrom", "publishDateTimeTo"),
        TimeParams.MEASUREMENT: ("measurementDateTimeFrom", "measurementDateTimeTo"),
        TimeParams.SUBMISSION: ("submissionDateTimeFrom", "submissionDateTimeTo"),
    }[tp]
    params = ((names[0], _z(window.start)), (names[1], _z(window.end)))
    return Request(dataset.route, params + fmt)
