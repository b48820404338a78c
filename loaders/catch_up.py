"""API catch-up: keep every registry dataset current from the Insights API, in one scheduled job.

IRIS messages expire after 3 days and several datasets are API-only, so the catch-up
(``gbpower backfill --catch-up``) looks at the last ``days`` settlement days (today included) of
every dataset whose policy names an API upkeep, and fetches exactly the windows that need it:

* **missing** — never loaded (an outage, a failed window, a new dataset);
* **incomplete** — loaded before the window's data could be final, i.e. before the window ended
  plus ``settle`` (the time Elexon takes to publish the last of it). A window loaded while its day
  was still in progress is therefore fetched again on every run until one load happens after
  ``end + settle``; the current day's windows keep the API tables current;
* **revision** — datasets with ``api_revisions`` upkeep: windows within ``policy.revision_days`` of
  today, fetched again when their last load is older than ``revision_every`` (Elexon revises these
  for a few days; the old daily 02:00 ``--force`` job did the same, once a day);
* **snapshot** — ``api_snapshot`` datasets (reference lists), when older than ``revision_every``.

Everything else — finished windows loaded after they were final — is skipped, so an hourly run
costs a few requests per dataset. Windows that have not started yet are left for later runs. The
fetching is the backfill's (bounded concurrency, rate limit, retries, atomic replace per window).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from loaders.api.windows import split_windows
from loaders.backfill import Backfill, Job
from loaders.registry import DATASETS, Dataset, TimeParams
from loaders.settlement import day_bounds, settlement_period_of
from loaders.warehouse import Writer
from loaders.warehouse.base import STATE_TABLE

log = logging.getLogger(__name__)

API_UPKEEP = ("api_catchup", "api_revisions", "api_snapshot")
DAYS = 7
SETTLE = timedelta(hours=2)
REVISION_EVERY = timedelta(hours=20)


@dataclass(frozen=True)
class CatchUpRules:
    days: int = DAYS  # settlement days looked at, before today (today is always included)
    settle: timedelta = SETTLE
    revision_every: timedelta = REVISION_EVERY


@dataclass
class CatchUpPlan:
    jobs: list[Job] = field(default_factory=list)
    reasons: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def lines(self) -> list[str]:
        out = []
        for name in sorted(set(self.reasons) | set(self.skipped)):
            why = ", ".join(f"{r} {n}" for r, n in sorted(self.reasons[name].items())) or "nothing due"
            out.append(f"{name:<9} due: {why}; up to date: {self.skipped.get(name, 0)}")
        return out


def catch_up_datasets(names: Iterable[str] | None = None) -> list[Dataset]:
    """The datasets the catch-up keeps current (policy upkeep names an API way), in registry order."""
    chosen = [DATASETS[n] for n in names] if names else list(DATASETS.values())
    return [d for d in chosen if set(d.policy.upkeep) & set(API_UPKEEP)]


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def window_loads(writer: Writer, dataset: Dataset) -> dict[tuple[datetime, datetime], datetime]:
    """(start, end) -> when each completed window of ``dataset`` was last loaded."""
    from loaders.health.warehouse_checks import qualified

    rows = writer.query(
        f"SELECT window_start, window_end, max(loaded_at) FROM {qualified(writer, STATE_TABLE)} "
        "WHERE dataset = ? GROUP BY window_start, window_end",
        [dataset.name],
    )
    return {(_utc(s), _utc(e)): _utc(at) for s, e, at in rows if at is not None}


def snapshot_loaded_at(writer: Writer, dataset: Dataset) -> datetime | None:
    from loaders.health.warehouse_checks import qualified

    rows = writer.query(f"SELECT max(_ingested_at) FROM {qualified(writer, dataset.raw_table)}")
    return _utc(rows[0][0]) if rows and rows[0][0] is not None else None


def plan(writer: Writer, datasets: list[Dataset], now: datetime, rules: CatchUpRules = CatchUpRules()) -> CatchUpPlan:
    now = _utc(now)
    today = settlement_period_of(now)[0]
    out = CatchUpPlan()
    for d in datasets:
        upkeep = set(d.policy.upkeep)
        windows = split_windows(d, today - timedelta(days=rules.days), today)
        if not windows:  # a snapshot dataset: the whole table
            if "api_snapshot" not in upkeep and "api_catchup" not in upkeep:
                continue
            at = snapshot_loaded_at(writer, d)
            if at is None or now - at >= rules.revision_every:
                out.jobs.append(Job(d, None))
                out.reasons[d.name]["snapshot"] += 1
            else:
                out.skipped[d.name] += 1
            continue
        loads = window_loads(writer, d)
        revise_from: date | None = None
        if "api_revisions" in upkeep and d.policy.revision_days > 0:
            revise_from = today - timedelta(days=d.policy.revision_days)
        for w in windows:
            loaded_at = loads.get((w.start, w.end))
            if (
                loaded_at is None
                and w.settlement_date is not None
                and d.time_params is TimeParams.SETTLEMENT_PERIOD_PATH
            ):
                # a backfill loads a per-period dataset's whole day as one window (Job.parts)
                loaded_at = loads.get(day_bounds(w.settlement_date))
            reason = window_due(w, loaded_at, now, rules, revise_from)
            if reason == "future":
                continue
            if reason is None:
                out.skipped[d.name] += 1
            else:
                out.jobs.append(Job(d, w))
                out.reasons[d.name][reason] += 1
    return out


def window_due(
    window, loaded_at: datetime | None, now: datetime, rules: CatchUpRules, revise_from: date | None
) -> str | None:
    """Why ``window`` must be fetched now (``missing``, ``incomplete``, ``revision``), ``future``
    for a window that has not started, or None when its loaded data are final."""
    if window.start >= now:
        return "future"
    if loaded_at is None:
        return "missing"
    if loaded_at < window.end + rules.settle:
        return "incomplete"
    day = window.settlement_date or window.start.date()
    if revise_from is not None and day >= revise_from and now - loaded_at >= rules.revision_every:
        return "revision"
    return None


class CatchUp(Backfill):
    """A backfill whose windows are chosen by :func:`plan` instead of a date range."""

    def __init__(self, *args, rules: CatchUpRules = CatchUpRules(), now: datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.now = now
        self.last_plan: CatchUpPlan | None = None

    def jobs(self, datasets, date_from, date_to, force):
        p = plan(self.writer, list(datasets), self.now or datetime.now(UTC), self.rules)
        self.last_plan = p
        for line in p.lines():
            log.info("catch-up %s", line)
        return p.jobs, {}


def run_catch_up(
    names: list[str] | None,
    *,
    rules: CatchUpRules = CatchUpRules(),
    target: str | None = None,
    concurrency: int = 2,
    rate_per_s: float = 4.0,
    base_url: str | None = None,
    writer: Writer | None = None,
    progress: bool | None = None,
    now: datetime | None = None,
):
    """Run the catch-up; returns the backfill summary (its ``lines()`` include skipped counts)."""
    from loaders import config
    from loaders.api.client import ApiClient
    from loaders.backfill import WRITER_MEMORY
    from loaders.warehouse import open_writer, resolve_target

    datasets = catch_up_datasets(names)
    client = ApiClient(base_url or config.api_base_url(), rate_per_s=rate_per_s)
    duckdb_opts = {"memory_limit": WRITER_MEMORY, "threads": 1} if resolve_target(target) == "duckdb" else {}
    own = writer is None
    w = writer or open_writer(target, **duckdb_opts)
    try:
        runner = CatchUp(w, client, concurrency=concurrency, progress=progress, rules=rules, now=now)
        today = settlement_period_of(_utc(now or datetime.now(UTC)))[0]
        summary = runner.run(datasets, today - timedelta(days=rules.days), today)
        if runner.last_plan is not None:
            for name, n in runner.last_plan.skipped.items():
                summary.datasets[name].windows_skipped += n
        return summary
    finally:
        if own:
            w.close()
