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
A dashboard layout (a tab with ``blocks:``) places several such blocks on one tab, each at its own
start cell, with config-only formula columns (``{{row.col}}`` / ``{{column.col}}`` placeholders),
freshness colouring (``freshness: DATASET``) and charts; overlapping blocks are a config error::

```yaml
  - tab: GB Live
    spreadsheet: dashboard
    updated: F1                               # "last updated (UK)" | UK time | SP n (3 cells)
    blocks:
      - {name: headline, start: A1, title: Headline, model: mart_system_snapshot, limit: 1, columns: [...]}
      - {name: fuel, start: A5, model: mart_generation_mix, limit: 20, columns: [...]}
    charts:
      - {title: Prices, type: LINE, block: prices, x: settlement_period, series: [system_sell_price], anchor: H2}
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
    formula: str | None = None  # a formula column (from the config only): not read from the query
    freshness: str | None = None  # dataset whose freshness policy colours this (age in minutes) column

    @property
    def from_query(self) -> bool:
        return self.formula is None


@dataclass(frozen=True)
class BlockSpec:
    """One rectangle of a tab: optional title row, header row, then the query's rows."""

    name: str
    sql: str  # query with {{ ref('…') }} placeholders unresolved
    columns: tuple[Column, ...]
    start_row: int  # 0-based
    start_col: int  # 0-based
    order_by: str | None = None
    limit: int | None = None
    title: str | None = None
    header: bool = True

    @property
    def query_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.from_query)

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def first_data_row(self) -> int:
        return self.start_row + (self.title is not None) + self.header

    def max_height(self) -> int | None:
        """Rows the block can take (None: unbounded, no limit)."""
        return None if self.limit is None else (self.title is not None) + self.header + self.limit

    def column_index(self, name: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.name == name)


@dataclass(frozen=True)
class ChartSpec:
    """An embedded chart over a block's columns (x: the domain column, series: value columns)."""

    title: str
    type: str  # LINE, COLUMN, BAR, AREA
    block: str
    x: str
    series: tuple[str, ...]
    anchor_row: int
    anchor_col: int
    width: int = 600
    height: int = 300


@dataclass(frozen=True)
class TabSpec:
    tab: str
    spreadsheet_id: str
    spreadsheet_alias: str
    blocks: tuple[BlockSpec, ...]
    layout: bool = False  # a dashboard layout (blocks:) rather than the one-block table of a plain tab
    updated_row: int = 0  # layout: where "last updated (UK)" | time | SP n goes
    updated_col: int = 0
    charts: tuple[ChartSpec, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.spreadsheet_alias}/{self.tab}"

    # the single-block view (a plain tab), also used by the exposures and dataset docs generators
    @property
    def sql(self) -> str:
        return "\n".join(b.sql for b in self.blocks)

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for b in self.blocks for c in b.query_columns)

    @property
    def start_row(self) -> int:
        return self.blocks[0].start_row

    @property
    def start_col(self) -> int:
        return self.blocks[0].start_col

    @property
    def order_by(self) -> str | None:
        return self.blocks[0].order_by if len(self.blocks) == 1 else None

    @property
    def limit(self) -> int | None:
        return self.blocks[0].limit if len(self.blocks) == 1 else None


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


_PLACEHOLDER = re.compile(r"\{\{\s*(row|column)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
CHART_TYPES = ("LINE", "COLUMN", "BAR", "AREA")


def formula_refs(formula: str) -> list[tuple[str, str]]:
    """The ``{{row.col}}`` / ``{{column.col}}`` placeholders of a config formula."""
    return [(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(formula)]


def render_formula(formula: str, cell: Any) -> str:
    """Replace each placeholder by ``cell(kind, column)`` (an A1 reference the exporter computes)."""
    return _PLACEHOLDER.sub(lambda m: cell(m.group(1), m.group(2)), formula)


def freshness_dataset(name: str) -> str:
    """A dataset name whose policy gives a freshness threshold (loaders/datasets)."""
    from loaders.registry import UnknownDataset, get_dataset

    try:
        return get_dataset(name).name
    except UnknownDataset:
        raise ValueError(f"freshness: {name!r} is not a dataset (gbpower datasets lists them)") from None


def _column(item: Any, where: str, layout: bool = False, position: int = 0) -> Column:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict) or not ("name" in item or (layout and "formula" in item)):
        raise SheetsConfigError(f"{where}: a column is a name or {{name, header, format}}, got {item!r}")
    allowed = {"name", "header", "format"} | ({"formula", "freshness"} if layout else set())
    unknown = set(item) - allowed
    if unknown:
        raise SheetsConfigError(f"{where}: unknown column keys {sorted(unknown)}")
    formula = item.get("formula")
    name = str(item.get("name") or "")
    if formula is not None:
        formula = str(formula)
        if not formula.startswith("="):
            raise SheetsConfigError(f"{where}: formula {formula!r} must start with '='")
        name = name or f"formula_{position + 1}"
    if not _IDENT.match(name):
        raise SheetsConfigError(f"{where}: column {name!r} is not a plain column name")
    try:
        fmt = number_format(item["format"]) if item.get("format") is not None else None
        fresh = freshness_dataset(str(item["freshness"])) if item.get("freshness") else None
    except ValueError as exc:
        raise SheetsConfigError(f"{where}: column {name}: {exc}") from None
    return Column(name, str(item.get("header", "" if formula else name)), fmt, formula, fresh)


_QUERY_KEYS = {"model", "query", "where", "order_by", "limit", "start", "columns"}
_TAB_KEYS = {"tab", "spreadsheet"} | _QUERY_KEYS
_LAYOUT_KEYS = {"tab", "spreadsheet", "updated", "blocks", "charts"}
_BLOCK_KEYS = {"name", "title", "header"} | _QUERY_KEYS
_CHART_KEYS = {"title", "type", "block", "x", "series", "anchor", "width", "height"}


def _cell(raw: Any, here: str, key: str) -> tuple[int, int]:
    try:
        return parse_a1(str(raw))
    except ValueError as exc:
        raise SheetsConfigError(f"{here}: {key}: {exc}") from None


def _block(raw: dict[str, Any], here: str, name: str, layout: bool) -> BlockSpec:
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
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise SheetsConfigError(f"{here}: limit must be a positive integer")
    row, col = _cell(raw.get("start", "A1"), here, "start")
    cols = tuple(_column(c, here, layout, i) for i, c in enumerate(columns))
    if len({c.name for c in cols}) != len(cols):
        raise SheetsConfigError(f"{here}: duplicate column names")
    if not any(c.from_query for c in cols):
        raise SheetsConfigError(f"{here}: at least one column must come from the query")
    readable = {c.name for c in cols if c.from_query}
    for c in cols:
        for _kind, ref in formula_refs(c.formula or ""):
            if ref not in readable:
                raise SheetsConfigError(f"{here}: formula of column {c.name!r} names {ref!r}, not a query column here")
    title = raw.get("title")
    header = raw.get("header", True)
    if not isinstance(header, bool):
        raise SheetsConfigError(f"{here}: header must be true or false")
    return BlockSpec(
        name,
        sql,
        cols,
        row,
        col,
        raw.get("order_by") or None,
        limit,
        None if title is None else str(title),
        header,
    )


def _overlaps(a: tuple[int, int, int | None, int], b: tuple[int, int, int | None, int]) -> bool:
    """Rectangles (row, col, height or None = to the bottom, width)."""
    (r1, c1, h1, w1), (r2, c2, h2, w2) = a, b
    cols = c1 < c2 + w2 and c2 < c1 + w1
    rows = (h2 is None or r1 < r2 + h2) and (h1 is None or r2 < r1 + h1)
    return cols and rows


def _chart(raw: Any, i: int, blocks: dict[str, BlockSpec], here: str) -> ChartSpec:
    where = f"{here}: charts[{i}]"
    if not isinstance(raw, dict):
        raise SheetsConfigError(f"{where}: expected a mapping")
    unknown = set(raw) - _CHART_KEYS
    if unknown:
        raise SheetsConfigError(f"{where}: unknown keys {sorted(unknown)}")
    ctype = str(raw.get("type", "LINE")).upper()
    if ctype not in CHART_TYPES:
        raise SheetsConfigError(f"{where}: type must be one of {', '.join(CHART_TYPES)}")
    block = blocks.get(str(raw.get("block")))
    if block is None:
        raise SheetsConfigError(f"{where}: block {raw.get('block')!r} is not a block of this tab")
    series = raw.get("series")
    if isinstance(series, str):
        series = [series]
    if not isinstance(series, list) or not series:
        raise SheetsConfigError(f"{where}: series must list at least one column")
    readable = {c.name for c in block.query_columns}
    for name in [raw.get("x"), *series]:
        if name not in readable:
            raise SheetsConfigError(f"{where}: {name!r} is not a query column of block {block.name!r}")
    if not block.header:
        raise SheetsConfigError(f"{where}: block {block.name!r} needs its header row (the series names)")
    row, col = _cell(raw.get("anchor", "A1"), where, "anchor")
    size = [raw.get("width", 600), raw.get("height", 300)]
    if not all(isinstance(v, int) and 50 <= v <= 4000 for v in size):
        raise SheetsConfigError(f"{where}: width and height are pixels (50..4000)")
    title = str(raw.get("title") or "")
    return ChartSpec(title, ctype, block.name, str(raw["x"]), tuple(map(str, series)), row, col, size[0], size[1])


def _layout(raw: dict[str, Any], tab: str, sheet_id: str, alias: str, here: str) -> TabSpec:
    unknown = set(raw) - _LAYOUT_KEYS
    if unknown:
        takes = sorted(_LAYOUT_KEYS)
        raise SheetsConfigError(f"{here}: unknown keys {sorted(unknown)} (a tab with blocks: takes {takes})")
    raw_blocks = raw.get("blocks")
    if not isinstance(raw_blocks, list) or not raw_blocks:
        raise SheetsConfigError(f"{here}: 'blocks' must list at least one block")
    blocks: list[BlockSpec] = []
    for j, b in enumerate(raw_blocks):
        if not isinstance(b, dict):
            raise SheetsConfigError(f"{here}: blocks[{j}]: expected a mapping")
        name = str(b.get("name") or "")
        if not _IDENT.match(name):
            raise SheetsConfigError(f"{here}: blocks[{j}]: 'name' (a plain identifier) is required")
        unknown = set(b) - _BLOCK_KEYS
        if unknown:
            raise SheetsConfigError(f"{here}: block {name!r}: unknown keys {sorted(unknown)}")
        if "start" not in b:
            raise SheetsConfigError(f"{here}: block {name!r}: 'start' (its top-left cell, e.g. B4) is required")
        blocks.append(_block(b, f"{here}: block {name!r}", name, layout=True))
    names = [b.name for b in blocks]
    if len(set(names)) != len(names):
        raise SheetsConfigError(f"{here}: duplicate block names {sorted({n for n in names if names.count(n) > 1})}")
    urow, ucol = _cell(raw.get("updated", "A1"), here, "updated")
    rects: list[tuple[str, tuple[int, int, int | None, int]]] = [("'last updated (UK)'", (urow, ucol, 1, 3))]
    rects += [(f"block {b.name!r}", (b.start_row, b.start_col, b.max_height(), b.width)) for b in blocks]
    for i, (na, ra) in enumerate(rects):
        for nb, rb in rects[i + 1 :]:
            if _overlaps(ra, rb):
                hint = " (a block with others below it needs a limit)" if ra[2] is None or rb[2] is None else ""
                raise SheetsConfigError(f"{here}: {na} and {nb} overlap{hint}")
    by_name = {b.name: b for b in blocks}
    charts = raw.get("charts") or []
    if not isinstance(charts, list):
        raise SheetsConfigError(f"{here}: charts must be a list")
    specs = tuple(_chart(c, i, by_name, here) for i, c in enumerate(charts))
    return TabSpec(tab, sheet_id, alias, tuple(blocks), True, urow, ucol, specs)


def _tab(raw: Any, i: int, spreadsheets: dict[str, str], where: str) -> TabSpec:
    here = f"{where}: tabs[{i}]"
    if not isinstance(raw, dict):
        raise SheetsConfigError(f"{here}: expected a mapping")
    tab = str(raw.get("tab") or "").strip()
    if not tab:
        raise SheetsConfigError(f"{here}: 'tab' (the sheet title) is required")
    here = f"{where}: tab {tab!r}"
    alias = str(raw.get("spreadsheet") or "")
    if not alias:
        raise SheetsConfigError(f"{here}: 'spreadsheet' (an alias from spreadsheets: or an id) is required")
    # an alias whose id is empty (its env variable unset) is only an error when pushing, not in --dry-run
    sheet_id = spreadsheets.get(alias, alias)
    if "blocks" in raw:
        return _layout(raw, tab, sheet_id, alias, here)
    unknown = set(raw) - _TAB_KEYS
    if unknown:
        raise SheetsConfigError(f"{here}: unknown keys {sorted(unknown)}")
    return TabSpec(tab, sheet_id, alias, (_block(raw, here, "table", layout=False),))


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
