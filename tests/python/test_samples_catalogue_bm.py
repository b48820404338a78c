"""The synthetic catalogue datasets that must agree with the rest of the sample (issue #11, item 3):
QPN near PN, B1610 near the accepted profile (FPN + BOAV), AGPT/FUELHH totals, NDF/TSDF near
INDO/ITSDO, INDOD = INDO summed. Each check recomputes the relation from the API-shaped rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from loaders.samples.synthetic import generate_day
from loaders.samples.synthetic_catalogue_bm import FUEL_TO_PSR
from loaders.samples.validate import row_errors

NORMAL = date(2025, 10, 24)
LONG = date(2025, 10, 26)  # 50 periods
MINE = ("QPN", "B1610", "AGPT", "AGWS", "NDF", "TSDF", "INDOD")
OTHERS = ("PN", "BOALF", "BOAV", "FUELHH", "INDO", "ITSDO")


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="module", params=[NORMAL, LONG], ids=str)
def day(request) -> tuple[date, dict[str, list[dict]]]:
    return request.param, generate_day(request.param, "demo", seed=5, datasets=[*MINE, *OTHERS])


def test_rows_are_api_shaped_and_deterministic(day):
    d, out = day
    for name in MINE:
        assert out[name], name
        for row in out[name]:
            assert not row_errors(name.split("/")[0], row), (name, row)
    again = generate_day(d, "demo", seed=5, datasets=list(MINE))
    other_seed = generate_day(d, "demo", seed=6, datasets=list(MINE))
    assert all(again[n] == out[n] for n in MINE)
    assert other_seed["B1610"] != out["B1610"]


def test_agpt_without_solar_equals_fuelhh_without_interconnectors(day):
    _, out = day
    fuelhh: dict[tuple, float] = defaultdict(float)
    for r in out["FUELHH"]:
        if not r["fuelType"].startswith("INT"):
            fuelhh[(r["settlementDate"], r["settlementPeriod"])] += r["generation"]
    agpt: dict[tuple, float] = defaultdict(float)
    types = set()
    for r in out["AGPT"]:
        types.add(r["psrType"])
        if r["psrType"] != "Solar":
            agpt[(r["settlementDate"], r["settlementPeriod"])] += r["quantity"]
    common = set(fuelhh) & set(agpt)
    assert len(common) >= 46
    assert all(fuelhh[k] == agpt[k] for k in common)
    assert types == {*FUEL_TO_PSR.values(), "Solar", "Wind Onshore", "Wind Offshore"}
    # AGWS repeats AGPT's solar and wind
    agws = {(r["settlementDate"], r["settlementPeriod"], r["psrType"]): r["quantity"] for r in out["AGWS"]}
    wind_solar = {
        (r["settlementDate"], r["settlementPeriod"], r["psrType"]): r["quantity"]
        for r in out["AGPT"]
        if r["psrType"] in ("Solar", "Wind Onshore", "Wind Offshore")
    }
    assert agws == wind_solar
    assert any(v > 0 for (_, _, t), v in agws.items() if t == "Solar")


def _pn_mwh(pn_rows: list[dict]) -> dict[tuple[str, int], float]:
    """FPN energy per (unit, period) from PN's straight-line segments."""
    out: dict[tuple[str, int], float] = defaultdict(float)
    for r in pn_rows:
        hours = (ts(r["timeTo"]) - ts(r["timeFrom"])) / timedelta(hours=1)
        out[(r["nationalGridBmUnit"], r["settlementPeriod"])] += (r["levelFrom"] + r["levelTo"]) / 2 * hours
    return out


def test_b1610_is_fpn_plus_accepted_volumes_within_metering_error(day):
    d, out = day
    fpn = _pn_mwh(out["PN"])
    accepted: dict[tuple[str, int], float] = defaultdict(float)
    for side in ("BOAV/offer", "BOAV/bid"):
        for r in out[side]:
            accepted[(r["nationalGridBmUnit"], r["settlementPeriod"])] += r["totalVolumeAccepted"]
    # RR acceptances move the unit but are not in BOAV: leave their unit-periods out
    rr = {
        (r["nationalGridBmUnit"], p)
        for r in out["BOALF"]
        if r["rrFlag"]
        for p in range(r["settlementPeriodFrom"], r["settlementPeriodTo"] + 1)
    }
    checked = moved = 0
    for r in out["B1610"]:
        assert r["settlementDate"] == d.isoformat()
        key = (r["nationalGridBmUnitId"], r["settlementPeriod"])
        if key in rr:
            continue
        expected = fpn[key] + accepted.get(key, 0.0)
        assert abs(r["quantity"] - expected) <= 0.005 * abs(expected) + 0.01, (key, r["quantity"], expected)
        checked += 1
        moved += abs(accepted.get(key, 0.0)) > 1
    assert checked > 500 and moved > 5  # acceptances really change the metered volume


def test_qpn_lies_on_pn_segments_a_few_mw_inside(day):
    _, out = day
    pn = {(r["nationalGridBmUnit"], r["timeFrom"], r["timeTo"]): r for r in out["PN"]}
    units = set()
    for q in out["QPN"]:
        p = pn[(q["nationalGridBmUnit"], q["timeFrom"], q["timeTo"])]
        units.add(q["nationalGridBmUnit"])
        for end in ("levelFrom", "levelTo"):
            assert isinstance(q[end], int)
            assert abs(q[end]) <= abs(p[end]) and abs(p[end] - q[end]) <= 0.03 * abs(p[end]) + 2
    assert 3 <= len(units) < len({r["nationalGridBmUnit"] for r in out["PN"]})


def test_demand_forecasts_are_near_the_outturn(day):
    d, out = day

    def first_publish(rows):
        seen: dict[tuple, tuple[str, int]] = {}
        for r in rows:
            k = (r["settlementDate"], r["settlementPeriod"])
            if k not in seen or r["publishTime"] < seen[k][0]:
                seen[k] = (r["publishTime"], r["demand"])
        return {k: v for k, (_, v) in seen.items()}

    for forecast, outturn in (("NDF", "INDO"), ("TSDF", "ITSDO")):
        actual = first_publish(out[outturn])
        compared = 0
        for r in out[forecast]:
            k = (r["settlementDate"], r["settlementPeriod"])
            assert ts(r["publishTime"]) < ts(r["startTime"])
            if r["boundary"] == "N" and k in actual:
                assert abs(r["demand"] / actual[k] - 1) <= 0.026, (forecast, k)
                compared += 1
        assert compared > 20, forecast
    # INDOD: yesterday's first-published INDO, summed and halved (MWh)
    yesterday = generate_day(d - timedelta(days=1), "demo", seed=5, datasets=["INDO"])["INDO"] + out["INDO"]
    previous = {k: v for k, v in first_publish(yesterday).items() if k[0] == (d - timedelta(days=1)).isoformat()}
    (indod,) = out["INDOD"]
    assert indod["settlementDate"] == (d - timedelta(days=1)).isoformat()
    assert len(previous) in (46, 48, 50)
    assert indod["demand"] == round(sum(previous.values()) / 2)


def test_the_loader_keeps_real_b1610_qpn_and_ndf_payloads(tmp_path):
    """The real captures load through the real parser: B1610's undocumented settlementRunType is kept in
    _extra and its zone-less halfHourEndTime read as UTC; QPN and NDF land whole."""
    import duckdb

    from loaders.parse import parse_records_file
    from loaders.quarantine import Quarantine
    from loaders.registry import DATASETS
    from loaders.samples.real_sets import REAL_DIR
    from loaders.settlement import day_bounds
    from loaders.time_window import Window

    cases = {
        "B1610": ("gridskew_b1610_stream.json", date(2026, 8, 1)),
        "QPN": ("gridskew_qpn_stream.json", date(2026, 8, 18)),
        "NDF": ("gridskew_ndf_truncated.json", None),
    }
    for name, (file, day) in cases.items():
        path = REAL_DIR / "insights_api_fixtures" / file
        window = Window(*day_bounds(day), settlement_date=day) if day else None
        out = tmp_path / f"{name}.parquet"
        result = parse_records_file(
            DATASETS[name],
            path,
            out_parquet=out,
            source="api",
            batch_id="t",
            quarantine=Quarantine(tmp_path / "q"),
            input_name=str(path),
            window=window,
        )
        assert (result.rejected, result.duplicates, result.outside_window) == (0, 0, 0), name
        assert result.rows == result.total and result.rows >= 3, name
        if name == "B1610":
            rows = duckdb.sql(
                f"select settlementPeriod, halfHourEndTime, json_extract_string(_extra, '$.settlementRunType') "
                f"from read_parquet('{out}') order by 1"
            ).fetchall()
            assert rows[0] == (3, datetime(2026, 8, 1, 0, 30), "II")


def test_dynamic_data_is_plausible_for_each_fleet_unit(day):
    from loaders.samples.synthetic_fleet import fleet

    d, _ = day
    units = {u.ng_unit: u for u in fleet("demo")}
    names = ("SEL", "SIL", "MDV", "NDZ", "RURE", "RURI")
    out = generate_day(d, "demo", seed=5, datasets=list(names))
    for name in names:
        assert {r["nationalGridBmUnit"] for r in out[name]} == set(units), name
        for r in out[name]:
            assert not row_errors(name, r), r
            assert r["settlementDate"] == d.isoformat()
    for r in out["SEL"]:
        assert 0 <= r["level"] <= units[r["nationalGridBmUnit"]].export_mw
    for r in out["SIL"]:
        assert -units[r["nationalGridBmUnit"]].import_mw <= r["level"] <= 0
    for r in out["RURE"]:
        u = units[r["nationalGridBmUnit"]]
        assert 0 < r["rate1"] <= u.export_mw  # a full ramp takes at least a minute
    # re-declarations: later time, slower ramp
    by_unit: dict[str, list[dict]] = defaultdict(list)
    for r in out["RURE"]:
        by_unit[r["nationalGridBmUnit"]].append(r)
    redeclared = [rs for rs in by_unit.values() if len(rs) == 2]
    assert redeclared and all(rs[1]["time"] > rs[0]["time"] and rs[1]["rate1"] < rs[0]["rate1"] for rs in redeclared)


def test_day_ahead_wind_and_solar_is_near_the_outturn_and_temp_is_daily(day):
    d, _ = day
    out = generate_day(d, "demo", seed=5, datasets=["DGWS", "TEMP", "NDFD"])
    tomorrow = generate_day(d + timedelta(days=1), "demo", seed=5, datasets=["AGWS"])["AGWS"]
    actual = {(r["settlementDate"], r["settlementPeriod"], r["psrType"]): r["quantity"] for r in tomorrow}
    compared = 0
    for r in out["DGWS"]:
        assert r["settlementDate"] == (d + timedelta(days=1)).isoformat()
        k = (r["settlementDate"], r["settlementPeriod"], r["psrType"])
        if k in actual and actual[k] > 100:
            assert abs(r["quantity"] / actual[k] - 1) <= 0.11, k
            compared += 1
    assert compared > 40
    (t,) = out["TEMP"]
    assert t["measurementDate"] == d.isoformat() and -10 < t["temperature"] < 35
    assert [r["forecastDate"] for r in out["NDFD"]] == [(d + timedelta(days=k)).isoformat() for k in range(2, 15)]
