"""Parser for the old BMRS "Derived BM Unit Data" XML page (Elexon's own BOAV/DISPTAV/EBOCF of one period).

Before the Insights API, bmreports.com served Elexon's derived data for one settlement period as one XML
page (``tests/fixtures/elexon/bmra_derived_2016-08-26_SP1/bm_unitdata.xml``, see its README):

- ``ACCEPTANCE_VOLS``: per BM unit and acceptance, the accepted volume per bid-offer pair, split into
  ``BID_VALUES`` (moves down, MWh < 0) and ``OFFER_VALUES`` (moves up) -- today's BOAV;
- ``ACCEPT_PERIOD_TOTS/VOLUME``: per unit, side and pair the period totals ``ORIGINAL``, ``TAGGED``,
  ``REPRICED`` and ``ORIGINALPRICED`` -- today's DISPTAV;
- ``ACCEPT_PERIOD_TOTS/CASHFLOW``: per unit, side and pair the indicative cashflow (GBP) -- today's EBOCF.

Pairs are written ``P1``, ``P2`` (offer side of FPN) and ``M1``, ``M2`` (bid side); they are returned as
the Insights API's integer pair ids (1, 2, -1, -2). A side can hold pairs of either sign: an upward move
inside the ``M1`` band is an offer-side volume of pair -1. Numbers are kept as ``Decimal`` digit for
digit. Each ``TOTAL`` element is kept as published (:attr:`DerivedPeriod.published_totals`) so that the
arithmetic of the page can be checked, not assumed. A page that does not have this shape raises
:class:`DerivedDataFormatError` naming the file and the element.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

Side = Literal["bid", "offer"]
TotalKind = Literal["original", "tagged", "repriced", "originally_priced"]

_SIDES: dict[str, Side] = {"BID_VALUES": "bid", "OFFER_VALUES": "offer"}
_KINDS: dict[str, TotalKind] = {
    "ORIGINAL": "original",
    "TAGGED": "tagged",
    "REPRICED": "repriced",
    "ORIGINALPRICED": "originally_priced",
}
_PAIR = re.compile(r"^([PM])([1-9][0-9]*)$")


class DerivedDataFormatError(ValueError):
    """The XML is not a Derived BM Unit Data page (the message names the file and the element)."""


@dataclass(frozen=True)
class BmUnit:
    bm_unit: str  # Elexon id, e.g. T_ABTH7
    national_grid_bm_unit: str | None
    bm_unit_type: str | None
    lead_party_name: str | None


@dataclass(frozen=True)
class AcceptancePairVolume:
    """MWh one acceptance took from one pair in the period (today's BOAV ``pairVolumes``)."""

    bm_unit: str
    acceptance_id: int
    acceptance_duration: str  # "L" long / "S" short, as published
    side: Side
    pair_id: int
    volume_mwh: Decimal


@dataclass(frozen=True)
class PeriodPairTotal:
    """A period total per unit, side and pair (today's DISPTAV row of that ``dataType``)."""

    bm_unit: str
    kind: TotalKind
    side: Side
    pair_id: int
    volume_mwh: Decimal


@dataclass(frozen=True)
class PairCashflow:
    """Elexon's indicative cashflow per unit, side and pair (today's EBOCF ``bidOfferPairCashflows``)."""

    bm_unit: str
    side: Side
    pair_id: int
    cashflow_gbp: Decimal


@dataclass
class DerivedPeriod:
    """Everything on one page. ``published_totals`` maps a place to its ``TOTAL`` element:
    ``("acceptance", unit, acceptance_id, side)``, ``("period", unit, kind, side)``,
    ``("cashflow", unit, side)``."""

    source: str
    settlement_date: date
    settlement_period: int
    units: dict[str, BmUnit] = field(default_factory=dict)
    acceptance_volumes: list[AcceptancePairVolume] = field(default_factory=list)
    period_totals: list[PeriodPairTotal] = field(default_factory=list)
    cashflows: list[PairCashflow] = field(default_factory=list)
    published_totals: dict[tuple, Decimal] = field(default_factory=dict)

    def cashflow_pairs(self) -> dict[tuple[str, Side, int], tuple[Decimal, Decimal]]:
        """(unit, side, pair) -> (original period volume, cashflow) for every pair with volume or cashflow.

        A pair with volume and no CASHFLOW element (the page omits zero cashflows) gets cashflow 0.
        """
        volumes = {(t.bm_unit, t.side, t.pair_id): t.volume_mwh for t in self.period_totals if t.kind == "original"}
        cash = {(c.bm_unit, c.side, c.pair_id): c.cashflow_gbp for c in self.cashflows}
        return {k: (volumes.get(k, Decimal(0)), cash.get(k, Decimal(0))) for k in sorted({*volumes, *cash})}

    def acceptance_sums(self) -> dict[tuple[str, Side, int], Decimal]:
        """(unit, side, pair) -> sum over the unit's acceptances of their volume in that pair."""
        sums: dict[tuple[str, Side, int], Decimal] = defaultdict(Decimal)
        for a in self.acceptance_volumes:
            sums[(a.bm_unit, a.side, a.pair_id)] += a.volume_mwh
        return dict(sums)


def pair_id(tag: str) -> int:
    """``P2`` -> 2, ``M1`` -> -1 (the Insights API's pair ids)."""
    m = _PAIR.match(tag)
    if not m:
        raise ValueError(f"not a bid-offer pair tag: {tag!r}")
    return int(m.group(2)) * (1 if m.group(1) == "P" else -1)


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, what: str) -> DerivedDataFormatError:
        return DerivedDataFormatError(f"{self.source}: {where}: {what}")

    def one(self, parent: ET.Element, path: str, where: str) -> ET.Element:
        found = parent.findall(path)
        if len(found) != 1:
            raise self.fail(where, f"expected one <{path}>, found {len(found)}")
        return found[0]

    def attr(self, el: ET.Element, name: str, where: str) -> str:
        value = el.get(name)
        if value is None or not value.strip():
            raise self.fail(where, f"<{el.tag}> has no {name}")
        return value.strip()

    def number(self, el: ET.Element, where: str) -> Decimal:
        text = (el.text or "").strip()
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise self.fail(where, f"<{el.tag}> is not a number: {text!r}") from exc
        if not value.is_finite():
            raise self.fail(where, f"<{el.tag}> is not a finite number: {text!r}")
        return value

    def pairs(self, el: ET.Element, where: str) -> tuple[list[tuple[int, Decimal]], Decimal | None]:
        """The <P1>/<M1>... children of a values element as (pair id, number), and its <TOTAL> if any."""
        out: list[tuple[int, Decimal]] = []
        total = None
        seen: set[int] = set()
        for child in el:
            here = f"{where}/{child.tag}"
            if child.tag == "TOTAL":
                total = self.number(child, here)
                continue
            try:
                pid = pair_id(child.tag)
            except ValueError as exc:
                raise self.fail(here, f"unexpected element <{child.tag}> (want P<n>, M<n> or TOTAL)") from exc
            if pid in seen:
                raise self.fail(here, "pair given twice")
            seen.add(pid)
            out.append((pid, self.number(child, here)))
        return out, total


def parse_derived_bm_unit_data(path: str | Path) -> DerivedPeriod:
    """Parse one Derived BM Unit Data page (single settlement period) into :class:`DerivedPeriod`."""
    source = str(path)
    r = _Reader(source)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DerivedDataFormatError(f"{source}: not well-formed XML: {exc}") from exc
    this_sp = r.one(root, "SD/THIS_SP", "PAGE")
    try:
        sd = date.fromisoformat(r.attr(this_sp, "SD", "THIS_SP"))
        sp = int(r.attr(this_sp, "SP", "THIS_SP"))
    except ValueError as exc:
        raise r.fail("THIS_SP", f"bad settlement date or period: {exc}") from exc
    out = DerivedPeriod(source, sd, sp)
    derived = r.one(root, "SD/DERIVED_DATA", "PAGE")

    def unit_of(bmu: ET.Element, where: str) -> str:
        uid = r.attr(bmu, "ID", where)
        unit = BmUnit(uid, bmu.get("NGC_NAME"), bmu.get("TYPE"), bmu.get("LEAD_PARTY"))
        if out.units.setdefault(uid, unit) != unit:
            raise r.fail(where, f"BM unit {uid} described differently in two places")
        return uid

    def period_sp(section: str) -> ET.Element:
        block = r.one(derived, f"{section}/SP", section)
        if block.get("SP") != str(sp):
            raise r.fail(f"{section}/SP", f"period {block.get('SP')!r} is not the page's period {sp}")
        return block

    for bmu in period_sp("ACCEPTANCE_VOLS").findall("BMU"):
        uid = unit_of(bmu, "ACCEPTANCE_VOLS/BMU")
        for acc in bmu.findall("ACCEPT"):
            where = f"ACCEPTANCE_VOLS/BMU[{uid}]/ACCEPT"
            try:
                acc_id = int(r.attr(acc, "ID", where))
            except ValueError as exc:
                raise r.fail(where, f"acceptance ID {acc.get('ID')!r} is not an integer") from exc
            duration = r.attr(acc, "DUR", f"{where}[{acc_id}]")
            for tag, side in _SIDES.items():
                here = f"{where}[{acc_id}]/{tag}"
                values, total = r.pairs(r.one(acc, tag, here), here)
                for pid, vol in values:
                    out.acceptance_volumes.append(AcceptancePairVolume(uid, acc_id, duration, side, pid, vol))
                if total is not None:
                    out.published_totals[("acceptance", uid, acc_id, side)] = total

    for bmu in period_sp("ACCEPT_PERIOD_TOTS").findall("BMU"):
        uid = unit_of(bmu, "ACCEPT_PERIOD_TOTS/BMU")
        where = f"ACCEPT_PERIOD_TOTS/BMU[{uid}]"
        volume = r.one(bmu, "VOLUME", where)
        for tag, side in _SIDES.items():
            side_el = r.one(volume, tag, f"{where}/VOLUME")
            for kind_tag, kind in _KINDS.items():
                here = f"{where}/VOLUME/{tag}/{kind_tag}"
                values, total = r.pairs(r.one(side_el, kind_tag, here), here)
                for pid, vol in values:
                    out.period_totals.append(PeriodPairTotal(uid, kind, side, pid, vol))
                if total is not None:
                    out.published_totals[("period", uid, kind, side)] = total
        cashflow = r.one(bmu, "CASHFLOW", where)
        for tag, side in _SIDES.items():
            here = f"{where}/CASHFLOW/{tag}"
            values, total = r.pairs(r.one(cashflow, tag, here), here)
            for pid, cash in values:
                out.cashflows.append(PairCashflow(uid, side, pid, cash))
            if total is not None:
                out.published_totals[("cashflow", uid, side)] = total
    return out


def _pair_key(pid: int) -> str:
    """Insights pair id -> the key of a ``DerivedDataBidOfferPairs`` object (2 -> positive2, -1 -> negative1)."""
    return f"{'positive' if pid > 0 else 'negative'}{abs(pid)}"


def insights_records(page: DerivedPeriod, created: str) -> dict[str, list[dict]]:
    """The page as the Insights API would serve it: BOAV rows (one per unit, acceptance and side) and
    EBOCF rows (one per unit and side with a cashflow), with ``bidOffer`` set as the loader sets it
    from the route, ready for the loader's parser. Numbers go out as floats (the API's JSON numbers);
    ``created`` is the ``createdDateTime`` to stamp (the page has none).
    """
    from loaders.settlement import fmt_ts, period_start

    start = fmt_ts(period_start(page.settlement_date, page.settlement_period))

    def common(uid: str, side: Side) -> dict:
        unit = page.units[uid]
        return {
            "settlementDate": page.settlement_date.isoformat(),
            "settlementPeriod": page.settlement_period,
            "startTime": start,
            "createdDateTime": created,
            "bmUnit": unit.bm_unit,
            "bmUnitType": unit.bm_unit_type,
            "leadPartyName": unit.lead_party_name,
            "nationalGridBmUnit": unit.national_grid_bm_unit,
            "bidOffer": side,
        }

    acceptances: dict[tuple[str, int, Side], list[AcceptancePairVolume]] = defaultdict(list)
    for a in page.acceptance_volumes:
        acceptances[(a.bm_unit, a.acceptance_id, a.side)].append(a)
    boav = [
        {
            **common(uid, side),
            "acceptanceId": acc_id,
            "acceptanceDuration": rows[0].acceptance_duration,
            "totalVolumeAccepted": float(sum(r.volume_mwh for r in rows)),
            "pairVolumes": {_pair_key(r.pair_id): float(r.volume_mwh) for r in rows},
        }
        for (uid, acc_id, side), rows in sorted(acceptances.items())
    ]
    cash: dict[tuple[str, Side], list[PairCashflow]] = defaultdict(list)
    for c in page.cashflows:
        cash[(c.bm_unit, c.side)].append(c)
    ebocf = [
        {
            **common(uid, side),
            "bidOfferPairCashflows": {_pair_key(c.pair_id): float(c.cashflow_gbp) for c in rows},
            "totalCashflow": float(sum(c.cashflow_gbp for c in rows)),
        }
        for (uid, side), rows in sorted(cash.items())
    ]
    return {"BOAV": boav, "EBOCF": ebocf}
