"""The time styles added for the catalogue and the settlement stack build the requests their routes
document: TUDM by settlement date range (``settlementDateFrom``/``To`` with periods 1..50, all four
required), RZDF/RZDR by submission time (``submissionDateTimeFrom``/``To``), and ISPSTACK one
settlement period per request (date and period in the path; the day's 46/48/50 periods from the
calendar; a 404 is "no such period", recorded and not a failure). The replay server answers them the
same way (``test_samples_catalogue.py`` lands every generic dataset through it)."""

from __future__ import annotations

import itertools
from datetime import date

from loaders.api.windows import build_request, split_windows
from loaders.openapi_contract import OpenApiDocument, check_request
from loaders.registry import DATASETS, TimeParams
from loaders.settlement import PERIOD, day_bounds, period_start

DAY = date(2025, 3, 30)  # the short spring clock-change day: 23 hours


def test_settlement_date_range_sends_the_day_and_every_period() -> None:
    tudm = DATASETS["TUDM"]
    assert tudm.time_params is TimeParams.SETTLEMENT_DATE_RANGE
    windows = split_windows(tudm, DAY, DAY)
    assert len(windows) == 1, "one request per settlement day"
    request = build_request(tudm, windows[0])
    assert request.path == "/datasets/TUDM/stream"
    assert dict(request.params) == {
        "settlementDateFrom": "2025-03-30",
        "settlementPeriodFrom": "1",
        "settlementDateTo": "2025-03-30",
        "settlementPeriodTo": "50",
    }
    assert check_request(OpenApiDocument.load(), tudm, request) == []


def test_submission_time_sends_the_window_bounds() -> None:
    doc = OpenApiDocument.load()
    for name in ("RZDF", "RZDR"):
        d = DATASETS[name]
        assert d.time_params is TimeParams.SUBMISSION
        (window,) = split_windows(d, DAY, DAY)
        request = build_request(d, window)
        # local midnight to local midnight in UTC: 00:00 GMT to 23:00 UTC (BST from 01:00 GMT)
        assert dict(request.params) == {
            "submissionDateTimeFrom": "2025-03-30T00:00:00Z",
            "submissionDateTimeTo": "2025-03-30T23:00:00Z",
        }, name
        assert check_request(doc, d, request) == [], name


# -- per settlement period (ISPSTACK): one request per period of the day, from the calendar ----------


def test_settlement_period_path_requests_every_period_of_the_calendar_day() -> None:
    stack = DATASETS["ISPSTACK"]
    assert stack.time_params is TimeParams.SETTLEMENT_PERIOD_PATH
    doc = OpenApiDocument.load()
    for day, periods in ((date(2025, 3, 30), 46), (date(2025, 6, 1), 48), (date(2025, 10, 26), 50)):
        windows = split_windows(stack, day, day)
        assert len(windows) == periods, day
        paths = [build_request(stack, w, "offer").path for w in windows]
        assert paths == [f"/balancing/settlement/stack/all/offer/{day}/{p}" for p in range(1, periods + 1)]
        # each window is its period: half an hour, back to back from local midnight
        assert windows[0].start == period_start(day, 1)
        assert all(w.end - w.start == PERIOD and w.settlement_date == day for w in windows)
        assert all(a.end == b.start for a, b in itertools.pairwise(windows))
        assert check_request(doc, stack, build_request(stack, windows[-1], "bid")) == []


def _stack_rows(day: date, periods: list[int]) -> dict[str, list[dict]]:
    from loaders.settlement import fmt_ts

    out: dict[str, list[dict]] = {"ISPSTACK/offer": [], "ISPSTACK/bid": []}
    for side, sign in (("offer", 1), ("bid", -1)):
        for p in periods:
            out[f"ISPSTACK/{side}"].append(
                {
                    "settlementDate": day.isoformat(),
                    "settlementPeriod": p,
                    "startTime": fmt_ts(period_start(day, p)),
                    "createdDateTime": "2025-10-27T12:00:00Z",
                    "sequenceNumber": 1,
                    "id": "T_SYN-1",
                    "acceptanceId": 1000 + p,
                    "bidOfferPairId": sign,
                    "repricedIndicator": False,
                    "originalPrice": 50.0,
                    "volume": sign * 1.5,
                    "transmissionLossMultiplier": 1.0,
                }
            )
    return out


def _stack_store(tmp_path, day: date, periods: int):
    """A replay store with ``periods`` periods of SYNTHETIC stack items on both sides of ``day``."""
    from loaders.replay.layout import write_rows

    root = tmp_path / "store"
    for key, side_rows in _stack_rows(day, list(range(1, periods + 1))).items():
        write_rows(root, DATASETS["ISPSTACK"], side_rows, key.split("/")[1])
    return root


def _stack_backfill(server, db, tmp_path):
    """The backfill the ISPSTACK tests run against the replay server (real client, writer, quarantine)."""
    from tests.python.backfill_support import replay_backfill

    return replay_backfill(server, db, tmp_path)


def test_a_404_period_is_skipped_and_recorded_and_the_long_day_loads_50_periods(tmp_path) -> None:
    """The autumn clock-change day has 50 periods: every one is requested, both sides; the replay
    answers period 27's offer side 404 (Elexon has no stack for it), which is recorded, not a failure,
    and the period's other side and every other period load."""
    import duckdb

    from loaders.replay import Fault, ReplayServer
    from loaders.warehouse.duckdb_writer import DuckDBWriter

    day = date(2025, 10, 26)
    root = _stack_store(tmp_path, day, 50)
    db = tmp_path / "w.duckdb"
    fault = Fault(match=f"/stack/all/offer/{day}/27?", status=404, times=10)
    with ReplayServer(root, faults=[fault]) as server:
        summary = _stack_backfill(server, db, tmp_path).run([DATASETS["ISPSTACK"]], day, day)
        asked = [line for line in server.log.requests if "/stack/all/" in line]
    assert summary.ok, summary.failures
    s = summary.datasets["ISPSTACK"]
    assert s.windows_done == 1  # the day's 100 requests are parsed and committed as one window, the day
    assert s.periods_not_found == [f"{day} P27 offer"]
    assert any("no such period (HTTP 404): 2025-10-26 P27 offer" in line for line in summary.lines())
    assert sorted({int(line.split("?")[0].rsplit("/", 1)[1]) for line in asked}) == list(range(1, 51))
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            'select "bidOffer", count(*), count(distinct "settlementPeriod") from raw.bmrs_ispstack '
            "group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("bid", 50, 50), ("offer", 49, 49)]
    assert DuckDBWriter(db).completed_windows(DATASETS["ISPSTACK"]) == {day_bounds(day)}


def test_a_per_period_day_is_one_commit_that_a_rerun_skips_and_the_catch_up_reads(tmp_path) -> None:
    """The backfill commits a per-period dataset's day as one window: a re-run skips it, the catch-up
    counts its periods as loaded, and a period that cannot be fetched fails the whole day (nothing of
    it committed)."""
    from datetime import UTC, datetime, timedelta

    import duckdb

    from loaders.catch_up import CatchUpRules, plan
    from loaders.replay import Fault, ReplayServer
    from loaders.warehouse.duckdb_writer import DuckDBWriter

    day = date(2025, 6, 1)
    root = _stack_store(tmp_path, day, 48)
    db = tmp_path / "w.duckdb"

    def backfill(server: ReplayServer):
        return _stack_backfill(server, db, tmp_path)

    def stack_rows() -> list[tuple]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute('select "bidOffer", count(*) from raw.bmrs_ispstack group by 1 order by 1').fetchall()
        except duckdb.CatalogException:
            return []
        finally:
            con.close()

    # period 30's bid side is cut off every time: the day fails, nothing of it is committed
    broken = Fault(match=f"/stack/all/bid/{day}/30?", kind="truncate", times=10)
    with ReplayServer(root, faults=[broken]) as server:
        summary = backfill(server).run([DATASETS["ISPSTACK"]], day, day)
        asked_broken = [line for line in server.log.requests if f"/stack/all/bid/{day}/30?" in line]
    assert not summary.ok and summary.datasets["ISPSTACK"].windows_failed == 1
    assert "stack/all/bid/2025-06-01/30" in summary.failures[0]
    assert stack_rows() == []
    from loaders.backfill import PAYLOAD_ATTEMPTS

    assert len(asked_broken) == PAYLOAD_ATTEMPTS  # fetched again before giving up
    kept = [p for p in (tmp_path / "quarantine" / "api" / "ISPSTACK").iterdir() if not p.name.endswith(".reason")]
    assert len(kept) == 1  # the cut-off body is kept for inspection, with its reason
    assert "not JSON" in kept[0].with_name(kept[0].name + ".reason").read_text()

    with ReplayServer(root) as server:
        first = backfill(server).run([DATASETS["ISPSTACK"]], day, day)
        again = backfill(server).run([DATASETS["ISPSTACK"]], day, day)
        asked_again = [line for line in server.log.requests if "/stack/all/" in line]
    assert first.ok and first.datasets["ISPSTACK"].windows_done == 1
    assert stack_rows() == [("bid", 48), ("offer", 48)]
    assert again.datasets["ISPSTACK"].windows_skipped == 1 and again.datasets["ISPSTACK"].windows_done == 0
    assert len(asked_again) == 2 * 48  # the first run's requests only: the re-run asked nothing

    # the catch-up, a week later, sees every period of that day loaded (final: not due again)
    later = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)
    due = plan(DuckDBWriter(db), [DATASETS["ISPSTACK"]], later, CatchUpRules(days=1))
    assert [j.window.settlement_date for j in due.jobs if j.window.settlement_date == day] == []


def test_disptav_and_ispstack_gaps_are_checked_against_elexons_data_status() -> None:
    from loaders.gaps.data_status import data_status_request
    from loaders.health.warehouse_checks import SOURCE_COUNTED

    for name in ("BOAV", "DISPTAV", "ISPSTACK"):
        assert name in SOURCE_COUNTED, name
        request = data_status_request(name, DAY, DAY)
        assert request.path == f"/data-status/{name}"
        assert OpenApiDocument.load().match(request.path), name
