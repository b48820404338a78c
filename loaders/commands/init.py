"""``gbpower init``: create the raw schema, every registry raw table and the state tables, and load
the dbt seeds — so the warehouse is ready for ``gbpower dbt run`` then ``gbpower dbt test``."""

from __future__ import annotations

import argparse
import logging

from loaders.warehouse import open_writer

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create every raw table (empty) in the warehouse and load the dbt seeds")
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.add_argument("--no-seed", action="store_true", help="only the raw tables; do not run dbt seed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_writer(args.target) as writer:
        writer.init()
        log.info("initialised raw tables in %s", writer.target)
    if args.no_seed:
        return 0
    from loaders.seeds import load_seeds

    rc = load_seeds(args.target)
    if rc != 0:
        log.error("dbt seed failed (exit code %d): the raw tables exist, the seed tables do not", rc)
    return rc
