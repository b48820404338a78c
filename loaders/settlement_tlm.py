"""Does one Transmission Loss Multiplier explain Elexon's BM cashflows? (the implied-multiplier judgement)

Elexon settles an accepted bid-offer volume at volume x price x TLM (BSC Section T3.10; see
``docs/acceptances.md``, "Transmission losses"): the volumes are not loss-adjusted, the cashflow is. So for one BM unit
in one settlement period, with the same TLM on every pair,

    cashflow(pair) = volume(pair) x price(pair) x TLM        (rounded to GBP 0.01)

Everything here works on that identity, with exact rational arithmetic (``Fraction``) and explicit
rounding tolerances, so that a "fit" means the published figures are reproduced to their last digit:

- :func:`judge_multiplier` -- prices known (ours, from BOD): each pair implies an interval of
  multipliers; if the intervals of all pairs share a point, one TLM explains every pair (``"tlm"``);
  if not, no TLM can, and the pairs outside the largest agreeing group are named
  (``"price_or_volume"``). This is the judgement the cashflow reconciliation makes per unit-period.
- :func:`fit_multiplier` -- prices unknown but on a price grid (GBP 0.01/MWh): the multipliers at which
  every pair's ``cashflow / (TLM x volume)`` lands on the grid, with the recovered prices. This is how
  the TLM of Elexon's 2016 derived data is recovered (``tests/python/test_elexon_derived_2016.py``).

A pair "fits" multiplier t at price P when ``|C - V x P x t| <= e_C + e_V x |P| x t``: ``e_C`` is half the
last digit of the published cashflow (GBP 0.005) and ``e_V`` half the last digit of the published volume
(0.00005 MWh for 4-decimal volumes), i.e. the exact figures behind the rounded ones could give C.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Number = Fraction | Decimal | int | float | str

# Where TLMs are looked for: TLM = 1 + TLF + TLMO; |TLF| and |TLMO| are a few percent at most
# (zonal TLFs since P350 are within about +-0.04; ETLMO about +-0.016).
DEFAULT_SEARCH = (Fraction(9, 10), Fraction(11, 10))

Verdict = Literal["tlm", "price_or_volume", "no_pairs"]


def _q(x: Number) -> Fraction:
    """Exact rational of a number; floats go through their shortest repr (0.1 -> 1/10)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(x)


@dataclass(frozen=True)
class Tolerance:
    """How precisely the published figures are known (half the last published digit of each)."""

    cashflow_gbp: Fraction = Fraction(1, 200)  # GBP 0.005: cashflows are published to the penny
    volume_mwh: Fraction = Fraction(1, 20000)  # 0.00005 MWh: volumes published to 4 decimals
    price_step: Fraction = Fraction(1, 100)  # GBP 0.01/MWh: the grid bid-offer prices are submitted on

    @classmethod
    def of(cls, cashflow_gbp: Number = "0.005", volume_mwh: Number = "0.00005", price_step: Number = "0.01"):
        return cls(_q(cashflow_gbp), _q(volume_mwh), _q(price_step))


@dataclass(frozen=True)
class Pair:
    """One bid-offer pair of one unit-period: volume (MWh, bids < 0), Elexon's cashflow (GBP), our price.

    ``key`` names the pair in verdicts (e.g. ``"T_ABTH7 offer 1"`` or ``"acceptance 70605 offer 1"``).
    ``price`` (GBP/MWh) is needed by :func:`judge_multiplier` and ignored by :func:`fit_multiplier`.
    """

    key: str
    volume_mwh: Number
    cashflow_gbp: Number
    price: Number | None = None


@dataclass(frozen=True)
class Interval:
    """Closed interval of multipliers [lo, hi]."""

    lo: Fraction
    hi: Fraction

    @property
    def mid(self) -> Fraction:
        return (self.lo + self.hi) / 2

    def __contains__(self, t: Number) -> bool:
        return self.lo <= _q(t) <= self.hi


def _solve(alpha: Fraction, beta: Fraction, at_least: bool, lo: Fraction, hi: Fraction) -> Interval | None:
    """{t in [lo, hi] : alpha*t >= beta} (at_least) or {alpha*t <= beta}, as an interval or None."""
    if alpha == 0:
        ok = (beta <= 0) if at_least else (beta >= 0)
        return Interval(lo, hi) if ok else None
    bound = beta / alpha
    # alpha*t >= beta  <=>  t >= bound when alpha > 0, t <= bound when alpha < 0 (and mirrored for <=)
    lower_bound = at_least == (alpha > 0)
    new_lo, new_hi = (max(lo, bound), hi) if lower_bound else (lo, min(hi, bound))
    return Interval(new_lo, new_hi) if new_lo <= new_hi else None


def multiplier_interval(
    volume_mwh: Number,
    price: Number,
    cashflow_gbp: Number,
    tol: Tolerance = Tolerance(),
    search: tuple[Number, Number] = DEFAULT_SEARCH,
) -> Interval | None:
    """The multipliers t in ``search`` with ``|C - V*P*t| <= e_C + e_V*|P|*t`` (None if there are none).

    ``V*P = 0`` (no volume or a zero price): every t if ``|C| <= e_C``, else none.
    """
    v, p, c = _q(volume_mwh), _q(price), _q(cashflow_gbp)
    lo, hi = _q(search[0]), _q(search[1])
    vp, slack = v * p, tol.volume_mwh * abs(p)
    # C - V*P*t <= e_C + e_V|P|t   <=>  (V*P + e_V|P|) t >= C - e_C
    first = _solve(vp + slack, c - tol.cashflow_gbp, True, lo, hi)
    if first is None:
        return None
    # V*P*t - C <= e_C + e_V|P|t   <=>  (V*P - e_V|P|) t <= C + e_C
    return _solve(vp - slack, c + tol.cashflow_gbp, False, first.lo, first.hi)


@dataclass(frozen=True)
class Judgement:
    """Verdict of :func:`judge_multiplier` for one unit-period.

    - ``verdict``: ``"tlm"`` -- one multiplier reproduces every pair's cashflow (a TLM difference, not an
      error); ``"price_or_volume"`` -- no single multiplier does: some pair's price or volume differs;
      ``"no_pairs"`` -- nothing to judge.
    - ``interval``: the multipliers that fit the pairs in ``fitting`` (all pairs when the verdict is
      ``"tlm"``); ``multiplier`` its midpoint (the implied TLM).
    - ``at_fault``: keys of the pairs outside the largest group of pairs that share a multiplier.
    - ``implied``: per pair, EBOCF / (volume x price) (None where volume x price is 0).
    - ``expected_fits``: whether ``expected`` (e.g. the published TLM, or 1) is in ``interval``.
    """

    verdict: Verdict
    interval: Interval | None
    fitting: tuple[str, ...]
    at_fault: tuple[str, ...]
    implied: dict[str, Fraction | None] = field(default_factory=dict)
    expected_fits: bool | None = None

    @property
    def multiplier(self) -> Fraction | None:
        return None if self.interval is None else self.interval.mid


def _best_cover(intervals: dict[str, Interval | None]) -> tuple[Interval | None, tuple[str, ...]]:
    """The sub-interval covered by the most intervals, and their keys (ties: lowest multiplier)."""
    events: list[tuple[Fraction, int, str]] = []
    for key, iv in intervals.items():
        if iv is not None:
            events += [(iv.lo, 0, key), (iv.hi, 1, key)]  # opens sort before closes at the same point
    events.sort()
    open_keys: set[str] = set()
    best: tuple[int, Fraction, tuple[str, ...]] | None = None
    for point, kind, key in events:
        if kind == 0:
            open_keys.add(key)
            if best is None or len(open_keys) > best[0]:
                best = (len(open_keys), point, tuple(sorted(open_keys)))
        else:
            open_keys.discard(key)
    if best is None:
        return None, ()
    keys = best[2]
    lo = max(intervals[k].lo for k in keys)  # type: ignore[union-attr]
    hi = min(intervals[k].hi for k in keys)  # type: ignore[union-attr]
    return Interval(lo, hi), keys


def judge_multiplier(
    pairs: Sequence[Pair],
    tol: Tolerance = Tolerance(),
    search: tuple[Number, Number] = DEFAULT_SEARCH,
    expected: Number | None = None,
) -> Judgement:
    """Tell a TLM difference (one multiplier fits every pair) from a price or volume error (none does).

    Each pair needs ``price``. Pairs with no volume and no cashflow are ignored; a pair with volume x
    price = 0 but a cashflow beyond the tolerance can fit no multiplier and is always at fault.
    """
    keyed: dict[str, Interval | None] = {}
    implied: dict[str, Fraction | None] = {}
    for pair in pairs:
        if pair.price is None:
            raise ValueError(f"judge_multiplier: pair {pair.key!r} has no price (use fit_multiplier)")
        if pair.key in keyed:
            raise ValueError(f"judge_multiplier: pair key {pair.key!r} given twice")
        v, p, c = _q(pair.volume_mwh), _q(pair.price), _q(pair.cashflow_gbp)
        if v == 0 and c == 0:
            continue
        keyed[pair.key] = multiplier_interval(v, p, c, tol, search)
        implied[pair.key] = c / (v * p) if v * p != 0 else None
    if not keyed:
        return Judgement("no_pairs", None, (), (), implied)
    interval, fitting = _best_cover(keyed)
    at_fault = tuple(k for k in keyed if k not in fitting)
    verdict: Verdict = "tlm" if not at_fault else "price_or_volume"
    expected_fits = None if expected is None or interval is None else _q(expected) in interval
    return Judgement(verdict, interval, fitting, at_fault, implied, expected_fits)


@dataclass(frozen=True)
class MultiplierFit:
    """One interval of multipliers at which every pair's price lands on the grid, with those prices.

    ``prices[key]`` lists the grid prices that fit the pair at some multiplier of ``interval`` (more
    than one only for pairs with a volume so small that neighbouring prices give the same penny).
    """

    interval: Interval
    prices: dict[str, tuple[Fraction, ...]]


def _price_intervals(pair: Pair, tol: Tolerance, lo: Fraction, hi: Fraction) -> list[tuple[Interval, Fraction]]:
    """Every (multiplier interval, grid price) at which this pair fits, sorted by interval."""
    v, c = _q(pair.volume_mwh), _q(pair.cashflow_gbp)
    if abs(v) <= tol.volume_mwh:  # within rounding of 0: treated as no volume (fits only a ~0 cashflow)
        return [(Interval(lo, hi), Fraction(0))] if abs(c) <= tol.cashflow_gbp else []
    # |C - V P t| <= e_C + e_V |P| t bounds |P| for t in [lo, hi]; P has the sign of C/V unless C ~ 0
    p_max = (abs(c) + tol.cashflow_gbp) / ((abs(v) - tol.volume_mwh) * lo)
    if abs(c) <= tol.cashflow_gbp:
        first, last = -math.ceil(p_max / tol.price_step), math.ceil(p_max / tol.price_step)
    else:
        p_min = (abs(c) - tol.cashflow_gbp) / ((abs(v) + tol.volume_mwh) * hi)
        ks = (math.floor(p_min / tol.price_step), math.ceil(p_max / tol.price_step))
        first, last = (ks[0], ks[1]) if (c > 0) == (v > 0) else (-ks[1], -ks[0])
    found = []
    for k in range(first, last + 1):
        price = k * tol.price_step
        iv = multiplier_interval(v, price, c, tol, (lo, hi))
        if iv is not None:
            found.append((iv, price))
    found.sort(key=lambda item: (item[0].lo, item[0].hi))
    return found


def fit_multiplier(
    pairs: Iterable[Pair],
    tol: Tolerance = Tolerance(),
    search: tuple[Number, Number] = DEFAULT_SEARCH,
) -> list[MultiplierFit]:
    """Every interval of multipliers in ``search`` at which all pairs' prices land on the price grid.

    Prices unknown: for each pair, each grid price P gives the interval of multipliers t that reproduce
    its cashflow (:func:`multiplier_interval`); the answer is the intersection over pairs of those unions,
    each piece with the prices that produce it. An empty list means no single multiplier fits (with any
    grid prices). Pairs with no volume and no cashflow are ignored. How unique the fit is shows in the
    number and width of the intervals: one pair alone fits about one multiplier in every
    ``price_step / price`` -- the more pairs (and the larger their volumes), the fewer survive.
    """
    lo, hi = _q(search[0]), _q(search[1])
    # pieces: list of (interval, {key: set of prices}) -- start with the whole search range
    pieces: list[tuple[Interval, dict[str, frozenset[Fraction]]]] = [(Interval(lo, hi), {})]
    seen: set[str] = set()
    for pair in pairs:
        if pair.key in seen:
            raise ValueError(f"fit_multiplier: pair key {pair.key!r} given twice")
        seen.add(pair.key)
        if _q(pair.volume_mwh) == 0 and _q(pair.cashflow_gbp) == 0:
            continue
        options = _price_intervals(pair, tol, lo, hi)
        new_pieces: list[tuple[Interval, dict[str, frozenset[Fraction]]]] = []
        j = 0
        for piece, prices in pieces:  # both lists sorted by lo; pieces are disjoint
            while j < len(options) and options[j][0].hi < piece.lo:
                j += 1
            k = j
            while k < len(options) and options[k][0].lo <= piece.hi:
                iv, price = options[k]
                cut_lo, cut_hi = max(piece.lo, iv.lo), min(piece.hi, iv.hi)
                if cut_lo <= cut_hi:
                    new_pieces.append((Interval(cut_lo, cut_hi), {**prices, pair.key: frozenset({price})}))
                k += 1
        pieces = _coalesce(new_pieces)
        if not pieces:
            return []
    return [MultiplierFit(iv, {k: tuple(sorted(ps)) for k, ps in prices.items()}) for iv, prices in pieces]


def _coalesce(
    pieces: list[tuple[Interval, dict[str, frozenset[Fraction]]]],
) -> list[tuple[Interval, dict[str, frozenset[Fraction]]]]:
    """Make pieces disjoint again: overlapping pieces (one pair fitting at two prices) are united."""
    pieces.sort(key=lambda item: (item[0].lo, item[0].hi))
    out: list[tuple[Interval, dict[str, frozenset[Fraction]]]] = []
    for iv, prices in pieces:
        if out and iv.lo <= out[-1][0].hi:
            last_iv, last_prices = out[-1]
            merged = {k: last_prices.get(k, frozenset()) | prices.get(k, frozenset()) for k in {*last_prices, *prices}}
            out[-1] = (Interval(last_iv.lo, max(last_iv.hi, iv.hi)), merged)
        else:
            out.append((iv, prices))
    return out


def rounded(x: Fraction, places: int) -> Decimal:
    """A Fraction as a Decimal rounded half-up to ``places`` decimals (for reports and comparisons)."""
    scaled = x * 10**places
    n = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(int(math.copysign(n, scaled)) if scaled else 0).scaleb(-places)
