"""``gbpower dbt ARGS…``: dbt with the project's profiles and target, from any directory.

Two things make any selection work on any warehouse (fresh, loader-only or fully built):

* ``DBT_INDIRECT_SELECTION=buildable`` unless the user set it or passed ``--indirect-selection``:
  with dbt's default (``eager``) ``dbt build -s +X`` also runs tests whose *other* parents were not
  selected, which fail on a warehouse where those parents were never built;
* before ``run``, ``test`` and ``build``, the seeds are loaded if any seed table is missing
  (``dbt run`` never loads seeds; a warehouse filled only by ``gbpower backfill`` has none).
"""

from __future__ import annotations

import argparse
import logging
import os

from loaders.dbt_runner import TARGETS, run_dbt

log = logging.getLogger(__name__)

SEEDED_COMMANDS = ("run", "test", "build")  # dbt sub-commands that need the seed tables


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dbt",
        help="run dbt with the project's profiles (e.g. gbpower dbt build, gbpower dbt run -s marts)",
        description="Everything after the options is passed to dbt unchanged. Defaults "
        "DBT_INDIRECT_SELECTION=buildable (unless set, or --indirect-selection is given) and loads "
        "the seeds first when a seed table is missing (run, test, build).",
    )
    p.add_argument("--target", choices=TARGETS, default=None, help="profile target (default: duckdb)")
    p.add_argument("--no-seed-check", action="store_true", help="do not load missing seeds before run/test/build")
    p.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt arguments, e.g. build -s marts")
    p.set_defaults(func=run)


def env_defaults(dbt_args: list[str]) -> dict[str, str]:
    """Environment defaults for this dbt invocation (the user's own settings win)."""
    if any(a == "--indirect-selection" or a.startswith("--indirect-selection=") for a in dbt_args):
        return {}
    if os.environ.get("DBT_INDIRECT_SELECTION"):
        return {}
    return {"DBT_INDIRECT_SELECTION": "buildable"}


def subcommand(dbt_args: list[str]) -> str | None:
    """The dbt sub-command (``build``, ``run``, ``source`` …): the first argument not an option."""
    return next((a for a in dbt_args if not a.startswith("-")), None)


def dbt_target(args: argparse.Namespace, dbt_args: list[str]) -> str | None:
    for flag in ("--target", "-t"):
        if flag in dbt_args[:-1]:
            return dbt_args[dbt_args.index(flag) + 1]
    return args.target


def warehouse_target(dbt_target_name: str | None) -> str | None:
    """The loaders' target (duckdb | bigquery) behind a dbt profile target."""
    if dbt_target_name is None:
        return None  # GBPOWER_TARGET, as dbt's profile uses it
    return "duckdb" if dbt_target_name == "duckdb" else "bigquery"


FORWARDED = ("--target-path", "--log-path", "--profiles-dir", "--project-dir")  # also given to the seed run


def forwarded_options(dbt_args: list[str]) -> list[str]:
    out: list[str] = []
    for i, a in enumerate(dbt_args):
        if a in FORWARDED and i + 1 < len(dbt_args):
            out += [a, dbt_args[i + 1]]
        elif a.startswith(tuple(f"{f}=" for f in FORWARDED)):
            out.append(a)
    return out


def seed_if_missing(target: str | None, extra: list[str] | None = None) -> int:
    """0 if the seeds are there (or were just loaded); dbt's exit code if ``dbt seed`` failed."""
    from loaders.seeds import load_seeds, missing_seeds
    from loaders.warehouse import open_writer

    try:
        with open_writer(warehouse_target(target)) as writer:
            missing = missing_seeds(writer)
    except Exception as exc:  # dbt reports an unreachable warehouse itself, more precisely
        log.warning("could not check the warehouse for seed tables (%s); running dbt anyway", exc)
        return 0
    if not missing:
        return 0
    log.info("seed table(s) missing: %s; running dbt seed first", ", ".join(missing))
    return load_seeds(target, extra)


def run(args: argparse.Namespace) -> int:
    dbt_args = list(args.dbt_args)
    if dbt_args and dbt_args[0] == "--":
        dbt_args = dbt_args[1:]
    if not dbt_args:
        dbt_args = ["--help"]
    target = dbt_target(args, dbt_args)
    if subcommand(dbt_args) in SEEDED_COMMANDS and "--help" not in dbt_args and not args.no_seed_check:
        rc = seed_if_missing(target, forwarded_options(dbt_args))
        if rc != 0:  # the command itself will say precisely what the missing seeds break, if anything
            log.error("dbt seed failed (exit code %d); running dbt %s anyway", rc, subcommand(dbt_args))
    return run_dbt(dbt_args, target=args.target, env_defaults=env_defaults(dbt_args))
