"""``gbpower iris``: the IRIS real-time loader (Service Bus consumer, or ``--from-dir`` file drain)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from loaders.errors import UsageError
from loaders.warehouse import open_writer
from loaders.warehouse.base import Writer

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "iris",
        help="consume Elexon IRIS (Azure Service Bus) into raw.bmrs_<dataset>_iris, or drain client files",
        description=(
            "Without --from-dir: a long-running consumer of your IRIS queue (settings from --settings, "
            "a JSON file with Elexon's client keys ClientId/Secret/QueueName/ServiceBusNamespace, or env "
            "IRIS_CLIENT_ID/IRIS_CLIENT_SECRET/IRIS_QUEUE_NAME/IRIS_NAMESPACE/IRIS_TENANT_ID). "
            "With --from-dir DIR: load the files Elexon's official client writes (DIR/<DATASET>/<id>.json), "
            "then exit (--watch keeps polling). SIGTERM/SIGINT finish the current batch and exit 0."
        ),
    )
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.add_argument("--settings", type=Path, default=None, help="IRIS settings.json (Elexon client keys)")
    p.add_argument("--max-messages", type=int, default=200, help="messages per batch (default 200)")
    p.add_argument("--max-wait", type=float, default=5.0, help="seconds a batch stays open (default 5)")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=2.0,
        help="DuckDB: seconds one commit attempt waits for the file lock (default 2; retried)",
    )
    p.add_argument(
        "--retry-budget",
        type=float,
        default=300.0,
        help="seconds to keep retrying a failed commit before abandoning the batch (default 300)",
    )
    p.add_argument("--backfill-gaps", action="store_true", help="fill a start-up gap from the API")
    p.add_argument(
        "--gap-threshold-hours",
        type=float,
        default=48.0,
        help="warn on start if the newest IRIS data is older than this (default 48; IRIS keeps 72)",
    )
    p.add_argument("--idle-exit", type=float, default=None, help="exit after this many idle seconds")
    g = p.add_argument_group("client files (--from-dir)")
    g.add_argument("--from-dir", type=Path, default=None, metavar="DIR", help="drain IRIS client files")
    g.add_argument("--watch", action="store_true", help="keep polling DIR instead of exiting when drained")
    g.add_argument(
        "--on-done",
        choices=["move", "delete"],
        default="move",
        help="loaded files: move to DIR/processed/ (default) or delete",
    )
    g.add_argument("--poll", type=float, default=2.0, help="--watch polling interval, seconds")
    g.add_argument(
        "--min-age", type=float, default=2.0, help="skip files modified less than this many seconds ago (default 2)"
    )
    g.add_argument(
        "--settle",
        type=float,
        default=0.5,
        help="read a file only if its size and mtime are unchanged across two looks this far apart, s (default 0.5)",
    )
    g.add_argument("--batch-files", type=int, default=2000, help="files per transaction (default 2000)")
    p.set_defaults(func=run)
    _register_kept_actions(p)


def _register_kept_actions(p: argparse.ArgumentParser) -> None:
    """``gbpower iris kept`` and ``gbpower iris promote``: messages kept in raw.iris_kept_messages."""
    actions = p.add_subparsers(dest="iris_action", metavar="{kept,promote}")
    k = actions.add_parser(
        "kept",
        help="count kept messages (datasets the registry cannot load yet) per dataset and reason",
        description="Kept = well-formed IRIS messages not loaded into a typed table: raw.iris_kept_messages.",
    )
    k.add_argument("--all", action="store_true", help="also count messages already promoted")
    k.set_defaults(func=run_kept)
    pr = actions.add_parser(
        "promote",
        help="load kept messages into their typed tables once the registry knows their dataset",
        description=(
            "Loads kept messages through the normal IRIS validation/quarantine path, one transaction "
            "per page, and marks them promoted. Re-running adds nothing. Default: every kept dataset "
            "the registry can now load."
        ),
    )
    pr.add_argument("--dataset", "-d", action="append", metavar="NAME", help="only this dataset (repeatable)")
    pr.add_argument("--page", type=int, default=500, help="kept messages per transaction (default 500)")
    pr.set_defaults(func=run_promote)
    for sp in (k, pr):  # SUPPRESS: `gbpower iris --target bigquery promote` keeps the parent's value
        sp.add_argument("--target", choices=["duckdb", "bigquery"], default=argparse.SUPPRESS)


def _writer(args: argparse.Namespace) -> Writer:
    target = (args.target or os.environ.get("GBPOWER_TARGET") or "duckdb").lower()
    if target == "duckdb":  # short lock waits: the service retries (renewing message locks) itself
        return open_writer("duckdb", lock_timeout_s=args.lock_timeout)
    return open_writer(target)


@contextmanager
def _stop_on_signals(on_stop: Callable[[str], None]) -> Iterator[None]:
    def handler(signum: int, _frame: Any) -> None:
        on_stop(f"received {signal.Signals(signum).name}")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_kept(args: argparse.Namespace) -> int:
    from loaders.iris.promote import kept_counts, loadable

    with open_writer(args.target) as writer:
        rows = kept_counts(writer, pending_only=not args.all)
    if not rows:
        print("no kept IRIS messages")
        return 0
    print(f"{'dataset':<16} {'reason':<22} {'messages':>9}  registry")
    for dataset, reason, n in rows:
        state = "loadable: run `gbpower iris promote`" if loadable(dataset) else "not in the registry"
        print(f"{dataset:<16} {reason:<22} {n:>9}  {state}")
    return 0


def run_promote(args: argparse.Namespace) -> int:
    from loaders.iris.promote import loadable, promote_kept

    if args.page < 1:
        raise UsageError("--page must be at least 1")
    names = None
    if args.dataset:
        names = []
        for name in args.dataset:
            if not loadable(name):
                raise UsageError(f"dataset {name!r} is not an IRIS dataset in the registry: add it first")
            names.append(name)
    with open_writer(args.target) as writer:
        res = promote_kept(writer, names, page=args.page)
    for name in sorted(set(res.loaded) | set(res.quarantined) | set(res.still_kept)):
        print(
            f"{name}: {res.loaded[name]} message(s) loaded, {res.quarantined[name]} quarantined, "
            f"{res.still_kept[name]} still kept"
        )
    print(f"promoted: {sum(res.loaded.values())} message(s), {res.records} records, {res.inserted} new rows")
    return 0


def run(args: argparse.Namespace) -> int:
    for name in ("max_messages", "batch_files"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    from loaders.iris.gaps import check_gap
    from loaders.iris.pipeline import clean_stale_work_dirs

    clean_stale_work_dirs()
    stop = threading.Event()
    with _writer(args) as writer:
        if args.from_dir is not None:
            return _run_drain(args, writer, stop)
        from loaders.iris.settings import SettingsError, install_redaction, load_settings

        try:
            settings = load_settings(args.settings)
        except SettingsError as exc:
            raise UsageError(str(exc)) from None
        install_redaction(settings.secret)
        check_gap(writer, timedelta(hours=args.gap_threshold_hours), args.backfill_gaps, target=args.target)
        from loaders.iris.service import IrisService, ServiceOptions, servicebus_receiver_factory

        service = IrisService(
            servicebus_receiver_factory(settings),
            writer,
            ServiceOptions(
                max_messages=args.max_messages,
                max_wait_s=args.max_wait,
                retry_budget_s=args.retry_budget,
                idle_exit_s=args.idle_exit,
            ),
            stop=stop,
        )
        with _stop_on_signals(service.request_stop):
            return service.run()


def _run_drain(args: argparse.Namespace, writer: Writer, stop: threading.Event) -> int:
    from loaders.iris.drain import DirectoryDrain, DrainOptions

    drain = DirectoryDrain(
        args.from_dir,
        writer,
        DrainOptions(
            batch_files=args.batch_files,
            on_done=args.on_done,
            watch=args.watch,
            poll_s=args.poll,
            min_age_s=args.min_age,
            settle_s=args.settle,
            retry_budget_s=args.retry_budget,
        ),
        stop=stop,
    )

    def on_stop(reason: str) -> None:
        log.info("%s: finishing the current batch, then exiting", reason)
        stop.set()

    with _stop_on_signals(on_stop):
        return drain.run()
