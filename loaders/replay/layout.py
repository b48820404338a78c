"""Write API-shaped rows into the replay-store layout the replay server reads (tests use this for
small hand-picked stores; the bundled sample store is built by ``loaders.samples.store``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from loaders.registry import Dataset
from loaders.samples.store import SNAPSHOT, sort_key, store_path, window_day, write_ndjson


def write_rows(root: Path, dataset: Dataset, rows: Iterable[dict], variant: str | None = None) -> dict[str, int]:
    """Group rows by settlement day, sort by the window column and write one NDJSON file per day
    (replacing any existing file). Returns rows written per day."""
    by_day: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        day = SNAPSHOT if dataset.window_column is None else window_day(dataset.name, row).isoformat()
        by_day[day].append(row)
    return {
        day: write_ndjson(
            store_path(root, dataset.name, day, variant), sorted(day_rows, key=sort_key(dataset.name)), True
        )
        for day, day_rows in by_day.items()
    }
