"""Defensive decoding of IRIS message bodies and routing to a registry dataset.

A body may be ``bytes``, ``str``, or a list/generator of ``bytes`` sections (AMQP data sections, as
``ServiceBusReceivedMessage.body`` yields them); its UTF-8 text may be a JSON array of records, a
single record object, or — as every official Elexon client assumes — a JSON *string* that contains
that JSON (double-encoded)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from loaders.registry import Dataset, UnknownDataset, get_dataset

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency; stay correct without it
    orjson = None  # type: ignore[assignment]

_MAX_NESTING = 3  # a string containing a string containing JSON is the most we unwrap


def _loads(text: str) -> Any:
    """orjson (fast) when it can; the standard library for what orjson refuses (NaN, huge ints)."""
    if orjson is not None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


class PoisonMessage(ValueError):
    """A message that cannot be loaded as it is (undecodable, bad records; ``UnregisteredDataset``
    for one whose dataset the registry cannot load yet, which is kept rather than quarantined)."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(f"{reason}: {description}")
        self.reason = reason
        self.description = description


class UnregisteredDataset(PoisonMessage):
    """A well-formed message whose dataset the registry cannot load from IRIS (not in the registry,
    not an IRIS dataset, or no dataset named at all). It is kept, not quarantined
    (``raw.iris_kept_messages``); ``dataset`` is the name it carries (``"unknown"`` when none)."""

    def __init__(self, dataset: str, keep_reason: str, description: str) -> None:
        super().__init__("unknown_dataset", description)
        self.dataset = dataset
        self.keep_reason = keep_reason  # unregistered_dataset | no_dataset
        self.records: list[dict[str, Any]] = []  # set by decode_message


def body_bytes(body: Any) -> bytes:
    """The raw bytes of a message body in any of the forms the SDK (or a file) gives."""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if body is None:
        return b""
    if isinstance(body, Iterable) and not isinstance(body, dict):
        parts = []
        for section in body:
            if isinstance(section, str):
                parts.append(section.encode("utf-8"))
            elif isinstance(section, bytes | bytearray | memoryview):
                parts.append(bytes(section))
            else:
                raise PoisonMessage("undecodable", f"body section of type {type(section).__name__}")
        return b"".join(parts)
    raise PoisonMessage("undecodable", f"body of type {type(body).__name__}")


def decode_records(raw: bytes) -> list[dict[str, Any]]:
    """The records in a body: a JSON array, a single object or a double-encoded JSON string."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PoisonMessage("undecodable", f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise PoisonMessage("undecodable", "empty body")
    obj: Any = text
    for _ in range(_MAX_NESTING):
        if not isinstance(obj, str):
            break
        try:
            obj = _loads(obj)
        except ValueError as exc:
            raise PoisonMessage("undecodable", f"body is not JSON ({exc})") from None
    if isinstance(obj, dict):
        records = [obj]
    elif isinstance(obj, list):
        records = obj
    else:
        raise PoisonMessage("undecodable", f"body is JSON {type(obj).__name__}, not an array or object")
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise PoisonMessage("bad_records", f"record {i} is {type(rec).__name__}, not an object")
    return records


def route_dataset(subject: str | None, records: list[dict[str, Any]]) -> Dataset:
    """The registry dataset of a message: its subject, else the records' ``dataset`` field."""
    name = (subject or "").strip()
    if not name or name.lower() == "unknown":
        names = {str(r.get("dataset")) for r in records if r.get("dataset")}
        if len(names) != 1:
            detail = "no dataset field" if not names else f"records name several datasets {sorted(names)}"
            raise UnregisteredDataset("unknown", "no_dataset", f"message has no subject and {detail}")
        name = names.pop()
    try:
        dataset = get_dataset(name)
    except UnknownDataset:
        raise UnregisteredDataset(name, "unregistered_dataset", f"dataset {name!r} is not in the registry") from None
    if not dataset.iris:
        raise UnregisteredDataset(name, "unregistered_dataset", f"dataset {name!r} is not an IRIS dataset")
    return dataset


def _prop(props: dict[Any, Any] | None, key: str) -> str | None:
    if not props:
        return None
    for k in (key, key.encode()):
        v = props.get(k)
        if v:
            return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    return None


def message_id_of(message_id: Any, application_properties: dict[Any, Any] | None, raw: bytes) -> str:
    """The message's idempotency key: its id (Elexon: the source file name), else the
    ``source_file_name`` property (clients before Apr 2024), else a hash of the body."""
    if message_id:
        return message_id.decode() if isinstance(message_id, bytes) else str(message_id)
    named = _prop(application_properties, "source_file_name")
    if named:
        return named
    return "sha256_" + hashlib.sha256(raw).hexdigest()[:32] + ".json"


@dataclass
class Decoded:
    """One message, decoded and routed."""

    message_id: str
    dataset: Dataset
    records: list[dict[str, Any]]
    raw: bytes


def decode_message(
    message_id: Any, subject: str | None, body: Any, application_properties: dict[Any, Any] | None = None
) -> Decoded:
    """Decode and route one message; raises :class:`PoisonMessage` (with ``.message_id`` unset)."""
    raw = body_bytes(body)
    records = decode_records(raw)
    try:
        dataset = route_dataset(subject, records)
    except UnregisteredDataset as exc:
        exc.records = records
        raise
    return Decoded(message_id_of(message_id, application_properties, raw), dataset, records, raw)
