"""SYNTHETIC DISPTAV and ISPSTACK rows, consistent with the sample's BOD, BOALF and BOAV.

Nothing here is real Elexon data. Both datasets are derived from the same BM model of the day
(:mod:`loaders.samples.synthetic_bm`) and the same volume calculation as the sample's BOAV
(:func:`~loaders.samples.synthetic_bm.pair_volumes`), so they agree with it by construction:

- **DISPTAV** (``dataType`` ``Original``): per unit, period and side, the period total of every pair
  = the sum over the unit's acceptances of BOAV's per-acceptance pair volumes (RR-flagged
  acceptances are left out, as in BOAV);
- **ISPSTACK**: per period and side, one stack item per acceptance and pair with volume on that side,
  priced at that pair's BOD price of the side (``originalPrice`` = ``finalPrice``), ``volume`` the
  accepted volume (bids negative, as in BOAV). A pair whose price is a sentinel (9999: wind
  offers) is in the stack at that price, as submitted (``boalf_complete`` leaves it unpriced). The
  items are ordered by price (offers cheapest first, bids dearest first) and numbered
  ``sequenceNumber`` 1..n. ``transmissionLossMultiplier`` is 1: the sample's EBOCF is volume x price
  with no loss adjustment, so a TLM of 1 keeps the three consistent.

Keys of the result: ``"DISPTAV/bid"``, ``"DISPTAV/offer"``, ``"ISPSTACK/bid"``, ``"ISPSTACK/offer"``
(the rows carry no ``bidOffer``; the API puts it in the path).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from loaders.samples.synthetic_bm import UnitDay, pair_volumes, touched_periods
from loaders.settlement import day_start_utc, fmt_ts

GENERATED = frozenset({"DISPTAV", "ISPSTACK"})
SIDES = ("offer", "bid")
_KEEP = 1e-9  # MWh below which a side's volume is nothing

Row = dict[str, Any]


def _pairs(values: dict[int, float]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for i in range(1, 7):
        out[f"negative{i}"] = round(values[-i], 6) if -i in values else None
        out[f"positive{i}"] = round(values[i], 6) if i in values else None
    return out


def generate(names: set[str] | frozenset[str], day: date, uds: list[UnitDay]) -> dict[str, list[Row]]:
    """Rows of ``names`` (a subset of :data:`GENERATED`) for settlement day ``day``."""
    start = day_start_utc(day)

    def ts(minute: int) -> str:
        return fmt_ts(start + timedelta(minutes=minute))

    out: dict[str, list[Row]] = {f"{n}/{s}": [] for n in sorted(names & GENERATED) for s in SIDES}
    stack: dict[tuple[int, str], list[Row]] = {}
    for ud in uds:
        u = ud.unit
        for p in touched_periods(ud):
            per_acc = pair_volumes(ud, p)
            if not per_acc:
                continue
            prices = {i + 1: px for i, px in enumerate(ud.offer_px[p])}
            prices |= {-(i + 1): px for i, px in enumerate(ud.bid_px[p])}
            common = {"settlementDate": day.isoformat(), "settlementPeriod": p + 1, "startTime": ts(30 * p)}
            created = ts(30 * p + 30 + 24 * 60 + 15)
            for idx, side in enumerate(SIDES):
                totals: dict[int, float] = {}
                for k, vols in per_acc.items():
                    acc = ud.acceptances[k]
                    for pid, v in vols.items():
                        vol = v[idx]
                        if abs(vol) <= _KEEP:
                            continue
                        totals[pid] = totals.get(pid, 0.0) + vol
                        price = prices[pid][idx]
                        stack.setdefault((p, side), []).append(
                            {
                                **common,
                                "createdDateTime": created,
                                "id": u.bm_unit,
                                "acceptanceId": acc.number,
                                "bidOfferPairId": pid,
                                "cadlFlag": False,
                                "soFlag": acc.so,
                                "storProviderFlag": acc.stor,
                                "repricedIndicator": False,
                                "reserveScarcityPrice": None,
                                "originalPrice": price,
                                "volume": round(vol, 6),
                                "dmatAdjustedVolume": round(vol, 6),
                                "arbitrageAdjustedVolume": round(vol, 6),
                                "nivAdjustedVolume": round(vol, 6),
                                "parAdjustedVolume": 0.0,
                                "finalPrice": price,
                                "transmissionLossMultiplier": 1.0,
                                "tlmAdjustedVolume": round(vol, 6),
                                "tlmAdjustedCost": round(vol * price, 6),
                            }
                        )
                if "DISPTAV" in names and totals:
                    out[f"DISPTAV/{side}"].append(
                        {
                            "createdDateTime": created,
                            **common,
                            "bmUnit": u.bm_unit,
                            "bmUnitType": u.unit_type,
                            "leadPartyName": u.lead_party,
                            "nationalGridBmUnit": u.ng_unit,
                            "dataType": "Original",
                            "totalVolumeAccepted": round(sum(totals.values()), 6),
                            "pairVolumes": _pairs(totals),
                        }
                    )
    if "ISPSTACK" in names:
        for (_, side), items in sorted(stack.items()):
            sign = 1 if side == "offer" else -1
            items.sort(key=lambda r: (sign * r["originalPrice"], r["id"], r["acceptanceId"], r["bidOfferPairId"]))
            for n, item in enumerate(items, start=1):
                out[f"ISPSTACK/{side}"].append({**item, "sequenceNumber": n})
    for key in out:
        out[key].sort(key=lambda r: r["settlementPeriod"])
    return out
