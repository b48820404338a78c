"""A backfill into DuckDB prepares a dataset's consecutive windows as runs (``RUN_WINDOWS``): each
window is still its own request, the bodies are parsed in one pass and committed in one transaction,
and each window is recorded as done with its own rows. A window whose request or body fails, fails
alone: the rest of its run still loads."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from loaders.backfill import RUN_WINDOWS
from loaders.registry import get_dataset
from loaders.replay import Fault, ReplayServer
from loaders.replay.layout import write_rows
from tests.python.test_backfill import backfill, real_rows, table_rows

FIRST, LAST = date(2026, 5, 1), date(2026, 5, 9)  # nine days: a run of RUN_WINDOWS and one of two


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    write_rows(root, get_dataset("BOALF"), real_rows("BOALF.json"))  # 2 rows on 2026-05-06
    write_rows(root, get_dataset("DISEBSP"), real_rows("DISEBSP_system_prices.json"))
    return root


def recorded_windows(db: Path, dataset: str) -> list[tuple]:
    """(window start, recorded row count, rows of the raw table in the window) per recorded window."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            'SELECT w.window_start, w.row_count, count(b."timeFrom") FROM raw.gbpower_windows w '
            'LEFT JOIN raw.bmrs_boalf b ON b."timeFrom" >= w.window_start AND b."timeFrom" < w.window_end '
            "WHERE w.dataset = ? GROUP BY ALL ORDER BY 1",
            [dataset],
        ).fetchall()
    finally:
        con.close()


def commits(caplog: pytest.LogCaptureFixture, dataset: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if re.match(rf"{dataset} .*rows committed", r.getMessage())]


def test_consecutive_days_are_parsed_and_committed_as_runs(
    store: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert RUN_WINDOWS == 7
    db = tmp_path / "w.duckdb"
    with caplog.at_level(logging.INFO, logger="loaders.backfill"), ReplayServer(store) as server:
        summary = backfill(db, server, ["BOALF", "DISEBSP"], FIRST, LAST, tmp_path)
        boalf_requests = [r for r in server.log.requests if "BOALF" in r]
    assert summary.ok, summary.failures
    assert len(boalf_requests) == 9  # still one request per day
    assert summary.datasets["BOALF"].windows_done == 9
    # two transactions for nine days: 2026-05-01..07 and 2026-05-08..09
    assert sorted(m.split(":")[0] for m in commits(caplog, "BOALF")) == [
        "BOALF 2026-05-01..2026-05-07",
        "BOALF 2026-05-08..2026-05-09",
    ]
    assert len(table_rows(db, "bmrs_boalf")) == 2
    recorded = recorded_windows(db, "BOALF")
    assert len(recorded) == 9
    assert all(n == actual for _, n, actual in recorded), recorded  # each window's own rows, not the run's
    assert sum(n for _, n, _ in recorded) == 2
    # a settlement-date dataset (DISEBSP: rows matched on the date, not a timestamp) the same way
    assert summary.datasets["DISEBSP"].windows_done == 9
    assert len(commits(caplog, "DISEBSP")) == 2
    prices = table_rows(db, "bmrs_disebsp")
    assert len(prices) == len(real_rows("DISEBSP_system_prices.json"))

    # a re-run skips every window; --force re-lands them identically
    caplog.clear()
    with ReplayServer(store) as server:
        again = backfill(db, server, ["BOALF"], FIRST, LAST, tmp_path)
        assert not [r for r in server.log.requests if "BOALF" in r]
    assert again.datasets["BOALF"].windows_skipped == 9
    with ReplayServer(store) as server:
        forced = backfill(db, server, ["BOALF", "DISEBSP"], FIRST, LAST, tmp_path, force=True)
    assert forced.ok and forced.datasets["BOALF"].windows_done == 9
    assert len(table_rows(db, "bmrs_boalf")) == 2
    assert table_rows(db, "bmrs_disebsp") == prices
    assert len(recorded_windows(db, "BOALF")) == 9


@pytest.mark.parametrize(
    "fault",
    [
        Fault("from=2026-05-03T23", kind="envelope", times=99),  # a body that does not parse
        Fault("from=2026-05-03T23", kind="status", status=500, times=99),  # a request that fails
    ],
    ids=["unusable-body", "http-500"],
)
def test_a_failing_window_fails_alone_and_the_rest_of_its_run_loads(store: Path, tmp_path: Path, fault: Fault) -> None:
    db = tmp_path / "w.duckdb"
    with ReplayServer(store, faults=[fault]) as server:
        summary = backfill(db, server, ["BOALF"], FIRST, date(2026, 5, 7), tmp_path, max_attempts=2)
    s = summary.datasets["BOALF"]
    assert not summary.ok
    assert (s.windows_failed, s.windows_done) == (1, 6)
    assert len(summary.failures) == 1 and summary.failures[0].startswith("BOALF 2026-05-04: ")
    recorded = recorded_windows(db, "BOALF")
    assert len(recorded) == 6 and all(n == actual for _, n, actual in recorded)
    assert len(table_rows(db, "bmrs_boalf")) == 2  # 2026-05-06's rows, in the same run as the bad day
    kept = list((tmp_path / "quarantine").rglob("*.reason"))
    if fault.kind == "envelope":  # the unusable body is kept for inspection, named by its request
        assert len(kept) == 1 and "2026-05-03T23" in kept[0].read_text()
        assert "data" in kept[0].read_text()
    else:
        assert kept == []
    # a re-run once the source is healthy loads just the failed day
    with ReplayServer(store) as server:
        again = backfill(db, server, ["BOALF"], FIRST, date(2026, 5, 7), tmp_path)
        assert len([r for r in server.log.requests if "BOALF" in r]) == 1
    assert again.ok and again.datasets["BOALF"].windows_done == 1
    assert len(recorded_windows(db, "BOALF")) == 7
    assert len(table_rows(db, "bmrs_boalf")) == 2
