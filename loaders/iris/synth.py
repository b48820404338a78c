"""IRIS-shaped messages built from real Elexon records (``sample_records.json``), for tests,
benchmarks and demos. Each record is a real record with its key fields moved along (time, unit,
acceptance number), so every generated record is unique on its dataset's natural key and a load
can be checked for "every record exactly once".

Contains BMRS data © Elexon Limited copyright and database right (see the file's attribution)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from loaders.settlement import settlement_period_of

SAMPLES = Path(__file__).with_name("sample_records.json")
FUELS = (
    *("BIOMASS", "CCGT", "COAL", "INTELEC", "INTEW", "INTFR", "INTGRNL", "INTIFA2", "INTIRL", "INTNED"),
    *("INTNEM", "INTNSL", "INTVKL", "NPSHYD", "NUCLEAR", "OCGT", "OIL", "OTHER", "PS", "WIND"),
)

# (dataset, share of messages, records per message): roughly IRIS's own mix
REALISTIC_MIX: tuple[tuple[str, float, int], ...] = (
    ("FREQ", 0.15, 20),
    ("FUELINST", 0.10, 20),
    ("BOD", 0.25, 40),
    ("BOALF", 0.20, 4),
    ("MELS", 0.25, 30),
    ("DISEBSP", 0.05, 1),
)


@cache
def samples() -> dict[str, Any]:
    return json.loads(SAMPLES.read_text(encoding="utf-8"))


def _z(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sp(ts: datetime) -> tuple[str, int]:
    """(settlementDate, settlementPeriod) of a UTC instant, through Europe/London."""
    day, period = settlement_period_of(ts)
    return day.isoformat(), period


@cache
def default_t0() -> datetime:
    """Two days before today (UTC midnight): recent enough for the unified models' lookback."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=2)


def make_record(dataset: str, seq: int, t0: datetime | None = None) -> dict[str, Any]:
    """The ``seq``-th synthetic record of ``dataset`` (unique on the dataset's natural key)."""
    t0 = t0 or default_t0()
    s = samples()
    units = s["_bm_units"]
    rec = copy.deepcopy(s[dataset][seq % len(s[dataset])])
    if dataset == "FREQ":
        rec["measurementTime"] = _z(t0 + timedelta(seconds=15 * seq))
        rec["frequency"] = round(49.9 + (seq % 200) / 1000, 3)
    elif dataset == "FUELINST":
        start = t0 + timedelta(minutes=5 * (seq // len(FUELS)))
        rec.update(fuelType=FUELS[seq % len(FUELS)], startTime=_z(start), publishTime=_z(start + timedelta(minutes=5)))
        rec["settlementDate"], rec["settlementPeriod"] = _sp(start)
        rec["generation"] = 100 + seq % 9000
    elif dataset == "BOD":
        pair = 1 if seq % 2 == 0 else -1
        unit = units[(seq // 2) % len(units)]
        start = t0 + timedelta(minutes=30 * (seq // (2 * len(units))))
        rec.update(pairId=pair, nationalGridBmUnit=unit, bmUnit=unit, timeFrom=_z(start))
        rec["timeTo"] = _z(start + timedelta(minutes=30))
        rec["settlementDate"], rec["settlementPeriod"] = _sp(start)
    elif dataset == "BOALF":
        start = t0 + timedelta(minutes=30 * (seq // 50))
        unit = units[seq % len(units)]
        rec.update(acceptanceNumber=100000 + seq, nationalGridBmUnit=unit, bmUnit="T_" + unit)
        rec.update(timeFrom=_z(start), timeTo=_z(start + timedelta(minutes=30)))
        rec["acceptanceTime"] = _z(start - timedelta(minutes=20))
        rec["settlementDate"], rec["settlementPeriodFrom"] = _sp(start)
        rec["settlementPeriodTo"] = rec["settlementPeriodFrom"]
    elif dataset == "MELS":
        unit = units[seq % len(units)]
        start = t0 + timedelta(minutes=30 * (seq // len(units)))
        rec.update(nationalGridBmUnit=unit, bmUnit="T_" + unit, timeFrom=_z(start))
        rec.update(timeTo=_z(start + timedelta(minutes=30)), notificationSequence=235873031 + seq)
        rec["notificationTime"] = _z(start - timedelta(hours=1))
        rec["settlementDate"], rec["settlementPeriod"] = _sp(start)
    elif dataset == "DISEBSP":
        start = t0 + timedelta(minutes=30 * seq)
        rec["startTime"] = _z(start)
        rec["settlementDate"], rec["settlementPeriod"] = _sp(start)
        rec["createdDateTime"] = _z(start + timedelta(minutes=44))
    else:
        raise ValueError(f"no synthetic records for {dataset}")
    return rec


@dataclass
class SynthMessage:
    dataset: str
    message_id: str
    records: list[dict[str, Any]]

    def body(self) -> bytes:
        """The body as IRIS sends it: a compact JSON array (UTF-8)."""
        return json.dumps(self.records, separators=(",", ":")).encode("utf-8")


def messages(
    n: int, mix: tuple[tuple[str, float, int], ...] = REALISTIC_MIX, start: int = 0, t0: datetime | None = None
) -> Iterator[SynthMessage]:
    """``n`` messages in a deterministic interleaving following ``mix``; ``start`` skips the first."""
    t0 = t0 or default_t0()
    seqs = {name: 0 for name, _, _ in mix}
    credit = {name: 0.0 for name, _, _ in mix}
    for i in range(start + n):
        for name, share, _ in mix:
            credit[name] += share
        name, _share, size = max(mix, key=lambda m: credit[m[0]])
        credit[name] -= 1.0
        recs = [make_record(name, seqs[name] + j, t0) for j in range(size)] if i >= start else []
        seqs[name] += size
        if i >= start:
            stamp = (t0 + timedelta(minutes=i)).strftime("%Y%m%d%H%M")
            yield SynthMessage(name, f"{name}_{stamp}_{i:07d}.json", recs)


def write_client_files(root: Path, msgs: list[SynthMessage]) -> int:
    """Write messages the way Elexon's Python client saves them: ``root/<subject>/<message_id>``."""
    total = 0
    for m in msgs:
        d = root / m.dataset
        d.mkdir(parents=True, exist_ok=True)
        (d / m.message_id).write_bytes(m.body())
        total += len(m.records)
    return total
