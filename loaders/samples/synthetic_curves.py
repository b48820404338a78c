"""SYNTHETIC national curves shared by the sample generators: demand, wind, system price, fuel mix.

Pure functions of (seed, UTC time); invented shapes, not Elexon data.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from loaders.samples.synthetic_fleet import u01
from loaders.settlement import LONDON, PERIOD, day_bounds, periods_in_day

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


def local_hour(t: datetime) -> float:
    lt = t.astimezone(LONDON)
    return lt.hour + lt.minute / 60


def demand_mw(seed: int, t: datetime) -> float:
    """National demand: overnight trough ~21 GW, evening peak ~33 GW."""
    h = local_hour(t)
    shape = 0.5 - 0.5 * math.cos(2 * math.pi * (h - 4) / 24) + (0.25 if 16.5 <= h < 19.5 else 0.0)
    return 21_000 + 10_000 * shape + 400 * (u01(seed, int(t.timestamp() // 1800), 11) - 0.5)


def wind_mw(seed: int, t: datetime) -> float:
    x = t.timestamp() / 3600
    f = 0.5 + 0.3 * math.sin(x / 19 + 6.28 * u01(seed, 1)) + 0.12 * math.sin(x / 4.1 + 6.28 * u01(seed, 2))
    return 14_000 * min(max(f, 0.03), 1.0)


def system_price(seed: int, t: datetime) -> float:
    h, slot = local_hour(t), int(t.timestamp() // 1800)
    price = 62 + 45 * (16.5 <= h < 19.5) + 18 * (7 <= h < 10) + 25 * (u01(seed, slot, 12) - 0.5)
    if u01(seed, slot, 13) < 0.03:
        price += 150  # occasional spike
    if h < 5 and wind_mw(seed, t) > 11_000:
        price -= 80  # windy nights go negative
    return round(price, 2)


def mix(seed: int, t: datetime) -> dict[str, int]:
    h, slot = local_hour(t), int(t.timestamp() // 300)
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


def times(start: datetime, end: datetime, step: timedelta, offset: timedelta) -> list[datetime]:
    """Times ``x`` on the ``step`` grid from ``start - offset`` with ``x + offset`` in [start, end)."""
    out, x = [], start - offset
    while x + offset < end:
        out.append(x)
        x += step
    return out


def period_starts(day: date) -> list[datetime]:
    start, _ = day_bounds(day)
    return [start + i * PERIOD for i in range(periods_in_day(day))]
