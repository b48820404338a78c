"""``gbpower init``: create the raw schema, every registry raw table and the state tables."""

from __future__ import annotations

import argparse
import logging

from loaders.warehouse import open_writer

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create every raw table (empty) in the warehouse")
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_writer(args.target) as writer:
        writer.init()
        log.info("initialised raw tables in %s", writer.target)
    return 0
