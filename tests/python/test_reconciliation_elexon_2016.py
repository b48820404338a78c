"""Elexon's 2016 derived data through our warehouse: TLM applied, reconciliation names the fault.

Elexon's "Derived BM Unit Data" page for 2016-08-26 period 1 (tests/fixtures/elexon/
bmra_derived_2016-08-26_SP1, Contains BMRS data © Elexon Limited copyright and database right) is
turned into the Insights API's BOAV and EBOCF rows (``loaders.samples.bmra_derived.insights_records``)
and loaded into a real DuckDB warehouse through the loader's parser and writer. The page has no BOD,
PN or BOALF for that period, so our engine cannot compute the volumes: "our" side is
``boalf_complete`` planted with Elexon's per-acceptance pair volumes and the bid-offer prices
recovered from the page (``fit_multiplier``: round prices such as 125.00 and 52.00). Everything
downstream runs for real in dbt: ``fct_bm_unit_cashflows`` (the TLM from the seed
``transmission_loss_parameters``, TLF = 0 before P350), ``rpt_pair_cashflow_reconciliation``,
``rpt_acceptance_volume_reconciliation`` and ``rpt_cashflow_reconciliation``.

Checks: after TLM all 23 pair cashflows agree to the penny (plus the volume tolerance), before TLM
none does; every unit-period is ``consistent`` with an implied TLM of 0.98947; a planted volume error
is named by acceptance and pair, a planted price error by pair; a wrong ETLMO makes every unit-period
a ``tlm`` verdict (one multiplier fits, not ours).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loaders.samples.bmra_derived import insights_records, parse_derived_bm_unit_data
from loaders.settlement_tlm import Pair, fit_multiplier
from tests.python.acceptance_support import dbt, load_rows
from tests.python.dbt_harness import query

FIXTURE = Path(__file__).parents[1] / "fixtures/elexon/bmra_derived_2016-08-26_SP1/bm_unitdata.xml"
TLM_2016 = 0.98947
UNITS_WITH_CASHFLOW = 11  # T_FOYE-1's only pair is priced at 0: no cashflow on the page
# fct_bm_unit_cashflows and the reconciliation with everything they read, except the engine
DOWNSTREAM = ["+rpt_cashflow_reconciliation", "--exclude", "+boalf_complete"]


def _recovered_prices(page) -> dict[tuple[str, str, int], float]:
    """(unit, side, pair) -> the grid price at the one multiplier that fits every pair of the page."""
    fits = fit_multiplier([Pair(f"{u}|{s}|{p}", v, c) for (u, s, p), (v, c) in page.cashflow_pairs().items()])
    assert len(fits) == 1, fits
    tlm, cashflow_pairs = fits[0].interval.mid, page.cashflow_pairs()
    prices = {}
    for key, options in fits[0].prices.items():
        unit, side, pair = key.split("|")
        volume, cashflow = cashflow_pairs[(unit, side, int(pair))]
        # a pair with a small volume fits a few neighbouring prices: take the one nearest C / (V x TLM)
        exact = Fraction(cashflow) / (Fraction(volume) * tlm) if volume else Fraction(0)
        prices[(unit, side, int(pair))] = float(min(options, key=lambda p: abs(p - exact)))
    return prices


def _planted_acceptances(page) -> list[dict[str, Any]]:
    """boalf_complete rows: Elexon's volume per acceptance and pair, priced at the recovered prices."""
    prices = _recovered_prices(page)
    rows: dict[tuple[str, int, int], dict[str, Any]] = {}
    for a in page.acceptance_volumes:
        unit = page.units[a.bm_unit]
        row = rows.setdefault(
            (a.bm_unit, a.acceptance_id, a.pair_id),
            {
                "settlement_date": page.settlement_date,
                "settlement_period": page.settlement_period,
                "bm_unit": a.bm_unit,
                "national_grid_bm_unit": unit.national_grid_bm_unit,
                "acceptance_number": a.acceptance_id,
                "pair_id": a.pair_id,
                "offer_volume_mwh": 0.0,
                "bid_volume_mwh": 0.0,
                "offer_price": prices.get((a.bm_unit, "offer", a.pair_id), 0.0),
                "bid_price": prices.get((a.bm_unit, "bid", a.pair_id), 0.0),
                "so_flag": False,
                "stor_flag": False,
                "rr_flag": False,
                "deemed_bo_flag": False,
                "pricing_status": "priced",
            },
        )
        row[f"{a.side}_volume_mwh"] += float(a.volume_mwh)
    for row in rows.values():
        row["cashflow_gbp"] = row["offer_volume_mwh"] * row["offer_price"] + row["bid_volume_mwh"] * row["bid_price"]
    return list(rows.values())


def _plant(db: Path, rows: list[dict[str, Any]]) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute("delete from analytics.boalf_complete")
        columns = list(rows[0])
        con.executemany(
            f"insert into analytics.boalf_complete ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            [[r[c] for c in columns] for r in rows],
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def page():
    return parse_derived_bm_unit_data(FIXTURE)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, page) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("reconciliation_2016")
    db = tmp / "warehouse.duckdb"
    records = insights_records(page, created="2016-08-26T02:00:00Z")
    assert load_rows(db, tmp / "work", "BOAV", records["BOAV"]) == 38
    assert load_rows(db, tmp / "work", "EBOCF", records["EBOCF"]) == 16
    dbt(["run", "-s", "+boalf_complete"], db, tmp)  # the engine's table, empty: no BOALF/BOD/PN for 2016
    _plant(db, _planted_acceptances(page))
    dbt(["build", "-s", *DOWNSTREAM, "test_type:unit"], db, tmp)
    return db, tmp


def _rebuild(db: Path, tmp: Path) -> None:
    dbt(["run", "--full-refresh", "-s", *DOWNSTREAM], db, tmp)


def test_fixture_round_trips_through_the_loader(warehouse, page) -> None:
    db, _ = warehouse
    boav = query(db, "select count(*), sum(total_volume_accepted) from analytics.bmrs_boav_unified")
    ebocf = query(db, "select count(*), sum(total_cashflow) from analytics.bmrs_ebocf_unified")
    assert boav == [(38, pytest.approx(float(sum(a.volume_mwh for a in page.acceptance_volumes)), abs=1e-6))]
    assert ebocf == [(16, pytest.approx(float(sum(c.cashflow_gbp for c in page.cashflows)), abs=1e-6))]
    # every acceptance's volume in every pair is compared, and equals ours (planted): nothing at fault
    n = len({(a.bm_unit, a.acceptance_id, a.side, a.pair_id) for a in page.acceptance_volumes})
    assert query(
        db,
        "select count(*), count(*) filter (where within_tolerance), count(elexon_volume_mwh) "
        "from analytics.rpt_acceptance_volume_reconciliation",
    ) == [(n, n, n)]


def test_tlm_comes_from_the_seed_as_implied_by_ebocf(warehouse) -> None:
    db, _ = warehouse
    rows = query(db, "select distinct tlm, tlm_source, tlf, tlm_trading_unit from analytics.fct_bm_unit_cashflows")
    assert rows == [(pytest.approx(TLM_2016, abs=1e-12), "implied by EBOCF", 0.0, "delivering")]
    abth = query(
        db,
        "select offer_cashflow_gbp, offer_cashflow_after_tlm_gbp from analytics.fct_bm_unit_cashflows "
        "where bm_unit = 'T_ABTH7'",
    )
    # our volume is the sum of the two published 4-decimal acceptance volumes, 167.9584 MWh (Elexon's
    # unrounded period total gives 167.9583): 167.9584 x £125 = £20,994.80 before TLM, x 0.98947 =
    # £20,773.72 after -- a penny from Elexon's £20,773.71, inside the pair tolerance
    assert abth == [(pytest.approx(20994.80, abs=1e-6), pytest.approx(20994.80 * TLM_2016, abs=1e-6))]
    assert abs(abth[0][1] - 20773.71) < 0.015 < abs(abth[0][0] - 20773.71) / 10000


def test_after_tlm_all_23_pairs_agree_before_tlm_none(warehouse) -> None:
    db, _ = warehouse
    rows = query(
        db,
        "select bm_unit, side, pair_id, within_tolerance, within_tolerance_before_tlm, cashflow_diff_gbp "
        "from analytics.rpt_pair_cashflow_reconciliation where has_elexon_cashflow order by all",
    )
    assert len(rows) == 23
    assert [r[:3] for r in rows if not r[3]] == []
    assert [r[:3] for r in rows if r[4]] == []
    # within Elexon's penny rounding (£0.005) + 0.0001 MWh of 4-decimal rounding x the dearest price (£125)
    assert max(abs(r[5]) for r in rows) <= 0.005 + 0.0001 * 125 + 1e-9


def test_every_unit_period_is_consistent_at_the_implied_tlm(warehouse) -> None:
    db, _ = warehouse
    rows = query(
        db,
        "select bm_unit, tlm_verdict, implied_tlm, judged_multiplier, pairs_at_fault, acceptances_at_fault, "
        "cashflow_within_tolerance, volume_within_tolerance, our_cashflow_before_tlm_gbp "
        "from analytics.rpt_cashflow_reconciliation where has_elexon_cashflow order by bm_unit",
    )
    assert len(rows) == UNITS_WITH_CASHFLOW
    for unit, verdict, implied, judged, pairs_at_fault, acceptances_at_fault, cash_ok, volume_ok, before in rows:
        assert verdict == "consistent", unit
        # EBOCF / ours before TLM is the TLM up to Elexon's rounding: up to 6 pairs x £0.005, 0.0001 MWh x £125
        assert abs(implied - TLM_2016) <= (6 * 0.005 + 0.0125) / abs(before), unit
        assert judged == pytest.approx(TLM_2016, abs=1e-3), unit
        assert (pairs_at_fault, acceptances_at_fault, cash_ok, volume_ok) == (None, None, True, True), unit


def test_planted_volume_and_price_errors_are_named(warehouse, page) -> None:
    db, tmp = warehouse
    rows = _planted_acceptances(page)
    for row in rows:
        if (row["bm_unit"], row["acceptance_number"], row["pair_id"]) == ("T_COSO-1", 124805, -1):
            row["offer_volume_mwh"] += 0.5  # acceptance 124805 took 0.5 MWh too much from offer -1
        if row["bm_unit"] == "T_LAGA-1" and row["pair_id"] == 2:
            row["offer_price"] += 1.0  # LAGA's pair 2 offer priced £1 too high
        row["cashflow_gbp"] = row["offer_volume_mwh"] * row["offer_price"] + row["bid_volume_mwh"] * row["bid_price"]
    try:
        _plant(db, rows)
        _rebuild(db, tmp)
        got = {
            r[0]: r[1:]
            for r in query(
                db,
                "select bm_unit, tlm_verdict, pairs_at_fault, acceptances_at_fault "
                "from analytics.rpt_cashflow_reconciliation where tlm_verdict <> 'consistent'",
            )
        }
        assert got == {
            "T_COSO-1": ("price_or_volume", "offer -1", "124805 offer -1"),
            "T_LAGA-1": ("price_or_volume", "offer 2", None),
        }
    finally:
        _plant(db, _planted_acceptances(page))
        _rebuild(db, tmp)


def test_a_wrong_adjustment_is_called_a_tlm_difference(warehouse) -> None:
    db, tmp = warehouse
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "update analytics.transmission_loss_parameters set etlmo_delivering = -0.02 where zonal_tlf = false"
        )
    finally:
        con.close()
    try:
        _rebuild(db, tmp)
        rows = query(
            db,
            "select distinct tlm_verdict, pairs_at_fault, round(tlm, 5) from analytics.rpt_cashflow_reconciliation "
            "where has_elexon_cashflow",
        )
        assert rows == [("tlm", None, 0.98)]
        judged = query(
            db, "select min(judged_multiplier), max(judged_multiplier) from analytics.rpt_cashflow_reconciliation"
        )
        assert judged[0][0] == pytest.approx(TLM_2016, abs=1e-3) and judged[0][1] == pytest.approx(TLM_2016, abs=1e-3)
    finally:
        dbt(["seed", "-s", "transmission_loss_parameters", "--full-refresh"], db, tmp)
        _rebuild(db, tmp)
