"""Elexon's own count of ingested data points per settlement period: ``/data-status/{DATASET}``.

The OpenAPI document (``docs/reference/insights_openapi.json``) has these routes for twelve datasets
(``DATA_STATUS_DATASETS``); each takes ``settlementDateFrom``/``settlementDateTo`` (dates, both
optional, inclusive) and ``format`` and answers ``{"data": [{"settlementDate", "settlementPeriod",
"dataPointCount"}], "metadata": …}``. A period Elexon lists with a count above zero has data at
source; a period it lists with zero, or does not list inside the requested days, has none.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from loaders.api.client import ApiClient
from loaders.api.windows import Request

# The `/data-status/{dataset}` routes of the OpenAPI document (REMIT's counts are by publish day and
# take a `source` parameter; it is not an every-period dataset, so it is not used for gaps).
DATA_STATUS_DATASETS = frozenset(
    {"BOALF", "BOAV", "BOD", "DISBSAD", "DISEBSP", "DISPTAV", "EBOCF", "FREQ", "ISPSTACK", "NETBSAD", "PN", "REMIT"}
)


@dataclass(frozen=True)
class SourceCounts:
    """Elexon's data-point count per (settlement date, period) over the days asked for."""

    dataset: str
    first: date
    last: date
    counts: dict[tuple[date, int], int]

    def has_data(self, day: date, period: int) -> bool | None:
        """True/False when the answer covers ``day``; None when it does not (unknown)."""
        if not self.first <= day <= self.last:
            return None
        return self.counts.get((day, period), 0) > 0


def data_status_request(dataset: str, first: date, last: date) -> Request:
    if dataset not in DATA_STATUS_DATASETS:
        raise ValueError(f"Elexon publishes no data status for {dataset}")
    params = (
        ("settlementDateFrom", first.isoformat()),
        ("settlementDateTo", last.isoformat()),
        ("format", "json"),
    )
    return Request(f"/data-status/{dataset}", params)


def parse_data_status(dataset: str, first: date, last: date, payload: object) -> SourceCounts:
    rows = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise ValueError(f"/data-status/{dataset}: expected an object with a 'data' array")
    counts: dict[tuple[date, int], int] = {}
    for row in rows:
        key = (date.fromisoformat(str(row["settlementDate"])[:10]), int(row["settlementPeriod"]))
        counts[key] = counts.get(key, 0) + int(row.get("dataPointCount") or 0)
    return SourceCounts(dataset, first, last, counts)


def fetch_data_status(client: ApiClient, dataset: str, first: date, last: date) -> SourceCounts:
    """Elexon's counts for ``first``..``last`` (through the client's rate limit and retries)."""
    with tempfile.TemporaryDirectory(prefix="gbpower-data-status-") as tmp:
        dest = Path(tmp) / "status.json"
        client.download(data_status_request(dataset, first, last), dest)
        payload = json.loads(dest.read_bytes() or b"{}")
    return parse_data_status(dataset, first, last, payload)
