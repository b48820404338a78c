"""The scheduled API catch-up (``gbpower backfill --catch-up``): which windows it fetches — missing,
loaded before they were final, revision days — and, against the loopback replay API on a real
DuckDB file, that a day loaded while in progress is completed by a later run and a late revision lands."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loaders.api.windows import split_windows
from loaders.catch_up import CatchUpRules, catch_up_datasets, plan, run_catch_up
from loaders.cli import main
from loaders.registry import DATASETS, get_dataset
from loaders.replay import ReplayServer
from loaders.replay.layout import write_rows
from loaders.settlement import period_start, periods_in_day, settlement_period_of
from loaders.warehouse.duckdb_writer import DuckDBWriter

REAL = Path(__file__).resolve().parents[2] / "loaders/samples/real/elexon_samples/DISEBSP_system_prices.json"
NOW = datetime(2026, 5, 6, 14, 0, tzinfo=UTC)  # 15:00 BST, settlement day 2026-05-06
TODAY = date(2026, 5, 6)


def record_loads(db: Path, dataset: str, loads: dict[tuple[datetime, datetime], datetime]) -> None:
    """Completed-window records as the writer keeps them (naive UTC)."""
    con = duckdb.connect(str(db))
    try:
        for (start, end), at in loads.items():
            con.execute(
                "INSERT INTO raw.gbpower_windows VALUES (?, ?, ?, 0, 'test', ?)",
                [dataset, *(t.astimezone(UTC).replace(tzinfo=None) for t in (start, end, at))],
            )
    finally:
        con.close()


def day_window(dataset: str, d: date):
    (w,) = split_windows(get_dataset(dataset), d, d)
    return w


@pytest.fixture
def writer(tmp_path):
    w = DuckDBWriter(tmp_path / "w.duckdb")
    w.init()
    return w


def test_every_dataset_is_caught_up_from_the_api():
    assert [d.name for d in catch_up_datasets()] == list(DATASETS)  # every registry dataset has an API way


def test_plan_fetches_missing_incomplete_and_revision_windows_only(writer):
    w = {d: day_window("DISEBSP", TODAY - timedelta(days=d)) for d in range(6)}
    settle = timedelta(hours=2)
    record_loads(
        writer.path,
        "DISEBSP",
        {
            (w[5].start, w[5].end): w[5].end + timedelta(hours=3),  # final, before the revision days
            # w[4]: never loaded
            (w[3].start, w[3].end): w[3].end - timedelta(hours=5),  # loaded while the day was in progress
            (w[2].start, w[2].end): w[2].end + timedelta(hours=3),  # final, in the revision days, 33 h ago
            (w[1].start, w[1].end): NOW - timedelta(hours=1),  # final and just re-fetched
            (w[0].start, w[0].end): NOW - timedelta(hours=1),  # today, in progress
        },
    )
    p = plan(writer, [DATASETS["DISEBSP"]], NOW, CatchUpRules(days=5, settle=settle))
    due = sorted(job.window.settlement_date for job in p.jobs)
    assert due == [TODAY - timedelta(days=d) for d in (4, 3, 2, 0)]
    assert dict(p.reasons["DISEBSP"]) == {"missing": 1, "incomplete": 2, "revision": 1}
    assert p.skipped["DISEBSP"] == 2  # day -5 (final, past revisions) and day -1 (final, fresh)


def test_no_revision_refetch_for_datasets_elexon_does_not_revise(writer):
    w = day_window("FUELHH", TODAY - timedelta(days=2))
    record_loads(writer.path, "FUELHH", {(w.start, w.end): w.end + timedelta(hours=3)})
    p = plan(writer, [DATASETS["FUELHH"]], NOW, CatchUpRules(days=2))
    assert all(job.window.settlement_date != w.settlement_date for job in p.jobs)
    assert "revision" not in p.reasons["FUELHH"]


def test_windows_that_have_not_started_are_left_for_later(writer):
    early = NOW.replace(hour=9)  # REMIT's day is cut at 11:00 UTC: its second part has not begun
    p = plan(writer, [DATASETS["FREQ"], DATASETS["REMIT"]], early, CatchUpRules(days=1))
    assert p.jobs and all(job.window.start < early for job in p.jobs)
    remit_today = [j for j in p.jobs if j.dataset.name == "REMIT" and j.window.settlement_date == TODAY]
    # REMIT's day is cut into parts; only the parts already begun are fetched
    assert 0 < len(remit_today) < len(split_windows(DATASETS["REMIT"], TODAY, TODAY))


def test_snapshot_refetched_only_when_old(writer, tmp_path):
    p = plan(writer, [DATASETS["BMUNITS"]], NOW, CatchUpRules())
    assert [(j.dataset.name, j.window) for j in p.jobs] == [("BMUNITS", None)]  # empty table: fetch


# -- against the replay API ---------------------------------------------------------------------
def price_rows(d: date, periods: range, price: float) -> list[dict]:
    template = json.loads(REAL.read_text())["data"][0]
    rows = []
    for p in periods:
        start = period_start(d, p)
        row = copy.deepcopy(template)
        row.update(
            settlementDate=d.isoformat(),
            settlementPeriod=p,
            startTime=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            createdDateTime=(start + timedelta(minutes=44)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            systemSellPrice=price,
            systemBuyPrice=price,
        )
        rows.append(row)
    return rows


def prices(db: Path) -> dict[tuple[date, int], float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            (d, p): v
            for d, p, v in con.execute(
                "SELECT settlementDate, settlementPeriod, systemSellPrice FROM raw.bmrs_disebsp"
            ).fetchall()
        }
    finally:
        con.close()


def test_day_loaded_in_progress_is_completed_later_and_late_revisions_land(tmp_path):
    now = datetime.now(UTC)
    today, period_now = settlement_period_of(now)
    days = [today - timedelta(days=2), today - timedelta(days=1)]
    store = tmp_path / "store"
    ds = get_dataset("DISEBSP")
    write_rows(store, ds, [r for d in days for r in price_rows(d, range(1, periods_in_day(d) + 1), 50.0)])
    # today so far: the periods that have been published (all but the current one)
    write_rows(store, ds, price_rows(today, range(1, period_now), 60.0))
    db = tmp_path / "w.duckdb"
    rules = CatchUpRules(days=2, settle=timedelta(0))  # no publication lag: independent of the hour it runs

    def catch_up(server, at: datetime):
        return run_catch_up(
            ["DISEBSP"],
            rules=rules,
            base_url=server.base_url,
            writer=DuckDBWriter(db),
            rate_per_s=50,
            progress=False,
            now=at,
        )

    with ReplayServer(store) as server:
        first = catch_up(server, now)
        assert first.ok and first.datasets["DISEBSP"].windows_done == 3
        loaded = prices(db)
        assert len(loaded) == sum(periods_in_day(d) for d in days) + period_now - 1
        n = len(server.log.requests)
        again = catch_up(server, now + timedelta(minutes=1))
        # only today's window (loaded before it was final) is fetched again; the finished days are not
        assert again.ok and len(server.log.requests) == n + 1 and today.isoformat() in server.log.requests[-1]
        assert again.datasets["DISEBSP"].windows_skipped == 2
        # the day completes; yesterday's prices are revised
        write_rows(store, ds, price_rows(today, range(1, periods_in_day(today) + 1), 60.0))
        write_rows(store, ds, price_rows(days[1], range(1, periods_in_day(days[1]) + 1), 55.5))
        later = datetime.now(UTC) + timedelta(hours=21)  # after the day's end + settle, past the revision interval
        third = catch_up(server, later)
        assert third.ok
    final = prices(db)
    assert all(final[(today, p)] == 60.0 for p in range(1, periods_in_day(today) + 1))  # completed
    assert all(final[(days[1], p)] == 55.5 for p in range(1, periods_in_day(days[1]) + 1))  # revised
    assert {d for d, _ in final} == {*days, today}
    con = duckdb.connect(str(db), read_only=True)
    try:  # nothing doubled: one row per period
        assert con.execute("SELECT count(*) FROM raw.bmrs_disebsp").fetchone()[0] == sum(
            periods_in_day(d) for d in [*days, today]
        )
    finally:
        con.close()


@pytest.mark.parametrize(
    "args",
    [
        ["--catch-up", "--from", "2026-01-01", "--to", "2026-01-02"],
        ["--catch-up", "--force"],
        ["--catch-up", "--catch-up-days", "0"],
    ],
)
def test_catch_up_cli_rejects_conflicting_options(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["backfill", *args])
    assert exc.value.code == 2 and "catch-up" in capsys.readouterr().err


def test_catch_up_cli_loads_what_is_due_and_says_what_it_skipped(tmp_path, monkeypatch, capsys):
    now = datetime.now(UTC)
    today, _ = settlement_period_of(now)
    yesterday = today - timedelta(days=1)
    store = tmp_path / "store"
    write_rows(store, get_dataset("DISEBSP"), price_rows(yesterday, range(1, periods_in_day(yesterday) + 1), 42.0))
    db = tmp_path / "w.duckdb"
    monkeypatch.setenv("GBPOWER_DUCKDB", str(db))
    monkeypatch.setenv("GBPOWER_TARGET", "duckdb")
    monkeypatch.setenv("GBPOWER_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("GBPOWER_QUARANTINE_DIR", str(tmp_path / "q"))
    args = ["backfill", "--catch-up", "--catch-up-days", "1", "--settle-hours", "0", "-d", "DISEBSP", "--rate", "50"]
    with ReplayServer(store) as server:
        monkeypatch.setenv("BMRS_API_BASE_URL", server.base_url)
        assert main(args) == 0
        first = capsys.readouterr().out
        assert main(args) == 0
        second = capsys.readouterr().out
    assert "DISEBSP   rows=" in first and "windows done=2 skipped=0" in first  # yesterday and today
    assert "windows done=1 skipped=1" in second  # yesterday is final; today is still in progress
    assert len(prices(db)) == periods_in_day(yesterday)
