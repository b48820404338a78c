"""Which statements would scan a partitioned BigQuery table's whole history?

BigQuery bills by bytes read, and it prunes a partitioned table to the partitions a statement can
touch only when the statement filters on the partition column. This module reads BigQuery SQL (one
statement or a whole script) and names every read of a partitioned table that has no such filter:
each ``DELETE``/``UPDATE`` target, each ``MERGE`` target, and each table a ``SELECT`` reads
(subqueries included), is checked for a conjunct of its ``WHERE`` (or the ``MERGE``'s ``ON``) that
refers to the table's partition column. An ``OR`` counts only when each branch has one: otherwise
it does not bound the scan. ``INSERT`` targets are not reads.

The BigQuery emulator cannot report bytes scanned, so this is how the tests prove pruning: over the
statements the writer sends (``tests/python/test_bigquery_partition_pruning.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp


@dataclass(frozen=True)
class Unbounded:
    """A read of ``table`` (partitioned on ``column``) in ``statement`` with no filter on ``column``."""

    table: str
    column: str
    statement: str

    def __str__(self) -> str:
        return f"{self.table} is read without a filter on its partition column {self.column}: {self.statement[:300]}"


def _table_name(table: exp.Table) -> str:
    return table.name.lower()


def _conjuncts(condition: exp.Expr | None) -> list[exp.Expr]:
    if condition is None:
        return []
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    return [condition]


def _bounds(condition: exp.Expr | None, column: str, alias: str | None) -> bool:
    """Does a top-level conjunct of ``condition`` bound ``column`` (of ``alias``, if qualified)? An
    ``OR`` bounds only if each of its branches does."""
    for conjunct in _conjuncts(condition):
        if isinstance(conjunct, exp.Or):
            if _bounds(conjunct.left, column, alias) and _bounds(conjunct.right, column, alias):
                return True
            continue
        for col in conjunct.find_all(exp.Column):
            if col.name.lower() == column.lower() and (not col.table or alias is None or col.table == alias):
                return True
    return False


def unbounded_reads(sql: str, partitions: Mapping[str, str]) -> list[Unbounded]:
    """Every read of a table in ``partitions`` (table name → partition column, names compared
    case-insensitively, without project/dataset) in ``sql`` that has no filter on its column."""
    parts = {t.lower(): c for t, c in partitions.items()}
    found: list[Unbounded] = []
    for statement in sqlglot.parse(sql, read="bigquery"):
        if statement is None:
            continue
        text = statement.sql(dialect="bigquery")
        checked: set[int] = set()
        for node in statement.walk():
            if isinstance(node, exp.Delete | exp.Update):
                table = node.this if isinstance(node.this, exp.Table) else node.find(exp.Table)
                if table is not None and _table_name(table) in parts:
                    checked.add(id(table))
                    column = parts[_table_name(table)]
                    where = node.args.get("where")
                    if not _bounds(where.this if where else None, column, table.alias_or_name):
                        found.append(Unbounded(_table_name(table), column, text))
            elif isinstance(node, exp.Merge):
                table = node.this
                if isinstance(table, exp.Table) and _table_name(table) in parts:
                    checked.add(id(table))
                    column = parts[_table_name(table)]
                    if not _bounds(node.args.get("on"), column, table.alias_or_name):
                        found.append(Unbounded(_table_name(table), column, text))
            elif isinstance(node, exp.Insert):
                target = node.this.find(exp.Table) if node.this else None
                if target is not None:
                    checked.add(id(target))
        for table in statement.find_all(exp.Table):
            if id(table) in checked or _table_name(table) not in parts:
                continue
            select = table.find_ancestor(exp.Select)
            column = parts[_table_name(table)]
            where = select.args.get("where") if select is not None else None
            if not _bounds(where.this if where else None, column, table.alias_or_name):
                found.append(Unbounded(_table_name(table), column, text))
    return found
