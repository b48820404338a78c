"""The five reconciliation reports are incremental (issue #13 item 2): a scheduled run re-compares only the
settlement days from the incremental floor on, picks up a revision Elexon published inside that window,
keeps older days as they were, and equals a full refresh.

Inputs: Elexon's 2016 derived data (tests/fixtures/elexon/bmra_derived_2016-08-26_SP1, Contains BMRS data
© Elexon Limited copyright and database right) as BOAV, EBOCF and DISPTAV rows, with the ISPSTACK items
and the planted ``boalf_complete`` rows of test_stack_reconciliation / test_reconciliation_elexon_2016.
A second settlement day, 2016-08-27, is the same page with its dates moved on one day (SYNTHETIC, so
labelled): day 1 lies before the second run's floor, day 2 inside it.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loaders.dev.dataset_docs import Lineage, macros_that_ref, without_jinja_comments
from loaders.dev.diff_outputs import compare
from loaders.samples.bmra_derived import insights_records, parse_derived_bm_unit_data
from tests.python.acceptance_support import dbt, load_rows
from tests.python.dbt_harness import query
from tests.python.test_reconciliation_elexon_2016 import FIXTURE, _plant, _planted_acceptances
from tests.python.test_stack_reconciliation import disptav_records, stack_records

REPORTS = (
    "rpt_acceptance_volume_reconciliation",
    "rpt_period_volume_reconciliation",
    "rpt_pair_cashflow_reconciliation",
    "rpt_stack_price_reconciliation",
    "rpt_cashflow_reconciliation",
)
# the reports and what they read, except the engine (its rows are planted)
DOWNSTREAM = ["-s", *(f"+{r}" for r in REPORTS), "--exclude", "+boalf_complete"]
BUILDABLE = {"DBT_INDIRECT_SELECTION": "buildable"}
DAY1, DAY2 = date(2016, 8, 26), date(2016, 8, 27)
# lookback_days 3: a run "on" DAY2 + 3 days re-processes settlement dates from DAY2 on
SECOND_RUN = ["--vars", f"{{as_of_date: '{(DAY2 + timedelta(days=3)).isoformat()}'}}"]
REVISED_UNIT, REVISION_GBP = "T_ABTH7", 500.0  # 2.4 %: beyond the 0.5 % tolerance


def _next_day(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """API-shaped rows moved on one day: settlement date and every timestamp field."""
    out = []
    for row in rows:
        moved = dict(row, settlementDate=DAY2.isoformat())
        for field in ("startTime", "createdDateTime"):
            if field in row:
                t = datetime.fromisoformat(row[field].replace("Z", "+00:00")) + timedelta(days=1)
                moved[field] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(moved)
    return out


def _load(db: Path, work: Path, dataset: str, day1: list[dict[str, Any]], day2: list[dict[str, Any]]) -> None:
    assert load_rows(db, work, dataset, day1 + day2) == len(day1) + len(day2)


def _revise_ebocf(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Elexon re-publishes one unit's offer cashflow on DAY2, £500 higher (a later calculation run)."""
    revised = []
    for row in rows:
        if row["bmUnit"] == REVISED_UNIT and row["bidOffer"] == "offer":
            row = dict(row, totalCashflow=row["totalCashflow"] + REVISION_GBP, createdDateTime="2016-08-28T02:00:00Z")
        revised.append(row)
    return revised


def _flagged(db: Path) -> list[tuple]:
    return query(
        db,
        "select settlement_date, bm_unit from analytics.rpt_cashflow_reconciliation where not within_tolerance",
    )


def test_reports_rebuild_the_window_only_and_equal_a_full_refresh(tmp_path: Path) -> None:
    page = parse_derived_bm_unit_data(FIXTURE)
    db, work = tmp_path / "warehouse.duckdb", tmp_path / "work"
    records = insights_records(page, created="2016-08-26T02:00:00Z")
    planted = _planted_acceptances(page)
    stack = stack_records(page, planted)
    disptav = disptav_records(page)
    _load(db, work, "BOAV", records["BOAV"], _next_day(records["BOAV"]))
    _load(db, work, "EBOCF", records["EBOCF"], _next_day(records["EBOCF"]))
    _load(db, work, "DISPTAV", disptav, _next_day(disptav))
    _load(db, work, "ISPSTACK", stack, _next_day(stack))
    dbt(["run", "-s", "+boalf_complete"], db, tmp_path, env=BUILDABLE)
    _plant(db, planted + [dict(row, settlement_date=DAY2) for row in planted])
    dbt(["run", *DOWNSTREAM], db, tmp_path, env=BUILDABLE)
    counts = {r: query(db, f"select count(*) from analytics.{r} where settlement_date = ?", [DAY1]) for r in REPORTS}
    assert all(c[0][0] > 0 for c in counts.values()), counts
    assert _flagged(db) == []  # Elexon's figures and the planted ones agree on both days

    # Elexon revises DAY2 inside the next run's window; the scheduled run re-compares DAY2 only
    ebocf2 = _revise_ebocf(_next_day(records["EBOCF"]))
    _load(db, work, "EBOCF", records["EBOCF"], ebocf2)
    second = tmp_path / "second"
    dbt(["run", *DOWNSTREAM, *SECOND_RUN], db, second, env=BUILDABLE)
    for report in REPORTS:  # each ran as an incremental delete+insert of the window, not a rebuild
        [run_sql] = list((second / "target" / "run").rglob(f"{report}.sql"))
        assert "delete from" in run_sql.read_text().lower(), report
    assert _flagged(db) == [(DAY2, REVISED_UNIT)]  # the revision reached the report, named
    for report in REPORTS:  # DAY1, before the floor, is kept as it was: nothing lost, nothing doubled
        assert query(db, f"select count(*) from analytics.{report} where settlement_date = ?", [DAY1]) == counts[report]

    full = tmp_path / "full" / db.name  # the same file name: the copied views name their catalog
    full.parent.mkdir()
    shutil.copy(db, full)
    dbt(["run", "--full-refresh", "-s", *REPORTS, *SECOND_RUN], full, tmp_path / "full", env=BUILDABLE)
    renamed = shutil.copy(full, tmp_path / "fullrefresh.duckdb")  # compare() attaches each file under its stem
    report = compare(db, Path(renamed))
    diffs = {r.name.split(".")[-1]: r for r in report.relations if r.name.split(".")[-1] in REPORTS}
    assert set(diffs) == set(REPORTS)
    for name, diff in diffs.items():
        assert diff.base_rows > 0 and diff.identical, f"{name}: {diff.examples}"


ROOT = Path(__file__).parents[2]


def test_each_macro_that_reads_an_input_bounds_it_by_the_window() -> None:
    macros = macros_that_ref(ROOT)
    assert "reconciliation_acceptances" in macros
    for name, body in macros.items():
        assert body.count("ref('") == body.count("incremental_window(") >= 1, name


def test_the_dataset_pages_lineage_sees_the_inputs_a_macro_reads() -> None:
    """The generated dataset pages (models/docs/datasets/*.md) list the marts a dataset feeds from each
    model's ref() calls; the reports read boalf_complete through reconciliation_acceptances()."""
    readers = Lineage.scan(ROOT).readers["boalf_complete"]
    through_macro = [
        r
        for r in REPORTS
        if "reconciliation_acceptances(" in (ROOT / "models" / "marts" / "acceptances" / f"{r}.sql").read_text()
    ]
    assert len(through_macro) == 4 and set(through_macro) <= set(readers)


@pytest.mark.parametrize("report", REPORTS)
def test_each_report_reads_its_inputs_from_the_window_on(report: str) -> None:
    """Every input a report reads is bounded by the incremental window (so a scheduled run's cost does
    not grow with history): each ref() is followed by an incremental_window() condition, in the model
    itself or in a macro it calls (whose ref() and incremental_window() count once per call)."""
    sql = without_jinja_comments((ROOT / "models" / "marts" / "acceptances" / f"{report}.sql").read_text())
    refs, windows = sql.count("ref('"), sql.count("incremental_window(")
    for name, body in macros_that_ref(ROOT).items():
        calls = len(re.findall(rf"\b{name}\(", sql))
        refs += calls * body.count("ref('")
        windows += calls * body.count("incremental_window(")
    assert refs >= 2
    assert windows == refs, report
    assert "incremental_config(" in sql
