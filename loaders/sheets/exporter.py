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

from loaders.sheets.cells import csv_value, tab_requests
from loaders.sheets.config import ExportConfig, SheetsConfigError, TabSpec
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


def tab_sql(spec: TabSpec, writer: Writer, schema: str) -> str:
    body = _REF.sub(lambda m: relation(writer, schema, m.group(1)), spec.sql)
    cols = ", ".join(f"q.{c.name}" for c in spec.columns)
    sql = f"select {cols} from ({body}) as q"
    if spec.order_by:
        sql += f" order by {spec.order_by}"
    if spec.limit:
        sql += f" limit {int(spec.limit)}"
    return sql


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
        return out


def csv_name(spec: TabSpec) -> str:
    return _SAFE_NAME.sub("_", f"{spec.spreadsheet_alias}__{spec.tab}").strip("_") + ".csv"


def write_csv(spec: TabSpec, rows: list[tuple], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / csv_name(spec)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([c.header for c in spec.columns])
        w.writerows([csv_value(v) for v in r] for r in rows)
    tmp.replace(path)
    return path


class SheetsTarget:
    """The Google side: one metadata read per spreadsheet, one batchUpdate per tab."""

    def __init__(self, client: Any) -> None:
        self.http = client.http_client
        self._sheets: dict[str, dict[str, dict[str, Any]]] = {}

    def sheets(self, spreadsheet_id: str) -> dict[str, dict[str, Any]]:
        if spreadsheet_id not in self._sheets:
            meta = self.http.fetch_sheet_metadata(
                spreadsheet_id, params={"includeGridData": "false", "fields": "sheets.properties"}
            )
            self._sheets[spreadsheet_id] = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
        return self._sheets[spreadsheet_id]

    def write(self, spec: TabSpec, rows: list[tuple], updated: datetime) -> None:
        existing = self.sheets(spec.spreadsheet_id)
        current = existing.get(spec.tab)
        used = {int(p["sheetId"]) for p in existing.values()}
        new_id = next(i for i in iter(lambda: random.randint(1, 2**31 - 1), None) if i not in used)
        body = {"requests": tab_requests(spec, rows, updated, current, new_id)}
        self.http.batch_update(spec.spreadsheet_id, body)
        # keep our picture of the grid current (a later tab of this run may share the spreadsheet)
        self._sheets.pop(spec.spreadsheet_id, None)


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
    for spec in tabs:
        result = TabResult(spec.label)
        summary.results.append(result)
        t0 = time.monotonic()
        try:
            if target is not None and not spec.spreadsheet_id:
                raise SheetsConfigError(f"spreadsheet alias {spec.spreadsheet_alias!r} has no id in {cfg.path}")
            rows = writer.query(tab_sql(spec, writer, cfg.schema))
            result.rows = len(rows)
            if target is None:
                result.output = str(write_csv(spec, rows, dry_run_dir))  # type: ignore[arg-type]
            else:
                target.write(spec, rows, now or datetime.now(UTC))
                result.output = f"spreadsheet {spec.spreadsheet_id}"
            result.ok = True
            log.info("exported %s: %d rows in %.1fs", spec.label, len(rows), time.monotonic() - t0)
        except Exception as exc:  # one bad tab must not stop the others
            result.error = f"{type(exc).__name__}: {exc}"
            log.error("tab %s failed (left as it was): %s", spec.label, result.error)
    return summary
