"""Generic SYNTHETIC rows for any registry dataset that has no specific generator.

Nothing produced here is real Elexon data. :func:`generate` builds, for one settlement day, rows
shaped exactly like the API's (the fields of :func:`loaders.samples.shape.api_fields`, every field
filled with a value of its registry type), deterministic for (dataset, day, scale, seed):

- the registry ``window_column`` lies inside the day's window -- a timestamp in [local midnight D,
  local midnight D+1) in UTC, a date equal to D -- so the replay server serves the rows for that
  day's request and the backfill keeps them;
- ``settlementDate``/``settlementPeriod`` follow the row's data time (``startTime``, ``timeFrom``
  …) through :mod:`loaders.settlement`; ``week``/``year`` are the ISO week of the data date;
- for forecasts (the window is the publish time, or the :class:`Profile` says so) ``publishTime``
  comes before the data time; for outturn it comes a few minutes after;
- the natural key + version columns are unique (duplicates are dropped);
- ``dataset`` is the dataset code; BM unit ids come from the synthetic fleet
  (:mod:`loaders.samples.synthetic_fleet`), so they match the BMUNITS sample; free text says
  ``SYNTHETIC``.

What a dataset looks like beyond its column types (publication cadence, forecast horizons, key
values, number ranges) comes from the small override table :data:`PROFILES` ({code: Profile}) and
the per-field defaults :data:`CATEGORIES` and :data:`RANGES`; anything not listed gets a half-hourly
row per key combination with numbers in 0..1000.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from loaders.registry import Dataset
from loaders.samples.shape import api_fields
from loaders.samples.synthetic_fleet import fleet
from loaders.settlement import LONDON, PERIOD, day_bounds, fmt_ts, parse_ts, settlement_period_of

Row = dict[str, Any]

# Field-name patterns: when a row was published, and when a time span ends.
_PUBLISH = re.compile(r"publish|created|notif|receiv|submi", re.IGNORECASE)
_END = re.compile(r"(timeTo|endTime|end|To)$|End[A-Z]", re.IGNORECASE)
_FORECAST_WORDS = re.compile(r"forecast|ahead|predict|indicated|margin|surplus|availab|outlook", re.IGNORECASE)
_WEEK_FIELDS = ("week", "calendarWeekNumber", "weekNumber")
_FUEL = {"ccgt": "CCGT", "ocgt": "OCGT", "wind": "WIND", "biomass": "BIOMASS", "nuclear": "NUCLEAR", "pumped": "PS"}
_UNIT_FIELDS = ("bmUnit", "nationalGridBmUnit", "elexonBmUnit", "registeredResourceName")
# Snapshot (reference) datasets have no day: their rows use this fixed data time.
SNAPSHOT_TIME = datetime(2026, 1, 1, tzinfo=LONDON)

# Values of string fields (key fields cycle through them; other fields pick one per row).
CATEGORIES: dict[str, tuple[Any, ...]] = {
    "fuelType": ("CCGT", "WIND", "NUCLEAR", "BIOMASS", "PS", "NPSHYD", "OCGT", "INTFR"),
    "boundary": ("N", "B6", "B7", "SC"),
    "systemZone": ("N", "E", "W", "S"),
    "biddingZone": ("10YGB----------A", "10YFR-RTE------C", "10YNL----------L"),
    "interconnectorName": ("IFA", "BritNed", "NSL", "ElecLink"),
    "forecastDateTimezone": ("Europe/London",),
    "tradeDirection": ("A01", "A02"),
    "warningType": ("ELECTRICITY MARGIN NOTICE", "HIGH RISK OF DEMAND REDUCTION", "CAPACITY MARKET NOTICE"),
    "flowDirection": ("Up", "Down"),
    "assetType": ("Production", "Consumption"),
    "unavailabilityType": ("Planned", "Unplanned"),
    "eventType": ("Production unavailability", "Transmission unavailability"),
    "eventStatus": ("Active",),
}
# Ranges of number/integer fields (lo, hi); everything else lies in 0..1000.
RANGES: dict[str, tuple[float, float]] = {
    "settlementRunType": (1, 1),
    "margin": (2_000, 12_000),
    "surplus": (1_000, 9_000),
    "imbalance": (-1_500, 1_500),
    "outputUsable": (100, 30_000),
    "generation": (0, 400),
    "lossOfLoadProbability": (0, 0.01),
    "deratedMargin": (1_000, 10_000),
    "tradePrice": (20, 250),
    "tradeQuantity": (5, 500),
    "frequency": (49.8, 50.2),
    "demand": (18_000, 42_000),
    "price": (-20, 250),
    "volume": (-500, 500),
    "quantity": (0, 1_000),
}


@dataclass(frozen=True)
class Profile:
    """How one dataset's rows are laid out in time and what its values look like.

    ``cadence``: spacing of the rows' window-column instants through the day (from ``first``
    after local midnight). ``horizons`` data times per published instant, the first ``lead`` after
    it and then every ``step`` (forecasts). ``forecast``: published before the data time (None:
    when the window is a publish time or the description says forecast/margin/availability…).
    ``duration``: the span from a start time to its end time. ``categories``/``ranges``: per-field
    overrides of :data:`CATEGORIES`/:data:`RANGES`. ``demo_combos``/``production_combos``: how many
    key combinations (units, fuel types, boundaries…) each scale has at most.
    """

    cadence: timedelta = PERIOD
    first: timedelta = timedelta(0)
    horizons: int = 1
    lead: timedelta = PERIOD
    step: timedelta = PERIOD
    forecast: bool | None = None
    duration: timedelta = PERIOD
    categories: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    demo_combos: int = 3
    production_combos: int = 40


_DAY = timedelta(days=1)
_WEEK = timedelta(weeks=1)
_DAILY_14D = Profile(cadence=_DAY, first=timedelta(hours=10), horizons=13, lead=2 * _DAY, step=_DAY, forecast=True)
_WEEKLY_3Y = Profile(cadence=_DAY, first=timedelta(hours=10), horizons=52, lead=2 * _WEEK, step=_WEEK, forecast=True)
_OCNMF_D = Profile(cadence=_DAY, first=timedelta(hours=15), horizons=13, lead=2 * _DAY, step=_DAY, forecast=True)
_OCNMF_3Y = Profile(cadence=_DAY, first=timedelta(hours=15), horizons=155, lead=2 * _WEEK, step=_WEEK, forecast=True)

# Per-dataset overrides. Datasets not listed get Profile() (half-hourly, one row per key combination).
PROFILES: dict[str, Profile] = {
    "IMBALNGC": Profile(cadence=timedelta(hours=1), horizons=8, lead=PERIOD, forecast=True),
    "MELNGC": Profile(cadence=timedelta(hours=1), horizons=8, lead=PERIOD, forecast=True),
    "LOLPDRM": Profile(cadence=timedelta(hours=1), horizons=8, lead=PERIOD, forecast=True),
    "SYSWARN": Profile(
        cadence=timedelta(hours=6),
        first=timedelta(hours=5, minutes=17),
        forecast=False,
        categories={"warningText": ("SYNTHETIC: this is not a real system warning.",)},
        demo_combos=1,
        production_combos=1,
    ),
    "SOSO": Profile(
        cadence=timedelta(hours=1),
        lead=timedelta(hours=2),
        duration=timedelta(hours=1),
        forecast=True,
        categories={
            "contractIdentification": ("SYN-SOSO-IFA", "SYN-SOSO-BRITNED", "SYN-SOSO-NEMO"),
            "senderIdentification": ("10X-SYNTHETIC-GB",),
            "receiverIdentification": ("10X-SYNTHETIC-FR", "10X-SYNTHETIC-NL", "10X-SYNTHETIC-BE"),
            "resourceProvider": ("IFA", "BritNed", "Nemo"),
            "traderUnit": ("MW",),
        },
    ),
    "QAS": Profile(ranges={"bmUnitApplicableBalancingServicesVolume": (-40, 40)}),
    "NONBM": Profile(lead=-PERIOD, forecast=False),  # published after the period it reports
    "UOU2T14D": _DAILY_14D,
    "FOU2T14D": _DAILY_14D,
    "NOU2T14D": _DAILY_14D,
    "UOU2T3YW": _WEEKLY_3Y,
    "FOU2T3YW": _WEEKLY_3Y,
    "NOU2T3YW": _WEEKLY_3Y,
    "OCNMFD": _OCNMF_D,
    "OCNMFD2": _OCNMF_D,
    "OCNMF3Y": _OCNMF_3Y,
    "OCNMF3Y2": _OCNMF_3Y,
    # week-ahead peak demand forecasts. Elexon publishes them on Thursdays for 2-52 weeks out; here
    # daily, from next week on, so the 5-day demo's second week has forecasts made before it began
    # (mart_demand's week-ahead columns)
    "NDFW": replace(_WEEKLY_3Y, lead=_WEEK, ranges={"demand": (30_000.0, 45_000.0)}),
    "TSDFW": replace(_WEEKLY_3Y, lead=_WEEK, ranges={"demand": (32_000.0, 47_000.0)}),
}

# European balancing, load forecasts, capacity, emergency and party data (loaders/datasets/european.py,
# forecasts.py, capacity.py, emergency.py, parties.py): values in the ranges the OpenAPI examples show.
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_PSR = ("Generation", "Load")
_FUELS_PSR = ("Fossil Gas", "Nuclear", "Wind Offshore", "Wind Onshore", "Solar", "Hydro Pumped Storage", "Biomass")
_REGIONS = ("North Scotland", "South Scotland", "North West", "North East", "Midlands", "South West", "South East")
_GSP_GROUPS = ("_A", "_B", "_C", "_D", "_E", "_F", "_G", "_H", "_J", "_K", "_L", "_M", "_N", "_P")
_LOAD = {"quantity": (18_000.0, 42_000.0)}
_MIN_MAX_LOAD = {"minimumPossible": (15_000.0, 22_000.0), "maximumAvailable": (30_000.0, 45_000.0)}


def _day_ahead(**kwargs: Any) -> Profile:
    """Published at 09:30 local for the 48 periods of the next day."""
    return Profile(
        cadence=_DAY, first=timedelta(hours=9, minutes=30), horizons=48, lead=timedelta(hours=14, minutes=30), **kwargs
    )


def _daily(**kwargs: Any) -> Profile:
    """One publication a day at 10:00 local (weekly, monthly and yearly reports in the demo)."""
    return Profile(cadence=_DAY, first=timedelta(hours=10), **kwargs)


PROFILES.update(
    {
        "ABUC": _daily(
            categories={
                "businessType": ("Frequency containment reserve", "Replacement reserve"),
                "psrType": _PSR,
                "marketAgreementType": ("Daily", "Weekly"),
            },
            ranges={"quantity": (100, 2_000)},
        ),
        "PPBR": _daily(
            categories={"psrType": _PSR, "marketAgreementType": ("Daily", "Weekly")},
            ranges={"amount": (0.5, 30)},
        ),
        "BEB": Profile(ranges={"quantity": (10, 300), "energyPrice": (20, 250)}),
        "AOBE": Profile(ranges={"quantity": (0, 500), "secondaryQuantity": (0, 100)}),
        "CBS": Profile(lead=-PERIOD, forecast=False, ranges={"quantity": (0, 1_500)}),
        "PBC": Profile(categories={"psrType": _PSR}, ranges={"quantity": (10, 500), "procurementPrice": (1, 20)}),
        "FEIB": _daily(
            categories={"month": _MONTHS, "priceDirection": ("Expenditure", "Income"), "status": ("Intermediate",)},
            ranges={"amount": (1e6, 8e7)},
        ),
        "CCM": _daily(
            categories={"month": _MONTHS, "businessType": ("Congestion costs",)},
            ranges={"amount": (1e5, 5e6)},
        ),
        "ATL": Profile(lead=-PERIOD, forecast=False, ranges=_LOAD),  # outturn: published after the period
        "DATL": _day_ahead(ranges=_LOAD),
        "DAG": _day_ahead(ranges={"quantity": (15_000.0, 40_000.0)}),
        "WATL": Profile(
            cadence=_DAY,
            first=timedelta(hours=10),
            horizons=7,
            lead=_DAY,
            step=_DAY,
            ranges={**_MIN_MAX_LOAD, "forecastWeek": (1, 52)},
        ),
        "MATL": _daily(categories={"forecastYear": (2026,), "forecastMonth": _MONTHS}, ranges=_MIN_MAX_LOAD),
        "YATL": _daily(categories={"forecastYear": (2027,)}, ranges=_MIN_MAX_LOAD),
        "YAFM": _daily(
            categories={"businessType": ("Positive forecast margin", "Negative forecast margin")},
            ranges={"quantity": (1_000, 15_000)},
        ),
        "IGCA": _daily(
            categories={"businessType": ("Installed generation",), "psrType": _FUELS_PSR},
            ranges={"quantity": (500, 30_000)},
        ),
        "IGCPU": _daily(
            categories={"psrType": _FUELS_PSR},
            ranges={"installedCapacity": (100, 2_000), "voltageLimit": (132, 400)},
        ),
        "TUDM": Profile(
            categories={
                "tradingUnitType": ("Base",),
                "tradingUnitName": ("DEFAULT__A", "DEFAULT__B", "DEFAULT__C"),
                "settlementRunType": ("II",),
                "deliveryMode": ("Offtaking", "Delivering"),
            },
            ranges={"importVolume": (0, 1_500), "exportVolume": (-1_500, 0), "netVolume": (-1_000, 1_000)},
        ),
        "CDN": Profile(
            cadence=_DAY,
            first=timedelta(hours=7),
            forecast=False,
            categories={"creditDefaultLevel": (1, 2)},
            ranges={"clearedDefaultSettlementPeriod": (1, 48)},
        ),
        "DCI": Profile(
            cadence=timedelta(hours=8),
            forecast=False,
            categories={
                "affectedDso": ("SP(D)", "UKPN", "NGED"),
                "demandControlEventFlag": ("I",),
                "systemManagementActionFlag": ("T",),
                "amendmentFlag": ("ORI",),
            },
            ranges={"volume": (10, 200)},
        ),
        "RZDF": _daily(
            categories={"region": _REGIONS, "gspGroupId": _GSP_GROUPS},
            ranges={"forecastDemand60": (200, 3_000), "forecastDemand100": (300, 5_000)},
        ),
        "RZDR": Profile(
            cadence=timedelta(hours=6),
            forecast=False,
            categories={"region": _REGIONS, "gspGroupId": _GSP_GROUPS},
            ranges={"restoredDemand": (0, 3_000)},
        ),
    }
)


def profile(ds: Dataset) -> Profile:
    return PROFILES.get(ds.name, Profile())


def _is_forecast(ds: Dataset, prof: Profile, window_is_publish: bool) -> bool:
    if prof.forecast is not None:
        return prof.forecast
    return window_is_publish or bool(_FORECAST_WORDS.search(f"{ds.name} {ds.description}"))


def _dimensions(ds: Dataset, prof: Profile, scale: str) -> list[dict[str, Any]]:
    """Key combinations: one dict of fixed field values per combination (units, categories …)."""
    fields = set(api_fields(ds.name))
    cap = prof.demo_combos if scale == "demo" else prof.production_combos
    derived = {ds.window_column, "dataset", "settlementDate", "settlementPeriod", "year", *_WEEK_FIELDS}
    axes: list[list[dict[str, Any]]] = []
    unit_fields = [f for f in _UNIT_FIELDS if f in fields]
    if unit_fields:
        every = fleet("demo" if scale == "demo" else "production")
        units = every[:: max(1, len(every) // cap)][:cap]
        axes.append(
            [
                {
                    **{f: (u.ng_unit if f == "nationalGridBmUnit" else u.bm_unit) for f in unit_fields},
                    **({"fuelType": _FUEL.get(u.kind, "OTHER")} if "fuelType" in fields else {}),
                }
                for u in units
            ]
        )
    taken = {k for axis in axes for k in axis[0]}
    for name in ds.natural_key:
        col = ds.column(name)
        if name in derived or name in taken or name not in fields or col.type in ("timestamp", "date"):
            continue
        if _PUBLISH.search(name):
            continue
        values = prof.categories.get(name) or CATEGORIES.get(name)
        if values is None:
            values = tuple(range(1, 4)) if col.type == "integer" else tuple(f"SYN-{name}-{i}" for i in range(1, 4))
            if col.type == "boolean":
                values = (False, True)
        axes.append([{name: v} for v in values[:cap]])
    combos = [dict(kv for part in parts for kv in part.items()) for parts in itertools.product(*axes)]
    return combos[:cap] if combos else [{}]


def _number(rng: random.Random, lo: float, hi: float, phase: float) -> float:
    shape = 0.5 + 0.3 * math.sin(2 * math.pi * phase) + 0.15 * rng.uniform(-1, 1)
    return lo + (hi - lo) * min(1.0, max(0.0, shape))


def _fill(
    ds: Dataset,
    prof: Profile,
    rng: random.Random,
    fixed: dict[str, Any],
    publish: datetime,
    data_time: datetime,
    index: int,
) -> Row:
    row: Row = {}
    london_day = data_time.astimezone(LONDON).date()
    iso = london_day.isocalendar()
    weekly = any(w in api_fields(ds.name) for w in _WEEK_FIELDS)
    sp_day, sp = settlement_period_of(data_time)
    phase = ((data_time - day_bounds(sp_day)[0]) / _DAY) % 1.0
    for name in api_fields(ds.name):
        col = ds.column(name)
        if name in fixed:
            row[name] = fixed[name]
        elif name == "dataset":
            row[name] = ds.name
        elif col.type == "timestamp":
            if _PUBLISH.search(name):
                row[name] = fmt_ts(publish)
            elif _END.search(name):
                row[name] = fmt_ts(data_time + prof.duration)
            else:
                row[name] = fmt_ts(data_time)
        elif col.type == "date":
            if name == "settlementDate":
                row[name] = sp_day.isoformat()
            elif _PUBLISH.search(name):
                row[name] = publish.astimezone(LONDON).date().isoformat()
            else:
                row[name] = london_day.isoformat()
        elif name == "settlementPeriod":
            row[name] = sp
        elif name in _WEEK_FIELDS and col.type == "integer":
            row[name] = iso.week
        elif name == "year" and col.type == "integer":
            row[name] = iso.year if weekly else london_day.year
        elif col.type in ("integer", "number"):
            lo, hi = prof.ranges.get(name) or RANGES.get(name) or (0.0, 1000.0)
            value = _number(rng, lo, hi, phase)
            row[name] = round(value) if col.type == "integer" else round(value, 3)
        elif col.type == "boolean":
            row[name] = rng.random() < 0.5
        elif col.type == "json":
            row[name] = []
        else:
            values = prof.categories.get(name) or CATEGORIES.get(name)
            row[name] = values[index % len(values)] if values else f"SYNTHETIC {ds.name} {name} {index}"
    return row


def _anchors(ds: Dataset, prof: Profile, day: date) -> list[datetime]:
    if ds.window_column is None:
        return [SNAPSHOT_TIME]
    start, end = day_bounds(day)
    out, t = [], start + prof.first
    while t < end:
        out.append(t)
        t += prof.cadence
    return out


def _rows(ds: Dataset, day: date, scale: str, seed: int, variant: str | None) -> list[Row]:
    prof = profile(ds)
    window = ds.window_column
    window_is_publish = bool(window and _PUBLISH.search(window))
    forecast = _is_forecast(ds, prof, window_is_publish)
    day_key = "snapshot" if window is None else day.isoformat()
    rng = random.Random(f"{ds.name}/{variant}/{day_key}/{scale}/{seed}")
    combos = _dimensions(ds, prof, scale)
    rows: list[Row] = []
    seen: set[tuple[Any, ...]] = set()
    index = 0
    timeless = window is not None and not any(_is_time_field(ds, k) for k in ds.natural_key)
    for a_i, anchor in enumerate(_anchors(ds, prof, day)):
        for h in range(prof.horizons):
            offset = prof.lead + h * prof.step
            if window_is_publish:
                publish = anchor
                period_start = day_bounds(day)[0] + ((anchor - day_bounds(day)[0]) // PERIOD) * PERIOD
                data_time = period_start + offset
            else:
                data_time = anchor
                publish = anchor - offset if forecast else anchor + timedelta(minutes=3)
            for fixed in combos:
                if timeless:  # ids of events: a new event per anchor and day, never a repeat of yesterday's
                    fixed = _event_ids(ds, fixed, day, a_i)
                row = _fill(ds, prof, rng, fixed, publish, data_time, index)
                index += 1
                key = tuple(str(row.get(k)) for k in ds.dedupe_key if k != ds.variant_column)
                if key in seen:
                    continue
                seen.add(key)
                rows.append(row)
    if window is not None:
        rows = [r for r in rows if _in_day(ds, r[window], day)]
        rows.sort(key=lambda r: str(r[window]))  # API timestamps and dates sort as text
    return rows


def _is_time_field(ds: Dataset, name: str) -> bool:
    """A field that follows the row's time (so a key holding it differs from day to day)."""
    col = ds.column(name)
    return (
        col.type in ("timestamp", "date")
        or name in ("settlementPeriod", "year", *_WEEK_FIELDS)
        or bool(_PUBLISH.search(name))
    )


def _event_ids(ds: Dataset, fixed: dict[str, Any], day: date, anchor: int) -> dict[str, Any]:
    """Key values made unique to (day, anchor) for datasets keyed by ids alone (messages, events)."""
    out = dict(fixed)
    strings = [k for k in ds.natural_key if k in fixed and ds.column(k).type == "string"]
    if strings:
        for k in strings:
            out[k] = f"{fixed[k]}-{day:%Y%m%d}-{anchor:03d}"
        return out
    ints = [k for k in ds.natural_key if k in fixed and ds.column(k).type == "integer"]
    if ints:
        out[ints[0]] = (day.toordinal() * 1000 + anchor) * 100 + int(fixed[ints[0]])
    return out


def _in_day(ds: Dataset, value: str, day: date) -> bool:
    """The window value lies in settlement day ``day`` (the store and the replay server's rule)."""
    if ds.window_column and ds.column(ds.window_column).type == "date":
        return value == day.isoformat()
    return settlement_period_of(parse_ts(value))[0] == day


def generate(ds: Dataset, day: date, scale: str = "demo", seed: int = 0) -> dict[str, list[Row]]:
    """``{key: rows}`` of settlement day ``day`` for ``ds``; key ``"NAME"`` or ``"NAME/variant"``.

    Snapshot datasets (no window column) get the same rows whatever the day.
    """
    if ds.variants:
        return {f"{ds.name}/{v}": _rows(ds, day, scale, seed, v) for v in ds.variants}
    return {ds.name: _rows(ds, day, scale, seed, None)}
