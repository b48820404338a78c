"""Check that a row looks like an Insights API row of a registry dataset (names and JSON types)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from loaders.registry import get_dataset
from loaders.samples.shape import api_fields

_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _type_error(type_: str, value: Any) -> str | None:
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float | Decimal) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "json": isinstance(value, dict | list),
        "timestamp": isinstance(value, str) and bool(_TS.match(value)),
        "date": isinstance(value, str) and len(value) == 10,
    }[type_]
    if ok and type_ == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            ok = False
    return None if ok else f"expected {type_}, got {value!r}"


def row_errors(dataset: str, row: dict[str, Any], allow_missing_nullable: bool = False) -> list[str]:
    """Problems with ``row`` as an API row of ``dataset`` (empty list = valid).

    Fields must be exactly the API fields (``allow_missing_nullable``: nullable ones may be absent,
    as the REMIT API does); required fields non-null; every non-null value of its registry type.
    """
    ds = get_dataset(dataset)
    fields = api_fields(ds.name)
    errors = [f"unexpected field {k!r}" for k in row if k not in fields]
    for name in fields:
        col = ds.column(name)
        if name not in row:
            if col.required or not allow_missing_nullable:
                errors.append(f"missing field {name!r}")
            continue
        value = row[name]
        if value is None:
            if col.required:
                errors.append(f"required field {name!r} is null")
            continue
        problem = _type_error(col.type, value)
        if problem:
            errors.append(f"{name}: {problem}")
    return errors
