"""The exporter's YAML config: which mart (dbt model or SQL query) goes to which spreadsheet tab.

```yaml
credentials: ${GBPOWER_SHEETS_CREDENTIALS}   # service-account JSON key file (a path, never the key)
schema: analytics                             # where dbt builds the marts
spreadsheets:
  dashboard: ${GBPOWER_SHEETS_DASHBOARD_ID}   # alias -> spreadsheet id (from its URL)
tabs:
  - tab: System prices today
    spreadsheet: dashboard
    model: bmrs_costs                         # or  query: "select … from {{ ref('bmrs_costs') }}"
    where: "settlement_date = (select max(settlement_date) from {{ ref('bmrs_costs') }})"
    order_by: settlement_period
    limit: 50
    start: A1                                 # top-left cell (the "last updated (UTC)" row)
    columns:
      - settlement_period                     # header = the column name
      - {name: system_sell_price, header: "Price (£/MWh)", format: "#,##0.00"}
```
``${VAR}`` / ``${VAR:-default}`` are expanded from the environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loaders import config as project_config

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_A1 = re.compile(r"^([A-Za-z]{1,3})([1-9][0-9]*)$")
NUMBER_TYPES = ("TEXT", "NUMBER", "PERCENT", "CURRENCY", "DATE", "TIME", "DATE_TIME", "SCIENTIFIC")


class SheetsConfigError(ValueError):
    """The exporter config is invalid (the message names the file and the entry)."""


@dataclass(frozen=True)
class NumberFormat:
    type: str
    pattern: str

    def to_api(self) -> dict[str, str]:
        return {"type": self.type, "pattern": self.pattern}


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    format: NumberFormat | None = None


@dataclass(frozen=True)
class TabSpec:
    tab: str
    spreadsheet_id: str
    spreadsheet_alias: str
    sql: str  # query with {{ ref('…') }} placeholders unresolved
    columns: tuple[Column, ...]
    start_row: int  # 0-based
    start_col: int  # 0-based
    order_by: str | None = None
    limit: int | None = None

    @property
    def label(self) -> str:
        return f"{self.spreadsheet_alias}/{self.tab}"


@dataclass(frozen=True)
class ExportConfig:
    path: Path
    credentials: Path | None
    schema: str
    tabs: tuple[TabSpec, ...]


def expand_env(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        value = os.environ.get(m.group(1))
        return value if value else (m.group(2) or "")

    return _ENV.sub(sub, text)


def parse_a1(cell: str) -> tuple[int, int]:
    """'B3' -> (row 2, column 1), both 0-based."""
    m = _A1.match(cell.strip())
    if not m:
        raise ValueError(f"not an A1 cell reference: {cell!r}")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + (ord(ch) - 64)
    return int(m.group(2)) - 1, col - 1


def number_format(value: Any) -> NumberFormat:
    """A pattern string (type inferred: % -> PERCENT, date/time letters -> DATE/DATE_TIME/TIME,
    else NUMBER) or ``{type: …, pattern: …}``."""
    if isinstance(value, dict):
        ftype, pattern = str(value.get("type", "NUMBER")).upper(), str(value.get("pattern", ""))
        if ftype not in NUMBER_TYPES or set(value) - {"type", "pattern"}:
            raise ValueError(f"format {value!r}: keys type ({', '.join(NUMBER_TYPES)}) and pattern")
        return NumberFormat(ftype, pattern)
    pattern = str(value)
    letters = set(re.sub(r'"[^"]*"', "", pattern).lower())
    if "%" in pattern:
        ftype = "PERCENT"
    elif letters & {"y", "d"}:
        ftype = "DATE_TIME" if letters & {"h", "s"} else "DATE"
    elif letters & {"h", "s"}:
        ftype = "TIME"
    else:
        ftype = "NUMBER"
    return NumberFormat(ftype, pattern)


def _column(item: Any, where: str) -> Column:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict) or "name" not in item:
        raise SheetsConfigError(f"{where}: a column is a name or {{name, header, format}}, got {item!r}")
    unknown = set(item) - {"name", "header", "format"}
    if unknown:
        raise SheetsConfigError(f"{where}: unknown column keys {sorted(unknown)}")
    name = str(item["name"])
    if not _IDENT.match(name):
        raise SheetsConfigError(f"{where}: column {name!r} is not a plain column name")
    try:
        fmt = number_format(item["format"]) if item.get("format") is not None else None
    except ValueError as exc:
        raise SheetsConfigError(f"{where}: column {name}: {exc}") from None
    return Column(name, str(item.get("header", name)), fmt)


_TAB_KEYS = {"tab", "spreadsheet", "model", "query", "where", "order_by", "limit", "start", "columns"}


def _tab(raw: Any, i: int, spreadsheets: dict[str, str], where: str) -> TabSpec:
    here = f"{where}: tabs[{i}]"
    if not isinstance(raw, dict):
        raise SheetsConfigError(f"{here}: expected a mapping")
    unknown = set(raw) - _TAB_KEYS
    if unknown:
        raise SheetsConfigError(f"{here}: unknown keys {sorted(unknown)}")
    tab = str(raw.get("tab") or "").strip()
    if not tab:
        raise SheetsConfigError(f"{here}: 'tab' (the sheet title) is required")
    here = f"{where}: tab {tab!r}"
    alias = str(raw.get("spreadsheet") or "")
    if not alias:
        raise SheetsConfigError(f"{here}: 'spreadsheet' (an alias from spreadsheets: or an id) is required")
    # an alias whose id is empty (its env variable unset) is only an error when pushing, not in --dry-run
    sheet_id = spreadsheets.get(alias, alias)
    model, query = raw.get("model"), raw.get("query")
    if bool(model) == bool(query):
        raise SheetsConfigError(f"{here}: give exactly one of 'model' or 'query'")
    if model and not _IDENT.match(str(model)):
        raise SheetsConfigError(f"{here}: model {model!r} is not a model name")
    sql = f"select * from {{{{ ref('{model}') }}}}" if model else str(query).strip().rstrip(";")
    if raw.get("where"):
        sql = f"select * from ({sql}) as base where {raw['where']}"
    columns = raw.get("columns")
    if not isinstance(columns, list) or not columns:
        raise SheetsConfigError(f"{here}: 'columns' must list at least one column")
    limit = raw.get("limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise SheetsConfigError(f"{here}: limit must be a positive integer")
    try:
        row, col = parse_a1(str(raw.get("start", "A1")))
    except ValueError as exc:
        raise SheetsConfigError(f"{here}: start: {exc}") from None
    cols = tuple(_column(c, here) for c in columns)
    if len({c.name for c in cols}) != len(cols):
        raise SheetsConfigError(f"{here}: duplicate column names")
    return TabSpec(tab, sheet_id, alias, sql, cols, row, col, raw.get("order_by") or None, limit)


def load_config(path: Path | None = None) -> ExportConfig:
    path = path or project_config.resolve(os.environ.get("GBPOWER_SHEETS_CONFIG", "config/sheets.yml"))
    try:
        doc = yaml.safe_load(expand_env(path.read_text()))
    except OSError as exc:
        raise SheetsConfigError(f"cannot read exporter config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SheetsConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tabs"), list):
        raise SheetsConfigError(f"{path}: expected a mapping with a 'tabs' list")
    spreadsheets = {str(k): str(v or "") for k, v in (doc.get("spreadsheets") or {}).items()}
    tabs = tuple(_tab(t, i, spreadsheets, str(path)) for i, t in enumerate(doc["tabs"]))
    seen = set()
    for t in tabs:
        if (t.spreadsheet_id, t.tab) in seen:
            raise SheetsConfigError(f"{path}: tab {t.tab!r} appears twice in spreadsheet {t.spreadsheet_alias}")
        seen.add((t.spreadsheet_id, t.tab))
    creds = doc.get("credentials") or os.environ.get("GBPOWER_SHEETS_CREDENTIALS")
    schema = str(doc.get("schema") or os.environ.get("GBPOWER_ANALYTICS_SCHEMA") or "analytics")
    if not _IDENT.match(schema):
        raise SheetsConfigError(f"{path}: schema {schema!r} is not a schema name")
    return ExportConfig(path, project_config.resolve(str(creds)) if creds else None, schema, tabs)
