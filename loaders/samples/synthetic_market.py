"""SYNTHETIC market and system datasets for one settlement day (prices, generation mix, demand,
frequency, BSAD) -- invented numbers on realistic curves, see :mod:`synthetic`.

Every generator returns the rows whose registry window column falls in settlement day ``day``
([local midnight, next local midnight) in UTC, or ``settlementDate == day``), sorted by it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from loaders.samples import synthetic_forecast as forecast
from loaders.samples.synthetic_curves import FUEL_TYPES, mix, period_starts, system_price, times
from loaders.samples.synthetic_fleet import u01
from loaders.settlement import PERIOD, day_bounds, fmt_ts, periods_in_day, settlement_period_of

Row = dict[str, Any]


def _fuel(name: str, day: date, seed: int, step: timedelta) -> list[Row]:
    start, end = day_bounds(day)
    rows = []
    for st in times(start, end, step, step):
        sd, sp = settlement_period_of(st)
        gen = mix(seed, st)
        common = {
            "dataset": name,
            "publishTime": fmt_ts(st + step),
            "startTime": fmt_ts(st),
            "settlementDate": sd.isoformat(),
            "settlementPeriod": sp,
        }
        rows += [{**common, "fuelType": f, "generation": gen[f]} for f in FUEL_TYPES]
    return rows


def _disebsp(day: date, seed: int, settlement: dict[str, list[Row]], so: set[tuple[str, int]]) -> list[Row]:
    def totals(key: str) -> tuple[dict[int, float], dict[int, float]]:
        total: dict[int, float] = {}
        tagged: dict[int, float] = {}
        for r in settlement.get(key, []):
            sp, v = r["settlementPeriod"], r["totalVolumeAccepted"]
            total[sp] = total.get(sp, 0.0) + v
            if (r["bmUnit"], r["acceptanceId"]) in so:
                tagged[sp] = tagged.get(sp, 0.0) + v
        return total, tagged

    (offer, offer_so), (bid, bid_so) = totals("BOAV/offer"), totals("BOAV/bid")
    rows = []
    for sp, st in enumerate(period_starts(day), start=1):
        o, b = round(offer.get(sp, 0.0), 6), round(bid.get(sp, 0.0), 6)
        niv = round(o + b + 30 * (u01(seed, sp, 14, day.toordinal()) - 0.5), 6)
        price = system_price(seed, st)
        rows.append(
            {
                "settlementDate": day.isoformat(),
                "settlementPeriod": sp,
                "startTime": fmt_ts(st),
                "createdDateTime": fmt_ts(st + PERIOD + timedelta(days=1, minutes=14)),
                "systemSellPrice": price,
                "systemBuyPrice": price,
                "bsadDefaulted": False,
                "priceDerivationCode": "P" if niv > 0 else "N",
                "reserveScarcityPrice": 0.0,
                "netImbalanceVolume": niv,
                "sellPriceAdjustment": 0.0,
                "buyPriceAdjustment": 0.0,
                "replacementPrice": None,
                "replacementPriceReferenceVolume": None,
                "totalAcceptedOfferVolume": o,
                "totalAcceptedBidVolume": b,
                "totalAdjustmentSellVolume": 0.0,
                "totalAdjustmentBuyVolume": 0.0,
                "totalSystemTaggedAcceptedOfferVolume": round(o - offer_so.get(sp, 0.0), 6),
                "totalSystemTaggedAcceptedBidVolume": round(b - bid_so.get(sp, 0.0), 6),
                "totalSystemTaggedAdjustmentSellVolume": None,
                "totalSystemTaggedAdjustmentBuyVolume": None,
            }
        )
    return rows


def _mid(day: date, seed: int) -> list[Row]:
    rows = []
    for sp, st in enumerate(period_starts(day), start=1):
        price = system_price(seed, st)
        common = {"dataset": "MID", "startTime": fmt_ts(st)}
        tail = {"settlementDate": day.isoformat(), "settlementPeriod": sp}
        apx_price = round(price - 4 + 6 * u01(seed, sp, 15, day.toordinal()), 2)
        rows.append(
            {
                **common,
                "dataProvider": "APXMIDP",
                **tail,
                "price": apx_price,
                "volume": round(800 + 2_500 * u01(seed, sp, 16, day.toordinal()), 2),
            }
        )
        zero = u01(seed, sp, 17, day.toordinal()) < 0.4  # N2EX rows of 0/0 are normal
        rows.append(
            {
                **common,
                "dataProvider": "N2EXMIDP",
                **tail,
                "price": 0.0 if zero else round(apx_price + 3 * (u01(seed, sp, 18) - 0.5), 2),
                "volume": 0.0 if zero else round(100 + 900 * u01(seed, sp, 19, day.toordinal()), 2),
            }
        )
    return rows


def _freq(day: date, seed: int) -> list[Row]:
    start, end = day_bounds(day)
    n = int((end - start).total_seconds() // 15)
    rng = random.Random(f"{seed}:{day}:FREQ")
    x, values = 0.0, []
    for _ in range(n):
        x = 0.96 * x + rng.gauss(0, 0.007)
        values.append(x)
    shape = [0.3, 0.65, 0.9, 1.0, 1.0, 0.95, 0.85, 0.7, *[0.7 - 0.06 * k for k in range(1, 12)]]
    for _ in range(rng.randint(1, 2)):  # excursions beyond +-0.2 Hz lasting 45-75 s
        i0, depth = rng.randrange(100, n - 100), rng.uniform(0.23, 0.34) * rng.choice((-1, 1))
        for k, s in enumerate(shape):
            values[i0 + k] += depth * s
    return [
        {"dataset": "FREQ", "measurementTime": fmt_ts(start + timedelta(seconds=15 * i)), "frequency": round(50 + v, 3)}
        for i, v in enumerate(values)
    ]


def _disbsad(day: date, seed: int) -> list[Row]:
    rng = random.Random(f"{seed}:{day}:DISBSAD")
    rows = []
    for sp in range(1, periods_in_day(day) + 1):
        common = {"dataset": "DISBSAD", "settlementDate": day.isoformat(), "settlementPeriod": sp}
        k = rng.choice((0, 0, 1, 1, 2, 3))
        if k == 0:
            if rng.random() < 0.5:  # placeholder row, as seen in real data
                rows.append(
                    {
                        **common,
                        "id": 1,
                        "cost": 0.0,
                        "volume": 0.0,
                        "soFlag": True,
                        "storFlag": False,
                        "partyId": None,
                        "assetId": None,
                        "isTendered": None,
                        "service": None,
                    }
                )
            continue
        for i in range(1, k + 1):
            vol = round(rng.uniform(5, 120) * rng.choice((-1, 1)), 3)
            rows.append(
                {
                    **common,
                    "id": i,
                    "cost": round(vol * rng.uniform(40, 180), 2),
                    "volume": vol,
                    "soFlag": rng.random() < 0.5,
                    "storFlag": False,
                    "partyId": "Synthetic Trading Limited",
                    "assetId": f"SYN-ASSET{rng.randint(1, 9)}",
                    "isTendered": rng.random() < 0.7,
                    "service": rng.choice(("Energy", "System")),
                }
            )
    return rows


def _netbsad(day: date, seed: int) -> list[Row]:
    rng = random.Random(f"{seed}:{day}:NETBSAD")
    rows = []
    for sp in range(1, periods_in_day(day) + 1):
        active = rng.random() < 0.3
        v = round(rng.uniform(10, 200), 3) if active else 0.0
        c = round(v * rng.uniform(50, 150), 2) if active else 0.0
        rows.append(
            {
                "dataset": "NETBSAD",
                "settlementDate": day.isoformat(),
                "settlementPeriod": sp,
                "netBuyPriceCostAdjustmentEnergy": c,
                "netBuyPriceVolumeAdjustmentEnergy": v,
                "netBuyPriceVolumeAdjustmentSystem": 0.0,
                "buyPricePriceAdjustment": 0.0,
                "netSellPriceCostAdjustmentEnergy": 0.0,
                "netSellPriceVolumeAdjustmentEnergy": 0.0,
                "netSellPriceVolumeAdjustmentSystem": round(-v / 2, 3) if active else 0.0,
                "sellPricePriceAdjustment": 0.0,
            }
        )
    return rows


_SIMPLE: dict[str, Callable[[date, int], list[Row]]] = {
    "MID": _mid,
    "FREQ": _freq,
    "WINDFOR": forecast.windfor,
    "DISBSAD": _disbsad,
    "NETBSAD": _netbsad,
}
DAY_DATASETS = (
    "DISEBSP",
    "MID",
    "FUELINST",
    "FUELHH",
    "FREQ",
    "REMIT",
    "INDGEN",
    "INDDEM",
    "INDO",
    "ITSDO",
    "WINDFOR",
    "DISBSAD",
    "NETBSAD",
)


def generate(
    name: str, day: date, scale: str, seed: int, settlement: dict[str, list[Row]], so: set[tuple[str, int]]
) -> list[Row]:
    if name in _SIMPLE:
        return _SIMPLE[name](day, seed)
    if name == "DISEBSP":
        return _disebsp(day, seed, settlement, so)
    if name in ("FUELINST", "FUELHH"):
        return _fuel(name, day, seed, timedelta(minutes=5 if name == "FUELINST" else 30))
    if name in ("INDGEN", "INDDEM"):
        return forecast.indicated(name, day, seed, scale)
    if name in ("INDO", "ITSDO"):
        return forecast.outturn(name, day, seed)
    if name == "REMIT":
        return forecast.remit(day, seed, scale)
    raise ValueError(f"no synthetic generator for {name!r}")
