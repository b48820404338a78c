"""What an API row of each registry dataset looks like, and how sample rows are serialised.

An API row carries exactly the registry's columns, except:

- ``dataset`` only appears in rows from ``/datasets/...`` routes (DISEBSP, BOAV and EBOCF come from
  ``/balancing/settlement/...`` and have no ``dataset`` field; BMUNITS has none either);
- the variant column (BOAV/EBOCF ``bidOffer``) is never in the row: the API puts it in the path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from loaders.registry import Dataset, get_dataset


@lru_cache(maxsize=64)
def api_fields(name: str) -> tuple[str, ...]:
    """Field names of an API row of dataset ``name``, in registry order."""
    ds = get_dataset(name)
    fields = []
    for col in ds.columns:
        if col.name == ds.variant_column:
            continue
        if col.name == "dataset" and not ds.route.startswith("/datasets/"):
            continue
        fields.append(col.name)
    return tuple(fields)


def window_is_date(ds: Dataset) -> bool:
    return ds.window_column is not None and ds.column(ds.window_column).type == "date"


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        # keep the API's own digits (e.g. 18-decimal system prices); Decimal str is valid JSON
        text = str(value)
        if not value.is_finite():
            raise ValueError(f"non-finite number {value!r}")
        return text
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value, allow_nan=False)


def dumps_row(row: Mapping[str, Any]) -> str:
    """One compact JSON line; ``Decimal`` values are written with their exact digits."""
    return _encode(row)


def load_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def unwrap(payload: Any) -> list[dict[str, Any]]:
    """Rows of an API response, whichever envelope it has (bare array, ``{"data": [...]}``)."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        return payload["data"]
    raise ValueError("not an API response: expected a JSON array or an object with a 'data' array")
