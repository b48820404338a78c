"""``export-sheets --dry-run DIR`` also writes ``DIR/index.html``: every spreadsheet and tab as the
push would leave it, for someone without Google credentials.

The page is rendered from the very requests the push would send (each tab's batchUpdate, as if the
tab were new): cells at their positions with their number formats, bold titles and headers,
conditional-format colours evaluated, ``SPARKLINE`` formulas drawn as inline SVG bars/lines and
charts (``addChart``) as inline SVG. One self-contained file: inline CSS, no script, no external URL.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loaders.sheets.cells import SHEETS_EPOCH, a1

if TYPE_CHECKING:
    from loaders.sheets.config import ExportConfig, TabSpec
    from loaders.sheets.exporter import ExportSummary

COL_W, ROW_H, HEAD_W = 118, 22, 36  # pixels: a column, a row, the row-number column
Grid = dict[tuple[int, int], dict[str, Any]]


@dataclass
class PreviewTab:
    spec: TabSpec
    requests: list[dict[str, Any]]
    rows: dict[str, int] = field(default_factory=dict)  # data rows per block


# --- number formats ------------------------------------------------------------------------------

_DATE_TOKEN = re.compile(r'yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|"[^"]*"|\\.|.', re.I)
_NUM_TOKEN = re.compile(r'"[^"]*"|\\.|[#0,.]+%?|%|.')


def _date_text(value: float, pattern: str) -> str:
    t = SHEETS_EPOCH + timedelta(days=value)
    t = t.replace(microsecond=0) + timedelta(seconds=round(t.microsecond / 1e6))
    tokens = _DATE_TOKEN.findall(pattern)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        low = tok.lower()
        prev = next((x.lower() for x in reversed(tokens[:i]) if x.strip(" :-/")), "")
        nxt = next((x.lower() for x in tokens[i + 1 :] if x.strip(" :-/")), "")
        minute = low in ("mm", "m") and (prev.startswith("h") or nxt.startswith("s"))
        if tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        elif minute:
            out.append(f"{t.minute:02d}" if low == "mm" else str(t.minute))
        elif low == "yyyy":
            out.append(f"{t.year:04d}")
        elif low == "yy":
            out.append(f"{t.year % 100:02d}")
        elif low == "mmmm":
            out.append(t.strftime("%B"))
        elif low == "mmm":
            out.append(t.strftime("%b"))
        elif low in ("mm", "m"):
            out.append(f"{t.month:02d}" if low == "mm" else str(t.month))
        elif low == "dddd":
            out.append(t.strftime("%A"))
        elif low == "ddd":
            out.append(t.strftime("%a"))
        elif low in ("dd", "d"):
            out.append(f"{t.day:02d}" if low == "dd" else str(t.day))
        elif low in ("hh", "h"):
            out.append(f"{t.hour:02d}" if low == "hh" else str(t.hour))
        elif low in ("ss", "s"):
            out.append(f"{t.second:02d}" if low == "ss" else str(t.second))
        else:
            out.append(tok)
    return "".join(out)


def _number_text(value: float, pattern: str) -> str:
    section = pattern.split(";")[0]
    out: list[str] = []
    done = False
    for tok in _NUM_TOKEN.findall(section):
        if tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        elif re.fullmatch(r"[#0,.]+%?", tok) and any(ch in tok for ch in "#0") and not done:
            done = True
            v = value * 100 if tok.endswith("%") else value
            core = tok.rstrip("%")
            decimals = core.split(".")[1] if "." in core else ""
            text = f"{v:{',' if ',' in core.split('.')[0] else ''}.{len(decimals)}f}"
            optional = len(decimals) - len(decimals.rstrip("#"))
            if optional and "." in text:
                keep = len(decimals) - optional
                head, tail = text.split(".")
                tail = tail[:keep] + tail[keep:].rstrip("0")
                text = f"{head}.{tail}" if tail else head
            if text.startswith("-") and float(text.replace(",", "").rstrip(".") or 0) == 0:
                text = text[1:]
            out.append(text + ("%" if tok.endswith("%") else ""))
        else:
            out.append(tok)
    return "".join(out) if done else f"{value:g}"


def format_value(value: Any, fmt: dict[str, str] | None) -> str:
    """A user-entered value as Sheets would display it with that number format."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    fmt = fmt or {}
    pattern = fmt.get("pattern", "")
    if fmt.get("type") in ("DATE", "DATE_TIME", "TIME") and pattern:
        return _date_text(float(value), pattern)
    if pattern:
        return _number_text(float(value), pattern)
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


# --- the grid the requests leave -------------------------------------------------------------------


def _apply(requests: list[dict[str, Any]]) -> tuple[Grid, list[dict], list[dict]]:
    grid: Grid = {}
    rules: list[dict] = []
    charts: list[dict] = []
    for req in requests:
        if "updateCells" in req:
            body = req["updateCells"]
            rng = body["range"]
            r0, c0 = rng.get("startRowIndex", 0), rng.get("startColumnIndex", 0)
            for i, row in enumerate(body.get("rows", [])):
                for j, cell in enumerate(row.get("values", [])):
                    if cell:
                        grid[(r0 + i, c0 + j)] = cell
        elif "addConditionalFormatRule" in req:
            body = req["addConditionalFormatRule"]
            rules.insert(int(body.get("index", len(rules))), body["rule"])
        elif "addChart" in req:
            charts.append(req["addChart"]["chart"])
    return grid, rules, charts


def _value(cell: dict[str, Any] | None) -> Any:
    v = (cell or {}).get("userEnteredValue") or {}
    return next(iter(v.values()), None)


def _range_cells(ref: str) -> list[tuple[int, int]]:
    from loaders.sheets.config import parse_a1

    a, _, b = ref.replace("$", "").partition(":")
    (r0, c0), (r1, c1) = parse_a1(a), parse_a1(b or a)
    return [(r, c) for r in range(min(r0, r1), max(r0, r1) + 1) for c in range(min(c0, c1), max(c0, c1) + 1)]


def _numbers(grid: Grid, ref: str) -> list[float]:
    out = []
    for rc in _range_cells(ref):
        v = _value(grid.get(rc))
        if isinstance(v, int | float) and not isinstance(v, bool):
            out.append(float(v))
    return out


def _holds(kind: str, x: float, limits: list[float]) -> bool:
    if kind == "NUMBER_GREATER":
        return x > limits[0]
    if kind == "NUMBER_GREATER_THAN_EQ":
        return x >= limits[0]
    if kind == "NUMBER_LESS":
        return x < limits[0]
    if kind == "NUMBER_LESS_THAN_EQ":
        return x <= limits[0]
    if kind == "NUMBER_BETWEEN":
        return limits[0] <= x <= limits[1]
    return False


def _rule_colour(rules: list[dict], r: int, c: int, value: Any) -> dict | None:
    """The background of the first matching conditional-format rule (Sheets' order)."""
    for rule in rules:
        inside = any(
            g.get("startRowIndex", 0) <= r < g.get("endRowIndex", 10**9)
            and g.get("startColumnIndex", 0) <= c < g.get("endColumnIndex", 10**9)
            for g in rule.get("ranges", [])
        )
        if not inside or "booleanRule" not in rule or not isinstance(value, int | float):
            continue
        cond = rule["booleanRule"]["condition"]
        limits = [float(v["userEnteredValue"]) for v in cond.get("values", [])]
        if _holds(cond["type"], float(value), limits):
            return rule["booleanRule"].get("format", {}).get("backgroundColor")
    return None


def _css_colour(c: dict | None) -> str:
    c = c or {}
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * float(c.get(k, 0))) for k in ("red", "green", "blue")))


# --- sparklines and charts as SVG -------------------------------------------------------------------

_SPARK = re.compile(r"^=\s*SPARKLINE\(\s*([A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)\s*(?:,\s*\{(.*)\})?\s*\)\s*$", re.I | re.S)
_AGG = re.compile(r"^(MAX|MIN|SUM)\(\s*([A-Z$0-9:]+)\s*\)$", re.I)


def _option(grid: Grid, text: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        return text.strip('"')
    m = _AGG.match(text)
    if m:
        vals = _numbers(grid, m.group(2)) or [0.0]
        fn = m.group(1).upper()
        return max(vals) if fn == "MAX" else min(vals) if fn == "MIN" else sum(vals)
    try:
        return float(text)
    except ValueError:
        return text


def sparkline_svg(grid: Grid, formula: str, width: int = COL_W - 6, height: int = ROW_H - 6) -> str | None:
    """A ``=SPARKLINE(range, {options})`` formula as inline SVG (None: not a sparkline we draw)."""
    m = _SPARK.match(formula)
    if not m:
        return None
    values = _numbers(grid, m.group(1))
    opts: dict[str, Any] = {}
    for pair in (m.group(2) or "").split(";"):
        key, _, val = pair.partition(",")
        if key.strip():
            opts[key.strip().strip('"').lower()] = _option(grid, val)
    kind = str(opts.get("charttype", "line")).lower()
    colour = html.escape(str(opts.get("color1", opts.get("color", "#3366cc"))))
    box = f'<svg class="spark {kind}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
    if not values:
        return box + "</svg>"
    if kind == "bar":
        top = float(opts.get("max", sum(abs(v) for v in values)) or 1.0)
        w = max(0.0, min(1.0, sum(values) / top)) * width
        return box + f'<rect x="0" y="2" width="{w:.1f}" height="{height - 4}" fill="{colour}"/></svg>'
    lo, hi = min(values), max(values)
    lo, hi = float(opts.get("ymin", lo)), float(opts.get("ymax", hi))
    span = (hi - lo) or 1.0
    step = width / max(len(values) - (kind != "column"), 1)
    if kind == "column":
        bars = "".join(
            f'<rect x="{i * step:.1f}" y="{height - (v - lo) / span * height:.1f}" width="{max(step - 1, 1):.1f}" '
            f'height="{(v - lo) / span * height:.1f}" fill="{colour}"/>'
            for i, v in enumerate(values)
        )
        return box + bars + "</svg>"
    points = " ".join(f"{i * step:.1f},{height - 1 - (v - lo) / span * (height - 2):.1f}" for i, v in enumerate(values))
    return box + f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/></svg>'


_FUNC = re.compile(r"\b(SUM|MAX|MIN|AVERAGE)\(\s*(\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)\s*\)", re.I)
_REF1 = re.compile(r"\$?\b([A-Z]{1,3})\$?(\d+)\b")


def evaluate(grid: Grid, formula: str) -> float | None:
    """An arithmetic formula over cells (+ - * / parentheses, SUM/MAX/MIN/AVERAGE of a range) as
    Sheets computes it; None for anything else (the preview then shows the formula text)."""
    import ast
    import operator

    def agg(m: re.Match[str]) -> str:
        vals = _numbers(grid, m.group(2))
        fn = m.group(1).upper()
        if not vals:
            return "0"
        out = {"SUM": sum(vals), "MAX": max(vals), "MIN": min(vals), "AVERAGE": sum(vals) / len(vals)}[fn]
        return repr(float(out))

    def one(m: re.Match[str]) -> str:
        vals = _numbers(grid, f"{m.group(1)}{m.group(2)}")
        return repr(vals[0]) if vals else "0.0"

    text = _REF1.sub(one, _FUNC.sub(agg, formula.lstrip("=")))
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError("not arithmetic")

    try:
        return ev(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError):
        return None


def _source(grid: Grid, src: dict) -> list[tuple[int, int]]:
    g = src["sourceRange"]["sources"][0]
    return [
        (r, c)
        for r in range(g.get("startRowIndex", 0), g.get("endRowIndex", 0))
        for c in range(g.get("startColumnIndex", 0), g.get("endColumnIndex", 0))
    ]


def chart_svg(grid: Grid, chart: dict[str, Any]) -> str:
    """An ``addChart`` basic chart (LINE, AREA, COLUMN, BAR) drawn from the grid as inline SVG."""
    spec, pos = chart["spec"], chart["position"]["overlayPosition"]
    basic = spec["basicChart"]
    w, h = int(pos.get("widthPixels", 600)), int(pos.get("heightPixels", 300))
    skip = int(basic.get("headerCount", 0))
    xcells = _source(grid, basic["domains"][0]["domain"])[skip:]
    labels = [format_value(_value(grid.get(rc)), _fmt(grid.get(rc))) for rc in xcells]
    palette = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099"]
    series = []
    for s in basic.get("series", []):
        cells = _source(grid, s["series"])
        name = _value(grid.get(cells[0])) if skip else ""
        vals = [_value(grid.get(rc)) for rc in cells[skip:]]
        series.append((str(name or ""), [float(v) if isinstance(v, int | float) else math.nan for v in vals]))
    finite = [v for _, vs in series for v in vs if math.isfinite(v)] or [0.0]
    lo, hi = min(min(finite), 0.0), max(finite)
    span = (hi - lo) or 1.0
    left, right, top, bottom = 56, 12, 30, 46
    pw, ph = w - left - right, h - top - bottom
    n = max(len(labels), 1)
    ctype = basic.get("chartType", "LINE")
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f'<rect width="{w}" height="{h}" fill="#fff" stroke="#bbb"/>',
        f'<text x="{w / 2}" y="19" text-anchor="middle" font-size="14" font-weight="bold">'
        f"{html.escape(spec.get('title', ''))}</text>",
    ]

    def y(v: float) -> float:
        return top + ph - (v - lo) / span * ph

    for k in range(5):
        v = lo + span * k / 4
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">{v:,.0f}</text>')
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + (i + 0.5) * pw / n
            out.append(
                f'<text x="{x:.1f}" y="{top + ph + 14}" text-anchor="middle" font-size="10">{html.escape(label)}</text>'
            )
    for k, (name, vals) in enumerate(series):
        colour = palette[k % len(palette)]
        if ctype in ("COLUMN", "BAR"):
            bw = pw / n / max(len(series), 1)
            for i, v in enumerate(vals):
                if math.isfinite(v):
                    x = left + i * pw / n + k * bw
                    out.append(
                        f'<rect x="{x:.1f}" y="{min(y(v), y(0)):.1f}" width="{max(bw - 1, 1):.1f}" '
                        f'height="{abs(y(0) - y(v)):.1f}" fill="{colour}"/>'
                    )
        else:
            pts = " ".join(
                f"{left + (i + 0.5) * pw / n:.1f},{y(v):.1f}" for i, v in enumerate(vals) if math.isfinite(v)
            )
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.append(
            f'<text x="{left + k * 160}" y="{h - 8}" font-size="11" fill="{colour}">■ {html.escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _fmt(cell: dict[str, Any] | None) -> dict[str, str] | None:
    return ((cell or {}).get("userEnteredFormat") or {}).get("numberFormat")


# --- the page ----------------------------------------------------------------------------------------

_CSS = """
body{font:13px Arial,Helvetica,sans-serif;margin:16px;color:#202124;background:#f8f9fa}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:0;padding:6px 10px;background:#e8f0fe;
border:1px solid #c6dafc;border-bottom:none;display:inline-block;border-radius:6px 6px 0 0}
nav a{margin-right:12px} .meta{color:#5f6368;margin-bottom:12px}
section.tab{margin:18px 0 28px} .sheet{position:relative;overflow:auto;border:1px solid #c6dafc;background:#fff}
table.grid{border-collapse:collapse;table-layout:fixed}
table.grid td,table.grid th{height:%(row)spx;padding:0 4px;border:1px solid #e2e3e3;white-space:nowrap;
overflow:visible;font-weight:normal;box-sizing:border-box;max-height:%(row)spx}
table.grid th{background:#f1f3f4;color:#5f6368;text-align:center;font-size:11px}
table.grid td.n{text-align:right} table.grid td.b{font-weight:bold}
table.grid td[data-block]{border-color:#d2e3fc}
.chartbox{position:absolute} .failed{color:#b3261e;font-weight:bold;padding:8px}
svg.spark{vertical-align:middle}
"""


def _cell_html(grid: Grid, rules: list[dict], r: int, c: int, block: str | None, role: str) -> str:
    cell = grid.get((r, c))
    value = _value(cell)
    classes, style, inner, attrs_title = [], "", "", ""
    fmt = (cell or {}).get("userEnteredFormat") or {}
    if (fmt.get("textFormat") or {}).get("bold"):
        classes.append("b")
    formula = ((cell or {}).get("userEnteredValue") or {}).get("formulaValue")
    if formula is not None:
        svg = sparkline_svg(grid, formula)
        number = None if svg is not None else evaluate(grid, formula)
        if svg is not None:
            inner = svg
        elif number is not None:
            inner = html.escape(format_value(number, fmt.get("numberFormat")))
            classes.append("n")
        else:
            inner = f"<code>{html.escape(formula)}</code>"
        classes.append("f")
        attrs_title = f' title="{html.escape(formula)}"'
        value = number
    else:
        inner = html.escape(format_value(value, fmt.get("numberFormat")))
        if isinstance(value, int | float) and not isinstance(value, bool):
            classes.append("n")
    colour = _rule_colour(rules, r, c, value)
    if colour is not None:
        style = f' style="background:{_css_colour(colour)}"'
        classes.append("cf")
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    attrs += attrs_title
    if block:
        attrs += f' data-block="{html.escape(block)}" data-role="{role}"'
    return f'<td data-cell="{a1(r, c)}"{attrs}{style}>{inner}</td>'


def _block_roles(tab: PreviewTab) -> dict[tuple[int, int], tuple[str, str]]:
    out: dict[tuple[int, int], tuple[str, str]] = {}
    spec = tab.spec
    if spec.layout:
        out[(spec.updated_row, spec.updated_col)] = ("last_updated", "title")
        out[(spec.updated_row, spec.updated_col + 1)] = ("last_updated", "data")
    for b in spec.blocks:
        name = b.name if spec.layout else "table"
        r = b.start_row
        if not spec.layout:
            out[(r, b.start_col)] = out[(r, b.start_col + 1)] = (name, "title")
            r += 1
        elif b.title is not None:
            out[(r, b.start_col)] = (name, "title")
            r += 1
        for j in range(b.width):
            if b.header:
                out[(r, b.start_col + j)] = (name, "header")
            for i in range(tab.rows.get(b.name, 0)):
                out[(b.first_data_row + (0 if spec.layout else 1) + i, b.start_col + j)] = (name, "data")
    return out


def tab_html(tab: PreviewTab) -> str:
    grid, rules, charts = _apply(tab.requests)
    roles = _block_roles(tab)
    cells = list(grid) + list(roles)
    n_rows = max((r for r, _ in cells), default=0) + 2
    n_cols = max((c for _, c in cells), default=0) + 2
    for ch in charts:
        p = ch["position"]["overlayPosition"]
        n_rows = max(n_rows, p["anchorCell"].get("rowIndex", 0) + math.ceil(p.get("heightPixels", 300) / ROW_H) + 1)
        n_cols = max(n_cols, p["anchorCell"].get("columnIndex", 0) + math.ceil(p.get("widthPixels", 600) / COL_W) + 1)
    head = "".join(f"<th>{a1(0, c)[:-1]}</th>" for c in range(n_cols))
    cols = f'<col style="width:{HEAD_W}px">' + f'<col style="width:{COL_W}px">' * n_cols
    body = []
    for r in range(n_rows):
        tds = []
        for c in range(n_cols):
            block, role = roles.get((r, c), (None, ""))
            tds.append(_cell_html(grid, rules, r, c, block, role))
        body.append(f"<tr><th>{r + 1}</th>{''.join(tds)}</tr>")
    overlays = []
    for ch in charts:
        anchor = ch["position"]["overlayPosition"]["anchorCell"]
        left = HEAD_W + anchor.get("columnIndex", 0) * COL_W
        top = ROW_H * (1 + anchor.get("rowIndex", 0))
        overlays.append(f'<div class="chartbox" style="left:{left}px;top:{top}px">{chart_svg(grid, ch)}</div>')
    width = HEAD_W + COL_W * n_cols
    return (
        f'<div class="sheet"><table class="grid" style="width:{width}px"><colgroup>{cols}</colgroup>'
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{''.join(overlays)}</div>"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render(tabs: Iterable[PreviewTab], cfg: ExportConfig, summary: ExportSummary, updated: datetime) -> str:
    done = {t.spec.label: t for t in tabs}
    failed = {r.label: r.error for r in summary.results if not r.ok}
    by_sheet: dict[str, list[TabSpec]] = {}
    for spec in cfg.tabs:
        if spec.label in done or spec.label in failed:
            by_sheet.setdefault(spec.spreadsheet_alias, []).append(spec)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<title>gbpower export-sheets preview</title>",
        f"<style>{_CSS % {'row': ROW_H}}</style></head><body>",
        "<h1>Google Sheets preview</h1>",
        f'<div class="meta">gbpower export-sheets --dry-run of {html.escape(str(cfg.path))}, '
        f"{updated:%Y-%m-%d %H:%M:%S} UTC: what the push would write (rendered offline).</div>",
    ]
    for alias, specs in by_sheet.items():
        parts.append(f'<div class="spreadsheet" data-spreadsheet="{html.escape(alias)}">')
        parts.append(f"<h1>Spreadsheet {html.escape(alias)}</h1><nav>")
        parts += [f'<a href="#{_slug(alias + "-" + s.tab)}">{html.escape(s.tab)}</a>' for s in specs]
        parts.append("</nav>")
        for spec in specs:
            sid = _slug(alias + "-" + spec.tab)
            title = html.escape(spec.tab)
            parts.append(f'<section class="tab" id="{sid}" data-tab="{title}"><h2>{title}</h2>')
            if spec.label in done:
                parts.append(tab_html(done[spec.label]))
            else:
                parts.append(f'<div class="failed">FAILED: {html.escape(str(failed[spec.label]))}</div>')
            parts.append("</section>")
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_preview(
    tabs: list[PreviewTab], path: Path, cfg: ExportConfig, summary: ExportSummary, updated: datetime
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(tabs, cfg, summary, updated), encoding="utf-8")
    tmp.replace(path)
    return path
