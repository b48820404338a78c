"""Start-up gap check: warn when the newest IRIS data is older than the threshold and, with
--backfill-gaps, fill the gap from the API (real backfill code against the loopback replay of the
Insights API, real DuckDB file)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import duckdb

from loaders.iris.gaps import check_gap, find_gap
from loaders.iris.synth import make_record
from loaders.registry import get_dataset
from loaders.replay import ReplayServer
from loaders.replay.layout import write_rows
from loaders.warehouse.base import MessageRecord
from loaders.warehouse.duckdb_writer import DuckDBWriter


def _writer_with_last_commit(db, when: datetime, dataset: str = "FREQ") -> DuckDBWriter:
    w = DuckDBWriter(db, lock_timeout_s=5)
    w.append_messages([], [MessageRecord("m1.json", dataset, 0)], "b1")
    con = duckdb.connect(str(db))
    con.execute("UPDATE raw.iris_messages SET committed_at = ?", [when.replace(tzinfo=None)])
    con.close()
    return w


def test_no_gap_below_threshold_and_none_without_history(duckdb_path):
    w = DuckDBWriter(duckdb_path, lock_timeout_s=5)
    w.init()
    assert find_gap(w, timedelta(hours=1)) is None  # no IRIS data yet: nothing to compare
    now = datetime.now(UTC)
    _writer_with_last_commit(duckdb_path, now - timedelta(minutes=30))
    assert find_gap(w, timedelta(hours=1)) is None
    gap = find_gap(w, timedelta(minutes=10))
    assert gap is not None and gap.datasets == ("FREQ",)
    assert timedelta(minutes=29) < gap.length < timedelta(minutes=32)


def test_gap_is_named_in_a_warning_and_backfilled_from_the_api(tmp_path, duckdb_path, monkeypatch, caplog):
    now = datetime.now(UTC)
    last = (now - timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    w = _writer_with_last_commit(duckdb_path, last)
    # the API (replayed on loopback) holds FREQ for the whole gap: one sample a minute
    rows = [make_record("FREQ", i * 4, t0=last) for i in range(int((now - last).total_seconds() // 60))]
    store = tmp_path / "store"
    write_rows(store, get_dataset("FREQ"), rows)
    caplog.set_level(logging.INFO, logger="loaders")

    assert check_gap(w, timedelta(hours=48), backfill=False) is not None
    assert any(
        "IRIS gap" in r.getMessage() and "longer than IRIS's 3-day retention" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )
    assert w.query("SELECT count(*) FROM raw.bmrs_freq")[0][0] == 0

    with ReplayServer(store) as server:
        monkeypatch.setenv("BMRS_API_BASE_URL", server.base_url)
        monkeypatch.setenv("GBPOWER_WORK_DIR", str(tmp_path / "work"))
        gap = check_gap(w, timedelta(hours=48), backfill=True)
    assert gap is not None
    landed = w.query('SELECT count(*), min("measurementTime"), max("measurementTime") FROM raw.bmrs_freq')[0]
    assert landed[0] == len(rows)
    assert landed[1] == last.replace(tzinfo=None)
