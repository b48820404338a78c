"""Check registry entries against Elexon's OpenAPI document (``docs/reference/insights_openapi.json``).

The live Insights API silently ignores a query parameter it does not know (it then returns its default:
the latest data), so a misspelt parameter name never fails at run time. This module checks, for every
registry entry, the requests **the loader itself builds** (``loaders.api.windows.split_windows`` and
``build_request`` for a sample settlement day, every route variant) against the document:

* the request path matches one of the document's path templates (literal segments equal; each path
  parameter's value fits its schema: enum, ``date`` format, integer);
* every query parameter sent exists on that operation (and its value fits the parameter's schema);
* every parameter the document marks required is sent;
* the entry's envelope matches the 200 response schema: bare array, ``{data}`` or ``{data, metadata}``;
* every typed column exists as a property of the response item schema (``$ref``/``allOf`` followed)
  with a compatible type. The variant column (e.g. BOAV's ``bidOffer``) is exempt: the loader adds it
  from the route variant, the API only has it in the path. So is ``dataset`` where the route lacks it
  (the settlement routes of DISEBSP, BOAV, EBOCF) *if* the dataset is on IRIS and the column nullable:
  every IRIS record carries ``dataset`` (the IRIS decoder routes on it); API rows hold NULL.

``python -m loaders.openapi_contract`` prints the problems (exit 1 if any) and the document's
``/datasets/{CODE}`` and ``/data-status/{dataset}`` routes the registry does not cover yet.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from loaders.api.windows import Request, build_request, split_windows
from loaders.registry import DATASETS, Dataset, Envelope
from loaders.time_window import Window

DOCUMENT_PATH = Path(__file__).resolve().parents[1] / "docs" / "reference" / "insights_openapi.json"

# A plain settlement day (48 periods, no clock change) the sample requests are built for.
SAMPLE_DAY = date(2024, 6, 12)

# Registry column type -> the OpenAPI (type, format) pairs it can hold without loss. A `number` column
# also takes integers (widening); `string` takes any string without a date/date-time format.
_COMPATIBLE: dict[str, Callable[[str | None, str | None], bool]] = {
    "timestamp": lambda t, f: t == "string" and f == "date-time",
    "date": lambda t, f: t == "string" and f == "date",
    "integer": lambda t, f: t == "integer",
    "number": lambda t, f: t in ("number", "integer"),
    "boolean": lambda t, f: t == "boolean",
    "json": lambda t, f: t in ("object", "array"),
    "string": lambda t, f: t == "string" and f not in ("date", "date-time"),
}

RequestBuilder = Callable[..., Request]

# Fields every IRIS record carries that some API routes lack: exempt from the column check when the
# dataset is on IRIS and the column is nullable (its API rows hold NULL).
IRIS_RECORD_FIELDS = frozenset({"dataset"})


@dataclass(frozen=True)
class Problem:
    """One mismatch between a registry entry and the document."""

    dataset: str
    route: str  # the request path (or the registry route when no request could be matched)
    kind: str  # 'route' | 'parameter' | 'required' | 'envelope' | 'column' | 'type'
    name: str | None  # the offending parameter or field
    message: str

    def __str__(self) -> str:
        return f"{self.dataset} {self.route}: {self.message}"


def _value_fits(schema: Mapping[str, Any], value: str) -> bool:
    """Whether a path/query string value fits a (resolved) parameter schema."""
    if "enum" in schema:
        return value in schema["enum"]
    type_, fmt = schema.get("type"), schema.get("format")
    if type_ == "array":
        return _value_fits(schema.get("items", {}), value)
    try:
        if type_ == "integer":
            int(value)
        elif type_ == "number":
            float(value)
        elif type_ == "boolean":
            return value in ("true", "false")
        elif fmt == "date":
            date.fromisoformat(value)
        elif fmt == "date-time":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class OpenApiDocument:
    """The parts of an OpenAPI 3 document the contract check needs."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.paths: Mapping[str, Any] = document.get("paths", {})

    @classmethod
    def load(cls, path: Path = DOCUMENT_PATH) -> OpenApiDocument:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def resolve(self, schema: Mapping[str, Any] | None) -> dict[str, Any]:
        """Follow ``$ref`` (and a single-element ``allOf``) to the schema itself."""
        seen = 0
        node: Mapping[str, Any] = schema or {}
        while True:
            if "$ref" in node:
                ref = node["$ref"]
                if not ref.startswith("#/"):
                    raise ValueError(f"external $ref {ref!r} is not supported")
                target: Any = self.document
                for part in ref[2:].split("/"):
                    target = target[part.replace("~1", "/").replace("~0", "~")]
                node = target
            elif len(node.get("allOf", ())) == 1 and "type" not in node:
                node = node["allOf"][0]
            else:
                return dict(node)
            seen += 1
            if seen > 50:
                raise ValueError("$ref cycle")

    # -- routes --------------------------------------------------------------------------------
    def operation(self, template: str) -> Mapping[str, Any]:
        return self.paths[template]["get"]

    def parameters(self, template: str) -> list[dict[str, Any]]:
        """The GET operation's parameters (path-level ones included, operation-level win)."""
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for p in (*self.paths[template].get("parameters", ()), *self.operation(template).get("parameters", ())):
            p = self.resolve(p)
            merged[(p["name"], p["in"])] = p
        return list(merged.values())

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The GET template a concrete request path matches, with its path-parameter values.

        Literal segments must be equal; a ``{param}`` segment takes any value that fits the
        parameter's schema. Where several templates match, the one with most literal segments wins."""
        segments = path.strip("/").split("/")
        best: tuple[int, str, dict[str, str]] | None = None
        for template, item in self.paths.items():
            if "get" not in item:
                continue
            parts = template.strip("/").split("/")
            if len(parts) != len(segments):
                continue
            schemas = {p["name"]: self.resolve(p.get("schema")) for p in self.parameters(template) if p["in"] == "path"}
            values: dict[str, str] = {}
            literal = 0
            for part, seg in zip(parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    name = part[1:-1]
                    if not seg or not _value_fits(schemas.get(name, {}), seg):
                        break
                    values[name] = seg
                elif part == seg:
                    literal += 1
                else:
                    break
            else:
                if best is None or literal > best[0]:
                    best = (literal, template, values)
        return (best[1], best[2]) if best else None

    # -- responses -----------------------------------------------------------------------------
    def response_schema(self, template: str) -> dict[str, Any]:
        """The 200 (or first 2xx) ``application/json`` response schema of the GET operation."""
        responses = self.operation(template).get("responses", {})
        ok: dict[str, Any] = responses.get("200") or next((v for k, v in responses.items() if k.startswith("2")), {})
        content = self.resolve(ok).get("content", {})
        media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
        return self.resolve(media.get("schema"))

    def envelope(self, template: str) -> tuple[Envelope | None, dict[str, Any]]:
        """The response's envelope and its item schema (resolved); (None, {}) if neither fits."""
        schema = self.response_schema(template)
        if schema.get("type") == "array":
            return Envelope.ARRAY, self.resolve(schema.get("items"))
        props = schema.get("properties", {})
        data = self.resolve(props.get("data")) if "data" in props else {}
        if data.get("type") != "array":
            return None, {}
        item = self.resolve(data.get("items"))
        if set(props) == {"data"}:
            return Envelope.DATA, item
        if set(props) == {"data", "metadata"}:
            return Envelope.DATA_METADATA, item
        return None, item

    def property_type(self, schema: Mapping[str, Any]) -> tuple[str | None, str | None]:
        s = self.resolve(schema)
        type_ = s.get("type") or ("object" if "properties" in s else None)
        return type_, s.get("format")

    # -- coverage ------------------------------------------------------------------------------
    @cached_property
    def dataset_routes(self) -> dict[str, list[str]]:
        """``/datasets/{CODE}…`` routes of the document, by dataset code (upper case: this leaves out
        ``/datasets/metadata/latest``, a listing of datasets, not a dataset)."""
        out: dict[str, list[str]] = {}
        for template in self.paths:
            parts = template.strip("/").split("/")
            if parts[0] == "datasets" and len(parts) > 1 and parts[1].isupper():
                out.setdefault(parts[1], []).append(template)
        return dict(sorted(out.items()))

    @cached_property
    def data_status_routes(self) -> dict[str, str]:
        """``/data-status/{dataset}`` routes of the document, by dataset code."""
        out = {}
        for template in self.paths:
            parts = template.strip("/").split("/")
            if parts[0] == "data-status" and len(parts) == 2:
                out[parts[1]] = template
        return dict(sorted(out.items()))


# -- the checks --------------------------------------------------------------------------------


def sample_requests(dataset: Dataset, build: RequestBuilder = build_request, day: date = SAMPLE_DAY) -> list[Request]:
    """The requests the loader makes for one settlement day of ``dataset`` (every window and variant)."""
    windows: list[Window | None] = [*split_windows(dataset, day, day)] or [None]
    return [build(dataset, w, v) for w in windows for v in (dataset.variants or (None,))]


def check_request(doc: OpenApiDocument, dataset: Dataset, request: Request) -> list[Problem]:
    """Route, parameters, envelope and columns of one request of ``dataset``."""
    name = dataset.name
    matched = doc.match(request.path)
    if matched is None:
        return [Problem(name, request.path, "route", None, f"no GET route of the document matches {request.path!r}")]
    template, _ = matched
    problems: list[Problem] = []

    def problem(kind: str, field: str | None, message: str) -> None:
        problems.append(Problem(name, template, kind, field, message))

    params = doc.parameters(template)
    query = {p["name"]: p for p in params if p["in"] == "query"}
    sent = [k for k, _ in request.params]
    for key, value in request.params:
        if key not in query:
            known = ", ".join(sorted(query)) or "none"
            problem("parameter", key, f"query parameter {key!r} is not a parameter of this route (it has: {known})")
        elif not _value_fits(doc.resolve(query[key].get("schema")), value):
            problem("parameter", key, f"query parameter {key!r}={value!r} does not fit the route's schema for it")
    for key, p in query.items():
        if p.get("required") and key not in sent:
            problem("required", key, f"required query parameter {key!r} is not sent")

    envelope, item = doc.envelope(template)
    if envelope is not dataset.envelope:
        found = envelope.value if envelope else "neither a bare array nor {data[, metadata]}"
        problem("envelope", None, f"envelope is {dataset.envelope.value!r} in the registry but {found} in the document")
    if not item:
        return problems
    properties = item.get("properties", {})
    for column in dataset.columns:
        if column.name == dataset.variant_column:
            continue  # added by the loader from the route variant; not an API field
        if column.name not in properties:
            if column.name in IRIS_RECORD_FIELDS and dataset.iris and not column.required:
                continue  # an IRIS record field; NULL in this route's API rows
            problem("column", column.name, f"column {column.name!r} is not a field of the response items")
            continue
        type_, fmt = doc.property_type(properties[column.name])
        if not _COMPATIBLE[column.type](type_, fmt):
            spec = f"{type_}/{fmt}" if fmt else str(type_)
            problem(
                "type",
                column.name,
                f"column {column.name!r} is {column.type} in the registry but {spec} in the document",
            )
    return problems


def check_dataset(
    doc: OpenApiDocument, dataset: Dataset, build: RequestBuilder = build_request, day: date = SAMPLE_DAY
) -> list[Problem]:
    """Every problem of one registry entry (duplicates across windows/variants dropped)."""
    problems: dict[Problem, None] = {}
    for request in sample_requests(dataset, build, day):
        problems.update(dict.fromkeys(check_request(doc, dataset, request)))
    return list(problems)


def check_registry(
    doc: OpenApiDocument, datasets: Iterable[Dataset] | None = None, build: RequestBuilder = build_request
) -> list[Problem]:
    chosen = list(DATASETS.values()) if datasets is None else list(datasets)
    return [p for d in chosen for p in check_dataset(doc, d, build)]


def _covered_codes(datasets: Iterable[Dataset]) -> set[str]:
    """Document dataset codes the registry covers: by name, or by fetching a ``/datasets/{CODE}`` route."""
    codes = set()
    for d in datasets:
        codes.add(d.name)
        parts = d.route.strip("/").split("/")
        if parts[0] == "datasets" and len(parts) > 1:
            codes.add(parts[1])
    return codes


def uncovered_dataset_routes(doc: OpenApiDocument, datasets: Iterable[Dataset] | None = None) -> dict[str, list[str]]:
    """The document's ``/datasets/{CODE}`` routes (by code) for codes the registry has no entry for."""
    covered = _covered_codes(DATASETS.values() if datasets is None else datasets)
    return {code: routes for code, routes in doc.dataset_routes.items() if code not in covered}


def uncovered_data_status_routes(doc: OpenApiDocument, datasets: Iterable[Dataset] | None = None) -> dict[str, str]:
    """The document's ``/data-status/{dataset}`` routes whose dataset the registry has no entry for."""
    covered = _covered_codes(DATASETS.values() if datasets is None else datasets)
    return {code: route for code, route in doc.data_status_routes.items() if code not in covered}


def main() -> int:
    doc = OpenApiDocument.load()
    problems = check_registry(doc)
    for p in problems:
        print(f"PROBLEM {p}")
    print(f"{len(DATASETS)} registry datasets checked against {DOCUMENT_PATH.name}: {len(problems)} problems")
    uncovered = uncovered_dataset_routes(doc)
    print(f"\n/datasets/{{CODE}} codes not in the registry ({len(uncovered)}):")
    for code, routes in uncovered.items():
        print(f"  {code}: {', '.join(routes)}")
    status = doc.data_status_routes
    print(f"\n/data-status routes ({len(status)}; * = not in the registry):")
    covered = _covered_codes(DATASETS.values())
    for code, route in status.items():
        print(f"  {route}{'' if code in covered else ' *'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
