"""gspread with bounded retries on 429/5xx and network errors, from a service-account key file.

``GBPOWER_SHEETS_API_URL`` (default ``https://sheets.googleapis.com``) points the client at another
endpoint — a proxy, or the fake Sheets API the tests run on loopback; the OAuth token endpoint is the
key file's own ``token_uri``."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gspread
import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

log = logging.getLogger(__name__)

GOOGLE_SHEETS = "https://sheets.googleapis.com"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]


class SheetsAuthError(RuntimeError):
    """The service-account key could not be used (message names the file, never its contents)."""


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client, retrying 408/429/5xx and connection errors with exponential back-off
    (honouring Retry-After; GBPOWER_SHEETS_ATTEMPTS, default 6, and GBPOWER_SHEETS_RETRY_DELAY, default
    1 s). Other errors (400, 403, 404) fail at once."""

    max_delay = 60.0
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        attempts = int(os.environ.get("GBPOWER_SHEETS_ATTEMPTS", "6"))
        base_delay = float(os.environ.get("GBPOWER_SHEETS_RETRY_DELAY", "1.0"))
        base = os.environ.get("GBPOWER_SHEETS_API_URL", "").rstrip("/")
        if base and endpoint.startswith(GOOGLE_SHEETS):
            endpoint = base + endpoint[len(GOOGLE_SHEETS) :]
        for attempt in range(1, attempts + 1):
            try:
                return super().request(method, endpoint, *args, **kwargs)
            except APIError as exc:
                status = exc.response.status_code
                if not (status in (408, 429) or status >= 500) or attempt == attempts:
                    raise
                retry_after = exc.response.headers.get("Retry-After")
                reason = f"HTTP {status}"
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == attempts:
                    raise
                retry_after, reason = None, type(exc).__name__
            delay = min(self.max_delay, base_delay * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            if retry_after and retry_after.isdigit():
                delay = min(self.max_delay, float(retry_after))
            log.warning(
                "Sheets %s %s: %s; retry %d/%d in %.1fs",
                method.upper(),
                endpoint.split("?")[0],
                reason,
                attempt,
                attempts - 1,
                delay,
            )
            self.sleep(delay)
        raise AssertionError("unreachable")


def open_client(credentials: Path) -> gspread.Client:
    from google.oauth2 import service_account

    try:
        creds = service_account.Credentials.from_service_account_file(str(credentials), scopes=SCOPES)
    except FileNotFoundError:
        raise SheetsAuthError(f"service-account key file {credentials} does not exist") from None
    except (ValueError, KeyError, OSError) as exc:
        # the parser's message may quote key material: name the file and the kind of error only
        raise SheetsAuthError(f"service-account key file {credentials} is not usable ({type(exc).__name__})") from None
    client = gspread.Client(auth=creds, http_client=RetryingHTTPClient)
    client.set_timeout((10, 120))
    return client
