"""``gbpower export-sheets``: push marts to Google Sheets as configured in config/sheets.yml."""

from __future__ import annotations

import argparse
from pathlib import Path

from loaders.errors import UsageError
from loaders.sheets import SheetsConfigError, export, load_config
from loaders.warehouse import open_writer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-sheets",
        help="push marts to Google Sheets tabs (config/sheets.yml)",
        description="One atomic write per tab: values, number formats, header, 'last updated (UTC)' "
        "and clearing of stale rows (a dashboard tab: every block, config formulas, freshness colours "
        "and charts); missing tabs are created; 429/5xx are retried. Exit 1 if any tab failed (the "
        "others are still written).",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="exporter config (default $GBPOWER_SHEETS_CONFIG or config/sheets.yml)",
    )
    p.add_argument(
        "--dry-run",
        type=Path,
        default=None,
        metavar="DIR",
        help="write each tab as DIR/<spreadsheet>__<tab>.csv (a dashboard tab: one CSV per block) and "
        "DIR/index.html, an offline preview of every tab, instead of calling Google",
    )
    p.add_argument("--tab", action="append", default=None, metavar="NAME", help="only this tab (repeatable)")
    p.add_argument("--target", choices=["duckdb", "bigquery"], default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except SheetsConfigError as exc:
        raise UsageError(str(exc)) from None
    with open_writer(args.target) as writer:
        try:
            summary = export(cfg, writer, dry_run_dir=args.dry_run, only=args.tab)
        except SheetsConfigError as exc:
            raise UsageError(str(exc)) from None
    for line in summary.lines():
        print(line)
    return 0 if summary.ok else 1
