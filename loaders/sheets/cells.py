"""From query rows to Sheets v4 ``CellData`` and to the one ``batchUpdate`` request per tab.

A tab's block, starting at its top-left cell: row 1 ``last updated (UTC) | <timestamp>``, row 2 the
headers, then the data. The whole block — values, number formats and the clearing of rows the
previous run left below the new data — is ONE ``spreadsheets.batchUpdate`` (``updateCells`` over a
range down to the sheet's last row: Sheets clears the part of the range the new rows do not cover).
When the tab is missing it is created (``addSheet``) and when the grid is too small it is extended
(``appendDimension``) in that same request. Google applies a batchUpdate atomically, so a tab is
either fully old or fully new.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from loaders.sheets.config import NumberFormat, TabSpec

SHEETS_EPOCH = datetime(1899, 12, 30)
DEFAULT_DATE_TIME = NumberFormat("DATE_TIME", "yyyy-mm-dd hh:mm")
DEFAULT_DATE = NumberFormat("DATE", "yyyy-mm-dd")
UPDATED_FORMAT = NumberFormat("DATE_TIME", "yyyy-mm-dd hh:mm:ss")
UPDATED_LABEL = "last updated (UTC)"
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
