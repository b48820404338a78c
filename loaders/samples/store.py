"""The replay store: API-shaped sample rows laid out per dataset and settlement day.

Layout (a contract with the loopback API replay server -- see docs/samples.md):

- ``<root>/<DATASET>/<YYYY-MM-DD>.ndjson``: one API row per line, the rows of settlement day D. For
  a timestamp ``window_column`` (registry): rows whose value lies in [local midnight D, local
  midnight D+1) in UTC; for a date window column: ``settlementDate == D``. Lines are sorted
  ascending by the window column.
- variants (BOAV, EBOCF): ``<root>/<DATASET>/<variant>/<YYYY-MM-DD>.ndjson``; rows carry no
  ``bidOffer`` field (the API has it in the path).
- ``<root>/BMUNITS/snapshot.ndjson``.
- ``<root>/manifest.json``: ``{key: {day: row count}}`` with key ``DATASET`` or ``DATASET/variant``
  (BMUNITS: ``{"BMUNITS": {"snapshot": n}}``); ``<root>/sources.json``: same keys, value
  ``"synthetic"`` or ``"real:<set>"``.

Real data overrides synthetic for every (dataset, day) it covers; real days outside ``days`` are
added too. The BMUNITS snapshot is the real reference rows plus the synthetic units they lack.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from loaders.registry import DATASETS, get_dataset
from loaders.samples import real_sets
from loaders.samples.shape import dumps_row, window_is_date
from loaders.samples.synthetic import generate_bmunits, generate_day
from loaders.settlement import parse_ts, settlement_period_of

log = logging.getLogger(__name__)
Row = dict[str, Any]
SNAPSHOT = "snapshot"


def store_key(dataset: str, variant: str | None = None) -> str:
    return f"{dataset}/{variant}" if variant else dataset


def store_path(root: Path, dataset: str, day: date | str, variant: str | None = None) -> Path:
    """Path of one store file; ``dataset`` may also be ``"BOAV/bid"``."""
    if "/" in dataset:
        dataset, variant = dataset.split("/", 1)
    ds = get_dataset(dataset)
    name = SNAPSHOT if ds.window_column is None else str(day)
    if ds.variants and variant not in ds.variants:
        raise ValueError(f"{ds.name} needs a variant, one of {ds.variants}; got {variant!r}")
    folder = Path(root) / ds.name / variant if ds.variants and variant else Path(root) / ds.name
    return folder / f"{name}.ndjson"


def window_day(dataset: str, row: Row) -> date:
    """The settlement day whose store file holds ``row`` (by the registry window column)."""
    ds = get_dataset(dataset)
    value = row[ds.window_column] if ds.window_column else None
    if value is None:
        raise ValueError(f"{ds.name} row has no window column {ds.window_column!r}: {row}")
    if window_is_date(ds):
        return date.fromisoformat(str(value))
    return settlement_period_of(parse_ts(str(value)))[0]


def sort_key(dataset: str):
    ds = get_dataset(dataset)
    col = ds.window_column
    if col is None or window_is_date(ds):
        return lambda r: str(r.get(col, "")) if col else ""
    return lambda r: parse_ts(str(r[col]))


def write_ndjson(path: Path, rows: Iterable[Row], fast: bool) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".ndjson.tmp")
    n = 0
    dumps = (lambda r: json.dumps(r, separators=(",", ":"))) if fast else dumps_row
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(dumps(row))
            fh.write("\n")
            n += 1
    os.replace(tmp, path)
    return n


def _prepare_root(root: Path) -> None:
    if root.exists() and any(root.iterdir()):
        if not (root / "manifest.json").exists():
            raise FileExistsError(f"{root} is not empty and is not a replay store (no manifest.json)")
        for name in (*DATASETS, "manifest.json", "sources.json"):
            target = root / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    root.mkdir(parents=True, exist_ok=True)


def collect_real(
    sets: Iterable[str], csv_days: str = "default", datasets: set[str] | None = None
) -> tuple[dict[tuple[str, date], tuple[str, list[Row]]], list[Row]]:
    """Real rows bucketed by (dataset, window day) -> (set name, rows); plus BMUNITS rows."""
    if csv_days not in ("default", "all"):
        raise ValueError(f"csv_days must be 'default' or 'all', not {csv_days!r}")
    buckets: dict[tuple[str, date], tuple[str, list[Row]]] = {}
    bmunits: dict[str, list[Row]] = {}
    for set_name in sets:
        keep_days = real_sets.CSV_SET_DAYS.get(set_name) if csv_days == "default" else None
        for dataset, rows in real_sets.real_rows(set_name, csv_days):
            if datasets is not None and dataset not in datasets:
                continue
            if get_dataset(dataset).window_column is None:
                bmunits[set_name] = rows
                continue
            for row in rows:
                day = window_day(dataset, row)
                if keep_days is not None and day not in keep_days:
                    continue
                owner, bucket = buckets.setdefault((dataset, day), (set_name, []))
                if owner != set_name:  # two real sets on one (dataset, day): the later set wins
                    buckets[(dataset, day)] = owner, bucket = set_name, []
                bucket.append(row)
    # prefer the most recent reference capture (gridskew 2026-08-20 over samples 2026-05-08)
    ref = bmunits.get("gridskew") or bmunits.get("samples") or []
    return buckets, ref


def build_store(
    root: Path,
    days: list[date],
    scale: str = "demo",
    seed: int = 0,
    include_real: bool = True,
    datasets: Iterable[str] | None = None,
    real: Iterable[str] | None = None,
    csv_days: str = "default",
) -> dict[str, dict[str, int]]:
    """Write a replay store under ``root`` and return its manifest ``{key: {day: rows}}``.

    ``days``: settlement days to generate synthetically. ``include_real``: also write the bundled
    real data (``real`` chooses sets from :data:`real_sets.REAL_SETS`, default all), overriding
    synthetic rows for each (dataset, day) it covers. ``datasets``: limit to these registry codes.
    ``csv_days``: ``"default"`` (clock-change + legacy days) or ``"all"`` days of the big CSVs.
    """
    root = Path(root)
    wanted = {get_dataset(d).name for d in datasets} if datasets is not None else set(DATASETS)
    _prepare_root(root)
    manifest: dict[str, dict[str, int]] = {}
    sources: dict[str, dict[str, str]] = {}
    buckets, ref_units = (
        collect_real(real if real is not None else real_sets.REAL_SETS, csv_days, wanted) if include_real else ({}, [])
    )

    def record(key: str, day: str, n: int, source: str) -> None:
        manifest.setdefault(key, {})[day] = n
        sources.setdefault(key, {})[day] = source

    day_names = sorted(wanted - {"BMUNITS"})
    for day in sorted(set(days)):
        synth = generate_day(day, scale, seed, [d for d in day_names if (d, day) not in buckets])
        for key, rows in synth.items():
            dataset, _, variant = key.partition("/")
            path = store_path(root, dataset, day, variant or None)
            day_name = day.isoformat() if get_dataset(dataset).window_column else SNAPSHOT
            record(key, day_name, write_ndjson(path, rows, fast=True), "synthetic")
        log.info("store %s: synthetic day %s (%s datasets)", root, day, len(synth))
    for (dataset, day), (set_name, rows) in sorted(buckets.items()):
        rows = sorted(rows, key=sort_key(dataset))
        path = store_path(root, dataset, day)
        record(dataset, day.isoformat(), write_ndjson(path, rows, fast=False), f"real:{set_name}")
    if "BMUNITS" in wanted:
        seen = {r.get("nationalGridBmUnit") for r in ref_units}
        synth_units = [r for r in generate_bmunits(scale, seed) if r["nationalGridBmUnit"] not in seen]
        n = write_ndjson(store_path(root, "BMUNITS", SNAPSHOT), [*ref_units, *synth_units], fast=False)
        record("BMUNITS", SNAPSHOT, n, "real+synthetic" if ref_units else "synthetic")
    manifest = {k: dict(sorted(v.items())) for k, v in sorted(manifest.items())}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    (root / "sources.json").write_text(json.dumps(sources, indent=1, sort_keys=True) + "\n")
    return manifest


def iter_store_rows(
    root: Path, dataset: str, day: date | str | None = None, variant: str | None = None
) -> Iterator[Row]:
    """Rows of one store file (``day`` ignored for BMUNITS); yields nothing if the file is absent."""
    path = store_path(root, dataset, day if day is not None else SNAPSHOT, variant)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def read_manifest(root: Path) -> dict[str, dict[str, int]]:
    return json.loads((Path(root) / "manifest.json").read_text())
