"""Validation of Sheets v4 requests against Google's discovery document (the copy shipped inside
google-api-python-client): method + path, query parameters, JSON bodies (unknown fields, types,
enums, int32 ranges) and field masks — what Google checks before it does anything."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient

DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache/documents/sheets.v4.json"
INT32 = (-(2**31), 2**31 - 1)


class Invalid(Exception):
    def __init__(self, message: str, status: int = 400, code: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.status, self.code = status, code


class Discovery:
    """Methods and schemas of the Sheets v4 discovery document."""

    def __init__(self, path: Path = DISCOVERY) -> None:
        doc = json.loads(path.read_text())
        self.schemas: dict[str, Any] = doc["schemas"]
        self.global_params: dict[str, Any] = doc["parameters"]
        self.methods: list[tuple[re.Pattern[str], str, str, dict[str, Any]]] = []

        def walk(res: dict[str, Any], prefix: str) -> None:
            for name, sub in res.get("resources", {}).items():
                for mname, m in sub.get("methods", {}).items():
                    flat = m.get("flatPath") or m["path"]
                    regex = re.sub(
                        r"\{(\w+)\}",
                        lambda g: (
                            f"(?P<{g.group(1)}>[^/:]+(?::[A-Z0-9$]+)?)"
                            if g.group(1) == "range"
                            else f"(?P<{g.group(1)}>[^/:]+)"
                        ),
                        flat,
                    )
                    self.methods.append((re.compile(f"^{regex}$"), m["httpMethod"], f"{prefix}{name}.{mname}", m))
                walk(sub, f"{prefix}{name}.")

        walk(doc, "")
        # most specific literal paths first (":batchUpdate" before the bare spreadsheet path)
        self.methods.sort(key=lambda t: -len(re.sub(r"\(\?P<\w+>[^)]*\)", "", t[0].pattern)))

    def match(self, http_method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]]:
        for regex, verb, method_id, spec in self.methods:
            m = regex.match(path)
            if m and verb == http_method:
                return method_id, spec, {k: unquote(v) for k, v in m.groupdict().items()}
        raise Invalid(f"no Sheets v4 method {http_method} /{path}", 404, "NOT_FOUND")

    def check_query(self, spec: dict[str, Any], query: dict[str, list[str]]) -> None:
        for key, values in query.items():
            p = spec.get("parameters", {}).get(key) or self.global_params.get(key)
            if p is None or p.get("location") != "query":
                raise Invalid(f'Invalid JSON payload received. Unknown name "{key}": Cannot bind query parameter.')
            if len(values) > 1 and not p.get("repeated"):
                raise Invalid(f"query parameter {key} is not repeated but given {len(values)} times")
            for v in values:
                if p.get("type") == "boolean" and v not in ("true", "false"):
                    raise Invalid(f"Invalid value at '{key}' (TYPE_BOOL), \"{v}\"")
                if p.get("type") == "integer" and not re.fullmatch(r"-?\d+", v):
                    raise Invalid(f"Invalid value at '{key}' (TYPE_INT32), \"{v}\"")
                if "enum" in p and v not in p["enum"]:
                    raise Invalid(f"Invalid value at '{key}', \"{v}\"")

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        return schema

    def check(self, value: Any, schema: dict[str, Any], where: str) -> None:
        s = self.resolve(schema)
        t = s.get("type")
        if t == "object":
            if not isinstance(value, dict):
                raise Invalid(f"Invalid value at '{where}': expected an object")
            props = s.get("properties", {})
            for k, v in value.items():
                if k in props:
                    self.check(v, props[k], f"{where}.{k}")
                elif "additionalProperties" in s:
                    self.check(v, s["additionalProperties"], f"{where}.{k}")
                else:
                    raise Invalid(
                        f"Invalid JSON payload received. Unknown name \"{k}\" at '{where}': Cannot find field."
                    )
        elif t == "array":
            if not isinstance(value, list):
                raise Invalid(f"Invalid value at '{where}': expected a list")
            for i, v in enumerate(value):
                self.check(v, s["items"], f"{where}[{i}]")
        elif t == "string":
            if not isinstance(value, str):
                raise Invalid(f"Invalid value at '{where}' (TYPE_STRING), {value!r}")
            if "enum" in s and value not in s["enum"]:
                raise Invalid(f"Invalid value at '{where}' (enum), \"{value}\"")
        elif t == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            if ok and s.get("format") == "int32" and not INT32[0] <= value <= INT32[1]:
                ok = False
            if not ok and not (isinstance(value, str) and re.fullmatch(r"-?\d+", value)):
                raise Invalid(f"Invalid value at '{where}' (TYPE_INT32), {value!r}")
        elif t == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Invalid(f"Invalid value at '{where}' (TYPE_DOUBLE), {value!r}")
        elif t == "boolean":
            if not isinstance(value, bool):
                raise Invalid(f"Invalid value at '{where}' (TYPE_BOOL), {value!r}")
        elif t != "any":
            raise Invalid(f"fake: unknown schema type {t!r} at {where}")

    def check_mask(self, mask: str, schema_name: str, where: str) -> list[str]:
        """Every path of a FieldMask must name a field of ``schema_name`` (arrays walk into items)."""
        paths = [p.strip() for p in mask.split(",") if p.strip()]
        if not paths:
            raise Invalid(f"{where}: at least one field must be specified")
        for path in paths:
            if path == "*":
                continue
            s = self.schemas[schema_name]
            for part in path.split("."):
                s = self.resolve(s)
                if s.get("type") == "array":
                    s = self.resolve(s["items"])
                props = s.get("properties", {})
                if part not in props:
                    raise Invalid(f"Invalid field mask '{path}' at '{where}': no field '{part}'")
                s = props[part]
        return paths
