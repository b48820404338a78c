"""From query rows to Sheets v4 ``CellData`` and to the one ``batchUpdate`` request per tab.

A tab's block, starting at its top-left cell: row 1 ``last updated (UTC) | <timestamp>``, row 2 the
headers, then the data. The whole block — values, number formats and the clearing of rows the
previous run left below the new data — is ONE ``spreadsheets.batchUpdate`` (``updateCells`` over a
range down to the sheet's last row: Sheets clears the part of the range the new rows do not cover).
When the tab is missing it is created (``addSheet``) and when the grid is too small it is extended
(``appendDimension``) in that same request. Google applies a batchUpdate atomically, so a tab is
either fully old or fully new.

A dashboard layout tab (``blocks:``) is also one batchUpdate (:func:`layout_requests`): the whole grid
rewritten from A1 with every block at its cell, the tab's conditional-format rules and charts
deleted and re-added from the config. Formulas come only from the config (``formulaValue``); values
from the warehouse are always ``stringValue``/``numberValue``/``boolValue``.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from loaders.settlement import LONDON, settlement_period_of
from loaders.sheets.config import BlockSpec, ChartSpec, NumberFormat, TabSpec, render_formula

SHEETS_EPOCH = datetime(1899, 12, 30)
DEFAULT_DATE_TIME = NumberFormat("DATE_TIME", "yyyy-mm-dd hh:mm")
DEFAULT_DATE = NumberFormat("DATE", "yyyy-mm-dd")
UPDATED_FORMAT = NumberFormat("DATE_TIME", "yyyy-mm-dd hh:mm:ss")
UPDATED_LABEL = "last updated (UTC)"  # a flat tab's first row
LAYOUT_UPDATED_LABEL = "last updated (UK)"  # a dashboard tab: UK local time and settlement period
FIELDS = "userEnteredValue,userEnteredFormat.numberFormat,userEnteredFormat.textFormat.bold"
MIN_ROWS, MIN_COLS = 1000, 26  # size of a tab we create


def serial(value: datetime | date) -> float:
    """Sheets' date serial number (days since 1899-12-30); datetimes as UTC wall time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return (value - SHEETS_EPOCH).total_seconds() / 86400
    return float((value - SHEETS_EPOCH.date()).days)


def cell(value: Any, fmt: NumberFormat | None = None, bold: bool = False) -> dict[str, Any]:
    """One CellData. Strings are stringValue (never parsed: a leading '=' is not a formula)."""
    data: dict[str, Any] = {}
    auto: NumberFormat | None = None
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        pass
    elif isinstance(value, bool):
        data["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, int | float | Decimal):
        data["userEnteredValue"] = {"numberValue": float(value)}
    elif isinstance(value, datetime):
        data["userEnteredValue"] = {"numberValue": serial(value)}
        auto = DEFAULT_DATE_TIME
    elif isinstance(value, date):
        data["userEnteredValue"] = {"numberValue": serial(value)}
        auto = DEFAULT_DATE
    elif isinstance(value, time):
        data["userEnteredValue"] = {"stringValue": value.isoformat()}
    else:
        data["userEnteredValue"] = {"stringValue": str(value)}
    fmt = fmt or auto
    if fmt or bold:
        data["userEnteredFormat"] = {}
        if fmt:
            data["userEnteredFormat"]["numberFormat"] = fmt.to_api()
        if bold:
            data["userEnteredFormat"]["textFormat"] = {"bold": True}
    return data


def block_rows(spec: TabSpec, rows: list[tuple], updated: datetime) -> list[dict[str, Any]]:
    """RowData for the whole block: last-updated row, header row, data rows."""
    out = [
        {"values": [cell(UPDATED_LABEL, bold=True), cell(updated, UPDATED_FORMAT)]},
        {"values": [cell(c.header, bold=True) for c in spec.columns]},
    ]
    for r in rows:
        out.append({"values": [cell(v, c.format) for v, c in zip(r, spec.columns, strict=True)]})
    return out


def uk_updated_cells(updated: datetime) -> list[dict[str, Any]]:
    """A dashboard tab's export time as its readers see time: ``last updated (UK) | <UK wall time> |
    SP <n>`` (the settlement period it falls in)."""
    _, period = settlement_period_of(updated)
    wall = updated.astimezone(LONDON).replace(tzinfo=None)
    return [cell(LAYOUT_UPDATED_LABEL, bold=True), cell(wall, UPDATED_FORMAT), cell(f"SP {period}")]


def block_width(spec: TabSpec) -> int:
    return max(len(spec.columns), 2)


def tab_requests(
    spec: TabSpec, rows: list[tuple], updated: datetime, sheet: dict[str, Any] | None, new_sheet_id: int
) -> list[dict[str, Any]]:
    """The requests of the tab's single batchUpdate. ``sheet`` is the tab's current ``properties``
    (None when the tab does not exist yet)."""
    data = block_rows(spec, rows, updated)
    need_rows = spec.start_row + len(data)
    need_cols = spec.start_col + block_width(spec)
    requests: list[dict[str, Any]] = []
    if sheet is None:
        sheet_id, row_count = new_sheet_id, max(MIN_ROWS, need_rows)
        requests.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": sheet_id,
                        "title": spec.tab,
                        "gridProperties": {"rowCount": row_count, "columnCount": max(MIN_COLS, need_cols)},
                    }
                }
            }
        )
    else:
        sheet_id = int(sheet["sheetId"])
        grid = sheet.get("gridProperties", {})
        row_count, col_count = int(grid.get("rowCount", 0)), int(grid.get("columnCount", 0))
        if need_rows > row_count:
            requests.append(
                {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": need_rows - row_count}}
            )
            row_count = need_rows
        if need_cols > col_count:
            requests.append(
                {"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": need_cols - col_count}}
            )
    requests.append(
        {
            "updateCells": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": spec.start_row,
                    "endRowIndex": row_count,
                    "startColumnIndex": spec.start_col,
                    "endColumnIndex": need_cols,
                },
                "rows": data,
                "fields": FIELDS,
            }
        }
    )
    return requests


def csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        v = value.astimezone(UTC) if value.tzinfo else value
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


# --- dashboard layouts (a tab with blocks:) ------------------------------------------------------------

FRESH_COLOURS = {  # background of a freshness cell: within warn_after, past it, past error_after
    "ok": {"red": 0.80, "green": 0.94, "blue": 0.80},
    "warn": {"red": 1.00, "green": 0.90, "blue": 0.60},
    "error": {"red": 0.96, "green": 0.78, "blue": 0.78},
}


def a1(row: int, col: int) -> str:
    """(row 8, col 2), 0-based -> 'C9'."""
    letters, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def formula_cell(formula: str, fmt: NumberFormat | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"userEnteredValue": {"formulaValue": formula}}
    if fmt:
        data["userEnteredFormat"] = {"numberFormat": fmt.to_api()}
    return data


def freshness_minutes(dataset: str) -> tuple[float, float]:
    """(warn, error) age thresholds in minutes from the dataset policy (loaders/datasets): the IRIS
    freshness when the dataset is on IRIS (the live feed behind the dashboard), else the API's."""
    from loaders.registry import get_dataset

    policy = get_dataset(dataset).policy
    fresh = policy.iris_freshness or policy.api_freshness
    return fresh.warn_after.total_seconds() / 60, fresh.error_after.total_seconds() / 60


def block_cells(block: BlockSpec, rows: list[tuple]) -> dict[tuple[int, int], dict[str, Any]]:
    """CellData of a layout block at its cells: title, header, data; formula columns from the config
    with their ``{{row.x}}``/``{{column.x}}`` placeholders turned into A1 references of this block."""
    out: dict[tuple[int, int], dict[str, Any]] = {}
    r0, c0 = block.start_row, block.start_col
    if block.title is not None:
        out[(r0, c0)] = cell(block.title, bold=True)
        r0 += 1
    if block.header:
        for j, c in enumerate(block.columns):
            out[(r0, c0 + j)] = cell(c.header, bold=True)
    first = block.first_data_row
    last = first + max(len(rows), 1) - 1
    query_cols = block.query_columns

    def ref(row: int) -> Any:
        def sub(kind: str, name: str) -> str:
            col = c0 + block.column_index(name)
            return a1(row, col) if kind == "row" else f"{a1(first, col)}:{a1(last, col)}"

        return sub

    for i, r in enumerate(rows):
        values = dict(zip((c.name for c in query_cols), r, strict=True))
        for j, c in enumerate(block.columns):
            if c.formula is not None:
                out[(first + i, c0 + j)] = formula_cell(render_formula(c.formula, ref(first + i)), c.format)
            else:
                out[(first + i, c0 + j)] = cell(values[c.name], c.format)
    return out


def freshness_rules(block: BlockSpec, n_rows: int, sheet_id: int) -> list[dict[str, Any]]:
    """Conditional-format rules colouring each freshness column's data cells by age (minutes)."""
    rules: list[dict[str, Any]] = []
    if not n_rows:
        return rules
    for j, c in enumerate(block.columns):
        if not c.freshness:
            continue
        warn, error = freshness_minutes(c.freshness)
        rng = {
            "sheetId": sheet_id,
            "startRowIndex": block.first_data_row,
            "endRowIndex": block.first_data_row + n_rows,
            "startColumnIndex": block.start_col + j,
            "endColumnIndex": block.start_col + j + 1,
        }
        for kind, ctype, limit in (
            ("error", "NUMBER_GREATER", error),
            ("warn", "NUMBER_GREATER", warn),
            ("ok", "NUMBER_LESS_THAN_EQ", warn),
        ):
            rules.append(
                {
                    "ranges": [rng],
                    "booleanRule": {
                        "condition": {"type": ctype, "values": [{"userEnteredValue": f"{limit:g}"}]},
                        "format": {"backgroundColor": FRESH_COLOURS[kind]},
                    },
                }
            )
    return rules


def chart_spec(chart: ChartSpec, block: BlockSpec, n_rows: int, sheet_id: int) -> dict[str, Any]:
    header = block.first_data_row - 1
    end = block.first_data_row + max(n_rows, 1)

    def source(name: str) -> dict[str, Any]:
        col = block.start_col + block.column_index(name)
        rng = {"sheetId": sheet_id, "startRowIndex": header, "endRowIndex": end}
        return {"sourceRange": {"sources": [rng | {"startColumnIndex": col, "endColumnIndex": col + 1}]}}

    return {
        "spec": {
            "title": chart.title,
            "basicChart": {
                "chartType": chart.type,
                "legendPosition": "BOTTOM_LEGEND",
                "headerCount": 1,
                "axis": [
                    {"position": "BOTTOM_AXIS", "title": block.columns[block.column_index(chart.x)].header},
                    {"position": "LEFT_AXIS"},
                ],
                "domains": [{"domain": source(chart.x)}],
                "series": [{"series": source(s), "targetAxis": "LEFT_AXIS"} for s in chart.series],
            },
        },
        "position": {
            "overlayPosition": {
                "anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor_row, "columnIndex": chart.anchor_col},
                "widthPixels": chart.width,
                "heightPixels": chart.height,
            }
        },
    }


def layout_requests(
    spec: TabSpec,
    rows: dict[str, list[tuple]],
    updated: datetime,
    sheet: dict[str, Any] | None,
    new_sheet_id: int,
) -> list[dict[str, Any]]:
    """The one batchUpdate of a layout tab. ``sheet`` is the tab's current Sheet resource
    (properties, conditionalFormats, charts) or None. The exporter owns the whole tab: the grid is
    rewritten from A1 to its last cell (cells no block covers are cleared), and the tab's conditional
    formats and charts are replaced by the config's."""
    grid: dict[tuple[int, int], dict[str, Any]] = {
        (spec.updated_row, spec.updated_col + i): c for i, c in enumerate(uk_updated_cells(updated))
    }
    for b in spec.blocks:
        grid.update(block_cells(b, rows[b.name]))
    need_rows = max(r for r, _ in grid) + 1
    need_cols = max(c for _, c in grid) + 1
    for ch in spec.charts:
        need_rows, need_cols = max(need_rows, ch.anchor_row + 1), max(need_cols, ch.anchor_col + 1)
    requests: list[dict[str, Any]] = []
    if sheet is None:
        sheet_id, row_count, col_count = new_sheet_id, max(MIN_ROWS, need_rows), max(MIN_COLS, need_cols)
        requests.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": sheet_id,
                        "title": spec.tab,
                        "gridProperties": {"rowCount": row_count, "columnCount": col_count},
                    }
                }
            }
        )
    else:
        props = sheet["properties"]
        sheet_id = int(props["sheetId"])
        gp = props.get("gridProperties", {})
        row_count, col_count = int(gp.get("rowCount", 0)), int(gp.get("columnCount", 0))
        for dim, have, need in (("ROWS", row_count, need_rows), ("COLUMNS", col_count, need_cols)):
            if need > have:
                requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": dim, "length": need - have}})
        row_count, col_count = max(row_count, need_rows), max(col_count, need_cols)
        for _ in sheet.get("conditionalFormats", []):
            requests.append({"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}})
        for ch in sheet.get("charts", []):
            requests.append({"deleteEmbeddedObject": {"objectId": int(ch["chartId"])}})
    data = [{"values": [grid.get((r, c), {}) for c in range(need_cols)]} for r in range(need_rows)]
    requests.append(
        {
            "updateCells": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": 0,
                    "endRowIndex": row_count,
                    "startColumnIndex": 0,
                    "endColumnIndex": col_count,
                },
                "rows": data,
                "fields": FIELDS,
            }
        }
    )
    index = 0
    for b in spec.blocks:
        for rule in freshness_rules(b, len(rows[b.name]), sheet_id):
            requests.append({"addConditionalFormatRule": {"rule": rule, "index": index}})
            index += 1
    blocks = {b.name: b for b in spec.blocks}
    for ch in spec.charts:
        block = blocks[ch.block]
        requests.append({"addChart": {"chart": chart_spec(ch, block, len(rows[block.name]), sheet_id)}})
    return requests
