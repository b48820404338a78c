"""SYNTHETIC forecasts, outturn, REMIT and the BM unit list for the sample generator.

Same conventions as :mod:`loaders.samples.synthetic_market`: rows of one settlement day by the
registry window column, sorted by it. REMIT ``mrid`` values start ``SYNTH-``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from loaders.samples.synthetic_curves import demand_mw, times, wind_mw
from loaders.samples.synthetic_fleet import Unit, fleet, u01
from loaders.settlement import PERIOD, day_bounds, fmt_ts, settlement_period_of

Row = dict[str, Any]
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


def indicated(name: str, day: date, seed: int, scale: str) -> list[Row]:
    start, end = day_bounds(day)
    field, sign = ("generation", 1) if name == "INDGEN" else ("demand", -1)
    boundaries = ["N", "B1", "B6"] if scale == "demo" else ["N", *[f"B{i}" for i in range(1, 18)]]
    rows = []
    for pub in times(start, end, PERIOD, timedelta(0)):
        pub = pub + timedelta(minutes=17)
        first = pub - timedelta(minutes=17) + PERIOD
        for k in range(16):
            st = first + k * PERIOD
            sd, sp = settlement_period_of(st)
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


def outturn(name: str, day: date, seed: int) -> list[Row]:
    start, end = day_bounds(day)
    keyed = []
    # Periods whose first publish (end of period) or revision (one period later) falls in the day:
    # starts from two periods before the day to one period before its end.
    for st in times(start, end + PERIOD, PERIOD, 2 * PERIOD):
        sd, sp = settlement_period_of(st)
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


def windfor(day: date, seed: int) -> list[Row]:
    start, end = day_bounds(day)
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


def remit(day: date, seed: int, scale: str) -> list[Row]:
    """Revisions published on ``day``: of messages first published that day, and later revisions of
    messages first published the day before (a message's revisions can span midnight)."""
    start, end = day_bounds(day)
    keyed = [k for d in (day - timedelta(days=1), day) for k in _remit_messages(d, seed, scale)]
    keyed = [k for k in keyed if start <= k[0] < end]
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [r for *_, r in keyed]


def _remit_messages(day: date, seed: int, scale: str) -> list[tuple[datetime, str, int, Row]]:
    """Every revision of the messages first published on ``day`` (some published after it)."""
    start, _ = day_bounds(day)
    rng = random.Random(f"{seed}:{day}:REMIT")
    units = [u for u in fleet(scale) if u.kind not in ("battery", "flex")]
    keyed = []
    for i in range(4 if scale == "demo" else 40):
        u = rng.choice(units)
        mrid = f"SYNTH-{day:%Y%m%d}-{i:05d}"
        ev_start = start + timedelta(hours=rng.randint(2, 60))
        pub = start + timedelta(minutes=rng.randint(0, 23 * 60), seconds=rng.randint(0, 59))
        planned = rng.random() < 0.5
        for rev in range(1, rng.randint(2, 5) + 1):
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
            keyed.append((pub, mrid, rev, row))
            pub += timedelta(minutes=rng.randint(20, 600))
    return keyed


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
