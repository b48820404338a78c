"""Grid marts and the BM unit dimension on DuckDB, with rows landed through the replay path.

Real rows (Contains BMRS data © Elexon Limited copyright and database right; captured from the
Insights API, see loaders/samples/real/elexon_samples/README.md): MID (2026-05-06 SP9, two
providers), REMIT (one message, revision 147), the BM unit reference list. FREQ rows are
HAND-MADE for the event logic (a low and a high excursion with known durations).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.python.dbt_harness import load_via_replay, real_json_rows, run_dbt
from tests.python.dbt_harness import query as q

# cautious: the completeness tests also ref the calendar; do not pull in tests of unselected models
MARTS = [
    "+mart_frequency_events",
    "+mart_current_outages",
    "+mart_wholesale_vs_imbalance",
    "+dim_bm_units",
    "--indirect-selection",
    "cautious",
]
AS_OF = ["--vars", "{as_of_date: '2026-05-10'}"]
FREQ_DAY = date(2026, 5, 8)
# (seconds after midnight UTC, Hz): in, LOW, LOW, in, HIGH, in
FREQ = [(0, 50.0), (15, 49.78), (30, 49.70), (45, 49.85), (60, 50.25), (75, 50.10)]


def freq_rows() -> list[dict]:
    return [
        {"dataset": "FREQ", "measurementTime": f"2026-05-08T00:{s // 60:02d}:{s % 60:02d}Z", "frequency": f}
        for s, f in FREQ
    ]


@pytest.fixture(scope="module")
def grid_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from loaders.registry import get_dataset
    from loaders.replay.layout import write_rows

    work = tmp_path_factory.mktemp("dbt_grid")
    store = work / "store"
    write_rows(store, get_dataset("MID"), real_json_rows("elexon_samples/MID.json"))
    write_rows(store, get_dataset("REMIT"), real_json_rows("elexon_samples/REMIT.json"))
    write_rows(store, get_dataset("BMUNITS"), real_json_rows("elexon_samples/BMUNITS_reference_all.json"))
    write_rows(store, get_dataset("FREQ"), freq_rows())
    db = work / "warehouse.duckdb"
    load_via_replay(
        db,
        store,
        work,
        [
            ("MID", date(2026, 5, 6), date(2026, 5, 6)),
            ("REMIT", date(2026, 5, 6), date(2026, 5, 7)),  # published 23:09Z = 00:09 BST on the 7th
            ("FREQ", FREQ_DAY, FREQ_DAY),
            ("BMUNITS", FREQ_DAY, FREQ_DAY),
        ],
    )
    run = run_dbt(["build", "-s", *MARTS, *AS_OF], work / "build", duckdb_path=db)
    assert run.returncode == 0, run.output[-3000:]
    return db


def test_frequency_events_and_durations(grid_db: Path) -> None:
    rows = q(
        grid_db,
        "select direction, duration_s, min_frequency_hz, max_frequency_hz, samples, "
        "strftime(start_time_utc, '%H:%M:%S') from analytics.mart_frequency_events order by 6",
    )
    assert rows == [
        ("low", 30, pytest.approx(49.70), pytest.approx(49.78), 2, "00:00:15"),
        ("high", 15, pytest.approx(50.25), pytest.approx(50.25), 1, "00:01:00"),
    ]


def test_wholesale_price_is_volume_weighted(grid_db: Path) -> None:
    mid = real_json_rows("elexon_samples/MID.json")
    live = [r for r in mid if r["volume"] > 0]
    vwap = sum(r["price"] * r["volume"] for r in live) / sum(r["volume"] for r in live)
    got = q(
        grid_db,
        "select wholesale_price, providers, imbalance_price from analytics.mart_wholesale_vs_imbalance "
        "where settlement_date = '2026-05-06' and settlement_period = 9",
    )
    assert got == [(pytest.approx(vwap), len(live), None)]


def test_current_outage_is_the_latest_active_revision(grid_db: Path) -> None:
    remit = real_json_rows("elexon_samples/REMIT.json")[0]
    got = q(grid_db, "select mrid, revision_number, has_started from analytics.mart_current_outages")
    assert got == [(remit["mrid"], remit["revisionNumber"], True)]


def test_bm_unit_dimension_one_row_per_unit_with_override(grid_db: Path) -> None:
    units = real_json_rows("elexon_samples/BMUNITS_reference_all.json")
    keys = {u["elexonBmUnit"] or u["nationalGridBmUnit"] for u in units}
    got = q(grid_db, "select count(*), count(distinct bm_unit) from analytics.dim_bm_units where in_reference_list")
    assert got == [(len(keys), len(keys))]
    assert q(grid_db, "select fuel_type, has_override from analytics.dim_bm_units where bm_unit = 'E_ABERDARE'") == [
        ("OTHER", True)
    ]


def test_zero_volume_withdrawn_revision_and_duplicate_unit(grid_db: Path, tmp_path: Path) -> None:
    """A zero-volume MID row changes nothing; a newer 'Dismissed' REMIT revision removes the outage;
    a sparser duplicate of a reference-list row does not double the unit or replace its facts."""
    import shutil

    db = tmp_path / "copy" / grid_db.name
    db.parent.mkdir()
    shutil.copyfile(grid_db, db)
    before = q(db, "select wholesale_price from analytics.mart_wholesale_vs_imbalance where settlement_period = 9")
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "insert into raw.bmrs_mid_iris select * replace ('X' as \"dataProvider\", 9999.0 as price, "
            "0.0 as volume, 'iris' as _source, 'm1' as _message_id) from raw.bmrs_mid limit 1"
        )
        con.execute(
            'insert into raw.bmrs_remit_iris select * replace ("revisionNumber" + 1 as "revisionNumber", '
            "'Dismissed' as \"eventStatus\", 'iris' as _source, 'm2' as _message_id) from raw.bmrs_remit"
        )
        con.execute(
            'insert into raw.bmrs_bmunits select * replace (null as "fuelType", null as eic) '
            "from raw.bmrs_bmunits where \"elexonBmUnit\" = 'T_ABRBO-1'"
        )
    finally:
        con.close()
    run = run_dbt(["build", "-s", *MARTS, *AS_OF], tmp_path / "b", duckdb_path=db)
    assert run.returncode == 0, run.output[-3000:]
    assert (
        q(db, "select wholesale_price from analytics.mart_wholesale_vs_imbalance where settlement_period = 9") == before
    )
    assert q(db, "select count(*) from analytics.mart_current_outages") == [(0,)]
    assert q(
        db, "select count(*), max(fuel_type), max(eic) from analytics.dim_bm_units where bm_unit = 'T_ABRBO-1'"
    ) == [(1, "WIND", "48W00000ABRBO-19")]
    assert json.dumps(before)  # the MID mart had a value to compare
