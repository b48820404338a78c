"""Issue 14 "minutes, not half-hours": a new IRIS FUELINST, FREQ and system-price (DISEBSP) record
reaches the GB Live tab within 10 minutes.

The path under test, end to end and as on the server: Elexon's IRIS client writes the records as
client files; `gbpower iris --from-dir` (the IRIS service's loader) lands them in the raw IRIS tables;
the rendered crontab's `refresh-live` line — run by bash with the crontab's variables and the env file
`install-services` writes — goes through run-job to `gbpower refresh-live`: `dbt build --selector
live_chain` with window-scoped tests, then `export-sheets --tab "GB Live"` to the fake Google Sheets
API (tests/python/fake_sheets_api.py; only Google is faked). The new values must be in the GB Live
cells afterwards.

Latency = the job's cadence (a record waits at most 5 minutes for the next run) + the measured wall
time of drain + job; the test asserts that sum stays under 10 minutes and prints it, for two rounds
of new records: the job's first run on this warehouse (cold: dbt parses the project into the job's
own target dir) and the next (warm: the steady state every 5 minutes).

The warehouse is the Sheets preview's demo warehouse (tests/python/sheets_preview_support.py), built
once for the module. The new records are stamped with the real clock (minutes ago), because the
cron line pins nothing: the snapshot's "now" is the warehouse clock, as in production."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loaders import config as project_config
from loaders.iris.synth import FUELS, SynthMessage, make_record, write_client_files
from loaders.services import InstallConfig, install, parse_crontab
from loaders.settlement import period_start, settlement_period_of
from tests.python.sheets_preview_support import build_demo_warehouse
from tests.python.test_sheets import fake, key_file, rsa_key, warehouse  # noqa: F401 - fixtures

ROOT = project_config.project_root()
SID = "sheet-abc123"
CADENCE_S = 5 * 60  # the refresh-live job's crontab step (asserted below)
TARGET_S = 10 * 60  # issue 14: on the live tab within 10 minutes
# per round: (frequency Hz, system price £/MWh, generation base MW) — values the demo data never has
ROUNDS = ((50.123, 321.09, 1000), (49.876, 123.45, 2000))
BATCH_UPDATES_PER_RUN = 1  # only the GB Live tab


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_warehouse(tmp_path_factory.mktemp("live_chain_demo"))


def _new_records(now: datetime, rnd: int) -> tuple[list[SynthMessage], dict[str, float | int]]:
    """Round ``rnd`` (0, 1) of new IRIS records, all at or before ``now`` and each round later than
    the one before: one message each of FUELINST (every fuel at a 5-minute instant: the one before
    the latest, then the latest), FREQ (a sample 60 s, then 30 s ago) and DISEBSP (the period before
    the one just ended, then the one just ended — system prices are published after their period)."""
    frequency, price, base = ROUNDS[rnd]
    latest = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5)
    instant = latest - timedelta(minutes=5 * (1 - rnd))
    fuelinst = []
    for seq, fuel in enumerate(FUELS):
        rec = make_record("FUELINST", seq, instant)
        assert rec["fuelType"] == fuel and rec["startTime"] == _z(instant)
        rec.update(generation=base + 37 * seq, publishTime=_z(min(instant + timedelta(minutes=5), now)))
        fuelinst.append(rec)
    freq = make_record("FREQ", 0, now.replace(microsecond=0) - timedelta(seconds=60 - 30 * rnd))
    freq["frequency"] = frequency
    day, period = settlement_period_of(now - timedelta(minutes=30 * (2 - rnd)))
    disebsp = make_record("DISEBSP", 0, period_start(day, period))
    assert (disebsp["settlementDate"], disebsp["settlementPeriod"]) == (day.isoformat(), period)
    disebsp.update(createdDateTime=_z(now - timedelta(minutes=1)), systemSellPrice=price, systemBuyPrice=price)
    stamp = f"{now:%Y%m%d%H%M%S}_{rnd}"
    msgs = [
        SynthMessage("FUELINST", f"FUELINST_{stamp}.json", fuelinst),
        SynthMessage("FREQ", f"FREQ_{stamp}.json", [freq]),
        SynthMessage("DISEBSP", f"DISEBSP_{stamp}.json", [disebsp]),
    ]
    expected = {
        "frequency_hz": frequency,
        "generation_mw": sum(int(r["generation"]) for r in fuelinst if not str(r["fuelType"]).startswith("INT")),
        "system_price": price,
        "price_period": period,
    }
    return msgs, expected


def _z(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cron_job(tmp_path: Path, demo_db: Path, key_file: Path, api_url: str):  # noqa: F811
    """The rendered crontab's refresh-live job, its cron environment and the env file it loads."""
    cfg = InstallConfig(
        prefix=ROOT, user="nobody", data_dir=tmp_path / "data", log_dir=tmp_path / "log", conf_dir=tmp_path / "etc"
    )
    install(cfg, tmp_path / "staging")
    staged = tmp_path / "staging" / str(ROOT).lstrip("/") / "orchestration/rendered/crontab"
    cron_env, jobs = parse_crontab(staged.read_text())
    env_file = tmp_path / "staging" / str(tmp_path / "etc/gbpower.env").lstrip("/")
    with env_file.open("a") as f:  # the operator's edits
        f.write(
            f"GBPOWER_DUCKDB={demo_db}\nGBPOWER_SHEETS_CREDENTIALS={key_file}\n"
            f"GBPOWER_SHEETS_DASHBOARD_ID={SID}\nGBPOWER_SHEETS_API_URL={api_url}\n"
        )
    cron_env["GBPOWER_ENV_FILE"] = str(env_file)
    job = next(j for j in jobs if j.name == "refresh-live")
    return job, {**cron_env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}


def _drain(src: Path, demo_db: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """What the IRIS service does with the client's files (its --from-dir mode)."""
    env = {
        **os.environ,
        "GBPOWER_DUCKDB": str(demo_db),
        "GBPOWER_STATE_DIR": str(tmp_path / "data/state"),
        "GBPOWER_WORK_DIR": str(tmp_path / "data/work"),
        "GBPOWER_QUARANTINE_DIR": str(tmp_path / "data/quarantine"),
    }
    cmd = [sys.executable, "-m", "loaders.cli", "iris", "--from-dir", str(src), "--min-age", "0"]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _cell(grid: list[list[object]], ref: str) -> object:
    col, row = ord(ref[0]) - ord("A"), int(ref[1:]) - 1
    return grid[row][col] if row < len(grid) and col < len(grid[row]) else None


def test_new_iris_records_reach_the_gb_live_tab_within_ten_minutes(demo_db, fake, key_file, tmp_path):  # noqa: F811
    """Two rounds: the first run of the job on this warehouse (cold: dbt parses the project into the
    job's own target dir) and the next one (warm: the steady state every 5 minutes)."""
    job, env = _cron_job(tmp_path, demo_db, key_file, os.environ["GBPOWER_SHEETS_API_URL"])
    assert job.timeout_s is not None
    assert job.schedule.minutes == set(range(1, 60, 5)), "the latency figure assumes a 5-minute cadence"
    now = datetime.now(UTC)
    figures = []
    for rnd, label in enumerate(("cold", "warm")):
        msgs, expected = _new_records(now, rnd)
        src = tmp_path / f"iris_client_{rnd}"
        write_client_files(src, msgs)

        started = time.monotonic()
        drained = _drain(src, demo_db, tmp_path)
        drain_s = time.monotonic() - started
        assert drained.returncode == 0, drained.stderr[-3000:]

        started = time.monotonic()
        proc = subprocess.run(["/bin/bash", "-c", job.command], capture_output=True, text=True, timeout=600, env=env)
        job_s = time.monotonic() - started
        log = (tmp_path / "log/refresh-live.log").read_text()
        assert proc.returncode == 0, proc.stderr[-3000:] + log[-6000:]
        assert log.count("refresh-live: end ok") == rnd + 1 and log.count("1/1 tabs exported") == rnd + 1
        assert "--selector live_chain" in log and "Completed successfully" in log
        assert fake.errors == []
        # only the live tab is written: one batchUpdate per run
        assert sum(1 for m, _ in fake.calls if m == "spreadsheets.batchUpdate") == (rnd + 1) * BATCH_UPDATES_PER_RUN

        grid = fake.values(SID, "GB Live")
        assert _cell(grid, "F7") == pytest.approx(expected["frequency_hz"])  # frequency block: Now (Hz)
        assert _cell(grid, "A11") == pytest.approx(expected["generation_mw"])  # headline: Generation (MW)
        assert _cell(grid, "F11") == pytest.approx(expected["system_price"])  # headline: Price (£/MWh)
        assert _cell(grid, "H11") == expected["price_period"]  # headline: Price SP
        figures.append((label, drain_s, job_s))

    # the job's dbt state stays in its own target dir: target/run_results.json stays the full build's
    assert (tmp_path / "data/target-live/run_results.json").is_file()
    print()
    for label, drain_s, job_s in figures:
        latency_s = CADENCE_S + drain_s + job_s
        print(
            f"GB Live latency ({label} run): worst case {latency_s / 60:.1f} min = {CADENCE_S // 60} min cadence"
            f" + IRIS drain {drain_s:.1f} s + refresh-live job {job_s:.1f} s (dbt live chain + GB Live export)"
        )
        assert job_s < job.timeout_s, f"{label}: the job took {job_s:.0f} s, over its {job.timeout_s} s timeout"
        assert latency_s < TARGET_S, f"{label}: {latency_s:.0f} s from record to GB Live, over 10 minutes"


@pytest.mark.usefixtures("warehouse")
def test_failed_build_still_exports(fake, key_file, duckdb_path, tmp_path, monkeypatch, capfd):  # noqa: F811
    """`gbpower refresh-live` whose dbt build fails (here: a selector dbt does not know) still exports
    its tab — what the warehouse holds, with its data-as-of — and exits with the build's code, so the
    failure is alerted."""
    from loaders.cli import main
    from tests.python.test_sheets import TOP, write_config

    monkeypatch.setenv("GBPOWER_DUCKDB", str(duckdb_path))
    monkeypatch.setenv("GBPOWER_SHEETS_CONFIG", str(write_config(tmp_path, key_file, [TOP])))
    target = tmp_path / "target-live"
    rc = main(["refresh-live", "--selector", "no_such_selector", "--tab", "Existing", "--target-path", str(target)])
    assert rc != 0
    out = capfd.readouterr()
    assert "no_such_selector" in out.out + out.err  # dbt failed for the reason given, not another
    assert [r[0] for r in fake.values(SID, "Existing")[2:]] == ["T_U12", "T_U11", "T_U10", "T_U09", "T_U08"]
    assert fake.errors == []
