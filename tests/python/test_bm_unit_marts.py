"""The BM unit marts on DuckDB (issue #11 item 4): fct_bm_unit_dynamic_limits and
mart_bm_unit_metered_vs_notified, built from SYNTHETIC, labelled days (loaders/samples/synthetic:
PN, BOALF, BOD, B1610, the dynamic datasets, BMUNITS) landed through the real loader.

Two changes to the generated store exercise what the marts must handle: every second unit's SEL
declarations are dropped on the middle days (a declaration then stays in force across days, and a
later incremental run must close it), and B1610 names every second unit by its National Grid id
only (the mart maps it to the Elexon id through dim_bm_units). History grows by two days between a
full and an incremental build; a full refresh of the two marts must then match table for table.
Expected values are recomputed here from the store's rows. The same loads and runs on the BigQuery
emulator (marked bigquery, slow) must give the same rows: its MERGE and the carried-over declarations.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from loaders.dev.diff_outputs import compare
from loaders.samples.store import build_store, iter_store_rows, store_path
from loaders.samples.synthetic_catalogue_bm import DYNAMIC_DATASETS
from loaders.settlement import PERIOD, day_bounds
from tests.python.dbt_harness import load_via_replay, query, run_dbt
from tests.python.fixtures_bq_emulator import emulator_writer

DAYS = [date(2025, 10, 24) + timedelta(days=i) for i in range(4)]  # 2025-10-26 has 50 periods
SPARSE_DAYS = DAYS[1:3]  # every second unit declares no SEL on these days
BM = ("PN", "BOALF", "BOD", "B1610")
LOADED = (*BM, *DYNAMIC_DATASETS)
MARTS = ("fct_bm_unit_dynamic_limits", "mart_bm_unit_metered_vs_notified")
UPSTREAM = ["-s", *(f"+{m}" for m in MARTS), "--exclude", "resource_type:test", "resource_type:unit_test"]
ENV = {"DBT_INDIRECT_SELECTION": "buildable"}
FIRST_LOAD = [("BMUNITS", DAYS[0], DAYS[0]), *((d, DAYS[0], DAYS[1]) for d in LOADED)]
SECOND_LOAD = [(d, DAYS[2], DAYS[3]) for d in LOADED]
FIRST_AS_OF = ["--vars", f"{{as_of_date: '{DAYS[2].isoformat()}'}}"]
# the incremental run's floor is DAYS[1]: the SEL declared on DAYS[0] is before it
SECOND_AS_OF = ["--vars", f"{{as_of_date: '{(DAYS[3] + timedelta(days=1)).isoformat()}'}}"]
VALUE_FIELD = {
    "SEL": "level",
    "SIL": "level",
    "MDV": "volumeMax",
    "MDP": "periodMax",
    "NDZ": "notice",
    "NTO": "notice",
    "NTB": "notice",
    "MZT": "periodMin",
    "MNZT": "periodMin",
}  # the run rates (RURE, RDRE, RURI, RDRI): rate1


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def _rewrite(store: Path, dataset: str, day: date, keep) -> None:
    path = store_path(store, dataset, day)
    rows = [keep(r) for r in iter_store_rows(store, dataset, day)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows if r is not None))


def _alternate_units(store: Path) -> set[str]:
    units = sorted({r["nationalGridBmUnit"] for r in iter_store_rows(store, "PN", DAYS[0])})
    return set(units[1::2])


def _make_store(store: Path) -> Path:
    build_store(store, DAYS, include_real=False, datasets=[*LOADED, "BMUNITS"])
    alternate = _alternate_units(store)
    for day in SPARSE_DAYS:
        _rewrite(store, "SEL", day, lambda r: None if r["nationalGridBmUnit"] in alternate else r)
    for day in DAYS:
        _rewrite(store, "B1610", day, lambda r: {**r, "bmUnit": None} if r["nationalGridBmUnitId"] in alternate else r)
    return store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("bm_unit_marts")
    store = _make_store(tmp / "store")
    db = tmp / "incremental.duckdb"
    work = tmp / "load"
    load_via_replay(db, store, work, FIRST_LOAD)
    first = run_dbt(["run", *UPSTREAM, *FIRST_AS_OF], tmp / "first", duckdb_path=db, env=ENV)
    assert first.returncode == 0, first.output[-3000:]
    load_via_replay(db, store, work, SECOND_LOAD)
    as_of = SECOND_AS_OF
    second = run_dbt(["run", *UPSTREAM, *as_of], tmp / "second", duckdb_path=db, env=ENV)
    assert second.returncode == 0, second.output[-3000:]
    for mart in MARTS:  # each ran as an incremental delete+insert, not a rebuild
        [run_sql] = list((tmp / "second" / "target" / "run").rglob(f"{mart}.sql"))
        assert "delete from" in run_sql.read_text().lower(), mart
    # the reference: a full refresh of the two marts on a copy (same file name: dbt-duckdb's views name
    # their catalog by it), with their data and unit tests; then renamed for the comparison
    reference = tmp / "reference" / db.name
    reference.parent.mkdir()
    shutil.copy(db, reference)
    refresh = run_dbt(["build", "-s", *MARTS, "--full-refresh", *as_of], tmp / "full", duckdb_path=reference, env=ENV)
    assert refresh.returncode == 0, refresh.output[-3000:]
    tests = [r for r in refresh.results if r["unique_id"].startswith(("test.", "unit_test."))]
    # 12: each key test also makes its mart's not-null and accepted-values checks (one scan of the window)
    assert len(tests) >= 12 and not refresh.failed()
    for mart in MARTS:  # and each mart's key test is among them
        assert any(f".unique_combination_of_columns_{mart}_" in r["unique_id"] for r in tests), mart
    full = tmp / "fullrefresh.duckdb"
    shutil.move(reference, full)
    return store, db, full


def test_incremental_equals_full_refresh(built: tuple[Path, Path, Path]) -> None:
    _, db, full = built
    report = compare(db, full)
    diffs = {r.name: r for r in report.relations if r.name.split(".")[-1] in MARTS}
    assert set(diffs) == {f"analytics.{m}" for m in MARTS}
    for name, diff in diffs.items():
        assert diff.base_rows > 0 and diff.identical, f"{name}: {diff.examples}"


def test_dynamic_limits_are_intervals_between_declarations(built: tuple[Path, Path, Path]) -> None:
    store, db, _ = built
    declared: dict[tuple[str, str], list[tuple[datetime, float]]] = defaultdict(list)
    for dataset in DYNAMIC_DATASETS:
        for day in DAYS:
            for r in iter_store_rows(store, dataset, day):
                unit = r["bmUnit"] or r["nationalGridBmUnit"]
                declared[unit, dataset].append((_ts(r["time"]), float(r[VALUE_FIELD.get(dataset, "rate1")])))
    expected = set()
    for (unit, dataset), points in declared.items():
        points.sort()
        ends = [t for t, _ in points[1:]] + [None]
        expected |= {(unit, dataset, t, end, value) for (t, value), end in zip(points, ends, strict=True)}
    rows = query(db, "select bm_unit, parameter, valid_from, valid_to, value from analytics.fct_bm_unit_dynamic_limits")
    assert len(rows) == len(expected)
    assert set(rows) == expected
    # the sparse SEL: an alternate unit's DAYS[0] declaration holds until its DAYS[3] one
    spans = [r for r in rows if r[1] == "SEL" and r[2].date() == DAYS[0] and r[3] and r[3].date() == DAYS[3]]
    assert spans


def test_daily_builds_read_only_the_previous_builds_rows_and_equal_a_full_refresh(
    built: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """Issue #13: one incremental build a day with a one-day lookback, as the schedule runs. Each build
    finds the declarations it closes among the rows ended inside its window or still in force
    (`_in_force_until`), not in the whole history: the compiled SQL says so, rows outside that filter
    exist by the last build, and after four builds — the sparse SEL declared on DAYS[0] is carried by
    two builds and closed by the fourth — the table equals a full refresh, that column included."""
    store, _, _ = built
    db = tmp_path / "daily.duckdb"
    fct = ["-s", "+fct_bm_unit_dynamic_limits", "--exclude", "resource_type:test", "resource_type:unit_test"]

    def as_of(day: date) -> list[str]:
        return ["--vars", f"{{as_of_date: '{day.isoformat()}', lookback_days: 1}}"]

    load_via_replay(db, store, tmp_path / "load", [("BMUNITS", DAYS[0], DAYS[0])])
    for i, day in enumerate(DAYS):
        load_via_replay(db, store, tmp_path / "load", [(d, day, day) for d in DYNAMIC_DATASETS])
        run = run_dbt(["run", *fct, *as_of(day + timedelta(days=1))], tmp_path / f"day{i}", duckdb_path=db, env=ENV)
        assert run.returncode == 0, run.output[-3000:]
        if i:
            [sql] = list((tmp_path / f"day{i}" / "target" / "compiled").rglob("fct_bm_unit_dynamic_limits.sql"))
            # the stored rows read: before the floor, and ended at or after it (or still in force)
            text = sql.read_text()
            stored = re.search(r"where settlement_date < (.+)\n\s+-- .*\n\s+and _in_force_until >= (.+)\n", text)
            assert stored and stored.group(1) == stored.group(2), text[:3000]
    # rows the last build's filter left out: ended before its floor (DAYS[3])
    where = f"_in_force_until < date '{DAYS[3]}'"
    assert query(db, f"select count(*) from analytics.fct_bm_unit_dynamic_limits where {where}")[0][0] > 0
    reference = tmp_path / "reference" / db.name
    reference.parent.mkdir()
    shutil.copy(db, reference)
    refresh = run_dbt(
        ["run", "-s", "fct_bm_unit_dynamic_limits", "--full-refresh", *as_of(DAYS[3] + timedelta(days=1))],
        tmp_path / "full",
        duckdb_path=reference,
        env=ENV,
    )
    assert refresh.returncode == 0, refresh.output[-3000:]
    full = tmp_path / "fullrefresh.duckdb"
    shutil.move(reference, full)
    [diff] = [r for r in compare(db, full).relations if r.name == "analytics.fct_bm_unit_dynamic_limits"]
    assert diff.base_rows > 0 and diff.identical, diff.examples
    # the sparse SEL: an alternate unit's DAYS[0] declaration is closed by its DAYS[3] one
    spans = query(
        db,
        "select count(*) from analytics.fct_bm_unit_dynamic_limits where parameter = 'SEL' "
        f"and settlement_date = date '{DAYS[0]}' and cast(valid_to as date) >= date '{DAYS[3]}'",
    )
    assert spans[0][0] > 0


def _period_start(day: date, period: int) -> datetime:
    return day_bounds(day)[0].astimezone(UTC).replace(tzinfo=None) + (period - 1) * PERIOD


def _pn_mwh_in_period(row: dict, start: datetime) -> float:
    """The exact integral (MWh) of one linear PN segment over its part inside the period from ``start``."""
    t0, t1 = _ts(row["timeFrom"]), _ts(row["timeTo"])
    a, b = max(t0, start), min(t1, start + PERIOD)
    if b <= a:
        return 0.0

    def level(t: datetime) -> float:
        return row["levelFrom"] + (row["levelTo"] - row["levelFrom"]) * ((t - t0) / (t1 - t0))

    return (b - a) / timedelta(hours=1) * (level(a) + level(b)) / 2


def test_metered_against_notified_and_accepted(built: tuple[Path, Path, Path]) -> None:
    store, db, _ = built
    elexon_id = {r["nationalGridBmUnit"]: r["elexonBmUnit"] for r in iter_store_rows(store, "BMUNITS")}
    metered: dict[tuple, float] = {}
    fpn: dict[tuple, float] = defaultdict(float)
    for day in DAYS:
        for r in iter_store_rows(store, "B1610", day):
            unit = r["bmUnit"] or elexon_id[r["nationalGridBmUnitId"]]
            metered[date.fromisoformat(r["settlementDate"]), r["settlementPeriod"], unit] = r["quantity"]
        for r in iter_store_rows(store, "PN", day):
            sd, sp = date.fromisoformat(r["settlementDate"]), r["settlementPeriod"]
            fpn[sd, sp, r["bmUnit"] or r["nationalGridBmUnit"]] += _pn_mwh_in_period(r, _period_start(sd, sp))
    rows = query(
        db,
        "select settlement_date, settlement_period, bm_unit, metered_mwh, fpn_mwh, accepted_mwh, "
        "expected_mwh, delivery_difference_mwh from analytics.mart_bm_unit_metered_vs_notified",
    )
    by_key = {r[:3]: r[3:] for r in rows}
    assert len(by_key) == len(rows)
    assert {k for k, v in by_key.items() if v[0] is not None} == set(metered)
    assert {k for k, v in by_key.items() if v[1] is not None} == set(fpn)
    for key, value in metered.items():
        assert by_key[key][0] == pytest.approx(value, abs=1e-6), key
    for key, value in fpn.items():
        assert by_key[key][1] == pytest.approx(value, abs=1e-5), key
    # B1610 is the integral of the accepted profile (FPN replaced by the acceptances) within ±0.5 %
    checked = [v for v in by_key.values() if v[4] is not None]
    assert len(checked) == len(metered)
    assert sum(1 for v in checked if abs(v[2]) > 0.001) > 20  # acceptances moved many unit-periods
    for m, f, acc, exp, diff in checked:
        assert exp == pytest.approx(f + acc, abs=2e-6)
        assert diff == pytest.approx(m - exp, abs=2e-6)
        assert abs(diff) <= 0.005 * abs(exp) + 0.002


def _marts_as_sets(rows_fct: list[tuple], rows_mart: list[tuple]) -> tuple[set, set]:
    def norm(v):
        if isinstance(v, datetime):
            return v.replace(tzinfo=None)
        return round(v, 6) if isinstance(v, float) else v

    return {tuple(map(norm, r)) for r in rows_fct}, {tuple(map(norm, r)) for r in rows_mart}


FCT_SQL = "select bm_unit, parameter, valid_from, valid_to, value, rate2 from {}.fct_bm_unit_dynamic_limits"
MART_SQL = (
    "select settlement_date, settlement_period, bm_unit, metered_mwh, fpn_mwh, accepted_offer_mwh, "
    "accepted_bid_mwh, delivery_difference_mwh from {}.mart_bm_unit_metered_vs_notified"
)


@pytest.mark.bigquery
@pytest.mark.slow
def test_same_marts_on_bigquery(bq_emulator, built: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """The same loads and the same two runs (full, then incremental: BigQuery's MERGE and the
    carried-over declarations) on the BigQuery emulator give the same rows as on DuckDB."""
    store, db, _ = built
    suffix = uuid.uuid4().hex[:8]
    raw, analytics = f"raw_bmu_{suffix}", f"analytics_bmu_{suffix}"
    with emulator_writer(bq_emulator, raw, tmp_path / "bq-work") as writer:
        env = {**bq_emulator.env, "GBPOWER_RAW_SCHEMA": raw, "GBPOWER_BQ_DATASET": analytics, **ENV}
        for load, as_of, name in ((FIRST_LOAD, FIRST_AS_OF, "first"), (SECOND_LOAD, SECOND_AS_OF, "second")):
            load_via_replay(None, store, tmp_path, load, writer=writer)
            run = run_dbt(["run", *UPSTREAM, *as_of], tmp_path / name, target="bigquery_emulator", env=env)
            assert run.returncode == 0, run.output[-4000:]
        client = bq_emulator.client()
        dataset = f"`{bq_emulator.project}.{analytics}`"
        on_bq = _marts_as_sets(
            [tuple(r.values()) for r in client.query(FCT_SQL.format(dataset)).result()],
            [tuple(r.values()) for r in client.query(MART_SQL.format(dataset)).result()],
        )
    on_duckdb = _marts_as_sets(query(db, FCT_SQL.format("analytics")), query(db, MART_SQL.format("analytics")))
    assert on_bq[0] and on_bq[1]
    assert on_bq == on_duckdb
