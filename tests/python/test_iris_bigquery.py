"""The IRIS loader on the BigQuery writer, against the local BigQuery emulator (bqemulator).

Same pipeline as on DuckDB: a directory drain lands rows and message ids in one transaction, a
re-read file adds nothing, and the start-up gap check reads the committed message times."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import timedelta

import pytest

from loaders.iris.drain import DirectoryDrain, DrainOptions
from loaders.iris.gaps import find_gap
from loaders.iris.heartbeat import Heartbeat
from loaders.iris.synth import messages, write_client_files

pytestmark = pytest.mark.bigquery


def test_drain_into_bigquery_is_idempotent(bq_writer, tmp_path):
    src = tmp_path / "iris"
    msgs = list(messages(12))
    write_client_files(src, msgs)
    expected = Counter()
    for m in msgs:
        expected[m.dataset] += len(m.records)
    opts = DrainOptions(min_age_s=0, work_root=tmp_path / "work", batch_files=5, retry_budget_s=5)
    drain = DirectoryDrain(src, bq_writer, opts, heartbeat=Heartbeat(tmp_path / "hb.json"))
    assert drain.run() == 0
    for name, n in expected.items():
        assert bq_writer.query(f"SELECT count(*) FROM bmrs_{name.lower()}_iris")[0][0] == n, name
    assert bq_writer.query("SELECT count(*), count(DISTINCT message_id) FROM iris_messages")[0] == (12, 12)

    # a file read again (crash between commit and move) adds nothing
    again = src / "processed" / msgs[0].dataset / msgs[0].message_id
    shutil.copy(again, src / msgs[0].dataset / msgs[0].message_id)
    assert DirectoryDrain(src, bq_writer, opts, heartbeat=Heartbeat(tmp_path / "hb.json")).run() == 0
    total = sum(bq_writer.query(f"SELECT count(*) FROM bmrs_{d.lower()}_iris")[0][0] for d in expected)
    assert total == sum(expected.values())

    assert find_gap(bq_writer, timedelta(hours=1)) is None  # just committed
    gap = find_gap(bq_writer, timedelta(seconds=0))
    assert gap is not None and set(gap.datasets) == set(expected)
