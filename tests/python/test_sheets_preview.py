"""The shipped config/sheets.yml on the demo data: `gbpower export-sheets --dry-run DIR` writes
DIR/index.html, which headless Chromium (Debian's `chromium`; `make chromium` installs it) renders —
every configured tab and block present, numbers formatted, sparklines and the chart drawn, no empty
panel — and the same config pushed twice to the fake Google Sheets API without one request Google
would reject (what the soak's export job does).

The warehouse is built once for the module (tests/python/sheets_preview_support.py: the dashboard
marts' synthetic days, "now" pinned to 2025-10-27 00:00 UTC). The screenshot is kept as a test
artefact in $GBPOWER_TEST_ARTIFACTS (default target/test-artifacts/, which git ignores); the test
prints its path."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from loaders import config as project_config
from loaders.cli import main
from loaders.sheets import export, load_config
from loaders.sheets.client import open_client
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.sheets_preview_support import build_demo_warehouse
from tests.python.test_sheets import fake, key_file, rsa_key  # noqa: F401 - fixtures

SHIPPED = project_config.project_root() / "config" / "sheets.yml"
ARTIFACTS = Path(os.environ.get("GBPOWER_TEST_ARTIFACTS") or project_config.project_root() / "target/test-artifacts")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_warehouse(tmp_path_factory.mktemp("sheets_demo"))


@pytest.fixture(scope="module")
def preview(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("preview")
    env = {"GBPOWER_DUCKDB": str(demo_db), "GBPOWER_SHEETS_DASHBOARD_ID": ""}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert main(["export-sheets", "--config", str(SHIPPED), "--dry-run", str(out)]) == 0
    return out / "index.html"


def _chromium() -> str:
    exe = shutil.which("chromium")
    assert exe, "the preview test needs Debian's chromium: run `make chromium` (apt-get install -y chromium)"
    return exe


def _chromium_args(tmp: Path) -> list[str]:
    return [
        _chromium(),
        "--headless",
        "--no-sandbox",  # root in CI containers
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}",
    ]


class _Cells(HTMLParser):
    """The rendered page's sections, cells (with their block/role) and inline SVGs."""

    def __init__(self) -> None:
        super().__init__()
        self.tabs: list[str] = []
        self.cells: list[dict] = []  # {tab, block, role, cell, text, style, svg}
        self.charts: dict[str, int] = {}
        self.failed = 0
        self._tab = ""
        self._cell: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "section" and "data-tab" in a:
            self._tab = a["data-tab"]
            self.tabs.append(self._tab)
        elif tag == "td":
            self._cell = {
                "tab": self._tab,
                "block": a.get("data-block"),
                "role": a.get("data-role"),
                "cell": a.get("data-cell"),
                "style": a.get("style") or "",
                "text": "",
                "svg": None,
            }
            self.cells.append(self._cell)
        elif tag == "svg":
            cls = a.get("class", "")
            if self._cell is not None and "spark" in cls:
                self._cell["svg"] = cls
            elif "chart" in cls:
                self.charts[self._tab] = self.charts.get(self._tab, 0) + 1
        elif tag in ("rect", "polyline") and self._cell is not None and self._cell["svg"]:
            self._cell["svg"] += f" {tag}"
        elif tag == "div" and a.get("class") == "failed":
            self.failed += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data.strip()


def test_preview_renders_every_tab_and_block_in_headless_chromium(preview: Path, tmp_path: Path) -> None:
    page = preview.read_text()
    # self-contained: no scripts, no fetched resources
    assert "<script" not in page and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(|@import""", page)

    dom = subprocess.run(
        [*_chromium_args(tmp_path), "--dump-dom", preview.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-2000:]
    parsed = _Cells()
    parsed.feed(dom.stdout)

    cfg = load_config(SHIPPED)
    assert parsed.tabs == [t.tab for t in cfg.tabs] and parsed.failed == 0
    for tab in cfg.tabs:
        names = [b.name for b in tab.blocks] if tab.layout else ["table"]
        for name in names:
            data = [c for c in parsed.cells if c["tab"] == tab.tab and c["block"] == name and c["role"] == "data"]
            filled = [c for c in data if c["text"] or c["svg"]]
            assert filled, f"{tab.tab}: block {name} is empty on the demo data"
    live = [c for c in parsed.cells if c["tab"] == "GB Live"]

    def at(ref: str) -> dict:
        return next(c for c in live if c["cell"] == ref)

    # numbers as their formats say (the headline row is A11:H11, the as-of line A3:D3)
    assert re.fullmatch(r"\d{1,2},\d{3}", at("A11")["text"]), at("A11")  # generation, "#,##0"
    assert re.fullmatch(r"\d{1,3}\.\d%", at("C11")["text"]), at("C11")  # renewable share, "0.0%"
    assert re.fullmatch(r"-?\d+\.\d\d", at("F11")["text"]), at("F11")  # system price, "#,##0.00"
    assert at("A3")["text"] == "26 Oct 2025 23:50" and at("B3")["text"] == "50"  # UK time and SP
    assert re.fullmatch(r"(49|50)\.\d{3}", at("F7")["text"]), at("F7")  # frequency, "0.000"
    # freshness cells coloured by their dataset policy (the demo's pinned now: all within policy)
    for ref in ("A7", "B7", "C7", "D7"):
        assert "background" in at(ref)["style"], at(ref)
    # fuel breakdown: a share computed from the config's formula, and an in-cell SVG bar per fuel
    fuel = [c for c in live if c["block"] == "fuel" and c["role"] == "data"]
    bars = [c for c in fuel if c["svg"] and "bar" in c["svg"] and "rect" in c["svg"]]
    assert len(bars) >= 5
    assert any(re.fullmatch(r"\d{1,3}\.\d%", c["text"]) for c in fuel)
    # outages: the TOTAL row first; interconnectors: the total last; the prices chart drawn
    outages = [c["text"] for c in live if c["block"] == "outages" and c["role"] == "data" and c["cell"][0] == "G"]
    assert outages[0] == "TOTAL UNAVAILABLE" and len(outages) >= 2
    links = [c["text"] for c in live if c["block"] == "interconnectors" and c["role"] == "data" and c["cell"][0] == "G"]
    assert links[-1] == "All interconnectors" and len(links) >= 3
    assert parsed.charts.get("GB Live") == 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "sheets_preview.png"
    shot.unlink(missing_ok=True)
    run = subprocess.run(
        [*_chromium_args(tmp_path), f"--screenshot={shot}", "--window-size=1400,2000", preview.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000  # not a blank page
    print(f"\nSheets preview screenshot: {shot}\npreview page: {preview}")


def test_shipped_config_pushes_cleanly_to_the_fake_api_twice(demo_db, fake, key_file, monkeypatch):  # noqa: F811
    """The shipped config (GB Live included) against the fake Sheets API: no request Google would
    reject, one batchUpdate per tab, and a second run replaces (not piles up) rules and charts."""
    monkeypatch.setenv("GBPOWER_SHEETS_DASHBOARD_ID", "sheet-abc123")
    monkeypatch.setenv("GBPOWER_SHEETS_CREDENTIALS", str(key_file))
    cfg = load_config(SHIPPED)
    for run in (1, 2):
        summary = export(cfg, DuckDBWriter(demo_db), client=open_client(key_file))
        assert summary.ok, summary.lines()
        assert fake.errors == []
        writes = sum(1 for m, _ in fake.calls if m == "spreadsheets.batchUpdate")
        assert writes == run * len(cfg.tabs)  # one atomic write per tab, whatever it holds
        reads = sum(1 for m, _ in fake.calls if m == "spreadsheets.get")
        assert reads == run * len({t.spreadsheet_id for t in cfg.tabs})  # the sheet list once per spreadsheet
    live = fake.sheet("sheet-abc123", "GB Live")
    assert len(live["charts"]) == 1 and len(live["conditionalFormats"]) == 12  # 4 freshness columns x 3
    grid = fake.values("sheet-abc123", "GB Live")
    assert grid[0][5] == "last updated (UK)" and grid[0][7].startswith("SP ")
    assert "TOTAL UNAVAILABLE" in [row[6] for row in grid[38:] if len(row) > 6]
