"""``gbpower dbt ARGS…``: dbt with the project's profiles and target, from any directory."""

from __future__ import annotations

import argparse

from loaders.dbt_runner import TARGETS, run_dbt


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dbt",
        help="run dbt with the project's profiles (e.g. gbpower dbt build, gbpower dbt run -s marts)",
        description="Everything after the options is passed to dbt unchanged.",
    )
    p.add_argument("--target", choices=TARGETS, default=None, help="profile target (default: duckdb)")
    p.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt arguments, e.g. build -s marts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    dbt_args = list(args.dbt_args)
    if dbt_args and dbt_args[0] == "--":
        dbt_args = dbt_args[1:]
    if not dbt_args:
        dbt_args = ["--help"]
    return run_dbt(dbt_args, target=args.target)
