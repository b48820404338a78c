"""``gbpower refresh-live``: the 5-minute refresh of the live dashboard (the ``refresh-live`` job).

Two steps, each the command a person would run by hand:

1. ``gbpower dbt --test-scope window build --selector live_chain`` — only the live chain
   (selectors.yml: the models the GB Live tab reads, down to the IRIS-fed unified models, with their
   data tests reading only the incremental window; no seeds, no unit tests);
2. ``gbpower export-sheets --tab "GB Live"`` — only the live tab.

The export runs even when the build failed (a failing data test skips only what depends on it): the
tab then shows what the warehouse holds, with its data-as-of and freshness cells telling how old it
is, and the command still exits with the build's code, so the failure is alerted.
"""

from __future__ import annotations

import argparse
import logging
import time

log = logging.getLogger(__name__)

SELECTOR = "live_chain"
LIVE_TAB = "GB Live"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "refresh-live",
        help="build only the live chain (dbt selector live_chain) and export only the GB Live tab",
        description="gbpower dbt --test-scope window build --selector SELECTOR, then gbpower "
        "export-sheets --tab TAB (also when the build failed; the exit code is the build's, else the "
        "export's). The 5-minute refresh-live job of orchestration/crontab.",
    )
    p.add_argument("--selector", default=SELECTOR, help=f"dbt selector to build (default {SELECTOR})")
    p.add_argument(
        "--tab", action="append", default=None, metavar="NAME", help=f"tab to export (repeatable; default {LIVE_TAB!r})"
    )
    p.add_argument(
        "--target-path",
        default=None,
        metavar="DIR",
        help="dbt target directory (the job uses its own, so target/run_results.json stays the full build's)",
    )
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.set_defaults(func=run)


def steps(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """The two gbpower command lines this refresh runs, in order."""
    build = ["dbt", "--test-scope", "window"]
    if args.target:
        build += ["--target", args.target]
    build += ["build", "--selector", args.selector]
    if args.target_path:
        build += ["--target-path", str(args.target_path)]
    export = ["export-sheets"]
    for tab in args.tab or [LIVE_TAB]:
        export += ["--tab", tab]
    if args.target:
        export += ["--target", args.target]
    return [("build", build), ("export", export)]


def step_parser() -> argparse.ArgumentParser:
    """The two commands' own argument parsers (``gbpower dbt`` and ``gbpower export-sheets``)."""
    from loaders.commands import dbt, export_sheets

    parser = argparse.ArgumentParser(prog="gbpower")
    sub = parser.add_subparsers(dest="command", required=True)
    dbt.register(sub)
    export_sheets.register(sub)
    return parser


def run(args: argparse.Namespace) -> int:
    parser = step_parser()
    codes: list[int] = []
    for what, argv in steps(args):
        started = time.monotonic()
        step_args = parser.parse_args(argv)
        rc = int(step_args.func(step_args) or 0)
        log.info(
            "refresh-live: %s took %.1fs (exit code %d): gbpower %s",
            what,
            time.monotonic() - started,
            rc,
            " ".join(argv),
        )
        codes.append(rc)
    return next((rc for rc in codes if rc != 0), 0)
