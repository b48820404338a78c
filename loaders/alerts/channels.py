"""Where alerts go: a webhook (JSON POST with a ``text`` field, as Slack, Teams and ntfy-style
receivers accept) and/or mail through the local ``sendmail``. Configured from the environment:

* ``GBPOWER_ALERT_WEBHOOK`` — the URL (it may embed a token: it is never logged);
* ``GBPOWER_ALERT_EMAIL`` — one or more addresses, comma-separated (``GBPOWER_SENDMAIL`` names the
  sendmail binary; default ``sendmail`` on PATH, then ``/usr/sbin/sendmail``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT_S = 20


class DeliveryError(RuntimeError):
    """An alert that did not reach its channel (the message never contains the webhook URL)."""


@dataclass(frozen=True)
class Webhook:
    url: str
    name: str = "webhook"

    def describe(self) -> str:
        """Safe to log: scheme and host only (the path or query may hold a token)."""
        parts = urlsplit(self.url)
        return f"webhook {parts.scheme}://{parts.hostname or '?'}"

    def send(self, subject: str, text: str) -> None:
        body = json.dumps({"text": f"{subject}\n{text}"}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"{self.describe()} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"{self.describe()} unreachable: {_scrub(str(reason), self.url)}") from None


@dataclass(frozen=True)
class Email:
    recipients: tuple[str, ...]
    sendmail: str
    name: str = "email"

    def describe(self) -> str:
        return f"email to {', '.join(self.recipients)}"

    def send(self, subject: str, text: str) -> None:
        message = (
            f"To: {', '.join(self.recipients)}\nSubject: {subject}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
        )
        try:
            proc = subprocess.run(
                [self.sendmail, "-oi", "--", *self.recipients],
                input=message.encode(),
                capture_output=True,
                timeout=TIMEOUT_S * 3,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise DeliveryError(f"{self.describe()}: {self.sendmail} failed to run: {exc}") from None
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()[-300:]
            raise DeliveryError(f"{self.describe()}: sendmail exit code {proc.returncode}: {err}")


Channel = Webhook | Email


def configured_channels(env: dict[str, str] | None = None) -> list[Channel]:
    env = dict(os.environ) if env is None else env
    out: list[Channel] = []
    if env.get("GBPOWER_ALERT_WEBHOOK", "").strip():
        out.append(Webhook(env["GBPOWER_ALERT_WEBHOOK"].strip()))
    recipients = tuple(a.strip() for a in env.get("GBPOWER_ALERT_EMAIL", "").split(",") if a.strip())
    if recipients:
        sendmail = env.get("GBPOWER_SENDMAIL") or shutil.which("sendmail", path=env.get("PATH")) or "/usr/sbin/sendmail"
        out.append(Email(recipients, sendmail))
    return out


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "<webhook>") if secret else text
