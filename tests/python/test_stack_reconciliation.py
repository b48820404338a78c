"""Period totals against DISPTAV and prices against ISPSTACK, in a real warehouse.

Elexon's 2016 derived data (tests/fixtures/elexon/bmra_derived_2016-08-26_SP1, Contains BMRS data ©
Elexon Limited copyright and database right) gives Elexon's own per-acceptance pair volumes (BOAV) and
period totals (DISPTAV: Original, Tagged, Repriced, Originally-Priced). As in
test_reconciliation_elexon_2016.py, "ours" is ``boalf_complete`` planted with Elexon's per-acceptance
volumes at the recovered round prices (the page has no BOD/PN/BOALF). The page's period totals go
through the loader as DISPTAV rows. The page has no stack, so the ISPSTACK rows are made from the
planted acceptances (one item per acceptance, side and pair: the recovered price, the volume, the
2016 TLM) -- the one synthetic input, labelled so. Everything else runs for real in dbt:
``rpt_period_volume_reconciliation``, ``rpt_stack_price_reconciliation`` and the published TLM in
``fct_bm_unit_cashflows``.

Checks: agreeing data is consistent everywhere; one changed DISPTAV total is flagged naming exactly
that unit, period, side and pair (and the acceptances making up our total); one changed ISPSTACK price
is flagged naming exactly that unit, period, acceptance, side and pair; ISPSTACK's TLM becomes
``tlm_source = 'published'``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from loaders.samples.bmra_derived import parse_derived_bm_unit_data
from loaders.settlement import fmt_ts, period_start
from tests.python.acceptance_support import dbt, load_rows
from tests.python.dbt_harness import query
from tests.python.test_reconciliation_elexon_2016 import FIXTURE, TLM_2016, _plant, _planted_acceptances

DATA_TYPES = {
    "original": "Original",
    "tagged": "Tagged",
    "repriced": "Repriced",
    "originally_priced": "Originally-Priced",
}
# bmrs_disptav_unified is an incremental table: a re-load of 2016 rows needs it rebuilt too
MODELS = [
    "bmrs_disptav_unified",
    "rpt_period_volume_reconciliation",
    "rpt_stack_price_reconciliation",
    "fct_bm_unit_cashflows",
]
SELECT = ["+rpt_period_volume_reconciliation", "+rpt_stack_price_reconciliation", "+fct_bm_unit_cashflows"]
REBUILD = ["run", "--full-refresh", "-s", *MODELS]


def _pair_key(pid: int) -> str:
    return f"{'positive' if pid > 0 else 'negative'}{abs(pid)}"


def disptav_records(page) -> list[dict[str, Any]]:
    """The page's period totals as DISPTAV rows (one per unit, side and data type)."""
    start = fmt_ts(period_start(page.settlement_date, page.settlement_period))
    grouped: dict[tuple[str, str, str], dict[int, float]] = {}
    for t in page.period_totals:
        grouped.setdefault((t.bm_unit, t.side, t.kind), {})[t.pair_id] = float(t.volume_mwh)
    rows = []
    for (uid, side, kind), pairs in sorted(grouped.items()):
        unit = page.units[uid]
        rows.append(
            {
                "createdDateTime": "2016-08-26T02:00:00Z",
                "settlementDate": page.settlement_date.isoformat(),
                "settlementPeriod": page.settlement_period,
                "startTime": start,
                "bmUnit": unit.bm_unit,
                "bmUnitType": unit.bm_unit_type,
                "leadPartyName": unit.lead_party_name,
                "nationalGridBmUnit": unit.national_grid_bm_unit,
                "dataType": DATA_TYPES[kind],
                "totalVolumeAccepted": sum(pairs.values()),
                "pairVolumes": {_pair_key(p): v for p, v in pairs.items()},
                "bidOffer": side,
            }
        )
    return rows


def stack_records(page, planted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SYNTHETIC ISPSTACK items from the planted acceptances: price, volume and the 2016 TLM."""
    start = fmt_ts(period_start(page.settlement_date, page.settlement_period))
    items: dict[str, list[dict[str, Any]]] = {"offer": [], "bid": []}
    for row in planted:
        for side in ("offer", "bid"):
            volume = row[f"{side}_volume_mwh"]
            if volume == 0:
                continue
            items[side].append(
                {
                    "settlementDate": page.settlement_date.isoformat(),
                    "settlementPeriod": page.settlement_period,
                    "startTime": start,
                    "createdDateTime": "2016-08-26T02:00:00Z",
                    "id": row["bm_unit"],
                    "acceptanceId": row["acceptance_number"],
                    "bidOfferPairId": row["pair_id"],
                    "repricedIndicator": False,
                    "originalPrice": row[f"{side}_price"],
                    "volume": volume,
                    "transmissionLossMultiplier": TLM_2016,
                    "bidOffer": side,
                }
            )
    out = []
    for side_items in items.values():
        side_items.sort(key=lambda r: (r["originalPrice"], r["id"], r["acceptanceId"], r["bidOfferPairId"]))
        out += [{**item, "sequenceNumber": n} for n, item in enumerate(side_items, start=1)]
    # a balancing services action: in the stack, never compared
    out.append({**out[0], "id": "SYN-BSAD-1", "acceptanceId": None, "bidOfferPairId": None, "sequenceNumber": 999})
    return out


@pytest.fixture(scope="module")
def page():
    return parse_derived_bm_unit_data(FIXTURE)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, page) -> tuple[Path, Path, list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("stack_reconciliation")
    db = tmp / "warehouse.duckdb"
    planted = _planted_acceptances(page)
    disptav = disptav_records(page)
    assert load_rows(db, tmp / "work", "DISPTAV", disptav) == len(disptav)
    stack = stack_records(page, planted)
    assert load_rows(db, tmp / "work", "ISPSTACK", stack) == len(stack)
    dbt(["run", "-s", "+boalf_complete"], db, tmp, env={"DBT_INDIRECT_SELECTION": "buildable"})
    _plant(db, planted)
    dbt(
        ["build", "-s", *SELECT, "--exclude", "+boalf_complete"],
        db,
        tmp,
        env={"DBT_INDIRECT_SELECTION": "buildable"},
    )
    return db, tmp, planted


def _disagreements(db: Path) -> tuple[list[tuple], list[tuple]]:
    periods = query(
        db,
        "select bm_unit, settlement_period, side, pair_id, acceptances from analytics.rpt_period_volume_reconciliation "
        "where not within_tolerance order by all",
    )
    stack = query(
        db,
        "select bm_unit, settlement_period, acceptance_number, side, pair_id, price_diff_gbp "
        "from analytics.rpt_stack_price_reconciliation where not within_tolerance order by all",
    )
    return periods, stack


def test_agreeing_data_is_consistent(warehouse, page) -> None:
    db, _, _ = warehouse
    originals = {(t.bm_unit, t.side, t.pair_id) for t in page.period_totals if t.kind == "original"}
    compared = query(db, "select count(*), count(elexon_volume_mwh) from analytics.rpt_period_volume_reconciliation")
    assert compared == [(len(originals), len(originals))]  # every Original total compared, Tagged etc. not
    acceptance_pairs = {(a.bm_unit, a.acceptance_id, a.side, a.pair_id) for a in page.acceptance_volumes}
    stacked = query(
        db,
        "select count(*), count(*) filter (where in_stack and in_ours) from analytics.rpt_stack_price_reconciliation",
    )
    assert stacked == [(len(acceptance_pairs), len(acceptance_pairs))]  # the BSAD item is not compared
    assert _disagreements(db) == ([], [])


def test_published_tlm_takes_precedence(warehouse) -> None:
    db, _, _ = warehouse
    rows = query(db, "select distinct tlm, tlm_source from analytics.fct_bm_unit_cashflows")
    assert rows == [(pytest.approx(TLM_2016, abs=1e-12), "published")]


def test_one_changed_total_and_one_changed_price_are_named(warehouse, page) -> None:
    db, tmp, planted = warehouse
    disptav = copy.deepcopy(disptav_records(page))
    target = next(
        r for r in disptav if r["bmUnit"] == "T_COSO-1" and r["bidOffer"] == "offer" and r["dataType"] == "Original"
    )
    target["pairVolumes"]["negative1"] += 0.25  # Elexon's offer -1 total of T_COSO-1 0.25 MWh higher
    stack = stack_records(page, planted)
    item = next(r for r in stack if r["id"] == "T_LAGA-1" and r["bidOffer"] == "offer" and r["bidOfferPairId"] == 2)
    item["originalPrice"] += 1.0  # one stack item priced £1 higher
    work = tmp / "work-changed"
    try:
        load_rows(db, work, "DISPTAV", disptav)
        load_rows(db, work, "ISPSTACK", stack)
        dbt(REBUILD, db, tmp)
        periods, stacked = _disagreements(db)
        coso_acceptances = sorted(
            {
                str(a.acceptance_id)
                for a in page.acceptance_volumes
                if a.bm_unit == "T_COSO-1" and a.side == "offer" and a.pair_id == -1
            }
        )
        assert periods == [("T_COSO-1", 1, "offer", -1, ", ".join(coso_acceptances))]
        assert stacked == [("T_LAGA-1", 1, item["acceptanceId"], "offer", 2, pytest.approx(1.0, abs=1e-9))]
    finally:
        load_rows(db, work, "DISPTAV", disptav_records(page))
        load_rows(db, work, "ISPSTACK", stack_records(page, planted))
        dbt(REBUILD, db, tmp)
