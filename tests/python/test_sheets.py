"""gbpower export-sheets against a fake Google Sheets API on loopback (requests validated against
the Sheets v4 discovery document), with marts in a real DuckDB file. Google's servers are the only
thing faked: gspread, google-auth (a real RS256-signed JWT grant), the exporter and DuckDB are real."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from loaders import config as project_config
from loaders.cli import main
from loaders.sheets import export, load_config
from loaders.sheets.cells import serial
from loaders.sheets.client import open_client
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.fake_sheets_api import FakeSheets, start

SID = "sheet-abc123"
EMAIL = "exporter@gbpower-test.iam.gserviceaccount.com"
NOW = datetime(2026, 5, 6, 12, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """A throwaway key, generated per test run (never committed)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fake(rsa_key, monkeypatch):
    fake = FakeSheets(EMAIL, rsa_key.public_key())
    server, url = start(fake)
    monkeypatch.setenv("GBPOWER_SHEETS_API_URL", url)
    monkeypatch.setenv("GBPOWER_SHEETS_RETRY_DELAY", "0.01")
    fake.add_spreadsheet(SID, {"Existing": (20, 5)})
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def key_file(fake, rsa_key, tmp_path) -> Path:
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "gbpower-test",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": EMAIL,
                "client_id": "1",
                "token_uri": fake.token_uri,
            }
        )
    )
    return path


@pytest.fixture
def warehouse(duckdb_path) -> DuckDBWriter:
    """Two small 'marts' in the analytics schema of a real DuckDB file."""
    con = duckdb.connect(str(duckdb_path))
    con.execute("SET TimeZone='UTC'")
    con.execute("CREATE SCHEMA analytics")
    con.execute("""CREATE TABLE analytics.bmrs_costs (settlement_date DATE, settlement_period INTEGER,
                   start_time_utc TIMESTAMP, system_sell_price DOUBLE, price_derivation_code VARCHAR)""")
    rows = [
        (
            date(2026, 5, 6),
            p,
            datetime(2026, 5, 5, 23, 0) + timedelta(minutes=30 * (p - 1)),
            40.0 + p,
            "N" if p % 2 else None,
        )
        for p in range(1, 25)
    ]
    rows += [
        (date(2026, 5, 5), p, datetime(2026, 5, 4, 23, 0) + timedelta(minutes=30 * (p - 1)), 10.0, "N")
        for p in range(1, 49)
    ]
    con.executemany("INSERT INTO analytics.bmrs_costs VALUES (?, ?, ?, ?, ?)", rows)
    con.execute(
        "CREATE TABLE analytics.mart_bm_revenue_daily (settlement_date DATE, bm_unit VARCHAR, net_cashflow_gbp DOUBLE)"
    )
    con.executemany(
        "INSERT INTO analytics.mart_bm_revenue_daily VALUES (?, ?, ?)",
        [(date(2026, 5, 5), f"T_U{i:02d}", 1000.0 * i) for i in range(1, 13)],
    )
    con.close()
    return DuckDBWriter(duckdb_path)


def write_config(tmp_path: Path, key_file: Path | None, tabs: list[dict]) -> Path:
    path = tmp_path / "sheets.yml"
    doc = {"spreadsheets": {"dash": SID}, "tabs": tabs}
    if key_file:
        doc["credentials"] = str(key_file)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


PRICES = {
    "tab": "Prices today",
    "spreadsheet": "dash",
    "model": "bmrs_costs",
    "where": "settlement_date = (select max(settlement_date) from {{ ref('bmrs_costs') }})",
    "order_by": "settlement_period",
    "start": "B2",
    "columns": [
        {"name": "settlement_period", "header": "SP", "format": "0"},
        {"name": "start_time_utc", "header": "Start (UTC)", "format": "yyyy-mm-dd hh:mm"},
        {"name": "system_sell_price", "header": "Price", "format": "#,##0.00"},
        {"name": "price_derivation_code", "header": "Code"},
    ],
}
TOP = {
    "tab": "Existing",
    "spreadsheet": "dash",
    "query": "select bm_unit, net_cashflow_gbp from {{ ref('mart_bm_revenue_daily') }}",
    "order_by": "net_cashflow_gbp desc",
    "limit": 5,
    "columns": ["bm_unit", {"name": "net_cashflow_gbp", "header": "Net (£)", "format": "#,##0"}],
}


def run_export(tmp_path, key_file, warehouse, tabs, now=NOW, **kw):
    cfg = load_config(write_config(tmp_path, key_file, tabs))
    client = open_client(cfg.credentials) if key_file and not kw.get("dry_run_dir") else None
    return export(cfg, warehouse, client=client, now=now, **kw)


def batch_updates(fake) -> int:
    return sum(1 for m, _ in fake.calls if m == "spreadsheets.batchUpdate")


# --- pushing ----------------------------------------------------------------------------------------


def test_push_creates_missing_tab_and_writes_block_with_formats(fake, key_file, warehouse, tmp_path):
    summary = run_export(tmp_path, key_file, warehouse, [PRICES, TOP])
    assert summary.ok, summary.lines()
    assert fake.errors == []
    assert batch_updates(fake) == 2  # one write per tab

    grid = fake.values(SID, "Prices today")
    assert grid[0] == []  # the block starts at B2
    assert grid[1] == [None, "last updated (UTC)", pytest.approx(serial(NOW))]
    assert grid[2] == [None, "SP", "Start (UTC)", "Price", "Code"]
    data = grid[3:]
    assert len(data) == 24  # only today's settlement date
    assert data[0] == [None, 1.0, pytest.approx(serial(datetime(2026, 5, 5, 23, 0))), 41.0, "N"]
    assert data[1] == [None, 2.0, pytest.approx(serial(datetime(2026, 5, 5, 23, 30))), 42.0]  # NULL -> empty
    price_cell = fake.cell(SID, "Prices today", 3, 3)
    assert price_cell["userEnteredFormat"]["numberFormat"] == {"type": "NUMBER", "pattern": "#,##0.00"}
    time_cell = fake.cell(SID, "Prices today", 3, 2)
    assert time_cell["userEnteredFormat"]["numberFormat"]["type"] == "DATE_TIME"
    assert fake.cell(SID, "Prices today", 2, 1)["userEnteredFormat"]["textFormat"] == {"bold": True}

    top = fake.values(SID, "Existing")
    assert top[1] == ["bm_unit", "Net (£)"]
    assert [r[0] for r in top[2:]] == ["T_U12", "T_U11", "T_U10", "T_U09", "T_U08"]  # top N


def test_second_run_clears_stale_rows_and_grows_the_grid(fake, key_file, warehouse, tmp_path):
    tabs = [TOP | {"limit": 10}]
    assert run_export(tmp_path, key_file, warehouse, tabs).ok
    assert len(fake.values(SID, "Existing")) == 12
    assert fake.sheet(SID, "Existing")["properties"]["gridProperties"]["rowCount"] == 20

    assert run_export(tmp_path, key_file, warehouse, [TOP | {"limit": 3}], now=NOW + timedelta(minutes=15)).ok
    grid = fake.values(SID, "Existing")
    assert len(grid) == 5 and grid[-1][0] == "T_U10"  # rows 6..12 of the first run are gone
    assert grid[0][1] == pytest.approx(serial(NOW + timedelta(minutes=15)))

    big = TOP | {
        "query": "select 'U' || cast(i as varchar) as bm_unit, i * 1.0 as net_cashflow_gbp from range(40) t(i)",
        "limit": None,
    }
    assert run_export(tmp_path, key_file, warehouse, [big]).ok
    assert fake.sheet(SID, "Existing")["properties"]["gridProperties"]["rowCount"] == 42
    assert len(fake.values(SID, "Existing")) == 42
    assert fake.errors == []


def test_429_and_5xx_are_retried(fake, key_file, warehouse, tmp_path):
    fake.fail("spreadsheets.get", 503, times=1)
    fake.fail("spreadsheets.batchUpdate", 429, times=2, retry_after="0")
    summary = run_export(tmp_path, key_file, warehouse, [TOP])
    assert summary.ok, summary.lines()
    assert batch_updates(fake) == 3  # two refused, the third applied
    assert len(fake.values(SID, "Existing")) == 7
    assert fake.errors == []


def test_a_failing_tab_leaves_it_fully_old_and_the_others_are_written(fake, key_file, warehouse, tmp_path):
    assert run_export(tmp_path, key_file, warehouse, [PRICES, TOP]).ok
    before = fake.values(SID, "Prices today")
    later = NOW + timedelta(minutes=15)

    def prices_tab(body):
        return any(
            "updateCells" in r
            and r["updateCells"]["range"]["sheetId"] == fake.sheet(SID, "Prices today")["properties"]["sheetId"]
            for r in body["requests"]
        )

    fake.fail("spreadsheets.batchUpdate", 500, times=100, when=prices_tab)  # Google keeps failing
    broken_sql = TOP | {
        "tab": "Broken",
        "query": "select no_such_column from {{ ref('bmrs_costs') }}",
        "columns": ["no_such_column"],
    }
    summary = run_export(tmp_path, key_file, warehouse, [PRICES, broken_sql, TOP | {"limit": 2}], now=later)
    assert not summary.ok
    status = {r.label: r for r in summary.results}
    assert not status["dash/Prices today"].ok and "500" in status["dash/Prices today"].error
    assert not status["dash/Broken"].ok and "no_such_column" in status["dash/Broken"].error
    assert status["dash/Existing"].ok
    assert fake.values(SID, "Prices today") == before  # fully old
    existing = fake.values(SID, "Existing")
    assert existing[0][1] == pytest.approx(serial(later)) and len(existing) == 4  # fully new
    with pytest.raises(KeyError):
        fake.sheet(SID, "Broken")  # nothing half-created


def test_fake_rejects_malformed_requests_like_google(fake, key_file):
    """Control: the validation the tests rely on does reject what Google would reject."""
    from gspread.exceptions import APIError

    http = open_client(key_file).http_client
    bad_bodies = [
        {"requests": [{"updateCells": {"rows": [], "fields": "userEnteredValue", "rnage": {}}}]},  # typo
        {"requests": [{"updateCells": {"start": {"sheetId": 0}, "fields": "userEnteredValu"}}]},  # mask
        {"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROW", "length": 5}}]},  # enum
        {"requests": [{"appendDimension": {"sheetId": 0, "length": "five"}}]},  # type
        {"requests": [{"addSheet": {}, "appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}}]},
    ]
    for body in bad_bodies:
        with pytest.raises(APIError) as exc:
            http.batch_update(SID, body)
        assert exc.value.response.status_code == 400
    with pytest.raises(APIError):
        http.fetch_sheet_metadata(SID, params={"includeGridData": "maybe"})
    assert len(fake.errors) == len(bad_bodies) + 1
    assert fake.values(SID, "Existing") == []  # nothing applied


def test_credentials_never_reach_the_logs(fake, key_file, warehouse, tmp_path, caplog, rsa_key):
    caplog.set_level(logging.DEBUG)
    fake.fail("spreadsheets.batchUpdate", 429, times=1, retry_after="0")
    assert run_export(tmp_path, key_file, warehouse, [TOP]).ok
    secret = json.loads(key_file.read_text())["private_key"].splitlines()[1]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "retry 1/" in text  # the retry was logged ...
    assert secret not in text and "fake-token" not in text  # ... without key or token


def test_bad_key_file_error_names_the_file_not_its_contents(tmp_path):
    from loaders.sheets.client import SheetsAuthError

    bad = tmp_path / "broken.json"
    key = {"type": "service_account", "private_key": "SECRET-MATERIAL"}  # pragma: allowlist secret
    bad.write_text(json.dumps(key))
    with pytest.raises(SheetsAuthError) as exc:
        open_client(bad)
    assert str(bad) in str(exc.value) and "SECRET-MATERIAL" not in str(exc.value)


# --- dry run and CLI ----------------------------------------------------------------------------------


def test_dry_run_writes_csv_per_tab_without_google(warehouse, tmp_path):
    out = tmp_path / "csv"
    summary = run_export(tmp_path, None, warehouse, [PRICES, TOP], dry_run_dir=out)
    assert summary.ok
    prices = (out / "dash__Prices_today.csv").read_text().splitlines()
    assert prices[0] == "SP,Start (UTC),Price,Code"
    assert prices[1] == "1,2026-05-05T23:00:00Z,41.0,N" and prices[2] == "2,2026-05-05T23:30:00Z,42.0,"
    assert len(prices) == 25
    top = (out / "dash__Existing.csv").read_text().splitlines()
    assert top == ["bm_unit,Net (£)", "T_U12,12000.0", "T_U11,11000.0", "T_U10,10000.0", "T_U09,9000.0", "T_U08,8000.0"]


def test_cli_dry_run_and_push(fake, key_file, warehouse, duckdb_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GBPOWER_DUCKDB", str(duckdb_path))
    cfg = write_config(tmp_path, key_file, [PRICES, TOP])
    assert main(["export-sheets", "--config", str(cfg), "--dry-run", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["dash__Existing.csv", "dash__Prices_today.csv", "index.html"]  # + the preview
    assert fake.calls == []  # dry run: Google never called
    assert main(["export-sheets", "--config", str(cfg), "--tab", "Existing"]) == 0
    assert "1/1 tabs exported" in capsys.readouterr().out
    assert len(fake.values(SID, "Existing")) == 7 and fake.errors == []
    fake.fail("spreadsheets.batchUpdate", 500, times=100)
    assert main(["export-sheets", "--config", str(cfg), "--tab", "Existing"]) == 1
    assert "FAILED  dash/Existing" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("tab", "message"),
    [
        ({"tab": "x", "spreadsheet": "dash", "columns": ["a"]}, "exactly one of 'model' or 'query'"),
        ({"tab": "x", "spreadsheet": "dash", "model": "m", "columns": []}, "at least one column"),
        ({"tab": "x", "spreadsheet": "dash", "model": "m", "columns": ["a"], "start": "1A"}, "A1"),
        ({"tab": "x", "spreadsheet": "dash", "model": "m", "columns": ["a; drop"]}, "plain column name"),
        ({"tab": "x", "spreadsheet": "dash", "model": "m", "columns": ["a"], "colour": 1}, "unknown keys"),
    ],
)
def test_config_errors_name_the_file_and_tab(tmp_path, tab, message, capsys):
    cfg = write_config(tmp_path, None, [tab])
    with pytest.raises(SystemExit) as exc:
        main(["export-sheets", "--config", str(cfg), "--dry-run", str(tmp_path / "o")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and str(cfg) in err


def test_push_without_credentials_is_a_clear_error(warehouse, duckdb_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GBPOWER_DUCKDB", str(duckdb_path))
    monkeypatch.delenv("GBPOWER_SHEETS_CREDENTIALS", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["export-sheets", "--config", str(write_config(tmp_path, None, [TOP]))])
    assert exc.value.code == 2 and "no credentials" in capsys.readouterr().err


def test_shipped_config_names_real_mart_columns(monkeypatch):
    """config/sheets.yml: the GB Live layout and seven table tabs, each block reading a model dbt
    documents, with columns the model documents (so a renamed mart column breaks this test, not the
    15-minute cron job)."""
    monkeypatch.setenv("GBPOWER_SHEETS_DASHBOARD_ID", "dashboard-id")
    cfg = load_config(project_config.project_root() / "config/sheets.yml")
    assert [t.tab for t in cfg.tabs] == [
        "GB Live",
        "Generation mix",
        "System prices today",
        "BM revenue by unit",
        "VLP battery revenue",
        "Battery BM revenue",
        "Arbitrage spreads",
        "Outages",
    ]
    documented: dict[str, set[str]] = {}
    for yml in (project_config.project_root() / "models/marts").rglob("*.yml"):
        for m in (yaml.safe_load(yml.read_text()) or {}).get("models", []):
            documented[m["name"]] = {c["name"] for c in m.get("columns", [])}
    for t in cfg.tabs:
        for b in t.blocks:
            if b.sql.startswith("select * from {{ ref("):  # model: (a query's columns are its own)
                model = b.sql.split("ref('")[1].split("'")[0]
                assert model in documented, (t.tab, b.name, model)
                missing = {c.name for c in b.query_columns} - documented[model]
                assert not missing, (t.tab, b.name, model, missing)
        assert t.spreadsheet_id == "dashboard-id"
    gb_live = cfg.tabs[0]
    assert gb_live.layout and {b.name for b in gb_live.blocks} >= {
        "as_of", "freshness", "headline", "fuel", "interconnectors", "frequency", "market", "outages"
    }  # fmt: skip


def test_cron_line_runs_the_export_end_to_end(fake, key_file, warehouse, duckdb_path, tmp_path):
    """The rendered crontab's export-sheets line, run as cron would (bash, the crontab's variables,
    the env file install-services writes): run-job -> gbpower export-sheets -> (fake) Google."""
    import os
    import subprocess

    from loaders.services import InstallConfig, install, parse_crontab

    root = project_config.project_root()
    cfg = InstallConfig(
        prefix=root, user="nobody", data_dir=tmp_path / "data", log_dir=tmp_path / "log", conf_dir=tmp_path / "etc"
    )
    install(cfg, tmp_path / "staging")
    staged = tmp_path / "staging" / str(root).lstrip("/") / "orchestration/rendered/crontab"
    cron_env, jobs = parse_crontab(staged.read_text())
    env_file = tmp_path / "staging" / str(tmp_path / "etc/gbpower.env").lstrip("/")
    sheets_cfg = write_config(tmp_path, key_file, [TOP])
    with env_file.open("a") as f:  # the operator's edits
        f.write(
            f"GBPOWER_DUCKDB={duckdb_path}\nGBPOWER_SHEETS_CONFIG={sheets_cfg}\n"
            f"GBPOWER_SHEETS_API_URL={os.environ['GBPOWER_SHEETS_API_URL']}\n"
        )
    cron_env["GBPOWER_ENV_FILE"] = str(env_file)
    job = next(j for j in jobs if j.name == "export-sheets")
    proc = subprocess.run(
        ["/bin/bash", "-c", job.command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**cron_env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr + (tmp_path / "log/export-sheets.log").read_text()
    assert [r[0] for r in fake.values(SID, "Existing")[2:]] == ["T_U12", "T_U11", "T_U10", "T_U09", "T_U08"]
    log = (tmp_path / "log/export-sheets.log").read_text()
    assert "export-sheets: start" in log and "1/1 tabs exported" in log and "end ok" in log
    assert fake.errors == []
