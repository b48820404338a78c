"""Elexon's own derived data (2016-08-26 period 1) and the implied-multiplier judgement.

The fixture is Elexon's "Derived BM Unit Data" page for one period: acceptance volumes per acceptance and
pair (BOAV), period totals (DISPTAV) and cashflow per pair (EBOCF). The tests check its arithmetic, recover
the Transmission Loss Multiplier (TLM) and bid-offer prices from it, and exercise the judgement the
cashflow reconciliation uses (loaders/settlement_tlm.py) on it and on hand-made cases.
See docs/acceptances.md ("Transmission losses").

Contains BMRS data © Elexon Limited copyright and database right
(tests/fixtures/elexon/bmra_derived_2016-08-26_SP1/README.md).
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections import Counter
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest

from loaders.samples.bmra_derived import DerivedDataFormatError, pair_id, parse_derived_bm_unit_data
from loaders.settlement_tlm import (
    Pair,
    Tolerance,
    fit_multiplier,
    judge_multiplier,
    multiplier_interval,
    rounded,
)

FIXTURE = Path(__file__).parents[1] / "fixtures/elexon/bmra_derived_2016-08-26_SP1/bm_unitdata.xml"
# as in the fixture's README
FIXTURE_SHA256 = "b37e3752c06986b208aa80efcde63f1efb5b298efac22ef54929ad6a97bfdf24"  # pragma: allowlist secret
TLM_2016 = Fraction("0.98947")
HALF_DIGIT = Decimal("0.00005")  # volumes are published to 4 decimals


@pytest.fixture(scope="module")
def page():
    return parse_derived_bm_unit_data(FIXTURE)


@pytest.fixture(scope="module")
def pairs(page):
    """One Pair per (unit, side, pair) with volume or cashflow: original period volume and cashflow."""
    return [Pair(f"{u} {s} {p}", v, c) for (u, s, p), (v, c) in page.cashflow_pairs().items()]


@pytest.fixture(scope="module")
def joint_fit(pairs):
    return fit_multiplier(pairs)  # default search: multipliers 0.9 .. 1.1


def by_unit(pairs):
    units: dict[str, list[Pair]] = {}
    for p in pairs:
        units.setdefault(p.key.split()[0], []).append(p)
    return units


# ---- the fixture and its parse ----------------------------------------------------------------------


def test_fixture_is_the_verbatim_copy_named_in_its_readme():
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == FIXTURE_SHA256
    assert FIXTURE_SHA256 in (FIXTURE.parent / "README.md").read_text()


def test_page_holds_one_period_of_twelve_units_and_37_acceptances(page):
    assert (page.settlement_date, page.settlement_period) == (date(2016, 8, 26), 1)
    assert len(page.units) == 12
    assert page.units["T_ABTH7"].national_grid_bm_unit == "ABTH7"
    assert page.units["T_ABTH7"].lead_party_name == "RWE Generation UK plc"
    assert len({(a.bm_unit, a.acceptance_id) for a in page.acceptance_volumes}) == 37
    assert len(page.cashflows) == 23  # per unit, side and pair (FOYE-1's bid has volume, no cashflow)
    assert len(page.cashflow_pairs()) == 24


def test_pair_tags_map_to_insights_pair_ids():
    assert [pair_id(t) for t in ("P1", "P2", "M1", "M12")] == [1, 2, -1, -12]
    with pytest.raises(ValueError):
        pair_id("X1")


def test_a_side_holds_pairs_of_either_sign(page):
    """An upward move inside the M1 band is an offer of pair -1 (paid that pair's offer price), and a
    downward move inside P1 a bid of pair 1 -- as our engine prices them (docs/acceptances.md step 5)."""
    coso = {(a.acceptance_id, a.side, a.pair_id): a.volume_mwh for a in page.acceptance_volumes}
    assert coso[(124805, "offer", -1)] == Decimal("0.0482")
    assert coso[(124808, "bid", 1)] == Decimal("-0.6250")


def test_every_published_total_is_the_sum_of_its_pairs(page):
    counts: Counter = Counter()
    sums: dict[tuple, Decimal] = {}
    for a in page.acceptance_volumes:
        key = ("acceptance", a.bm_unit, a.acceptance_id, a.side)
        sums[key] = sums.get(key, Decimal(0)) + a.volume_mwh
        counts[key] += 1
    for t in page.period_totals:
        key = ("period", t.bm_unit, t.kind, t.side)
        sums[key] = sums.get(key, Decimal(0)) + t.volume_mwh
        counts[key] += 1
    for c in page.cashflows:
        key = ("cashflow", c.bm_unit, c.side)
        sums[key] = sums.get(key, Decimal(0)) + c.cashflow_gbp
        counts[key] += 1
    assert set(sums) == set(page.published_totals)
    for key, total in page.published_totals.items():
        # each published pair figure and the total are rounded: at most half a last digit each
        slack = Decimal(0) if key[0] == "cashflow" else HALF_DIGIT * (counts[key] + 1)
        assert abs(sums[key] - total) <= slack, key


# ---- (a) per-acceptance pair volumes add up to the period totals ---------------------------------------


def test_acceptance_pair_volumes_sum_to_the_original_period_totals(page):
    originals = {(t.bm_unit, t.side, t.pair_id): t.volume_mwh for t in page.period_totals if t.kind == "original"}
    sums = page.acceptance_sums()
    n = Counter((a.bm_unit, a.side, a.pair_id) for a in page.acceptance_volumes)
    assert set(sums) == set(originals)
    for key, total in originals.items():
        assert abs(sums[key] - total) <= HALF_DIGIT * (n[key] + 1), (key, sums[key], total)
    # the rounding shows, never more than one last digit: the sums are of 4-decimal roundings
    assert max(abs(sums[k] - originals[k]) for k in originals) <= Decimal("0.0001")


# ---- (b) one TLM fits every pair cashflow to the penny -------------------------------------------------


def test_one_multiplier_fits_all_23_cashflows_and_it_is_0_98947(pairs, joint_fit):
    assert len(joint_fit) == 1  # one interval of multipliers in all of 0.9..1.1
    (fit,) = joint_fit
    assert rounded(fit.interval.mid, 5) == Decimal("0.98947")
    assert TLM_2016 in fit.interval
    # the interval is narrower than the 5-decimal grid the TLM is published on: no other value fits
    assert fit.interval.hi - fit.interval.lo < Fraction(1, 10**5)
    assert math.ceil(fit.interval.lo * 10**5) == math.floor(fit.interval.hi * 10**5) == 98947


def test_each_unit_alone_admits_0_98947(pairs):
    """Every unit's own pairs fit at 0.98947; a unit alone is not enough to pin the TLM down (one pair
    fits about one multiplier per price step), which is why the joint fit matters."""
    for unit, unit_pairs in by_unit(pairs).items():
        fits = fit_multiplier(unit_pairs)
        assert any(TLM_2016 in f.interval for f in fits), unit
        if len(unit_pairs) == 1 and unit != "T_FOYE-1":
            assert len(fits) > 100, unit  # a single pair fits many multipliers


def test_every_cashflow_is_volume_times_price_times_tlm_rounded_to_the_penny(pairs, joint_fit):
    prices = joint_fit[0].prices
    for p in pairs:
        exact = [P for P in prices[p.key] if rounded(Fraction(p.volume_mwh) * P * TLM_2016, 2) == p.cashflow_gbp]
        assert exact, (p.key, prices[p.key])


# ---- (c) the recovered prices are round bid-offer prices -----------------------------------------------


def test_recovered_prices_are_round_bid_offer_prices(pairs, joint_fit):
    prices = joint_fit[0].prices
    unique = {k: v[0] for k, v in prices.items() if len(v) == 1}
    big = [p.key for p in pairs if abs(Decimal(p.volume_mwh)) >= 1]
    assert all(k in unique for k in big)  # a price is determined wherever at least 1 MWh was accepted
    assert unique["T_ABTH7 offer 1"] == 125
    assert unique["T_DRAXX-5 offer 1"] == 52
    assert unique["T_COSO-1 offer -1"] == 39
    assert unique["T_CNQPS-3 offer -1"] == 36
    assert unique["T_PEMB-21 bid -1"] == 22
    assert unique["T_FOYE-1 bid -1"] == 0  # volume, no cashflow: a zero bid price
    whole_pounds = sum(1 for k in big if unique[k].denominator == 1)
    assert whole_pounds >= 6


# ---- (d) negative control: without the TLM no price grid fits ------------------------------------------


def test_without_tlm_no_price_grid_fits(pairs):
    assert fit_multiplier(pairs, search=(1, 1)) == []
    abth7 = next(p for p in pairs if p.key == "T_ABTH7 offer 1")
    assert fit_multiplier([abth7], search=(1, 1)) == []
    # our figure without TLM vs Elexon's: the GBP 20,994.79 against GBP 20,773.71
    assert rounded(Fraction(abth7.volume_mwh) * 125, 2) == Decimal("20994.79")
    assert abth7.cashflow_gbp == Decimal("20773.7100")
    fitting_at_1 = [p.key for p in pairs if fit_multiplier([p], search=(1, 1))]
    assert len(fitting_at_1) < len(pairs) // 2  # only small-volume or zero pairs happen to fit


def test_judgement_on_elexon_numbers_calls_it_a_tlm_and_names_a_planted_error(pairs, joint_fit):
    prices = joint_fit[0].prices
    priced = []
    for p in pairs:  # our price: the grid price that reproduces the cashflow (as BOD would give it)
        price = next(P for P in prices[p.key] if rounded(Fraction(p.volume_mwh) * P * TLM_2016, 2) == p.cashflow_gbp)
        priced.append(Pair(p.key, p.volume_mwh, p.cashflow_gbp, price))
    for unit, unit_pairs in by_unit(priced).items():
        j = judge_multiplier(unit_pairs, expected=TLM_2016)
        assert j.verdict == "tlm" and j.expected_fits, unit
        assert not judge_multiplier(unit_pairs, expected=1).expected_fits or unit == "T_FOYE-1", unit
        if unit != "T_FOYE-1":  # every unit with a cashflow pins its multiplier to within 0.0002
            assert j.interval.hi - j.interval.lo < Fraction(2, 10**4), unit
    laga = by_unit(priced)["T_LAGA-1"]
    implied = judge_multiplier(laga).implied  # EBOCF / (volume x price) per pair
    big = [p.key for p in laga if abs(p.volume_mwh) >= 1]
    assert len(big) == 4 and all(abs(implied[k] - TLM_2016) < Fraction(1, 10**5) for k in big)
    # a wrong price on one pair (GBP 1/MWh) is not a TLM: no multiplier fits, and the pair is named
    wrong_price = [
        Pair(p.key, p.volume_mwh, p.cashflow_gbp, p.price + 1 if p.key.endswith("offer 2") else p.price) for p in laga
    ]
    j = judge_multiplier(wrong_price)
    assert (j.verdict, j.at_fault) == ("price_or_volume", ("T_LAGA-1 offer 2",))
    # so is a volume 0.5 MWh off on one pair
    wrong_volume = [
        Pair(
            p.key,
            Decimal(p.volume_mwh) - Decimal("0.5") if p.key.endswith("bid -2") else p.volume_mwh,
            p.cashflow_gbp,
            p.price,
        )
        for p in laga
    ]
    j = judge_multiplier(wrong_volume)
    assert (j.verdict, j.at_fault) == ("price_or_volume", ("T_LAGA-1 bid -2",))


# ---- the judgement on hand-made cases ------------------------------------------------------------------


def _cash(volume: str, price: str, tlm: str) -> Decimal:
    return rounded(Fraction(volume) * Fraction(price) * Fraction(tlm), 2)


def test_multiplier_interval_worked_by_hand():
    # 100 MWh at GBP 50 with cashflow GBP 4950.00: 5000 t within 0.005 + 0.00005 x 50 t of 4950
    iv = multiplier_interval("100", "50", "4950.00")
    assert iv.lo == Fraction("4949.995") / Fraction("5000.0025")
    assert iv.hi == Fraction("4950.005") / Fraction("4999.9975")
    assert Fraction("0.99") in iv and Fraction("0.9901") not in iv
    assert multiplier_interval("100", "50", "4950.00", search=(1, Fraction(11, 10))) is None
    # no volume: fits every multiplier if there is no cashflow, none if there is
    assert multiplier_interval("0", "50", "0.004") is not None
    assert multiplier_interval("0", "50", "0.02") is None


def test_one_multiplier_fits_all_pairs_is_tlm():
    rows = [("10", "50"), ("20.5", "60.30"), ("-7.25", "30"), ("3.1234", "-12.50")]
    pairs = [Pair(f"pair {i}", v, _cash(v, p, "0.985"), p) for i, (v, p) in enumerate(rows)]
    j = judge_multiplier(pairs, expected=1)
    assert j.verdict == "tlm" and j.at_fault == () and len(j.fitting) == 4
    assert Fraction("0.985") in j.interval
    assert j.expected_fits is False  # a TLM difference: our TLM 1 is not the one that was applied
    assert judge_multiplier(pairs, expected="0.985").expected_fits is True


def test_cashflows_at_tlm_1_are_consistent_with_1():
    pairs = [Pair("a", "12.5", _cash("12.5", "80", "1"), "80"), Pair("b", "-4", _cash("-4", "20", "1"), "20")]
    j = judge_multiplier(pairs, expected=1)
    assert j.verdict == "tlm" and j.expected_fits is True


def test_no_single_multiplier_fits_is_price_or_volume():
    pairs = [
        Pair("a", "10", _cash("10", "50", "0.985"), "50"),
        Pair("b", "20", _cash("20", "40", "0.985"), "40"),
        Pair("c", "30", _cash("30", "45", "0.985"), "44"),  # we priced c at 44, Elexon at 45
    ]
    j = judge_multiplier(pairs)
    assert j.verdict == "price_or_volume"
    assert j.at_fault == ("c",) and j.fitting == ("a", "b")
    assert Fraction("0.985") in j.interval
    assert j.implied["c"] == Fraction(_cash("30", "45", "0.985")) / (30 * 44)


def test_two_pairs_at_different_multipliers_cannot_both_be_a_tlm():
    pairs = [Pair("a", "10", _cash("10", "50", "0.985"), "50"), Pair("b", "10", _cash("10", "50", "1.02"), "50")]
    j = judge_multiplier(pairs)
    assert j.verdict == "price_or_volume" and len(j.at_fault) == 1


def test_cashflow_without_volume_is_at_fault_and_empty_pairs_are_ignored():
    pairs = [
        Pair("a", "10", _cash("10", "50", "0.99"), "50"),
        Pair("ghost", "0", "12.00", "50"),
        Pair("empty", "0", "0", "50"),
    ]
    j = judge_multiplier(pairs)
    assert (j.verdict, j.at_fault) == ("price_or_volume", ("ghost",))
    assert "empty" not in j.implied
    assert judge_multiplier([Pair("empty", 0, 0, 10)]).verdict == "no_pairs"


def test_judgement_needs_prices_and_distinct_keys():
    with pytest.raises(ValueError, match="no price"):
        judge_multiplier([Pair("a", "1", "1")])
    with pytest.raises(ValueError, match="twice"):
        judge_multiplier([Pair("a", "1", "1", "1"), Pair("a", "2", "2", "1")])
    with pytest.raises(ValueError, match="twice"):
        fit_multiplier([Pair("a", "1", "1"), Pair("a", "2", "2")])


def test_fit_recovers_hand_made_prices_and_tlm():
    rows = [("37.5", "40"), ("12.25", "55.55"), ("-20", "18.10")]
    pairs = [Pair(f"pair {i}", v, _cash(v, p, "0.99123")) for i, (v, p) in enumerate(rows)]
    fits = fit_multiplier(pairs)
    hit = [f for f in fits if Fraction("0.99123") in f.interval]
    assert len(hit) == 1
    assert hit[0].prices == {"pair 0": (40,), "pair 1": (Fraction("55.55"),), "pair 2": (Fraction("18.10"),)}
    assert all(Fraction("0.99123") not in f.interval for f in fits if f is not hit[0])


def test_fit_with_no_common_multiplier_is_empty():
    # GBP 12 with no volume fits no price at all
    assert fit_multiplier([Pair("a", "10", "500.00"), Pair("b", "0", "12.00")]) == []
    # equal volumes whose cashflows differ by 2p: one price step moves a cashflow by about GBP 10, so no
    # (multiplier, grid prices) gives both -- while each alone fits at many multipliers
    a, b = Pair("a", "1000", "49500.00"), Pair("b", "1000", "49500.02")
    assert fit_multiplier([a]) and fit_multiplier([b])
    assert fit_multiplier([a, b]) == []


def test_tolerance_can_be_set_for_other_precisions():
    # BOAV-style volumes to 0.001 MWh: the wider volume slack admits a wider interval
    narrow = multiplier_interval("100.000", "50", "4950.00")
    wide = multiplier_interval("100.000", "50", "4950.00", Tolerance.of(volume_mwh="0.0005"))
    assert wide.lo < narrow.lo and wide.hi > narrow.hi


# ---- the parser refuses pages it does not understand, naming the file and element ----------------------


def _page(body: str) -> str:
    return f'<PAGE><SD SD="2016-08-26"><THIS_SP SD="2016-08-26" SP="1"/><DERIVED_DATA>{body}</DERIVED_DATA></SD></PAGE>'


_GOOD_TOTS = (
    '<ACCEPT_PERIOD_TOTS><SP SP="1"><BMU ID="T_X"><VOLUME><BID_VALUES><ORIGINAL/><TAGGED/><REPRICED/>'
    "<ORIGINALPRICED/></BID_VALUES><OFFER_VALUES><ORIGINAL><P1>1.0000</P1><TOTAL>1.0000</TOTAL></ORIGINAL>"
    "<TAGGED/><REPRICED/><ORIGINALPRICED/></OFFER_VALUES></VOLUME><CASHFLOW><BID_VALUES/><OFFER_VALUES>"
    "<P1>50.0000</P1></OFFER_VALUES></CASHFLOW></BMU></SP></ACCEPT_PERIOD_TOTS>"
)


def _vols(values: str) -> str:
    return (
        '<ACCEPTANCE_VOLS><SP SP="1"><BMU ID="T_X"><ACCEPT ID="7" DUR="L"><BID_VALUES/>'
        f"<OFFER_VALUES>{values}</OFFER_VALUES></ACCEPT></BMU></SP></ACCEPTANCE_VOLS>"
    )


def test_parser_reads_a_minimal_page(tmp_path):
    f = tmp_path / "ok.xml"
    f.write_text(_page(_vols("<P1>1.0000</P1>") + _GOOD_TOTS))
    page = parse_derived_bm_unit_data(f)
    assert page.cashflow_pairs() == {("T_X", "offer", 1): (Decimal("1.0000"), Decimal("50.0000"))}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_vols("<Q1>1.0</Q1>") + _GOOD_TOTS, "unexpected element <Q1>"),
        (_vols("<P1>abc</P1>") + _GOOD_TOTS, "not a number"),
        (_vols("<P1>1</P1><P1>2</P1>") + _GOOD_TOTS, "pair given twice"),
        (_vols("<P1>1</P1>"), "expected one <ACCEPT_PERIOD_TOTS/SP>"),
        (_vols("<P1>1</P1>").replace('SP="1"', 'SP="2"') + _GOOD_TOTS, "is not the page's period 1"),
    ],
)
def test_parser_rejects_what_it_does_not_understand(tmp_path, body, message):
    f = tmp_path / "bad.xml"
    f.write_text(_page(body))
    with pytest.raises(DerivedDataFormatError, match=message) as err:
        parse_derived_bm_unit_data(f)
    assert str(f) in str(err.value)


def test_parser_rejects_malformed_xml(tmp_path):
    f = tmp_path / "broken.xml"
    f.write_text("<PAGE><SD>")
    with pytest.raises(DerivedDataFormatError, match="not well-formed") as err:
        parse_derived_bm_unit_data(f)
    assert str(f) in str(err.value)


# ---- the seed of loss parameters carries what the data implies -------------------------------------------


def test_seed_row_implied_by_this_page_matches_the_fit(joint_fit):
    seed = Path(__file__).parents[2] / "seeds/transmission_loss_parameters.csv"
    rows = list(csv.DictReader(seed.open()))
    implied = [r for r in rows if r["basis"] == "implied by EBOCF" and r["effective_from"] == "2016-08-26"]
    assert len(implied) == 1
    # TLM = 1 + TLF + ETLMO+ with TLF = 0 before P350 (1 April 2018)
    assert 1 + Fraction(implied[0]["etlmo_delivering"]) in joint_fit[0].interval
    spans = sorted((date.fromisoformat(r["effective_from"]), date.fromisoformat(r["effective_to"])) for r in rows)
    assert all(a_to < b_from for (_, a_to), (b_from, _) in pairwise(spans))  # no overlaps
    assert all(start <= end for start, end in spans)
