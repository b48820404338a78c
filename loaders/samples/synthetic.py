"""Deterministic SYNTHETIC data: API-shaped rows for one settlement day of every registry dataset.

Nothing produced here is real Elexon data. It is invented, seeded and internally consistent (see
:mod:`loaders.samples.synthetic_bm`): PN, BOD, MELS/MILS, BOALF, BOAV and EBOCF come from one
model of a unit fleet, DISEBSP volumes are the day's BOAV totals, FUELHH/FUELINST follow one demand
and wind curve. Markers: REMIT ``mrid`` starts ``SYNTH-``; generated units are ``T_SYN…``/``2__SYN…``;
lead parties of invented units are "Synthetic … Limited".

``generate_day(day)`` returns ``{key: rows}`` where key is the dataset code, or
``"<DATASET>/<variant>"`` for BOAV/EBOCF (``bid``/``offer``; the rows carry no ``bidOffer``). The
rows of day D are those whose registry ``window_column`` falls in settlement day D: for timestamp
windows [local midnight D, local midnight D+1) in UTC, for date windows ``settlementDate == D``.
So publish-time datasets for day D include forecasts *published* on D (for later periods).

Scales: ``demo`` (20 units, a few seconds for several days) and ``production`` (1,250 units,
~300,000 BOD rows and ~5,000 acceptances per day).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from loaders.registry import DATASETS
from loaders.samples import synthetic_catalogue as catalogue
from loaders.samples import synthetic_catalogue_bm as catalogue_bm
from loaders.samples import synthetic_forecast as forecast
from loaders.samples import synthetic_market as market
from loaders.samples import synthetic_settlement_stack as settlement_stack
from loaders.samples.synthetic_bm import UnitDay, build_unit_day, pair_volumes, touched_periods
from loaders.samples.synthetic_fleet import fleet
from loaders.settlement import day_start_utc, fmt_ts

Row = dict[str, Any]
BM_DATASETS = ("BOD", "PN", "MELS", "MILS", "BOALF", "BOAV", "EBOCF")
SCALES = ("demo", "production")
# Datasets with a generator of their own here; every other registry dataset gets generic rows from
# loaders.samples.synthetic_catalogue. Add a dataset here when you give it a specific generator.
SPECIFIC = frozenset(
    {*market.DAY_DATASETS, *BM_DATASETS, "BMUNITS", *catalogue_bm.GENERATED, *settlement_stack.GENERATED}
)
_ACCEPTANCE_RATE = {"demo": 1.0, "production": 0.9}


class _Clock:
    """Minute offsets from a settlement day's start -> API timestamp strings (cached)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.sd = day.isoformat()
        self.start = day_start_utc(day)
        self._cache: dict[int, str] = {}

    def ts(self, minute: int) -> str:
        s = self._cache.get(minute)
        if s is None:
            s = self._cache[minute] = fmt_ts(self.start + timedelta(minutes=minute))
        return s


def unit_days(day: date, scale: str = "demo", seed: int = 0) -> list[UnitDay]:
    """The BM model of one day: every unit's FPN, BOD bands and acceptances."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {SCALES}")
    return [build_unit_day(u, day, seed, _ACCEPTANCE_RATE[scale]) for u in fleet(scale)]


def _bod(uds: list[UnitDay], c: _Clock) -> list[Row]:
    rows = []
    n = uds[0].n_periods if uds else 0
    for p in range(n):
        t0, t1 = c.ts(30 * p), c.ts(30 * p + 30)
        for ud in uds:
            ng, bm = ud.unit.ng_unit, ud.unit.bm_unit
            pairs = [(i + 1, w, px) for i, (w, px) in enumerate(zip(ud.offer_w[p], ud.offer_px[p], strict=True))]
            pairs += [(-(i + 1), w, px) for i, (w, px) in enumerate(zip(ud.bid_w[p], ud.bid_px[p], strict=True))]
            for pid, w, (offer, bid) in pairs:
                rows.append(
                    {
                        "dataset": "BOD",
                        "settlementDate": c.sd,
                        "settlementPeriod": p + 1,
                        "timeFrom": t0,
                        "levelFrom": w,
                        "timeTo": t1,
                        "levelTo": w,
                        "pairId": pid,
                        "offer": offer,
                        "bid": bid,
                        "nationalGridBmUnit": ng,
                        "bmUnit": bm,
                    }
                )
    return rows


def _pn(uds: list[UnitDay], c: _Clock) -> list[Row]:
    keyed = []
    for ud in uds:
        for (m0, l0), (m1, l1) in zip(ud.pn, ud.pn[1:], strict=False):
            keyed.append(
                (
                    m0,
                    ud.unit.index,
                    {
                        "dataset": "PN",
                        "settlementDate": c.sd,
                        "settlementPeriod": m0 // 30 + 1,
                        "timeFrom": c.ts(m0),
                        "timeTo": c.ts(m1),
                        "levelFrom": l0,
                        "levelTo": l1,
                        "nationalGridBmUnit": ud.unit.ng_unit,
                        "bmUnit": ud.unit.bm_unit,
                    },
                )
            )
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [r for _, _, r in keyed]


def _limits(uds: list[UnitDay], c: _Clock, name: str, seed: int) -> list[Row]:
    rows = []
    notified = c.start - timedelta(hours=15)
    for p in range(uds[0].n_periods if uds else 0):
        for ud in uds:
            u = ud.unit
            level = u.export_mw if name == "MELS" else -u.import_mw
            rows.append(
                {
                    "dataset": name,
                    "settlementDate": c.sd,
                    "settlementPeriod": p + 1,
                    "timeFrom": c.ts(30 * p),
                    "timeTo": c.ts(30 * p + 30),
                    "levelFrom": level,
                    "levelTo": level,
                    "notificationTime": fmt_ts(notified + timedelta(seconds=37 * u.index)),
                    "notificationSequence": 200_000_000
                    + (c.day.toordinal() % 10_000) * 2_000
                    + u.index * 2
                    + (name == "MILS")
                    + seed % 2,
                    "nationalGridBmUnit": u.ng_unit,
                    "bmUnit": u.bm_unit,
                }
            )
    return rows


def _boalf(uds: list[UnitDay], c: _Clock) -> list[Row]:
    keyed = []
    for ud in uds:
        u = ud.unit
        for acc in ud.acceptances:
            for (m0, l0), (m1, l1) in zip(acc.points, acc.points[1:], strict=False):
                keyed.append(
                    (
                        m0,
                        u.index,
                        acc.number,
                        {
                            "dataset": "BOALF",
                            "settlementDate": c.sd,
                            "settlementPeriodFrom": m0 // 30 + 1,
                            "settlementPeriodTo": m1 // 30 + 1,
                            "timeFrom": c.ts(m0),
                            "timeTo": c.ts(m1),
                            "levelFrom": l0,
                            "levelTo": l1,
                            "acceptanceNumber": acc.number,
                            "acceptanceTime": c.ts(acc.minute),
                            "deemedBoFlag": acc.deemed,
                            "soFlag": acc.so,
                            "storFlag": acc.stor,
                            "rrFlag": acc.rr,
                            "amendmentFlag": "ORI",
                            "nationalGridBmUnit": u.ng_unit,
                            "bmUnit": u.bm_unit,
                        },
                    )
                )
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [r for *_, r in keyed]


def _pair_object(values: dict[int, float]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for i in range(1, 7):
        out[f"negative{i}"] = round(values[-i], 6) if -i in values else None
        out[f"positive{i}"] = round(values[i], 6) if i in values else None
    return out


def settlement_rows(uds: list[UnitDay], c: _Clock) -> dict[str, list[Row]]:
    """BOAV and EBOCF rows (both sides) from the BSC volume calculation."""
    out: dict[str, list[Row]] = {k: [] for k in ("BOAV/bid", "BOAV/offer", "EBOCF/bid", "EBOCF/offer")}
    for ud in uds:
        u = ud.unit
        for p in touched_periods(ud):
            per_acc = pair_volumes(ud, p)
            if not per_acc:
                continue
            start, created = c.ts(30 * p), c.ts(30 * p + 30 + 24 * 60 + 15)
            common = {
                "bmUnit": u.bm_unit,
                "bmUnitType": u.unit_type,
                "leadPartyName": u.lead_party,
                "nationalGridBmUnit": u.ng_unit,
            }
            prices = {i + 1: px for i, px in enumerate(ud.offer_px[p])}
            prices |= {-(i + 1): px for i, px in enumerate(ud.bid_px[p])}
            cash: dict[str, dict[int, float]] = {"offer": {}, "bid": {}}
            for k, vols in per_acc.items():
                acc = ud.acceptances[k]
                span = acc.points[-1][0] - acc.points[0][0]
                for side, idx in (("offer", 0), ("bid", 1)):
                    side_vols = {pid: v[idx] for pid, v in vols.items()}
                    if all(abs(v) <= 1e-9 for v in side_vols.values()):
                        continue
                    out[f"BOAV/{side}"].append(
                        {
                            "createdDateTime": created,
                            "settlementDate": c.sd,
                            "settlementPeriod": p + 1,
                            "startTime": start,
                            **common,
                            "acceptanceId": acc.number,
                            "acceptanceDuration": "S" if span < 15 else "L",
                            "totalVolumeAccepted": round(sum(side_vols.values()), 6),
                            "pairVolumes": _pair_object(side_vols),
                        }
                    )
                    for pid, v in side_vols.items():
                        cash[side][pid] = cash[side].get(pid, 0.0) + v * prices[pid][idx]
            for side in ("offer", "bid"):
                if not cash[side] or all(abs(v) <= 1e-9 for v in cash[side].values()):
                    continue
                out[f"EBOCF/{side}"].append(
                    {
                        "settlementDate": c.sd,
                        "settlementPeriod": p + 1,
                        "startTime": start,
                        "createdDateTime": created,
                        **common,
                        "bidOfferPairCashflows": _pair_object(cash[side]),
                        "totalCashflow": round(sum(cash[side].values()), 6),
                    }
                )
    for key, rows in out.items():
        rows.sort(key=lambda r: r["settlementPeriod"])
        out[key] = rows
    return out


def generate_day(
    day: date, scale: str = "demo", seed: int = 0, datasets: Iterable[str] | None = None
) -> dict[str, list[Row]]:
    """Rows of settlement day ``day`` for the requested datasets (default: every registry dataset
    except the BMUNITS snapshot -- see :func:`generate_bmunits`). Datasets with no specific generator
    get generic rows from :mod:`loaders.samples.synthetic_catalogue`."""
    wanted = {d.upper() for d in datasets} if datasets is not None else set(DATASETS) - {"BMUNITS"}
    unknown = wanted - set(DATASETS)
    if unknown:
        raise ValueError(f"no synthetic generator for {sorted(unknown)}: not registry datasets")
    # datasets with no specific generator get the generic one (synthetic_catalogue)
    consistent = wanted & set(catalogue_bm.GENERATED)
    generic = wanted - SPECIFIC
    c = _Clock(day)
    out: dict[str, list[Row]] = {}
    need_bm = wanted & {*BM_DATASETS, "DISEBSP", *catalogue_bm.BM_UNIT_DATASETS, *settlement_stack.GENERATED}
    uds = unit_days(day, scale, seed) if need_bm else []
    if "BOD" in wanted:
        out["BOD"] = _bod(uds, c)
    if "PN" in wanted:
        out["PN"] = _pn(uds, c)
    for name in ("MELS", "MILS"):
        if name in wanted:
            out[name] = _limits(uds, c, name, seed)
    if "BOALF" in wanted:
        out["BOALF"] = _boalf(uds, c)
    settlement = settlement_rows(uds, c) if wanted & {"BOAV", "EBOCF", "DISEBSP"} else {}
    for key, rows in settlement.items():
        if key.split("/")[0] in wanted:
            out[key] = rows
    so_numbers = {(ud.unit.bm_unit, a.number) for ud in uds for a in ud.acceptances if a.so}
    for name in sorted(wanted & set(market.DAY_DATASETS)):
        out[name] = market.generate(name, day, scale, seed, settlement, so_numbers)
    for name in sorted(consistent):
        out[name] = catalogue_bm.generate(name, day, seed, uds, scale)
    out.update(settlement_stack.generate(wanted & settlement_stack.GENERATED, day, uds))
    for name in sorted(generic):
        out.update(catalogue.generate(DATASETS[name], day, scale, seed))
    return out


def generate_bmunits(scale: str = "demo", seed: int = 0) -> list[Row]:
    """The BMUNITS snapshot (``/reference/bmunits/all`` rows) of the synthetic fleet."""
    return forecast.bmunits(fleet(scale), seed)
