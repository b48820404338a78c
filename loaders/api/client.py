"""HTTP client for the Insights API: rate-limited, retrying, streaming responses to disk.

* A token bucket shared by all threads caps requests per second (default 8/s).
* 429, 5xx, timeouts, connection errors and cut-off bodies are retried with exponential backoff
  and full jitter; ``Retry-After`` (seconds or an HTTP date) is honoured.
* A 400 whose body says the range is too large raises ``WindowTooLarge`` so the caller can halve
  the window; any other 4xx raises ``ApiError`` at once (retrying will not help).
* Bodies stream to a file in 1 MiB chunks, so memory stays flat whatever the response size.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from loaders import __version__
from loaders.api.windows import Request

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}
_RANGE_HINTS = ("range", "too large", "too long", "maximum", "exceed", "days", "hours", "period")


class ApiError(RuntimeError):
    """A request that failed for good (after retries, or a client error)."""


class WindowTooLarge(ApiError):
    """HTTP 400 saying the requested time range is too large."""


class NotFound(ApiError):
    """HTTP 404: the route has nothing at this path (e.g. an ISPSTACK period that does not exist)."""


class RateLimiter:
    """Token bucket: at most ``rate`` acquisitions per second on average, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def is_range_error(status: int, body: str) -> bool:
    text = body.lower()
    return status == 400 and any(h in text for h in _RANGE_HINTS)


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        rate_per_s: float = 8.0,
        max_attempts: int = 6,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 120.0,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate_per_s, burst=max(1, int(rate_per_s)))
        self.max_attempts = max_attempts
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._local = threading.local()
        self._session = session

    @property
    def session(self) -> requests.Session:
        if self._session is not None:
            return self._session
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.headers.update({"Accept": "application/json", "User-Agent": f"gbpower/{__version__}"})
            self._local.session = s
        return s

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max_s * 5)
        cap = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return random.uniform(cap / 2, cap)

    def download(self, request: Request, dest: Path) -> int:
        """Fetch ``request`` into ``dest``; returns the number of bytes written."""
        url = self.base_url + request.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.acquire()
            retry_after: float | None = None
            try:
                with self.session.get(url, params=list(request.params), timeout=self.timeout, stream=True) as resp:
                    if resp.status_code == 200:
                        size = 0
                        with dest.open("wb") as fh:
                            for chunk in resp.iter_content(chunk_size=1 << 20):
                                fh.write(chunk)
                                size += len(chunk)
                        expected = resp.headers.get("Content-Length")
                        plain = resp.headers.get("Content-Encoding") is None
                        if expected is not None and plain and int(expected) != size:
                            raise requests.exceptions.ChunkedEncodingError(f"body cut off: {size} of {expected} bytes")
                        return size
                    body = resp.text[:500]
                    if resp.status_code in RETRY_STATUS:
                        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                        last_error = f"HTTP {resp.status_code}"
                    elif is_range_error(resp.status_code, body):
                        raise WindowTooLarge(f"{request.describe()}: HTTP 400 {body.strip()[:200]}")
                    elif resp.status_code == 404:
                        raise NotFound(f"{request.describe()}: HTTP 404 {body.strip()[:200]}")
                    else:
                        raise ApiError(f"{request.describe()}: HTTP {resp.status_code} {body.strip()[:200]}")
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                last_error = f"{type(exc).__name__}: {exc}"[:300]
            if attempt == self.max_attempts:
                break
            delay = self._backoff(attempt, retry_after)
            log.info(
                "retrying %s in %.1fs (attempt %d/%d): %s",
                request.describe(),
                delay,
                attempt + 1,
                self.max_attempts,
                last_error,
            )
            time.sleep(delay)
        raise ApiError(f"{request.describe()}: giving up after {self.max_attempts} attempts: {last_error}")
