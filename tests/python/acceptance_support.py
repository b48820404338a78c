"""Helpers for the acceptance tests: load API-shaped rows into raw tables, run dbt, query results.

Rows go through the real loader path (``loaders.parse.parse_records_file`` -> Parquet ->
``DuckDBWriter.replace_window``), so a test exercises the same typing the backfill uses.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from loaders.parse import parse_records_file
from loaders.quarantine import Quarantine
from loaders.registry import get_dataset
from loaders.samples import legacy
from loaders.warehouse.base import TableBatch, Writer
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.dbt_harness import query, run_dbt

ROOT = Path(__file__).resolve().parents[2]
LEGACY_DIR = ROOT / "loaders" / "samples" / "real" / "legacy_2022-03-19_SP27"
PHY = LEGACY_DIR / "PHYBMDATA_PN_QPN_MEL_MIL_BOALF_2022-03-19_SP27_all_bmus.csv"
BOD = LEGACY_DIR / "BOD_2022-03-19_SP27_all_bmus.csv"
P27_START = datetime(2022, 3, 19, 13, 0, tzinfo=UTC)


def parse_rows(work: Path, dataset: str, rows: list[dict[str, Any]], variant: str | None = None) -> TableBatch | None:
    """API-shaped rows -> a typed Parquet batch for the dataset's API raw table (the loader's parser)."""
    ds = get_dataset(dataset)
    work.mkdir(parents=True, exist_ok=True)
    name = f"{ds.name.lower()}{'_' + variant if variant else ''}"
    src = work / f"{name}.json"
    src.write_text(json.dumps(rows))
    result = parse_records_file(
        ds,
        src,
        out_parquet=work / f"{name}.parquet",
        source="api",
        batch_id=f"test-{name}",
        quarantine=Quarantine(root=work / "quarantine"),
        input_name=src.name,
        fmt="array",
        variant=variant,
    )
    if result.rejected:
        raise AssertionError(f"{dataset}: {result.rejected} rows rejected: {result.rejected_messages}")
    return result.batch(ds, ds.raw_table)


def load_rows(
    db: Path | Writer, work: Path, dataset: str, rows: list[dict[str, Any]], variant: str | None = None
) -> int:
    """Replace the dataset's API raw table with ``rows`` (API field names) in a DuckDB file (path) or
    through any writer (e.g. the BigQuery writer on the emulator); returns rows loaded."""
    batch = parse_rows(work, dataset, rows, variant)
    writer = db if isinstance(db, Writer) else DuckDBWriter(db)
    writer.init()
    if batch is None:
        return 0
    return writer.replace_window(batch, None, f"test-{dataset.lower()}")


def dbt(args: list[str], db: Path, tmp: Path, target: str = "duckdb", env: dict[str, str] | None = None) -> str:
    """Run ``gbpower dbt ARGS`` against ``db`` with private target/log paths; returns dbt's output.

    Raises AssertionError (with dbt's output) when dbt fails."""
    run = run_dbt(args, tmp, target=target, env=env, duckdb_path=db)
    if run.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{run.output[-9000:]}")
    return run.output


def load_legacy(db: Path | Writer, work: Path) -> None:
    """Real 2022-03-19 SP27 BOD, PN and BOALF (every unit) via the legacy converter into raw tables."""
    load_rows(db, work, "BOD", legacy.bod_rows(BOD))
    load_rows(db, work, "PN", legacy.pn_rows(PHY))
    load_rows(db, work, "BOALF", legacy.boalf_rows(PHY))


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _interp(segments: list[tuple[datetime, float, datetime, float]], t: datetime) -> float | None:
    """Level at t from the segment covering it (the latest-starting one), None when none covers t."""
    best = None
    for a, la, b, lb in segments:
        if a <= t <= b and (best is None or a >= best[0]):
            best = (a, la, b, lb)
    if best is None:
        return None
    a, la, b, lb = best
    if b == a:
        return lb
    return la + (lb - la) * (t - a) / (b - a)


def expected_period27_volumes() -> dict[tuple[str, int], float]:
    """Integral over period 27 of q_k - q_{k-1} (MWh) per (unit, acceptance), computed directly from
    the CSV rows: spot values at every whole minute 13:00..13:30, trapezoid rule, acceptances applied
    in (acceptance time, number) order, q_0 = FPN."""
    fpn: dict[str, list] = defaultdict(list)
    for r in legacy.pn_rows(PHY):
        if r["settlementPeriod"] == 27:
            fpn[r["bmUnit"]].append((_ts(r["timeFrom"]), r["levelFrom"], _ts(r["timeTo"]), r["levelTo"]))
    accs: dict[str, dict[int, dict]] = defaultdict(dict)
    for r in legacy.boalf_rows(PHY):
        a = accs[r["bmUnit"]].setdefault(r["acceptanceNumber"], {"time": _ts(r["acceptanceTime"]), "segs": []})
        a["segs"].append((_ts(r["timeFrom"]), r["levelFrom"], _ts(r["timeTo"]), r["levelTo"]))
    out: dict[tuple[str, int], float] = {}
    for unit, by_number in accs.items():
        order = sorted(by_number, key=lambda n: (by_number[n]["time"], n))
        totals = dict.fromkeys(order, 0.0)
        for minute in range(31):
            t = P27_START + timedelta(minutes=minute)
            weight = 0.5 if minute in (0, 30) else 1.0
            q_prev = _interp(fpn[unit], t) or 0.0
            for n in order:
                q = _interp(by_number[n]["segs"], t)
                if q is None:
                    continue  # not active: q_k = q_{k-1}, adds nothing
                totals[n] += weight * (q - q_prev) / 60
                q_prev = q
        for n, v in totals.items():
            out[(unit, n)] = v
    return out


# --- the engine's two modes (var acceptances_exact_mode; docs/acceptances.md) ---------------------

# Outputs of the two modes agree to these (volumes are rounded to 1e-6 MWh, so a value on a rounding
# boundary may differ by one unit in the last place: hence the small allowance on top of 1e-6).
MODE_TOLERANCE_MWH = 1e-6 + 1e-9
MODE_TOLERANCE_GBP = 1e-4

# Queries over the engine's CTEs counting what took each path (see engine_minutes/bands/volumes).
ENGINE_PATHS = {
    "closed_form_pieces": "select count(*) from piece_sums",
    "minute_pieces": "select count(*) from minute_pieces",
    "pieces": "select count(*) from flagged_pieces",
    "held_periods": "select count(*) from held_periods",
    "flat_unit_periods": "select count(*) from bod_shapes where is_flat",
    "shaped_unit_periods": "select count(*) from bod_shapes where not is_flat",
    "fpn_minutes_without_window": "select count(*) from spot_minutes where shares_minutes = 0",
    "candidate_bands": "select count(*) from candidates",
}


def mode_vars(exact: bool) -> list[str]:
    """``--vars`` arguments selecting the engine mode."""
    return ["--vars", json.dumps({"acceptances_exact_mode": exact})]


def engine_path_counts(db: Path, tmp: Path, exact: bool) -> dict[str, int]:
    """How many rows took each path of the engine (ENGINE_PATHS) on the data in ``db``: boalf_complete
    is compiled in the given mode and its CTEs are queried in place of its final select."""
    dbt(["compile", "-s", "boalf_complete", "--full-refresh", *mode_vars(exact)], db, tmp)
    compiled = tmp / "target" / "compiled" / "gbpower" / "models" / "marts" / "acceptances" / "boalf_complete.sql"
    sql = compiled.read_text()
    ctes = sql[: sql.rindex("\n\nselect\n")]  # everything up to the model's final select
    return {name: query(db, f"{ctes}\n{count}")[0][0] for name, count in ENGINE_PATHS.items()}


BOALF_KEY = ("settlement_date", "settlement_period", "bm_unit", "acceptance_number", "pair_id")
CASHFLOWS_KEY = ("settlement_date", "settlement_period", "bm_unit")


def snapshot(db: Path, table: str, key: tuple[str, ...]) -> dict[tuple, dict[str, Any]]:
    """``analytics.<table>`` as {key: row}."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(f"select * from analytics.{table}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    out = {tuple(r[k] for k in key): r for r in rows}
    assert len(out) == len(rows), f"{table}: duplicate keys"
    return out


def mode_differences(
    fast: dict[tuple, dict[str, Any]], exact: dict[tuple, dict[str, Any]], key: tuple[str, ...]
) -> list[str]:
    """Where two snapshots of a table disagree: rows on one side only, a volume (``*_mwh``) more
    than MODE_TOLERANCE_MWH apart, money (``*_gbp``) more than MODE_TOLERANCE_GBP apart, or any
    other column not equal. Empty when they agree."""
    problems = [f"only in default mode: {k}" for k in sorted(fast.keys() - exact.keys(), key=str)]
    problems += [f"only in exact mode: {k}" for k in sorted(exact.keys() - fast.keys(), key=str)]
    for k in sorted(fast.keys() & exact.keys(), key=str):
        for col, a in fast[k].items():
            b = exact[k][col]
            if col.endswith("_mwh") or col.endswith("_gbp"):
                tol = MODE_TOLERANCE_MWH if col.endswith("_mwh") else MODE_TOLERANCE_GBP
                if (a is None) != (b is None) or (a is not None and abs(a - b) > tol):
                    problems.append(f"{k} {col}: default {a} exact {b}")
            elif a != b and col not in key:
                problems.append(f"{k} {col}: default {a!r} exact {b!r}")
    return problems
