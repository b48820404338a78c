"""Write API-shaped rows into the replay-store layout the replay server reads."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from loaders.registry import Dataset
from loaders.settlement import LONDON


def settlement_day_of(dataset: Dataset, row: dict) -> date | None:
    """The settlement day whose file holds ``row`` (by the dataset's window column)."""
    col = dataset.window_column
    if col is None:
        return None
    value = str(row[col])
    if dataset.column(col).type == "date":
        return date.fromisoformat(value[:10])
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(LONDON).date()


def write_rows(root: Path, dataset: Dataset, rows: Iterable[dict], variant: str | None = None) -> dict[str, int]:
    """Group rows by settlement day, sort by the window column and write one NDJSON file per day
    (replacing any existing file). Returns rows written per day."""
    by_day: dict[date | None, list[dict]] = defaultdict(list)
    for row in rows:
        by_day[settlement_day_of(dataset, row)].append(row)
    counts = {}
    base = root / dataset.name / (variant or "")
    base.mkdir(parents=True, exist_ok=True)
    for day, day_rows in by_day.items():
        if dataset.window_column:
            col = dataset.window_column
            day_rows.sort(
                key=lambda r: (
                    datetime.fromisoformat(str(r[col]).replace("Z", "+00:00")).timestamp()
                    if dataset.column(col).type == "timestamp"
                    else str(r[col])
                )
            )
        name = "snapshot" if day is None else day.isoformat()
        with (base / f"{name}.ndjson").open("w", encoding="utf-8") as fh:
            for row in day_rows:
                fh.write(json.dumps(row, separators=(",", ":")) + "\n")
        counts[name] = len(day_rows)
    return counts
