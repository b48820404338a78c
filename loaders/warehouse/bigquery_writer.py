"""BigQuery writer: the production warehouse.

Same semantics as the DuckDB writer, built from BigQuery's own atomic pieces:

1. The batch's Parquet file goes into a fresh staging table (created first with the raw table's
   schema) by a LOAD JOB — batch loads are free, unlike streaming inserts.
2. ONE multi-statement transaction then deletes the window's rows, inserts the staged rows with
   ``_ingested_at = CURRENT_TIMESTAMP()`` and records the window in ``gbpower_windows`` (or, for IRIS,
   inserts only rows of messages not yet in ``iris_messages`` and records the messages). A failed
   script rolls back as a whole: nothing changes.
3. The staging table is dropped, also on failure (it also expires after a day, should the process
   die in between).

Transient Google errors (HTTP 429/5xx, rateLimitExceeded/backendError, a transaction aborted by a
concurrent update) are retried with exponential backoff; each step is idempotent, so a retry never
doubles anything.

Scripts and parameters: ``query()`` binds its positional parameters as BigQuery query parameters.
The transaction scripts declare their inputs as typed script variables instead (``DECLARE gbp_x
TIMESTAMP DEFAULT TIMESTAMP '…'``): the BigQuery emulator the tests run against (bqemulator 1.4)
ignores query parameters in multi-statement scripts. The values are rendered from their Python types
(dates, datetimes, integers; strings escaped), and untrusted values — IRIS message ids — reach
BigQuery only through a load job, never through SQL text.

Config (env; constructor kwargs override): ``GBPOWER_BQ_PROJECT`` (required),
``GBPOWER_RAW_SCHEMA`` (default ``raw``, the same variable dbt's sources read;
``GBPOWER_BQ_RAW_DATASET`` is an alias), ``GBPOWER_BQ_LOCATION`` (default ``EU``). Credentials:
``GOOGLE_APPLICATION_CREDENTIALS`` or application-default credentials; with ``BIGQUERY_EMULATOR_HOST``
set, that endpoint with anonymous credentials.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import bigquery

from loaders.registry import Dataset
from loaders.time_window import Window
from loaders.warehouse import bigquery_support as bqs
from loaders.warehouse import bytes_billed
from loaders.warehouse.base import (
    MESSAGES_TABLE,
    STATE_TABLE,
    MessageRecord,
    TableBatch,
    Writer,
    WriterError,
)
from loaders.warehouse.bigquery_tables import (
    STAGED_MESSAGE_COLUMNS,
    TableSpec,
    all_table_specs,
    qi,
    raw_table_spec,
)
from loaders.warehouse.ddl import arrow_schema
from loaders.warehouse.kept_messages import (
    KEPT_TABLE,
    STAGED_KEPT_COLUMNS,
    KeptMessage,
    Promotion,
    bigquery_kept_columns,
)

log = logging.getLogger(__name__)

_DATASET_RE = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
_STAGE_TTL = timedelta(days=1)


class BigQueryConfigError(WriterError):
    """The BigQuery writer is missing configuration (e.g. GBPOWER_BQ_PROJECT)."""


def make_client(project: str, location: str) -> bigquery.Client:
    """A client for ``project``: the emulator at ``BIGQUERY_EMULATOR_HOST`` with anonymous credentials
    when that is set, else Google's API with GOOGLE_APPLICATION_CREDENTIALS / application default."""
    emulator = os.environ.get("BIGQUERY_EMULATOR_HOST")
    if emulator:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=project,
            location=location,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=emulator),
        )
    return bigquery.Client(project=project, location=location)


class BigQueryWriter(Writer):
    target = "bigquery"

    def __init__(
        self,
        *,
        project: str | None = None,
        dataset: str | None = None,
        location: str | None = None,
        client: bigquery.Client | None = None,
        retry_attempts: int = 5,
        retry_base_delay: float = 1.0,
        work_dir: str | os.PathLike[str] | None = None,
        maximum_bytes_billed: int | None = None,
    ) -> None:
        self.project = project or os.environ.get("GBPOWER_BQ_PROJECT") or (client and client.project)
        if not self.project:
            raise BigQueryConfigError("BigQuery target needs a project: set GBPOWER_BQ_PROJECT (or pass project=)")
        self.dataset = (
            dataset or os.environ.get("GBPOWER_RAW_SCHEMA") or os.environ.get("GBPOWER_BQ_RAW_DATASET") or "raw"
        )
        if not _DATASET_RE.match(self.dataset):
            raise BigQueryConfigError(f"invalid BigQuery dataset name {self.dataset!r}")
        self.location = location or os.environ.get("GBPOWER_BQ_LOCATION") or "EU"
        self._client = client
        self.retry_attempts = retry_attempts
        self.retry_base_delay = retry_base_delay
        self.work_dir = Path(work_dir) if work_dir else None
        self._initialised = False
        # every query job's byte limit: job type "loader" of config/bigquery_bytes_billed.yml (0 = none)
        self.maximum_bytes_billed = (
            bytes_billed.limit_for("loader") if maximum_bytes_billed is None else maximum_bytes_billed
        )

    # -- plumbing --------------------------------------------------------------------------------
    @property
    def client(self) -> bigquery.Client:
        if self._client is None:
            self._client = make_client(str(self.project), self.location)
        return self._client

    def table_id(self, table: str) -> str:
        return f"{self.project}.{self.dataset}.{table}"

    def _ref(self, table: str) -> str:
        return qi(self.table_id(table))

    def _retry(self, what: str, fn: Any) -> Any:
        return bqs.with_retries(what, fn, attempts=self.retry_attempts, base_delay=self.retry_base_delay)

    def job_config(self, **kwargs: Any) -> bigquery.QueryJobConfig:
        """The configuration of every query job the writer starts: its byte limit, plus ``kwargs``."""
        config = bigquery.QueryJobConfig(**kwargs)
        if self.maximum_bytes_billed:
            config.maximum_bytes_billed = self.maximum_bytes_billed
        return config

    def _run_script(self, what: str, sql: str) -> list[tuple]:
        def run() -> list[tuple]:
            job = self.client.query(sql, job_config=self.job_config(), job_id_prefix="gbpower_")
            return [tuple(r.values()) for r in job.result()]

        return self._retry(what, run)

    def _run_plain(self, what: str, sql: str) -> None:
        self._retry(
            what,
            lambda: self.client.query(sql, job_config=self.job_config(), job_id_prefix="gbpower_ddl_").result(),
        )

    def _ensure_init(self) -> None:
        if not self._initialised:
            self.init()

    # -- schema ----------------------------------------------------------------------------------
    def _bq_table(self, spec: TableSpec, *, expires: datetime | None = None) -> bigquery.Table:
        table = bigquery.Table(
            self.table_id(spec.name),
            schema=[bigquery.SchemaField(n, t, mode="NULLABLE") for n, t in spec.columns],
        )
        if spec.partition_column:
            table.time_partitioning = bigquery.TimePartitioning(
                type_=bigquery.TimePartitioningType.DAY, field=spec.partition_column
            )
        if spec.clustering:
            table.clustering_fields = list(spec.clustering)
        if expires:
            table.expires = expires
        return table

    def init(self) -> None:
        """Create the dataset and every missing table; add registry columns missing from existing
        tables (BigQuery can add NULLABLE columns in place). Idempotent."""
        try:
            self._init()
        except (gexc.GoogleAPICallError, OSError) as exc:
            raise WriterError(
                f"initialising BigQuery dataset {self.project}.{self.dataset}: {bqs.short_error(exc)}"
            ) from exc

    def _init(self) -> None:
        ds = bigquery.Dataset(f"{self.project}.{self.dataset}")
        ds.location = self.location
        self._retry(f"create dataset {self.dataset}", lambda: self.client.create_dataset(ds, exists_ok=True))
        dataset_ref = f"{self.project}.{self.dataset}"
        existing = {t.table_id for t in self._retry("list tables", lambda: list(self.client.list_tables(dataset_ref)))}
        created = 0
        for spec in [*all_table_specs(), kept_table_spec()]:
            if spec.name in existing:
                self._add_missing_columns(spec)
                continue
            table = self._bq_table(spec)
            self._retry(f"create {spec.name}", lambda t=table: self.client.create_table(t, exists_ok=True))
            created += 1
        self._initialised = True
        log.info("BigQuery dataset %s ready (%d tables created)", dataset_ref, created)

    def _add_missing_columns(self, spec: TableSpec) -> None:
        table = self._retry(f"get {spec.name}", lambda: self.client.get_table(self.table_id(spec.name)))
        have = {f.name.lower() for f in table.schema}
        missing = [(n, t) for n, t in spec.columns if n.lower() not in have]
        if not missing:
            return
        for n, t in missing:  # one column per statement (the emulator takes one ALTER action at a time)
            sql = f"ALTER TABLE {self._ref(spec.name)} ADD COLUMN IF NOT EXISTS {qi(n)} {t}"
            self._run_plain(f"add column {n} to {spec.name}", sql)
        log.info("%s: added columns %s", spec.name, ", ".join(n for n, _ in missing))

    # -- staging ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _staged(self, spec: TableSpec, parquet: Path, what: str) -> Iterator[str]:
        """Load ``parquet`` into a fresh staging table with ``spec``'s columns; yield its name; drop it
        afterwards, whatever happened."""
        name = f"_gbpower_stage_{spec.name}_{uuid.uuid4().hex[:12]}"
        stage = TableSpec(name, spec.columns)
        try:
            expires = datetime.now(UTC) + _STAGE_TTL
            table = self._bq_table(stage, expires=expires)
            self._retry(f"{what}: create staging table", lambda: self.client.create_table(table))
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
            )

            def load() -> None:
                with open(parquet, "rb") as fh:
                    job = self.client.load_table_from_file(
                        fh, self.table_id(name), job_config=config, job_id_prefix="gbpower_load_"
                    )
                    job.result()

            self._retry(f"{what}: load job", load)
            yield name
        finally:
            with contextlib.suppress(Exception):
                self.client.delete_table(self.table_id(name), not_found_ok=True)

    @contextlib.contextmanager
    def _tmp_dir(self) -> Iterator[Path]:
        if self.work_dir:
            self.work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="gbpower-bq-", dir=self.work_dir) as d:
            yield Path(d)

    def _insert_sql(self, spec: TableSpec, stage: str, where: str = "") -> str:
        cols = ", ".join(qi(c) for c in spec.column_names)
        select = ", ".join("CURRENT_TIMESTAMP()" if c == "_ingested_at" else f"s.{qi(c)}" for c in spec.column_names)
        return f"INSERT INTO {self._ref(spec.name)} ({cols})\nSELECT {select} FROM {self._ref(stage)} AS s{where}"

    # -- writes ----------------------------------------------------------------------------------
    def replace_window(self, batch: TableBatch, window: Window | None, batch_id: str) -> int:
        dataset = batch.dataset
        label = f"{dataset.name} window {window.label() if window else '(whole table)'}"
        what = f"writing {batch.table} {label}"
        spec = raw_table_spec(dataset, batch.table)
        try:
            self._ensure_init()
            with self._tmp_dir() as tmp:
                staged = tmp / "batch.parquet"
                rows = bqs.stage_parquet(Path(batch.parquet), arrow_schema(dataset), staged)
                with self._staged(spec, staged, what) as stage:
                    self._run_script(what, self.replace_window_script(spec, stage, dataset, window, batch_id, rows))
        except (bqs.BatchSchemaError, gexc.GoogleAPICallError, OSError, ValueError) as exc:
            raise WriterError(f"{what}: {bqs.short_error(exc)} (nothing was changed)") from exc
        log.info("%s: %d rows (batch %s)", what, rows, batch_id)
        return rows

    def replace_window_script(
        self,
        spec: TableSpec,
        stage: str,
        dataset: Dataset,
        window: Window | None,
        batch_id: str,
        rows: int,
    ) -> str:
        """The transaction replacing one window: see the module docstring.

        Every statement on the raw table is bounded by its partition column, so BigQuery prunes it to
        the partitions the window can touch instead of scanning the table's whole history:

        * a window on the partition column itself (a settlement-date window, or FREQ/REMIT's
          timestamp) bounds the DELETE directly;
        * a window on another column (BOALF's ``timeFrom`` while the table is partitioned on
          ``settlementDate``; forecasts windowed on ``publishTime``) takes its bound from the state
          table: each load records the days its rows fall in (``partition_lo``/``partition_hi``), and a
          replace deletes within the union of the days recorded by every overlapping window. That is
          exact, not a guessed margin: the loaders drop rows outside the requested window, so every
          row of the raw table lies in a window whose load recorded its day. A window recorded before
          these columns existed has no days, and its replace falls back to the whole table, once.
        """
        decls: list[tuple[str, str, Any]] = []
        stmts: list[str] = []
        pred = "TRUE"
        part_col = spec.partition_column
        if window is not None and dataset.window_column is not None:
            col = qi(dataset.window_column)
            if dataset.column(dataset.window_column).type == "date":
                if window.settlement_date is None:
                    raise ValueError(f"{dataset.name}: window {window.label()} has no settlement date")
                decls.append(("gbp_window_date", "DATE", window.settlement_date))
                pred = f"{col} = gbp_window_date"
            else:
                pred = f"{col} >= gbp_window_start AND {col} < gbp_window_end"
            if part_col and part_col != dataset.window_column:
                decls += [("gbp_part_lo", "DATE", None), ("gbp_part_hi", "DATE", None)]
                stmts += self._recorded_partition_bounds()
                pred += " AND " + _partition_between(qi(part_col), spec.partition_type, "gbp_part_lo", "gbp_part_hi")
        stmts += [f"DELETE FROM {self._ref(spec.name)} WHERE {pred}", self._insert_sql(spec, stage)]
        if window is not None:
            decls += [
                ("gbp_dataset", "STRING", dataset.name),
                ("gbp_batch_id", "STRING", batch_id),
                ("gbp_rows", "INT64", rows),
            ]
            day = "CAST(NULL AS DATE)"
            if part_col:
                day = f"s.{qi(part_col)}" if spec.partition_type == "DATE" else f"DATE(s.{qi(part_col)})"
            stmts += [
                f"DELETE FROM {self._ref(STATE_TABLE)} WHERE dataset = gbp_dataset "
                "AND window_start = gbp_window_start AND window_end = gbp_window_end",
                f"INSERT INTO {self._ref(STATE_TABLE)} "
                "(dataset, window_start, window_end, row_count, batch_id, loaded_at, partition_lo, partition_hi)\n"
                "SELECT gbp_dataset, gbp_window_start, gbp_window_end, gbp_rows, gbp_batch_id, "
                f"CURRENT_TIMESTAMP(), MIN({day}), MAX({day}) FROM {self._ref(stage)} AS s",
            ]
        if window is not None:
            decls += [
                ("gbp_window_start", "TIMESTAMP", window.start),
                ("gbp_window_end", "TIMESTAMP", window.end),
            ]
        return _script(decls, stmts)

    def _recorded_partition_bounds(self) -> list[str]:
        """SETs of ``gbp_part_lo``/``gbp_part_hi``: the days recorded by every window of this dataset
        that overlaps the one being replaced (none, or only empty loads: both stay NULL and the DELETE
        matches nothing, as no row can lie there); a non-empty window recorded without days (before
        the columns existed) widens the bound to every day."""
        overlapping = (
            f"FROM {self._ref(STATE_TABLE)} WHERE dataset = gbp_dataset "
            "AND window_start < gbp_window_end AND window_end > gbp_window_start"
        )
        sets = []
        for end, agg, sentinel in (("lo", "MIN", "0001-01-01"), ("hi", "MAX", "9999-12-30")):
            unknown = f"LOGICAL_OR(partition_{end} IS NULL AND row_count > 0)"
            sets.append(
                f"SET gbp_part_{end} = (SELECT IF({unknown}, DATE '{sentinel}', {agg}(partition_{end})) {overlapping})"
            )
        return sets

    def append_messages(
        self,
        batches: list[TableBatch],
        messages: list[MessageRecord],
        batch_id: str,
        kept: Sequence[KeptMessage] = (),
        promoted: Sequence[Promotion] = (),
    ) -> int:
        if not messages and not kept and not promoted:
            return 0
        what = f"writing IRIS batch {batch_id}"
        try:
            self._ensure_init()
            with self._tmp_dir() as tmp, contextlib.ExitStack() as stack:
                stmts: list[str] = []
                counts: list[str] = []
                known = f"(SELECT message_id FROM {self._ref(MESSAGES_TABLE)})"
                for i, b in enumerate(batches):
                    spec = raw_table_spec(b.dataset, b.table)
                    staged = tmp / f"batch{i}.parquet"
                    bqs.stage_parquet(Path(b.parquet), arrow_schema(b.dataset), staged)
                    stage = stack.enter_context(self._staged(spec, staged, f"{what} ({b.table})"))
                    where = f"\nWHERE s._message_id IS NULL OR s._message_id NOT IN {known}"
                    counts.append(
                        f"SET gbp_inserted = gbp_inserted + (SELECT COUNT(*) FROM {self._ref(stage)} AS s{where})"
                    )
                    stmts.append(self._insert_sql(spec, stage, where))
                msg_spec = TableSpec("messages", STAGED_MESSAGE_COLUMNS)
                msg_file = tmp / "messages.parquet"
                bqs.write_parquet(
                    [{"message_id": m.message_id, "dataset": m.dataset, "record_count": m.records} for m in messages],
                    bqs.arrow_schema_of(STAGED_MESSAGE_COLUMNS),
                    msg_file,
                )
                mstage = stack.enter_context(self._staged(msg_spec, msg_file, f"{what} (messages)"))
                # kept messages and promotions first: they test "already loaded" against the
                # message ids recorded before this batch's own
                if kept:
                    stmts.append(self._keep_sql(stack, tmp, kept, known, what))
                if promoted:
                    stmts += self._promote_sql(stack, tmp, promoted, what)
                stmts.append(
                    f"INSERT INTO {self._ref(MESSAGES_TABLE)} "
                    "(message_id, dataset, record_count, batch_id, committed_at)\n"
                    "SELECT message_id, ANY_VALUE(dataset), ANY_VALUE(record_count), gbp_batch_id, "
                    f"CURRENT_TIMESTAMP()\nFROM {self._ref(mstage)}\n"
                    f"WHERE message_id NOT IN {known}\nGROUP BY message_id"
                )
                script = _script(
                    [("gbp_batch_id", "STRING", batch_id), ("gbp_inserted", "INT64", 0)],
                    counts + stmts,
                    result="SELECT gbp_inserted",
                )
                result = self._run_script(what, script)
        except (bqs.BatchSchemaError, gexc.GoogleAPICallError, OSError, ValueError) as exc:
            raise WriterError(f"{what}: {bqs.short_error(exc)} (nothing was changed)") from exc
        inserted = int(result[0][0]) if result and result[0] and result[0][0] is not None else 0
        log.info("%s: %d messages, %d rows inserted", what, len(messages), inserted)
        return inserted

    def _keep_sql(
        self, stack: contextlib.ExitStack, tmp: Path, kept: Sequence[KeptMessage], known: str, what: str
    ) -> str:
        """Stage the kept messages (untrusted text goes in by load job only) and insert those not
        already kept and not already loaded."""
        cols = tuple((n, t) for n, t in bigquery_kept_columns() if n in STAGED_KEPT_COLUMNS)
        path = tmp / "kept.parquet"
        rows = [
            {
                **{n: getattr(k, n) for n in STAGED_KEPT_COLUMNS},
                "received_at": k.received_at.replace(tzinfo=UTC) if k.received_at.tzinfo is None else k.received_at,
            }
            for k in kept
        ]
        bqs.write_parquet(rows, bqs.arrow_schema_of(cols), path)
        stage = stack.enter_context(self._staged(TableSpec("kept", cols), path, f"{what} (kept messages)"))
        names = ", ".join(qi(n) for n, _ in cols)
        return (
            f"INSERT INTO {self._ref(KEPT_TABLE)} ({names}, batch_id, kept_at)\n"
            f"SELECT {names}, gbp_batch_id, CURRENT_TIMESTAMP() FROM {self._ref(stage)}\n"
            f"WHERE message_id NOT IN (SELECT message_id FROM {self._ref(KEPT_TABLE)}) "
            f"AND message_id NOT IN {known}"
        )

    def _promote_sql(
        self, stack: contextlib.ExitStack, tmp: Path, promoted: Sequence[Promotion], what: str
    ) -> list[str]:
        """Mark kept messages settled by a promote run (one UPDATE per outcome, ids by load job)."""
        cols = (("message_id", "STRING"), ("outcome", "STRING"))
        path = tmp / "promoted.parquet"
        bqs.write_parquet(
            [{"message_id": p.message_id, "outcome": p.outcome} for p in promoted], bqs.arrow_schema_of(cols), path
        )
        stage = stack.enter_context(self._staged(TableSpec("promoted", cols), path, f"{what} (promoted)"))
        out = []
        for outcome in sorted({p.outcome for p in promoted}):
            out.append(
                f"UPDATE {self._ref(KEPT_TABLE)} SET promoted_at = CURRENT_TIMESTAMP(), "
                f"promoted_batch_id = gbp_batch_id, promote_outcome = {bqs.sql_literal(outcome)}\n"
                f"WHERE promoted_at IS NULL AND message_id IN "
                f"(SELECT message_id FROM {self._ref(stage)} WHERE outcome = {bqs.sql_literal(outcome)})"
            )
        return out

    # -- reads -----------------------------------------------------------------------------------
    def completed_windows(self, dataset: Dataset) -> set[tuple[datetime, datetime]]:
        rows = self.query(
            f"SELECT window_start, window_end FROM {self._ref(STATE_TABLE)} WHERE dataset = ?",
            [dataset.name],
        )
        return {(bqs.to_utc(s), bqs.to_utc(e)) for s, e in rows}

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """Run ``sql`` (BigQuery SQL; unqualified tables resolve in the raw dataset) with positional
        ``?`` parameters bound as BigQuery query parameters."""
        self._ensure_init()
        values = [bqs.to_utc(v) if isinstance(v, datetime) else v for v in params or []]
        config = self.job_config(
            query_parameters=[bigquery.ScalarQueryParameter(None, bqs.param_type(v), v) for v in values],
            default_dataset=f"{self.project}.{self.dataset}",
        )

        def run() -> list[tuple]:
            job = self.client.query(sql, job_config=config, job_id_prefix="gbpower_q_")
            return [tuple(r.values()) for r in job.result()]

        try:
            return self._retry("query", run)
        except gexc.GoogleAPICallError as exc:
            raise WriterError(f"BigQuery query failed: {bqs.short_error(exc)}") from exc

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def kept_table_spec() -> TableSpec:
    """``raw.iris_kept_messages`` (see ``loaders.warehouse.kept_messages``)."""
    return TableSpec(KEPT_TABLE, bigquery_kept_columns(), clustering=("dataset",))


def _partition_between(col: str, partition_type: str | None, lo: str, hi: str) -> str:
    """``col`` within the UTC days ``lo``..``hi`` (DATE expressions), written on the column itself so
    that BigQuery can prune: a DATE column compares directly, a TIMESTAMP one with a half-open range."""
    if partition_type == "DATE":
        return f"{col} BETWEEN {lo} AND {hi}"
    return f"{col} >= TIMESTAMP({lo}) AND {col} < TIMESTAMP(DATE_ADD({hi}, INTERVAL 1 DAY))"


def _script(decls: list[tuple[str, str, Any]], stmts: list[str], result: str | None = None) -> str:
    """DECLAREs, then the statements in one transaction, then an optional result SELECT."""
    lines = [f"DECLARE {name} {type_} DEFAULT {bqs.sql_literal(v)};" for name, type_, v in decls]
    lines.append("BEGIN TRANSACTION;")
    lines += [s + ";" for s in stmts]
    lines.append("COMMIT TRANSACTION;")
    if result:
        lines.append(result + ";")
    return "\n".join(lines)
