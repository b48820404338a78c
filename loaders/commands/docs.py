"""``gbpower docs``: build the static dbt docs site — the data dictionary — into one HTML file.

Runs ``dbt docs generate --static`` (the catalog is read from the warehouse, so build the models
first for column types) and prints where ``static_index.html`` is: open that file in a browser; it
needs no server.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from loaders import config
from loaders.dbt_runner import TARGETS, run_dbt

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("docs", help="build the static dbt docs site (data dictionary) and print its path")
    p.add_argument("--target", choices=TARGETS, default=None, help="profile target (default: duckdb)")
    p.add_argument("--target-path", default=None, help="dbt target directory (default: target/ in the project root)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target_path = Path(args.target_path) if args.target_path else config.project_root() / "target"
    dbt_args = ["docs", "generate", "--static", "--target-path", str(target_path)]
    code = run_dbt(dbt_args, target=args.target)
    if code != 0:
        log.error("dbt docs generate failed (exit %d)", code)
        return code
    page = target_path / "static_index.html"
    if not page.exists():
        log.error("dbt reported success but %s is missing", page)
        return 1
    print(f"docs site: {page.resolve()}  (open it in a browser; no server needed)")
    return 0
