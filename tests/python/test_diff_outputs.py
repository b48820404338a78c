"""The no-behaviour-change proof tool (loaders.dev.diff_outputs) finds every kind of difference."""

from __future__ import annotations

from pathlib import Path

import duckdb

from loaders.dev.diff_outputs import compare


def _warehouse(path: Path, prices: list[tuple[int, float]], loaded_at: str, extra_model: bool = False) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema analytics")
    con.execute("create table raw.bmrs_x (settlementPeriod integer, price double, _ingested_at timestamp)")
    con.executemany(f"insert into raw.bmrs_x values (?, ?, timestamp '{loaded_at}')", prices)
    con.execute("create table analytics.mart_x as select settlementPeriod as sp, price, _ingested_at as ingested_at "
                "from raw.bmrs_x")  # fmt: skip
    con.execute(
        "create view analytics.v_x as select sp, price * 2 as doubled, {'a': sp} as nested from analytics.mart_x"
    )
    if extra_model:
        con.execute("create table analytics.mart_y as select 1 as one")
    con.close()
    return path


def test_identical_outputs_ignore_load_times(tmp_path: Path) -> None:
    rows = [(1, 50.0), (2, 61.5), (2, 61.5)]
    base = _warehouse(tmp_path / "a.duckdb", rows, "2026-01-01 00:00:00")
    new = _warehouse(tmp_path / "b.duckdb", list(reversed(rows)), "2026-06-01 12:00:00")
    report = compare(base, new)
    assert report.identical
    assert {r.name for r in report.relations} == {"raw.bmrs_x", "analytics.mart_x", "analytics.v_x"}
    assert all(r.new_rows == 3 for r in report.relations)


def test_a_changed_value_a_lost_duplicate_and_a_missing_model_are_reported(tmp_path: Path) -> None:
    base = _warehouse(tmp_path / "a.duckdb", [(1, 50.0), (2, 61.5), (2, 61.5)], "2026-01-01", extra_model=True)
    new = _warehouse(tmp_path / "b.duckdb", [(1, 50.000001), (2, 61.5)], "2026-01-01")
    report = compare(base, new)
    assert not report.identical
    assert report.missing == ["analytics.mart_y"]
    mart = next(r for r in report.relations if r.name == "analytics.mart_x")
    # multiset semantics: the dropped duplicate (2, 61.5) counts, and so does the 1e-6 change
    assert (mart.base_rows, mart.new_rows, mart.only_base, mart.only_new) == (3, 2, 2, 1)
    assert any("50.000001" in e for e in mart.examples)


def test_a_column_added_or_dropped_is_a_difference(tmp_path: Path) -> None:
    base = _warehouse(tmp_path / "a.duckdb", [(1, 50.0)], "2026-01-01")
    new = _warehouse(tmp_path / "b.duckdb", [(1, 50.0)], "2026-01-01")
    con = duckdb.connect(str(new))
    con.execute("alter table analytics.mart_x add column note varchar")
    con.close()
    report = compare(base, new)
    mart = next(r for r in report.relations if r.name == "analytics.mart_x")
    assert mart.columns_only_new == ["note"] and not report.identical


def test_last_bit_float_noise_is_accepted_but_a_real_change_is_not(tmp_path: Path) -> None:
    """DuckDB's parallel sums differ run to run in the last bits; 1e-12 is noise, 1e-6 is a change."""
    base = _warehouse(tmp_path / "a.duckdb", [(1, 36177.57193), (2, 0.1 + 0.2)], "2026-01-01")
    noisy = _warehouse(tmp_path / "b.duckdb", [(1, 36177.571930000006), (2, 0.3)], "2026-01-01")
    report = compare(base, noisy)
    assert report.identical
    assert next(r for r in report.relations if r.name == "raw.bmrs_x").float_noise == 2
    changed = _warehouse(tmp_path / "c.duckdb", [(1, 36177.57194), (2, 0.3)], "2026-01-01")
    assert not compare(base, changed).identical
