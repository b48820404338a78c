"""``gbpower iris``: the long-running IRIS consumer.

Peek-lock receive in batches (up to ``max_messages`` or ``max_wait_s``), one warehouse transaction
per batch, and only then settlement: committed messages are completed, poison messages are
dead-lettered (and copied to the quarantine folder). While a commit fails transiently (DuckDB held
by a dbt run, a BigQuery hiccup) the batch's locks are renewed and the commit retried; if the retry
budget runs out the messages are abandoned for redelivery — uncommitted data is never completed.
A stop request (SIGTERM/SIGINT) ends receiving, commits and settles the batch in hand, and returns."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from loaders import config
from loaders.iris.heartbeat import Heartbeat
from loaders.iris.pipeline import (
    Incoming,
    PreparedBatch,
    batch_summary,
    commit_batch,
    prepare_batch,
    quarantine_message,
)
from loaders.iris.validate import TransientBatchError
from loaders.quarantine import Quarantine
from loaders.warehouse.base import Writer, WriterError

log = logging.getLogger(__name__)


class Receiver(Protocol):
    """The subset of ``azure.servicebus.ServiceBusReceiver`` this service calls."""

    def receive_messages(self, max_message_count: int | None = 1, max_wait_time: float | None = None) -> list[Any]: ...
    def complete_message(self, message: Any) -> None: ...
    def abandon_message(self, message: Any) -> None: ...
    def dead_letter_message(
        self, message: Any, reason: str | None = None, error_description: str | None = None
    ) -> None: ...
    def renew_message_lock(self, message: Any, *, timeout: float | None = None) -> datetime: ...
    def __enter__(self) -> Receiver: ...
    def __exit__(self, *exc: object) -> Any: ...


@dataclass
class ServiceOptions:
    max_messages: int = 200  # per batch
    max_wait_s: float = 5.0  # a batch closes after this long even if not full
    retry_budget_s: float = 300.0  # keep retrying a failed commit (renewing locks) this long, then abandon
    stop_grace_s: float = 8.0  # after a stop request, give the last commit this long
    lock_renew_margin_s: float = 30.0  # renew a lock that expires within this margin
    renew_locks: bool = True  # keep locks renewed while a batch is prepared/committed
    receive_poll_s: float = 1.0  # longest single receive call (bounds reaction to a stop)
    quarantine_root: Path | None = None  # default <GBPOWER_QUARANTINE_DIR>/iris
    work_root: Path | None = None
    max_batches: int | None = None  # stop after this many batches (tests, one-shot runs)
    idle_exit_s: float | None = None  # stop after this long without a message (tests, catch-up runs)


class IrisService:
    def __init__(
        self,
        receiver_factory: Callable[[], AbstractContextManager[Receiver]],
        writer: Writer,
        options: ServiceOptions | None = None,
        heartbeat: Heartbeat | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.receiver_factory = receiver_factory
        self.writer = writer
        self.opt = options or ServiceOptions()
        self.heartbeat = heartbeat or Heartbeat(mode="service")
        self.stop = stop or threading.Event()
        self.stop_requested_at: float | None = None
        self.quarantine_root = self.opt.quarantine_root or config.quarantine_dir() / "iris"
        self.row_quarantine = Quarantine(self.quarantine_root.parent)
        self.batches = 0
        self.commit_latencies: list[float] = []  # seconds per committed batch (benchmarks)

    def request_stop(self, reason: str = "stop requested") -> None:
        if not self.stop.is_set():
            log.info("%s: finishing the current batch, then exiting", reason)
            self.stop_requested_at = time.monotonic()
            self.stop.set()

    # -- main loop -------------------------------------------------------------------------------
    def run(self) -> int:
        with self.receiver_factory() as receiver:
            last_message = time.monotonic()
            while not self.stop.is_set():
                messages = self._receive(receiver)
                if not messages:
                    idle = self.opt.idle_exit_s
                    if idle is not None and time.monotonic() - last_message >= idle:
                        log.info("no IRIS message for %.0f s; exiting", idle)
                        break
                    continue
                last_message = time.monotonic()
                self.process(receiver, messages)
                self.batches += 1
                if self.opt.max_batches is not None and self.batches >= self.opt.max_batches:
                    break
        return 0

    def _receive(self, receiver: Receiver) -> list[Any]:
        """Up to ``max_messages`` or until ``max_wait_s`` has passed since the first message."""
        batch: list[Any] = []
        deadline: float | None = None
        while not self.stop.is_set() and len(batch) < self.opt.max_messages:
            wait = self.opt.receive_poll_s
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    break
            got = receiver.receive_messages(max_message_count=self.opt.max_messages - len(batch), max_wait_time=wait)
            if got:
                batch.extend(got)
                if deadline is None:
                    deadline = time.monotonic() + self.opt.max_wait_s
            elif deadline is None:
                return batch  # nothing waiting: let run() check stop/idle
        return batch

    # -- one batch -------------------------------------------------------------------------------
    def process(self, receiver: Receiver, messages: list[Any]) -> bool:
        """Load one batch and settle its messages. Returns True if committed."""
        items = [
            Incoming(
                message_id=getattr(m, "message_id", None),
                subject=getattr(m, "subject", None),
                body=getattr(m, "body", None),
                handle=m,
                application_properties=getattr(m, "application_properties", None),
            )
            for m in messages
        ]
        # one renewer from receipt to settlement: no gap between preparing and committing
        with self._keep_locks(receiver, items) as settled:
            try:
                batch = prepare_batch(items, work_root=self.opt.work_root, quarantine=self.row_quarantine)
            except TransientBatchError as exc:
                settled.update(id(item) for item in items)
                log.error("batch not loaded, %d message(s) abandoned for redelivery: %s", len(items), exc)
                for item in items:
                    self._settle(receiver.abandon_message, item, "abandon")
                self._sleep(5.0)
                return False
            try:
                good = {id(item) for item in batch.good}
                settled.update(id(item) for item in items if id(item) not in good)
                for p in batch.poison:
                    self._dead_letter(receiver, p)
                if not batch.good:
                    log.info(batch_summary(batch, None))
                    return True
                result = self._commit_with_retry(batch)
                settled.update(good)
                if result is None:
                    for item in batch.good:
                        self._settle(receiver.abandon_message, item, "abandon")
                    log.warning(
                        "batch %s: not committed; %d message(s) abandoned for redelivery",
                        batch.batch_id,
                        len(batch.good),
                    )
                    return False
                self.commit_latencies.append(result.latency_s)
                for item in batch.good:
                    self._settle(receiver.complete_message, item, "complete")
                self.heartbeat.commit(result.committed_utc, len(batch.messages), batch.records)
                log.info(batch_summary(batch, result))
                return True
            finally:
                batch.cleanup()

    def _commit_with_retry(self, batch: PreparedBatch) -> Any:
        deadline = time.monotonic() + self.opt.retry_budget_s
        delay = 0.5
        attempt = 0
        while True:
            attempt += 1
            try:
                return commit_batch(self.writer, batch)
            except WriterError as exc:
                now = time.monotonic()
                limit = deadline
                if self.stop_requested_at is not None:
                    limit = min(limit, self.stop_requested_at + self.opt.stop_grace_s)
                if now + delay > limit:
                    log.error("batch %s: commit failed (attempt %d), giving up: %s", batch.batch_id, attempt, exc)
                    return None
                log.warning("batch %s: commit failed (attempt %d), retrying: %s", batch.batch_id, attempt, exc)
                self._sleep(min(delay, max(0.0, limit - now)))
                delay = min(delay * 2, 10.0)

    def _sleep(self, seconds: float) -> None:
        """Sleep, but never past the stop grace once a stop was requested."""
        end = time.monotonic() + seconds
        while True:
            if self.stop_requested_at is not None:
                end = min(end, self.stop_requested_at + self.opt.stop_grace_s)
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.2))

    @contextlib.contextmanager
    def _keep_locks(self, receiver: Receiver, items: list[Incoming]) -> Iterator[set[int]]:
        """Renew the deliveries' locks from a helper thread while the batch is being prepared and
        committed (as azure's AutoLockRenewer does), so slow work does not lose them. Yields the set
        of ``id(item)`` the caller has settled (or is about to): those are no longer renewed."""
        settled: set[int] = set()
        if not self.opt.renew_locks or not items:
            yield settled
            return
        done = threading.Event()
        interval = max(0.05, min(self.opt.lock_renew_margin_s / 3, 5.0))

        def keep() -> None:
            while True:  # first pass at once: the receive wait may already have used up the margin
                self._renew_locks(receiver, items, settled)
                if done.wait(interval):
                    return

        thread = threading.Thread(target=keep, name="iris-lock-renewer", daemon=True)
        thread.start()
        try:
            yield settled
        finally:
            done.set()
            thread.join()

    def _renew_locks(self, receiver: Receiver, items: list[Incoming], skip: set[int]) -> None:
        """Renew each lock that expires within the margin; a lock found lost joins ``skip``."""
        horizon = datetime.now(UTC) + timedelta(seconds=self.opt.lock_renew_margin_s)
        for item in items:
            if id(item) in skip:
                continue
            until = getattr(item.handle, "locked_until_utc", None)
            if until is not None and until.tzinfo is None:
                until = until.replace(tzinfo=UTC)
            if until is not None and until > horizon:
                continue
            try:
                receiver.renew_message_lock(item.handle)
            except Exception as exc:  # lock already lost: the message will be redelivered (deduped)
                skip.add(id(item))
                log.warning("could not renew lock of message %s: %s", item.message_id, exc)

    def _settle(self, action: Callable[[Any], None], item: Incoming, verb: str) -> None:
        try:
            action(item.handle)
        except Exception as exc:  # e.g. lock expired: it comes back and is skipped as committed
            log.warning("could not %s message %s (it will be redelivered): %s", verb, item.message_id, exc)

    def _dead_letter(self, receiver: Receiver, poison: Any) -> None:
        try:
            path = quarantine_message(self.quarantine_root, poison)
        except OSError as exc:
            log.error("could not quarantine message %s: %s", poison.message_id, exc)
            path = None
        log.warning(
            "poison message %s (%s): %s: %s -> dead-lettered%s",
            poison.message_id,
            poison.dataset,
            poison.reason,
            poison.description[:300],
            f", copy in {path}" if path else "",
        )
        try:
            receiver.dead_letter_message(
                poison.item.handle, reason=poison.reason, error_description=poison.description[:1000]
            )
        except Exception as exc:
            log.warning("could not dead-letter message %s: %s", poison.message_id, exc)


def servicebus_receiver_factory(settings: Any, *, prefetch: int = 0) -> Callable[[], AbstractContextManager[Any]]:
    """A factory opening a peek-lock receiver on the IRIS queue (the real Azure boundary)."""

    @contextlib.contextmanager
    def factory() -> Any:
        from azure.identity import ClientSecretCredential
        from azure.servicebus import ServiceBusClient, ServiceBusReceiveMode

        credential = ClientSecretCredential(settings.tenant_id, settings.client_id, settings.secret.reveal())
        client = ServiceBusClient(settings.fully_qualified_namespace, credential)
        with (
            client,
            client.get_queue_receiver(
                settings.queue_name, receive_mode=ServiceBusReceiveMode.PEEK_LOCK, prefetch_count=prefetch
            ) as receiver,
        ):
            log.info("connected to IRIS queue %s on %s", settings.queue_name, settings.fully_qualified_namespace)
            yield receiver

    return factory
