"""The soak test (issue #10 item 13): 30 simulated days of unattended operation on one DuckDB file —
the replay API, a simulated IRIS client directory and every ``orchestration/crontab`` job through
``run-job`` under a fake clock (``faketime``) — with faults injected along the way. See
``tests/soak/harness.py`` and docs/operations.md "Soak test".

One run (module fixture, several minutes), then one test per expectation so a report shows every
shortfall. Figures: ``<tmp>/soak/soak_figures.json`` and the summary line printed at the end."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.soak.harness import Soak, SoakPlan

# one soak run is 30-40 min alone on 2 cores and 76 min beside the pytest suite in CI (make test runs them
# side by side), far above pytest-timeout's 900 s default; the limit stays inside CI's 90 minutes with lint
# and setup (~200 s before the soak starts) (GBPOWER_SOAK_TIMEOUT: seconds, on a busy machine)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(int(os.environ.get("GBPOWER_SOAK_TIMEOUT", "5100")))]

EXPECTATIONS = (
    "every record served is in the unified views exactly once",
    "every IRIS record the client wrote landed in the raw IRIS tables",
    "a window loaded before it was final is fetched again once final, with the rest of its data",
    "a late revision of system prices ends in bmrs_costs",
    "the last dbt build succeeded with no failing test",
    "dbt warns only about the declared source gap",
    "bmrs_costs has every settlement period of every simulated day",
    "every mart with a settlement date has rows for every simulated day",
    "fault reported within one cycle: iris_outage",
    "fault reported within one cycle: api_5xx",
    "API 5xx spell: the catch-up recovered",
    "a dbt build was killed with SIGKILL half-way",
    "fault reported within one cycle: dbt_build_killed",
    "the next dbt build after the kill recovered",
    "fault reported within one cycle: source_gap",
    "the source gap is reported as a source gap, not an ingestion gap",
    "fault reported within one cycle: unregistered",
    "fault reported within one cycle: stalled_write",
    "nothing sits in quarantine",
    "the stalled client write was loaded once it completed",
    "messages of an unregistered dataset are kept, not quarantined",
    "no job failed other than through an injected fault",
    "dbt source freshness is stale only where the soak says why",
    "the Sheets export wrote every tab, with no request Google would reject",
    "no process of the soak is left running",
)


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    assert shutil.which("faketime"), "the soak needs faketime (apt-get install -y faketime; make test does it as root)"
    base = tmp_path_factory.mktemp("soak")
    s = Soak(base, SoakPlan())
    try:
        result = s.run()
        # every expectation with its detail, so a failure can be diagnosed from the output alone
        # (a failed job's log tail is printed when it fails, above)
        for e in result.expectations:
            print(f"{'ok  ' if e['ok'] else 'FAIL'} {e['name']}: {e['detail']}")
        print(f"{result.summary_line()}\nfigures: {base / 'soak_figures.json'}")
        yield s
    finally:
        clean(base)


def clean(base: Path) -> None:
    """Remove the soak's work files (store, warehouse, IRIS directory: ~700 MB), keeping its figures,
    unless GBPOWER_SOAK_KEEP is set (to look at a failed run)."""
    if os.environ.get("GBPOWER_SOAK_KEEP"):
        print(f"soak: work files kept in {base} (GBPOWER_SOAK_KEEP)")
        return
    for p in base.iterdir():
        if p.name in ("soak_figures.json", "soak_summary.txt"):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def test_the_soak_ran_every_simulated_day_and_saved_its_figures(soak):
    r = soak.result
    assert (soak.base / "soak_figures.json").exists() and (soak.base / "soak_summary.txt").exists()
    days = {x.tick for x in r.runs if x.job == "api-catch-up"}
    assert days == set(range(soak.plan.ticks)), f"catch-up ran at ticks {sorted(days)}"
    assert {"records_served", "records_landed", "faults_injected", "faults_reported"} <= set(r.figures)
    assert r.figures["records_served"] > 0


@pytest.mark.parametrize("name", EXPECTATIONS)
def test_expectation(soak, name):
    found = [e for e in soak.result.expectations if e["name"] == name]
    assert found, f"expectation {name!r} was not evaluated"
    assert all(e["ok"] for e in found), "; ".join(e["detail"] for e in found)
