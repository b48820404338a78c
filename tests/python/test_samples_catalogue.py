"""The generic synthetic generator (loaders.samples.synthetic_catalogue): every registry dataset without a
specific generator gets API-shaped rows that the loader's own validation accepts and that land through
the replay server and the backfill into DuckDB, one raw row per generated row."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import duckdb
import pytest

from loaders.parse import parse_records_file
from loaders.quarantine import Quarantine
from loaders.registry import DATASETS
from loaders.replay import ReplayServer
from loaders.samples import synthetic_catalogue as catalogue
from loaders.samples.shape import window_is_date
from loaders.samples.store import build_store
from loaders.samples.synthetic import SPECIFIC, generate_day
from loaders.samples.validate import row_errors
from loaders.settlement import LONDON, day_bounds, parse_ts, settlement_period_of
from loaders.time_window import Window
from tests.python.backfill_support import replay_backfill

GENERIC = sorted(set(DATASETS) - SPECIFIC)
SPRING, NORMAL, AUTUMN = date(2026, 3, 29), date(2026, 1, 15), date(2025, 10, 26)
DAYS = (SPRING, NORMAL, AUTUMN)


def _data_time(row: dict) -> datetime | None:
    for name in ("startTime", "timeFrom"):
        if name in row:
            return parse_ts(row[name])
    return None


@pytest.fixture(scope="module")
def generated() -> dict[date, dict[str, list[dict]]]:
    return {d: generate_day(d, "demo", seed=3, datasets=GENERIC) for d in DAYS}


def test_there_are_generic_datasets_and_each_gets_rows(generated):
    assert GENERIC, "every registry dataset has a specific generator: nothing to test here"
    for day, out in generated.items():
        for name in GENERIC:
            keys = [f"{name}/{v}" for v in DATASETS[name].variants] or [name]
            for key in keys:
                assert out.get(key), f"{key} on {day}: no rows"


def test_rows_are_api_shaped_with_every_field_filled(generated):
    for day, out in generated.items():
        for key, rows in out.items():
            name = key.split("/")[0]
            for row in rows:
                assert not row_errors(name, row), (key, day, row_errors(name, row), row)
                assert all(v is not None for v in row.values()), (key, row)
                if "dataset" in row:
                    assert row["dataset"] == name


def test_keys_are_unique(generated):
    for out in generated.values():
        for key, rows in out.items():
            ds = DATASETS[key.split("/")[0]]
            cols = [c for c in ds.dedupe_key if c != ds.variant_column]
            keys = [tuple(r[c] for c in cols) for r in rows]
            assert len(keys) == len(set(keys)), key


def test_keys_stay_unique_across_consecutive_days():
    """Loaded days pile up in one raw table: a key (with its version) must not repeat the next day."""
    days = (AUTUMN, date(2025, 10, 27))
    out = [generate_day(d, "demo", seed=3, datasets=GENERIC) for d in days]
    for key in out[0]:
        ds = DATASETS[key.split("/")[0]]
        if ds.window_column is None:
            continue
        cols = [c for c in ds.dedupe_key if c != ds.variant_column]
        keys = [tuple(r[c] for c in cols) for d in out for r in d[key]]
        assert len(keys) == len(set(keys)), key


def test_window_column_inside_the_day(generated):
    for day, out in generated.items():
        start, end = day_bounds(day)
        for key, rows in out.items():
            ds = DATASETS[key.split("/")[0]]
            if ds.window_column is None:
                continue
            for row in rows:
                value = row[ds.window_column]
                if window_is_date(ds):
                    assert value == day.isoformat(), (key, row)
                else:
                    assert start <= parse_ts(value) < end, (key, day, row)


def test_settlement_date_and_period_follow_the_data_time(generated):
    checked = 0
    for out in generated.values():
        for key, rows in out.items():
            for row in rows:
                t = _data_time(row)
                if t is None or "settlementDate" not in row:
                    continue
                sd, sp = settlement_period_of(t)
                assert row["settlementDate"] == sd.isoformat(), (key, row)
                if "settlementPeriod" in row:
                    assert row["settlementPeriod"] == sp, (key, row)
                checked += 1
    assert checked


def test_clock_change_days_have_their_periods():
    """A half-hourly dataset keyed by period gets 46 and 50 periods on the clock-change days."""
    name = next(n for n in GENERIC if DATASETS[n].window_column == "settlementDate")
    for day, n in ((SPRING, 46), (AUTUMN, 50)):
        rows = catalogue.generate(DATASETS[name], day)[name]
        assert {r["settlementPeriod"] for r in rows} == set(range(1, n + 1)), (name, day)


def test_forecasts_are_published_before_their_data_time(generated):
    checked = 0
    for out in generated.values():
        for key, rows in out.items():
            ds = DATASETS[key.split("/")[0]]
            prof = catalogue.profile(ds)
            if not prof.forecast or "publishTime" not in ds.column_names:
                continue
            for row in rows:
                publish = parse_ts(row["publishTime"])
                t = _data_time(row)
                if t is None and "forecastDate" in row:
                    t = datetime.fromisoformat(row["forecastDate"]).replace(tzinfo=LONDON)
                if t is None and "year" in row:
                    week = row.get("week", row.get("calendarWeekNumber"))
                    t = datetime.fromisocalendar(row["year"], week, 1).replace(tzinfo=LONDON)
                assert t is not None, key
                assert publish < t.astimezone(UTC), (key, row)
                checked += 1
    assert checked


def test_deterministic_per_seed():
    ds = DATASETS[GENERIC[0]]
    assert catalogue.generate(ds, NORMAL, seed=5) == catalogue.generate(ds, NORMAL, seed=5)
    assert catalogue.generate(ds, NORMAL, seed=5) != catalogue.generate(ds, NORMAL, seed=6)


def test_value_ranges_come_from_the_table():
    """MELNGC margins lie in the override table's range."""
    lo, hi = catalogue.RANGES["margin"]
    rows = catalogue.generate(DATASETS["MELNGC"], NORMAL)["MELNGC"]
    assert all(lo <= r["margin"] <= hi for r in rows)


@pytest.mark.parametrize("name", GENERIC)
def test_the_loader_accepts_every_row(name, generated, tmp_path):
    """loaders.parse validates the rows as it would an API payload: none rejected, none dropped."""
    ds = DATASETS[name]
    for key, rows in generated[AUTUMN].items():
        if key.split("/")[0] != name:
            continue
        variant = key.partition("/")[2] or None
        payload = tmp_path / f"{key.replace('/', '_')}.json"
        payload.write_text(json.dumps(rows))
        start, end = day_bounds(AUTUMN)
        window = Window(start=start, end=end, settlement_date=AUTUMN)
        result = parse_records_file(
            ds,
            payload,
            out_parquet=tmp_path / f"{key.replace('/', '_')}.parquet",
            source="api",
            batch_id="t",
            quarantine=Quarantine(tmp_path / "q"),
            input_name=str(payload),
            window=window,
            variant=variant,
        )
        assert (result.rejected, result.duplicates, result.outside_window) == (0, 0, 0), key
        assert result.rows == len(rows), key


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return int(row[0])


def test_replay_and_backfill_land_every_generated_row(tmp_path):
    days = [AUTUMN, date(2025, 10, 27)]
    root = tmp_path / "store"
    manifest = build_store(root, days, scale="demo", seed=2, include_real=False, datasets=GENERIC)
    db = tmp_path / "w.duckdb"
    with ReplayServer(root) as server:
        bf = replay_backfill(server, db, tmp_path, rate=200, backoff_base_s=0.05, max_attempts=3)
        summary = bf.run([DATASETS[n] for n in GENERIC], days[0], days[-1])
    assert summary.ok, summary.failures
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name in GENERIC:
            ds = DATASETS[name]
            expected = sum(
                n for key, per_day in manifest.items() if key.split("/")[0] == name for n in per_day.values()
            )
            got = _count(con, f"select count(*) from raw.{ds.raw_table}")
            assert expected > 0 and got == expected, (name, got, expected)
            if ds.variants:
                for v in ds.variants:
                    n = _count(con, f'select count(*) from raw.{ds.raw_table} where "{ds.variant_column}" = ?', [v])
                    assert n == sum(manifest[f"{name}/{v}"].values()), (name, v)
        quarantined = list((tmp_path / "quarantine").rglob("*.*"))
        assert not quarantined, quarantined
    finally:
        con.close()
