"""``Window``: a half-open UTC time window of one dataset — the unit the API loader plans
(:mod:`loaders.api.windows`), fetches, parses (:mod:`loaders.parse`) and records as done (the
warehouse writers). Settlement-day rules live in :mod:`loaders.settlement`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

_DAY_ISH = timedelta(hours=23)


@dataclass(frozen=True)
class Window:
    """A half-open UTC time window [start, end) of one dataset; for settlement-date datasets also the
    settlement date it stands for (rows are then matched on the date, not on a timestamp)."""

    start: datetime
    end: datetime
    settlement_date: date | None = None

    def label(self) -> str:
        if self.settlement_date and self.end - self.start >= _DAY_ISH:
            return self.settlement_date.isoformat()
        return f"{self.start:%Y-%m-%dT%H:%MZ}..{self.end:%Y-%m-%dT%H:%MZ}"
