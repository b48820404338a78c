"""A fake Google Sheets v4 API (and OAuth token endpoint) on loopback, for the exporter tests.

Every request is validated against Google's own Sheets v4 discovery document, as shipped inside
google-api-python-client: the HTTP method and path must match a documented method, every query
parameter must be one the method (or the API) documents, with the documented type/enum, and the JSON
body must match the method's request schema — unknown fields, wrong types, bad enum values, field
masks naming fields that do not exist and Request objects with other than exactly one kind all fail
with 400, as they would at Google. Each problem is also recorded in ``server.errors`` so a test can
assert the exporter never sent a malformed request.

Semantics implemented (enough for the exporter, applied atomically like Google does): spreadsheets.get
(with ``fields`` masks: properties, conditionalFormats, charts), spreadsheets.batchUpdate with
``addSheet``, ``appendDimension``, ``updateCells`` (range + rows + field mask: the part of the range the
rows do not cover is cleared, a range beyond the grid is an error; an ExtendedValue must hold exactly
one kind of value and a formulaValue must start with '='), ``repeatCell``, ``addConditionalFormatRule``
/ ``deleteConditionalFormatRule`` (ranges inside the grid, exactly one of booleanRule/gradientRule,
the condition's number of values, index in range), ``addChart`` (every source range and the anchor
cell inside an existing grid, unique chartId) and ``deleteEmbeddedObject``. Other request kinds answer
400 ("not implemented by the fake").

Authentication: POST /token (the key file's token_uri) takes the service-account JWT-bearer grant; the
JWT's RS256 signature is verified with the test key's public half, and its claims (iss, aud = Google's
token audience, scope, exp) are checked. API calls need the issued bearer token.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.python.sheets_discovery import Discovery, Invalid

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/spreadsheets"


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class FakeSheets:
    """State of the fake service plus fault injection."""

    def __init__(self, client_email: str, public_key: rsa.RSAPublicKey, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # Google's clock (the soak's is simulated): checks the JWT's expiry
        self.discovery = Discovery()
        self.client_email = client_email
        self.public_key = public_key
        self.spreadsheets: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.errors: list[str] = []  # validation failures: the exporter sent something Google rejects
        self.calls: list[tuple[str, str]] = []  # (method id, spreadsheet id) of every API call
        self.faults: list[dict[str, Any]] = []
        self.token_uri = ""
        self.lock = threading.Lock()

    # -- test helpers ---------------------------------------------------------------------------
    def add_spreadsheet(self, sid: str, tabs: dict[str, tuple[int, int]] | None = None) -> None:
        sheets = [self._new_sheet(i, t, r, c) for i, (t, (r, c)) in enumerate((tabs or {"Sheet1": (1000, 26)}).items())]
        self.spreadsheets[sid] = {"title": f"fake {sid}", "sheets": sheets}

    @staticmethod
    def _new_sheet(sheet_id: int, title: str, rows: int, cols: int) -> dict[str, Any]:
        props = {
            "sheetId": sheet_id,
            "title": title,
            "index": 0,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": rows, "columnCount": cols},
        }
        return {"properties": props, "cells": {}, "conditionalFormats": [], "charts": []}

    def fail(
        self,
        method_id: str,
        status: int,
        times: int = 1,
        when: Callable[[dict], bool] | None = None,
        retry_after: str | None = None,
    ) -> None:
        self.faults.append(
            {
                "method": method_id,
                "status": status,
                "times": times,
                "when": when or (lambda body: True),
                "retry_after": retry_after,
            }
        )

    def sheet(self, sid: str, title: str) -> dict[str, Any]:
        for s in self.spreadsheets[sid]["sheets"]:
            if s["properties"]["title"] == title:
                return s
        raise KeyError(title)

    def values(self, sid: str, title: str) -> list[list[Any]]:
        """The grid's user-entered values as Python values, trailing empty rows/cells trimmed."""
        cells = self.sheet(sid, title)["cells"]
        if not cells:
            return []
        rows = max(r for r, _ in cells) + 1
        cols = max(c for _, c in cells) + 1
        grid = [[_plain(cells.get((r, c))) for c in range(cols)] for r in range(rows)]
        while grid and all(v is None for v in grid[-1]):
            grid.pop()
        return [_trim(row) for row in grid]

    def cell(self, sid: str, title: str, row: int, col: int) -> dict[str, Any]:
        return self.sheet(sid, title)["cells"].get((row, col), {})

    # -- request handling ------------------------------------------------------------------------
    def handle(self, verb: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any], dict]:
        parts = urlsplit(raw_path)
        method_id = "?"
        try:
            if parts.path == "/token" and verb == "POST":
                method_id = "oauth.token"
                return 200, self._token(body), {}
            method_id, spec, path_params = self.discovery.match(verb, parts.path.lstrip("/"))
            self.discovery.check_query(spec, parse_qs(parts.query, keep_blank_values=True))
            doc = json.loads(body) if body else None
            if spec.get("request"):
                if doc is None:
                    raise Invalid("request body required")
                self.discovery.check(doc, spec["request"], "")
            elif doc is not None:
                raise Invalid(f"{method_id} takes no request body")
            auth = headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                raise Invalid("Request had invalid authentication credentials.", 401, "UNAUTHENTICATED")
            sid = path_params.get("spreadsheetId", "")
            with self.lock:
                self.calls.append((method_id, sid))
                for f in self.faults:
                    if f["times"] > 0 and f["method"] == method_id and f["when"](doc or {}):
                        f["times"] -= 1
                        extra = {"Retry-After": f["retry_after"]} if f["retry_after"] else {}
                        return f["status"], _error(f["status"], "injected fault", "UNAVAILABLE"), extra
                if sid not in self.spreadsheets:
                    raise Invalid(f"Requested entity was not found: {sid}", 404, "NOT_FOUND")
                if method_id == "spreadsheets.get":
                    return 200, self._get(sid, parse_qs(parts.query).get("fields", [""])[0]), {}
                if method_id == "spreadsheets.batchUpdate":
                    return 200, self._batch_update(sid, doc), {}
                raise Invalid(f"{method_id} is not implemented by the fake", 501, "UNIMPLEMENTED")
        except Invalid as exc:  # every one is something Google would reject too
            self.errors.append(f"{verb} {parts.path} ({method_id}): {exc}")
            return exc.status, _error(exc.status, str(exc), exc.code), {}

    def _token(self, body: bytes) -> dict[str, Any]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise Invalid(f"unsupported_grant_type {form.get('grant_type')!r}", 400, "invalid_grant")
        try:
            header_b64, claims_b64, sig_b64 = form["assertion"].split(".")
            self.public_key.verify(
                _b64d(sig_b64), f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            header, claims = json.loads(_b64d(header_b64)), json.loads(_b64d(claims_b64))
        except (KeyError, ValueError, InvalidSignature) as exc:
            raise Invalid(f"invalid_grant: bad assertion ({type(exc).__name__})", 400, "invalid_grant") from None
        problems = [
            header.get("alg") != "RS256" and "alg",
            claims.get("iss") != self.client_email and "iss",
            claims.get("aud") != GOOGLE_TOKEN_AUDIENCE and "aud",  # Google's fixed audience
            SCOPE not in str(claims.get("scope", "")).split() and "scope",
            not claims.get("exp", 0) > self.clock() and "exp",
        ]
        if any(problems):
            raise Invalid(f"invalid_grant: bad claims {[p for p in problems if p]}", 400, "invalid_grant")
        token = f"fake-token-{len(self.tokens) + 1}"
        self.tokens.add(token)
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _get(self, sid: str, fields: str) -> dict[str, Any]:
        if fields:
            self.discovery.check_mask(fields, "Spreadsheet", "fields")
        ss = self.spreadsheets[sid]
        paths = [p.strip() for p in fields.split(",") if p.strip()]
        only_sheets = bool(paths) and all(p.startswith("sheets.") for p in paths)
        wanted = {p.split(".")[1] for p in paths if p.startswith("sheets.")} if only_sheets else None
        sheets = []
        for s in ss["sheets"]:
            out: dict[str, Any] = {"properties": copy.deepcopy(s["properties"])}
            if s["conditionalFormats"]:
                out["conditionalFormats"] = copy.deepcopy(s["conditionalFormats"])
            if s["charts"]:
                charts = copy.deepcopy(s["charts"])
                if "sheets.charts.chartId" in paths:
                    charts = [{"chartId": c["chartId"]} for c in charts]
                out["charts"] = charts
            sheets.append({k: v for k, v in out.items() if wanted is None or k in wanted})
        if only_sheets:
            return {"sheets": sheets}
        return {"spreadsheetId": sid, "properties": {"title": ss["title"]}, "sheets": sheets}

    def _batch_update(self, sid: str, doc: dict[str, Any]) -> dict[str, Any]:
        state = copy.deepcopy(self.spreadsheets[sid])  # applied to a copy: all or nothing
        replies = []
        for i, req in enumerate(doc.get("requests", [])):
            if len(req) != 1:
                raise Invalid(f"requests[{i}]: exactly one kind of request must be set, got {sorted(req)}")
            kind, body = next(iter(req.items()))
            replies.append(getattr(self, f"_req_{kind}", self._unsupported)(state, body, f"requests[{i}].{kind}"))
        self.spreadsheets[sid] = state
        return {"spreadsheetId": sid, "replies": replies}

    def _unsupported(self, state: dict, body: dict, where: str) -> dict:
        raise Invalid(f"{where}: not implemented by the fake")

    @staticmethod
    def _by_id(state: dict, sheet_id: Any, where: str) -> dict[str, Any]:
        for s in state["sheets"]:
            if s["properties"]["sheetId"] == int(sheet_id):
                return s
        raise Invalid(f"{where}: No grid with id: {sheet_id}")

    def _req_addSheet(self, state: dict, body: dict, where: str) -> dict:
        props = copy.deepcopy(body.get("properties", {}))
        titles = {s["properties"]["title"] for s in state["sheets"]}
        ids = {s["properties"]["sheetId"] for s in state["sheets"]}
        if props.get("title") in titles:
            raise Invalid(f'{where}: A sheet with the name "{props["title"]}" already exists.')
        sheet_id = int(props.get("sheetId", max(ids, default=0) + 1))
        if sheet_id in ids:
            raise Invalid(f"{where}: sheet id {sheet_id} is already in use")
        grid = props.get("gridProperties", {})
        sheet = self._new_sheet(
            sheet_id,
            props.get("title") or f"Sheet{len(ids) + 1}",
            int(grid.get("rowCount", 1000)),
            int(grid.get("columnCount", 26)),
        )
        sheet["properties"]["index"] = len(state["sheets"])
        state["sheets"].append(sheet)
        return {"addSheet": {"properties": copy.deepcopy(sheet["properties"])}}

    def _req_appendDimension(self, state: dict, body: dict, where: str) -> dict:
        sheet = self._by_id(state, body.get("sheetId", 0), where)
        length = int(body.get("length", 0))
        if length <= 0:
            raise Invalid(f"{where}: length must be positive")
        grid = sheet["properties"]["gridProperties"]
        key = {"ROWS": "rowCount", "COLUMNS": "columnCount"}.get(body.get("dimension", ""))
        if key is None:
            raise Invalid(f"{where}: dimension must be ROWS or COLUMNS")
        grid[key] += length
        return {}

    def _grid_range(self, state: dict, rng: dict, where: str) -> tuple[dict, int, int, int, int]:
        """A GridRange's sheet and bounds (unbounded sides = the grid's edge); outside the grid: 400."""
        sheet = self._by_id(state, rng.get("sheetId", 0), where)
        grid = sheet["properties"]["gridProperties"]
        r0, c0 = int(rng.get("startRowIndex", 0)), int(rng.get("startColumnIndex", 0))
        r1, c1 = int(rng.get("endRowIndex", grid["rowCount"])), int(rng.get("endColumnIndex", grid["columnCount"]))
        if not (0 <= r0 <= r1 <= grid["rowCount"] and 0 <= c0 <= c1 <= grid["columnCount"]):
            raise Invalid(
                f"{where}: Range exceeds grid limits. Max rows: {grid['rowCount']}, max columns: {grid['columnCount']}"
            )
        return sheet, r0, r1, c0, c1

    @staticmethod
    def _check_cell(cell: dict, where: str) -> None:
        for key in ("userEnteredValue", "effectiveValue"):
            value = cell.get(key)
            if value is None:
                continue
            if len(value) != 1:
                raise Invalid(f"{where}.{key}: exactly one kind of value must be set, got {sorted(value)}")
            formula = value.get("formulaValue")
            if formula is not None and not formula.startswith("="):
                raise Invalid(f"{where}.{key}.formulaValue: a formula must start with '=', got {formula[:40]!r}")

    def _req_repeatCell(self, state: dict, body: dict, where: str) -> dict:
        paths = self.discovery.check_mask(body.get("fields", ""), "CellData", f"{where}.fields")
        if "range" not in body:
            raise Invalid(f"{where}: range is required")
        sheet, r0, r1, c0, c1 = self._grid_range(state, body["range"], where)
        new = body.get("cell", {})
        self._check_cell(new, f"{where}.cell")
        for r in range(r0, r1):
            for c in range(c0, c1):
                cur = sheet["cells"].get((r, c), {})
                for path in paths:
                    cur = _apply_path(cur, new, path)
                if cur:
                    sheet["cells"][(r, c)] = cur
                else:
                    sheet["cells"].pop((r, c), None)
        return {}

    _CONDITION_VALUES: ClassVar[dict[str, int]] = {
        "NUMBER_BETWEEN": 2,
        "NUMBER_NOT_BETWEEN": 2,
        "BLANK": 0,
        "NOT_BLANK": 0,
    }

    def _req_addConditionalFormatRule(self, state: dict, body: dict, where: str) -> dict:
        rule = body.get("rule")
        if not rule:
            raise Invalid(f"{where}: rule is required")
        ranges = rule.get("ranges") or []
        if not ranges:
            raise Invalid(f"{where}.rule.ranges: at least one range is required")
        sheets = {id(self._grid_range(state, g, f"{where}.rule.ranges[{i}]")[0]) for i, g in enumerate(ranges)}
        if len(sheets) != 1:
            raise Invalid(f"{where}.rule.ranges: all ranges must be on the same sheet")
        if ("booleanRule" in rule) == ("gradientRule" in rule):
            raise Invalid(f"{where}.rule: exactly one of booleanRule or gradientRule must be set")
        if "booleanRule" in rule:
            cond = rule["booleanRule"].get("condition") or {}
            if "type" not in cond:
                raise Invalid(f"{where}.rule.booleanRule.condition.type is required")
            want = self._CONDITION_VALUES.get(cond["type"], 1 if cond["type"].startswith("NUMBER_") else None)
            got = len(cond.get("values", []))
            if want is not None and got != want:
                raise Invalid(f"{where}: condition {cond['type']} takes {want} value(s), got {got}")
            if cond["type"].startswith("NUMBER_"):
                for v in cond.get("values", []):
                    try:
                        float(v.get("userEnteredValue", ""))
                    except ValueError:
                        raise Invalid(f"{where}: {cond['type']} needs numbers, got {v!r}") from None
        sheet = self._grid_range(state, ranges[0], where)[0]
        index = int(body.get("index", 0))
        if not 0 <= index <= len(sheet["conditionalFormats"]):
            raise Invalid(f"{where}.index: {index} is out of range (0..{len(sheet['conditionalFormats'])})")
        sheet["conditionalFormats"].insert(index, copy.deepcopy(rule))
        return {}

    def _req_deleteConditionalFormatRule(self, state: dict, body: dict, where: str) -> dict:
        sheet = self._by_id(state, body.get("sheetId", 0), where)
        index = int(body.get("index", 0))
        if not 0 <= index < len(sheet["conditionalFormats"]):
            raise Invalid(f"{where}: No conditional format on sheet {body.get('sheetId', 0)} at index {index}")
        return {"deleteConditionalFormatRule": {"rule": sheet["conditionalFormats"].pop(index)}}

    def _req_addChart(self, state: dict, body: dict, where: str) -> dict:
        chart = copy.deepcopy(body.get("chart") or {})
        spec = chart.get("spec") or {}
        kinds = [k for k in spec if k.endswith("Chart")]
        if len(kinds) != 1:
            raise Invalid(f"{where}.chart.spec: exactly one chart kind must be set, got {kinds}")
        basic = spec.get("basicChart")
        if basic is not None:
            if "chartType" not in basic:
                raise Invalid(f"{where}.chart.spec.basicChart.chartType is required")
            sources = [d.get("domain", {}) for d in basic.get("domains", [])]
            sources += [s.get("series", {}) for s in basic.get("series", [])]
            if not basic.get("series"):
                raise Invalid(f"{where}.chart.spec.basicChart: at least one series is required")
            for i, src in enumerate(sources):
                ranges = (src.get("sourceRange") or {}).get("sources") or []
                if not ranges:
                    raise Invalid(f"{where}: chart data {i} has no sourceRange.sources")
                for g in ranges:
                    self._grid_range(state, g, f"{where}: chart data {i}")
        pos = chart.get("position") or {}
        overlay = pos.get("overlayPosition")
        if overlay is not None:
            anchor = overlay.get("anchorCell") or {}
            sheet = self._by_id(state, anchor.get("sheetId", 0), f"{where}.chart.position")
            grid = sheet["properties"]["gridProperties"]
            row, col = anchor.get("rowIndex", 0), anchor.get("columnIndex", 0)
            if not (0 <= row < grid["rowCount"] and 0 <= col < grid["columnCount"]):
                raise Invalid(f"{where}.chart.position.overlayPosition.anchorCell is outside the grid")
        elif pos.get("sheetId") is not None:
            sheet = self._by_id(state, pos["sheetId"], f"{where}.chart.position")
        elif pos.get("newSheet"):
            raise Invalid(f"{where}: newSheet charts are not implemented by the fake")
        else:
            raise Invalid(f"{where}.chart.position is required")
        ids = {c["chartId"] for s in state["sheets"] for c in s["charts"]}
        chart_id = int(chart.get("chartId", max(ids, default=0) + 1))
        if chart_id in ids:
            raise Invalid(f"{where}: chart id {chart_id} is already in use")
        chart["chartId"] = chart_id
        sheet["charts"].append(chart)
        return {"addChart": {"chart": copy.deepcopy(chart)}}

    def _req_deleteEmbeddedObject(self, state: dict, body: dict, where: str) -> dict:
        oid = int(body.get("objectId", -1))
        for s in state["sheets"]:
            for c in s["charts"]:
                if c["chartId"] == oid:
                    s["charts"].remove(c)
                    return {}
        raise Invalid(f"{where}: No embedded object with id: {oid}")

    def _req_updateCells(self, state: dict, body: dict, where: str) -> dict:
        paths = self.discovery.check_mask(body.get("fields", ""), "CellData", f"{where}.fields")
        if ("range" in body) == ("start" in body):
            raise Invalid(f"{where}: exactly one of range or start must be set")
        rows = body.get("rows", [])
        for i, row in enumerate(rows):
            for j, cell in enumerate(row.get("values", [])):
                self._check_cell(cell, f"{where}.rows[{i}].values[{j}]")
        if "range" in body:
            sheet, r0, r1, c0, c1 = self._grid_range(state, body["range"], where)
            if len(rows) > r1 - r0 or any(len(r.get("values", [])) > c1 - c0 for r in rows):
                raise Invalid(f"{where}: the rows do not fit in the range")
            targets = [(r, c) for r in range(r0, r1) for c in range(c0, c1)]
        else:
            start = body["start"]
            sheet = self._by_id(state, start.get("sheetId", 0), where)
            r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
            targets = [(r0 + i, c0 + j) for i, row in enumerate(rows) for j in range(len(row.get("values", [])))]
        cells = sheet["cells"]
        for r, c in targets:
            i, j = r - r0, c - c0
            values = rows[i].get("values", []) if i < len(rows) else []
            new = values[j] if j < len(values) else {}
            cur = cells.get((r, c), {})
            for path in paths:
                cur = _apply_path(cur, new, path)
            if cur:
                cells[(r, c)] = cur
            else:
                cells.pop((r, c), None)
        return {}


def _apply_path(cur: dict, new: dict, path: str) -> dict:
    if path == "*":
        return copy.deepcopy(new)
    cur = copy.deepcopy(cur)
    keys = path.split(".")
    src: Any = new
    for k in keys:
        src = src.get(k) if isinstance(src, dict) else None
    node = cur
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    if src is None:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = copy.deepcopy(src)
    return _prune(cur)


def _prune(d: dict) -> dict:
    return {
        k: (_prune(v) if isinstance(v, dict) else v)
        for k, v in d.items()
        if not (isinstance(v, dict) and not _prune(v))
    }


def _plain(cell: dict | None) -> Any:
    v = (cell or {}).get("userEnteredValue")
    return None if not v else next(iter(v.values()))


def _trim(row: list[Any]) -> list[Any]:
    while row and row[-1] is None:
        row = row[:-1]
    return row


def _error(status: int, message: str, code: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": code}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSheets

    def _serve(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, doc, extra = self.fake.handle(verb, self.path, self.headers, body)
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def log_message(self, *args: Any) -> None:
        pass


def start(fake: FakeSheets) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    fake.token_uri = f"{url}/token"
    return server, url
