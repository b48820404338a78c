"""Run each configured tab's query against the warehouse and push it to Google Sheets (or, with
``dry_run``, write it as CSV). A tab that fails — bad query, Google error after retries — is
logged with its name and the others still run; the run then reports failure."""

from __future__ import annotations

import csv
import logging
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loaders.sheets.cells import csv_value, layout_requests, tab_requests
from loaders.sheets.config import BlockSpec, ExportConfig, SheetsConfigError, TabSpec
from loaders.sheets.preview import PreviewTab, write_preview
from loaders.warehouse.base import Writer

log = logging.getLogger(__name__)

_REF = re.compile(r"\{\{\s*ref\(\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\s*\)\s*\}\}")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def relation(writer: Writer, schema: str, model: str) -> str:
    """A dbt model's table in the writer's dialect (BigQuery: `project.schema.model`)."""
    project = getattr(writer, "project", None)
    if writer.target != "duckdb" and project:
        return f"`{project}.{schema}.{model}`"
    return f"{schema}.{model}"


def block_sql(block: BlockSpec, writer: Writer, schema: str) -> str:
    body = _REF.sub(lambda m: relation(writer, schema, m.group(1)), block.sql)
    cols = ", ".join(f"q.{c.name}" for c in block.query_columns)
    sql = f"select {cols} from ({body}) as q"
    if block.order_by:
        sql += f" order by {block.order_by}"
    if block.limit:
        sql += f" limit {int(block.limit)}"
    return sql


def tab_sql(spec: TabSpec, writer: Writer, schema: str) -> str:
    """The query of a plain (one-block) tab."""
    return block_sql(spec.blocks[0], writer, schema)


class BlockQueryError(RuntimeError):
    """A layout block's query failed (the message names the block)."""


@dataclass
class TabResult:
    label: str
    rows: int = 0
    ok: bool = False
    error: str | None = None
    output: str | None = None  # CSV path (dry run) or spreadsheet id


@dataclass
class ExportSummary:
    results: list[TabResult] = field(default_factory=list)
    preview: Path | None = None  # dry run: DIR/index.html

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def lines(self) -> list[str]:
        out = []
        for r in self.results:
            if r.ok:
                out.append(f"ok      {r.label}: {r.rows} rows -> {r.output}")
            else:
                out.append(f"FAILED  {r.label}: {r.error}")
        good = sum(r.ok for r in self.results)
        out.append(f"{good}/{len(self.results)} tabs exported")
        if self.preview is not None:
            out.append(f"preview: {self.preview}")
        return out


def csv_name(spec: TabSpec, block: BlockSpec | None = None) -> str:
    """``<alias>__<tab>.csv``; a layout tab's blocks: ``<alias>__<tab>__<block>.csv``."""
    stem = f"{spec.spreadsheet_alias}__{spec.tab}" + (f"__{block.name}" if block is not None and spec.layout else "")
    return _SAFE_NAME.sub("_", stem).strip("_") + ".csv"


def write_csv(spec: TabSpec, rows: list[tuple], out_dir: Path, block: BlockSpec | None = None) -> Path:
    """The query's rows (formula columns are not written: they exist only in the sheet)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / csv_name(spec, block)
    cols = (block or spec.blocks[0]).query_columns
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([c.header for c in cols])
        w.writerows([csv_value(v) for v in r] for r in rows)
    tmp.replace(path)
    return path


def requests_for(
    spec: TabSpec, rows: dict[str, list[tuple]], updated: datetime, sheet: dict[str, Any] | None, new_id: int
) -> list[dict[str, Any]]:
    """The requests of the tab's one batchUpdate (``sheet``: its current Sheet resource or None)."""
    if spec.layout:
        return layout_requests(spec, rows, updated, sheet, new_id)
    return tab_requests(spec, rows[spec.blocks[0].name], updated, sheet and sheet["properties"], new_id)


class SheetsTarget:
    """The Google side: one metadata read per spreadsheet per export, one batchUpdate per tab."""

    FIELDS = "sheets.properties,sheets.conditionalFormats,sheets.charts.chartId"

    def __init__(self, client: Any) -> None:
        self.http = client.http_client
        self._sheets: dict[str, dict[str, dict[str, Any]]] = {}
        self._ids: dict[str, set[int]] = {}  # sheet ids in use per spreadsheet, ours included
        self._written: set[tuple[str, str]] = set()  # tabs whose state our own write has changed

    def sheets(self, spreadsheet_id: str, tab: str) -> dict[str, dict[str, Any]]:
        if spreadsheet_id not in self._sheets or (spreadsheet_id, tab) in self._written:
            meta = self.http.fetch_sheet_metadata(
                spreadsheet_id, params={"includeGridData": "false", "fields": self.FIELDS}
            )
            self._sheets[spreadsheet_id] = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
            self._ids[spreadsheet_id] = {int(s["properties"]["sheetId"]) for s in meta.get("sheets", [])}
            self._written = {w for w in self._written if w[0] != spreadsheet_id}
        return self._sheets[spreadsheet_id]

    def write(self, spec: TabSpec, rows: dict[str, list[tuple]], updated: datetime) -> None:
        current = self.sheets(spec.spreadsheet_id, spec.tab).get(spec.tab)
        used = self._ids[spec.spreadsheet_id]
        new_id = next(i for i in iter(lambda: random.randint(1, 2**31 - 1), None) if i not in used)
        body = {"requests": requests_for(spec, rows, updated, current, new_id)}
        self.http.batch_update(spec.spreadsheet_id, body)
        # A tab's write changes only that tab (its grid, rules, charts; a new tab takes new_id), so the
        # spreadsheet's other tabs keep the state read once for this export; writing this tab again
        # in the same run would read the metadata afresh.
        used.add(new_id)
        self._written.add((spec.spreadsheet_id, spec.tab))


def export(
    cfg: ExportConfig,
    writer: Writer,
    *,
    dry_run_dir: Path | None = None,
    client: Any = None,
    only: list[str] | None = None,
    now: datetime | None = None,
) -> ExportSummary:
    summary = ExportSummary()
    tabs = [t for t in cfg.tabs if not only or t.tab in only or t.label in only]
    if only and not tabs:
        raise SheetsConfigError(f"no tab named {', '.join(only)} in {cfg.path}")
    target = None
    if dry_run_dir is None:
        if client is None:
            from loaders.sheets.client import open_client

            if cfg.credentials is None:
                raise SheetsConfigError(
                    f"{cfg.path}: no credentials (set 'credentials:' or GBPOWER_SHEETS_CREDENTIALS)"
                )
            client = open_client(cfg.credentials)
        target = SheetsTarget(client)
    previews: list[PreviewTab] = []
    updated = now or datetime.now(UTC)
    for spec in tabs:
        result = TabResult(spec.label)
        summary.results.append(result)
        t0 = time.monotonic()
        try:
            if target is not None and not spec.spreadsheet_id:
                raise SheetsConfigError(f"spreadsheet alias {spec.spreadsheet_alias!r} has no id in {cfg.path}")
            rows: dict[str, list[tuple]] = {}
            for block in spec.blocks:
                try:
                    rows[block.name] = writer.query(block_sql(block, writer, cfg.schema))
                except Exception as exc:
                    if not spec.layout:
                        raise
                    raise BlockQueryError(f"block {block.name!r}: {type(exc).__name__}: {exc}") from exc
            result.rows = sum(len(r) for r in rows.values())
            if target is None:
                out: Path = dry_run_dir  # type: ignore[assignment]
                paths = [write_csv(spec, rows[b.name], out, b) for b in spec.blocks]
                result.output = str(paths[0]) if len(paths) == 1 else f"{len(paths)} CSVs in {out}"
                reqs = requests_for(spec, rows, updated, None, len(previews) + 1)
                previews.append(PreviewTab(spec, reqs, {name: len(r) for name, r in rows.items()}))
            else:
                target.write(spec, rows, updated)
                result.output = f"spreadsheet {spec.spreadsheet_id}"
            result.ok = True
            log.info("exported %s: %d rows in %.1fs", spec.label, result.rows, time.monotonic() - t0)
        except Exception as exc:  # one bad tab must not stop the others
            result.error = f"{type(exc).__name__}: {exc}"
            log.error("tab %s failed (left as it was): %s", spec.label, result.error)
    if dry_run_dir is not None:
        summary.preview = write_preview(previews, dry_run_dir / "index.html", cfg, summary, updated)
    return summary
