"""gbpower health on a real DuckDB warehouse (and the BigQuery emulator): freshness per source,
missing settlement periods (46/48/50-period days), duplicate keys, dbt run results, IRIS heartbeat,
``--json`` and the exit codes."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from loaders.cli import main
from loaders.health import HealthOptions, Status, run_health
from loaders.health.warehouse_checks import expected_periods
from loaders.registry import DATASETS
from loaders.settlement import period_start, periods_in_day
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.raw_rows import load, naive

DISEBSP, BOALF, FREQ = DATASETS["DISEBSP"], DATASETS["BOALF"], DATASETS["FREQ"]


def price_rows(days: list[date], skip: set[tuple[date, int]] = frozenset()) -> list[dict]:
    return [
        {
            "settlementDate": d,
            "settlementPeriod": p,
            "startTime": naive(period_start(d, p)),
            "createdDateTime": naive(period_start(d, p) + timedelta(minutes=44)),
            "systemSellPrice": 50.0,
            "systemBuyPrice": 50.0,
        }
        for d in days
        for p in range(1, periods_in_day(d) + 1)
        if (d, p) not in skip
    ]


def boalf_row(t: datetime, unit: str = "T_A-1", number: int = 1) -> dict:
    return {
        "settlementDate": t.date(),
        "settlementPeriodFrom": 1,
        "settlementPeriodTo": 1,
        "timeFrom": naive(t),
        "timeTo": naive(t + timedelta(minutes=5)),
        "levelFrom": 0.0,
        "levelTo": 10.0,
        "acceptanceNumber": number,
        "acceptanceTime": naive(t - timedelta(minutes=2)),
        "nationalGridBmUnit": unit,
        "bmUnit": unit,
        "amendmentFlag": "ORI",
    }


@pytest.fixture
def writer(duckdb_path):
    w = DuckDBWriter(duckdb_path)
    w.init()
    return w


def by(report, check: str, subject: str):
    found = [c for c in report.checks if c.check == check and c.subject == subject]
    assert len(found) == 1, [(c.check, c.subject) for c in report.checks]
    return found[0]


def write_run_results(path: Path, generated: datetime, statuses: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "metadata": {"generated_at": generated.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                "args": {"which": "build"},
                "elapsed_time": 12.5,
                "results": [{"unique_id": uid, "status": st} for uid, st in statuses.items()],
            }
        )
    )
    return path


def write_heartbeat(path: Path, last: datetime, pid: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    z = last.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(
        json.dumps(
            {
                "last_commit_utc": z,
                "started_utc": z,
                "pid": pid,
                "batches": 3,
                "messages": 30,
                "records": 300,
                "datasets": {"FREQ": {"records": 300, "last_commit_utc": z}},
            }
        )
    )
    return path


# --- settlement calendar ------------------------------------------------------------------------


def test_expected_periods_follow_clock_changes():
    # autumn 2025: Sunday 26 October has 50 periods; spring 2026: Sunday 29 March has 46
    autumn = expected_periods(1, datetime(2025, 10, 27, 12, 0, tzinfo=UTC), lag=timedelta(0))
    assert len(autumn[date(2025, 10, 26)]) == 50
    assert len(autumn[date(2025, 10, 27)]) == 24  # 00:00Z..12:00Z in GMT
    spring = expected_periods(1, datetime(2026, 3, 30, 0, 0, tzinfo=UTC), lag=timedelta(0))
    assert len(spring[date(2026, 3, 29)]) == 46
    assert spring[date(2026, 3, 30)] == {1, 2}  # BST: the day began at 23:00Z
    # BST: period 1 of 2026-06-01 starts 2026-05-31T23:00Z, so at 23:30Z it has ended
    bst = expected_periods(0, datetime(2026, 5, 31, 23, 30, tzinfo=UTC), lag=timedelta(0))
    assert bst == {date(2026, 6, 1): {1}}


# --- warehouse checks -----------------------------------------------------------------------------


def test_gaps_across_the_autumn_clock_change_are_found_api_and_iris_together(writer, tmp_path):
    now = datetime(2025, 10, 28, 6, 0, tzinfo=UTC)  # covers 25..28 Oct, 26 Oct has 50 periods
    days = [date(2025, 10, d) for d in (25, 26, 27, 28)]
    missing = {(date(2025, 10, 26), 49), (date(2025, 10, 27), 3)}
    rows = price_rows(days, skip=missing | {(date(2025, 10, 26), 50)})
    load(writer, tmp_path, DISEBSP, "bmrs_disebsp", rows)
    # period 50 of the long day arrived only via IRIS: together the sources cover it
    load(writer, tmp_path, DISEBSP, "bmrs_disebsp_iris", price_rows([date(2025, 10, 26)])[49:50])
    opts = HealthOptions(
        datasets=["DISEBSP"],
        iris=False,
        max_age={"DISEBSP": timedelta(days=7)},
        run_results=write_run_results(tmp_path / "rr.json", now, {"model.x": "success"}),
    )
    report = run_health(writer, opts, now=now)
    gaps = by(report, "gaps", "DISEBSP")
    # nobody asked Elexon (no data-status fetcher) and the seed does not list them: ingestion gaps
    assert gaps.status is Status.ERROR
    assert gaps.details["missing"] == ["2025-10-26/49", "2025-10-27/3"]
    assert gaps.details["unconfirmed"] == gaps.details["missing"]
    assert "gbpower backfill -d DISEBSP --from 2025-10-26 --to 2025-10-27" in gaps.message
    expected = 48 + 50 + 48 + 10  # 28 Oct: periods ending by 05:00Z (now - 1 h lag)
    assert gaps.details["expected_periods"] == expected
    assert report.exit_code == 2

    load(writer, tmp_path, DISEBSP, "bmrs_disebsp", price_rows(days))  # fill them
    healed = run_health(writer, opts, now=now)
    assert by(healed, "gaps", "DISEBSP").status is Status.OK
    assert by(healed, "duplicates", "DISEBSP/api").status is Status.OK
    assert healed.exit_code == 0, healed.lines()


def test_a_gap_elexon_also_lacks_is_a_source_gap_and_a_documented_one_is_left_out(writer, tmp_path):
    """Elexon's /data-status (the replay serves it from what its store holds) tells the two kinds
    apart: 27 Oct period 3 exists at source (ingestion gap: error), period 4 does not (source gap:
    warning with the seed row to add); once documented in the seed, the source gap is left out."""
    from loaders.api.client import ApiClient
    from loaders.gaps.data_status import fetch_data_status
    from loaders.replay import ReplayServer
    from loaders.replay.layout import write_rows

    now = datetime(2025, 10, 28, 6, 0, tzinfo=UTC)
    days = [date(2025, 10, d) for d in (25, 26, 27, 28)]
    store = tmp_path / "store"
    at_source = [
        {**r, "settlementDate": r["settlementDate"].isoformat(), "startTime": r["startTime"].isoformat() + "Z",
         "createdDateTime": r["createdDateTime"].isoformat() + "Z"}
        for r in price_rows(days, skip={(date(2025, 10, 27), 4)})
    ]  # fmt: skip
    write_rows(store, DISEBSP, at_source)
    load(writer, tmp_path, DISEBSP, "bmrs_disebsp", price_rows(days, skip={(date(2025, 10, 27), p) for p in (3, 4)}))
    with ReplayServer(store) as server:
        client = ApiClient(server.base_url, rate_per_s=50)
        opts = HealthOptions(
            datasets=["DISEBSP"],
            iris=False,
            max_age={"DISEBSP": timedelta(days=7)},
            fetch_status=lambda ds, a, b: fetch_data_status(client, ds, a, b),
            known_source_gaps={},
        )
        both = by(run_health(writer, opts, now=now), "gaps", "DISEBSP")
        assert both.status is Status.ERROR
        assert (both.details["ingestion"], both.details["source"]) == (["2025-10-27/3"], ["2025-10-27/4"])

        load(writer, tmp_path, DISEBSP, "bmrs_disebsp", price_rows(days, skip={(date(2025, 10, 27), 4)}))
        source_only = by(run_health(writer, opts, now=now), "gaps", "DISEBSP")
        assert source_only.status is Status.WARN
        row = "DISEBSP,2025-10-27,4,4,Elexon's /data-status lists no data points,/data-status/DISEBSP"
        assert source_only.details["seed_rows"] == [row] and row in source_only.message

        opts.known_source_gaps = {"DISEBSP": {(date(2025, 10, 27), 4)}}
        documented = by(run_health(writer, opts, now=now), "gaps", "DISEBSP")
    assert documented.status is Status.OK
    assert documented.details["known_source"] == ["2025-10-27/4"] and "1 documented source gap" in documented.message


def test_datasets_elexon_counts_per_period_are_gap_checked_against_its_data_status(writer, tmp_path):
    """FREQ and BOALF need not have data in every period, so their gaps are the periods Elexon's
    /data-status counts data points for (the replay counts its store) and the warehouse has none of:
    FREQ by its readings' half hour (across the autumn clock change), BOALF by settlementPeriodFrom."""
    from loaders.api.client import ApiClient
    from loaders.gaps.data_status import fetch_data_status
    from loaders.replay import ReplayServer
    from loaders.replay.layout import write_rows

    now = datetime(2025, 10, 27, 3, 0, tzinfo=UTC)  # expected: 26 Oct (50 periods) and 27 Oct 1..4
    start = datetime(2025, 10, 25, 23, 0, tzinfo=UTC)  # 26 Oct period 1 (BST)
    source_gap = {start + timedelta(minutes=30 * 7 + m) for m in (0, 15)}  # period 8: no readings anywhere
    readings = [start + timedelta(minutes=15 * i) for i in range(4 * 26)]
    at_source = [t for t in readings if t not in source_gap]
    lost = {start + timedelta(minutes=30 * 48 + m) for m in (0, 15)}  # period 49 of the long day
    write_rows(
        tmp_path / "store",
        FREQ,
        [{"measurementTime": t.isoformat().replace("+00:00", "Z"), "frequency": 50.0} for t in at_source],
    )
    boalf_at_source = [boalf_row(start + timedelta(minutes=30 * k), number=k) for k in (4, 6)]
    for row, period in zip(boalf_at_source, (5, 7), strict=True):
        row.update(settlementDate=date(2025, 10, 26), settlementPeriodFrom=period, settlementPeriodTo=period)
    write_rows(
        tmp_path / "store",
        BOALF,
        [{k: v.isoformat() + ("Z" if isinstance(v, datetime) else "") if isinstance(v, date) else v
          for k, v in r.items()} for r in boalf_at_source],
    )  # fmt: skip
    freq_rows = [{"measurementTime": naive(t), "frequency": 50.0} for t in at_source if t not in lost]
    load(writer, tmp_path, FREQ, "bmrs_freq", freq_rows)
    load(writer, tmp_path, BOALF, "bmrs_boalf", boalf_at_source[:1])  # period 7's acceptance is lost
    with ReplayServer(tmp_path / "store") as server:
        client = ApiClient(server.base_url, rate_per_s=50)
        opts = HealthOptions(
            datasets=["FREQ", "BOALF"],
            iris=False,
            max_age={"FREQ": timedelta(days=7), "BOALF": timedelta(days=7)},
            days=1,
            fetch_status=lambda ds, a, b: fetch_data_status(client, ds, a, b),
        )
        report = run_health(writer, opts, now=now)
        freq, boalf = by(report, "gaps", "FREQ"), by(report, "gaps", "BOALF")
        assert freq.status is Status.ERROR and freq.details["missing"] == ["2025-10-26/49"]
        assert "gbpower backfill -d FREQ --from 2025-10-26 --to 2025-10-26 --force" in freq.message
        # readings for 26 Oct and 27 Oct periods 1-2, less period 8 (Elexon has none: not a gap)
        assert freq.details["periods_with_data_at_source"] == 50 - 1 + 2
        assert boalf.status is Status.ERROR and boalf.details["missing"] == ["2025-10-26/7"]

        refill = [{"measurementTime": naive(t), "frequency": 50.0} for t in at_source]
        load(writer, tmp_path, FREQ, "bmrs_freq", refill)  # (load replaces the whole table)
        load(writer, tmp_path, BOALF, "bmrs_boalf", boalf_at_source)
        healed = run_health(writer, opts, now=now)
        assert by(healed, "gaps", "FREQ").status is Status.OK
        assert by(healed, "gaps", "BOALF").status is Status.OK
    # without the API (--no-source-check) they are not checked, and say so
    opts.fetch_status = None
    unchecked = by(run_health(writer, opts, now=now), "gaps", "FREQ")
    assert unchecked.status is Status.INFO and "not checked" in unchecked.message


def test_duplicate_keys_are_an_error(writer, tmp_path):
    now = datetime.now(UTC)
    t = now - timedelta(hours=1)
    load(writer, tmp_path, BOALF, "bmrs_boalf_iris", [boalf_row(t), boalf_row(t), boalf_row(t, number=2)])
    load(writer, tmp_path, BOALF, "bmrs_boalf", [boalf_row(t), boalf_row(t, number=2)])
    report = run_health(writer, HealthOptions(datasets=["BOALF"], iris=False))
    dup = by(report, "duplicates", "BOALF/iris")
    assert dup.status is Status.ERROR and dup.details["duplicate_keys"] == 1
    # the same acceptance in API and IRIS is not a duplicate (the unified view picks one)
    assert by(report, "duplicates", "BOALF/api").status is Status.OK
    assert report.exit_code == 2


def test_freshness_is_judged_per_source_against_the_dataset_cadence(writer, tmp_path):
    now = datetime.now(UTC)
    load(
        writer,
        tmp_path,
        FREQ,
        "bmrs_freq_iris",
        [{"measurementTime": naive(now - timedelta(minutes=2)), "frequency": 50.0}],
    )
    load(writer, tmp_path, FREQ, "bmrs_freq", [{"measurementTime": naive(now - timedelta(days=1)), "frequency": 49.9}])
    report = run_health(writer, HealthOptions(datasets=["FREQ", "BOALF"], iris=False))
    iris = by(report, "freshness", "FREQ/iris")
    assert iris.status is Status.OK and iris.details["rows"] == 1
    assert iris.details["newest_data_utc"] == naive(now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert by(report, "freshness", "FREQ/api").status is Status.OK  # API: daily cadence
    assert by(report, "freshness", "BOALF/api").status is Status.INFO  # not loaded: not a problem

    load(
        writer,
        tmp_path,
        FREQ,
        "bmrs_freq_iris",
        [{"measurementTime": naive(now - timedelta(minutes=25)), "frequency": 50.0}],
    )
    stale = run_health(writer, HealthOptions(datasets=["FREQ"], iris=False))
    assert by(stale, "freshness", "FREQ/iris").status is Status.WARN  # > 15 min
    very = run_health(writer, HealthOptions(datasets=["FREQ"], iris=False, max_age={"FREQ/iris": timedelta(minutes=5)}))
    assert by(very, "freshness", "FREQ/iris").status is Status.ERROR  # > 3 x 5 min
    required = run_health(writer, HealthOptions(datasets=["FREQ", "BOALF"], iris=False, require={"BOALF"}))
    assert by(required, "freshness", "BOALF").status is Status.ERROR


# --- dbt and IRIS ---------------------------------------------------------------------------------


def test_dbt_run_results(writer, tmp_path):
    now = datetime.now(UTC)
    rr = tmp_path / "target/run_results.json"
    opts = HealthOptions(datasets=["FREQ"], iris=False, run_results=rr)
    assert by(run_health(writer, opts), "dbt", "last run").status is Status.WARN  # none yet

    write_run_results(
        rr, now - timedelta(minutes=10), {"model.gbpower.bmrs_costs": "success", "test.gbpower.unique_x": "pass"}
    )
    ok = by(run_health(writer, opts), "dbt", "last run")
    assert ok.status is Status.OK and ok.details["counts"] == {"success": 1, "pass": 1}

    write_run_results(
        rr, now - timedelta(minutes=10), {"model.gbpower.bmrs_costs": "error", "test.gbpower.unique_x": "skipped"}
    )
    bad = by(run_health(writer, opts), "dbt", "last run")
    assert bad.status is Status.ERROR and bad.details["failed"] == ["model.gbpower.bmrs_costs"]

    write_run_results(rr, now - timedelta(hours=5), {"model.gbpower.bmrs_costs": "success"})
    assert by(run_health(writer, opts), "dbt", "last run").status is Status.WARN  # stale
    rr.write_text("{not json")
    assert by(run_health(writer, opts), "dbt", "last run").status is Status.ERROR


def test_iris_heartbeat(writer, tmp_path):
    now = datetime.now(UTC)
    hb = tmp_path / "state/iris_heartbeat.json"
    opts = HealthOptions(datasets=["FREQ"], heartbeat=hb, run_results=tmp_path / "none.json")
    assert by(run_health(writer, opts), "iris", "heartbeat").status is Status.WARN  # missing

    write_heartbeat(hb, now - timedelta(seconds=30), os.getpid())
    fresh = by(run_health(writer, opts), "iris", "heartbeat")
    assert fresh.status is Status.OK and fresh.details["pid_running"] is True
    assert fresh.details["datasets"]["FREQ"]["records"] == 300

    write_heartbeat(hb, now - timedelta(minutes=30), os.getpid())
    assert by(run_health(writer, opts), "iris", "heartbeat").status is Status.WARN
    dead_pid = 2**22 + 12345  # above any pid_max default: never a live process
    write_heartbeat(hb, now - timedelta(minutes=30), dead_pid)
    dead = by(run_health(writer, opts), "iris", "heartbeat")
    assert dead.status is Status.ERROR and dead.details["pid_running"] is False
    hb.write_text("{}")
    assert by(run_health(writer, opts), "iris", "heartbeat").status is Status.ERROR


# --- the command ----------------------------------------------------------------------------------


def test_cli_json_and_exit_codes(writer, duckdb_path, tmp_path, monkeypatch, capsys):
    now = datetime.now(UTC)
    monkeypatch.setenv("GBPOWER_DUCKDB", str(duckdb_path))
    monkeypatch.setenv("GBPOWER_STATE_DIR", str(tmp_path / "state"))
    rr = write_run_results(tmp_path / "t/run_results.json", now, {"model.gbpower.x": "success"})
    write_heartbeat(tmp_path / "state/iris_heartbeat.json", now, os.getpid())
    load(writer, tmp_path, FREQ, "bmrs_freq_iris", [{"measurementTime": naive(now), "frequency": 50.0}])
    args = ["health", "--json", "-d", "FREQ", "--run-results", str(rr)]

    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "ok" and doc["exit_code"] == 0
    assert {(c["check"], c["subject"]) for c in doc["checks"]} >= {
        ("freshness", "FREQ/iris"),
        ("freshness", "FREQ/api"),
        ("duplicates", "FREQ/iris"),
        ("dbt", "last run"),
        ("iris", "heartbeat"),
    }

    load(
        writer, tmp_path, FREQ, "bmrs_freq_iris", [{"measurementTime": naive(now), "frequency": 50.0}] * 2
    )  # a duplicate: error
    assert main(args) == 2
    assert json.loads(capsys.readouterr().out)["status"] == "error"
    assert main(["health", "-d", "FREQ", "--run-results", str(rr), "--max-age", "FREQ/iris=1h"]) == 2
    text = capsys.readouterr().out
    assert "ERROR" in text and "duplicates FREQ/iris" in text


def test_cli_rejects_bad_arguments(capsys):
    for bad in (["--max-age", "FREQ=soon"], ["--max-age", "FREQ/web=1h"], ["-d", "NOPE"], ["--days", "-1"]):
        with pytest.raises(SystemExit) as exc:
            main(["health", *bad])
        assert exc.value.code == 2
        assert "gbpower health: error" in capsys.readouterr().err


# --- BigQuery ---------------------------------------------------------------------------------------


@pytest.mark.bigquery
def test_same_checks_on_the_bigquery_emulator(bq_writer, tmp_path):
    now = datetime(2025, 10, 28, 6, 0, tzinfo=UTC)
    days = [date(2025, 10, d) for d in (25, 26, 27, 28)]
    load(bq_writer, tmp_path, DISEBSP, "bmrs_disebsp", price_rows(days, skip={(date(2025, 10, 26), 50)}))
    t = now - timedelta(hours=1)
    load(bq_writer, tmp_path, BOALF, "bmrs_boalf", [boalf_row(t), boalf_row(t)])
    report = run_health(bq_writer, HealthOptions(datasets=["DISEBSP", "BOALF"], iris=False), now=now)
    assert by(report, "gaps", "DISEBSP").details["missing"] == ["2025-10-26/50"]
    assert by(report, "duplicates", "BOALF/api").details["duplicate_keys"] == 1
    assert by(report, "duplicates", "DISEBSP/api").status is Status.OK
    fresh = by(report, "freshness", "DISEBSP/api")
    assert fresh.details["rows"] == len(price_rows(days)) - 1
    assert by(report, "freshness", "BOALF/iris").status is Status.INFO
    assert not [c for c in report.checks if c.check == "warehouse"]


def test_disk_space_check_per_filesystem_with_thresholds(tmp_path):
    import shutil as _shutil

    from loaders.health.disk_checks import disk_checks

    dirs = {"warehouse": tmp_path / "wh", "quarantine": tmp_path / "q", "work": tmp_path / "not/yet/made"}
    (tmp_path / "wh").mkdir()
    (tmp_path / "q").mkdir()
    usage = _shutil.disk_usage(tmp_path)
    free = 100.0 * usage.free / usage.total
    (ok,) = disk_checks(dirs, warn_pct=0, error_pct=0)  # one filesystem: one check naming all three
    assert ok.status is Status.OK and ok.subject == "warehouse, quarantine, work"
    assert ok.details["free_bytes"] > 0 and abs(ok.details["free_pct"] - free) < 1
    (warn,) = disk_checks(dirs, warn_pct=free + 1, error_pct=0)
    assert warn.status is Status.WARN and f"below {free + 1:g}%" in warn.message
    (err,) = disk_checks(dirs, warn_pct=free + 2, error_pct=free + 1)
    assert err.status is Status.ERROR


def test_health_reports_disk_space_and_thresholds_from_the_cli(writer, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GBPOWER_DUCKDB", str(writer.path))
    monkeypatch.setenv("GBPOWER_QUARANTINE_DIR", str(tmp_path / "q"))
    report = run_health(writer, HealthOptions(iris=False, datasets=["FREQ"]))
    disk = [c for c in report.checks if c.check == "disk"]
    assert disk and "warehouse" in disk[0].subject
    rr = write_run_results(tmp_path / "rr.json", datetime.now(UTC), {"model.x": "success"})
    args = ["health", "--json", "--no-iris", "-d", "FREQ", "--run-results", str(rr)]
    assert main([*args, "--disk-warn", "0", "--disk-error", "0"]) == 0
    assert main([*args, "--disk-warn", "100.1", "--disk-error", "0"]) == 1
    assert main([*args, "--disk-warn", "100.1", "--disk-error", "100.1"]) == 2
    out = capsys.readouterr().out
    assert '"check": "disk"' in out
