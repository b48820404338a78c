"""Warehouse checks, on DuckDB and BigQuery alike (portable SQL through ``Writer.query``):

* freshness: per raw table (API and IRIS separately) the newest data time, the last load time and
  their age against the dataset's expected cadence;
* gaps: settlement periods missing in the last N days, for datasets that have a row for every
  period (API ∪ IRIS; expected periods from the Europe/London calendar: 46/48/50 a day), and for
  the other datasets Elexon counts at ``/data-status/{dataset}`` the periods it has data points for
  and the warehouse has none of;
* duplicates: rows repeated on the dataset's natural key + version within the last N days.

Each check is one UNION ALL query over all tables, so BigQuery runs three jobs, not hundreds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from loaders.datasets.spec import PUBLICATION_LAG, Freshness, stale_after
from loaders.gaps.classify import GapKind, Period, classify, load_known_source_gaps, source_status
from loaders.gaps.data_status import DATA_STATUS_DATASETS, SourceCounts
from loaders.health.model import Check, Status, human_age, iso, utc
from loaders.registry import DATASETS, RAW_SCHEMA, Dataset
from loaders.settlement import day_bounds, periods_in_day, settlement_period_of
from loaders.warehouse.base import Writer

# Asks Elexon's /data-status/{dataset} for (dataset, first day, last day); see loaders.gaps.
StatusFetcher = Callable[[str, date, date], SourceCounts]

# Every limit here comes from the dataset's entry (loaders/datasets/): its policy's freshness per
# source, whether it has a row for every settlement period, and its "newest data" column. dbt's
# source freshness and completeness tests are generated from the same entries.

# Datasets with a row for every settlement period (gap-checked); others are event-driven.
EVERY_PERIOD = tuple(name for name, d in DATASETS.items() if d.policy.every_period)
# Datasets Elexon counts per settlement period at /data-status/{dataset} that need not have a row in
# every period (acceptances, bids, notifications, frequency readings, …): their gaps are the periods
# Elexon has data points for and the warehouse has none of. REMIT's counts are by publish day.
SOURCE_COUNTED = tuple(
    name for name in sorted(DATA_STATUS_DATASETS) if name in DATASETS and name not in EVERY_PERIOD and name != "REMIT"
)


def time_column(d: Dataset) -> str | None:
    return d.freshness_column


def limits(ref: TableRef, overrides: dict[str, timedelta]) -> Freshness:
    """The dataset's freshness for this source, or ``stale_after(override)`` from ``--max-age``."""
    override = overrides.get(ref.subject, overrides.get(ref.dataset.name))
    return stale_after(override) if override else ref.dataset.freshness(ref.source)


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
        newest_sql = f"CAST(max({col}) AS TIMESTAMP)" if col else "CAST(NULL AS TIMESTAMP)"
        parts.append(
            f"SELECT {i} AS i, {newest_sql} AS newest, max(_ingested_at) AS loaded, count(*) AS n "
            f"FROM {qualified(writer, ref.table)}"
        )
    rows = {int(r[0]): r[1:] for r in writer.query(" UNION ALL ".join(parts))}
    checks = []
    for i, ref in enumerate(refs):
        newest_raw, loaded_raw, n = rows[i]
        newest, loaded = utc(newest_raw), utc(loaded_raw)
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
        limit = limits(ref, overrides)
        # forecasts and notifications run ahead of now: judge those by when they were loaded
        reference = newest if newest and newest <= now else loaded
        age = now - reference if reference else None
        details.update(
            age_seconds=int(age.total_seconds()) if age else None,
            max_age_seconds=int(limit.warn_after.total_seconds()),
            error_age_seconds=int(limit.error_after.total_seconds()),
        )
        if age is None or age > limit.error_after:
            status = Status.ERROR
        elif age > limit.warn_after:
            status = Status.WARN
        else:
            status = Status.OK
        msg = (
            f"newest data {iso(newest)} ({human_age(now - newest if newest else None)}), "
            f"last load {human_age(now - loaded if loaded else None)}, {int(n)} rows; "
            f"expected within {human_age(limit.warn_after).removesuffix(' ago')}"
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


def gaps(
    writer: Writer,
    refs: list[TableRef],
    loaded: set[str],
    days: int,
    now: datetime,
    known: dict[str, set[Period]] | None = None,
    fetch_status: StatusFetcher | None = None,
) -> list[Check]:
    """Missing periods for the every-period datasets that have any data (``loaded`` subjects), each
    classified (``loaders.gaps.classify``): an ingestion gap — Elexon has the data, or cannot say it
    has not — is an error; a source gap Elexon's ``/data-status`` confirms is a warning naming the
    seed row to add; a source gap documented in ``seeds/known_source_gaps.csv`` is left out."""
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
    known = load_known_source_gaps() if known is None else known
    checks = []
    for name in dict.fromkeys(r.dataset.name for r in targets):
        have = present.get(name, set())
        missing = sorted((d, p) for d, ps in expected.items() for p in ps if (d, p) not in have)
        total = sum(len(ps) for ps in expected.values())
        kinds = classify(name, missing, known, source_status(name, missing, fetch_status))
        unexplained, at_source = kinds.unexplained, kinds.periods(GapKind.SOURCE)
        documented = kinds.periods(GapKind.KNOWN_SOURCE)
        details: dict[str, Any] = {
            "days": days,
            "expected_periods": total,
            "missing_count": len(unexplained) + len(at_source),
            "missing": _labels([*unexplained, *at_source]),
            "ingestion": _labels(kinds.periods(GapKind.INGESTION)),
            "unconfirmed": _labels(kinds.periods(GapKind.UNCONFIRMED)),
            "source": _labels(at_source),
            "known_source": _labels(documented),
            "seed_rows": kinds.seed_rows(),
        }
        note = f" ({len(documented)} documented source gap(s) left out)" if documented else ""
        if unexplained:
            shown = _shown(unexplained)
            confirmed = (
                "Elexon has them" if not kinds.periods(GapKind.UNCONFIRMED) else "not known to be missing at source"
            )
            msg = (
                f"ingestion gap: {len(unexplained)} of {total} settlement periods since {first} not loaded "
                f"({confirmed}): {shown}; reload with `gbpower backfill -d {name} --from {unexplained[0][0]} "
                f"--to {unexplained[-1][0]} --force`{note}"
            )
            checks.append(Check("gaps", name, Status.ERROR, msg, details))
        elif at_source:
            msg = (
                f"source gap: {len(at_source)} settlement periods since {first} have no data at Elexon "
                f"(/data-status/{name}): {_shown(at_source)}; document them in seeds/known_source_gaps.csv: "
                + " | ".join(details["seed_rows"][:3])
            )
            checks.append(Check("gaps", name, Status.WARN, msg, details))
        else:
            msg = f"all {total} settlement periods since {first} present{note}"
            checks.append(Check("gaps", name, Status.OK, msg, details))
    return checks


def _period_sql(d: Dataset, table: str) -> tuple[str, bool]:
    """SELECT of the (settlement date, period) keys of a table's rows, counted as the replay and
    Elexon's /data-status count them (the row's settlementPeriod, or settlementPeriodFrom; else its
    time column's UTC half hour, mapped to a settlement period in Python). True when by half hour."""
    names = {c.name for c in d.columns}
    period = next((c for c in ("settlementPeriod", "settlementPeriodFrom") if c in names), None)
    if "settlementDate" in names and period:
        return f"SELECT DISTINCT settlementDate, {period} FROM {table} WHERE settlementDate >= ?", False
    col = d.window_column
    return (
        f"SELECT DISTINCT CAST({col} AS DATE), EXTRACT(HOUR FROM {col}) * 2 + "
        f"CASE WHEN EXTRACT(MINUTE FROM {col}) >= 30 THEN 1 ELSE 0 END FROM {table} WHERE {col} >= ?"
    ), True


def source_counted_gaps(
    writer: Writer,
    refs: list[TableRef],
    loaded: set[str],
    days: int,
    now: datetime,
    fetch_status: StatusFetcher | None,
) -> list[Check]:
    """For the SOURCE_COUNTED datasets that have any data: the settlement periods of the last ``days``
    days that Elexon's ``/data-status`` counts data points for and no table (API or IRIS) has a row
    of — an ingestion gap (error). Without the API (``--no-source-check``, or unreachable) they are
    not checked (info)."""
    expected = expected_periods(days, now)
    names = [n for n in SOURCE_COUNTED if any(r.dataset.name == n and r.subject in loaded for r in refs)]
    if not expected or not names:
        return []
    first, last = min(expected), max(expected)
    checks = []
    for name in names:
        if fetch_status is None:
            checks.append(Check("gaps", name, Status.INFO, "not checked: needs Elexon's /data-status (API)", {}))
            continue
        try:
            counts = fetch_status(name, first, last)
        except Exception as exc:  # an unreachable API leaves this check undone, not broken
            msg = f"not checked: could not ask Elexon's /data-status/{name} ({exc})"
            checks.append(Check("gaps", name, Status.INFO, msg, {}))
            continue
        at_source = sorted((d, p) for d, ps in expected.items() for p in ps if counts.counts.get((d, p), 0) > 0)
        have: set[Period] = set()
        for r in refs:
            if r.dataset.name != name or r.subject not in loaded:
                continue
            sql, by_half_hour = _period_sql(r.dataset, qualified(writer, r.table))
            since: Any = first if not by_half_hour else day_bounds(first)[0].replace(tzinfo=None)
            for d, p in writer.query(sql, [since]):
                day = d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
                if by_half_hour:
                    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=30 * int(p))
                    have.add(settlement_period_of(start))
                else:
                    have.add((day, int(p)))
        missing = [k for k in at_source if k not in have]
        details: dict[str, Any] = {
            "days": days,
            "periods_with_data_at_source": len(at_source),
            "missing_count": len(missing),
            "missing": _labels(missing),
            "ingestion": _labels(missing),
        }
        if missing:
            msg = (
                f"ingestion gap: {len(missing)} of {len(at_source)} settlement periods since {first} that "
                f"Elexon has data for (/data-status/{name}) not loaded: {_shown(missing)}; reload with "
                f"`gbpower backfill -d {name} --from {missing[0][0]} --to {missing[-1][0]} --force`"
            )
            checks.append(Check("gaps", name, Status.ERROR, msg, details))
        else:
            msg = f"all {len(at_source)} settlement periods since {first} that Elexon has data for are loaded"
            checks.append(Check("gaps", name, Status.OK, msg, details))
    return checks


def _labels(periods: list[Period]) -> list[str]:
    return [f"{d.isoformat()}/{p}" for d, p in periods[:200]]


def _shown(periods: list[Period]) -> str:
    return ", ".join(_labels(periods)[:8]) + (" …" if len(periods) > 8 else "")


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
    known_source_gaps: dict[str, set[Period]] | None = None,
    fetch_status: StatusFetcher | None = None,
) -> list[Check]:
    chosen = [DATASETS[n] for n in datasets] if datasets else list(DATASETS.values())
    refs = table_refs(chosen)
    fresh = freshness(writer, refs, now, max_age)
    loaded = {c.subject for c in fresh if c.details.get("rows")}
    for name in sorted(require or ()):  # a required dataset with no data in any table is an error
        if not any(s.split("/")[0] == name for s in loaded):
            fresh.append(Check("freshness", name, Status.ERROR, "required dataset has no data", {}))
    found = gaps(writer, refs, loaded, days, now, known_source_gaps, fetch_status)
    found += source_counted_gaps(writer, refs, loaded, days, now, fetch_status)
    return [*fresh, *found, *duplicates(writer, refs, loaded, days, now)]
