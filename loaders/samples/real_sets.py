"""The bundled REAL Elexon data (``loaders/samples/real/``), grouped into named sets.

Contains BMRS data © Elexon Limited copyright and database right (sources: real/README.md).

Each set yields ``(key, rows)`` pairs where key is a registry dataset code; rows are API-shaped
(JSON files as returned by the API, legacy CSVs through :mod:`loaders.samples.legacy`). Numbers in
JSON files are kept as ``Decimal`` so their exact digits survive into the replay store.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from loaders.samples import legacy
from loaders.samples.shape import load_json, unwrap

REAL_DIR = Path(__file__).parent / "real"
ATTRIBUTION = "Contains BMRS data © Elexon Limited copyright and database right"

Rows = list[dict[str, Any]]

_SAMPLES = {  # elexon_samples/<file>: dataset (captured 2026-05-08 for 2026-05-06 windows)
    "BOALF.json": "BOALF",
    "DISBSAD.json": "DISBSAD",
    "DISEBSP_system_prices.json": "DISEBSP",
    "FREQ.json": "FREQ",
    "FUELHH.json": "FUELHH",
    "FUELINST.json": "FUELINST",
    "INDDEM.json": "INDDEM",
    "INDGEN.json": "INDGEN",
    "INDO.json": "INDO",
    "ITSDO.json": "ITSDO",
    "MID.json": "MID",
    "NETBSAD.json": "NETBSAD",
    "PN.json": "PN",
    "REMIT.json": "REMIT",
    "WINDFOR.json": "WINDFOR",
    "BMUNITS_reference_all.json": "BMUNITS",
}
_GRIDSKEW = {  # insights_api_fixtures/<file>: dataset (captured 2026-08-20)
    "gridskew_pn_stream.json": "PN",
    "gridskew_mels_stream.json": "MELS",
    "gridskew_mils_stream.json": "MILS",
    "gridskew_indo.json": "INDO",
    "gridskew_itsdo.json": "ITSDO",
    "gridskew_remit_stream.json": "REMIT",
    "gridskew_system_prices.json": "DISEBSP",
    "gridskew_bmunits_truncated.json": "BMUNITS",
    "gridskew_qpn_stream.json": "QPN",
    "gridskew_ndf_truncated.json": "NDF",
    "gridskew_b1610_stream.json": "B1610",
}
_CLOCK_CHANGE = (
    "DISEBSP_2025-10-26_autumn_clock_change_50_periods.json",
    "DISEBSP_2026-03-29_spring_clock_change_46_periods.json",
)
LEGACY_DIR = REAL_DIR / "legacy_2022-03-19_SP27"
LEGACY_BOD = LEGACY_DIR / "BOD_2022-03-19_SP27_all_bmus.csv"
LEGACY_PHYBM = LEGACY_DIR / "PHYBMDATA_PN_QPN_MEL_MIL_BOALF_2022-03-19_SP27_all_bmus.csv"
SSP_CSV = REAL_DIR / "system_prices" / "ssp_sbp_niv_2019-04-08_to_2022-05-25.csv"
FUELHH_CSV = REAL_DIR / "fuelhh" / "FUELHH_2022.csv"

# Days the two big CSVs contribute by default (csv_days="default"): every clock-change day they
# hold plus the legacy BOD/PHYBMDATA day. csv_days="all" converts every day in them.
SSP_DEFAULT_DAYS = (
    date(2019, 10, 27),
    date(2020, 3, 29),
    date(2020, 10, 25),
    date(2021, 3, 28),
    date(2021, 10, 31),
    date(2022, 3, 19),
    date(2022, 3, 27),
)
FUELHH_DEFAULT_DAYS = (date(2022, 3, 19), date(2022, 3, 27))


def _json_files(folder: str, files: dict[str, str]) -> Iterator[tuple[str, Rows]]:
    for name, dataset in files.items():
        path = REAL_DIR / folder / name
        try:
            yield dataset, unwrap(load_json(path.read_text()))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc


def _samples() -> Iterator[tuple[str, Rows]]:
    yield from _json_files("elexon_samples", _SAMPLES)


def _gridskew() -> Iterator[tuple[str, Rows]]:
    yield from _json_files("insights_api_fixtures", _GRIDSKEW)


def _clock_change() -> Iterator[tuple[str, Rows]]:
    yield from _json_files("system_prices", dict.fromkeys(_CLOCK_CHANGE, "DISEBSP"))


def _legacy() -> Iterator[tuple[str, Rows]]:
    yield "BOD", legacy.bod_rows(LEGACY_BOD)
    yield "PN", legacy.pn_rows(LEGACY_PHYBM)
    yield "QPN", legacy.qpn_rows(LEGACY_PHYBM)
    yield "BOALF", legacy.boalf_rows(LEGACY_PHYBM)
    yield "MELS", legacy.mels_rows(LEGACY_PHYBM)
    yield "MILS", legacy.mils_rows(LEGACY_PHYBM)


def _ssp(days: Collection[date] | None = None) -> Iterator[tuple[str, Rows]]:
    yield "DISEBSP", legacy.disebsp_rows(SSP_CSV, days)  # window = settlementDate


def _fuelhh(days: Collection[date] | None = None) -> Iterator[tuple[str, Rows]]:
    # window = publishTime = period end: store day D holds the last period of D-1 too
    dates = None if days is None else {x for d in days for x in (d, d - timedelta(days=1))}
    yield "FUELHH", legacy.fuelhh_rows(FUELHH_CSV, dates)


REAL_SETS: dict[str, Callable[..., Iterator[tuple[str, Rows]]]] = {
    "samples": _samples,  # small live captures for 2026-05-06 (+ a 2-row BMUNITS list)
    "gridskew": _gridskew,  # small live captures for 2026-08-01 / 2026-08-19 (+ 10-row BMUNITS list)
    "clock_change_disebsp": _clock_change,  # full DISEBSP days 2025-10-26 (50) and 2026-03-29 (46)
    "legacy_2022_03_19": _legacy,  # BOD/PN/QPN/BOALF/MELS/MILS of 2022-03-19 period 27 (legacy CSV)
    "ssp_sbp_niv": _ssp,  # DISEBSP from the SSP/SBP/NIV CSV (2019-04-08 .. 2022-05-25)
    "fuelhh_2022": _fuelhh,  # FUELHH 2022-01-01 .. 2022-08-05
}
# sets whose days are limited by csv_days="default"
CSV_SET_DAYS = {"ssp_sbp_niv": SSP_DEFAULT_DAYS, "fuelhh_2022": FUELHH_DEFAULT_DAYS}


def real_rows(name: str, csv_days: str = "default") -> Iterator[tuple[str, Rows]]:
    """Rows of one real set. For the big CSV sets, ``csv_days="default"`` converts only the rows
    that can land on :data:`CSV_SET_DAYS` (callers still window them); ``"all"`` converts all."""
    if name not in REAL_SETS:
        raise ValueError(f"unknown real data set {name!r}; known: {', '.join(REAL_SETS)}")
    if name in CSV_SET_DAYS and csv_days == "default":
        yield from REAL_SETS[name](CSV_SET_DAYS[name])
    else:
        yield from REAL_SETS[name]()
