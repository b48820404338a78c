"""SYNTHETIC balancing-mechanism day: FPN, BOD bands, acceptances and Elexon-style volumes.

One :class:`UnitDay` per unit holds, in whole minutes from the settlement day's local midnight:
the FPN breakpoints, per-period BOD pair widths and prices, and the unit's acceptances. Rows for
PN/BOD/MELS/MILS/BOALF/BOAV/EBOCF are all derived from it, so they agree with each other:

- offer pair widths stack above FPN up to MEL, bid pair widths (<= 0) below FPN down to MIL;
- every acceptance level lies inside the unit's BOD bands (checked at every breakpoint);
- BOAV/EBOCF are computed with the BSC method in docs/acceptances.md ("The method"; minute spot times,
  trapezoid rule, acceptances applied in order, q_0 = FPN); RR-flagged acceptances move the unit
  but are left out of BOAV/EBOCF (they are settled as replacement reserve).
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from loaders.samples.synthetic_fleet import Unit, fpn_level
from loaders.settlement import day_start_utc, periods_in_day

SENTINEL_OFFER, SENTINEL_BID = 9999.0, 8998.0  # wind offers, as in real BOD
EPS = 1e-3  # MW tolerance for levels rounded to 3 decimals
_RATE = {"battery": 8, "flex": 4, "pumped": 6, "ccgt": 4, "ocgt": 2, "biomass": 2, "wind": 3, "nuclear": 0}


@dataclass
class Acceptance:
    number: int
    minute: int  # acceptance time (minutes from day start)
    points: list[tuple[int, float]]
    so: bool = False
    stor: bool = False
    rr: bool = False
    deemed: bool = False

    def level(self, m: float) -> float | None:
        pts = self.points
        if m < pts[0][0] or m > pts[-1][0]:
            return None
        return _interp(pts, m)


@dataclass
class UnitDay:
    unit: Unit
    n_periods: int
    pn: list[tuple[int, float]]  # FPN breakpoints, minute 0 .. 30 * n_periods
    offer_w: list[list[float]] = field(default_factory=list)  # per period: widths of pairs 1..n (>= 0)
    bid_w: list[list[float]] = field(default_factory=list)  # per period: widths of pairs -1..-n (<= 0)
    offer_px: list[list[tuple[float, float]]] = field(default_factory=list)  # (offer, bid) pairs 1..n
    bid_px: list[list[tuple[float, float]]] = field(default_factory=list)  # (offer, bid) pairs -1..-n
    acceptances: list[Acceptance] = field(default_factory=list)

    def fpn(self, m: float) -> float:
        return _interp(self.pn, m)

    def band(self, p: int, m: float) -> tuple[float, float]:
        """(lower, upper) edge of all bid/offer bands of period index ``p`` at minute ``m``."""
        f = self.fpn(m)
        return f + sum(self.bid_w[p]), f + sum(self.offer_w[p])

    def periods_at(self, m: int) -> list[int]:
        ps = [p for p in (m // 30 - 1, m // 30) if 0 <= p < self.n_periods]
        return ps if m % 30 == 0 else [m // 30]


def _interp(pts: list[tuple[int, float]], m: float) -> float:
    i = bisect.bisect_right(pts, (m, float("inf")))
    if i == 0:
        return pts[0][1]
    if i >= len(pts):
        return pts[-1][1]
    (m0, v0), (m1, v1) = pts[i - 1], pts[i]
    return v0 if m1 == m0 else v0 + (v1 - v0) * (m - m0) / (m1 - m0)


def _pn_points(seed: int, unit: Unit, day: date, n: int) -> list[tuple[int, float]]:
    start = day_start_utc(day)
    levels = [fpn_level(seed, unit, start + timedelta(minutes=30 * p)) for p in range(-1, n + 1)]
    pts: list[tuple[int, float]] = []
    for p in range(n):
        prev, lv = levels[p], levels[p + 1]
        if unit.step_profile and lv != prev:  # 2-minute ramp at the period start
            pts += [(30 * p, prev), (30 * p + 2, lv)]
        else:  # step units hold the level; others ramp linearly to the next period's level
            pts.append((30 * p, lv))
    pts.append((30 * n, levels[n] if unit.step_profile else levels[n + 1]))
    return pts


def _weights(k: int, rng: random.Random) -> list[float]:
    """How a unit splits its headroom between its pairs (fixed for the day)."""
    raw = [0.5 + rng.random() for _ in range(k)]
    return [w / sum(raw) for w in raw]


def _bands_and_prices(ud: UnitDay, seed: int, day: date) -> None:
    u = ud.unit
    rng = random.Random(f"{seed}:{day}:{u.index}:bod")
    w_off, w_bid = _weights(u.n_offer, rng), _weights(u.n_bid, rng)
    pn, i = ud.pn, 0
    for p in range(ud.n_periods):
        lo_m, hi_m = 30 * p, 30 * p + 30
        while pn[i][0] < lo_m:
            i += 1
        j, top, bottom = i, pn[i][1], pn[i][1]
        while j < len(pn) and pn[j][0] <= hi_m:
            top, bottom = max(top, pn[j][1]), min(bottom, pn[j][1])
            j += 1
        room_up, room_down = max(u.export_mw - top, 0.0), max(bottom + u.import_mw, 0.0)
        ud.offer_w.append([float(int(room_up * w)) for w in w_off])
        ud.bid_w.append([-float(int(room_down * w)) for w in w_bid])
        hour = (p / 2) % 24
        shape = 1.0 + (0.3 if 16 <= hour < 20 else 0.1 if 7 <= hour < 16 else 0.0)
        r1, r2 = rng.random(), rng.random()
        spread = round(4 + 8 * r1, 2)
        base = u.base_price * shape if u.base_price > 0 else u.base_price
        if u.kind == "wind":
            ud.offer_px.append([(SENTINEL_OFFER, SENTINEL_BID)] * u.n_offer)
        else:
            ud.offer_px.append(
                [(round(base + 4 * k + r2, 2), round(base + 4 * k - spread, 2)) for k in range(u.n_offer)]
            )
        ud.bid_px.append([(round(base - 8 * k + spread, 2), round(base - 8 * (k + 1) - r2, 2)) for k in range(u.n_bid)])


def _breakpoints(ud: UnitDay, m0: int, m3: int, pts: list[tuple[int, float]]) -> list[int]:
    bps = {m for m, _ in pts} | {m for m, _ in ud.pn if m0 <= m <= m3}
    bps |= set(range((m0 // 30 + 1) * 30, m3 + 1, 30))
    return sorted(bps)


def in_bands(ud: UnitDay, pts: list[tuple[int, float]]) -> bool:
    """True if the piecewise-linear profile ``pts`` lies inside the unit's BOD bands throughout."""
    for m in _breakpoints(ud, pts[0][0], pts[-1][0], pts):
        lv = _interp(pts, m)
        for p in ud.periods_at(m):
            lo, hi = ud.band(p, m)
            if not lo - EPS <= lv <= hi + EPS:
                return False
    return True


def _limits(ud: UnitDay, m0: int, m3: int) -> tuple[float, float]:
    lo, hi = float("-inf"), float("inf")
    for m in _breakpoints(ud, m0, m3, [(m0, 0.0), (m3, 0.0)]):
        for p in ud.periods_at(m):
            b_lo, b_hi = ud.band(p, m)
            lo, hi = max(lo, b_lo), min(hi, b_hi)
    return lo, hi


def _q_before(ud: UnitDay, m: float) -> float:
    q = ud.fpn(m)
    for acc in ud.acceptances:
        lv = acc.level(m)
        if lv is not None:
            q = lv
    return q


def _floor3(x: float) -> float:
    return math.floor(x * 1000 + 1e-6) / 1000


def _ceil3(x: float) -> float:
    return math.ceil(x * 1000 - 1e-6) / 1000


def _try_acceptance(ud: UnitDay, rng: random.Random, a: int, number: int, min_end: int) -> Acceptance | None:
    """One acceptance instructed at minute ``a`` (None if the unit has no room in its bands)."""
    u, end = ud.unit, 30 * ud.n_periods - 5
    m0 = a + rng.randint(2, 10)
    ramp = rng.randint(1, 6)
    hold = max(rng.randint(8, 75), min_end - m0 - 2 * ramp + 1)
    m1, m2, m3 = m0 + ramp, m0 + ramp + hold, m0 + 2 * ramp + hold
    if m3 > end:
        return None
    raw_start, raw_end = _q_before(ud, m0), ud.fpn(m3)
    lo, hi = _limits(ud, m0, m3)
    directions = ["down"] if u.kind == "wind" else (["up", "down"] if rng.random() < 0.55 else ["down", "up"])
    for direction in directions:
        # Levels are written with 3 decimals. Round FPN-derived end points towards the acceptance's
        # own direction so rounding never creates volume on the other side (e.g. a wind unit's
        # sentinel-priced offer pair).
        snap = _floor3 if direction == "down" else _ceil3
        start, finish = snap(raw_start), snap(raw_end)
        f = 0.3 + 0.7 * rng.random()
        if direction == "up":
            target = float(math.floor(start + f * (hi - start)))
        else:
            target = float(math.ceil(start - f * (start - lo)))
        if abs(target - start) < 1:
            continue
        pts = [(m0, start), (m1, target), (m2, target), (m3, finish)]
        if in_bands(ud, pts):
            return Acceptance(number, a, pts)
    return None


def _acceptances(ud: UnitDay, seed: int, day: date, scale_rate: float) -> None:
    u = ud.unit
    rng = random.Random(f"{seed}:{day}:{u.index}:boalf")
    count = round(_RATE[u.kind] * scale_rate * (0.6 + 0.8 * rng.random()))
    if count == 0:
        return
    number = 10_000 + (day.toordinal() - 730_000) * 40
    span = 30 * ud.n_periods
    a = rng.randint(5, max(6, span // (count + 1)))
    tries = 0
    while len(ud.acceptances) < count and tries < 3 * count and a < span - 40:
        tries += 1
        prev = ud.acceptances[-1] if ud.acceptances else None
        min_end = prev.points[-1][0] if prev else 0
        acc = _try_acceptance(ud, rng, a, number + len(ud.acceptances), min_end)
        if acc is None:
            a += rng.randint(15, 60)
            continue
        acc.so = rng.random() < 0.15
        acc.rr = u.kind in ("ccgt", "pumped", "ocgt") and rng.random() < 0.05
        acc.stor = u.kind == "ocgt" and rng.random() < 0.2
        acc.deemed = rng.random() < 0.03
        ud.acceptances.append(acc)
        (_m0, _), (m1, _), (m2, _), (m3, _) = acc.points
        if u.kind != "wind" and m2 - m1 >= 20 and rng.random() < 0.15:
            a = rng.randint(m1, m2 - 12) - 2  # next instruction reverses this one mid-hold
        else:
            a = m3 + rng.randint(10, max(11, span // (count + 1)))


def build_unit_day(unit: Unit, day: date, seed: int, scale_rate: float = 1.0) -> UnitDay:
    n = periods_in_day(day)
    ud = UnitDay(unit, n, _pn_points(seed, unit, day, n))
    _bands_and_prices(ud, seed, day)
    _acceptances(ud, seed, day, scale_rate)
    return ud


def _trapezoid_mwh(values: list[float]) -> float:
    """Integral of minute spot values (MW) over the period, trapezoid rule, in MWh."""
    return (sum(values) - (values[0] + values[-1]) / 2) / 60


def pair_volumes(ud: UnitDay, p: int) -> dict[int, dict[int, tuple[float, float]]]:
    """{acceptance index: {pair id: (offer MWh, bid MWh)}} for period index ``p`` (BSC method:
    minute spot times, acceptances applied in order from q_0 = FPN, trapezoid rule)."""
    lo_m, hi_m = 30 * p, 30 * p + 30
    active = [k for k, a in enumerate(ud.acceptances) if a.points[0][0] < hi_m and a.points[-1][0] > lo_m]
    if not active:
        return {}
    minutes = range(lo_m, hi_m + 1)
    fpn = [ud.fpn(m) for m in minutes]
    edges = []  # (pair id, lower edge - FPN, upper edge - FPN)
    cum = 0.0
    for i, w in enumerate(ud.offer_w[p], start=1):
        edges.append((i, cum, cum + w))
        cum += w
    cum = 0.0
    for i, w in enumerate(ud.bid_w[p], start=1):
        edges.append((-i, cum + w, cum))
        cum += w
    out: dict[int, dict[int, tuple[float, float]]] = {}
    q_prev = fpn
    for k in active:
        acc = ud.acceptances[k]
        first, last = acc.points[0][0], acc.points[-1][0]
        q = [_interp(acc.points, m) if first <= m <= last else qp for m, qp in zip(minutes, q_prev, strict=True)]
        if not acc.rr:
            res = {}
            for pid, lo_off, hi_off in edges:
                off = [
                    max(min(f + hi_off, qk) - max(f + lo_off, qp), 0.0)
                    for f, qk, qp in zip(fpn, q, q_prev, strict=True)
                ]
                bid = [
                    min(max(f + lo_off, qk) - min(f + hi_off, qp), 0.0)
                    for f, qk, qp in zip(fpn, q, q_prev, strict=True)
                ]
                res[pid] = (_trapezoid_mwh(off), _trapezoid_mwh(bid))
            if any(abs(o) > 1e-9 or abs(b) > 1e-9 for o, b in res.values()):
                out[k] = res
        q_prev = q
    return out


def touched_periods(ud: UnitDay) -> list[int]:
    ps: set[int] = set()
    for acc in ud.acceptances:
        ps.update(range(acc.points[0][0] // 30, (acc.points[-1][0] - 1) // 30 + 1))
    return sorted(ps)
