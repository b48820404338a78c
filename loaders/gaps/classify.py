"""Which kind of gap a missing settlement period is.

* ``known_source`` — listed in ``seeds/known_source_gaps.csv``: Elexon has no data, documented with a
  reason. Left out of the completeness tests and of health's problems.
* ``source`` — not listed yet, but Elexon's own ``/data-status/{dataset}`` says it holds no data points
  for the period: a new source gap. Health warns and prints the seed row to add.
* ``ingestion`` — Elexon says it holds data for the period and we have none: we failed to load it.
  An error in health (and so an alert) while it is in the recent window; ``gbpower backfill`` fixes it.
* ``unconfirmed`` — Elexon publishes no data status for the dataset (or the route could not be
  reached): treated as an ingestion gap, since only a confirmed or documented source gap may be
  excused.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path

from loaders import config
from loaders.gaps.data_status import DATA_STATUS_DATASETS, SourceCounts

log = logging.getLogger(__name__)

Period = tuple[date, int]


class GapKind(str, Enum):
    KNOWN_SOURCE = "known_source"
    SOURCE = "source"
    INGESTION = "ingestion"
    UNCONFIRMED = "unconfirmed"


def known_source_gaps_path() -> Path:
    return config.project_root() / "seeds" / "known_source_gaps.csv"


def load_known_source_gaps(path: Path | None = None) -> dict[str, set[Period]]:
    """Dataset -> the (settlement date, period) pairs the seed documents as source gaps."""
    out: dict[str, set[Period]] = {}
    with (path or known_source_gaps_path()).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            day = date.fromisoformat(row["settlement_date"])
            first, last = int(row["settlement_period_from"]), int(row["settlement_period_to"])
            if not 1 <= first <= last <= 50:
                raise ValueError(f"known_source_gaps.csv: bad period range {first}..{last} for {row['dataset']}")
            out.setdefault(row["dataset"].strip().upper(), set()).update((day, p) for p in range(first, last + 1))
    return out


@dataclass
class Classified:
    dataset: str
    by_kind: dict[GapKind, list[Period]] = field(default_factory=dict)

    def periods(self, kind: GapKind) -> list[Period]:
        return self.by_kind.get(kind, [])

    @property
    def unexplained(self) -> list[Period]:
        """Gaps we must fill: ingestion gaps and those Elexon's status could not confirm."""
        return sorted(self.periods(GapKind.INGESTION) + self.periods(GapKind.UNCONFIRMED))

    def seed_rows(self, reason: str = "Elexon's /data-status lists no data points") -> list[str]:
        """CSV lines for ``seeds/known_source_gaps.csv`` covering the newly found source gaps."""
        rows: list[str] = []
        run: list[Period] = []
        for day, period in [*sorted(self.periods(GapKind.SOURCE)), (date.max, 0)]:
            if run and (day != run[-1][0] or period != run[-1][1] + 1):
                rows.append(f"{self.dataset},{run[0][0]},{run[0][1]},{run[-1][1]},{reason},/data-status/{self.dataset}")
                run = []
            run.append((day, period))
        return rows


def classify(
    dataset: str,
    missing: Iterable[Period],
    known: dict[str, set[Period]],
    status: SourceCounts | None,
) -> Classified:
    """Sort ``missing`` periods of ``dataset`` into the four kinds (see the module docstring)."""
    result = Classified(dataset)
    documented = known.get(dataset, set())
    for day, period in sorted(missing):
        if (day, period) in documented:
            kind = GapKind.KNOWN_SOURCE
        else:
            has = status.has_data(day, period) if status is not None else None
            kind = GapKind.UNCONFIRMED if has is None else GapKind.INGESTION if has else GapKind.SOURCE
        result.by_kind.setdefault(kind, []).append((day, period))
    return result


def source_status(
    dataset: str, missing: list[Period], fetch: Callable[[str, date, date], SourceCounts] | None
) -> SourceCounts | None:
    """Elexon's status for the days of ``missing`` (None when there is no route, or it failed)."""
    if not missing or fetch is None or dataset not in DATA_STATUS_DATASETS:
        return None
    first, last = min(d for d, _ in missing), max(d for d, _ in missing)
    try:
        return fetch(dataset, first, last)
    except Exception as exc:  # an unreachable API leaves the gaps unconfirmed, not the check broken
        log.warning("could not ask Elexon's /data-status/%s (%s): gaps stay unconfirmed", dataset, exc)
        return None
