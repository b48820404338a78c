"""A loopback replay of the Insights API, serving a replay store (see ``loaders/samples/store.py``).

It answers the same routes, parameters and envelopes as the real API — ``/datasets/X/stream`` as a
bare array, ``/datasets/X`` as ``{"data": …}``, ``/balancing/…`` with ``metadata`` — and reproduces
the quirks the loader must handle: ``from``/``to`` inclusive at both ends, an optional maximum
window answered with HTTP 400, and injectable faults (429 with Retry-After, 5xx, slow responses,
bodies cut off mid-way). ``make demo``, the tests and the benchmarks all load through it, so the
real loader code path runs offline.

Store layout: ``<store>/<DATASET>/<YYYY-MM-DD>.ndjson`` (rows of one settlement day sorted by the
dataset's window column), ``<store>/<DATASET>/<variant>/<YYYY-MM-DD>.ndjson`` for BOAV/EBOCF, and
``<store>/BMUNITS/snapshot.ndjson``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from loaders.registry import DATASETS, Dataset, Envelope, TimeParams
from loaders.settlement import LONDON, PERIOD, period_start, periods_in_day, settlement_period_of

log = logging.getLogger(__name__)

API_PREFIX = "/bmrs/api/v1"
CHUNK = 1 << 20


@dataclass
class Fault:
    """Answer matching requests badly ``times`` times. ``kind``: 'status' (HTTP ``status`` with an
    optional Retry-After), 'slow' (sleep ``delay_s`` before answering), 'truncate' (send half the
    body then close), 'range' (HTTP 400 "range too large"), 'envelope' (HTTP 200 with a whole JSON
    document that has no ``data`` array, as a gateway's maintenance answer can be)."""

    match: str
    kind: str = "status"
    status: int = 500
    retry_after: str | None = None
    times: int = 1
    delay_s: float = 0.0


@dataclass
class ReplayLog:
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, line: str) -> None:
        with self.lock:
            self.requests.append(line)


class NoSuchPeriod(ValueError):
    """A per-period route asked for a period the settlement day does not have (HTTP 404)."""


def _route_regex(dataset: Dataset) -> re.Pattern[str]:
    pattern = re.escape(dataset.route)
    pattern = pattern.replace(re.escape("{settlementDate}"), r"(?P<sd>\d{4}-\d{2}-\d{2})")
    pattern = pattern.replace(re.escape("{variant}"), r"(?P<variant>[a-z]+)")
    pattern = pattern.replace(re.escape("{settlementPeriod}"), r"(?P<sp>\d+)")
    return re.compile("^" + pattern + "$")


ROUTES = [(d, _route_regex(d)) for d in DATASETS.values()]


def _match_route(path: str) -> tuple[Dataset, dict[str, str]] | None:
    for dataset, rx in ROUTES:
        m = rx.match(path)
        if m:
            return dataset, m.groupdict()
    return None


def _parse_ts(text: str) -> datetime:
    text = text.strip().replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    ts = datetime.fromisoformat(text)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _field_text(raw: bytes, column: str) -> str:
    """The value of ``column`` in one stored JSON row, as text. A string value is read straight
    from the bytes (a BOD day's index is 300k rows: decoding each with ``json.loads`` was most of the
    replay's CPU); anything else (a number, an escaped string, a key that is also in a nested
    object) goes through ``json.loads``."""
    key = b'"' + column.encode() + b'":"'
    at = raw.find(key)
    if at >= 0 and raw.find(key, at + 1) < 0:  # once only: not also a key of a nested object
        start = at + len(key)
        end = raw.find(b'"', start)
        if end > 0 and raw.find(b"\\", start, end) < 0:
            return raw[start:end].decode()
    return str(json.loads(raw)[column])


_RowIndex = tuple[tuple[int, int], list[datetime], list[bytes], bool]


class Store:
    """Read access to a replay store, with first/last window values cached per file."""

    INDEXED_FILES = 16  # files whose row index is kept (least recently used dropped)

    def __init__(self, root: Path) -> None:
        self.root = root
        self._bounds: dict[Path, tuple[str, str] | None] = {}
        self._lock = threading.Lock()
        # (file, column) -> (file version, window values, raw rows, whether the values are sorted)
        self._index: OrderedDict[tuple[Path, str], _RowIndex] = OrderedDict()

    def rows_between(self, path: Path, column: str, start: datetime, end: datetime) -> list[bytes]:
        """The raw rows of a sorted file whose ``column`` is in [start, end] (inclusive, like the API),
        by bisecting an index of the file built once (a per-period request used to scan the day's file
        from its start: the day's 96 requests cost O(periods²))."""
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        key = (path, column)
        with self._lock:
            cached = self._index.get(key)
            if cached is not None and cached[0] == version:
                self._index.move_to_end(key)
        if cached is None or cached[0] != version:
            lines = [raw for raw in path.read_bytes().split(b"\n") if raw.strip()]
            stamps = [_parse_ts(_field_text(raw, column)) for raw in lines]
            cached = (version, stamps, lines, all(a <= b for a, b in pairwise(stamps)))
            with self._lock:
                self._index[key] = cached
                while len(self._index) > self.INDEXED_FILES:
                    self._index.popitem(last=False)
        _, stamps, lines, ordered = cached
        if not ordered:  # not sorted after all: filter row by row
            return [raw for ts, raw in zip(stamps, lines, strict=True) if start <= ts <= end]
        return lines[bisect_left(stamps, start) : bisect_right(stamps, end)]

    def day_file(self, dataset: Dataset, day: date, variant: str | None = None) -> Path:
        base = self.root / dataset.name
        if variant:
            base = base / variant
        return base / f"{day.isoformat()}.ndjson"

    def bounds(self, path: Path, column: str) -> tuple[str, str] | None:
        """Window-column values of the first and last row (files are sorted on it)."""
        with self._lock:
            if path in self._bounds:
                return self._bounds[path]
        result = None
        if path.exists() and path.stat().st_size:
            with path.open("rb") as fh:
                first = fh.readline()
                fh.seek(max(0, path.stat().st_size - 65536))
                last = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
            result = (str(json.loads(first)[column]), str(json.loads(last)[column]))
        with self._lock:
            self._bounds[path] = result
        return result

    def period_counts(
        self, dataset: Dataset, first: date, last: date, visible: RowFilter | None = None
    ) -> dict[tuple[date, int], int]:
        """Rows per (settlement date, period) from ``first`` to ``last`` over every variant's files
        (only the rows ``visible`` lets through, when given)."""
        folders = [self.root / dataset.name / v for v in dataset.variants] or [self.root / dataset.name]
        counts: dict[tuple[date, int], int] = {}
        day = first - timedelta(days=1)
        while day <= last + timedelta(days=1):
            for folder in folders:
                path = folder / f"{day.isoformat()}.ndjson"
                if not path.exists():
                    continue
                for line in path.read_bytes().splitlines():
                    if not line.strip():
                        continue
                    row = json.loads(line)
                    key = _settlement_period(dataset, row)
                    if key and first <= key[0] <= last and (visible is None or visible(dataset, row)):
                        counts[key] = counts.get(key, 0) + 1
            day += timedelta(days=1)
        return counts


def _settlement_period(dataset: Dataset, row: dict) -> tuple[date, int] | None:
    """The (settlement date, period) a stored row counts towards in ``/data-status``."""
    period = row.get("settlementPeriod", row.get("settlementPeriodFrom"))
    if row.get("settlementDate") and period is not None:
        return date.fromisoformat(str(row["settlementDate"])[:10]), int(period)
    column = dataset.window_column
    if column and row.get(column):
        return settlement_period_of(_parse_ts(str(row[column])))
    return None


def _file_chunks(path: Path) -> Iterator[bytes]:
    """The rows of an NDJSON file as the inside of a JSON array (rows separated by commas)."""
    size = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                return
            done += len(chunk)
            if done >= size:
                chunk = chunk.rstrip(b"\n")
            yield chunk.replace(b"\n", b",")


class _Body:
    """Collects pieces of a JSON array body (whole files streamed, filtered rows inline)."""

    def __init__(self) -> None:
        self.parts: list[Path | bytes] = []

    def add_file(self, path: Path) -> None:
        if path.exists() and path.stat().st_size:
            self.parts.append(path)

    def add_rows(self, lines: list[bytes]) -> None:
        if lines:
            self.parts.append(b",".join(lines))

    def chunks(self) -> Iterator[bytes]:
        first = True
        for part in self.parts:
            if not first:
                yield b","
            first = False
            if isinstance(part, Path):
                yield from _file_chunks(part)
            else:
                yield part


# Which stored rows the API has published so far (the soak: by its simulated clock); None: all.
RowFilter = Callable[[Dataset, dict], bool]


class ReplayServer:
    """``with ReplayServer(store) as server: …`` — ``server.base_url`` is the API base URL.
    ``visible`` (optional) filters the rows served and counted by ``/data-status``: e.g. only what
    Elexon would have published by a simulated "now" (``tests/soak``)."""

    def __init__(
        self,
        store: Path,
        *,
        faults: list[Fault] | None = None,
        max_window: dict[str, timedelta] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        visible: RowFilter | None = None,
    ) -> None:
        self.store = Store(Path(store))
        self.visible = visible
        self.faults = list(faults or [])
        self.max_window = {k.upper(): v for k, v in (max_window or {}).items()}
        self.log = ReplayLog()
        self._fault_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, fmt: str, *args: object) -> None:
                log.debug("replay: " + fmt, *args)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}{API_PREFIX}"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------------------------
    def _take_fault(self, target: str) -> Fault | None:
        with self._fault_lock:
            for f in self.faults:
                if f.times > 0 and f.match in target:
                    f.times -= 1
                    return f
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        self.log.add(h.path)
        url = urlsplit(h.path)
        query = {k: v for k, v in parse_qs(url.query).items()}
        path = url.path[len(API_PREFIX) :] if url.path.startswith(API_PREFIX) else url.path
        fault = self._take_fault(h.path)
        if fault and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return self._send_error(h, fault.status, "injected fault", headers)
        if fault and fault.kind == "range":
            return self._send_error(h, 400, "The date range requested is too large: maximum range exceeded")
        if fault and fault.kind == "slow":
            time.sleep(fault.delay_s)
        if fault and fault.kind == "envelope":
            payload = json.dumps({"status": 200, "detail": "service under maintenance"}).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return None
        if path.startswith("/data-status/"):
            return self._send_data_status(h, path.removeprefix("/data-status/"), query)
        route = _match_route(path)
        if route is None:
            return self._send_error(h, 404, f"no such route {path}")
        dataset, params = route
        try:
            body = self._body(dataset, params, query)
        except NoSuchPeriod as exc:
            return self._send_error(h, 404, str(exc))
        except ValueError as exc:
            return self._send_error(h, 400, str(exc))
        self._send_body(h, dataset, body, truncate=bool(fault and fault.kind == "truncate"))

    def _send_data_status(self, h: BaseHTTPRequestHandler, name: str, query: dict[str, list[str]]) -> None:
        """``/data-status/{DATASET}``: data points per settlement period in the store (what Elexon
        holds, as far as this replay knows), so a period missing from the store is a source gap."""
        from loaders.gaps.data_status import DATA_STATUS_DATASETS

        if name not in DATA_STATUS_DATASETS or name not in DATASETS:
            return self._send_error(h, 404, f"no such route /data-status/{name}")
        try:
            d0 = date.fromisoformat(_one(query, "settlementDateFrom")[:10])
            d1 = date.fromisoformat(_one(query, "settlementDateTo")[:10])
        except ValueError as exc:
            return self._send_error(h, 400, str(exc))
        counts = self.store.period_counts(DATASETS[name], d0, d1, self.visible)
        rows = [
            {"settlementDate": d.isoformat(), "settlementPeriod": p, "dataPointCount": n}
            for (d, p), n in sorted(counts.items())
        ]
        payload = json.dumps({"data": rows, "metadata": {"datasets": [name]}}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    def _send_error(self, h: BaseHTTPRequestHandler, status: int, msg: str, headers: dict | None = None) -> None:
        payload = json.dumps({"status": status, "title": msg, "errors": {}}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)

    def _send_body(self, h: BaseHTTPRequestHandler, dataset: Dataset, body: _Body, truncate: bool) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        if dataset.envelope is Envelope.ARRAY:
            head, tail = b"[", b"]"
        elif dataset.envelope is Envelope.DATA:
            head, tail = b'{"data":[', b"]}"
        else:
            head = b'{"metadata":{"datasets":["' + dataset.name.encode() + b'"]},"data":['
            tail = b"]}"
        pieces = [head, *body.chunks(), tail]
        if truncate:  # send about half of it, cut mid-row, then drop the connection
            data = b"".join(pieces)
            h.wfile.write(data[: max(1, len(data) // 2)])
            h.wfile.flush()
            h.close_connection = True
            return
        for piece in pieces:
            h.wfile.write(piece)

    def _body(self, dataset: Dataset, route: dict[str, str], query: dict[str, list[str]]) -> _Body:
        body = _Body()
        units = set(query.get("bmUnit", []))
        tp = dataset.time_params
        variant = route.get("variant")
        if tp is TimeParams.SNAPSHOT:
            body.add_file(self.store.root / dataset.name / "snapshot.ndjson")
            return body
        if tp is TimeParams.SETTLEMENT_DATE_PATH:
            self._add_day(body, dataset, date.fromisoformat(route["sd"]), variant, None, units)
            return body
        if tp is TimeParams.SETTLEMENT_PERIOD_PATH:  # a period the calendar lacks is a 404 (NoSuchPeriod)
            day, period = date.fromisoformat(route["sd"]), int(route["sp"])
            if not 1 <= period <= periods_in_day(day):
                raise NoSuchPeriod(f"settlement period {period} does not exist on {day}")
            start = period_start(day, period)
            self._add_day(body, dataset, day, variant, (start, start + PERIOD - timedelta(microseconds=1)), units)
            return body
        if tp in (TimeParams.SETTLEMENT_RANGE, TimeParams.SETTLEMENT_DATE_RANGE):
            names = ("from", "to") if tp is TimeParams.SETTLEMENT_RANGE else ("settlementDateFrom", "settlementDateTo")
            d0 = date.fromisoformat(_one(query, names[0])[:10])
            d1 = date.fromisoformat(_one(query, names[1])[:10])
            d = d0
            while d <= d1:
                self._add_day(body, dataset, d, None, None, units)
                d += timedelta(days=1)
            return body
        names = {
            TimeParams.FROM_TO: ("from", "to"),
            TimeParams.PUBLISH: ("publishDateTimeFrom", "publishDateTimeTo"),
            TimeParams.MEASUREMENT: ("measurementDateTimeFrom", "measurementDateTimeTo"),
            TimeParams.SUBMISSION: ("submissionDateTimeFrom", "submissionDateTimeTo"),
        }[tp]
        start, end = _parse_ts(_one(query, names[0])), _parse_ts(_one(query, names[1]))
        if end < start:
            raise ValueError("The 'to' date must be after the 'from' date")
        cap = self.max_window.get(dataset.name)
        if cap is not None and end - start > cap:
            raise ValueError(f"The date range requested is too large: maximum range is {cap}")
        d = start.astimezone(LONDON).date() - timedelta(days=1)
        last = end.astimezone(LONDON).date() + timedelta(days=1)
        while d <= last:
            self._add_day(body, dataset, d, None, (start, end), units)
            d += timedelta(days=1)
        return body

    def _add_day(
        self,
        body: _Body,
        dataset: Dataset,
        day: date,
        variant: str | None,
        bounds: tuple[datetime, datetime] | None,
        units: set[str],
    ) -> None:
        path = self.store.day_file(dataset, day, variant)
        if not path.exists():
            return
        col = dataset.window_column
        whole = self.visible is None and not units  # the whole file may be streamed as it is
        if bounds is not None and col:
            fb = self.store.bounds(path, col)
            if fb is None:
                return
            first, last = _parse_ts(fb[0]), _parse_ts(fb[1])
            start, end = bounds
            if last < start or first > end:
                return
            if first >= start and last <= end and whole:
                body.add_file(path)
                return
        elif whole:
            body.add_file(path)
            return
        # partial overlap or unit filter: filter rows (inclusive at both ends, like the API)
        if bounds is not None and col:
            candidates = self.store.rows_between(path, col, *bounds)
        else:
            candidates = [raw for raw in path.read_bytes().split(b"\n") if raw.strip()]
        if not units and self.visible is None:
            body.add_rows(candidates)
            return
        lines = []
        for raw in candidates:
            row = json.loads(raw)
            if units and row.get("bmUnit") not in units and row.get("nationalGridBmUnit") not in units:
                continue
            if self.visible is not None and not self.visible(dataset, row):
                continue
            lines.append(raw)
        body.add_rows(lines)


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    if not values:
        raise ValueError(f"missing query parameter {name!r}")
    return values[0]
