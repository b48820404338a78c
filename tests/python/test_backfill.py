"""`gbpower backfill` against the loopback replay server, on real DuckDB files.

Real payloads come from loaders/samples/real/elexon_samples (captured from the live Insights API;
Contains BMRS data © Elexon Limited copyright and database right).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loaders.registry import get_dataset
from loaders.replay import Fault, ReplayServer
from loaders.replay.layout import write_rows
from tests.python.backfill_support import replay_backfill

REAL = Path(__file__).resolve().parents[2] / "loaders" / "samples" / "real" / "elexon_samples"


def real_rows(name: str) -> list[dict]:
    doc = json.loads((REAL / name).read_text())
    return doc["data"] if isinstance(doc, dict) else doc


def table_rows(db: Path, table: str, order: str = "1") -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema='raw' "
                "and table_name=? and column_name not in ('_ingested_at', '_batch_id') order by ordinal_position",
                [table],
            ).fetchall()
        ]
        sel = ", ".join(f'"{c}"' for c in cols)
        return [
            dict(zip(cols, r, strict=True))
            for r in con.execute(f"select {sel} from raw.{table} order by {order}").fetchall()
        ]
    finally:
        con.close()


def backfill(db: Path, server: ReplayServer, datasets: list[str], d0: date, d1: date, tmp: Path, **kw):
    bf = replay_backfill(
        server,
        db,
        tmp,
        rate=kw.pop("rate", 50),
        backoff_base_s=0.05,
        read_timeout_s=kw.pop("read_timeout_s", 30),
        max_attempts=kw.pop("max_attempts", 6),
        concurrency=kw.pop("concurrency", 2),
        lock_timeout_s=kw.pop("lock_timeout_s", 30),
    )
    return bf.run([get_dataset(d) for d in datasets], d0, d1, force=kw.pop("force", False))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    write_rows(root, get_dataset("BOALF"), real_rows("BOALF.json"))
    write_rows(root, get_dataset("INDO"), real_rows("INDO.json"))
    write_rows(root, get_dataset("DISEBSP"), real_rows("DISEBSP_system_prices.json"))
    write_rows(root, get_dataset("REMIT"), real_rows("REMIT.json"))
    write_rows(root, get_dataset("BMUNITS"), real_rows("BMUNITS_reference_all.json"))
    return root


def test_envelopes_land_every_real_row(store: Path, tmp_path: Path) -> None:
    """Bare array (BOALF stream), {"data"} (INDO) and {"data","metadata"} (system prices) all load."""
    db = tmp_path / "w.duckdb"
    with ReplayServer(store) as server:
        summary = backfill(
            db, server, ["BOALF", "INDO", "DISEBSP", "BMUNITS"], date(2026, 5, 6), date(2026, 5, 6), tmp_path
        )
    assert summary.ok, summary.failures
    boalf = table_rows(db, "bmrs_boalf", '"acceptanceNumber"')
    expected = sorted(real_rows("BOALF.json"), key=lambda r: r["acceptanceNumber"])
    assert [(r["acceptanceNumber"], r["acceptanceTime"], r["soFlag"], r["levelFrom"]) for r in boalf] == [
        (
            e["acceptanceNumber"],
            datetime.fromisoformat(e["acceptanceTime"].replace("Z", "")),
            e["soFlag"],
            e["levelFrom"],
        )
        for e in expected
    ]
    assert all(r["_source"] == "api" and r["_extra"] is None for r in boalf)
    assert len(table_rows(db, "bmrs_indo")) == len(real_rows("INDO.json"))
    prices = table_rows(db, "bmrs_disebsp", '"settlementPeriod"')
    assert [p["systemSellPrice"] for p in prices] == [
        r["systemSellPrice"] for r in real_rows("DISEBSP_system_prices.json")
    ]
    assert len(table_rows(db, "bmrs_bmunits")) == len(real_rows("BMUNITS_reference_all.json"))
    assert summary.datasets["BOALF"].rows == 2


def test_inclusive_to_boundary_row_lands_once(tmp_path: Path) -> None:
    """The API's `to` is inclusive: a segment starting exactly at local midnight comes back in both
    adjacent day windows. It must land once, in the window that starts there."""
    base = real_rows("BOALF.json")[1]
    boundary = dict(
        base,
        timeFrom="2026-05-06T23:00:00Z",
        timeTo="2026-05-06T23:10:00Z",
        settlementDate="2026-05-07",
        settlementPeriodFrom=1,
        settlementPeriodTo=1,
        acceptanceNumber=4242,
    )
    store = tmp_path / "store"
    write_rows(store, get_dataset("BOALF"), [*real_rows("BOALF.json"), boundary])
    db = tmp_path / "w.duckdb"
    with ReplayServer(store) as server:
        summary = backfill(db, server, ["BOALF"], date(2026, 5, 6), date(2026, 5, 7), tmp_path)
        # the server really did return the boundary row for the 2026-05-06 window too
        assert any("to=2026-05-06T23%3A00%3A00Z" in r or "to=2026-05-06T23:00:00Z" in r for r in server.log.requests)
    assert summary.ok
    rows = table_rows(db, "bmrs_boalf", '"acceptanceNumber"')
    assert [r["acceptanceNumber"] for r in rows].count(4242) == 1
    # it came back in both days' bodies: dropped as outside the first window when each day is loaded
    # alone, kept once as a repeat when the two days are parsed together as a run
    s = summary.datasets["BOALF"]
    assert s.boundary_dropped + s.duplicates >= 1
    # each day's window is recorded with the rows that start in it: the boundary row in the second
    con = duckdb.connect(str(db), read_only=True)
    try:
        recorded = con.execute(
            'SELECT w.window_start, w.row_count, count(b."timeFrom") FROM raw.gbpower_windows w '
            'LEFT JOIN raw.bmrs_boalf b ON b."timeFrom" >= w.window_start AND b."timeFrom" < w.window_end '
            "WHERE w.dataset = 'BOALF' GROUP BY ALL ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert len(recorded) == 2 and all(n == actual for _, n, actual in recorded), recorded
    assert recorded[1][1] >= 1 and recorded[1][0] == datetime(2026, 5, 6, 23)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("BOALF", kind="status", status=429, retry_after="1", times=2),
        Fault("BOALF", kind="status", status=500, times=3),
        Fault("BOALF", kind="status", status=503, times=1),
        Fault("BOALF", kind="truncate", times=2),
        Fault("BOALF", kind="slow", delay_s=2.0, times=1),
    ],
    ids=["429-retry-after", "500", "503", "truncated-json", "timeout"],
)
def test_transient_faults_are_retried(store: Path, tmp_path: Path, fault: Fault) -> None:
    db = tmp_path / "w.duckdb"
    times = fault.times
    with ReplayServer(store, faults=[fault]) as server:
        t0 = time.monotonic()
        summary = backfill(db, server, ["BOALF"], date(2026, 5, 6), date(2026, 5, 6), tmp_path, read_timeout_s=0.8)
        elapsed = time.monotonic() - t0
        n_requests = len(server.log.requests)
    assert summary.ok, summary.failures
    assert fault.times == 0
    assert n_requests == times + 1
    assert len(table_rows(db, "bmrs_boalf")) == 2
    if fault.retry_after:
        assert elapsed >= 2 * float(fault.retry_after) * 0.9  # Retry-After honoured each time


def test_persistent_failure_is_reported_and_other_windows_still_load(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with ReplayServer(store, faults=[Fault("system-prices/2026-05-06", status=500, times=99)]) as server:
        summary = backfill(
            db, server, ["DISEBSP", "BOALF"], date(2026, 5, 6), date(2026, 5, 6), tmp_path, max_attempts=3
        )
    assert not summary.ok
    assert summary.datasets["DISEBSP"].windows_failed == 1
    assert "DISEBSP 2026-05-06" in summary.failures[0]
    assert len(table_rows(db, "bmrs_boalf")) == 2
    assert table_rows(db, "bmrs_disebsp") == []


def test_range_too_large_halves_the_window(store: Path, tmp_path: Path) -> None:
    """REMIT windows are 12 h; a server capping at 4 h answers 400 and the loader halves until it fits."""
    db = tmp_path / "w.duckdb"
    with ReplayServer(store, max_window={"REMIT": timedelta(hours=4)}) as server:
        summary = backfill(db, server, ["REMIT"], date(2026, 5, 6), date(2026, 5, 7), tmp_path)
        requests = list(server.log.requests)
    assert summary.ok, summary.failures
    assert len(table_rows(db, "bmrs_remit")) == len(real_rows("REMIT.json"))
    assert len(requests) > 4  # 4 windows of 12 h, each halved to 3 h pieces after 400s
    assert summary.datasets["REMIT"].windows_done == 4


def test_bad_rows_are_quarantined_and_the_rest_loads(tmp_path: Path) -> None:
    rows = real_rows("BOALF.json")
    bad = dict(rows[0], acceptanceNumber="not-a-number", timeFrom="2026-05-06T05:00:00Z")
    store = tmp_path / "store"
    write_rows(store, get_dataset("BOALF"), [*rows, bad])
    db = tmp_path / "w.duckdb"
    with ReplayServer(store) as server:
        summary = backfill(db, server, ["BOALF"], date(2026, 5, 6), date(2026, 5, 6), tmp_path)
    assert summary.ok
    assert summary.datasets["BOALF"].rejected == 1
    assert len(table_rows(db, "bmrs_boalf")) == 2
    files = list((tmp_path / "quarantine" / "api" / "BOALF").glob("*.jsonl"))
    assert len(files) == 1
    line = json.loads(files[0].read_text().splitlines()[0])
    assert "acceptanceNumber" in line["reason"] and "not-a-number" in line["reason"]
    assert "/datasets/BOALF/stream" in line["input"]
    assert line["record"]["acceptanceNumber"] == "not-a-number"


def test_rerun_skips_and_force_reload_is_identical(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    days = (date(2026, 5, 5), date(2026, 5, 7))
    with ReplayServer(store) as server:
        first = backfill(db, server, ["BOALF", "DISEBSP", "REMIT"], *days, tmp_path)
        snap = {t: table_rows(db, t) for t in ("bmrs_boalf", "bmrs_disebsp", "bmrs_remit")}
        n = len(server.log.requests)
        second = backfill(db, server, ["BOALF", "DISEBSP", "REMIT"], *days, tmp_path)
        assert len(server.log.requests) == n  # nothing fetched again
        third = backfill(db, server, ["BOALF", "DISEBSP", "REMIT"], *days, tmp_path, force=True)
    assert first.ok and second.ok and third.ok
    assert second.datasets["BOALF"].windows_skipped == 3 and second.rows == 0
    assert third.datasets["BOALF"].windows_done == 3
    assert {t: table_rows(db, t) for t in snap} == snap
    assert sum(len(v) for v in snap.values()) == 2 + 2 + 1


def test_windows_follow_settlement_days(tmp_path: Path) -> None:
    from loaders.api.windows import split_windows

    bod = get_dataset("BOD")
    spring, autumn = (
        split_windows(bod, date(2026, 3, 29), date(2026, 3, 29)),
        split_windows(bod, date(2025, 10, 26), date(2025, 10, 26)),
    )
    assert spring[0].end - spring[0].start == timedelta(hours=23)
    assert autumn[0].end - autumn[0].start == timedelta(hours=25)
    assert spring[0].start == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert autumn[0].start == datetime(2025, 10, 25, 23, 0, tzinfo=UTC)
    remit = split_windows(get_dataset("REMIT"), date(2025, 10, 26), date(2025, 10, 26))
    assert len(remit) == 3 and all(w.end - w.start <= timedelta(hours=12) for w in remit)
    assert remit[0].start == autumn[0].start and remit[-1].end == autumn[0].end
