"""SYNTHETIC BM unit fleet and physical-notification (FPN) profiles for the sample generator.

Unit ids include real ones (the battery units 2__FBPGM001/2__FBPGM002, a few T_ units) so the
demo looks familiar, but every number attached to them here is invented. Production scale adds
generated ``T_SYN…``/``2__SYN…`` units up to ~1,250.

Profiles are pure functions of (seed, unit, UTC time), so consecutive days join up seamlessly and
any one day can be generated on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from loaders.settlement import LONDON

_MASK = (1 << 64) - 1


def u01(*keys: int) -> float:
    """Deterministic uniform [0, 1) from integer keys (splitmix64; no global state)."""
    x = 0x9E3779B97F4A7C15
    for k in keys:
        x = (x ^ (k & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        x = (x ^ (x >> 31)) * 0x94D049BB133111EB & _MASK
        x ^= x >> 29
    return (x >> 11) / float(1 << 53)


@dataclass(frozen=True)
class Unit:
    index: int
    bm_unit: str  # Elexon id, e.g. T_DRAXX-1
    ng_unit: str  # National Grid id, e.g. DRAXX-1
    kind: str  # battery | ccgt | ocgt | wind | biomass | nuclear | pumped | flex
    export_mw: float  # MEL
    import_mw: float  # -MIL (>= 0)
    lead_party: str
    n_offer: int  # offer pairs 1..n
    n_bid: int  # bid pairs -1..-n
    base_price: float  # £/MWh around which this unit prices

    @property
    def unit_type(self) -> str:
        prefix = self.bm_unit.split("_", 1)[0]
        return {"T": "T", "E": "E", "2": "S", "V": "V", "C": "C"}.get(prefix, "T")

    @property
    def step_profile(self) -> bool:
        """Batteries/pumped/flex units change level in a 2-minute ramp at the period start."""
        return self.kind in ("battery", "pumped", "flex")


# (bm_unit, ng_unit, kind, export MW, import MW, lead party, offer pairs, bid pairs, price)
_CORE = (
    ("2__FBPGM001", "FBPG01", "battery", 33.6, 33.6, "BP Gas Marketing Limited", 2, 2, 95.0),
    ("2__FBPGM002", "FBPG02", "battery", 50.3, 50.3, "BP Gas Marketing Limited", 2, 2, 92.0),
    ("E_ARBRB-1", "ARBRB-1", "battery", 35.0, 35.0, "Octopus Energy Trading Limited", 2, 2, 90.0),
    ("E_BROFB-1", "BROFB-1", "battery", 40.0, 40.0, "Synthetic Storage Limited", 2, 2, 88.0),
    ("2__FFSEN007", "FFSE02", "battery", 20.0, 20.0, "Synthetic Flex Limited", 1, 1, 97.0),
    ("2__DUKPR008", "AG-DUKP08", "flex", 8.0, 4.0, "Synthetic Aggregator Limited", 1, 1, 110.0),
    ("T_DRAXX-1", "DRAXX-1", "biomass", 645.0, 0.0, "Drax Power Limited", 3, 2, 120.0),
    ("T_PEMB-11", "PEMB-11", "ccgt", 540.0, 0.0, "RWE Generation UK plc", 3, 2, 105.0),
    ("T_GRAI-6", "GRAI-6", "ccgt", 455.0, 0.0, "RWE Generation UK plc", 3, 2, 108.0),
    ("T_MRWD-1", "MRWD-1", "ccgt", 920.0, 0.0, "Medway Power Limited", 3, 2, 102.0),
    ("T_CARR-1", "CARR-1", "ccgt", 440.0, 0.0, "Carrington Power Limited", 3, 2, 104.0),
    ("T_SHOS-1", "SHOS-1", "ocgt", 400.0, 0.0, "Synthetic Peaking Limited", 2, 1, 160.0),
    ("T_DINO-1", "DINO-1", "pumped", 300.0, 300.0, "First Hydro Company", 3, 3, 115.0),
    ("T_FFES-1", "FFES-1", "pumped", 90.0, 90.0, "First Hydro Company", 2, 2, 118.0),
    ("T_HEYM27", "HEYM27", "nuclear", 620.0, 0.0, "EDF Energy Nuclear Generation Ltd", 1, 1, 60.0),
    ("T_WLNYO-4", "WLNYO-4", "wind", 165.0, 0.0, "Walney Extension Limited", 1, 2, -35.0),
    ("T_BEATO-3", "BEATO-3", "wind", 150.0, 0.0, "Beatrice Offshore Windfarm Ltd", 1, 2, -40.0),
    ("T_ABRBO-1", "ABRBO-1", "wind", 99.0, 0.0, "Aberdeen Offshore Wind Farm", 1, 2, -30.0),
    ("T_KILBW-1", "KILBW-1", "wind", 60.0, 0.0, "Synthetic Wind Limited", 1, 1, -25.0),
    ("T_SCCL-1", "SCCL-1", "ccgt", 420.0, 0.0, "Synthetic Thermal Limited", 3, 2, 106.0),
)

# generated units cycle through these (kind, export, import, offers, bids, price); mean 5 pairs
_TEMPLATES = (
    ("battery", 50.0, 50.0, 3, 3, 90.0),
    ("ccgt", 400.0, 0.0, 3, 2, 105.0),
    ("wind", 120.0, 0.0, 2, 3, -35.0),
    ("battery", 20.0, 20.0, 2, 2, 95.0),
    ("ocgt", 150.0, 0.0, 3, 2, 150.0),
    ("biomass", 200.0, 0.0, 3, 2, 118.0),
    ("flex", 10.0, 5.0, 3, 2, 105.0),
    ("pumped", 100.0, 100.0, 3, 3, 112.0),
)

SCALE_UNITS = {"demo": len(_CORE), "production": 1250}


@lru_cache(maxsize=8)
def fleet(scale: str = "demo") -> tuple[Unit, ...]:
    """The synthetic units for a scale ("demo": 20 units, "production": 1,250)."""
    if scale not in SCALE_UNITS:
        raise ValueError(f"unknown scale {scale!r}; use one of {sorted(SCALE_UNITS)}")
    units = [Unit(i, *spec) for i, spec in enumerate(_CORE)]
    for i in range(len(_CORE), SCALE_UNITS[scale]):
        kind, exp, imp, n_off, n_bid, price = _TEMPLATES[i % len(_TEMPLATES)]
        size = 0.5 + u01(i, 7)
        if kind in ("battery", "flex"):
            bm, ng = f"2__SYN{i:05d}", f"SYN{i:05d}"
        else:
            bm, ng = f"T_SYN{i:05d}-1", f"SYN{i:05d}-1"
        units.append(
            Unit(
                i,
                bm,
                ng,
                kind,
                round(exp * size, 1),
                round(imp * size, 1),
                f"Synthetic Party {i % 97:02d} Limited",
                n_off,
                n_bid,
                price + 10 * (u01(i, 8) - 0.5),
            )
        )
    return tuple(units)


def _local_hour(t: datetime) -> float:
    lt = t.astimezone(LONDON)
    return lt.hour + lt.minute / 60


def wind_factor(seed: int, unit: Unit, t: datetime) -> float:
    """Smooth 0..1 wind load factor (a few slow sinusoids with unit-specific phases)."""
    h = t.timestamp() / 3600
    ph = [u01(seed, unit.index, k) * 2 * math.pi for k in range(3)]
    x = 0.5 + 0.25 * math.sin(h / 17 + ph[0]) + 0.15 * math.sin(h / 5.3 + ph[1]) + 0.08 * math.sin(h / 1.7 + ph[2])
    return min(max(x, 0.0), 1.0)


def fpn_level(seed: int, unit: Unit, t: datetime) -> float:
    """The unit's FPN level (MW) at a period start ``t`` (integer MW, within MIL..MEL)."""
    hour = _local_hour(t)
    slot = int(t.timestamp() // 1800)
    noise = u01(seed, unit.index, slot)
    cap = unit.export_mw
    if unit.kind in ("battery", "flex"):
        active = u01(seed, unit.index, slot // 4, 1) < 0.7
        if 1 <= hour < 5 and active:
            lv = -unit.import_mw * (0.5 + 0.4 * noise)
        elif 16.5 <= hour < 19.5 and active:
            lv = cap * (0.5 + 0.4 * noise)
        else:
            lv = 0.0
    elif unit.kind == "pumped":
        lv = -unit.import_mw * 0.8 if 2 <= hour < 5 else (cap * 0.7 if 7 <= hour < 9 or 17 <= hour < 20 else 0.0)
    elif unit.kind == "wind":
        lv = cap * 0.95 * wind_factor(seed, unit, t)
    elif unit.kind in ("ccgt", "ocgt"):
        on = u01(seed, unit.index, int(t.timestamp() // 86400), 2) < (0.8 if unit.kind == "ccgt" else 0.4)
        peak = 6.5 <= hour < 22.5 if unit.kind == "ccgt" else 16 <= hour < 20
        lv = cap * (0.55 + 0.35 * math.sin(math.pi * (hour - 6.5) / 16) ** 2 + 0.05 * noise) if on and peak else 0.0
    elif unit.kind == "biomass":
        lv = cap * (0.8 + 0.15 * noise)
    else:  # nuclear
        lv = cap * 0.95
    return float(round(min(max(lv, -unit.import_mw), cap)))
