"""Dashboard layouts (a tab with blocks:) against the fake Google Sheets API (every request validated
against Google's discovery document): several blocks at their own cells in ONE batchUpdate, formulas
and charts only from the config, warehouse strings never formulas, freshness colours from the dataset
policy, overlap checking, and the fake rejecting malformed chart/format/formula requests."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest

from loaders.cli import main
from loaders.datasets.spec import ERROR_FACTOR
from loaders.registry import get_dataset
from loaders.sheets.cells import serial
from loaders.sheets.client import open_client
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.test_sheets import NOW, SID, batch_updates, fake, key_file, rsa_key, run_export, write_config

NOW_UK = datetime(2026, 5, 6, 13, 30)  # NOW (12:30 UTC) on the UK clock (BST): settlement period 28

__all__ = ["fake", "key_file", "rsa_key"]  # fixtures shared with test_sheets.py


@pytest.fixture
def warehouse(duckdb_path) -> DuckDBWriter:
    con = duckdb.connect(str(duckdb_path))
    con.execute("CREATE SCHEMA analytics")
    con.execute("CREATE TABLE analytics.fuel (fuel_type VARCHAR, generation_mw DOUBLE)")
    con.executemany(
        "INSERT INTO analytics.fuel VALUES (?, ?)",
        [("WIND", 9000.0), ("CCGT", 3000.0), ('=HYPERLINK("http://evil")', 1000.0), ("+1-2", 500.0)],
    )
    con.execute("CREATE TABLE analytics.snap (generation_age_minutes DOUBLE, frequency_age_minutes DOUBLE)")
    con.execute("INSERT INTO analytics.snap VALUES (12.0, 45.0)")
    con.close()
    return DuckDBWriter(duckdb_path)


BAR = '=SPARKLINE({{row.generation_mw}},{"charttype","bar";"max",MAX({{column.generation_mw}})})'
LIVE = {
    "tab": "Live",
    "spreadsheet": "dash",
    "updated": "E1",
    "blocks": [
        {
            "name": "fresh",
            "start": "A1",
            "title": "Data age",
            "model": "snap",
            "limit": 1,
            "columns": [
                {"name": "generation_age_minutes", "header": "Gen", "format": "0", "freshness": "FUELINST"},
                {"name": "frequency_age_minutes", "header": "Freq", "format": "0", "freshness": "FREQ"},
            ],
        },
        {
            "name": "fuel",
            "start": "B5",
            "title": "Fuel",
            "model": "fuel",
            "order_by": "generation_mw desc",
            "limit": 10,
            "columns": [
                {"name": "fuel_type", "header": "Fuel"},
                {"name": "generation_mw", "header": "MW", "format": "#,##0"},
                {"header": "Share", "formula": "={{row.generation_mw}}/SUM({{column.generation_mw}})", "format": "0%"},
                {"header": "Bar", "formula": BAR},
            ],
        },
    ],
    "charts": [{"title": "Mix", "type": "COLUMN", "block": "fuel", "x": "fuel_type", "series": ["generation_mw"],
                "anchor": "H5", "width": 400, "height": 200}],
}  # fmt: skip


def test_layout_tab_is_one_batch_update_with_blocks_formulas_formats_and_chart(fake, key_file, warehouse, tmp_path):
    summary = run_export(tmp_path, key_file, warehouse, [LIVE])
    assert summary.ok, summary.lines()
    assert fake.errors == []
    assert batch_updates(fake) == 1  # addSheet, cells, 6 rules and the chart: one atomic request

    grid = fake.values(SID, "Live")
    assert grid[0][:2] == ["Data age", None]
    assert grid[0][4:] == ["last updated (UK)", pytest.approx(serial(NOW_UK)), "SP 28"]
    assert grid[1] == ["Gen", "Freq"] and grid[2] == [12.0, 45.0]
    assert grid[4] == [None, "Fuel"] and grid[5] == [None, "Fuel", "MW", "Share", "Bar"]
    # rows 7..10 (0-based 6..9): data sorted, the formula columns' placeholders resolved to this row / the block
    assert [r[1] for r in grid[6:10]] == ["WIND", "CCGT", '=HYPERLINK("http://evil")', "+1-2"]
    assert fake.cell(SID, "Live", 6, 3)["userEnteredValue"] == {"formulaValue": "=C7/SUM(C7:C10)"}
    assert fake.cell(SID, "Live", 9, 4)["userEnteredValue"] == {
        "formulaValue": '=SPARKLINE(C10,{"charttype","bar";"max",MAX(C7:C10)})'
    }
    assert fake.cell(SID, "Live", 6, 3)["userEnteredFormat"]["numberFormat"] == {"type": "PERCENT", "pattern": "0%"}
    # a warehouse value that looks like a formula arrives as text, never as a formula
    assert fake.cell(SID, "Live", 8, 1)["userEnteredValue"] == {"stringValue": '=HYPERLINK("http://evil")'}
    assert fake.cell(SID, "Live", 9, 1)["userEnteredValue"] == {"stringValue": "+1-2"}
    cells = fake.sheet(SID, "Live")["cells"]
    formulas = [rc for rc, cell in cells.items() if "formulaValue" in cell.get("userEnteredValue", {})]
    assert sorted(formulas) == [(r, c) for r in range(6, 10) for c in (3, 4)]  # only the config's columns

    sheet = fake.sheet(SID, "Live")
    rules = sheet["conditionalFormats"]
    assert len(rules) == 6  # red / amber / green for each freshness column
    for dataset, col, at in (("FUELINST", 0, 0), ("FREQ", 1, 3)):
        fresh = get_dataset(dataset).policy.iris_freshness
        warn = fresh.warn_after.total_seconds() / 60
        assert fresh.error_after == fresh.warn_after * ERROR_FACTOR
        limits = [float(r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]) for r in rules[at : at + 3]]
        assert limits == [warn * ERROR_FACTOR, warn, warn]
        assert [r["booleanRule"]["condition"]["type"] for r in rules[at : at + 3]] == [
            "NUMBER_GREATER", "NUMBER_GREATER", "NUMBER_LESS_THAN_EQ"
        ]  # fmt: skip
        assert all(
            r["ranges"][0]["startColumnIndex"] == col and r["ranges"][0]["startRowIndex"] == 2
            for r in rules[at : at + 3]
        )
    (chart,) = sheet["charts"]
    basic = chart["spec"]["basicChart"]
    assert basic["chartType"] == "COLUMN" and chart["spec"]["title"] == "Mix"
    dom = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (dom["startRowIndex"], dom["endRowIndex"], dom["startColumnIndex"]) == (5, 10, 1)  # header + 4 rows
    assert chart["position"]["overlayPosition"]["anchorCell"] | {"sheetId": 0} == {
        "sheetId": 0,
        "rowIndex": 4,
        "columnIndex": 7,
    }


def test_rerun_replaces_rules_and_charts_and_clears_cells_no_block_covers(fake, key_file, warehouse, tmp_path):
    assert run_export(tmp_path, key_file, warehouse, [LIVE]).ok
    later = NOW + timedelta(minutes=5)
    smaller = LIVE | {"blocks": [LIVE["blocks"][0], LIVE["blocks"][1] | {"limit": 2, "start": "A5"}]}
    summary = run_export(tmp_path, key_file, warehouse, [smaller], now=later)
    assert summary.ok, summary.lines()
    assert fake.errors == []
    assert batch_updates(fake) == 2  # still one write per tab and run
    sheet = fake.sheet(SID, "Live")
    assert len(sheet["conditionalFormats"]) == 6 and len(sheet["charts"]) == 1  # replaced, not piled up
    dom = sheet["charts"][0]["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (dom["startRowIndex"], dom["endRowIndex"], dom["startColumnIndex"]) == (5, 8, 0)  # the new block
    grid = fake.values(SID, "Live")
    assert grid[0][5] == pytest.approx(serial(later))
    assert grid[5] == ["Fuel", "MW", "Share", "Bar"]  # moved one column left: column E (old "Bar") cleared
    assert [r[0] for r in grid[6:8]] == ["WIND", "CCGT"] and len(grid) == 8  # old rows 9-10 gone


def test_block_query_failure_names_the_block_and_leaves_the_tab_as_it_was(fake, key_file, warehouse, tmp_path):
    assert run_export(tmp_path, key_file, warehouse, [LIVE]).ok
    before = fake.values(SID, "Live")
    bad = LIVE | {"blocks": [LIVE["blocks"][0], LIVE["blocks"][1] | {"where": "no_such_col > 0"}]}
    summary = run_export(tmp_path, key_file, warehouse, [bad])
    assert not summary.ok and "block 'fuel'" in summary.results[0].error
    assert fake.values(SID, "Live") == before and batch_updates(fake) == 1


def test_dry_run_writes_a_csv_per_block_and_the_preview(warehouse, tmp_path):
    out = tmp_path / "out"
    broken = LIVE | {"tab": "Broken", "blocks": [LIVE["blocks"][0] | {"where": "no_such_col > 0"}], "charts": []}
    summary = run_export(tmp_path, None, warehouse, [LIVE, broken], dry_run_dir=out)
    assert [r.ok for r in summary.results] == [True, False], summary.lines()
    assert sorted(p.name for p in out.iterdir()) == ["dash__Live__fresh.csv", "dash__Live__fuel.csv", "index.html"]
    fuel = (out / "dash__Live__fuel.csv").read_text().splitlines()
    assert fuel[0] == "Fuel,MW" and fuel[3] == '"=HYPERLINK(""http://evil"")",1000.0'  # query columns only
    page = (out / "index.html").read_text()
    assert 'data-block="fuel"' in page and "<svg" in page and "9,000" in page
    assert "=HYPERLINK(&quot;http://evil&quot;)" in page  # shown as the text it is
    assert 'data-tab="Broken"' in page and "FAILED: BlockQueryError: block &#x27;fresh&#x27;" in page


def _bad(tab_extra: dict) -> dict:
    return LIVE | tab_extra


def _cols(block: int, columns: list) -> dict:
    return _bad({"blocks": [LIVE["blocks"][block] | {"columns": columns}]})


def _chart(**kw: object) -> dict:
    return _bad({"charts": [kw]})


@pytest.mark.parametrize(
    ("tab", "message"),
    [
        (
            _bad({"blocks": [LIVE["blocks"][0], LIVE["blocks"][1] | {"start": "B2"}]}),
            "tab 'Live': block 'fresh' and block 'fuel' overlap",
        ),
        (
            _bad({"blocks": [LIVE["blocks"][0] | {"limit": None}, LIVE["blocks"][1] | {"start": "A9"}]}),
            "block 'fresh' and block 'fuel' overlap (a block with others below it needs a limit)",
        ),
        (_bad({"updated": "B6"}), "'last updated (UK)' and block 'fuel' overlap"),
        (_cols(1, [{"header": "x", "formula": "=SUM({{column.nope}})"}, "a"]), "names 'nope', not a query column"),
        (_cols(1, [{"header": "x", "formula": "SUM(A1)"}, "a"]), "must start with '='"),
        (_cols(0, [{"name": "a", "freshness": "NOPE"}]), "'NOPE' is not a dataset"),
        (_chart(block="fuel", x="fuel_type", series=["nope"]), "'nope' is not a query column of block 'fuel'"),
        (_chart(block="other", x="a", series=["b"]), "block 'other' is not a block of this tab"),
        (_bad({"blocks": [LIVE["blocks"][0], LIVE["blocks"][0] | {"start": "K1"}]}), "duplicate block names ['fresh']"),
        (_bad({"blocks": [LIVE["blocks"][0] | {"start": None} | {"colour": 1}]}), "unknown keys ['colour']"),
        (_bad({"model": "x"}), "unknown keys ['model']"),
    ],
)
def test_layout_config_errors_name_the_tab_and_blocks(tmp_path, tab, message, capsys):
    cfg = write_config(tmp_path, None, [tab])
    with pytest.raises(SystemExit) as exc:
        main(["export-sheets", "--config", str(cfg), "--dry-run", str(tmp_path / "o")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and str(cfg) in err


def test_fake_rejects_malformed_chart_format_and_formula_requests(fake, key_file):
    """Control: what Google rejects about the new request kinds, the fake rejects too (400)."""
    from gspread.exceptions import APIError

    http = open_client(key_file).http_client
    rng = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 5, "startColumnIndex": 0, "endColumnIndex": 1}
    src = {"sourceRange": {"sources": [rng]}}
    chart = {
        "spec": {"basicChart": {"chartType": "LINE", "domains": [{"domain": src}], "series": [{"series": src}]}},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 1, "columnIndex": 1}}},
    }
    rule = {
        "ranges": [rng],
        "booleanRule": {"condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "5"}]}, "format": {}},
    }
    cells = {"range": rng, "fields": "userEnteredValue"}
    bad = [
        {
            "addChart": {
                "chart": chart
                | {
                    "spec": {
                        "basicChart": {
                            "chartType": "LINE",
                            "domains": [],
                            "series": [{"series": {"sourceRange": {"sources": [rng | {"endRowIndex": 21}]}}}],
                        }
                    }
                }
            }
        },
        {"addChart": {"chart": chart | {"spec": {"basicChart": {"chartType": "SPIRAL"}}}}},  # enum
        {
            "addChart": {"chart": chart | {"spec": {"basicChart": chart["spec"]["basicChart"] | {"colour": "red"}}}}
        },  # field
        {
            "addChart": {
                "chart": chart | {"position": {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 99}}}}
            }
        },
        {"addConditionalFormatRule": {"rule": rule | {"ranges": [rng | {"endColumnIndex": 6}]}, "index": 0}},
        {
            "addConditionalFormatRule": {
                "rule": rule
                | {"booleanRule": {"condition": {"type": "NUMBER_BETWEEN", "values": [{"userEnteredValue": "1"}]}}}
            }
        },
        {"addConditionalFormatRule": {"rule": rule, "index": 3}},  # no rules yet: index 0 only
        {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
        {"deleteEmbeddedObject": {"objectId": 12345}},
        {"updateCells": cells | {"rows": [{"values": [{"userEnteredValue": {"formulaValue": "SUM(A1)"}}]}]}},
        {"updateCells": cells | {"rows": [{"values": [{"userEnteredValue": {"stringValue": "a", "numberValue": 1}}]}]}},
        {"repeatCell": {"range": rng | {"endRowIndex": 21}, "cell": {}, "fields": "userEnteredValue"}},
    ]
    for req in bad:
        with pytest.raises(APIError) as exc:
            http.batch_update(SID, {"requests": [req]})
        assert exc.value.response.status_code == 400, req
    assert len(fake.errors) == len(bad)
    # and the well-formed versions are accepted and applied
    formula = {"userEnteredValue": {"formulaValue": "=1+1"}}
    good = [
        {"addChart": {"chart": chart}},
        {"addConditionalFormatRule": {"rule": rule, "index": 0}},
        {"repeatCell": {"range": rng, "cell": formula, "fields": "userEnteredValue"}},
    ]
    http.batch_update(SID, {"requests": good})
    sheet = fake.sheet(SID, "Existing")
    assert len(sheet["charts"]) == 1 and len(sheet["conditionalFormats"]) == 1
    assert fake.cell(SID, "Existing", 4, 0)["userEnteredValue"] == {"formulaValue": "=1+1"}
    assert len(fake.errors) == len(bad)


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (16681.0, {"type": "NUMBER", "pattern": "#,##0"}, "16,681"),
        (0.66477, {"type": "PERCENT", "pattern": "0.0%"}, "66.5%"),
        (-23.85, {"type": "NUMBER", "pattern": "#,##0.00"}, "-23.85"),
        (50.0244, {"type": "NUMBER", "pattern": '0.000 "Hz"'}, "50.024 Hz"),
        (1234.5, {"type": "NUMBER", "pattern": "#,##0.##"}, "1,234.5"),
        (serial(datetime(2025, 10, 26, 23, 5)), {"type": "DATE_TIME", "pattern": "d mmm yy h:mm"}, "26 Oct 25 23:05"),
        (serial(datetime(2025, 10, 26, 23, 59, 45)), {"type": "TIME", "pattern": "hh:mm:ss"}, "23:59:45"),
        (serial(datetime(2025, 3, 4)), {"type": "DATE", "pattern": "yyyy-mm-dd"}, "2025-03-04"),
        (7.0, None, "7"),
        ("=SUM(A1)", None, "=SUM(A1)"),
    ],
)  # fmt: skip
def test_preview_formats_values_as_sheets_displays_them(value, fmt, text):
    from loaders.sheets.preview import format_value

    assert format_value(value, fmt) == text
