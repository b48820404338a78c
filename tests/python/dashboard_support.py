"""Shared set-up of the dashboard mart tests (DuckDB and the BigQuery emulator): two synthetic
settlement days from the sample generator (2025-10-25, and 2025-10-26 with its 50 periods), the
datasets the dashboard marts read, written as a replay store and landed through the loader's real
path; and the expected panel values computed in Python straight from those API rows."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from loaders.settlement import settlement_period_of
from tests.python.dbt_harness import ROOT

DAYS = [date(2025, 10, 25), date(2025, 10, 26)]
AS_OF = "2025-10-27"  # "now" = 2025-10-27 00:00 UTC: the end of settlement day 2025-10-26 (GMT)
NOW = datetime(2025, 10, 27, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
DATASETS = ["FUELINST", "FUELHH", "FREQ", "INDO", "DISEBSP", "MID", "REMIT", "BMUNITS", "BOD", "PN", "BOALF"]
DASHBOARD = "path:models/marts/dashboard"
SEEDS = ["fuel_carbon_factors", "bm_unit_overrides", "vlp_units", "interconnectors"]


def upstream_args(dbt_vars: list[str]) -> list[str]:
    """`dbt run` of the seeds' and models' upstream of the dashboard marts (no tests)."""
    return ["run", "-s", f"+{DASHBOARD}", "--exclude", DASHBOARD, *dbt_vars]


def build_args(dbt_vars: list[str]) -> list[str]:
    """`dbt build` of the dashboard marts and their seeds: models, data tests and unit tests."""
    return ["build", "-s", DASHBOARD, *SEEDS, *dbt_vars]


def build_store(root: Path) -> dict[str, list[dict]]:
    """Write the replay store; return every row per dataset (for the expected values)."""
    from loaders.samples.store import build_store as write_store
    from loaders.samples.store import iter_store_rows

    write_store(root, DAYS, include_real=False, datasets=DATASETS)
    rows: dict[str, list[dict]] = {}
    for name in DATASETS:
        if name == "BMUNITS":
            rows[name] = list(iter_store_rows(root, name))
        else:
            rows[name] = [r for d in DAYS for r in iter_store_rows(root, name, d)]
    return rows


def jobs() -> list[tuple[str, date, date]]:
    return [(name, DAYS[0], DAYS[-1]) for name in DATASETS]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def uk(t: datetime) -> datetime:
    """Naive UK wall-clock time, as the marts' *_uk columns hold it."""
    return t.astimezone(LONDON).replace(tzinfo=None)


def seed_rows(name: str) -> list[dict]:
    with (ROOT / "seeds" / f"{name}.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def expected_snapshot(rows: dict[str, list[dict]]) -> dict:
    factors = {r["fuel_type"]: r for r in seed_rows("fuel_carbon_factors")}
    inst = [r for r in rows["FUELINST"] if ts(r["startTime"]) <= NOW]
    latest = max(ts(r["startTime"]) for r in inst)
    at = [r for r in inst if ts(r["startTime"]) == latest]
    domestic = [r for r in at if not r["fuelType"].startswith("INT")]
    total = sum(r["generation"] for r in domestic)
    renewable = sum(r["generation"] for r in domestic if factors.get(r["fuelType"], {}).get("is_renewable") == "true")
    factor = {k: float(v["carbon_factor_g_per_kwh"]) for k, v in factors.items()}
    emissions = sum(r["generation"] * factor.get(r["fuelType"], 0.0) for r in domestic)
    freq = sorted((ts(r["measurementTime"]), r["frequency"]) for r in rows["FREQ"] if ts(r["measurementTime"]) <= NOW)
    f_time, f_value = freq[-1]
    hour = [f for t, f in freq if f_time - timedelta(hours=1) < t <= f_time]
    indo: dict[datetime, dict] = {}
    for r in rows["INDO"]:
        t = ts(r["startTime"])
        if t <= NOW and (t not in indo or r["publishTime"] > indo[t]["publishTime"]):
            indo[t] = r
    d_time = max(indo)
    priced = [r for r in rows["DISEBSP"] if r["systemSellPrice"] is not None]
    prices = {ts(r["startTime"]): r for r in priced if ts(r["startTime"]) <= NOW}
    p_time = max(prices)
    return {
        "generation_time_utc": latest.replace(tzinfo=None),
        "generation_time_uk": uk(latest),
        "generation_age_minutes": (NOW - latest).total_seconds() / 60,
        "total_generation_mw": total,
        "renewable_share": renewable / total,
        "carbon_intensity_g_per_kwh": emissions / total,
        "interconnector_net_import_mw": sum(r["generation"] for r in at if r["fuelType"].startswith("INT")),
        "demand_time_utc": d_time.replace(tzinfo=None),
        "demand_mw": indo[d_time]["demand"],
        "demand_settlement_period": indo[d_time]["settlementPeriod"],
        "frequency_time_utc": f_time.replace(tzinfo=None),
        "frequency_hz": f_value,
        "frequency_settlement_date": settlement_period_of(f_time)[0],
        "frequency_settlement_period": settlement_period_of(f_time)[1],
        "frequency_min_1h_hz": min(hour),
        "frequency_max_1h_hz": max(hour),
        "frequency_samples_1h": len(hour),
        "price_settlement_period": prices[p_time]["settlementPeriod"],
        "price_time_uk": uk(p_time),
        "system_price": prices[p_time]["systemSellPrice"],
        "net_imbalance_volume": prices[p_time]["netImbalanceVolume"],
    }


def expected_interconnectors(rows: dict[str, list[dict]]) -> dict[tuple, tuple[str, str, float, float, float]]:
    """{(settlement_date, period, code): (name, country, import, export, net)} from FUELHH, plus TOTAL rows."""
    seed = {r["fuel_type"]: r for r in seed_rows("interconnectors")}
    out: dict[tuple, tuple[str, str, float, float, float]] = {}
    totals: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in rows["FUELHH"]:
        if not r["fuelType"].startswith("INT"):
            continue
        key = (date.fromisoformat(r["settlementDate"]), r["settlementPeriod"])
        g = float(r["generation"])
        link = seed.get(r["fuelType"], {})
        out[(*key, r["fuelType"])] = (
            link.get("interconnector_name", r["fuelType"]),
            link.get("country", "Unknown"),
            max(g, 0.0),
            max(-g, 0.0),
            g,
        )
        t = totals[key]
        t[0], t[1], t[2] = t[0] + max(g, 0.0), t[1] + max(-g, 0.0), t[2] + g
    for key, (imp, exp, net) in totals.items():
        out[(*key, "TOTAL")] = ("All interconnectors", None, imp, exp, net)
    return out


def expected_market_days(rows: dict[str, list[dict]]) -> dict[date, dict]:
    system: dict[date, list[float]] = defaultdict(list)
    niv: dict[date, float] = defaultdict(float)
    for r in rows["DISEBSP"]:
        d = date.fromisoformat(r["settlementDate"])
        system[d].append(r["systemSellPrice"])
        niv[d] += r["netImbalanceVolume"]
    per_period: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
    for r in rows["MID"]:
        if r["volume"] and r["volume"] > 0 and r["price"] is not None:
            key = (date.fromisoformat(r["settlementDate"]), r["settlementPeriod"])
            per_period[key].append((r["price"], r["volume"]))
    market: dict[date, list[float]] = defaultdict(list)
    for (d, _), pv in per_period.items():
        market[d].append(sum(p * v for p, v in pv) / sum(v for _, v in pv))
    out = {}
    for d in sorted(system):
        window = [p for day in system if d - timedelta(days=29) <= day <= d for p in system[day]]
        out[d] = {
            "system_price_periods": len(system[d]),
            "system_price_min": min(system[d]),
            "system_price_max": max(system[d]),
            "system_price_mean": statistics.fmean(system[d]),
            "system_price_volatility": statistics.stdev(system[d]),
            "market_price_mean": statistics.fmean(market[d]),
            "market_price_volatility": statistics.stdev(market[d]),
            "niv_total_mwh": niv[d],
            "system_price_mean_30d": statistics.fmean(window),
            "system_price_volatility_30d": statistics.stdev(window),
            "days_before_today": (date.fromisoformat(AS_OF) - d).days,
        }
    return out


def expected_outages(rows: dict[str, list[dict]], min_mw: float) -> dict[str, tuple[str, float, float | None]]:
    """{mrid: (asset name, unavailable MW, duration hours)} of the outages in force at NOW."""
    latest: dict[str, dict] = {}
    for r in rows["REMIT"]:
        cur = latest.get(r["mrid"])
        if cur is None or (r["revisionNumber"], r["publishTime"]) > (cur["revisionNumber"], cur["publishTime"]):
            latest[r["mrid"]] = r
    names = {u["elexonBmUnit"]: u["bmUnitName"] for u in rows["BMUNITS"] if u.get("elexonBmUnit")}
    out = {}
    for m, r in latest.items():
        start = ts(r["eventStartTime"])
        end = ts(r["eventEndTime"]) if r.get("eventEndTime") else None
        active = (r.get("eventStatus") or "active").lower() not in ("dismissed", "inactive", "cancelled", "withdrawn")
        if active and start <= NOW and (end is None or end > NOW) and r["unavailableCapacity"] >= min_mw:
            hours = (end - start).total_seconds() / 3600 if end else None
            out[m] = (names.get(r["assetId"], r["assetId"]), r["unavailableCapacity"], hours)
    return out
