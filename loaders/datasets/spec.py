"""The shape of a dataset entry: how a dataset is fetched, keyed, typed, stored, kept current and tested.

Why typed Python entries (and not one YAML/TOML file per dataset): every consumer is Python (the
loaders, ``gbpower health``, the dbt generator ``loaders.dev.gen_staging``, the schedule), so an
entry is checked the moment it is imported — a misspelt field is a ``TypeError``, a key column that
is not a column a ``ValueError`` — with no schema file to keep in step; ``timedelta`` and enums say
what a value means where a bare number would not; and editors jump from a use to the entry. Each
dataset is one literal ``Dataset(name=<code>, ...)`` in ``loaders/datasets/<family>.py``, so
``grep -rn 'name="<CODE>"' loaders/`` (e.g. FUELINST) finds everything known about a dataset.

Column specs are compact strings ``name:type`` with a trailing ``!`` for a field that must be
present and non-null (the spec's non-nullable fields and every natural-key field). Types:
``string``, ``integer``, ``number``, ``boolean``, ``date``, ``timestamp`` (UTC) and ``json``
(nested objects/arrays kept as JSON text).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from types import MappingProxyType

COLUMN_TYPES = ("string", "integer", "number", "boolean", "date", "timestamp", "json")

# Metadata columns the loaders add to every raw table (API and IRIS alike, so both share one schema).
METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_ingested_at", "timestamp"),  # when the row was committed (UTC)
    ("_source", "string"),  # 'api' | 'iris'
    ("_batch_id", "string"),  # one id per loaded window / IRIS batch
    ("_message_id", "string"),  # IRIS message id (file name); null for API rows
    ("_extra", "json"),  # JSON object of any field the registry does not know yet
)

# Schema (DuckDB) / dataset (BigQuery) of the raw tables; dbt sources read the same variable.
RAW_SCHEMA = os.environ.get("GBPOWER_RAW_SCHEMA", "raw")

# A freshness limit's error threshold is this many times its warning threshold.
ERROR_FACTOR = 3
# Settlement periods that ended less than this long ago are not expected yet (completeness checks in
# dbt and `gbpower health` alike).
PUBLICATION_LAG = timedelta(hours=1)
# Default "newest data" column for freshness: when the data was published/measured/starts.
TIME_COLUMN_PREFERENCE = ("publishTime", "measurementTime", "startTime", "timeFrom", "settlementDate")

# How a dataset is kept current (the schedule's jobs; see docs/operations.md):
UPKEEP = (
    "iris",  # the IRIS client streams it (real time)
    "api_catchup",  # the API catch-up job re-polls recent days (IRIS messages expire after 3 days)
    "api_revisions",  # the last `revision_days` days are re-loaded regularly (Elexon revises them)
    "api_snapshot",  # the whole current list is re-fetched (reference data)
)


class TimeParams(str, Enum):
    """How a route takes its time window."""

    FROM_TO = "from_to"  # ?from=&to= filtering on timeFrom/startTime, inclusive both ends
    SETTLEMENT_RANGE = "settlement_range"  # ?from=D&to=D&settlementPeriodFrom=1&settlementPeriodTo=50
    PUBLISH = "publish"  # ?publishDateTimeFrom=&publishDateTimeTo=
    MEASUREMENT = "measurement"  # ?measurementDateTimeFrom=&measurementDateTimeTo=
    SUBMISSION = "submission"  # ?submissionDateTimeFrom=&submissionDateTimeTo= (RZDF, RZDR)
    # ?settlementDateFrom=D&settlementDateTo=D&settlementPeriodFrom=1&settlementPeriodTo=50 (TUDM)
    SETTLEMENT_DATE_RANGE = "settlement_date_range"
    SETTLEMENT_DATE_PATH = "settlement_date_path"  # /…/{settlementDate}
    # /…/{settlementDate}/{settlementPeriod}: one request per period of the day (46/48/50 from the
    # settlement calendar), each its own window; a 404 for a period means "no such period" (ISPSTACK)
    SETTLEMENT_PERIOD_PATH = "settlement_period_path"
    SNAPSHOT = "snapshot"  # no time parameter: the current list


class Envelope(str, Enum):
    ARRAY = "array"  # bare JSON array (`/stream` routes, reference lists)
    DATA = "data"  # {"data": [...]}
    DATA_METADATA = "data_metadata"  # {"data": [...], "metadata": {...}}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False


def parse_columns(spec: str) -> tuple[Column, ...]:
    columns = []
    for token in spec.split():
        name, _, type_ = token.partition(":")
        required = type_.endswith("!")
        type_ = type_.rstrip("!")
        if type_ not in COLUMN_TYPES:
            raise ValueError(f"column {name!r}: unknown type {type_!r}")
        columns.append(Column(name, type_, required))
    return tuple(columns)


@dataclass(frozen=True)
class Freshness:
    """How old a table's data may get: older than ``warn_after`` warns, older than ``error_after`` errors.

    dbt's source freshness (on ``_ingested_at``) and ``gbpower health`` (newest data time, or the
    load time for data that runs ahead of now) use the same two values.
    """

    warn_after: timedelta
    error_after: timedelta


def stale_after(warn: timedelta) -> Freshness:
    """Warn after ``warn``, error after ``ERROR_FACTOR`` times it."""
    return Freshness(warn, warn * ERROR_FACTOR)


# API tables are kept current by the API catch-up job (`gbpower backfill --catch-up`, hourly; it also
# re-loads revised days and re-fetches snapshots daily). Some datasets publish a day late, so the
# warning comes after 36 h without new data (the catch-up has been failing for over a day) and the
# error after 4.5 days.
API_DAILY = stale_after(timedelta(hours=36))
# IRIS: most datasets are published at least every settlement period; 2 h is four periods.
IRIS_DEFAULT = stale_after(timedelta(hours=2))


@dataclass(frozen=True)
class Policy:
    """How a dataset is kept current and what "healthy" means for it."""

    upkeep: tuple[str, ...]  # subset of UPKEEP
    api_freshness: Freshness
    iris_freshness: Freshness | None  # None when the dataset is not on IRIS
    revision_days: int = 0  # days re-loaded by the revisions job ("api_revisions")
    # Exactly one row set per settlement period: dbt's settlement_period_completeness test and
    # `gbpower health`'s gap check both run on exactly these datasets.
    every_period: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.upkeep) - set(UPKEEP)
        if unknown or not self.upkeep:
            raise ValueError(f"upkeep {self.upkeep!r}: choose from {UPKEEP}")
        if ("iris" in self.upkeep) != (self.iris_freshness is not None):
            raise ValueError("iris_freshness is set exactly when upkeep includes 'iris'")
        if "iris" in self.upkeep and "api_catchup" not in self.upkeep:
            raise ValueError("an IRIS dataset is also caught up from the API (IRIS messages expire after 3 days)")
        if ("api_revisions" in self.upkeep) != (self.revision_days > 0):
            raise ValueError("revision_days > 0 exactly when upkeep includes 'api_revisions'")


@dataclass(frozen=True)
class AcceptedRange:
    """A dbt accepted_range test on one column of the unified view (field name as in the API)."""

    column: str
    min_value: float
    max_value: float
    severity: str = "warn"  # 'warn' | 'error'
    not_null: bool = False  # also test not_null (listed first)


@dataclass(frozen=True)
class TimeGaps:
    """Rows every ``interval_seconds`` on ``column`` (API field name); gaps warn in dbt (no_time_gaps)."""

    column: str
    interval_seconds: int


@dataclass(frozen=True)
class Unified:
    """Settings of the unified view ``bmrs_<x>_unified`` (API ∪ IRIS, one row per natural key)."""

    # Version columns (API names), newest first; None: the dataset's version_columns.
    versions: tuple[str, ...] | None = None
    # Incremental on this column (API name; date or timestamp); None: a plain view.
    incremental: str | None = None
    cluster: str | None = None  # BigQuery cluster column (API name) of an incremental view
    # Renames beyond snake_case: {API field: unified column}; the description stays the field's.
    renames: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Where dbt's settlement_period_completeness test of an every-period dataset lives: None is the
    # unified view; a mart name means that mart carries it (hand-written yml), so that a gap fails
    # the mart's test rather than skipping the mart.
    completeness_model: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "renames", MappingProxyType(dict(self.renames)))


@dataclass(frozen=True)
class Dataset:
    """One Elexon dataset and how it is fetched, keyed, typed, stored, kept current, tested and documented."""

    name: str  # Elexon dataset code, e.g. "BOALF"
    description: str
    route: str  # path under the API base URL; may contain {settlementDate}, {settlementPeriod} and {variant}
    time_params: TimeParams
    envelope: Envelope
    columns_spec: str
    natural_key: tuple[str, ...]
    policy: Policy
    version_columns: tuple[str, ...] = ()
    window_column: str | None = None  # the field the request window filters on
    # Longest window one request may cover. The default (25 h) is one settlement day, even the long
    # autumn clock-change day: the /stream routes have no documented cap.
    max_window: timedelta | None = timedelta(hours=25)
    bm_unit_column: str | None = None  # BigQuery clustering
    partition_column: str | None = None  # BigQuery day partitioning (date or timestamp column)
    # Route variants fetched for every window, e.g. BOAV's {variant} = bid|offer. The variant value
    # is stored in `variant_column` (an extra typed column) because the API only puts it in the path.
    variants: tuple[str, ...] = ()
    variant_column: str | None = None
    table_name: str | None = None  # raw table base name; default bmrs_<name lower>
    aliases: tuple[str, ...] = ()
    # "Newest data" column for freshness; None: the first of TIME_COLUMN_PREFERENCE present.
    freshness_column: str | None = None
    unified: Unified = Unified()
    accepted_ranges: tuple[AcceptedRange, ...] = ()
    time_gaps: TimeGaps | None = None
    # Descriptions of fields whose meaning is specific to this dataset ({field: text}); every other
    # field is described by the shared glossary loaders/dev/column_docs.py.
    column_docs: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Known quirks, one sentence each (the dataset's docs page lists them).
    quirks: tuple[str, ...] = ()
    # Why the natural key and version columns are what they are, with the evidence (the OpenAPI
    # document's descriptions, Elexon's docs, sample payloads); the docs page shows it.
    key_evidence: str = ""
    columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        cols = list(parse_columns(self.columns_spec))
        if self.variant_column:
            cols.append(Column(self.variant_column, "string", True))
        object.__setattr__(self, "columns", tuple(cols))
        object.__setattr__(self, "column_docs", MappingProxyType(dict(self.column_docs)))
        if self.freshness_column is None:
            names = {c.name for c in cols}
            preferred = next((c for c in TIME_COLUMN_PREFERENCE if c in names), None)
            object.__setattr__(self, "freshness_column", preferred)
        names = {c.name for c in cols}
        u = self.unified
        for key in (*self.natural_key, *self.version_columns, *(u.versions or ()), *u.renames):
            if key not in names:
                raise ValueError(f"{self.name}: key column {key!r} is not a column")
        checked = (
            self.window_column,
            self.bm_unit_column,
            self.partition_column,
            self.freshness_column,
            u.incremental,
            u.cluster,
            *(r.column for r in self.accepted_ranges),
            self.time_gaps.column if self.time_gaps else None,
            *self.column_docs,
        )
        for col in checked:
            if col and col not in names:
                raise ValueError(f"{self.name}: {col!r} is not a column")
        if self.policy.every_period and not {"settlementDate", "settlementPeriod"} <= names:
            raise ValueError(f"{self.name}: every_period needs settlementDate and settlementPeriod")

    @property
    def iris(self) -> bool:
        """Also arrives on IRIS (the policy's upkeep includes 'iris')."""
        return "iris" in self.policy.upkeep

    @property
    def raw_table(self) -> str:
        """Raw table for the historic API, e.g. ``bmrs_boalf`` (in schema ``raw``)."""
        return self.table_name or f"bmrs_{self.name.lower()}"

    @property
    def iris_table(self) -> str:
        """Raw table for IRIS, e.g. ``bmrs_boalf_iris``."""
        return f"{self.raw_table}_iris"

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.raw_table, self.iris_table) if self.iris else (self.raw_table,)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def dedupe_key(self) -> tuple[str, ...]:
        """Within one fetched window, rows equal on this key are the same row (keep one)."""
        return (*self.natural_key, *self.version_columns)

    def freshness(self, source: str) -> Freshness:
        """The freshness limits of the dataset's 'api' or 'iris' table."""
        if source == "iris":
            if self.policy.iris_freshness is None:
                raise ValueError(f"{self.name} is not on IRIS")
            return self.policy.iris_freshness
        return self.policy.api_freshness


def all_columns(dataset: Dataset) -> tuple[tuple[str, str], ...]:
    """(name, type) of every raw-table column: the dataset's fields then the metadata columns."""
    return (*((c.name, c.type) for c in dataset.columns), *METADATA_COLUMNS)
