"""boalf_complete on real data: every BM unit's BOD, PN and BOALF for 2022-03-19 period 27.

The legacy BMRS CSVs (loaders/samples/real/legacy_2022-03-19_SP27; "Contains BMRS data © Elexon
Limited copyright and database right", source: hackcollective/wind-curtailment @ cb043bae, see that
folder's README) go through the legacy converter and the real loader path into raw tables of a
DuckDB file; dbt then builds boalf_complete and fct_bm_unit_cashflows, once in each engine mode
(default and exact: var acceptances_exact_mode, docs/acceptances.md). Checked: no acceptance is
lost; per acceptance, the pair volumes sum to the integral of q_k - q_{k-1} computed here
independently; signs; data tests; and four acceptances worked out by hand.

Only period 27 has PN and BOD in the file, so volume in the neighbouring periods is `no_fpn`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.python.acceptance_support import dbt, expected_period27_volumes, load_legacy, mode_vars
from tests.python.dbt_harness import query


@pytest.fixture(scope="module", params=[False, True], ids=["default", "exact"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse built in each engine mode (var acceptances_exact_mode): every test runs on both."""
    tmp = tmp_path_factory.mktemp("acceptance_real")
    db = tmp / "warehouse.duckdb"
    load_legacy(db, tmp / "work")
    dbt(["run", "-s", "+fct_bm_unit_cashflows", *mode_vars(request.param)], db, tmp)
    return db


def test_no_acceptance_is_lost(built: Path) -> None:
    raw = set(query(built, "select distinct bmUnit, acceptanceNumber from raw.bmrs_boalf"))
    ours = set(query(built, "select distinct bm_unit, acceptance_number from analytics.boalf_complete"))
    assert len(raw) == 81
    assert raw == ours


def test_pair_volumes_sum_to_the_integral_of_each_acceptance(built: Path) -> None:
    rows = query(
        built,
        "select bm_unit, acceptance_number, sum(offer_volume_mwh + bid_volume_mwh) "
        "from analytics.boalf_complete where settlement_period = 27 group by all",
    )
    ours = {(u, n): v for u, n, v in rows}
    expected = expected_period27_volumes()
    moving = {k: v for k, v in expected.items() if abs(v) > 1e-6}
    assert len(moving) > 30  # the period has real volume to compare
    for key, volume in expected.items():
        assert ours.get(key, 0.0) == pytest.approx(volume, abs=2e-5), key
    assert set(ours) <= set(expected)


def test_signs_and_statuses(built: Path) -> None:
    wrong_sign = "select count(*) from analytics.boalf_complete where offer_volume_mwh < 0 or bid_volume_mwh > 0"
    assert query(built, wrong_sign) == [(0,)]
    by_status = "select pricing_status, count(*) from analytics.boalf_complete where settlement_period = 27 group by 1"
    statuses = dict(query(built, by_status))
    assert statuses.get("priced", 0) > 40
    assert set(statuses) <= {"priced", "no_volume", "sentinel_price", "outside_bod", "no_bod", "rr_excluded", "no_fpn"}
    # SO-flagged acceptances (18 of the 121 BOALF rows) are kept, not thrown away as "tests"
    so = query(built, "select count(distinct bm_unit || acceptance_number) from analytics.boalf_complete where so_flag")
    raw_so = query(built, "select count(distinct bmUnit || acceptanceNumber) from raw.bmrs_boalf where soFlag")
    assert so == raw_so and so[0][0] > 0


def test_data_tests_pass(built: Path, tmp_path: Path) -> None:
    dbt(["test", "-s", "boalf_complete", "fct_bm_unit_cashflows", "--exclude", "test_type:unit"], built, tmp_path)


HAND_WORKED = {
    # E_BTUIW-3: FPN 43 MW flat; pair -1 = -50 MW, bid -17.06. Acceptance 3642 (issued 12:35) holds 0 MW
    # until 13:20 then ramps to 43 by 13:22. Relative to FPN: -43 MW over 13:00..13:20 (-860 MW.min) and
    # the ramp -43 -> 0 over 13:20..13:22 (-43 MW.min): -903 MW.min = -15.05 MWh; x -17.06 = +256.753.
    ("E_BTUIW-3", 3642, -1): (0.0, -15.05, 256.753),
    # 3643 (issued 13:05) holds 0 MW from 13:20; before it q = 3642's ramp (0, 21.5, 43 at 13:20..13:22)
    # then FPN 43: 0 - 21.5 - 8 x 43 - 0.5 x 43 = -387 MW.min = -6.45 MWh; x -17.06 = +110.037.
    ("E_BTUIW-3", 3643, -1): (0.0, -6.45, 110.037),
    # T_BRBEO-1: FPN ramps 208->210 MW over the period; pair -1 = -254 MW, bid -94.11. 23966 holds 75 MW
    # to 13:04 then ramps to 208 at 13:05: 0.5 x (75-208) + sum_{t=1..4}(75 - 208 - t/15) + (208 - 208.333)
    # = -66.5 - 532.667 - 0.333 = -599.5 MW.min = -9.991667 MWh; x -94.11 = +940.31575.
    ("T_BRBEO-1", 23966, -1): (0.0, -9.991667, 940.315781),
    # 23967 (issued later) holds 75 MW 13:04..13:34: at 13:05 it undoes 23966's 208 (-133), then
    # 75 - FPN(t) for 13:06..13:29 (= -3220 in total) and half of 13:30 (-67.5): -3420.5 MW.min
    # = -57.008333 MWh; x -94.11 = +5365.054219.
    ("T_BRBEO-1", 23967, -1): (0.0, -57.008333, 5365.054219),
}


@pytest.mark.parametrize("key", list(HAND_WORKED))
def test_hand_worked_units(built: Path, key: tuple[str, int, int]) -> None:
    unit, number, pair = key
    rows = query(
        built,
        "select offer_volume_mwh, bid_volume_mwh, cashflow_gbp, pricing_status from analytics.boalf_complete "
        "where settlement_period = 27 and bm_unit = ? and acceptance_number = ? and pair_id = ?",
        [unit, number, pair],
    )
    assert len(rows) == 1
    offer, bid, cash, status = rows[0]
    exp_offer, exp_bid, exp_cash = HAND_WORKED[key]
    assert status == "priced"
    assert offer == pytest.approx(exp_offer, abs=1e-6)
    assert bid == pytest.approx(exp_bid, abs=1e-6)
    assert cash == pytest.approx(exp_cash, abs=1e-3)


def test_unit_period_cashflow_rolls_up(built: Path) -> None:
    rows = query(
        built,
        "select net_cashflow_gbp, total_bid_volume_mwh from analytics.fct_bm_unit_cashflows "
        "where bm_unit = 'T_BRBEO-1' and settlement_period = 27",
    )
    assert rows == [(pytest.approx(940.315781 + 5365.054219, abs=1e-3), pytest.approx(-9.991667 - 57.008333, abs=1e-5))]
