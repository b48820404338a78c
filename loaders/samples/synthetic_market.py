"""SYNTHETIC market and system datasets for one settlement day (prices, generation mix, demand,
frequency, forecasts, REMIT, BSAD) -- invented numbers on realistic curves, see :mod:`synthetic`.

Every generator returns the rows whose registry window column falls in settlement day ``day``
([local midnight, next local midnight) in UTC, or ``settlementDate == day``), sorted by it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from loaders.samples.settlement import LONDON, PERIOD, day_bounds_utc, fmt_ts, periods_in_day, settlement_of
from loaders.samples.synthetic_fleet import Unit, fleet, u01

Row = dict[str, Any]
FUEL_TYPES = (
    "BIOMASS",
    "CCGT",
    "COAL",
    "INTELEC",
    "INTEW",
    "INTFR",
    "INTGRNL",
    "INTIFA2",
    "INTIRL",
    "INTNED",
    "INTNEM",
    "INTNSL",
    "INTVKL",
    "NPSHYD",
    "NUCLEAR",
    "OCGT",
    "OIL",
    "OTHER",
    "PS",
    "WIND",
)
_INTERCONNECTORS = {
    "INTELEC": 800,
    "INTEW": 150,
    "INTFR": 1800,
    "INTGRNL": 500,
    "INTIFA2": 900,
    "INTIRL": -150,
    "INTNED": 700,
    "INTNEM": 750,
    "INTNSL": 1100,
    "INTVKL": 600,
}
_REMIT_FUEL = {
    "ccgt": "Fossil Gas",
    "ocgt": "Fossil Gas",
    "wind": "Wind Offshore",
    "biomass": "Biomass",
    "nuclear": "Nuclear",
    "pumped": "Hydro Pumped Storage",
    "battery": "Other",
    "flex": "Other",
}
_BMU_FUEL = {"ccgt": "CCGT", "ocgt": "OCGT", "wind": "WIND", "biomass": "BIOMASS", "nuclear": "NUCLEAR", "pumped": "PS"}


def _hour(t: datetime) -> float:
    lt = t.astimezone(LONDON)
    return lt.hour + lt.minute / 60


def demand_mw(seed: int, t: datetime) -> float:
    """National demand: overnight trough ~21 GW, evening peak ~33 GW."""
    h = _hour(t)
    shape = 0.5 - 0.5 * math.cos(2 * math.pi * (h - 4) / 24) + (0.25 if 16.5 <= h < 19.5 else 0.0)
    return 21_000 + 10_000 * shape + 400 * (u01(seed, int(t.timestamp() // 1800), 11) - 0.5)


def wind_mw(seed: int, t: datetime) -> float:
    x = t.timestamp() / 3600
    f = 0.5 + 0.3 * math.sin(x / 19 + 6.28 * u01(seed, 1)) + 0.12 * math.sin(x / 4.1 + 6.28 * u01(seed, 2))
    return 14_000 * min(max(f, 0.03), 1.0)


def system_price(seed: int, t: datetime) -> float:
    h, slot = _hour(t), int(t.timestamp() // 1800)
    price = 62 + 45 * (16.5 <= h < 19.5) + 18 * (7 <= h < 10) + 25 * (u01(seed, slot, 12) - 0.5)
    if u01(seed, slot, 13) < 0.03:
        price += 150  # occasional spike
    if h < 5 and wind_mw(seed, t) > 11_000:
        price -= 80  # windy nights go negative
    return round(price, 2)


def _mix(seed: int, t: datetime) -> dict[str, int]:
    h, slot = _hour(t), int(t.timestamp() // 300)
    gen = {f: 0.0 for f in FUEL_TYPES}
    gen |= {k: v * (0.9 + 0.2 * u01(seed, slot // 6, i)) for i, (k, v) in enumerate(_INTERCONNECTORS.items())}
    gen |= {
        "NUCLEAR": 4_500.0,
        "BIOMASS": 1_900 + 300 * u01(seed, slot, 21),
        "NPSHYD": 300.0,
        "OTHER": 180.0,
        "WIND": wind_mw(seed, t),
    }
    gen["PS"] = 900.0 if 17 <= h < 20 else 0.0
    gen["OCGT"] = 60.0 if 16.5 <= h < 19.5 else 0.0
    gen["CCGT"] = max(demand_mw(seed, t) - sum(gen.values()), 500.0)
    return {k: round(v) for k, v in gen.items()}


def _times(start: datetime, end: datetime, step: timedelta, offset: timedelta) -> list[datetime]:
    """Times ``x`` on the ``step`` grid from ``start - offset`` with ``x + offset`` in [start, end)."""
    out, x = [], start - offset
    while x + offset < end:
        out.append(x)
        x += step
    return out


def _fuel(name: str, day: date, seed: int, step: timedelta) -> list[Row]:
    start, end = day_bounds_utc(day)
    rows = []
    for st in _times(start, end, step, step):
        sd, sp = settlement_of(st)
        mix = _mix(seed, st)
        common = {
            "dataset": name,
            "publishTime": fmt_ts(st + step),
            "startTime": fmt_ts(st),
            "settlementDate": sd.isoformat(),
            "settlementPeriod": sp,
        }
        rows += [{**common, "fuelType": f, "generation": mix[f]} for f in FUEL_TYPES]
    return rows


def _period_starts(day: date) -> list[datetime]:
    start, _ = day_bounds_utc(day)
    return [start + i * PERIOD for i in range(periods_in_day(day))]


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
    for sp, st in enumerate(_period_starts(day), start=1):
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
    for sp, st in enumerate(_period_starts(day), start=1):
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
    start, end = day_bounds_utc(day)
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


def _indicated(name: str, day: date, seed: int, scale: str) -> list[Row]:
    start, end = day_bounds_utc(day)
    field, sign = ("generation", 1) if name == "INDGEN" else ("demand", -1)
    boundaries = ["N", "B1", "B6"] if scale == "demo" else ["N", *[f"B{i}" for i in range(1, 18)]]
    rows = []
    for pub in _times(start, end, PERIOD, timedelta(0)):
        pub = pub + timedelta(minutes=17)
        first = pub - timedelta(minutes=17) + PERIOD
        for k in range(16):
            st = first + k * PERIOD
            sd, sp = settlement_of(st)
            base = demand_mw(seed, st) * (1 + 0.02 * (u01(seed, int(pub.timestamp()), k, 20) - 0.5))
            for j, b in enumerate(boundaries):
                share = 1.0 if b == "N" else 0.02 + 0.03 * u01(seed, j, 22)
                rows.append(
                    {
                        "dataset": name,
                        field: sign * round(base * share),
                        "publishTime": fmt_ts(pub),
                        "startTime": fmt_ts(st),
                        "settlementDate": sd.isoformat(),
                        "settlementPeriod": sp,
                        "boundary": b,
                    }
                )
    return rows


def _outturn(name: str, day: date, seed: int) -> list[Row]:
    start, end = day_bounds_utc(day)
    keyed = []
    for st in _times(start, end, PERIOD, 2 * PERIOD):
        sd, sp = settlement_of(st)
        demand = demand_mw(seed, st) + (1_800 if name == "ITSDO" else 0)
        publishes = [(st + PERIOD, 0)]
        if int(st.timestamp() // 1800) % 4 == 0:  # a later revised publish for some periods
            publishes.append((st + 2 * PERIOD, round(150 * (u01(seed, sp, 23) - 0.5))))
        for pub, delta in publishes:
            if start <= pub < end:
                keyed.append(
                    (
                        pub,
                        {
                            "dataset": name,
                            "publishTime": fmt_ts(pub),
                            "startTime": fmt_ts(st),
                            "settlementDate": sd.isoformat(),
                            "settlementPeriod": sp,
                            "demand": round(demand) + delta,
                        },
                    )
                )
    keyed.sort(key=lambda k: k[0])
    return [r for _, r in keyed]


def _windfor(day: date, seed: int) -> list[Row]:
    start, end = day_bounds_utc(day)
    rows = []
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        for hh in (3, 5, 8, 10, 12, 16, 19, 23):
            pub = datetime(d.year, d.month, d.day, hh, 30, tzinfo=start.tzinfo)
            if not start <= pub < end:
                continue
            base = pub.replace(minute=0) - timedelta(hours=3)
            for k in range(52):
                st = base + timedelta(hours=k)
                err = 1 + 0.1 * (k / 52) * (u01(seed, int(pub.timestamp()), k, 24) - 0.5)
                rows.append(
                    {
                        "dataset": "WINDFOR",
                        "publishTime": fmt_ts(pub),
                        "startTime": fmt_ts(st),
                        "generation": round(wind_mw(seed, st) * err),
                    }
                )
    return rows


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


def _remit(day: date, seed: int, scale: str) -> list[Row]:
    start, _ = day_bounds_utc(day)
    rng = random.Random(f"{seed}:{day}:REMIT")
    units = [u for u in fleet(scale) if u.kind not in ("battery", "flex")]
    keyed = []
    for i in range(4 if scale == "demo" else 40):
        u = rng.choice(units)
        mrid = f"SYNTH-{day:%Y%m%d}-{i:05d}"
        ev_start = start + timedelta(hours=rng.randint(2, 60))
        pub = start + timedelta(minutes=rng.randint(0, 16 * 60), seconds=rng.randint(0, 59))
        planned = rng.random() < 0.5
        for rev in range(1, rng.randint(2, 4) + 1):
            ev_end = ev_start + timedelta(hours=rng.randint(4, 96))
            avail = round(u.export_mw * rng.choice((0.0, 0.25, 0.5, 0.75)), 1)
            mid = ev_start + (ev_end - ev_start) / 2
            row = {
                "dataset": "REMIT",
                "mrid": mrid,
                "revisionNumber": rev,
                "publishTime": fmt_ts(pub),
                "createdTime": fmt_ts(pub - timedelta(minutes=rng.randint(1, 5))),
                "messageType": "UnavailabilitiesOfElectricityFacilities",
                "messageHeading": "REMIT Information",
                "eventType": "Production unavailability",
                "unavailabilityType": "Planned" if planned else "Unplanned",
                "participantId": "SYNTH",
                "registrationCode": "48XSYNTH-------0",
                "assetId": u.bm_unit,
                "assetType": "Production",
                "affectedUnit": u.ng_unit,
                "affectedUnitEIC": f"48WSYNTH{u.index:07d}X",
                "affectedArea": f"B{1 + u.index % 17}",
                "biddingZone": "10YGB----------A",
                "fuelType": _REMIT_FUEL[u.kind],
                "normalCapacity": u.export_mw,
                "availableCapacity": avail,
                "unavailableCapacity": round(u.export_mw - avail, 1),
                "eventStatus": "Active",
                "eventStartTime": fmt_ts(ev_start),
                "eventEndTime": fmt_ts(ev_end),
                "durationUncertainty": rng.choice((None, "+- 1 day", "+- 2 hours")),
                "cause": "Planned maintenance" if planned else "Unplanned outage",
                "relatedInformation": f"Synthetic sample message, revision {rev}",
                "outageProfile": [
                    {"startTime": fmt_ts(ev_start), "endTime": fmt_ts(mid), "capacity": avail},
                    {"startTime": fmt_ts(mid), "endTime": fmt_ts(ev_end), "capacity": round(avail / 2, 1)},
                ],
            }
            if row["durationUncertainty"] is None:  # the API omits some null fields
                del row["durationUncertainty"]
            keyed.append((pub, i, rev, row))
            pub += timedelta(minutes=rng.randint(20, 180))
            if pub >= start + timedelta(hours=22):
                break
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [r for *_, r in keyed]


def bmunits(units: tuple[Unit, ...], seed: int) -> list[Row]:
    rows = []
    for u in units:
        tlf = 0.03 * (u01(seed, u.index, 30) - 0.5)
        rows.append(
            {
                "nationalGridBmUnit": u.ng_unit,
                "elexonBmUnit": u.bm_unit,
                "eic": f"48WSYNTH{u.index:07d}X" if u.unit_type == "T" else None,
                "fuelType": _BMU_FUEL.get(u.kind),
                "leadPartyName": u.lead_party,
                "bmUnitType": u.unit_type,
                "fpnFlag": True,
                "bmUnitName": u.ng_unit,
                "leadPartyId": f"SYN{u.index % 97:02d}",
                "demandCapacity": f"{-u.import_mw:.3f}",
                "generationCapacity": f"{u.export_mw:.3f}",
                "productionOrConsumptionFlag": "P" if u.import_mw == 0 else "C",
                "transmissionLossFactor": f"{tlf:.7f}",
                "workingDayCreditAssessmentImportCapability": f"{-0.4 * u.import_mw:.3f}",
                "nonWorkingDayCreditAssessmentImportCapability": f"{-0.4 * u.import_mw:.3f}",
                "workingDayCreditAssessmentExportCapability": f"{0.4 * u.export_mw:.3f}",
                "nonWorkingDayCreditAssessmentExportCapability": f"{0.4 * u.export_mw:.3f}",
                "creditQualifyingStatus": True,
                "demandInProductionFlag": False,
                "gspGroupId": "_K" if u.unit_type != "T" else None,
                "gspGroupName": "South Wales" if u.unit_type != "T" else None,
                "interconnectorId": None,
            }
        )
    return rows


_SIMPLE: dict[str, Callable[[date, int], list[Row]]] = {
    "MID": _mid,
    "FREQ": _freq,
    "WINDFOR": _windfor,
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
        return _indicated(name, day, seed, scale)
    if name in ("INDO", "ITSDO"):
        return _outturn(name, day, seed)
    if name == "REMIT":
        return _remit(day, seed, scale)
    raise ValueError(f"no synthetic generator for {name!r}")
