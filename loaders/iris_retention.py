"""Retention for the raw IRIS tables: delete IRIS rows older than N days, but only rows the API
table holds too — an identical row (every registry column equal, NULLs equal, and any unknown
fields kept in ``_extra`` too). An IRIS row with no
identical API row is the only copy and stays, however old. Off unless asked for
(``gbpower prune-iris --older-than N`` or ``GBPOWER_IRIS_RETENTION_DAYS``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loaders.health.warehouse_checks import qualified
from loaders.registry import DATASETS, Dataset
from loaders.warehouse import Writer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    dataset: str
    deleted: int  # rows deleted (or, on a dry run, that would be)
    kept_only_copy: int  # old IRIS rows kept because the API has no identical row


def _condition(writer: Writer, d: Dataset, cutoff: datetime) -> tuple[str, list, str]:
    api = qualified(writer, d.raw_table)
    col = d.window_column or "_ingested_at"
    is_date = d.window_column is not None and d.column(d.window_column).type == "date"
    limit = cutoff.date() if is_date else cutoff.astimezone(UTC).replace(tzinfo=None)
    bq = writer.target != "duckdb"

    def val(alias: str, col: str, json: bool) -> str:
        ref = f"{alias}.`{col}`"
        return f"TO_JSON_STRING({ref})" if bq and json else ref  # BigQuery JSON is not comparable

    same = " AND ".join(
        f"{val('a', c.name, c.type == 'json')} IS NOT DISTINCT FROM {val('i', c.name, c.type == 'json')}"
        for c in d.columns
    )
    # fields the registry does not know yet are kept in _extra: an IRIS row with some is only
    # deletable when the API row carries the same
    same += f" AND (i.`_extra` IS NULL OR {val('a', '_extra', True)} IS NOT DISTINCT FROM {val('i', '_extra', True)})"
    if writer.target == "duckdb":
        same = same.replace("`", '"')
        col_sql = f'i."{col}"'
    else:
        col_sql = f"i.`{col}`"
    return f"{col_sql} < ?", [limit], f"EXISTS (SELECT 1 FROM {api} AS a WHERE {same})"


def prune_dataset(writer: Writer, d: Dataset, older_than: timedelta, now: datetime, dry_run: bool) -> Pruned:
    cutoff = now - older_than
    old, params, in_api = _condition(writer, d, cutoff)
    iris = qualified(writer, d.iris_table)
    counts = writer.query(
        f"SELECT count(*) FILTER (WHERE {in_api}), count(*) FILTER (WHERE NOT {in_api}) FROM {iris} AS i WHERE {old}"
        if writer.target == "duckdb"
        else f"SELECT COUNTIF({in_api}), COUNTIF(NOT {in_api}) FROM {iris} AS i WHERE {old}",
        params,
    )
    deletable, only_copy = (int(x or 0) for x in counts[0])
    if deletable and not dry_run:
        writer.query(f"DELETE FROM {iris} AS i WHERE {old} AND {in_api}", params)
    return Pruned(d.name, deletable, only_copy)


def prune_iris(
    writer: Writer,
    older_than: timedelta,
    names: list[str] | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> list[Pruned]:
    now = now or datetime.now(UTC)
    chosen = [DATASETS[n] for n in names] if names else list(DATASETS.values())
    out = []
    for d in chosen:
        if not d.iris:
            continue
        p = prune_dataset(writer, d, older_than, now, dry_run)
        if p.deleted or p.kept_only_copy:
            log.info(
                "%s: %s %d IRIS rows older than %s held by the API too; kept %d with no API copy",
                d.name,
                "would delete" if dry_run else "deleted",
                p.deleted,
                older_than,
                p.kept_only_copy,
            )
        out.append(p)
    return out
