"""Estimate the BigQuery bytes one scheduled build (``gbpower dbt --test-scope window build``) bills,
at a given length of history — the table in docs/bigquery.md ("Bytes per scheduled build").

An estimate, not a measurement (the BigQuery emulator cannot report bytes). How it is made:

1. **Bytes per row** of every table of a built DuckDB warehouse (``make demo``), per column in
   BigQuery's storage sizes: INT64/FLOAT64/NUMERIC-as-FLOAT/DATE/TIMESTAMP 8 bytes, BOOL 1, STRING
   2 + its average UTF-8 length measured in the warehouse.
2. **Rows per day**: rows over the distinct days of the table's day column (the raw table's
   registry partition column; a model's ``meta.test_window`` column, else ``settlement_date``). A
   table without one (reference data, seeds, outages in force) has a constant size. ``--rows-per-day
   bmrs_bod=300000`` scales a raw table to production volume, and every model downstream of it by the
   same factor (the largest factor of its raw inputs).
3. **What each statement touches**, from the dbt manifest: an incremental model's SELECT reads its
   inputs from the floor on (``lookback_days`` + 1 days, more where the model asks for
   ``days_before``); its MERGE reads that source and the same partitions of itself; a table model reads
   its inputs whole; a view costs nothing when (re)created, and a read of a view reads its inputs with
   the same bound. A data test reads its model's window when the model has ``meta.test_window``,
   else the whole model. Every statement bills at least 10 MB per table it references (BigQuery's
   on-demand minimum), which the "with minimum" column adds.

Reads every column (an upper bound: BigQuery bills only the columns a query references).

    make demo   # warehouse/gbpower.duckdb and target/manifest.json
    python -m loaders.dev.bq_bytes_estimate --days 365 1460 [--rows-per-day bmrs_bod=300000]
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

MIN_BILLED = 10 * 2**20  # 10 MB per table referenced per query (on-demand pricing)
BUILDS_PER_DAY = 48
FIXED = {"BOOLEAN": 1}  # everything not a string and not here: 8 bytes
STRING_TYPES = ("VARCHAR", "JSON", "BLOB")


@dataclass
class Table:
    bytes_per_row: float
    rows_per_day: float | None  # None: constant size (rows = constant_rows)
    constant_rows: int
    scale: float = 1.0

    def bytes(self, days: float | None, history: int) -> float:
        """Bytes read for ``days`` days of it (None: the whole table at ``history`` days)."""
        if self.rows_per_day is None:
            return self.bytes_per_row * self.constant_rows
        span = history if days is None else min(days, history)
        return self.bytes_per_row * self.rows_per_day * self.scale * span


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None  # aggregates always return a row
    return row


def table_profile(con: duckdb.DuckDBPyConnection, schema: str, name: str, day_column: str | None) -> Table:
    cols = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    rows = _one(con, f'select count(*) from "{schema}"."{name}"')[0]
    strings = [c for c, t in cols if t.upper().startswith(STRING_TYPES)]
    avg: dict[str, float] = {}
    if strings and rows:
        exprs = ", ".join(f'avg(strlen(cast("{c}" as varchar)))' for c in strings)
        avg = dict(zip(strings, _one(con, f'select {exprs} from "{schema}"."{name}"'), strict=True))
    per_row = sum((2 + (avg.get(c) or 0)) if c in strings else FIXED.get(t.upper(), 8) for c, t in cols)
    names = {c for c, _ in cols}
    if day_column not in names:
        day_column = "settlement_date" if "settlement_date" in names else None
    if day_column is None or not rows:
        return Table(per_row, None, rows)
    days = _one(con, f'select count(distinct cast("{day_column}" as date)) from "{schema}"."{name}"')[0]
    return Table(per_row, rows / max(days, 1), rows)


def project_vars() -> dict:
    import yaml

    from loaders import config

    doc = yaml.safe_load((config.project_root() / "dbt_project.yml").read_text())
    return doc.get("vars", {}) or {}


@dataclass
class Estimate:
    statements: list[tuple[str, float, int]]  # (what, bytes, tables referenced)

    def total(self, with_minimum: bool) -> float:
        return sum(max(b, MIN_BILLED * n) if with_minimum else b for _, b, n in self.statements)


class Project:
    def __init__(self, manifest: dict, con: duckdb.DuckDBPyConnection, rows_per_day: dict[str, float], lookback: int):
        self.nodes = {**manifest["nodes"], **manifest["sources"]}
        self.lookback = lookback
        self.tables: dict[str, Table] = {}
        self.con = con
        self.rows_per_day = rows_per_day
        self.project_vars = project_vars()

    def relation(self, uid: str) -> tuple[str, str]:
        node = self.nodes[uid]
        return node["schema"], node.get("alias") or node.get("identifier") or node["name"]

    def is_view(self, uid: str) -> bool:
        return self.nodes[uid].get("config", {}).get("materialized") in ("view", "ephemeral")

    def day_column(self, uid: str) -> str | None:
        node = self.nodes[uid]
        if uid.startswith("source."):
            from loaders.registry import DATASETS

            table = self.relation(uid)[1]
            for ds in DATASETS.values():
                if table in (ds.raw_table, ds.iris_table):
                    return ds.partition_column
            return None
        window = (node.get("config", {}).get("meta") or {}).get("test_window") or {}
        return window.get("column")

    def table(self, uid: str) -> Table | None:
        if uid not in self.tables:
            schema, name = self.relation(uid)
            exists = _one(
                self.con,
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, name],
            )[0]
            if not exists:
                return None
            profile = table_profile(self.con, schema, name, self.day_column(uid))
            profile.scale = self.scale_of(uid)
            self.tables[uid] = profile
        return self.tables[uid]

    def scale_of(self, uid: str) -> float:
        name = self.relation(uid)[1]
        if uid.startswith("source."):
            base = name.removesuffix("_iris")
            if base not in self.rows_per_day:
                return 1.0
            con_rows = table_profile(self.con, *self.relation(uid), self.day_column(uid)).rows_per_day
            api = [u for u in self.nodes if u.startswith("source.") and self.relation(u)[1] == base]
            if api and self.relation(uid)[1] != base:
                con_rows = table_profile(self.con, *self.relation(api[0]), self.day_column(api[0])).rows_per_day
            return self.rows_per_day[base] / con_rows if con_rows else 1.0
        parents = self.nodes[uid].get("depends_on", {}).get("nodes", [])
        return max([self.scale_of(p) for p in parents if p in self.nodes] or [1.0])

    def read(self, uid: str, days: float | None, history: int) -> tuple[float, int]:
        """(bytes, tables referenced) of reading ``uid`` (``days`` days of it, or whole), views resolved."""
        if uid.startswith("seed.") or uid not in self.nodes:
            return 0.0, 1
        if self.is_view(uid):
            total, refs = 0.0, 0
            for parent in self.nodes[uid]["depends_on"]["nodes"]:
                b, n = self.read(parent, days, history)
                total, refs = total + b, refs + n
            return total, refs
        table = self.table(uid)
        return (table.bytes(days, history) if table else 0.0), 1

    def days_before(self, uid: str) -> int:
        code = self.nodes[uid].get("raw_code", "")
        found = [int(n) for n in re.findall(r"days_before\s*=\s*(\d+)", code)]
        if re.search(r"days_before\s*=\s*active_days\s*-\s*1", code):
            found.append(29)  # var battery_fleet_active_days (default 30) − 1
        return max(found or [0])

    def table_bound(self, uid: str) -> int | None:
        """Days a table model reads when it bounds its inputs itself (var ``snapshot_lookback_days``:
        mart_system_snapshot), else None (whole history)."""
        if "var('snapshot_lookback_days'" in self.nodes[uid].get("raw_code", ""):
            return int(self.project_vars.get("snapshot_lookback_days", 7)) + 1
        return None

    def scheduled_build(self, history: int) -> Estimate:
        window = self.lookback + 1
        out: list[tuple[str, float, int]] = []
        for uid, node in self.nodes.items():
            if not uid.startswith("model."):
                continue
            kind = node["config"].get("materialized")
            parents = [p for p in node["depends_on"]["nodes"] if p in self.nodes]
            if kind == "incremental":
                reads = [self.read(p, window + self.days_before(uid), history) for p in parents]
                own = self.table(uid)
                out.append((f"{node['name']} (select)", sum(b for b, _ in reads), sum(n for _, n in reads)))
                source = own.bytes(window, history) if own else 0.0
                out.append((f"{node['name']} (merge)", 2 * source, 2))
            elif kind == "table":
                bound = self.table_bound(uid)
                reads = [self.read(p, bound, history) for p in parents]
                out.append((f"{node['name']} (table)", sum(b for b, _ in reads), sum(n for _, n in reads)))
        for uid, node in self.nodes.items():
            if not uid.startswith("test.") or not node.get("attached_node"):
                continue
            model = node["attached_node"]
            if model not in self.nodes:
                continue
            meta = (self.nodes[model].get("config", {}).get("meta") or {}).get("test_window")
            b, n = self.read(model, window if meta else None, history)
            out.append((f"test {node['name']}", b, n))
        return Estimate(out)


def gb(value: float) -> str:
    return f"{value / 1e9:,.2f}"


def render(project: Project, histories: Iterable[int]) -> str:
    histories = list(histories)
    estimates = {h: project.scheduled_build(h) for h in histories}
    lines = [
        "| history | statements | GB read per build | GB billed per build (with the 10 MB minimum) "
        "| GB billed per day (48 builds) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for h, est in estimates.items():
        billed = est.total(with_minimum=True)
        per_day = gb(billed * BUILDS_PER_DAY)
        lines.append(f"| {h} days | {len(est.statements)} | {gb(est.total(False))} | {gb(billed)} | {per_day} |")
    last = estimates[histories[-1]]
    lines += ["", f"Largest statements at {histories[-1]} days (GB read):", ""]
    for what, b, _ in sorted(last.statements, key=lambda s: -s[1])[:8]:
        lines.append(f"- {what}: {gb(b)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--warehouse", type=Path, default=None, help="a built DuckDB warehouse (default: make demo's)")
    p.add_argument("--manifest", type=Path, default=None, help="dbt manifest (default: target/manifest.json)")
    p.add_argument("--days", type=int, nargs="+", default=[365, 1460], help="history lengths (days)")
    p.add_argument("--lookback-days", type=int, default=3)
    p.add_argument(
        "--rows-per-day",
        action="append",
        default=[],
        metavar="RAW_TABLE=N",
        help="production rows per day of a raw table (e.g. bmrs_bod=300000); its lineage scales with it",
    )
    args = p.parse_args(argv)
    rows_per_day = {k: float(v) for k, v in (item.split("=", 1) for item in args.rows_per_day)}
    from loaders import config

    warehouse = args.warehouse or config.duckdb_path()
    manifest = args.manifest or config.project_root() / "target" / "manifest.json"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        project = Project(json.loads(manifest.read_text()), con, rows_per_day, args.lookback_days)
        print(render(project, args.days))
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
