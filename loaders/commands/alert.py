"""``gbpower alert``: the failure hooks of the scheduler, and a test message.

* ``gbpower alert job NAME EXIT_CODE [--log FILE]`` — called by ``run-job`` after a failed run (and
  after the first good run following a failure): alerts once per failure spell, then on recovery;
* ``gbpower alert unit UNIT`` — run by ``gbpower-alert@UNIT.service`` (systemd ``OnFailure=``);
* ``gbpower alert test`` — send a test message to every configured channel.

Channels: ``GBPOWER_ALERT_WEBHOOK`` and/or ``GBPOWER_ALERT_EMAIL`` (see docs/operations.md).
Exit code 0 when every configured channel was reached (or none is configured), 1 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from loaders.alerts import job_update, notify, unit_update
from loaders.alerts.channels import DeliveryError, configured_channels
from loaders.errors import UsageError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alert", help="send alerts for failed jobs/units (scheduler hooks), or a test alert")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    job = kinds.add_parser("job", help="a run-job result: alert on a new failure and on recovery")
    job.add_argument("name")
    job.add_argument("exit_code", type=int)
    job.add_argument("--log", type=Path, default=None, help="the job's log (its last lines go in the alert)")
    unit = kinds.add_parser("unit", help="a failed systemd unit (OnFailure=gbpower-alert@%%n.service)")
    unit.add_argument("unit")
    kinds.add_parser("test", help="send a test message to every configured channel")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.kind == "test":
        channels = configured_channels()
        if not channels:
            raise UsageError("no alert channel configured: set GBPOWER_ALERT_WEBHOOK and/or GBPOWER_ALERT_EMAIL")
        failed = 0
        for ch in channels:
            try:
                ch.send("[gbpower] test alert", "This is a test alert from gbpower alert test.")
                print(f"sent to {ch.describe()}")
            except DeliveryError as exc:
                print(f"FAILED: {exc}")
                failed += 1
        return 1 if failed else 0
    if args.kind == "job":
        update = job_update(args.name, args.exit_code, args.log)
        source = f"job {args.name}"
    else:
        log_dir = Path(os.environ["GBPOWER_LOG_DIR"]) if os.environ.get("GBPOWER_LOG_DIR") else None
        update = unit_update(args.unit, log_dir)
        source = f"unit {args.unit}"
    outcome = notify(update, source=source)
    return 0 if outcome.ok else 1
