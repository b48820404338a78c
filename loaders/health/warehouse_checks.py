"""Warehouse checks, on DuckDB and BigQuery alike (portable SQL through ``Writer.query``):

* freshness: per raw table (API and IRIS separately) the newest data time, the last load time and
  their age against the dataset's expected cadence;
* gaps: settlement periods missing in the last N days, for datasets that have a row for every
  period (API ∪ IRIS; expected periods from the Europe/London calendar: 46/48/50 a day);
* duplicates: rows repeated on the dataset's natural key + version within the last N days.

Each check is one UNION ALL query over all tables, so BigQuery runs three jobs, not hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from loaders.health.model import Check, Status, human_age, iso, utc
from loaders.registry import DATASETS, RAW_SCHEMA, Dataset
from loaders.settlement import day_bounds, periods_in_day, settlement_period_of
from loaders.warehouse.base import Writer

# Preferred "newest data" column: when the data was published/measured/starts.
TIME_COLUMNS = ("publishTime", "measurementTime", "startTime", "timeFrom", "settlementDate")

# Expected cadence: the newest IRIS data older than this is a warning (3x: an error).
IRIS_MAX_AGE_DEFAULT = timedelta(hours=2)
IRIS_MAX_AGE = {
    "FREQ": timedelta(minutes=15),
    "FUELINST": timedelta(minutes=30),
    "REMIT": timedelta(hours=24),
    "DISBSAD": timedelta(hours=24),
    "WINDFOR": timedelta(hours=6),
}
# API tables are refreshed by the daily backfill: yesterday's data by 02:00 + a margin.
API_MAX_AGE_DEFAULT = timedelta(days=2, hours=12)
ERROR_FACTOR = 3

# Datasets with a row for every settlement period (gap-checked); others are event-driven.
EVERY_PERIOD = ("DISEBSP", "FUELHH", "INDO", "ITSDO", "MID", "NETBSAD")
# Periods that ended less than this long ago are not expected yet.
PUBLICATION_LAG = timedelta(hours=1)


def time_column(d: Dataset) -> str | None:
    names = set(d.column_names)
    return next((c for c in TIME_COLUMNS if c in names), None)


def _naive(ts: datetime) -> datetime:
    return utc(ts).replace(tzinfo=None)  # type: ignore[union-attr]


@dataclass(frozen=True)
class TableRef:
    dataset: Dataset
    table: str
    source: str  # 'api' | 'iris'

    @property
    def subject(self) -> str:
        return f"{self.dataset.name}/{self.source}"


def table_refs(datasets: list[Dataset]) -> list[TableRef]:
    out = []
    for d in datasets:
        out.append(TableRef(d, d.raw_table, "api"))
        if d.iris:
            out.append(TableRef(d, d.iris_table, "iris"))
    return out


def qualified(writer: Writer, table: str) -> str:
    """The table's name in the writer's dialect (BigQuery: `project.dataset.table`)."""
    table_id = getattr(writer, "table_id", None)
    if callable(table_id):
        return f"`{table_id(table)}`"
    return f"{RAW_SCHEMA}.{table}"


def freshness(
    writer: Writer, refs: list[TableRef], now: datetime, max_age: dict[str, timedelta] | None = None
) -> list[Check]:
    overrides = max_age or {}
    parts = []
    for i, ref in enumerate(refs):
        col = time_column(ref.dataset)
        newest = f"CAST(max({col}) AS TIMESTAMP)" if col else "CAST(NULL AS TIMESTAMP)"
        parts.append(
            f"SELECT {i} AS i, {newest} AS newest, max(_ingested_at) AS loaded, count(*) AS n "
            f"FROM {qualified(writer, ref.table)}"
        )
    rows = {int(r[0]): r[1:] for r in writer.query(" UNION ALL ".join(parts))}
    checks = []
    for i, ref in enumerate(refs):
        newest, loaded, n = rows[i]
        newest, loaded = utc(newest), utc(loaded)
        details: dict[str, Any] = {
            "table": ref.table,
            "source": ref.source,
            "rows": int(n),
            "time_column": time_column(ref.dataset),
            "newest_data_utc": iso(newest),
            "last_loaded_utc": iso(loaded),
        }
        if not n:
            checks.append(Check("freshness", ref.subject, Status.INFO, "no data loaded", details))
            continue
        default = (
            IRIS_MAX_AGE.get(ref.dataset.name, IRIS_MAX_AGE_DEFAULT) if ref.source == "iris" else API_MAX_AGE_DEFAULT
        )
        limit = overrides.get(ref.subject, overrides.get(ref.dataset.name, default))
        # forecasts and notifications run ahead of now: judge those by when they were loaded
        reference = newest if newest and newest <= now else loaded
        age = now - reference if reference else None
        details.update(
            age_seconds=int(age.total_seconds()) if age else None, max_age_seconds=int(limit.total_seconds())
        )
        if age is None or age > limit * ERROR_FACTOR:
            status = Status.ERROR
        elif age > limit:
            status = Status.WARN
        else:
            status = Status.OK
        msg = (
            f"newest data {iso(newest)} ({human_age(now - newest if newest else None)}), "
            f"last load {human_age(now - loaded if loaded else None)}, {int(n)} rows; "
            f"expected within {human_age(limit).removesuffix(' ago')}"
        )
        checks.append(Check("freshness", ref.subject, status, msg, details))
    return checks


def expected_periods(days: int, now: datetime, lag: timedelta = PUBLICATION_LAG) -> dict[date, set[int]]:
    """Settlement periods of the last ``days`` settlement days (incl. today) ended by ``now - lag``."""
    today = settlement_period_of(now)[0]
    cutoff = now - lag
    out: dict[date, set[int]] = {}
    for k in range(days, -1, -1):
        d = today - timedelta(days=k)
        start, _ = day_bounds(d)
        periods = {p for p in range(1, periods_in_day(d) + 1) if start + timedelta(minutes=30 * p) <= cutoff}
        if periods:
            out[d] = periods
    return out


def gaps(writer: Writer, refs: list[TableRef], loaded: set[str], days: int, now: datetime) -> list[Check]:
    """Missing periods for the every-period datasets that have any data (``loaded`` subjects)."""
    expected = expected_periods(days, now)
    if not expected:
        return []
    first = min(expected)
    targets = [r for r in refs if r.dataset.name in EVERY_PERIOD and r.subject in loaded]
    if not targets:
        return []
    parts, params = [], []
    for r in targets:
        parts.append(
            f"SELECT DISTINCT '{r.dataset.name}' AS ds, settlementDate AS d, settlementPeriod AS p "
            f"FROM {qualified(writer, r.table)} WHERE settlementDate >= ?"
        )
        params.append(first)
    present: dict[str, set[tuple[date, int]]] = {}
    for ds, d, p in writer.query(" UNION ALL ".join(parts), params):
        present.setdefault(ds, set()).add((d if isinstance(d, date) else date.fromisoformat(str(d)), int(p)))
    checks = []
    for name in dict.fromkeys(r.dataset.name for r in targets):
        have = present.get(name, set())
        missing = sorted((d, p) for d, ps in expected.items() for p in ps if (d, p) not in have)
        total = sum(len(ps) for ps in expected.values())
        details = {
            "days": days,
            "expected_periods": total,
            "missing_count": len(missing),
            "missing": [f"{d.isoformat()}/{p}" for d, p in missing[:200]],
        }
        if missing:
            shown = ", ".join(details["missing"][:8]) + (" …" if len(missing) > 8 else "")
            checks.append(
                Check(
                    "gaps",
                    name,
                    Status.WARN,
                    f"{len(missing)} of {total} settlement periods missing since {first}: {shown}",
                    details,
                )
            )
        else:
            checks.append(
                Check("gaps", name, Status.OK, f"all {total} settlement periods since {first} present", details)
            )
    return checks


def duplicates(writer: Writer, refs: list[TableRef], loaded: set[str], days: int, now: datetime) -> list[Check]:
    targets = [r for r in refs if r.subject in loaded and r.dataset.dedupe_key]
    if not targets:
        return []
    since = now - timedelta(days=days + 1)
    parts, params = [], []
    for i, r in enumerate(targets):
        d = r.dataset
        where, p = "", []
        if d.window_column:
            where = f" WHERE {d.window_column} >= ?"
            p = [since.date() if d.column(d.window_column).type == "date" else _naive(since)]
        keys = ", ".join(d.dedupe_key)
        parts.append(
            f"SELECT {i} AS i, count(*) AS n FROM (SELECT {keys} FROM {qualified(writer, r.table)}"
            f"{where} GROUP BY {keys} HAVING count(*) > 1) AS dup_{i}"
        )
        params += p
    counts = {int(i): int(n) for i, n in writer.query(" UNION ALL ".join(parts), params)}
    checks = []
    for i, r in enumerate(targets):
        n = counts.get(i, 0)
        details = {"table": r.table, "key": list(r.dataset.dedupe_key), "duplicate_keys": n, "days": days}
        if n:
            checks.append(
                Check(
                    "duplicates",
                    r.subject,
                    Status.ERROR,
                    f"{n} keys ({', '.join(r.dataset.dedupe_key)}) appear more than once",
                    details,
                )
            )
        else:
            checks.append(Check("duplicates", r.subject, Status.OK, "no duplicate keys", details))
    return checks


def warehouse_checks(
    writer: Writer,
    *,
    datasets: list[str] | None,
    days: int,
    now: datetime,
    max_age: dict[str, timedelta] | None = None,
    require: set[str] | None = None,
) -> list[Check]:
    chosen = [DATASETS[n] for n in datasets] if datasets else list(DATASETS.values())
    refs = table_refs(chosen)
    fresh = freshness(writer, refs, now, max_age)
    loaded = {c.subject for c in fresh if c.details.get("rows")}
    for name in sorted(require or ()):  # a required dataset with no data in any table is an error
        if not any(s.split("/")[0] == name for s in loaded):
            fresh.append(Check("freshness", name, Status.ERROR, "required dataset has no data", {}))
    return [*fresh, *gaps(writer, refs, loaded, days, now), *duplicates(writer, refs, loaded, days, now)]
