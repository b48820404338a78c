"""The IRIS loader on the BigQuery writer, against the local BigQuery emulator (bqemulator).

Same pipeline as on DuckDB: a directory drain lands rows and message ids in one transaction, a
re-read file adds nothing, and the start-up gap check reads the committed message times."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import timedelta

import pytest

from loaders.iris.drain import DirectoryDrain, DrainOptions
from loaders.iris.gaps import find_gap
from loaders.iris.heartbeat import Heartbeat
from loaders.iris.synth import messages, write_client_files
from tests.python.test_iris_kept import _syswarn_unregistered  # noqa: F401 (autouse: SYSWARN as an unregistered dataset)

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


def test_kept_messages_and_promote_on_bigquery(bq_writer, tmp_path, monkeypatch):
    """Files of a dataset the registry lacks are kept once (also when re-read); after the dataset is
    added, promote loads every record once, quarantines the bad message, and a re-run adds nothing."""
    from loaders.iris.promote import kept_counts, promote_kept
    from tests.python.test_iris_kept import register_syswarn, syswarn

    src = tmp_path / "iris"
    (src / "SYSWARN").mkdir(parents=True)
    for i in range(3):
        (src / "SYSWARN" / f"SYSWARN_{i}.json").write_text(json.dumps([syswarn(i), syswarn(i + 10)]))
    (src / "SYSWARN" / "SYSWARN_bad.json").write_text(json.dumps([syswarn(20, publishTime="not a time")]))
    opts = DrainOptions(min_age_s=0, settle_s=0, work_root=tmp_path / "work", batch_files=10, retry_budget_s=5)
    assert DirectoryDrain(src, bq_writer, opts, heartbeat=Heartbeat(tmp_path / "hb.json")).run() == 0
    shutil.copy(src / "processed" / "SYSWARN" / "SYSWARN_0.json", src / "SYSWARN" / "SYSWARN_0.json")
    assert DirectoryDrain(src, bq_writer, opts, heartbeat=Heartbeat(tmp_path / "hb.json")).run() == 0
    assert kept_counts(bq_writer) == [("SYSWARN", "unregistered_dataset", 4)]
    body = bq_writer.query("SELECT body FROM iris_kept_messages WHERE message_id = 'SYSWARN_1.json'")[0][0]
    assert json.loads(body) == [syswarn(1), syswarn(11)]

    register_syswarn(monkeypatch)
    bq_writer.init()  # creates raw.bmrs_syswarn(_iris), as `gbpower init` does after a registry change
    res = promote_kept(bq_writer, page=2, work_root=tmp_path / "work", quarantine_root=tmp_path / "quarantine")
    assert res.loaded["SYSWARN"] == 3 and res.quarantined["SYSWARN"] == 1 and res.inserted == 6
    assert bq_writer.query("SELECT count(*), count(DISTINCT _message_id) FROM bmrs_syswarn_iris")[0] == (6, 3)
    marks = dict(bq_writer.query("SELECT message_id, promote_outcome FROM iris_kept_messages"))
    assert marks == {"SYSWARN_0.json": "loaded", "SYSWARN_1.json": "loaded", "SYSWARN_2.json": "loaded",
                     "SYSWARN_bad.json": "quarantined"}  # fmt: skip
    assert (tmp_path / "quarantine" / "iris" / "SYSWARN" / "SYSWARN_bad.json.reason").exists()
    assert kept_counts(bq_writer) == []
    again = promote_kept(bq_writer, work_root=tmp_path / "work", quarantine_root=tmp_path / "quarantine")
    assert sum(again.loaded.values()) == 0
    assert bq_writer.query("SELECT count(*) FROM bmrs_syswarn_iris")[0][0] == 6
