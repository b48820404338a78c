"""``gbpower datasets``: every registry dataset, how it is kept current and what this warehouse holds.

One row per dataset: code, description, route, whether IRIS carries it, what keeps it current (the
dataset's ``policy.upkeep``) and, per source (API table, IRIS table), the rows and the newest data
time (the column ``gbpower health`` judges freshness on). One portable UNION ALL query through the
warehouse writer, as the health checks do, so it works on DuckDB (default) and BigQuery alike. A
DuckDB warehouse file that does not exist yet is not created: every count is 0.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from loaders import config
from loaders.errors import UsageError
from loaders.health.model import iso, utc
from loaders.health.warehouse_checks import TableRef, qualified, table_refs, time_column
from loaders.registry import DATASETS, Dataset, UnknownDataset, get_dataset
from loaders.warehouse import open_writer, resolve_target
from loaders.warehouse.base import Writer

NONE = "—"
DESCRIPTION_WIDTH = 60  # the text table cuts descriptions here (``--json`` has them in full)


@dataclass(frozen=True)
class SourceStats:
    table: str
    rows: int
    newest: datetime | date | None  # newest value of the dataset's time column
    last_loaded: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "newest_data": _when(self.newest),
            "last_loaded_utc": iso(self.last_loaded),
        }


def upkeep(d: Dataset) -> tuple[str, ...] | None:
    """What keeps the dataset current (its policy), or None where the registry does not say."""
    policy = getattr(d, "policy", None)
    return tuple(policy.upkeep) if policy is not None else None


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value)
    return value.isoformat()


def _newest(ref: TableRef, value: Any) -> datetime | date | None:
    """The newest data value as the column's type: a date for date columns, else a UTC timestamp."""
    if value is None:
        return None
    col = time_column(ref.dataset)
    if col and ref.dataset.column(col).type == "date":
        return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])
    return utc(value)


def source_stats(writer: Writer | None, refs: list[TableRef]) -> dict[tuple[str, str], SourceStats]:
    """Rows, newest data and last load of every table in ``refs`` ({(dataset, source): stats}).

    ``writer=None`` means there is no warehouse yet: every table is empty."""
    rows: dict[int, tuple] = {}
    if writer is not None and refs:
        parts = []
        for i, ref in enumerate(refs):
            col = time_column(ref.dataset)
            newest = f"CAST(max({col}) AS TIMESTAMP)" if col else "CAST(NULL AS TIMESTAMP)"
            parts.append(
                f"SELECT {i} AS i, count(*) AS n, {newest} AS newest, max(_ingested_at) AS loaded "
                f"FROM {qualified(writer, ref.table)}"
            )
        rows = {int(r[0]): tuple(r[1:]) for r in writer.query(" UNION ALL ".join(parts))}
    out = {}
    for i, ref in enumerate(refs):
        n, newest, loaded = rows.get(i, (0, None, None))
        out[(ref.dataset.name, ref.source)] = SourceStats(
            ref.table, int(n or 0), _newest(ref, newest) if n else None, utc(loaded) if n else None
        )
    return out


def inventory(writer: Writer | None, datasets: list[Dataset]) -> list[dict[str, Any]]:
    """One JSON-ready record per dataset."""
    stats = source_stats(writer, table_refs(datasets))
    records = []
    for d in datasets:
        sources = {s: stats[(d.name, s)].to_json() for s in ("api", "iris") if (d.name, s) in stats}
        records.append(
            {
                "code": d.name,
                "description": d.description,
                "route": d.route,
                "iris": d.iris,
                "upkeep": list(u) if (u := upkeep(d)) is not None else None,
                "sources": sources,  # 'api' and, for IRIS datasets, 'iris'
            }
        )
    return records


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(records: list[dict[str, Any]]) -> list[str]:
    header = (
        "code",
        "description",
        "route",
        "IRIS",
        "kept current by",
        "API rows",
        "API newest",
        "IRIS rows",
        "IRIS newest",
    )
    body = []
    for r in records:
        api, iris = r["sources"]["api"], r["sources"].get("iris")
        body.append(
            (
                r["code"],
                _cut(r["description"], DESCRIPTION_WIDTH),
                r["route"],
                "yes" if r["iris"] else "no",
                ", ".join(r["upkeep"]) if r["upkeep"] is not None else "-",
                str(api["rows"]),
                api["newest_data"] or NONE,
                str(iris["rows"]) if iris else "-",
                (iris["newest_data"] or NONE) if iris else "-",
            )
        )
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]
    numeric = {5, 7}

    def line(row: tuple[str, ...]) -> str:
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return [line(header), line(tuple("-" * w for w in widths)), *(line(row) for row in body)]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datasets",
        help="list every registry dataset: route, IRIS, upkeep, rows and newest data per source",
        description=(
            "Every registry dataset: code, description, route, whether IRIS carries it, what keeps it "
            "current, and per source (API table, IRIS table) the rows and the newest data in this "
            "warehouse. Descriptions are cut to fit; --json has them in full."
        ),
    )
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.add_argument("--json", action="store_true", help="machine-readable list on stdout")
    p.add_argument("--dataset", "-d", action="append", metavar="NAME", help="only these datasets (repeatable)")
    p.set_defaults(func=run)


def _chosen(names: list[str] | None) -> list[Dataset]:
    if not names:
        return list(DATASETS.values())
    try:
        return list({get_dataset(n).name: get_dataset(n) for n in names}.values())
    except UnknownDataset as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    datasets = _chosen(args.dataset)
    target = resolve_target(args.target)
    if target == "duckdb" and not config.duckdb_path().exists():  # nothing loaded yet: do not create it
        return _print(inventory(None, datasets), args.json)
    with open_writer(target) as writer:
        records = inventory(writer, datasets)
    return _print(records, args.json)


def _print(records: list[dict[str, Any]], as_json: bool) -> int:
    if as_json:
        print(json.dumps(records, indent=2))
    else:
        print("\n".join(render_table(records)))
    return 0
