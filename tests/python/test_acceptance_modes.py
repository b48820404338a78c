"""The acceptance engine's two modes agree (docs/acceptances.md, "How to change the method").

var ``acceptances_exact_mode`` sends every piece through the plain per-minute path: no closed-form
pieces, no flat-band fast path, no held periods, no band pruning. The default takes those speed-ups.
Both are built here on the same data, and boalf_complete and fct_bm_unit_cashflows must agree to
1e-6 MWh and £1e-4 (acceptance_support.mode_differences). The data are the real 2022-03-19 period 27
BOD, PN and BOALF of every unit, plus a few synthetic units (mixed_rows) whose BOD changes inside a
period and whose acceptances overlap, so that every path of the default mode is taken and compared
with the plain one. The dbt unit tests run in both modes too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loaders.samples import legacy
from tests.python.acceptance_support import (
    BOALF_KEY,
    BOD,
    CASHFLOWS_KEY,
    PHY,
    dbt,
    engine_path_counts,
    load_rows,
    mode_differences,
    mode_vars,
    snapshot,
)

UNIT_TESTS = ["test_type:unit,boalf_complete", "test_type:unit,fct_bm_unit_cashflows"]


def _flags() -> dict[str, Any]:
    return {"deemedBoFlag": False, "soFlag": False, "storFlag": False, "rrFlag": False, "amendmentFlag": "ORI"}


def mixed_rows() -> dict[str, list[dict[str, Any]]]:
    """Synthetic API rows for 2022-03-19 periods 27-28 (13:00-14:00 UTC) of two units, added to the
    real data: MIX-1 has BOD that changes inside period 27 (a shaped period: breakpoints) and two
    acceptances that overlap (the acceptance-order window); MIX-2 has flat BOD, one acceptance held
    inside pair 1 (a held period) and one crossing into pair 2 and beyond the bands, and no PN or
    BOD in period 28 (no_fpn). MIX-1's FPN ramps 100 -> 110 MW in each period, so it steps back at
    13:30 (the boundary minute belongs to both periods, each with its own FPN)."""
    day = "2022-03-19"
    pn, bod, boalf = [], [], []
    for unit, level in (("MIX-1", 100), ("MIX-2", 50)):
        for sp, start, end in ((27, "13:00", "13:30"), (28, "13:30", "14:00")):
            if unit == "MIX-2" and sp == 28:
                continue
            pn.append(
                {
                    "dataset": "PN",
                    "settlementDate": day,
                    "settlementPeriod": sp,
                    "timeFrom": f"{day}T{start}:00Z",
                    "timeTo": f"{day}T{end}:00Z",
                    "levelFrom": level,
                    "levelTo": level + (10 if unit == "MIX-1" else 0),
                    "nationalGridBmUnit": unit,
                    "bmUnit": f"T_{unit}",
                }
            )
            for pair, width, offer, bid in ((1, 30, 80, 60), (2, 40, 120, 70), (-1, -30, 45, 30)):
                shaped = unit == "MIX-1" and sp == 27 and pair == 1
                pieces = [(start, "13:12", width, width), ("13:12", end, width, width + 20)] if shaped else []
                for tf, tt, lf, lt in pieces or [(start, end, width, width)]:
                    bod.append(
                        {
                            "dataset": "BOD",
                            "settlementDate": day,
                            "settlementPeriod": sp,
                            "timeFrom": f"{day}T{tf}:00Z",
                            "timeTo": f"{day}T{tt}:00Z",
                            "levelFrom": lf,
                            "levelTo": lt,
                            "pairId": pair,
                            "offer": offer,
                            "bid": bid,
                            "nationalGridBmUnit": unit,
                            "bmUnit": f"T_{unit}",
                        }
                    )
    accepted = {
        # (unit, number): acceptance time, [(from, to, level from, level to)]
        ("MIX-1", 1): (
            "12:50",
            [("13:04", "13:08", 103, 140), ("13:08", "13:40", 140, 140), ("13:40", "13:44", 140, 110)],
        ),
        ("MIX-1", 2): ("13:05", [("13:10", "13:14", 140, 90), ("13:14", "13:20", 90, 90), ("13:20", "13:24", 90, 140)]),
        ("MIX-2", 3): ("12:55", [("13:02", "13:05", 50, 70), ("13:05", "13:15", 70, 70), ("13:15", "13:18", 70, 50)]),
        ("MIX-2", 4): (
            "13:00",
            [("13:19", "13:22", 50, 160), ("13:22", "13:50", 160, 160), ("13:50", "13:55", 160, 60)],
        ),
    }
    for (unit, number), (at, segments) in accepted.items():
        for tf, tt, lf, lt in segments:
            boalf.append(
                {
                    "dataset": "BOALF",
                    "settlementDate": day,
                    "settlementPeriodFrom": 27,
                    "settlementPeriodTo": 28,
                    "timeFrom": f"{day}T{tf}:00Z",
                    "timeTo": f"{day}T{tt}:00Z",
                    "levelFrom": lf,
                    "levelTo": lt,
                    "acceptanceNumber": number,
                    "acceptanceTime": f"{day}T{at}:00Z",
                    "nationalGridBmUnit": unit,
                    "bmUnit": f"T_{unit}",
                    **_flags(),
                }
            )
    return {"PN": pn, "BOD": bod, "BOALF": boalf}


@pytest.fixture(scope="module")
def modes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("acceptance_modes")
    db = tmp / "warehouse.duckdb"
    work = tmp / "work"
    extra = mixed_rows()
    load_rows(db, work, "BOD", legacy.bod_rows(BOD) + extra["BOD"])
    load_rows(db, work, "PN", legacy.pn_rows(PHY) + extra["PN"])
    load_rows(db, work, "BOALF", legacy.boalf_rows(PHY) + extra["BOALF"])
    out: dict[str, Any] = {"db": db, "tmp": tmp}
    for name, exact in (("default", False), ("exact", True)):
        dbt(["run", "-s", "+fct_bm_unit_cashflows", "--full-refresh", *mode_vars(exact)], db, tmp)
        out[name] = {
            "boalf_complete": snapshot(db, "boalf_complete", BOALF_KEY),
            "fct_bm_unit_cashflows": snapshot(db, "fct_bm_unit_cashflows", CASHFLOWS_KEY),
            "paths": engine_path_counts(db, tmp / f"compile-{name}", exact),
        }
    return out


def test_boalf_complete_agrees_in_both_modes(modes: dict[str, Any]) -> None:
    fast, exact = modes["default"]["boalf_complete"], modes["exact"]["boalf_complete"]
    assert len(fast) > 150
    assert {k[2] for k in fast} >= {"T_MIX-1", "T_MIX-2"}
    assert mode_differences(fast, exact, BOALF_KEY) == []


def test_cashflows_agree_in_both_modes(modes: dict[str, Any]) -> None:
    fast, exact = modes["default"]["fct_bm_unit_cashflows"], modes["exact"]["fct_bm_unit_cashflows"]
    assert len(fast) > 50
    assert mode_differences(fast, exact, CASHFLOWS_KEY) == []


def test_default_mode_takes_every_speed_up(modes: dict[str, Any]) -> None:
    paths = modes["default"]["paths"]
    assert paths["closed_form_pieces"] > 0
    assert paths["held_periods"] > 0
    assert paths["flat_unit_periods"] > 0
    assert paths["shaped_unit_periods"] > 0  # MIX-1 period 27
    assert 0 < paths["minute_pieces"] < paths["pieces"]


def test_exact_mode_takes_the_plain_per_minute_path(modes: dict[str, Any]) -> None:
    paths, fast = modes["exact"]["paths"], modes["default"]["paths"]
    assert paths["closed_form_pieces"] == 0
    assert paths["held_periods"] == 0
    assert paths["flat_unit_periods"] == 0
    assert paths["minute_pieces"] == paths["pieces"] == fast["pieces"]
    assert paths["fpn_minutes_without_window"] == 0  # every minute goes through the acceptance order
    assert paths["shaped_unit_periods"] == fast["flat_unit_periods"] + fast["shaped_unit_periods"]
    assert paths["candidate_bands"] > fast["candidate_bands"]  # no [min q, max q] pruning


def test_mixed_units_hit_the_cases_they_were_made_for(modes: dict[str, Any]) -> None:
    rows = modes["default"]["boalf_complete"]
    statuses = {(k[2], k[3], r["pricing_status"]) for k, r in rows.items()}
    assert ("T_MIX-2", 4, "outside_bod") in statuses
    assert ("T_MIX-2", 4, "no_fpn") in statuses  # period 28 has no PN for MIX-2
    pairs = {(k[2], k[3], k[4]) for k in rows if k[1] == 27}
    assert {("T_MIX-2", 4, 1), ("T_MIX-2", 4, 2), ("T_MIX-2", 3, 1)} <= pairs
    # acceptance 2 reverses part of acceptance 1 in MIX-1's shaped period: a bid-side volume
    assert any(r["bid_volume_mwh"] < 0 for k, r in rows.items() if k[2] == "T_MIX-1" and k[3] == 2)


@pytest.mark.parametrize("exact", [False, True], ids=["default", "exact"])
def test_unit_tests_pass_in_both_modes(modes: dict[str, Any], exact: bool, tmp_path: Path) -> None:
    out = dbt(["test", "-s", *UNIT_TESTS, *mode_vars(exact)], modes["db"], tmp_path)
    assert "PASS=21" in out, out[-2000:]
