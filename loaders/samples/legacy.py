"""Converters from legacy (pre-Insights) BMRS CSV files to Insights-API-shaped rows.

Each converter returns dicts with exactly the API field names and JSON types of the registry
dataset (see :mod:`loaders.samples.shape`), as the Insights API would return them. Facts that the
legacy files do not carry are filled as documented in ``docs/samples.md``:

- Legacy files name a unit by one id only (``2__AANGE001``, ``T_DRAXX-1``); it goes into both
  ``bmUnit`` and ``nationalGridBmUnit``.
- Legacy times (``yyyymmddHHMMSS``) are UTC.
- BOALF ``amendmentFlag`` is unknown -> ``None``; ``rrFlag`` = rrInstructionFlag OR rrScheduleFlag;
  ``storFlag`` = storProviderFlag.
- MEL/MIL carry no notification -> ``notificationTime`` = the period's start minus one hour (gate
  closure), ``notificationSequence`` = 0.
- System prices (DISEBSP) from the SSP/SBP/NIV CSV: ``createdDateTime`` is unknown -> placeholder
  period end + 1 day; fields the CSV lacks are ``None``.
- FUELHH: ``startTime`` = period start, ``publishTime`` = period end (as the API publishes them).

Settlement period <-> UTC always goes through Europe/London (:mod:`loaders.settlement`).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from loaders.settlement import PERIOD, fmt_ts, period_start, periods_in_day, settlement_period_of


class LegacyFormatError(ValueError):
    """A legacy CSV line that cannot be converted (message names the file and line)."""


def _ts(text: str, where: str) -> datetime:
    if len(text) != 14 or not text.isdigit():  # strptime alone would accept e.g. "2022031913"
        raise LegacyFormatError(f"{where}: bad legacy timestamp {text!r} (want yyyymmddHHMMSS)")
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise LegacyFormatError(f"{where}: bad legacy timestamp {text!r} (want yyyymmddHHMMSS)") from exc


def _num(text: str, where: str) -> int | float:
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError as exc:
        raise LegacyFormatError(f"{where}: bad number {text!r}") from exc


def _flag(text: str, where: str) -> bool:
    if text not in ("T", "F"):
        raise LegacyFormatError(f"{where}: bad flag {text!r} (want T or F)")
    return text == "T"


def _lines(path: Path) -> Iterator[tuple[str, list[str]]]:
    with path.open(newline="") as fh:
        for lineno, fields in enumerate(csv.reader(fh), start=1):
            if fields:
                yield f"{path.name}:{lineno}", [f.strip() for f in fields]


def _header(path: Path) -> tuple[date, int]:
    """Settlement date and period from a legacy ``HDR,<title>,yyyymmdd,period`` first line."""
    for where, fields in _lines(path):
        if fields[0] != "HDR" or len(fields) < 4:
            raise LegacyFormatError(f"{where}: expected 'HDR,<title>,yyyymmdd,period'")
        try:
            return datetime.strptime(fields[2], "%Y%m%d").date(), int(fields[3])
        except ValueError as exc:
            raise LegacyFormatError(f"{where}: bad header date/period {fields[2:4]}") from exc
    raise LegacyFormatError(f"{path.name}: empty file")


def _records(path: Path, kind: str, width: int) -> Iterator[tuple[str, list[str]]]:
    for where, fields in _lines(path):
        if fields[0] != kind:
            continue
        if len(fields) != width:
            raise LegacyFormatError(f"{where}: {kind} record has {len(fields)} fields, expected {width}")
        yield where, fields


def bod_rows(path: Path) -> list[dict[str, Any]]:
    """Legacy ``BID OFFER LEVEL DATA`` CSV -> BOD rows.

    Record: ``BOD, bmUnit, pairNumber, timeFrom, levelFrom, timeTo, levelTo, bidPrice, offerPrice``
    (bid price before offer price). Settlement date and period come from the header line.
    """
    sd, sp = _header(path)
    rows = []
    for where, f in _records(path, "BOD", 9):
        rows.append(
            {
                "dataset": "BOD",
                "settlementDate": sd.isoformat(),
                "settlementPeriod": sp,
                "timeFrom": fmt_ts(_ts(f[3], where)),
                "levelFrom": _num(f[4], where),
                "timeTo": fmt_ts(_ts(f[5], where)),
                "levelTo": _num(f[6], where),
                "pairId": int(_num(f[2], where)),
                "offer": float(_num(f[8], where)),
                "bid": float(_num(f[7], where)),
                "nationalGridBmUnit": f[1],
                "bmUnit": f[1],
            }
        )
    return rows


def _physical(path: Path, kind: str, dataset: str) -> list[dict[str, Any]]:
    sd, _ = _header(path)
    rows = []
    for where, f in _records(path, kind, 7):
        rows.append(
            {
                "dataset": dataset,
                "settlementDate": sd.isoformat(),
                "settlementPeriod": int(_num(f[2], where)),
                "timeFrom": fmt_ts(_ts(f[3], where)),
                "timeTo": fmt_ts(_ts(f[5], where)),
                "levelFrom": _num(f[4], where),
                "levelTo": _num(f[6], where),
                "nationalGridBmUnit": f[1],
                "bmUnit": f[1],
            }
        )
    return rows


def pn_rows(path: Path) -> list[dict[str, Any]]:
    """PHYBMDATA ``PN, bmUnit, period, timeFrom, levelFrom, timeTo, levelTo`` -> PN rows."""
    return _physical(path, "PN", "PN")


def qpn_rows(path: Path) -> list[dict[str, Any]]:
    """PHYBMDATA ``QPN`` records (same layout as PN) -> QPN rows; levels whole MW, as the API's integers."""
    rows = _physical(path, "QPN", "QPN")
    for row in rows:
        for end in ("levelFrom", "levelTo"):
            level = row[end]
            if level != int(level):
                raise LegacyFormatError(f"{path.name}: QPN level {level!r} is not whole MW")
            row[end] = int(level)
    return rows


def mels_rows(path: Path, kind: str = "MEL") -> list[dict[str, Any]]:
    """PHYBMDATA MEL (or ``kind="MIL"``) records -> MELS (MILS) rows with placeholder notification."""
    dataset = {"MEL": "MELS", "MIL": "MILS"}[kind]
    sd, _ = _header(path)
    out = []
    for row in _physical(path, kind, dataset):
        start = period_start(sd, row["settlementPeriod"])
        levels = {k: row.pop(k) for k in ("nationalGridBmUnit", "bmUnit")}
        row["notificationTime"] = fmt_ts(start - timedelta(hours=1))
        row["notificationSequence"] = 0
        row.update(levels)
        out.append(row)
    return out


def mils_rows(path: Path) -> list[dict[str, Any]]:
    return mels_rows(path, "MIL")


def boalf_rows(path: Path) -> list[dict[str, Any]]:
    """PHYBMDATA BOALF records -> BOALF rows.

    Record: ``BOALF, bmUnit, acceptanceNumber, acceptanceTime, deemedBoFlag, soFlag,
    storProviderFlag, rrInstructionFlag, rrScheduleFlag, timeFrom, levelFrom, timeTo, levelTo``.
    ``settlementDate``/``settlementPeriodFrom`` come from ``timeFrom``, ``settlementPeriodTo`` from
    ``timeTo`` (period containing it, start inclusive -- as the API does).
    """
    rows = []
    for where, f in _records(path, "BOALF", 13):
        t_from, t_to = _ts(f[9], where), _ts(f[11], where)
        sd, sp_from = settlement_period_of(t_from)
        sd_to, sp_to = settlement_period_of(t_to)
        if sd_to != sd:  # segment ends on the next settlement day: count periods on from-day
            sp_to = periods_in_day(sd) + int((t_to - period_start(sd_to, 1)) / PERIOD) + 1
        rows.append(
            {
                "dataset": "BOALF",
                "settlementDate": sd.isoformat(),
                "settlementPeriodFrom": sp_from,
                "settlementPeriodTo": sp_to,
                "timeFrom": fmt_ts(t_from),
                "timeTo": fmt_ts(t_to),
                "levelFrom": _num(f[10], where),
                "levelTo": _num(f[12], where),
                "acceptanceNumber": int(_num(f[2], where)),
                "acceptanceTime": fmt_ts(_ts(f[3], where)),
                "deemedBoFlag": _flag(f[4], where),
                "soFlag": _flag(f[5], where),
                "storFlag": _flag(f[6], where),
                "rrFlag": _flag(f[7], where) or _flag(f[8], where),
                "amendmentFlag": None,
                "nationalGridBmUnit": f[1],
                "bmUnit": f[1],
            }
        )
    return rows


def _float_or_none(text: str, where: str) -> float | None:
    return None if text == "" else float(_num(text, where))


def disebsp_rows(path: Path, dates: Collection[date] | None = None) -> list[dict[str, Any]]:
    """``Settlement Date (dd/mm/yyyy), Settlement Period, SSP, SBP, NIV`` CSV -> DISEBSP rows
    (only settlement dates in ``dates`` if given)."""
    wanted = {d.strftime("%d/%m/%Y") for d in dates} if dates is not None else None
    rows = []
    for where, f in _lines(path):
        if f[0].startswith("Settlement Date") or (wanted is not None and f[0] not in wanted):
            continue
        if len(f) != 5:
            raise LegacyFormatError(f"{where}: expected 5 fields, got {len(f)}")
        try:
            sd = datetime.strptime(f[0], "%d/%m/%Y").date()
            sp = int(f[1])
        except ValueError as exc:
            raise LegacyFormatError(f"{where}: bad settlement date/period {f[:2]}") from exc
        try:
            start = period_start(sd, sp)
        except ValueError as exc:
            raise LegacyFormatError(f"{where}: {exc}") from exc
        rows.append(
            {
                "settlementDate": sd.isoformat(),
                "settlementPeriod": sp,
                "startTime": fmt_ts(start),
                "createdDateTime": fmt_ts(start + PERIOD + timedelta(days=1)),
                "systemSellPrice": float(_num(f[2], where)),
                "systemBuyPrice": float(_num(f[3], where)),
                "bsadDefaulted": None,
                "priceDerivationCode": None,
                "reserveScarcityPrice": None,
                "netImbalanceVolume": _float_or_none(f[4], where),
                **dict.fromkeys(_DISEBSP_UNKNOWN),
            }
        )
    return rows


_DISEBSP_UNKNOWN = (
    "sellPriceAdjustment",
    "buyPriceAdjustment",
    "replacementPrice",
    "replacementPriceReferenceVolume",
    "totalAcceptedOfferVolume",
    "totalAcceptedBidVolume",
    "totalAdjustmentSellVolume",
    "totalAdjustmentBuyVolume",
    "totalSystemTaggedAcceptedOfferVolume",
    "totalSystemTaggedAcceptedBidVolume",
    "totalSystemTaggedAdjustmentSellVolume",
    "totalSystemTaggedAdjustmentBuyVolume",
)


def fuelhh_rows(path: Path, dates: Collection[date] | None = None) -> list[dict[str, Any]]:
    """``#Settlement Date, Settlement Period, <FUEL>...`` CSV -> one FUELHH row per fuel type
    (only settlement dates in ``dates`` if given)."""
    wanted = {d.isoformat() for d in dates} if dates is not None else None
    rows: list[dict[str, Any]] = []
    fuels: list[str] = []
    for where, f in _lines(path):
        if f[0].startswith("#"):
            fuels = f[2:]
            continue
        if wanted is not None and f[0] not in wanted:
            continue
        if not fuels:
            raise LegacyFormatError(f"{where}: data before the '#Settlement Date,...' header")
        if len(f) != len(fuels) + 2:
            raise LegacyFormatError(f"{where}: expected {len(fuels) + 2} fields, got {len(f)}")
        try:
            sd = date.fromisoformat(f[0])
            start = period_start(sd, int(f[1]))
        except ValueError as exc:
            raise LegacyFormatError(f"{where}: bad settlement date/period {f[:2]}: {exc}") from exc
        common = {
            "dataset": "FUELHH",
            "publishTime": fmt_ts(start + PERIOD),
            "startTime": fmt_ts(start),
            "settlementDate": sd.isoformat(),
            "settlementPeriod": int(f[1]),
        }
        for fuel, value in zip(fuels, f[2:], strict=True):
            rows.append({**common, "fuelType": fuel, "generation": int(_num(value, where))})
    return rows
