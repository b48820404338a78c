"""Statement parameters rendered as DuckDB SQL literals.

DuckDB's Python client (1.5) imports pandas and NumPy the first time a statement is executed with
parameters, to check whether a parameter is one of their types. That costs every loader process
~85 MB of memory and ~0.5 s, whatever it loads: a backfill of four SYSWARN rows peaked at 224 MB,
most of it pandas. The loaders never hand DuckDB a parameter: ``bind`` puts each value into the
statement as a literal instead (strings quoted, timestamps and dates typed), which DuckDB parses as
it would the bound value. Only values of the types below are accepted; anything else is an error,
not a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import duckdb


def literal(value: Any) -> str:
    """One value as a DuckDB literal: NULL, TRUE/FALSE, a number, a quoted string, TIMESTAMP/DATE."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"no SQL literal for the float {value!r}")
        return f"CAST('{value!r}' AS DOUBLE)"  # a bare 1.5 would be read as a DECIMAL
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # as DuckDB compares it in the writer's session time zone, UTC
            value = value.astimezone(UTC).replace(tzinfo=None)
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    raise TypeError(f"no SQL literal for {type(value).__name__} {value!r}")


def bind(sql: str, params: Sequence[Any] | None) -> str:
    """``sql`` with each ``?`` placeholder outside quotes replaced by the literal of the next
    parameter. The number of placeholders must equal the number of parameters."""
    params = list(params or [])
    if not params and "?" not in sql:
        return sql
    out: list[str] = []
    used = 0
    quote: str | None = None  # the quote character we are inside, if any
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None  # a doubled quote ('') closes and reopens: the same result
            out.append(ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            if used == len(params):
                raise ValueError(f"more placeholders than the {len(params)} parameter(s) in: {sql[:200]}")
            out.append(literal(params[used]))
            used += 1
        else:
            out.append(ch)
    if used != len(params):
        raise ValueError(f"{len(params)} parameter(s) for {used} placeholder(s) in: {sql[:200]}")
    return "".join(out)


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> duckdb.DuckDBPyConnection:
    """``con.execute`` of ``sql`` with ``params`` put in as literals (``bind``): what the loaders call
    instead of handing DuckDB a parameter."""
    return con.execute(bind(sql, params))


def fill_temp_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    chunk: int = 500,
) -> None:
    """(Re)create the temp table ``name`` with ``columns`` ((name, DuckDB type)) holding ``rows``,
    inserted as VALUES literals ``chunk`` rows a statement: the loaders' way to hand DuckDB a small
    table of Python values (``con.register`` of an Arrow table imports pandas as a parameter does)."""
    cols = ", ".join(f'"{c}" {t}' for c, t in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
    for start in range(0, len(rows), chunk):
        values = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows[start : start + chunk])
        con.execute(f"INSERT INTO {name} VALUES {values}")
