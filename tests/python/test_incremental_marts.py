"""The marts whose cost grows with history are incremental (issue #13 item 2): a scheduled run rebuilds
only the settlement days from the incremental floor on, and the result equals a full refresh.

Synthetic, labelled days (loaders/samples/synthetic: DISEBSP, MID, FUELHH, FUELINST) land through the
real loader; history grows by two days and a price revision lands inside the lookback window between
the first (full) build and the incremental one; a full refresh of a copy must then match table for
table.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from loaders.dev.diff_outputs import compare
from loaders.registry import get_dataset
from loaders.samples.store import build_store, iter_store_rows, store_path
from tests.python.dbt_harness import load_via_replay, query, run_dbt

DAYS = [date(2025, 10, 24) + timedelta(days=i) for i in range(5)]  # 2025-10-26 has 50 periods
DATASETS = ("DISEBSP", "MID", "FUELHH", "FUELINST")
MARTS = ("bmrs_costs", "mart_generation_mix", "mart_carbon_intensity", "mart_wholesale_vs_imbalance")
SELECT = ["-s", *(f"+{m}" for m in MARTS), "--exclude", "resource_type:test"]


def _as_of(day: date) -> list[str]:
    return ["--vars", f"{{as_of_date: '{day.isoformat()}'}}"]


def _revise_prices(store: Path, day: date) -> None:
    """A later calculation run of ``day``'s system prices: every price +7 £/MWh, created a day later."""
    dataset = get_dataset("DISEBSP")
    path = store_path(store, dataset.name, day)
    rows = list(iter_store_rows(store, dataset.name, day))
    for row in rows:
        row["systemSellPrice"] = round(row["systemSellPrice"] + 7, 2)
        row["systemBuyPrice"] = round(row["systemBuyPrice"] + 7, 2)
        created = datetime.fromisoformat(row["createdDateTime"].replace("Z", "+00:00")) + timedelta(days=1)
        row["createdDateTime"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_incremental_marts_equal_a_full_refresh(tmp_path: Path):
    store = tmp_path / "store"
    build_store(store, DAYS, include_real=False, datasets=DATASETS)
    db = tmp_path / "incremental.duckdb"
    work = tmp_path / "load"
    load_via_replay(db, store, work, [(d, DAYS[0], DAYS[2]) for d in DATASETS])
    first = run_dbt(["build", *SELECT, *_as_of(DAYS[3])], tmp_path / "first", duckdb_path=db)
    assert first.returncode == 0, first.output[-3000:]
    before = query(db, "select max(system_sell_price) from analytics.bmrs_costs where settlement_date = ?", [DAYS[2]])

    _revise_prices(store, DAYS[2])  # inside the next run's lookback (floor = DAYS[4] - 3 days)
    load_via_replay(db, store, work, [("DISEBSP", DAYS[2], DAYS[2])], force=True)
    load_via_replay(db, store, work, [(d, DAYS[2], DAYS[4]) for d in DATASETS])
    second = run_dbt(["build", *SELECT, *_as_of(DAYS[4] + timedelta(days=1))], tmp_path / "second", duckdb_path=db)
    assert second.returncode == 0, second.output[-3000:]
    for mart in MARTS:  # each ran as an incremental delete+insert, not a rebuild
        [run_sql] = list((tmp_path / "second" / "target" / "run").rglob(f"{mart}.sql"))
        assert "delete from" in run_sql.read_text().lower(), mart
    after = query(db, "select max(system_sell_price) from analytics.bmrs_costs where settlement_date = ?", [DAYS[2]])
    assert after[0][0] == before[0][0] + 7  # the revision reached the incremental mart

    full = tmp_path / "fullrefresh.duckdb"
    shutil.copy(db, full)
    refresh = run_dbt(
        ["build", *SELECT, "--full-refresh", *_as_of(DAYS[4] + timedelta(days=1))], tmp_path / "full", duckdb_path=full
    )
    assert refresh.returncode == 0, refresh.output[-3000:]
    report = compare(db, full)
    diffs = {r.name: r for r in report.relations if r.name.split(".")[-1] in MARTS}
    assert set(diffs) == {f"analytics.{m}" for m in MARTS}
    for name, diff in diffs.items():
        assert diff.base_rows > 0 and diff.identical, f"{name}: {diff.examples}"
    days = {r[0] for r in query(db, "select distinct settlement_date from analytics.mart_generation_mix")}
    assert days >= set(DAYS)  # the first build's days kept, the new ones added
