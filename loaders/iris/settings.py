"""IRIS connection settings: Elexon's client ``settings.json`` keys, or environment variables.

The client secret is wrapped in :class:`Secret`, whose ``repr``/``str`` never show the value, and
:func:`install_redaction` adds a logging filter that masks the value wherever it might still appear
(e.g. inside a third-party exception message)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TENANT_ID = "4203b7a0-7773-4de5-b830-8b263a20426e"  # Elexon Products and Services (Aug 2025)
DEFAULT_NAMESPACE = "elexon-insights-iris"

# settings.json key -> environment variable
_KEYS = {
    "ClientId": "IRIS_CLIENT_ID",
    "Secret": "IRIS_CLIENT_SECRET",
    "QueueName": "IRIS_QUEUE_NAME",
    "ServiceBusNamespace": "IRIS_NAMESPACE",
    "TenantId": "IRIS_TENANT_ID",
}


class SettingsError(ValueError):
    """The IRIS settings are missing or malformed (the message never contains the secret)."""


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class IrisSettings:
    client_id: str
    secret: Secret
    queue_name: str
    namespace: str = DEFAULT_NAMESPACE
    tenant_id: str = DEFAULT_TENANT_ID

    @property
    def fully_qualified_namespace(self) -> str:
        ns = self.namespace.strip()
        return ns if "." in ns else f"{ns}.servicebus.windows.net"


def load_settings(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> IrisSettings:
    """Settings from ``path`` (Elexon's settings.json keys) with environment variables filling any
    key the file leaves empty; without a file, from the environment alone (``IRIS_SETTINGS`` may
    name the file)."""
    env = dict(os.environ) if env is None else env
    path = path or env.get("IRIS_SETTINGS") or None
    values: dict[str, str] = {}
    if path:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"IRIS settings file {p} does not exist") from None
        except ValueError as exc:
            raise SettingsError(f"IRIS settings file {p} is not valid JSON (line {_line(exc)})") from None
        if not isinstance(data, dict):
            raise SettingsError(f"IRIS settings file {p} must hold a JSON object")
        lowered = {str(k).lower(): v for k, v in data.items()}
        for key in _KEYS:
            v = lowered.get(key.lower())
            if v not in (None, ""):
                values[key] = str(v)
    for key, var in _KEYS.items():
        if not values.get(key) and env.get(var):
            values[key] = env[var]
    missing = [f"{k} (env {_KEYS[k]})" for k in ("ClientId", "Secret", "QueueName") if not values.get(k)]
    if missing:
        where = f"settings file {path}" if path else "environment (or pass --settings)"
        raise SettingsError(f"IRIS settings incomplete in {where}: missing {', '.join(missing)}")
    return IrisSettings(
        client_id=values["ClientId"],
        secret=Secret(values["Secret"]),
        queue_name=values["QueueName"],
        namespace=values.get("ServiceBusNamespace") or DEFAULT_NAMESPACE,
        tenant_id=values.get("TenantId") or DEFAULT_TENANT_ID,
    )


def _line(exc: ValueError) -> object:
    return getattr(exc, "lineno", "?")


class RedactFilter(logging.Filter):
    """Replace a secret's value in every formatted log record passing through a handler."""

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self._value = secret.reveal()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._value:
            return True
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = logging.Formatter().formatException(record.exc_info)
            if self._value in exc_text:
                record.exc_text = exc_text.replace(self._value, "***")
                record.exc_info = None
        if self._value in text:
            record.msg = text.replace(self._value, "***")
            record.args = None
        return True


def install_redaction(secret: Secret, logger: logging.Logger | None = None) -> RedactFilter:
    """Mask ``secret`` in everything the root logger's handlers (or ``logger``'s) write."""
    f = RedactFilter(secret)
    target = logger or logging.getLogger()
    for handler in target.handlers:
        handler.addFilter(f)
    return f
