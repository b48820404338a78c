"""Every statement the loaders send to BigQuery bounds each partitioned table it reads by that
table's partition column, so BigQuery prunes it to the days the statement can touch (the emulator
cannot report bytes scanned, so the proof is over the SQL; see ``loaders.dev.partition_predicates``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from loaders.dev.partition_predicates import unbounded_reads
from loaders.registry import DATASETS
from loaders.time_window import Window
from loaders.warehouse.bigquery_tables import all_table_specs, raw_table_spec
from loaders.warehouse.bigquery_writer import BigQueryWriter
from loaders.warehouse.ddl import all_raw_tables

PARTITIONS = {s.name: s.partition_column for s in all_table_specs() if s.partition_column}
WINDOWED = [(d, t) for d, t in all_raw_tables() if d.partition_column and d.window_column and t == d.raw_table]


def _writer() -> BigQueryWriter:
    writer = BigQueryWriter.__new__(BigQueryWriter)  # SQL rendering only: no client, no project check
    writer.project, writer.dataset = "proj", "raw"
    return writer


def _window(dataset) -> Window:
    start = datetime(2025, 6, 1, 23, tzinfo=UTC)
    return Window(start, start + timedelta(hours=1), date(2025, 6, 2) if dataset.window_column else None)


def test_every_windowed_dataset_is_checked():
    assert {d.name for d, _ in WINDOWED} >= {"BOALF", "BOD", "PN", "FUELINST", "FREQ", "DISEBSP", "INDGEN", "WINDFOR"}
    # The bound relies on the partition column never being NULL (a NULL lands in no day's partition).
    for dataset in DATASETS.values():
        if dataset.partition_column:
            assert dataset.column(dataset.partition_column).required, dataset.name


@pytest.mark.parametrize(("dataset", "table"), WINDOWED, ids=[d.name for d, _ in WINDOWED])
def test_window_replace_bounds_the_raw_table_by_its_partition_column(dataset, table):
    script = _writer().replace_window_script(raw_table_spec(dataset, table), "stage", dataset, _window(dataset), "b", 1)
    assert f"DELETE FROM `proj.raw.{table}`" in script
    assert unbounded_reads(script, PARTITIONS) == []


def test_the_checker_names_a_delete_that_would_scan_every_partition():
    """The check itself can fail: the window replace as it was before partition bounds (a DELETE on
    ``timeFrom`` alone, BOALF being partitioned on ``settlementDate``), and bounds under OR."""
    old = "DELETE FROM `p.raw.bmrs_boalf` WHERE `timeFrom` >= gbp_s AND `timeFrom` < gbp_e"
    [found] = unbounded_reads(old, PARTITIONS)
    assert (found.table, found.column) == ("bmrs_boalf", "settlementDate")
    under_or = "DELETE FROM `p.raw.bmrs_boalf` WHERE `timeFrom` >= gbp_s OR `settlementDate` = gbp_d"
    assert len(unbounded_reads(under_or, PARTITIONS)) == 1
    select = "SELECT count(*) FROM `p.raw.bmrs_freq` AS f WHERE f.value > 50"
    assert [u.table for u in unbounded_reads(select, PARTITIONS)] == ["bmrs_freq"]
    bounded = "SELECT count(*) FROM `p.raw.bmrs_freq` AS f WHERE f.measurementTime >= TIMESTAMP '2025-01-01'"
    assert unbounded_reads(bounded, PARTITIONS) == []


def test_window_replace_deletes_of_the_bigquery_target_bound_the_partition_column(tmp_path):
    """A model with ``incremental_config(..., replace_where=...)`` deletes its window in a pre-hook
    before the MERGE (mart_frequency_events). Parsed for the BigQuery target, each such DELETE filters
    on the model's partition column, so BigQuery prunes it to the window's days."""
    import json

    from tests.python.dbt_harness import run_dbt

    run = run_dbt(["parse"], tmp_path, target="bigquery_emulator", env={"GBPOWER_BQ_PROJECT": "proj"})
    assert run.returncode == 0, run.output[-3000:]
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    checked = []
    for node in nodes.values():
        for hook in node.get("config", {}).get("pre-hook", []):
            if "delete from {{ this }}" not in hook["sql"]:
                continue
            partition = node["config"]["partition_by"]["field"]
            sql = hook["sql"].replace("{% if is_incremental() %}", "").replace("{% endif %}", "")
            sql = sql.replace("{{ this }}", f"`proj`.`analytics`.`{node['name']}`")
            assert unbounded_reads(sql, {node["name"]: partition}) == [], sql
            assert f"{partition} >=" in sql
            checked.append(node["name"])
    assert "mart_frequency_events" in checked
