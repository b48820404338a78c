"""Records shaped like Elexon's own, built from the OpenAPI document in ``docs/reference/``.

``example_record("AcceptanceVolumeResponse")`` is one row of that schema: every property with the
document's own example value (nested ``$ref`` objects resolved the same way). Tests change only the
values they are about, so the field names and shapes are Elexon's, not ours."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "reference" / "insights_openapi.json"


@cache
def _schemas() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))["components"]["schemas"]


def schema(suffix: str) -> dict[str, Any]:
    """The one component schema whose name ends with ``.<suffix>``."""
    names = [n for n in _schemas() if n.endswith("." + suffix) and "-1_" not in n]
    if len(names) != 1:
        raise KeyError(f"{suffix}: {len(names)} schemas match: {names}")
    return _schemas()[names[0]]


def _value(prop: dict[str, Any]) -> Any:
    if "$ref" in prop:
        return _object(_schemas()[prop["$ref"].rsplit("/", 1)[1]])
    return copy.deepcopy(prop.get("example"))


def _object(s: dict[str, Any]) -> dict[str, Any]:
    return {name: _value(prop) for name, prop in s.get("properties", {}).items()}


def example_record(suffix: str, **overrides: Any) -> dict[str, Any]:
    """One record of schema ``suffix`` with the document's examples, then ``overrides``."""
    return {**_object(schema(suffix)), **overrides}
