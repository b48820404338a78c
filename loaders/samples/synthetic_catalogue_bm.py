"""SYNTHETIC catalogue datasets that must agree with the rest of the sample (issue #11, item 3).

Nothing produced here is real Elexon data. Each generator derives its rows from the same synthetic
model as the datasets it must agree with, so the sample can be checked end to end:

- **QPN** near PN: units of the fleet (every third) declare a quiescent notification on the same
  segments as their PN, a few MW under it (whole MW, as the API's integers);
- **B1610** near the accepted profile: each unit's metered MWh per period is the integral of its
  accepted profile (FPN, replaced by each acceptance where it applies: the level BOAV settles
  against) with at most ±0.5 % metering error;
- **AGPT** / **AGWS** and FUELHH: per period, AGPT's production types are FUELHH's fuel types
  mapped to the EU categories (interconnectors left out; wind split onshore/offshore), so AGPT's
  total without Solar equals FUELHH's total without interconnectors; Solar (embedded, not in
  FUELHH) is AGPT-only. AGWS repeats AGPT's wind and solar values;
- **NDF** / **TSDF** near INDO / ITSDO: forecasts of the same demand curve, within ±2.5 %
  (more the further ahead); TSDF's national boundary is on ITSDO's basis;
- **INDOD** = the previous day's first-published INDO values summed and halved (MWh).

Plausible rather than cross-checked (nothing to agree with, but read next to the fleet): the dynamic
data (SEL … RDRI) of each fleet unit from its kind and MEL/MIL; DGWS within ±10 % of the AGWS values
of the next day; NDFD/TSDFD as the forecast day's demand peak; TEMP one seasonal value a day.

Every function returns the rows of settlement day ``day`` (the registry window column in that day),
like :mod:`loaders.samples.synthetic_market`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from loaders.samples.synthetic_bm import UnitDay
from loaders.samples.synthetic_curves import demand_mw, local_hour, mix, period_starts
from loaders.samples.synthetic_fleet import Unit, fleet, u01
from loaders.settlement import PERIOD, day_bounds, fmt_ts, settlement_period_of

Row = dict[str, Any]

# FUELHH fuel type -> AGPT production type (EU 543/2013 categories); INT* (interconnectors) have none.
FUEL_TO_PSR = {
    "BIOMASS": "Biomass",
    "CCGT": "Fossil Gas",
    "OCGT": "Fossil Gas",
    "COAL": "Fossil Hard coal",
    "OIL": "Fossil Oil",
    "NUCLEAR": "Nuclear",
    "NPSHYD": "Hydro Run-of-river and poundage",
    "PS": "Hydro Pumped Storage",
    "OTHER": "Other",
}
WIND_ONSHORE_SHARE = 0.4
SOLAR_PEAK_MW = 9_000
# Datasets this module generates (the other catalogue datasets get generic rows).
BM_UNIT_DATASETS = ("QPN", "B1610")
DAY_DATASETS = ("AGPT", "AGWS", "DGWS", "NDF", "TSDF", "NDFD", "TSDFD", "INDOD", "TEMP")
DYNAMIC_DATASETS = ("SEL", "SIL", "MDV", "MDP", "NDZ", "NTO", "NTB", "MZT", "MNZT", "RURE", "RDRE", "RURI", "RDRI")
GENERATED = (*BM_UNIT_DATASETS, *DAY_DATASETS, *DYNAMIC_DATASETS)
TSDF_BOUNDARIES = ("N", "B1", "B6")
_BUSINESS_TYPE = {"Solar": "Solar generation", "Wind Onshore": "Wind generation", "Wind Offshore": "Wind generation"}
_TSDF_EXTRA_MW = 1_800  # ITSDO is INDO + 1,800 MW in the synthetic outturn


def solar_mw(seed: int, t: datetime) -> float:
    """Embedded solar: a midday bell between 06:00 and 20:00 local time, with cloud."""
    h = local_hour(t)
    if not 6 <= h < 20:
        return 0.0
    cloud = 0.6 + 0.4 * u01(seed, int(t.timestamp() // 10_800), 31)
    return SOLAR_PEAK_MW * math.sin(math.pi * (h - 6) / 14) ** 2 * cloud


def production(seed: int, start: datetime) -> dict[str, int]:
    """AGPT quantities (MW) of the period starting ``start``, from FUELHH's mix of that period."""
    gen = mix(seed, start)
    out: dict[str, int] = {}
    for fuel, psr in FUEL_TO_PSR.items():
        out[psr] = out.get(psr, 0) + gen[fuel]
    onshore = round(gen["WIND"] * WIND_ONSHORE_SHARE)
    out["Wind Onshore"] = onshore
    out["Wind Offshore"] = gen["WIND"] - onshore
    out["Solar"] = round(solar_mw(seed, start))
    return out


# -- BM unit datasets (from the fleet model of the day) --------------------------------------------


def accepted_level(ud: UnitDay, minute: float) -> float:
    """The unit's accepted profile at ``minute``: FPN, replaced by each acceptance (in order) where it applies."""
    q = ud.fpn(minute)
    for acc in ud.acceptances:
        level = acc.level(minute)
        if level is not None:
            q = level
    return q


def b1610(uds: list[UnitDay], day: date, seed: int) -> list[Row]:
    start, _ = day_bounds(day)
    rows = []
    for p in range(uds[0].n_periods if uds else 0):
        end = fmt_ts(start + (p + 1) * PERIOD)
        for ud in uds:
            u = ud.unit
            spots = [accepted_level(ud, m) for m in range(30 * p, 30 * p + 31)]
            mwh = (sum(spots) - (spots[0] + spots[-1]) / 2) / 60
            error = 1 + 0.01 * (u01(seed, day.toordinal(), u.index, p, 32) - 0.5)
            rows.append(
                {
                    "dataset": "B1610",
                    "psrType": "Generation",
                    "bmUnit": u.bm_unit,
                    "nationalGridBmUnitId": u.ng_unit,
                    "settlementDate": day.isoformat(),
                    "settlementPeriod": p + 1,
                    "halfHourEndTime": end,
                    "quantity": round(mwh * error, 3),
                }
            )
    return rows


def qpn(uds: list[UnitDay], day: date) -> list[Row]:
    start, _ = day_bounds(day)
    keyed = []
    for ud in uds:
        u = ud.unit
        if u.index % 3:
            continue
        for (m0, l0), (m1, l1) in zip(ud.pn, ud.pn[1:], strict=False):
            keyed.append(
                (
                    m0,
                    u.index,
                    {
                        "dataset": "QPN",
                        "settlementDate": day.isoformat(),
                        "settlementPeriod": m0 // 30 + 1,
                        "timeFrom": fmt_ts(start + timedelta(minutes=m0)),
                        "timeTo": fmt_ts(start + timedelta(minutes=m1)),
                        "levelFrom": _below(l0),
                        "levelTo": _below(l1),
                        "nationalGridBmUnit": u.ng_unit,
                        "bmUnit": u.bm_unit,
                    },
                )
            )
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [r for *_, r in keyed]


def _below(level: float) -> int:
    """A quiescent level a few MW inside the PN level (towards zero), whole MW."""
    if level >= 0:
        return max(math.floor(level * 0.97) - 1, 0)
    return min(math.ceil(level * 0.97) + 1, 0)


# -- system-wide datasets ------------------------------------------------------------------------


def _agpt_like(name: str, day: date, seed: int) -> list[Row]:
    start, end = day_bounds(day)
    delay = PERIOD + timedelta(minutes=15)  # published a quarter of an hour after the period ends
    rows = []
    for st in [*period_starts(day - timedelta(days=1)), *period_starts(day)]:
        pub = st + delay
        if not start <= pub < end:
            continue
        sd, sp = settlement_period_of(st)
        values = production(seed, st)
        if name == "AGWS":
            values = {k: values[k] for k in ("Solar", "Wind Offshore", "Wind Onshore")}
        for psr, quantity in sorted(values.items()):
            business = _BUSINESS_TYPE.get(psr, "Production") if name == "AGWS" else "Production"
            rows.append(
                {
                    "dataset": name,
                    "documentId": f"SYNTH-{name}-{sd:%Y%m%d}-{sp:02d}",
                    "documentRevisionNumber": 1,
                    "publishTime": fmt_ts(pub),
                    "businessType": business,
                    "psrType": psr,
                    "quantity": float(quantity),
                    "startTime": fmt_ts(st),
                    "settlementDate": sd.isoformat(),
                    "settlementPeriod": sp,
                }
            )
    return rows


def agpt(day: date, seed: int) -> list[Row]:
    return _agpt_like("AGPT", day, seed)


def agws(day: date, seed: int) -> list[Row]:
    return _agpt_like("AGWS", day, seed)


def _demand_forecasts(name: str, day: date, seed: int) -> list[Row]:
    """Day and day-ahead forecasts published at 04:45, 10:45 and 16:45 UTC for every period from the
    next one to the end of the following settlement day."""
    start, end = day_bounds(day)
    _, horizon_end = day_bounds(day + timedelta(days=1))
    boundaries = ("N",) if name == "NDF" else TSDF_BOUNDARIES
    rows = []
    for hour in (4, 10, 16):
        pub = _utc_at(day, hour, 45)
        if not start <= pub < end:
            continue
        first = start + PERIOD * math.ceil((pub - start) / PERIOD)
        st = first
        while st < horizon_end:
            sd, sp = settlement_period_of(st)
            ahead = (st - pub) / timedelta(hours=36)
            error = 1 + 0.05 * min(ahead, 1.0) * (u01(seed, int(pub.timestamp()), int(st.timestamp()), 33) - 0.5)
            base = demand_mw(seed, st) + (_TSDF_EXTRA_MW if name == "TSDF" else 0)
            for j, b in enumerate(boundaries):
                share = 1.0 if b == "N" else 0.03 + 0.02 * u01(seed, j, 34)
                rows.append(
                    {
                        "dataset": name,
                        "demand": round(base * error * share),
                        "publishTime": fmt_ts(pub),
                        "startTime": fmt_ts(st),
                        "settlementDate": sd.isoformat(),
                        "settlementPeriod": sp,
                        "boundary": b,
                    }
                )
            st += PERIOD
    return rows


def _utc_at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def ndf(day: date, seed: int) -> list[Row]:
    return _demand_forecasts("NDF", day, seed)


def tsdf(day: date, seed: int) -> list[Row]:
    return _demand_forecasts("TSDF", day, seed)


def indod(day: date, seed: int) -> list[Row]:
    """Published on ``day`` (00:15 UTC): the previous settlement day's INDO total in MWh."""
    previous = day - timedelta(days=1)
    total = sum(round(demand_mw(seed, st)) for st in period_starts(previous)) / 2
    return [
        {
            "dataset": "INDOD",
            "publishTime": fmt_ts(_utc_at(day, 0, 15)),
            "settlementDate": previous.isoformat(),
            "demand": round(total),
        }
    ]


# -- dynamic data of the fleet (plausible for each unit, not just typed) -----------------------------

_STORAGE = ("battery", "pumped", "flex")
# minutes: (notice to deviate from zero, notice to deliver offers/bids, minimum zero, minimum non-zero, full ramp)
_TIMES = {
    "battery": (2, 1, 2, 2, 2),
    "flex": (5, 2, 5, 5, 5),
    "pumped": (10, 2, 30, 30, 5),
    "ocgt": (10, 5, 30, 60, 10),
    "ccgt": (120, 30, 240, 240, 30),
    "biomass": (180, 30, 240, 240, 40),
    "nuclear": (1440, 60, 1440, 1440, 600),
    "wind": (5, 2, 5, 5, 10),
}


def dynamic_values(unit: Unit, redeclared: bool) -> dict[str, dict[str, Any]]:
    """The value fields of every dynamic dataset for one unit (``redeclared``: the midday change)."""
    ndz, notice, mzt, mnzt, ramp = _TIMES.get(unit.kind, (30, 10, 60, 60, 20))
    storage = unit.kind in _STORAGE
    stable = 0.05 if storage else (0.0 if unit.kind == "wind" else 0.4)
    if redeclared:
        ramp *= 2  # a slower declared ramp after the change
    up = round(unit.export_mw / ramp, 1)
    down = round(max(unit.import_mw, unit.export_mw) / ramp, 1)
    two_band = unit.kind in ("ccgt", "biomass")

    def rates(rate: float, level: float) -> dict[str, Any]:
        if not two_band:
            return {"rate1": rate, "elbow2": None, "rate2": None, "elbow3": None, "rate3": None}
        return {"rate1": round(rate / 2, 1), "elbow2": round(level), "rate2": rate, "elbow3": None, "rate3": None}

    return {
        "SEL": {"level": round(unit.export_mw * stable)},
        "SIL": {"level": -round(unit.import_mw * stable)},
        "MDV": {"volumeMax": round(unit.export_mw * (2 if storage else 24))},
        "MDP": {"periodMax": 240 if storage else 1440},
        "NDZ": {"notice": ndz},
        "NTO": {"notice": notice},
        "NTB": {"notice": notice},
        "MZT": {"periodMin": mzt},
        "MNZT": {"periodMin": mnzt},
        "RURE": rates(up, unit.export_mw * stable),
        "RDRE": rates(up, unit.export_mw * stable),
        "RURI": rates(down, unit.import_mw * stable),
        "RDRI": rates(down, unit.import_mw * stable),
    }


def dynamic(name: str, units: Iterable[Unit], day: date) -> list[Row]:
    """Each unit declares its dynamic data at the start of the day; every fourth unit re-declares
    24 periods later (local noon on a 48-period day) with a slower ramp."""
    start, _ = day_bounds(day)
    keyed = []
    for u in units:
        declarations = [(start, False)] + ([(start + 24 * PERIOD, True)] if u.index % 4 == 0 else [])
        for t, redeclared in declarations:
            sd, sp = settlement_period_of(t)
            keyed.append(
                (
                    t,
                    u.index,
                    {
                        "dataset": name,
                        "settlementDate": sd.isoformat(),
                        "settlementPeriod": sp,
                        "time": fmt_ts(t),
                        **dynamic_values(u, redeclared)[name],
                        "nationalGridBmUnit": u.ng_unit,
                        "bmUnit": u.bm_unit,
                    },
                )
            )
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [r for *_, r in keyed]


# -- other forecasts and the temperature --------------------------------------------------------------


def dgws(day: date, seed: int) -> list[Row]:
    """Day-ahead wind and solar, published at 09:30 UTC on ``day`` for every period of the next day,
    within ±10 % of what AGWS reports for it."""
    pub = _utc_at(day, 9, 30)
    rows = []
    for st in period_starts(day + timedelta(days=1)):
        sd, sp = settlement_period_of(st)
        values = production(seed, st)
        for psr in ("Solar", "Wind Offshore", "Wind Onshore"):
            error = 1 + 0.2 * (u01(seed, int(st.timestamp()), len(psr), 35) - 0.5)
            rows.append(
                {
                    "dataset": "DGWS",
                    "documentId": f"SYNTH-DGWS-{day:%Y%m%d}",
                    "documentRevisionNumber": 1,
                    "publishTime": fmt_ts(pub),
                    "processType": "Day Ahead",
                    "businessType": _BUSINESS_TYPE[psr],
                    "psrType": psr,
                    "quantity": float(round(values[psr] * error)),
                    "startTime": fmt_ts(st),
                    "settlementDate": sd.isoformat(),
                    "settlementPeriod": sp,
                }
            )
    return rows


def _daily_demand(name: str, day: date, seed: int) -> list[Row]:
    """2-14 days ahead: the forecast day's peak of the demand curve, published at 13:45 UTC."""
    pub = _utc_at(day, 13, 45)
    rows = []
    for ahead in range(2, 15):
        target = day + timedelta(days=ahead)
        peak = max(demand_mw(seed, st) for st in period_starts(target))
        error = 1 + 0.004 * ahead * (u01(seed, target.toordinal(), ahead, 36) - 0.5)
        extra = _TSDF_EXTRA_MW if name == "TSDFD" else 0
        rows.append(
            {
                "dataset": name,
                "publishTime": fmt_ts(pub),
                "forecastDate": target.isoformat(),
                "demand": round((peak + extra) * error),
            }
        )
    return rows


def temp(day: date, seed: int) -> list[Row]:
    """The day's midday GB temperature, published at 16:00 UTC: a seasonal curve with weather noise."""
    seasonal = 10.5 + 7.5 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365.25)
    return [
        {
            "dataset": "TEMP",
            "measurementDate": day.isoformat(),
            "publishTime": fmt_ts(_utc_at(day, 16, 0)),
            "temperature": round(seasonal + 4 * (u01(seed, day.toordinal(), 37) - 0.5), 1),
        }
    ]


_DAY: dict[str, Callable[[date, int], list[Row]]] = {
    "AGPT": agpt,
    "AGWS": agws,
    "DGWS": dgws,
    "NDF": ndf,
    "TSDF": tsdf,
    "NDFD": lambda day, seed: _daily_demand("NDFD", day, seed),
    "TSDFD": lambda day, seed: _daily_demand("TSDFD", day, seed),
    "INDOD": indod,
    "TEMP": temp,
}


def generate(name: str, day: date, seed: int, uds: list[UnitDay], scale: str = "demo") -> list[Row]:
    """Rows of ``name`` for settlement day ``day``; ``uds`` is the day's BM model (QPN, B1610)."""
    if name == "QPN":
        return qpn(uds, day)
    if name == "B1610":
        return b1610(uds, day, seed)
    if name in DYNAMIC_DATASETS:
        return dynamic(name, fleet(scale), day)
    if name in _DAY:
        return _DAY[name](day, seed)
    raise ValueError(f"no synthetic generator for {name!r} in synthetic_catalogue_bm")
