"""The replay store layout: paths, windowing by the registry window column, order, real overrides."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loaders.registry import DATASETS
from loaders.samples.real_sets import REAL_DIR
from loaders.samples.store import build_store, iter_store_rows, read_manifest, store_path
from loaders.samples.validate import row_errors

LONDON = ZoneInfo("Europe/London")
DAYS = [date(2026, 3, 29), date(2025, 10, 26), date(2026, 1, 15)]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("replay") / "store"
    return root, build_store(root, DAYS, scale="demo", seed=1)


def test_layout_and_manifest(store):
    root, manifest = store
    assert read_manifest(root) == manifest
    assert (root / "BOD" / "2026-01-15.ndjson").is_file()
    assert (root / "BOAV" / "bid" / "2026-01-15.ndjson").is_file()
    assert (root / "EBOCF" / "offer" / "2025-10-26.ndjson").is_file()
    assert (root / "BMUNITS" / "snapshot.ndjson").is_file()
    for name, ds in DATASETS.items():
        keys = [f"{name}/{v}" for v in ds.variants] or [name]
        for key in keys:
            assert key in manifest, key
    for key, per_day in manifest.items():
        for day, n in per_day.items():
            path = store_path(root, key, day)
            assert sum(1 for _ in path.open()) == n, path
    files = {p.relative_to(root).as_posix() for p in root.rglob("*.ndjson")}
    listed = {store_path(root, k, d).relative_to(root).as_posix() for k, v in manifest.items() for d in v}
    assert files == listed


def test_every_file_is_windowed_and_sorted(store):
    root, manifest = store
    for key, per_day in manifest.items():
        ds = DATASETS[key.split("/")[0]]
        if ds.window_column is None:
            continue
        for day in per_day:
            rows = list(iter_store_rows(root, key, day))
            values = [r[ds.window_column] for r in rows]
            if ds.column(ds.window_column).type == "date":
                assert set(values) == {day}, (key, day)
            else:
                parsed = [ts(v) for v in values]
                assert {t.astimezone(LONDON).date().isoformat() for t in parsed} == {day}, (key, day)
                assert parsed == sorted(parsed), (key, day)


# Where Elexon's live API differs from its own OpenAPI document, the real captures are served as
# captured: B1610 rows carry settlementRunType (not in the document) and a zone-less halfHourEndTime
# (the loader keeps the first in _extra and reads the second as UTC: test_samples_catalogue_bm.py).
REAL_B1610_DAY = "2026-08-01"
REAL_B1610_DEVIATIONS = {"unexpected field 'settlementRunType'", "halfHourEndTime: expected timestamp, got '{t}'"}


def test_rows_are_api_shaped(store):
    root, manifest = store
    assert REAL_B1610_DAY in manifest["B1610"]  # the real capture is served
    for key, per_day in manifest.items():
        dataset = key.split("/")[0]
        for day in per_day:
            for row in iter_store_rows(root, key, day):
                # real REMIT captures omit null fields; everything else has every API field
                errors = row_errors(dataset, row, allow_missing_nullable=dataset == "REMIT")
                if dataset == "B1610" and day == REAL_B1610_DAY:
                    t = row["halfHourEndTime"]
                    assert set(errors) == {e.format(t=t) for e in REAL_B1610_DEVIATIONS}, (key, day, row)
                else:
                    assert not errors, (key, day, row)


def test_real_clock_change_days_override_synthetic(store):
    root, manifest = store
    sources = json.loads((root / "sources.json").read_text())
    assert sources["DISEBSP"]["2025-10-26"] == "real:clock_change_disebsp"
    assert sources["DISEBSP"]["2026-01-15"] == "synthetic" and sources["BOD"]["2025-10-26"] == "synthetic"
    real = json.loads((REAL_DIR / "system_prices/DISEBSP_2025-10-26_autumn_clock_change_50_periods.json").read_text())
    stored = list(iter_store_rows(root, "DISEBSP", "2025-10-26"))
    assert stored == real["data"] and len(stored) == 50
    assert manifest["DISEBSP"]["2026-03-29"] == 46


def test_real_and_converted_days_are_added(store):
    root, manifest = store
    assert manifest["BOD"]["2022-03-19"] == 2562 and manifest["BOALF"]["2022-03-19"] == 121
    assert manifest["PN"]["2022-03-19"] == 1540
    assert manifest["DISEBSP"]["2020-03-29"] == 46 and manifest["DISEBSP"]["2019-10-27"] == 50
    assert manifest["FUELHH"]["2022-03-27"] == 46 * 18
    # the REMIT sample was published 2026-05-06T23:09:05Z = 00:09 BST on 2026-05-07
    assert [r["revisionNumber"] for r in iter_store_rows(root, "REMIT", "2026-05-07")] == [147]
    # FREQ sample times are 2026-05-07T23:59:45Z / 2026-05-08T00:00:00Z = 2026-05-08 local
    assert manifest["FREQ"]["2026-05-08"] == 2


def test_real_numbers_keep_their_digits(store):
    root, _ = store
    line = store_path(root, "DISEBSP", "2026-08-01").read_text()
    assert '"systemSellPrice":160.000000000000000000' in line


def test_variant_rows_have_no_side_field_and_prices_no_dataset(store):
    root, _ = store
    bid = list(iter_store_rows(root, "BOAV", "2026-01-15", "bid"))
    assert bid and all("bidOffer" not in r and r["totalVolumeAccepted"] <= 0 for r in bid)
    assert all(r["totalVolumeAccepted"] >= 0 for r in iter_store_rows(root, "BOAV/offer", "2026-01-15"))
    assert all("dataset" not in r for r in iter_store_rows(root, "DISEBSP", "2026-01-15"))
    assert all(r["dataset"] == "BOD" for r in iter_store_rows(root, "BOD", "2026-01-15"))


def test_bmunits_snapshot_merges_real_reference_and_fleet(store):
    root, _ = store
    units = list(iter_store_rows(root, "BMUNITS"))
    ids = [u["nationalGridBmUnit"] for u in units]
    assert len(ids) == len(set(ids))
    assert {"ABERU-1", "ABRBO-1", "FBPG01", "FBPG02", "DRAXX-1"} <= set(ids)
    aberu = next(u for u in units if u["nationalGridBmUnit"] == "ABERU-1")
    assert aberu["transmissionLossFactor"] == "0.0167661"  # the later (gridskew) capture


def test_rebuild_is_deterministic_and_limits_apply(tmp_path, store):
    root, _ = store
    other = tmp_path / "s"
    m = build_store(other, [date(2026, 1, 15)], seed=1, include_real=False, datasets=["BOD", "boav", "FREQ"])
    assert set(m) == {"BOD", "BOAV/bid", "BOAV/offer", "FREQ"}
    assert set(m["BOD"]) == {"2026-01-15"}
    for key in m:
        assert store_path(other, key, "2026-01-15").read_bytes() == store_path(root, key, "2026-01-15").read_bytes()
    m2 = build_store(other, [date(2026, 1, 16)], include_real=True, real=["legacy_2022_03_19"], datasets=["BOD"])
    assert m2 == {"BOD": {"2022-03-19": 2562, "2026-01-16": m2["BOD"]["2026-01-16"]}}
    assert not store_path(other, "BOD", "2026-01-15").exists()  # the old build was replaced


def test_refuses_to_overwrite_a_foreign_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a replay store"):
        build_store(tmp_path, [date(2026, 1, 15)], include_real=False, datasets=["MID"])
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_missing_variant_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="variant"):
        store_path(tmp_path, "BOAV", "2026-01-15")


def test_command_line_builds_a_store(tmp_path, capsys):
    from loaders.samples.__main__ import main, parse_days

    assert parse_days("2026-03-28..2026-03-30,2026-05-06") == [
        date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30), date(2026, 5, 6)]  # fmt: skip
    assert main(["--root", str(tmp_path / "s"), "--days", "2026-03-29", "--no-real", "--datasets", "MID"]) == 0
    assert read_manifest(tmp_path / "s") == {"MID": {"2026-03-29": 92}}
    assert "wrote 92 rows" in capsys.readouterr().out
