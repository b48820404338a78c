"""The ``gbpower`` command line. Each sub-command lives in ``loaders/commands/<name>.py`` and exposes
``register(subparsers)``; bad arguments exit 2 with a one-line error, as argparse does."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from loaders.errors import UsageError

COMMANDS = [
    "init",
    "backfill",
    "iris",
    "dbt",
    "demo",
    "docs",
    "health",
    "datasets",
    "export_sheets",
    "refresh_live",
    "install_services",
    "quarantine",
    "alert",
    "backup",
    "restore",
    "prune_iris",
]

__all__ = ["COMMANDS", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gbpower",
        description="Load Elexon BMRS/IRIS data and build the gbpower dbt models (DuckDB or BigQuery).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"loaders.commands.{name}")
        except ModuleNotFoundError as exc:  # a command still being built must not break the rest
            if exc.name != f"loaders.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("GBPOWER_LOG_LEVEL", "INFO"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("azure", "urllib3", "google", "gspread"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        parser.exit(2, f"gbpower {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
