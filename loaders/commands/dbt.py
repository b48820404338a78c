"""``gbpower dbt ARGS…``: dbt with the project's profiles and target, from any directory.

Two things make any selection work on any warehouse (fresh, loader-only or fully built):

* ``DBT_INDIRECT_SELECTION=buildable`` unless the user set it or passed ``--indirect-selection``:
  with dbt's default (``eager``) ``dbt build -s +X`` also runs tests whose *other* parents were not
  selected, which fail on a warehouse where those parents were never built;
* before ``run``, ``test`` and ``build``, the seeds are loaded if any seed table is missing
  (``dbt run`` never loads seeds; a warehouse filled only by ``gbpower backfill`` has none).

On BigQuery every query job dbt starts carries the ``maximum_bytes_billed`` of this run's job type
(scheduled build, full-history tests, full refresh, other; ``--job-type`` or worked out from the
arguments): ``config/bigquery_bytes_billed.yml``, passed to the profile as
``GBPOWER_BQ_MAX_BYTES_BILLED`` (loaders/warehouse/bytes_billed.py).

``--test-scope window`` makes the data tests read only the window the build re-processed (the
30-minute job; macros/data_test_scope.sql) and leaves out dbt's unit tests (``env_defaults``); the
default ``all`` reads the whole history. A ``test`` or
``build`` of the whole project in scope ``all`` that passes proves history clean: it records the time
in ``$GBPOWER_STATE_DIR/full_history_tests.json``, which ``gbpower health`` reports.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from loaders import config
from loaders.dbt_runner import ARTIFACTS_ENV, TARGETS, run_dbt
from loaders.warehouse import bytes_billed

log = logging.getLogger(__name__)

SEEDED_COMMANDS = ("run", "test", "build")  # dbt sub-commands that need the seed tables
TESTING_COMMANDS = ("test", "build")
SCOPE_ENV = "GBPOWER_DATA_TEST_SCOPE"  # dbt_project.yml's var data_test_scope reads it
EXCLUDE_TYPES_ENV = "DBT_EXCLUDE_RESOURCE_TYPES"  # dbt's --exclude-resource-type
RESOURCE_TYPE_OPTIONS = ("--resource-type", "--resource-types", "--exclude-resource-type", "--exclude-resource-types")
FULL_HISTORY_STAMP = "full_history_tests.json"
# Options that narrow a run to part of the project: such a run does not prove the whole history clean.
NARROWING = ("-s", "--select", "-m", "--models", "--selector", "--exclude", "--resource-type", "--resource-types")


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
    p.add_argument(
        "--test-scope",
        choices=("all", "window"),
        default=None,
        help="what data tests read: all = the whole history (default); window = only the rows the "
        "incremental window re-processes (the scheduled 30-minute build)",
    )
    p.add_argument(
        "--job-type",
        choices=[t for t in bytes_billed.JOB_TYPES if t != "loader"],
        default=None,
        help="BigQuery byte limit to apply (config/bigquery_bytes_billed.yml); default: worked out from "
        "the arguments (--full-refresh/refresh_from: full_refresh; --test-scope window: scheduled_build; "
        "test/build of the whole project: full_history_tests; else other)",
    )
    p.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt arguments, e.g. build -s marts")
    p.set_defaults(func=run)


def env_defaults(dbt_args: list[str], scope: str = "all") -> dict[str, str]:
    """Environment defaults for this dbt invocation (the user's own settings win).

    In the scheduled scope (``window``) a build or test also leaves out dbt's unit tests: they check
    the models' SQL against fixed inputs, not the data, so running them every 30 minutes proves nothing
    new and cost a fifth of the build (dbt's own advice is to run them in development and CI only).
    ``make demo``, ``make test`` and the weekly full-history ``dbt test`` run them. It also writes only
    ``run_results.json`` of dbt's artifacts (``loaders/dbt_results_only.py``; env
    ``GBPOWER_DBT_ARTIFACTS=all`` keeps them all)."""
    defaults: dict[str, str] = {}
    chose_selection = any(a.split("=")[0] == "--indirect-selection" for a in dbt_args)
    if not chose_selection and not os.environ.get("DBT_INDIRECT_SELECTION"):
        defaults["DBT_INDIRECT_SELECTION"] = "buildable"
    scheduled = scope == "window" and subcommand(dbt_args) in TESTING_COMMANDS
    if scheduled and not _names_resource_types(dbt_args) and not os.environ.get(EXCLUDE_TYPES_ENV):
        defaults[EXCLUDE_TYPES_ENV] = "unit_test"
    if scheduled:  # the 30-minute job rewrites only run_results.json, not the 7 MB manifest (twice)
        defaults[ARTIFACTS_ENV] = "run_results"
    return defaults


def _names_resource_types(dbt_args: list[str]) -> bool:
    """Does the command choose resource types itself (then it gets exactly what it asks for)?"""
    return any(a.split("=")[0] in RESOURCE_TYPE_OPTIONS for a in dbt_args)


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


def data_test_scope_of(args: argparse.Namespace, dbt_args: list[str]) -> str:
    """The data-test scope of this run: the flag, else the environment, else ``all``. ``--vars``
    naming data_test_scope also counts (its value is dbt's to parse; any mention of window wins)."""
    for i, a in enumerate(dbt_args):
        text = dbt_args[i + 1] if a == "--vars" and i + 1 < len(dbt_args) else a[7:] if a.startswith("--vars=") else ""
        if "data_test_scope" in text:
            return "window" if "window" in text else "all"
    return args.test_scope or os.environ.get(SCOPE_ENV) or "all"


def proves_full_history(dbt_args: list[str], scope: str) -> bool:
    """Did this (passing) run test the whole project over the whole history?"""
    if subcommand(dbt_args) not in TESTING_COMMANDS or scope != "all" or "--empty" in dbt_args:
        return False
    return not any(a in NARROWING or a.startswith(tuple(f"{n}=" for n in NARROWING)) for a in dbt_args)


def record_full_history_pass(dbt_args: list[str], target: str | None) -> Path:
    path = config.state_dir() / FULL_HISTORY_STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"passed_utc": datetime.now(UTC).isoformat(timespec="seconds"), "command": subcommand(dbt_args)}
    doc["target"] = target or os.environ.get("GBPOWER_TARGET") or "duckdb"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc) + "\n")
    tmp.replace(path)
    return path


def job_type_of_dbt_run(dbt_args: list[str], scope: str) -> str:
    """The BigQuery job type (config/bigquery_bytes_billed.yml) of a run: ``--full-refresh`` or var
    ``refresh_from`` → full_refresh; test scope ``window`` with run/test/build → scheduled_build (the
    30-minute job); a run that would prove the whole history clean → full_history_tests (the weekly
    job); anything else → other."""
    vars_texts = [dbt_args[i + 1] for i, a in enumerate(dbt_args[:-1]) if a == "--vars"]
    vars_texts += [a[len("--vars=") :] for a in dbt_args if a.startswith("--vars=")]
    if "--full-refresh" in dbt_args or any("refresh_from" in text for text in vars_texts):
        return "full_refresh"
    if subcommand(dbt_args) in SEEDED_COMMANDS and scope == "window":
        return "scheduled_build"
    if proves_full_history(dbt_args, scope):
        return "full_history_tests"
    return "other"


def bytes_billed_env(args: argparse.Namespace, dbt_args: list[str], scope: str) -> dict[str, str]:
    """``GBPOWER_BQ_MAX_BYTES_BILLED`` for this run's job type (the profile reads it); nothing when the
    environment already sets it (a deliberate override)."""
    if os.environ.get(bytes_billed.ENV_VAR):
        return {}
    job_type = getattr(args, "job_type", None) or job_type_of_dbt_run(dbt_args, scope)
    return {bytes_billed.ENV_VAR: str(bytes_billed.limit_for(job_type))}


def run(args: argparse.Namespace) -> int:
    dbt_args = list(args.dbt_args)
    if dbt_args and dbt_args[0] == "--":
        dbt_args = dbt_args[1:]
    if not dbt_args:
        dbt_args = ["--help"]
    target = dbt_target(args, dbt_args)
    limit = bytes_billed_env(args, dbt_args, data_test_scope_of(args, dbt_args))
    os.environ.update(limit)  # the seed run below and dbt itself inherit it
    if limit:
        log.debug("BigQuery maximum_bytes_billed for this run: %s", limit[bytes_billed.ENV_VAR])
    if subcommand(dbt_args) in SEEDED_COMMANDS and "--help" not in dbt_args and not args.no_seed_check:
        rc = seed_if_missing(target, forwarded_options(dbt_args))
        if rc != 0:  # the command itself will say precisely what the missing seeds break, if anything
            log.error("dbt seed failed (exit code %d); running dbt %s anyway", rc, subcommand(dbt_args))
    scope = data_test_scope_of(args, dbt_args)
    defaults = env_defaults(dbt_args, scope)
    if args.test_scope:  # the flag wins over the environment
        os.environ[SCOPE_ENV] = args.test_scope
    rc = run_dbt(dbt_args, target=args.target, env_defaults=defaults)
    if rc == 0 and proves_full_history(dbt_args, scope):
        stamp = record_full_history_pass(dbt_args, target)
        log.info("whole project tested over the whole history: recorded in %s", stamp)
    return rc
