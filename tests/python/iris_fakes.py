"""Test doubles for the one true external boundary of the IRIS service: Azure Service Bus.

``FakeReceiver`` implements exactly the ``azure.servicebus.ServiceBusReceiver`` methods the service
calls (``receive_messages``, ``complete_message``, ``abandon_message``, ``dead_letter_message``,
``renew_message_lock`` and the context-manager protocol) with peek-lock semantics: each delivery
gets a lock token that expires; an expired or abandoned delivery goes back to the queue with its
delivery count raised; settling a delivery whose lock has expired raises ``MessageLockLostError``
as the SDK does. ``FakeMessage`` exposes the attributes the service reads; like ``ServiceBusReceivedMessage`` (which
returns ``AmqpAnnotatedMessage.body``), its ``body`` for a DATA message (a list of byte sections) is
a *new one-shot generator* on every access, so code that reads one body object twice gets ``b""``
the second time, as it would against the real SDK.

Run as a script (``python tests/python/iris_fakes.py …``) it starts the real service in this
process with a fake queue of synthetic messages, so a test can signal a real process."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from azure.servicebus.exceptions import MessageLockLostError


class FakeMessage:
    """One delivery of a message (Service Bus gives each delivery its own lock token)."""

    def __init__(
        self,
        body: Any,
        subject: str | None = None,
        message_id: str | None = None,
        application_properties: dict[Any, Any] | None = None,
    ) -> None:
        # DATA body: the sections, handed out as a fresh one-shot generator per access (the SDK's
        # ``(i for i in self._data_body)``); VALUE body (str/bytes/None/other): returned as is.
        if isinstance(body, bytes | bytearray | str) or body is None or isinstance(body, dict):
            self._value: Any = body
            self._sections: list[Any] | None = None
        else:
            self._value = None
            self._sections = list(body)
        self.subject = subject
        self.message_id = message_id
        self.application_properties = application_properties
        self.delivery_count = 0
        self.enqueued_time_utc = datetime.now(UTC)  # as the SDK's: set once, the same on every delivery
        self.lock_token: str | None = None
        self.locked_until_utc: datetime | None = None

    @property
    def body(self) -> Any:
        if self._sections is not None:
            return (section for section in self._sections)
        return self._value

    def delivery(self) -> FakeMessage:
        m = FakeMessage(self.body, self.subject, self.message_id, self.application_properties)
        m.delivery_count = self.delivery_count
        m.enqueued_time_utc = self.enqueued_time_utc
        m.lock_token = str(uuid.uuid4())
        return m


class FakeReceiver:
    def __init__(
        self,
        messages: list[FakeMessage] | None = None,
        lock_duration_s: float = 60.0,
        max_delivery_count: int = 10,
        on_settle: Any = None,
    ) -> None:
        self._queue: deque[FakeMessage] = deque(messages or [])
        self._locked: dict[str, tuple[FakeMessage, FakeMessage]] = {}  # token -> (original, delivery)
        self._mutex = threading.Lock()
        self.lock_duration = timedelta(seconds=lock_duration_s)
        self.max_delivery_count = max_delivery_count
        self.completed: list[FakeMessage] = []
        self.abandoned: list[FakeMessage] = []
        self.dead_lettered: list[tuple[FakeMessage, str | None, str | None]] = []
        self.renewals = 0
        self.receive_calls = 0
        self.closed = False
        self.on_settle = on_settle  # callback(kind, delivery) for logging from a subprocess

    # -- test helpers ----------------------------------------------------------------------------
    def send(self, *messages: FakeMessage) -> None:
        with self._mutex:
            self._queue.extend(messages)

    def pending(self) -> int:
        with self._mutex:
            self._expire_locks()
            return len(self._queue) + len(self._locked)

    def _expire_locks(self) -> None:
        now = datetime.now(UTC)
        for token, (orig, d) in list(self._locked.items()):
            if d.locked_until_utc is not None and d.locked_until_utc < now:
                del self._locked[token]
                self._requeue(orig)

    def _requeue(self, orig: FakeMessage) -> None:
        orig.delivery_count += 1
        if orig.delivery_count >= self.max_delivery_count:
            self.dead_lettered.append((orig, "MaxDeliveryCountExceeded", None))
        else:
            self._queue.append(orig)

    def _take(self, message: FakeMessage) -> FakeMessage:
        self._expire_locks()
        entry = self._locked.pop(message.lock_token or "", None)
        if entry is None:
            raise MessageLockLostError(message="The lock supplied is invalid / has expired")
        return entry[0]

    # -- the ServiceBusReceiver surface the service uses ----------------------------------------
    def receive_messages(self, max_message_count: int | None = 1, max_wait_time: float | None = None) -> list[Any]:
        self.receive_calls += 1
        deadline = time.monotonic() + (max_wait_time if max_wait_time is not None else 60.0)
        while True:
            with self._mutex:
                self._expire_locks()
                out = []
                while self._queue and len(out) < (max_message_count or 1):
                    orig = self._queue.popleft()
                    d = orig.delivery()
                    d.locked_until_utc = datetime.now(UTC) + self.lock_duration
                    self._locked[d.lock_token] = (orig, d)  # type: ignore[index]
                    out.append(d)
                if out:
                    return out
            if time.monotonic() >= deadline:
                return []
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def complete_message(self, message: Any) -> None:
        with self._mutex:
            self._take(message)
            self.completed.append(message)
        if self.on_settle:
            self.on_settle("complete", message)

    def abandon_message(self, message: Any) -> None:
        with self._mutex:
            orig = self._take(message)
            self.abandoned.append(message)
            self._requeue(orig)
        if self.on_settle:
            self.on_settle("abandon", message)

    def dead_letter_message(
        self, message: Any, reason: str | None = None, error_description: str | None = None
    ) -> None:
        with self._mutex:
            orig = self._take(message)
            self.dead_lettered.append((orig, reason, error_description))
        if self.on_settle:
            self.on_settle("dead_letter", message)

    def renew_message_lock(self, message: Any, *, timeout: float | None = None) -> datetime:
        with self._mutex:
            self._expire_locks()
            entry = self._locked.get(message.lock_token or "")
            if entry is None:
                raise MessageLockLostError(message="The lock supplied is invalid / has expired")
            until = datetime.now(UTC) + self.lock_duration
            entry[1].locked_until_utc = until
            message.locked_until_utc = until
            self.renewals += 1
            return until

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> FakeReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def synth_fake_messages(n: int, start: int = 0) -> list[FakeMessage]:
    """IRIS-shaped deliveries of ``n`` synthetic messages built from real records."""
    from loaders.iris.synth import messages

    return [FakeMessage([m.body()], m.dataset, m.message_id) for m in messages(n, start=start)]


def _main() -> int:
    """Run the real service (real DuckDB writer, real signal handling) on a fake queue."""
    p = argparse.ArgumentParser()
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--messages", type=int, default=100)
    p.add_argument("--max-messages", type=int, default=20)
    p.add_argument("--settle-log", type=Path, required=True)
    p.add_argument("--slow-parse-s", type=float, default=0.0, help="extra delay inside each batch")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")

    from loaders.commands.iris import _stop_on_signals
    from loaders.iris import pipeline
    from loaders.iris.service import IrisService, ServiceOptions
    from loaders.warehouse.duckdb_writer import DuckDBWriter

    log_fh = args.settle_log.open("a", encoding="utf-8")

    def on_settle(kind: str, message: Any) -> None:
        log_fh.write(json.dumps({"kind": kind, "message_id": message.message_id}) + "\n")
        log_fh.flush()

    if args.slow_parse_s:
        real = pipeline.validate_groups

        def slow(*a: Any, **k: Any) -> Any:
            print("BATCH-STARTED", flush=True)
            time.sleep(args.slow_parse_s)
            return real(*a, **k)

        pipeline.validate_groups = slow  # type: ignore[assignment]

    receiver = FakeReceiver(synth_fake_messages(args.messages), on_settle=on_settle)
    writer = DuckDBWriter(args.db, lock_timeout_s=2, memory_limit="1GB")
    service = IrisService(lambda: receiver, writer, ServiceOptions(max_messages=args.max_messages, max_wait_s=0.5))
    print("READY", flush=True)
    with _stop_on_signals(service.request_stop):
        rc = service.run()
    log_fh.close()
    return rc


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(_main())
