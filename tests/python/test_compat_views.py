"""Compatibility views (models/compat, docs/migration.md): the old `bmrs_boalf_complete` names over
boalf_complete, on DuckDB from the real 2022-03-19 SP27 BOD/PN/BOALF (every unit; "Contains BMRS
data © Elexon Limited copyright and database right", source: hackcollective/wind-curtailment, see
loaders/samples/real). Every old column must equal the new column it maps to, row for row — the
derived ones (acceptancePrice, acceptanceType) recomputed here in Python — and the view must be
marked deprecated in the manifest the docs site is built from. Both dialects' compiled SQL is linted.
"""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path

import pytest

from tests.python.acceptance_support import dbt, load_legacy
from tests.python.dbt_harness import query

KEY = ["settlement_date", "settlement_period", "bm_unit", "acceptance_number", "pair_id"]
OLD_KEY = ["settlementDate", "settlementPeriod", "bmUnit", "acceptanceNumber", "pairId"]
# old column -> boalf_complete column it carries unchanged
RENAMED = {
    **dict(zip(OLD_KEY, KEY, strict=True)),
    "nationalGridBmUnit": "national_grid_bm_unit",
    "acceptanceTime": "acceptance_time",
    "soFlag": "so_flag",
    "storFlag": "stor_flag",
    "rrFlag": "rr_flag",
    "deemedBoFlag": "deemed_bo_flag",
    "validation_flag": "pricing_status",
    "offer_volume_mwh": "offer_volume_mwh",
    "bid_volume_mwh": "bid_volume_mwh",
    "cashflow_gbp": "cashflow_gbp",
}
DERIVED = ["acceptancePrice", "acceptanceType"]
NEW_INPUTS = ["offer_volume_mwh", "bid_volume_mwh", "offer_price", "bid_price", "cashflow_gbp"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("compat_views")
    db = tmp / "warehouse.duckdb"
    load_legacy(db, tmp / "work")
    dbt(["run", "-s", "+bmrs_boalf_complete"], db, tmp)
    out = dbt(["test", "-s", "bmrs_boalf_complete"], db, tmp)
    assert "PASS=1 " in out  # its key test ran and passed
    return db, tmp


def _rows(db: Path, relation: str, columns: list[str]) -> list[dict]:
    quoted = ", ".join(f'"{c}"' for c in columns)
    return [dict(zip(columns, r, strict=True)) for r in query(db, f"select {quoted} from {relation}")]


def expected_price(r: dict) -> float | None:
    """The price paid for the row's volume: offer price for a move up, bid price for a move down,
    their volume-weighted mean when both; none without a usable price or volume."""
    offer, bid = r["offer_volume_mwh"], r["bid_volume_mwh"]
    if r["cashflow_gbp"] is None or (offer == 0 and bid == 0):
        return None
    if bid == 0:
        return r["offer_price"]
    if offer == 0:
        return r["bid_price"]
    return (offer * r["offer_price"] + abs(bid) * r["bid_price"]) / (offer + abs(bid))


def expected_type(r: dict) -> str | None:
    up, down = r["offer_volume_mwh"] > 0, r["bid_volume_mwh"] < 0
    return {(True, True): "OFFER_AND_BID", (True, False): "OFFER", (False, True): "BID"}.get((up, down))


def test_view_keeps_the_old_names_and_is_a_view(built: tuple[Path, Path]) -> None:
    db, _ = built
    columns = [
        r[0]
        for r in query(
            db,
            "select column_name from information_schema.columns "
            "where table_schema = 'analytics' and table_name = 'bmrs_boalf_complete' order by ordinal_position",
        )
    ]
    assert set(columns) == set(RENAMED) | set(DERIVED)  # camelCase kept exactly
    kind = query(
        db,
        "select table_type from information_schema.tables "
        "where table_schema = 'analytics' and table_name = 'bmrs_boalf_complete'",
    )
    assert kind == [("VIEW",)]


def assert_old_columns_equal_new(new: list[dict], old: list[dict]) -> None:
    """Every view row is one boalf_complete row: renamed columns equal, derived ones recomputed."""
    assert len(new) > 100 and len(old) == len(new)
    by_key = {tuple(r[k] for k in KEY): r for r in new}
    assert len(by_key) == len(new)
    seen_types, priced = set(), 0
    for o in old:
        n = by_key.pop(tuple(o[k] for k in OLD_KEY))
        for old_col, new_col in RENAMED.items():
            assert o[old_col] == n[new_col], (old_col, o, n)
        price = expected_price(n)
        if price is None:
            assert o["acceptancePrice"] is None, (o, n)
        else:
            priced += 1
            assert math.isclose(o["acceptancePrice"], price, rel_tol=1e-12, abs_tol=1e-9), (o, n)
        assert o["acceptanceType"] == expected_type(n), (o, n)
        seen_types.add(o["acceptanceType"])
    assert by_key == {}  # every boalf_complete row is in the view once
    # the real period exercises offers, bids, both in one row, rows without volume, unpriced volume
    assert {"OFFER", "BID", "OFFER_AND_BID", None} <= seen_types
    assert 0 < priced < len(old)


def test_every_old_column_equals_its_new_source_row_for_row(built: tuple[Path, Path]) -> None:
    db, _ = built
    new = _rows(db, "analytics.boalf_complete", sorted(set(RENAMED.values()) | set(NEW_INPUTS)))
    old = _rows(db, "analytics.bmrs_boalf_complete", list(RENAMED) + DERIVED)
    assert_old_columns_equal_new(new, old)


def test_same_on_the_bigquery_emulator(bq_emulator, tmp_path: Path) -> None:
    """The BigQuery SQL (backtick-quoted camelCase names) builds and maps the same way on the emulator."""
    from loaders.warehouse.bigquery_writer import BigQueryWriter

    suffix = uuid.uuid4().hex[:8]
    raw, analytics = f"raw_compat_{suffix}", f"analytics_compat_{suffix}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIGQUERY_EMULATOR_HOST", bq_emulator.host)
        writer = BigQueryWriter(project=bq_emulator.project, dataset=raw, location="US", work_dir=tmp_path / "bq")
        load_legacy(writer, tmp_path / "work")
    env = {**bq_emulator.env, "GBPOWER_RAW_SCHEMA": raw, "GBPOWER_BQ_DATASET": analytics}
    try:
        dbt(["run", "-s", "+bmrs_boalf_complete"], tmp_path / "unused.duckdb", tmp_path, "bigquery_emulator", env)
        client, ds = bq_emulator.client(), f"{bq_emulator.project}.{analytics}"

        def rows(relation: str, columns: list[str]) -> list[dict]:
            listed = ", ".join(f"`{c}`" for c in columns)
            result = client.query(f"select {listed} from `{ds}.{relation}`").result()
            return [dict(zip(columns, r.values(), strict=True)) for r in result]

        new = rows("boalf_complete", sorted(set(RENAMED.values()) | set(NEW_INPUTS)))
        old = rows("bmrs_boalf_complete", list(RENAMED) + DERIVED)
        assert_old_columns_equal_new(new, old)
        names = [f.name for f in client.get_table(f"{ds}.bmrs_boalf_complete").schema]
        assert set(names) == set(RENAMED) | set(DERIVED)  # camelCase kept exactly
    finally:
        writer.close()


def test_view_is_marked_deprecated_in_the_manifest(built: tuple[Path, Path]) -> None:
    _, tmp = built
    manifest = json.loads((tmp / "target" / "manifest.json").read_text())
    node = manifest["nodes"]["model.gbpower.bmrs_boalf_complete"]
    assert node["config"]["meta"]["deprecated"] is True
    assert node["config"]["meta"]["replaced_by"] == "boalf_complete"
    assert "model.gbpower.boalf_complete" in manifest["nodes"]  # the replacement exists
    assert node["deprecation_date"] and node["deprecation_date"] > "2026-12-31"
    assert node["description"].startswith("Deprecated:")
    assert node["config"]["materialized"] == "view"
    documented = set(node["columns"])
    assert documented == set(RENAMED) | set(DERIVED)
    assert all(c["description"].strip() for c in node["columns"].values())
