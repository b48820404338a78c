"""`dbt build` on a real DuckDB file holding real Elexon data landed through the loader's replay path
(loopback replay server + loaders.backfill), and proof that the data-quality tests catch what they
are for: a missing period, an extra period, a 48-period clock-change day, a duplicated row.

Data (Contains BMRS data © Elexon Limited copyright and database right): system prices from
hackcollective/wind-curtailment `data/sspsbpniv.csv` (46-period 2020-03-29, 50-period 2020-10-25)
and nikolisan/bmrs_api `tests/march_bst.json` / `tests/october_bst.json` (Insights DISEBSP for
2026-03-29 and 2025-10-26); FUELHH from hackcollective/wind-curtailment `data/fuelhh_2022.csv`
(46-period 2022-03-27). Copies live in loaders/samples/real/ with their README.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loaders.registry import DATASETS
from tests.python.dbt_harness import REAL, load_via_replay, query, real_json_rows, run_dbt

PRICE_DAYS = [(date(2020, 3, 28), date(2020, 3, 30)), (date(2020, 10, 24), date(2020, 10, 26))]
INSIGHTS_PRICES = {
    date(2026, 3, 29): "system_prices/DISEBSP_2026-03-29_spring_clock_change_46_periods.json",
    date(2025, 10, 26): "system_prices/DISEBSP_2025-10-26_autumn_clock_change_50_periods.json",
}
FUELHH_DAYS = (date(2022, 3, 26), date(2022, 3, 28))
PRICES_MODELS = ["stg_bmrs__disebsp", "bmrs_disebsp_unified", "bmrs_costs"]


def _in(d: str, lo: date, hi: date) -> bool:
    return lo <= date.fromisoformat(d[:10]) <= hi


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with the real rows backfilled through the replay server and every model built."""
    from loaders.registry import get_dataset
    from loaders.replay.layout import write_rows
    from loaders.samples.legacy import disebsp_rows, fuelhh_rows

    work = tmp_path_factory.mktemp("dbt_duckdb")
    store = work / "store"
    prices = [
        r
        for r in disebsp_rows(REAL / "system_prices" / "ssp_sbp_niv_2019-04-08_to_2022-05-25.csv")
        if any(_in(r["settlementDate"], lo, hi) for lo, hi in PRICE_DAYS)
    ]
    for rel in INSIGHTS_PRICES.values():
        prices += real_json_rows(rel)
    write_rows(store, get_dataset("DISEBSP"), prices)
    fuel = [r for r in fuelhh_rows(REAL / "fuelhh" / "FUELHH_2022.csv") if _in(r["settlementDate"], *FUELHH_DAYS)]
    write_rows(store, get_dataset("FUELHH"), fuel)

    db = work / "warehouse.duckdb"
    jobs = [("DISEBSP", lo, hi) for lo, hi in PRICE_DAYS]
    jobs += [("DISEBSP", d, d) for d in INSIGHTS_PRICES]
    jobs.append(("FUELHH", FUELHH_DAYS[0], date(2022, 3, 29)))  # last period publishes next day
    load_via_replay(db, store, work, jobs)

    run = run_dbt(["build"], work / "full", duckdb_path=db)
    assert run.returncode == 0, run.output[-4000:]
    assert not run.failed(), run.failed()
    return db


def test_bmrs_costs_has_the_calendar_periods_per_day(built: Path) -> None:
    per_day = dict(query(built, "select settlement_date, count(*) from analytics.bmrs_costs group by 1"))
    assert per_day[date(2020, 3, 29)] == 46
    assert per_day[date(2020, 10, 25)] == 50
    assert per_day[date(2026, 3, 29)] == 46
    assert per_day[date(2025, 10, 26)] == 50
    assert {
        n
        for d, n in per_day.items()
        if d not in (date(2020, 3, 29), date(2020, 10, 25), date(2026, 3, 29), date(2025, 10, 26))
    } == {48}


def test_calendar_start_times_match_elexons_own(built: Path) -> None:
    """Elexon's startTime on the real clock-change days equals the calendar's start_time_utc."""
    for day, rel in INSIGHTS_PRICES.items():
        theirs = {
            r["settlementPeriod"]: datetime.fromisoformat(r["startTime"].replace("Z", "+00:00")).replace(tzinfo=None)
            for r in real_json_rows(rel)
        }
        ours = dict(
            query(
                built,
                f"select settlement_period, start_time_utc from analytics.int_settlement_periods "
                f"where settlement_date = '{day}'",
            )
        )
        assert ours == theirs


def test_prices_equal_the_source_rows(built: Path) -> None:
    rows = real_json_rows(INSIGHTS_PRICES[date(2025, 10, 26)])
    expected = {r["settlementPeriod"]: pytest.approx(r["systemSellPrice"]) for r in rows}
    got = dict(
        query(
            built,
            "select settlement_period, system_sell_price from analytics.bmrs_costs "
            "where settlement_date = '2025-10-26'",
        )
    )
    assert got == expected


def test_generation_mix_and_carbon_intensity_from_the_csv(built: Path) -> None:
    with (REAL / "fuelhh" / "FUELHH_2022.csv").open() as fh:
        reader = csv.reader(fh)
        header = next(reader)
        row = next(r for r in reader if r[0] == "2022-03-27" and r[1] == "3")
    mw = {fuel: float(v) for fuel, v in zip(header[2:], row[2:], strict=True)}
    with (Path(__file__).resolve().parents[2] / "seeds" / "fuel_carbon_factors.csv").open() as fh:
        seed = {r["fuel_type"]: r for r in csv.DictReader(fh)}
    domestic = {f: v for f, v in mw.items() if seed[f]["is_interconnector"] == "false"}
    total = sum(domestic.values())
    intensity = sum(v * float(seed[f]["carbon_factor_g_per_kwh"]) for f, v in domestic.items()) / total
    renewable = sum(v for f, v in domestic.items() if seed[f]["is_renewable"] == "true") / total

    got = query(
        built,
        "select domestic_generation_mw, carbon_intensity_g_per_kwh, renewable_share "
        "from analytics.mart_carbon_intensity where settlement_date = '2022-03-27' "
        "and settlement_period = 3",
    )
    assert got == [(pytest.approx(total), pytest.approx(intensity), pytest.approx(renewable))]
    n_mix = query(built, "select count(*) from analytics.mart_generation_mix where settlement_date = '2022-03-27'")
    assert n_mix == [(46 * len(mw),)]


def _mutated(built: Path, tmp_path: Path, *sql: str) -> Path:
    # same file name: DuckDB names the catalog after the file, and the built views refer to it
    db = tmp_path / f"mutated{len(list(tmp_path.glob('mutated*')))}" / built.name
    db.parent.mkdir()
    shutil.copyfile(built, db)
    con = duckdb.connect(str(db))
    try:
        for s in sql:
            con.execute(s)
    finally:
        con.close()
    return db


def _build_prices(db: Path, tmp_path: Path, *extra: str):
    # the completeness test also reads the seed of documented source gaps: select it, or `gbpower dbt`'s
    # buildable indirect selection leaves the test out
    # --full-refresh: the mutations change old history, which an incremental bmrs_costs run (the
    # lookback window only) would rightly leave alone
    return run_dbt(
        ["build", "-s", *PRICES_MODELS, "known_source_gaps", "--full-refresh", *extra], tmp_path / "dbt", duckdb_path=db
    )


def _completeness_flagged(names: set[str]) -> bool:
    return any(n.startswith("settlement_period_completeness_bmrs_costs_") for n in names)


DELETE = 'delete from raw.bmrs_disebsp where "settlementDate" = \'{d}\' and "settlementPeriod" in ({p})'


@pytest.mark.parametrize(
    "case, mutation",
    [
        ("missing period on a normal day", DELETE.format(d="2020-03-28", p="17")),
        ("48 periods where the calendar says 50", DELETE.format(d="2025-10-26", p="49, 50")),
        (
            "48 periods where the calendar says 46",
            'insert into raw.bmrs_disebsp select * replace ("settlementPeriod" + 2 as "settlementPeriod") '
            'from raw.bmrs_disebsp where "settlementDate" = \'2026-03-29\' and "settlementPeriod" in (45, 46)',
        ),
    ],
)
def test_completeness_test_catches(built: Path, tmp_path: Path, case: str, mutation: str) -> None:
    """The completeness test warns (one permanent gap must not stop every downstream mart)."""
    db = _mutated(built, tmp_path, mutation)
    run = _build_prices(db, tmp_path)
    assert _completeness_flagged(run.warned()), (case, run.warned(), run.failed())
    failed = run.failed()
    assert not any(f.startswith("unique_combination") for f in failed), (case, failed)


def test_a_documented_source_gap_is_excused_and_the_report_tells_the_kinds_apart(built: Path, tmp_path: Path) -> None:
    """2020-10-25 periods 20 and 21 are gone; 21 is documented in known_source_gaps (Elexon has no data),
    20 is not. rpt_settlement_period_gaps lists both with their kind; the completeness test (eager
    selection, so it runs though the seed is not rebuilt) warns about period 20 only."""
    db = _mutated(
        built,
        tmp_path,
        DELETE.format(d="2020-10-25", p="20, 21"),
        "insert into analytics.known_source_gaps values "
        "('DISEBSP', '2020-10-25', 21, 21, 'test: Elexon published none', 'this test')",
    )
    run = run_dbt(
        [
            "build",
            "-s",
            *PRICES_MODELS,
            "rpt_settlement_period_gaps",
            "--indirect-selection",
            "eager",
            "--full-refresh",
        ],
        tmp_path / "dbt",
        duckdb_path=db,
    )
    assert _completeness_flagged(run.warned()) and not run.failed(), (run.warned(), run.failed())
    rows = query(
        db,
        "select settlement_period, problem, gap_kind, gap_reason from analytics.rpt_settlement_period_gaps "
        "where dataset = 'DISEBSP' and settlement_date = '2020-10-25' order by settlement_period",
    )
    assert rows == [
        (20, "missing", "unexplained", None),
        (21, "missing", "known_source", "test: Elexon published none"),
    ]
    flagged = query(
        db,
        "select count(*) from analytics.rpt_settlement_period_gaps where dataset = 'DISEBSP' "
        "and gap_kind != 'known_source'",
    )
    assert flagged == [(1,)]


def test_duplicated_row_fails_the_primary_key_test_and_is_not_doubled(built: Path, tmp_path: Path) -> None:
    db = _mutated(
        built,
        tmp_path,
        "insert into raw.bmrs_disebsp select * from raw.bmrs_disebsp where \"settlementDate\" = '2020-10-25' "
        'and "settlementPeriod" = 30',
    )
    run = _build_prices(db, tmp_path)
    assert run.returncode != 0
    failed = run.failed()
    assert any(f.startswith("unique_combination_of_columns_stg_bmrs__disebsp_") for f in failed), failed
    # the unified view and bmrs_costs still hold exactly one row per period
    assert not any("bmrs_costs" in f or "bmrs_disebsp_unified" in f for f in failed), failed
    assert query(db, "select count(*) from analytics.bmrs_costs where settlement_date = '2020-10-25'") == [(50,)]


def test_incomplete_days_are_not_flagged(built: Path, tmp_path: Path) -> None:
    """Pin "now" to 2025-10-27 00:00Z: 2025-10-26 period 50 ended at 00:00Z, inside the 60-minute
    publication delay, so its absence is not a failure; period 48 (ended 23:00Z) is."""
    pinned = ["--vars", "{as_of_date: '2025-10-27'}"]
    recent = _build_prices(_mutated(built, tmp_path, DELETE.format(d="2025-10-26", p="50")), tmp_path, *pinned)
    assert recent.failed() == set()
    assert not _completeness_flagged(recent.warned()), recent.warned()

    old = _mutated(built, tmp_path, DELETE.format(d="2025-10-26", p="48"))
    assert _completeness_flagged(_build_prices(old, tmp_path, *pinned).warned())


def test_docs_site_and_full_coverage_from_the_warehouse_catalog(built: Path, tmp_path: Path) -> None:
    """`gbpower docs` writes the static site; with the warehouse's catalog (real columns), every model,
    seed, source and column of this project's core models is described."""
    import json
    import os
    import subprocess
    import sys

    from loaders.dev.docs_coverage import coverage
    from tests.python.dbt_harness import CORE_PATHS, ROOT

    target = tmp_path / "docs"
    env = {**os.environ, "GBPOWER_DUCKDB": str(built)}
    proc = subprocess.run(
        [sys.executable, "-m", "loaders.cli", "docs", "--target-path", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    page = target / "static_index.html"
    assert str(page.resolve()) in proc.stdout
    html = page.read_text()
    assert "bmrs_costs" in html and "int_settlement_periods" in html

    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    cov = coverage(manifest, catalog, CORE_PATHS)
    assert cov.total > 1000
    assert cov.missing == []


def _freshness(db: Path, tmp_path: Path, sources: list[str]) -> dict[str, str]:
    import json

    run = run_dbt(["source", "freshness", "-s", *[f"source:raw.{s}" for s in sources]], tmp_path / "fr", duckdb_path=db)
    doc = json.loads((tmp_path / "fr" / "target" / "sources.json").read_text())
    assert run.output  # dbt ran
    return {r["unique_id"].split(".")[-1]: r["status"] for r in doc["results"]}


def test_source_freshness_rules(built: Path, tmp_path: Path) -> None:
    """dbt's source freshness (on _ingested_at) follows each dataset's policy, the limits `gbpower health`
    uses too: DISEBSP on IRIS warns after 2 h and errors after 6 h, FUELHH from the API warns after 36 h."""
    iris = DATASETS["DISEBSP"].policy.iris_freshness
    api = DATASETS["FUELHH"].policy.api_freshness
    assert iris is not None

    def ago(limit: timedelta, extra_minutes: int) -> str:
        return f"timezone('UTC', now()) - interval {int(limit.total_seconds()) // 60 + extra_minutes} minute"

    copy = (
        "insert into raw.bmrs_disebsp_iris select * replace ('iris' as _source, 'm' as _message_id, "
        "{ts} as _ingested_at) from raw.bmrs_disebsp limit 1"
    )
    fresh = _mutated(built, tmp_path, copy.format(ts=ago(iris.warn_after, -10)))
    assert _freshness(fresh, tmp_path, ["bmrs_disebsp", "bmrs_disebsp_iris"]) == {
        "bmrs_disebsp": "pass",
        "bmrs_disebsp_iris": "pass",
    }
    late = _mutated(built, tmp_path, copy.format(ts=ago(iris.warn_after, 15)))
    assert _freshness(late, tmp_path, ["bmrs_disebsp_iris"]) == {"bmrs_disebsp_iris": "warn"}
    stale = _mutated(
        built,
        tmp_path,
        copy.format(ts=ago(iris.error_after, 15)),
        f"update raw.bmrs_fuelhh set _ingested_at = {ago(api.warn_after, 60)}",
    )
    assert _freshness(stale, tmp_path, ["bmrs_disebsp_iris", "bmrs_fuelhh"]) == {
        "bmrs_disebsp_iris": "error",
        "bmrs_fuelhh": "warn",
    }
