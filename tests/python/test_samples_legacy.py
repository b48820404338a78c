"""Legacy BMRS CSV -> Insights API row converters, checked against values read off the real files.

Contains BMRS data © Elexon Limited copyright and database right (loaders/samples/real/README.md).
"""

from __future__ import annotations

from collections import Counter

import pytest

from loaders.samples import legacy
from loaders.samples.real_sets import FUELHH_CSV, LEGACY_BOD, LEGACY_PHYBM, SSP_CSV
from loaders.samples.validate import row_errors


@pytest.fixture(scope="module")
def phybm():
    return {
        "PN": legacy.pn_rows(LEGACY_PHYBM),
        "BOALF": legacy.boalf_rows(LEGACY_PHYBM),
        "MELS": legacy.mels_rows(LEGACY_PHYBM),
        "MILS": legacy.mils_rows(LEGACY_PHYBM),
    }


@pytest.fixture(scope="module")
def ssp():
    return legacy.disebsp_rows(SSP_CSV)


@pytest.fixture(scope="module")
def fuelhh():
    return legacy.fuelhh_rows(FUELHH_CSV)


def test_counts_per_dataset(phybm):
    assert len(legacy.bod_rows(LEGACY_BOD)) == 2562
    assert {k: len(v) for k, v in phybm.items()} == {"PN": 1540, "BOALF": 121, "MELS": 1451, "MILS": 1372}
    assert sum(r["soFlag"] for r in phybm["BOALF"]) == 18


def test_rows_are_api_shaped(phybm, ssp, fuelhh):
    for dataset, rows in [*phybm.items(), ("BOD", legacy.bod_rows(LEGACY_BOD)), ("DISEBSP", ssp[:500])]:
        for row in rows:
            assert not row_errors(dataset, row), (dataset, row_errors(dataset, row), row)
    for row in fuelhh[:500]:
        assert not row_errors("FUELHH", row)


def test_bod_bid_price_comes_before_offer_price():
    rows = legacy.bod_rows(LEGACY_BOD)
    # BOD,2__AANGE002,1,20220319130000,0,20220319133000,0,8998.00,9999.00
    aange = [r for r in rows if r["bmUnit"] == "2__AANGE002" and r["pairId"] == 1]
    assert aange == [
        {"dataset": "BOD", "settlementDate": "2022-03-19", "settlementPeriod": 27,
         "timeFrom": "2022-03-19T13:00:00Z", "levelFrom": 0, "timeTo": "2022-03-19T13:30:00Z",
         "levelTo": 0, "pairId": 1, "offer": 9999.0, "bid": 8998.0,
         "nationalGridBmUnit": "2__AANGE002", "bmUnit": "2__AANGE002"}
    ]  # fmt: skip
    # BOD,T_DRAXX-1,-3,...,-660,...,-660,-7000.00,180.00
    drax = next(r for r in rows if r["bmUnit"] == "T_DRAXX-1" and r["pairId"] == -3)
    assert (drax["levelFrom"], drax["bid"], drax["offer"]) == (-660, -7000.0, 180.0)
    assert all(r["bid"] <= r["offer"] for r in rows)


def test_boalf_flags_and_periods(phybm):
    rows = phybm["BOALF"]
    # BOALF,T_CARR-1,79613,20220319120900,F,T,F,F,F,20220319130000,176.000,20220319133000,176.000
    carr = next(r for r in rows if r["acceptanceNumber"] == 79613)
    assert carr["bmUnit"] == carr["nationalGridBmUnit"] == "T_CARR-1"
    assert (carr["soFlag"], carr["deemedBoFlag"], carr["storFlag"], carr["rrFlag"]) == (True, False, False, False)
    assert carr["acceptanceTime"] == "2022-03-19T12:09:00Z"
    assert (carr["settlementPeriodFrom"], carr["settlementPeriodTo"]) == (27, 28)  # 13:30 opens SP28
    assert (carr["levelFrom"], carr["levelTo"]) == (176.0, 176.0)
    # BOALF,E_BTUIW-3,3642,...,20220319125000,0.000,20220319132000,0.000 (starts in SP26)
    btuiw = [r for r in rows if r["acceptanceNumber"] == 3642]
    assert [(r["timeFrom"], r["settlementPeriodFrom"], r["settlementPeriodTo"], r["levelTo"]) for r in btuiw] == [
        ("2022-03-19T12:50:00Z", 26, 27, 0.0),
        ("2022-03-19T13:20:00Z", 27, 27, 43.0),
    ]
    assert {r["settlementDate"] for r in rows} == {"2022-03-19"}
    assert not any(r["rrFlag"] for r in rows)  # none in this file


def test_physical_rows(phybm):
    pn = next(r for r in phybm["PN"] if r["bmUnit"] == "T_DRAXX-1")
    assert (pn["settlementPeriod"], pn["timeFrom"], pn["levelFrom"], pn["levelTo"]) == (
        27, "2022-03-19T13:00:00Z", 500.0, 500.0)  # fmt: skip
    mel = next(r for r in phybm["MELS"] if r["bmUnit"] == "T_DRAXX-1")
    assert mel["levelFrom"] == 645.0 and mel["dataset"] == "MELS"
    assert mel["notificationTime"] == "2022-03-19T12:00:00Z" and mel["notificationSequence"] == 0
    assert next(r for r in phybm["MILS"] if r["bmUnit"] == "T_DRAXX-1")["dataset"] == "MILS"


def test_system_prices_through_europe_london(ssp):
    per_day = Counter(r["settlementDate"] for r in ssp)
    assert len(ssp) == 54912 and len(per_day) == 1144
    assert {d: n for d, n in per_day.items() if n != 48} == {
        "2019-10-27": 50, "2020-03-29": 46, "2020-10-25": 50, "2021-03-28": 46, "2021-10-31": 50,
        "2022-03-27": 46,
    }  # fmt: skip
    by_key = {(r["settlementDate"], r["settlementPeriod"]): r for r in ssp}
    autumn = by_key[("2019-10-27", 50)]  # 27/10/2019,50,45,45,105.5561
    assert autumn["startTime"] == "2019-10-27T23:30:00Z"
    assert (autumn["systemSellPrice"], autumn["systemBuyPrice"], autumn["netImbalanceVolume"]) == (45.0, 45.0, 105.5561)
    assert autumn["createdDateTime"] == "2019-10-29T00:00:00Z"  # placeholder: period end + 1 day
    spring = by_key[("2020-03-29", 3)]  # 29/03/2020,3,3.41,3.41,-440.9613 -- 02:00 BST
    assert spring["startTime"] == "2020-03-29T01:00:00Z" and spring["systemSellPrice"] == 3.41
    assert by_key[("2022-03-19", 27)]["startTime"] == "2022-03-19T13:00:00Z"
    assert by_key[("2019-04-08", 1)]["startTime"] == "2019-04-07T23:00:00Z"  # BST: 23:00Z the day before
    assert all("dataset" not in r for r in ssp[:10])


def test_fuelhh(fuelhh):
    assert len(fuelhh) == 10414 * 18
    rows = {(r["settlementDate"], r["settlementPeriod"], r["fuelType"]): r for r in fuelhh}
    # 2022-03-27,3,10864,0,0,5093,1574,... -- spring clock change, period 3 = 02:00 BST = 01:00Z
    ccgt = rows[("2022-03-27", 3, "CCGT")]
    assert ccgt["generation"] == 10864 and ccgt["startTime"] == "2022-03-27T01:00:00Z"
    assert ccgt["publishTime"] == "2022-03-27T01:30:00Z"
    assert rows[("2022-03-27", 3, "WIND")]["generation"] == 1574
    assert rows[("2022-08-05", 1, "NUCLEAR")]["startTime"] == "2022-08-04T23:00:00Z"
    assert max(p for d, p, _ in rows if d == "2022-03-27") == 46


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("HDR,BID OFFER LEVEL DATA,20220319,27\nBOD,X,1,2022031913,0,20220319133000,0,1,2\n", r"bad.csv:2.*timestamp"),
        ("HDR,BID OFFER LEVEL DATA,20220319,27\nBOD,X,1,20220319130000,0\n", r"bad.csv:2.*5 fields"),
        ("BOD,X\n", r"bad.csv:1.*HDR"),
    ],
)
def test_bad_bod_input_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(legacy.LegacyFormatError, match=message):
        legacy.bod_rows(path)


def test_bad_system_price_period_is_rejected(tmp_path):
    path = tmp_path / "ssp.csv"
    path.write_text("Settlement Date,Settlement Period,SSP,SBP,NIV\n29/03/2020,47,1,1,1\n")
    with pytest.raises(legacy.LegacyFormatError, match=r"ssp.csv:2.*period 47 does not exist"):
        legacy.disebsp_rows(path)
