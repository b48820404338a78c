"""``raw.iris_kept_messages``: well-formed IRIS messages the loader cannot put in a typed table yet.

A message is kept, whole, when its dataset is not in the registry (SYSWARN, NDF, …) or is
not an IRIS dataset there (``unregistered_dataset``), when it names no dataset at all
(``no_dataset``), or when the bid/offer side of a BOAV/EBOCF record cannot be derived
(``bid_offer_unknown``). It is written in the same transaction as the rest of its batch and the
message is then completed; the message id is the key, so a redelivery adds nothing.
``gbpower iris promote`` later loads kept messages through the normal IRIS path and marks them
(``promoted_at``, ``promoted_batch_id``, ``promote_outcome`` = ``loaded`` | ``quarantined``).
Promoted rows are kept, not deleted: they are the only copy of the message as IRIS sent it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loaders.registry import RAW_SCHEMA

KEPT_TABLE = "iris_kept_messages"

# (name, DuckDB type, BigQuery type)
KEPT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("message_id", "VARCHAR", "STRING"),
    ("dataset", "VARCHAR", "STRING"),  # registry-style name: the subject, else the records' field
    ("subject", "VARCHAR", "STRING"),  # the message subject as received (may be NULL)
    ("reason", "VARCHAR", "STRING"),  # unregistered_dataset | no_dataset | bid_offer_unknown
    ("description", "VARCHAR", "STRING"),
    ("record_count", "BIGINT", "INT64"),
    ("body", "VARCHAR", "STRING"),  # the decoded records as a JSON array (text)
    ("received_at", "TIMESTAMP", "TIMESTAMP"),
    ("batch_id", "VARCHAR", "STRING"),
    ("kept_at", "TIMESTAMP", "TIMESTAMP"),
    ("promoted_at", "TIMESTAMP", "TIMESTAMP"),
    ("promoted_batch_id", "VARCHAR", "STRING"),
    ("promote_outcome", "VARCHAR", "STRING"),
)

# the columns a batch supplies (the rest are set by the writer)
STAGED_KEPT_COLUMNS = (
    "message_id",
    "dataset",
    "subject",
    "reason",
    "description",
    "record_count",
    "body",
    "received_at",
)


@dataclass(frozen=True)
class KeptMessage:
    """One message to keep (see module docstring)."""

    message_id: str
    dataset: str
    subject: str | None
    reason: str
    description: str
    record_count: int
    body: str  # JSON array text
    received_at: datetime  # naive UTC


@dataclass(frozen=True)
class Promotion:
    """A kept message that a promote run settled: ``loaded`` into its typed table or ``quarantined``."""

    message_id: str
    outcome: str


def kept_table_ref(target: str) -> str:
    """The table's name in ``Writer.query`` SQL: DuckDB schema-qualified; BigQuery's query() sets
    the raw dataset as the default."""
    return f"{RAW_SCHEMA}.{KEPT_TABLE}" if target == "duckdb" else KEPT_TABLE


def duckdb_create_kept(schema: str) -> str:
    cols = ", ".join(f"{n} {t}" for n, t, _ in KEPT_COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {schema}.{KEPT_TABLE} ({cols})"


def bigquery_kept_columns() -> tuple[tuple[str, str], ...]:
    return tuple((n, bq) for n, _, bq in KEPT_COLUMNS)
