"""``gbpower backfill``: land a date range of historic API data, window by window.

Each window is fetched (with bounded concurrency, rate limit and retries), parsed and validated
into a Parquet batch, and then committed by the writer in one transaction together with its
"completed" record. So a re-run skips finished windows (unless ``force``), a killed run resumes
where it stopped, and re-loading a window replaces exactly that window: nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

import duckdb

from loaders import config
from loaders.api.client import ApiClient, ApiError, NotFound, WindowTooLarge
from loaders.api.windows import Request, build_request, halve, split_windows, window_period
from loaders.parse import ParseOutOfMemory, ParseResult, PayloadError, parse_records_file
from loaders.quarantine import Quarantine
from loaders.registry import Dataset, Envelope, TimeParams, get_dataset
from loaders.scratch import clean_stale_dirs
from loaders.settlement import day_bounds
from loaders.time_window import Window
from loaders.warehouse import Writer, WriterError, open_writer, resolve_target
from loaders.warehouse.base import TableBatch

T = TypeVar("T")

log = logging.getLogger(__name__)

PAYLOAD_ATTEMPTS = 3  # a body that does not parse (e.g. cut off) is fetched again this many times
PARSE_MEMORY = "80MB"  # DuckDB memory for parsing one window (spills to disk beyond it)
# DuckDB memory for committing one window. The insert streams from Parquet, but a commit can start
# DuckDB's automatic checkpoint, which must rewrite the row groups the window replace deleted from: with
# 48 MB, a --force re-land of one day into a 30-day production warehouse (1.4 GB) failed there for
# PN/BOD ("failed to pin block") and invalidated the connection for the rest of the run; 128 MB
# re-landed it at 302 MB peak RSS (bench-scale's warehouse, 2026-12-06).
WRITER_MEMORY = "128MB"
# Consecutive window commits share one DuckDB connection for up to this long (opening and closing
# the file, which checkpoints, costs more than a small window's commit); then it is given up between
# two commits, or after this long with nothing to commit, so the IRIS service gets the lock.
COMMIT_LEASE_S = 5.0
# A writer that commits several windows in one transaction (DuckDB) gets a dataset's consecutive
# windows as one job of up to RUN_WINDOWS: each window is still its own request, but bodies whose
# sum stays under RUN_PARSE_BYTES are parsed in one pass and committed in one transaction. A small
# dataset's window cost ~30 ms of fixed parse and commit work whatever its size: with ~90 datasets,
# that was about a third of a production day's landing. A big body (a BOD day) is parsed and
# committed on its own, as before.
RUN_WINDOWS = 7
RUN_PARSE_BYTES = 4 << 20


@dataclass
class DatasetSummary:
    rows: int = 0
    windows_done: int = 0
    windows_skipped: int = 0
    windows_failed: int = 0
    rejected: int = 0
    boundary_dropped: int = 0
    duplicates: int = 0
    # per-period datasets (ISPSTACK): requests answered 404, "no such period", e.g. "2024-03-31 P47 offer"
    periods_not_found: list[str] = field(default_factory=list)


@dataclass
class BackfillSummary:
    datasets: dict[str, DatasetSummary] = field(default_factory=lambda: defaultdict(DatasetSummary))
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.datasets.values())

    @property
    def ok(self) -> bool:
        return not self.failures

    def lines(self) -> list[str]:
        out = []
        for name, s in sorted(self.datasets.items()):
            out.append(
                f"{name:<9} rows={s.rows:>10,}  windows done={s.windows_done} skipped={s.windows_skipped}"
                f" failed={s.windows_failed}  rejected rows={s.rejected}"
                f"  boundary/out-of-window dropped={s.boundary_dropped}"
            )
            if s.periods_not_found:
                out.append(f"{name:<9} no such period (HTTP 404): {', '.join(s.periods_not_found)}")
        rate = self.rows / self.seconds if self.seconds else 0.0
        out.append(f"total     rows={self.rows:,} in {self.seconds:.1f}s ({rate:,.0f} rows/s)")
        out.extend(f"FAILED: {f}" for f in self.failures)
        return out


@dataclass
class Job:
    dataset: Dataset
    window: Window | None  # None: snapshot (whole table), or a run (below)
    # A per-period dataset's day (ISPSTACK): the day's period windows, each its own request; they are
    # parsed in one pass and committed as one window, the day (a period each cost ~70 ms to parse and
    # commit alone: half of a production day's landing). Empty: the window is one request.
    parts: tuple[Window, ...] = ()
    # A run: consecutive windows of the dataset prepared by one worker (see RUN_WINDOWS).
    run: tuple[Window, ...] = ()

    def labels(self) -> list[str]:
        """What a failure of the whole job is reported against: each window of a run, else the job's."""
        if self.run:
            return [w.label() for w in self.run]
        return [self.window.label() if self.window else "snapshot"]


@dataclass
class Piece:
    """One transaction's worth of a prepared job: the batch and the windows it replaces (none: the
    whole table of a snapshot dataset)."""

    windows: tuple[Window, ...]
    batch: TableBatch
    results: list[ParseResult]


@dataclass
class Prepared:
    """What a worker hands the committer for one job: pieces to commit in order, and the windows of
    a run that failed on their own (label, error) while the rest of the run was prepared."""

    tmp: Path
    pieces: list[Piece]
    failed: list[tuple[str, BaseException]] = field(default_factory=list)


def _parse_weight(dataset: Dataset) -> int:
    """How many bytes of RUN_PARSE_BYTES a byte of the dataset's body counts for: an object envelope
    is one JSON document, held whole while it is parsed (the parse gives it 4x its size); the rows
    of a bare array stream through."""
    return 1 if dataset.envelope is Envelope.ARRAY else 4


def _span_label(windows: tuple[Window, ...]) -> str:
    first, last = windows[0].label(), windows[-1].label()
    return first if first == last else f"{first}..{last}"


class WindowFailed(RuntimeError):
    pass


# what fails one job (or one window of a run) without stopping the backfill
_JOB_ERRORS = (ApiError, WindowFailed, WriterError, PayloadError, ParseOutOfMemory, duckdb.Error, OSError)


EMPTY_PAYLOAD = b'{"data":[],"metadata":{}}'


class Backfill:
    def __init__(
        self,
        writer: Writer,
        client: ApiClient,
        *,
        concurrency: int = 4,
        quarantine: Quarantine | None = None,
        work_dir: Path | None = None,
        progress: bool | None = None,
    ) -> None:
        self.writer = writer
        self.client = client
        self.concurrency = max(1, concurrency)
        self.quarantine = quarantine or Quarantine()
        self.work_root = work_dir or config.work_dir()
        self.progress = sys.stderr.isatty() if progress is None else progress
        # Parsing is CPU-bound and takes PARSE_MEMORY: one at a time, overlapping the downloads of
        # later windows and the commit of the previous one (that keeps peak memory flat).
        self._parse_slots = threading.Semaphore(1)
        self._not_found_lock = threading.Lock()
        self.not_found: dict[str, list[str]] = defaultdict(list)  # dataset -> periods answered 404

    def _record_not_found(self, dataset: Dataset, window: Window, variant: str | None) -> None:
        label = f"{window.settlement_date} P{window_period(window)}" + (f" {variant}" if variant else "")
        log.info("%s %s: HTTP 404, no such period at source; loaded as empty", dataset.name, label)
        with self._not_found_lock:
            self.not_found[dataset.name].append(label)

    # -- one window ------------------------------------------------------------------------------
    def _usable_download(
        self,
        dataset: Dataset,
        request: Request,
        raw_path: Path,
        download: Callable[[], object],
        use: Callable[[], T],
        *,
        keep: bool = False,
    ) -> T:
        """``download()`` the request to ``raw_path`` and return ``use()`` of it. A response ``use``
        rejects as unusable (PayloadError) is fetched again, then quarantined and the window fails.
        Whatever ``download`` raises (404, window too large, ...) is the caller's to handle. The body
        is deleted afterwards, unless ``keep`` and it was usable."""
        usable = False
        try:
            for attempt in range(1, PAYLOAD_ATTEMPTS + 1):
                download()
                try:
                    result = use()
                    usable = True
                    return result
                except PayloadError as exc:
                    if attempt == PAYLOAD_ATTEMPTS:
                        self.quarantine.reject_file("api", dataset.name, request.describe(), raw_path, str(exc))
                        raise WindowFailed(f"{request.describe()}: unusable response: {exc}") from exc
                    log.info("%s: unusable response (%s); fetching again", request.describe(), exc)
        finally:
            if not (keep and usable):
                raw_path.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _fetch_part(
        self, dataset: Dataset, window: Window | None, variant: str | None, tmp: Path, run_id: str
    ) -> list[ParseResult]:
        request = build_request(dataset, window, variant)
        tag = uuid.uuid4().hex[:8]
        raw_path = tmp / f"{dataset.name}_{tag}.json"

        def download() -> None:
            try:
                self.client.download(request, raw_path)
            except NotFound:
                # a per-period route (ISPSTACK) answers 404 for a period it has no stack for: record it
                # and load the period as empty (its window is then done, and a re-load replaces it)
                if window is None or dataset.time_params is not TimeParams.SETTLEMENT_PERIOD_PATH:
                    raise
                self._record_not_found(dataset, window, variant)
                raw_path.write_bytes(EMPTY_PAYLOAD)

        def parse() -> list[ParseResult]:
            with self._parse_slots:
                out = tmp / f"{dataset.name}_{tag}.parquet"
                return [self._parse(dataset, raw_path, out, run_id, request.describe(), window, variant)]

        try:
            return self._usable_download(dataset, request, raw_path, download, parse)
        except WindowTooLarge:
            column = dataset.window_column
            per_period = dataset.time_params is TimeParams.SETTLEMENT_PERIOD_PATH
            if window is None or not column or dataset.column(column).type == "date" or per_period:
                raise
            halves = halve(window)
            if not halves:
                raise
            log.info("%s: range too large, halving %s", dataset.name, window.label())
            return [r for h in halves for r in self._fetch_part(dataset, h, variant, tmp, run_id)]

    def _fetch_periods(self, job: Job, variant: str | None, tmp: Path, run_id: str) -> ParseResult:
        """Every period of ``job``'s day (one request each; a 404 is "no such period", recorded and
        loaded as empty), parsed in one pass against the day's window. A period's body that is not a
        ``{"data": [...]}`` object is fetched again, then quarantined and the day fails (nothing of it
        is committed). The bodies stay on disk until the parse: checking one holds only that one in
        memory (the day's ~96 bodies used to be gathered as Python objects, all held at once)."""
        dataset, day = job.dataset, job.window
        assert day is not None
        # the day's requests run side by side, as separate windows would (the rate limit still holds)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="period") as pool:
            bodies = list(pool.map(lambda part: self._period_body(dataset, part, variant, tmp), job.parts))
        try:
            with self._parse_slots:
                return self._parse(
                    dataset,
                    bodies,
                    tmp / f"{dataset.name}_{variant or 'all'}_{uuid.uuid4().hex[:8]}.parquet",
                    run_id,
                    f"{dataset.name} {day.label()}" + (f" {variant}" if variant else "") + " (every period)",
                    day,
                    variant,
                )
        finally:
            for body in bodies:
                body.unlink(missing_ok=True)

    def _period_body(self, dataset: Dataset, part: Window, variant: str | None, tmp: Path) -> Path:
        """One period's body on disk, checked to be a ``{"data": [...]}`` object (a 404 is an empty one)."""
        request = build_request(dataset, part, variant)
        raw_path = tmp / f"{dataset.name}_{uuid.uuid4().hex[:8]}.json"

        def checked() -> Path:
            try:
                body = json.loads(raw_path.read_bytes())
            except ValueError as exc:
                raise PayloadError(f"not JSON ({exc})") from exc
            if isinstance(body, dict) and isinstance(body.get("data"), list):
                return raw_path
            raise PayloadError("expected a JSON object with a 'data' array")

        try:
            return self._usable_download(
                dataset, request, raw_path, lambda: self.client.download(request, raw_path), checked, keep=True
            )
        except NotFound:
            self._record_not_found(dataset, part, variant)
            raw_path.write_bytes(EMPTY_PAYLOAD)
            return raw_path

    def _parse(
        self,
        dataset: Dataset,
        raw_path: Path | list[Path],
        out: Path,
        run_id: str,
        input_name: str,
        window: Window | tuple[Window, ...] | None,
        variant: str | None,
    ) -> ParseResult:
        """Parse with PARSE_MEMORY; a payload that needs more gets up to two retries with double memory
        (an out-of-memory parse is a resource limit, never a reason to quarantine the payload)."""
        memory_mb = int(PARSE_MEMORY.removesuffix("MB"))
        for attempt in range(3):
            try:
                return parse_records_file(
                    dataset,
                    raw_path,
                    out_parquet=out,
                    source="api",
                    batch_id=run_id,
                    quarantine=self.quarantine,
                    input_name=input_name,
                    window=window,
                    variant=variant,
                    memory_limit=f"{memory_mb}MB",
                )
            except ParseOutOfMemory:
                if attempt == 2:
                    raise
                memory_mb *= 2
                log.info("%s: parse needs more memory; retrying with %d MB", input_name, memory_mb)
        raise AssertionError("unreachable")

    def _prepare(self, job: Job, run_id: str) -> Prepared:
        """Fetch and parse one job (runs in a worker thread)."""
        dataset = job.dataset
        tmp = self.work_root / f"backfill-{os.getpid()}" / uuid.uuid4().hex[:12]
        tmp.mkdir(parents=True, exist_ok=True)
        if job.run:
            return self._prepare_run(job, tmp, run_id)
        if job.parts:
            results = [self._fetch_periods(job, variant, tmp, run_id) for variant in dataset.variants or (None,)]
        else:
            results = self._fetch_window(dataset, job.window, tmp, run_id)
        windows = (job.window,) if job.window is not None else ()
        return Prepared(tmp, [self._piece(dataset, windows, results, tmp)])

    def _fetch_window(self, dataset: Dataset, window: Window | None, tmp: Path, run_id: str) -> list[ParseResult]:
        """One window (None: the whole table), every variant, through the one-window path."""
        return [r for v in dataset.variants or (None,) for r in self._fetch_part(dataset, window, v, tmp, run_id)]

    @staticmethod
    def _piece(dataset: Dataset, windows: tuple[Window, ...], results: list[ParseResult], tmp: Path) -> Piece:
        """The results' Parquet files as one batch (merged when there are several: variants, halves)."""
        parquets = [r.parquet for r in results if r.parquet is not None]
        if len(parquets) == 1:
            merged = parquets[0]
        else:
            merged = tmp / f"{dataset.name}_merged_{uuid.uuid4().hex[:8]}.parquet"
            files = ", ".join("'" + str(p) + "'" for p in parquets)
            con = duckdb.connect(config={"memory_limit": "96MB", "threads": 1})
            try:
                con.execute(f"COPY (SELECT * FROM read_parquet([{files}])) TO '{merged}' (FORMAT parquet)")
            finally:
                con.close()
        batch = TableBatch(dataset, dataset.raw_table, merged, sum(r.rows for r in results))
        return Piece(windows, batch, results)

    def _prepare_run(self, job: Job, tmp: Path, run_id: str) -> Prepared:
        """A run of windows: each window's bodies (one per variant) are downloaded in turn; consecutive
        windows whose bodies add up to at most RUN_PARSE_BYTES are parsed in one pass and make one piece
        (one transaction). A window whose request fails fails alone; the rest of the run still loads."""
        dataset = job.dataset
        prepared = Prepared(tmp, [])
        group: list[tuple[Window, dict[str | None, Path]]] = []
        size = 0
        for window in job.run:
            try:
                bodies = self._download_bodies(dataset, window, tmp)
            except WindowTooLarge:  # this window on its own, halved as a one-window job would be
                self._prepare_alone(dataset, window, tmp, run_id, prepared)
                continue
            except _JOB_ERRORS as exc:
                prepared.failed.append((window.label(), exc))
                continue
            n = sum(p.stat().st_size for p in bodies.values()) * _parse_weight(dataset)
            if group and size + n > RUN_PARSE_BYTES:
                self._parse_group(dataset, group, tmp, run_id, prepared)
                group, size = [], 0
            group.append((window, bodies))
            size += n
        if group:
            self._parse_group(dataset, group, tmp, run_id, prepared)
        return prepared

    def _download_bodies(self, dataset: Dataset, window: Window, tmp: Path) -> dict[str | None, Path]:
        bodies: dict[str | None, Path] = {}
        try:
            for variant in dataset.variants or (None,):
                request = build_request(dataset, window, variant)
                raw_path = tmp / f"{dataset.name}_{uuid.uuid4().hex[:8]}.json"
                bodies[variant] = raw_path
                self.client.download(request, raw_path)
        except BaseException:
            for p in bodies.values():
                p.unlink(missing_ok=True)
            raise
        return bodies

    def _prepare_alone(self, dataset: Dataset, window: Window, tmp: Path, run_id: str, prepared: Prepared) -> None:
        """One window of a run through the one-window path: fetched afresh (a body that does not parse
        is fetched again, then quarantined), halved if the API says the range is too large."""
        try:
            results = self._fetch_window(dataset, window, tmp, run_id)
        except _JOB_ERRORS as exc:
            prepared.failed.append((window.label(), exc))
            return
        prepared.pieces.append(self._piece(dataset, (window,), results, tmp))

    def _parse_group(
        self,
        dataset: Dataset,
        group: list[tuple[Window, dict[str | None, Path]]],
        tmp: Path,
        run_id: str,
        prepared: Prepared,
    ) -> None:
        """Parse a group of a run's windows in one pass per variant. A body that does not parse sends
        each window of the group through the one-window path, so only the bad one fails."""
        windows = tuple(w for w, _ in group)
        label = f"{dataset.name} {_span_label(windows)}"
        try:
            results = []
            for variant in dataset.variants or (None,):
                with self._parse_slots:
                    results.append(
                        self._parse(
                            dataset,
                            [bodies[variant] for _, bodies in group],
                            tmp / f"{dataset.name}_{uuid.uuid4().hex[:8]}.parquet",
                            run_id,
                            label + (f" {variant}" if variant else ""),
                            windows,
                            variant,
                        )
                    )
        except PayloadError as exc:
            log.info("%s: a body did not parse (%s); loading each window on its own", label, exc)
            for window in windows:
                self._prepare_alone(dataset, window, tmp, run_id, prepared)
            return
        finally:
            for _, bodies in group:
                for p in bodies.values():
                    p.unlink(missing_ok=True)
        prepared.pieces.append(self._piece(dataset, windows, results, tmp))

    # -- the run ---------------------------------------------------------------------------------
    def jobs(
        self, datasets: Iterable[Dataset], date_from: date, date_to: date, force: bool
    ) -> tuple[list[Job], dict[str, int]]:
        jobs: list[Job] = []
        skipped: dict[str, int] = defaultdict(int)
        # one connection for every dataset's lookup (opening the file per dataset cost ~65 ms each,
        # 6 s of planning for the whole catalogue)
        with self.writer.held_connection(max_hold_s=COMMIT_LEASE_S):
            for d in datasets:
                windows = split_windows(d, date_from, date_to)
                if not windows:
                    jobs.append(Job(d, None))
                    continue
                done = set() if force else self.writer.completed_windows(d)
                if d.time_params is TimeParams.SETTLEMENT_PERIOD_PATH:
                    jobs.extend(self._day_jobs(d, windows, done, skipped))
                    continue
                todo = [w for w in windows if (w.start, w.end) not in done]
                if len(todo) < len(windows):
                    skipped[d.name] += len(windows) - len(todo)
                step = RUN_WINDOWS if self.writer.supports_window_runs else 1
                for i in range(0, len(todo), step):
                    run = tuple(todo[i : i + step])
                    jobs.append(Job(d, run[0]) if len(run) == 1 else Job(d, None, run=run))
        return jobs, skipped

    @staticmethod
    def _day_jobs(d: Dataset, windows: list[Window], done: set[tuple], skipped: dict[str, int]) -> Iterable[Job]:
        """A per-period dataset's windows as one job per settlement day (see ``Job.parts``). A day is
        done when its day window is, or every one of its periods (as loaded one by one, e.g. by the
        catch-up); a day partly loaded is loaded whole again."""
        by_day: dict[date, list[Window]] = defaultdict(list)
        for w in windows:
            assert w.settlement_date is not None
            by_day[w.settlement_date].append(w)
        for day, parts in sorted(by_day.items()):
            start, end = day_bounds(day)
            if (start, end) in done or all((w.start, w.end) in done for w in parts):
                skipped[d.name] += 1
            else:
                yield Job(d, Window(start, end, day), tuple(parts))

    def run(self, datasets: list[Dataset], date_from: date, date_to: date, *, force: bool = False) -> BackfillSummary:
        started = time.monotonic()
        summary = BackfillSummary()
        self.writer.init()
        clean_stale_dirs(self.work_root, "backfill")
        jobs, skipped = self.jobs(datasets, date_from, date_to, force)
        for name, n in skipped.items():
            summary.datasets[name].windows_skipped += n
            log.info("%s: %d window(s) already loaded; skipping (use --force to reload)", name, n)
        run_id = f"api-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        bar = _progress_bar(len(jobs)) if self.progress else None
        try:
            # one connection for consecutive commits, given up every few seconds (DuckDB; else a no-op)
            with (
                self.writer.held_connection(max_hold_s=COMMIT_LEASE_S),
                ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="fetch") as pool,
            ):
                pending: dict[Future, Job] = {}
                queue = list(reversed(jobs))
                while queue or pending:
                    while queue and len(pending) < self.concurrency * 2:
                        job = queue.pop()
                        pending[pool.submit(self._prepare, job, run_id)] = job
                    finished, _ = wait(pending, timeout=COMMIT_LEASE_S, return_when=FIRST_COMPLETED)
                    if not finished:  # nothing to commit for a while: let other writers (IRIS) in
                        self.writer.release_held(only_if_older=True)
                        continue
                    for fut in finished:
                        job = pending.pop(fut)
                        self._commit(fut, job, run_id, summary)
                        if bar is not None:
                            bar.update(1)
        finally:
            if bar is not None:
                bar.close()
            shutil.rmtree(self.work_root / f"backfill-{os.getpid()}", ignore_errors=True)
        for name, labels in self.not_found.items():
            summary.datasets[name].periods_not_found.extend(sorted(labels))
        summary.seconds = time.monotonic() - started
        return summary

    @staticmethod
    def _fail(summary: BackfillSummary, name: str, label: str, exc: BaseException) -> None:
        summary.datasets[name].windows_failed += 1
        summary.failures.append(f"{name} {label}: {exc}")
        log.error("%s %s failed: %s", name, label, exc)

    def _commit(self, fut: Future, job: Job, run_id: str, summary: BackfillSummary) -> None:
        name = job.dataset.name
        try:
            prepared: Prepared = fut.result()
        except _JOB_ERRORS as exc:  # a run's windows fail together only for what is not one window's fault
            for label in job.labels():
                self._fail(summary, name, label, exc)
            return
        try:
            for label, error in prepared.failed:
                self._fail(summary, name, label, error)
            for piece in prepared.pieces:
                self._commit_piece(piece, run_id, summary)
        finally:
            shutil.rmtree(prepared.tmp, ignore_errors=True)

    def _commit_piece(self, piece: Piece, run_id: str, summary: BackfillSummary) -> None:
        name = piece.batch.dataset.name
        label = _span_label(piece.windows) if piece.windows else "snapshot"
        s = summary.datasets[name]
        try:
            t0 = time.monotonic()
            if len(piece.windows) > 1:
                rows = self.writer.replace_windows(piece.batch, piece.windows, run_id)
            else:
                rows = self.writer.replace_window(piece.batch, piece.windows[0] if piece.windows else None, run_id)
            commit_s = time.monotonic() - t0
        except _JOB_ERRORS as exc:
            for window in piece.windows or (None,):
                self._fail(summary, name, window.label() if window else label, exc)
            return
        results = piece.results
        s.rows += rows
        s.windows_done += max(1, len(piece.windows))
        s.rejected += sum(r.rejected for r in results)
        s.boundary_dropped += sum(r.outside_window for r in results)
        s.duplicates += sum(r.duplicates for r in results)
        log.info(
            "%s %s: %d rows committed in %.2fs (rejected %d, dropped outside window %d, duplicates %d)",
            name,
            label,
            rows,
            commit_s,
            s.rejected,
            sum(r.outside_window for r in results),
            sum(r.duplicates for r in results),
        )


def _progress_bar(total: int):  # pragma: no cover - terminal only
    from tqdm import tqdm

    return tqdm(total=total, unit="window", desc="backfill", file=sys.stderr)


def run_backfill(
    datasets: list[str],
    date_from: date,
    date_to: date,
    *,
    target: str | None = None,
    force: bool = False,
    concurrency: int = 4,
    rate_per_s: float = 8.0,
    base_url: str | None = None,
    writer: Writer | None = None,
    progress: bool | None = None,
) -> BackfillSummary:
    """Programmatic entry point (also used by ``gbpower iris --backfill-gaps``)."""
    resolved = [get_dataset(d) for d in datasets]
    client = ApiClient(base_url or config.api_base_url(), rate_per_s=rate_per_s)
    own_writer = writer is None
    # one thread: the commit overlaps the next window's parse on the other core, and each DuckDB
    # thread keeps its own insert buffers (two threads cost ~40 MB more at peak)
    duckdb_opts = {"memory_limit": WRITER_MEMORY, "threads": 1} if resolve_target(target) == "duckdb" else {}
    w = writer or open_writer(target, **duckdb_opts)
    try:
        return Backfill(w, client, concurrency=concurrency, progress=progress).run(
            resolved, date_from, date_to, force=force
        )
    finally:
        if own_writer:
            w.close()
