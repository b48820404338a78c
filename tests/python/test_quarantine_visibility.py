"""Quarantine is visible and cleanable: ``gbpower health`` counts quarantined items per source,
dataset and reason (warning above a threshold) and kept IRIS messages per dataset (a warning naming
the datasets to add); ``gbpower quarantine list|purge`` shows and removes old items.

The quarantine trees are written by the real code paths (``Quarantine`` for API rows and payloads,
the IRIS service for poison messages, the ``--from-dir`` drain for a truncated client file)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

import pytest

from loaders import cli
from loaders.health import HealthOptions, run_health
from loaders.health.model import Status
from loaders.health.quarantine_checks import kept_checks, quarantine_checks
from loaders.iris.drain import DirectoryDrain, DrainOptions
from loaders.iris.heartbeat import Heartbeat
from loaders.iris.promote import promote_kept
from loaders.iris.synth import make_record
from loaders.quarantine import Quarantine
from loaders.warehouse.duckdb_writer import DuckDBWriter
from tests.python.iris_fakes import FakeMessage
from tests.python.test_iris_bid_offer import boav
from tests.python.test_iris_kept import _syswarn_unregistered, register_syswarn, serve, syswarn  # noqa: F401 (autouse)

DAY = 86400


def _writer(db) -> DuckDBWriter:
    return DuckDBWriter(db, lock_timeout_s=0.5, memory_limit="1GB")


@pytest.fixture
def populated(tmp_path, duckdb_path):
    """A quarantine holding API rows and a payload, IRIS poison messages and rows, and a --from-dir
    client folder with a truncated file; plus kept SYSWARN and BOAV messages in the warehouse."""
    q = Quarantine(tmp_path / "quarantine")
    reason = "settlementPeriod: expected integer, got x"
    rows = [(json.dumps({"settlementPeriod": "x"}), f"{reason}{i}", None) for i in range(4)]
    q.reject_rows("api", "BOD", "BOD_2026-11-20", rows)
    q.reject_file("api", "DISEBSP", "DISEBSP_2026-11-20", b"<html>", "not JSON: <html>")
    bad = make_record("FREQ", 1)
    bad["frequency"] = "fifty"
    serve(
        tmp_path,
        duckdb_path,
        [
            FakeMessage([b"\x00not json"], "FREQ", "FREQ_undecodable.json"),
            FakeMessage([json.dumps([bad]).encode()], "FREQ", "FREQ_bad.json"),
            FakeMessage([json.dumps([syswarn(1)]).encode()], "SYSWARN", "SYSWARN_1.json"),
            FakeMessage([json.dumps([syswarn(2)]).encode()], "SYSWARN", "SYSWARN_2.json"),
            FakeMessage([json.dumps([boav(1, 2.0, positive1=3.0, negative1=-1.0)]).encode()], "BOAV", "BOAV_1.json"),
        ],
    )
    src = tmp_path / "client"
    (src / "BOD").mkdir(parents=True)
    (src / "BOD" / "BOD_truncated.json").write_text('[{"dataset": "BOD", "settle')
    opts = DrainOptions(min_age_s=0, settle_s=0, work_root=tmp_path / "work")
    assert DirectoryDrain(src, _writer(duckdb_path), opts, heartbeat=Heartbeat(tmp_path / "hb2.json")).run() == 0
    return tmp_path / "quarantine", src


def test_health_counts_quarantine_per_dataset_and_reason(populated, tmp_path):
    root, client = populated
    now = datetime.now(UTC)
    checks = {c.subject: c for c in quarantine_checks(now, root=root, iris_dirs=[client], warn_items=3)}
    assert set(checks) == {"api/BOD", "api/DISEBSP", "iris/FREQ", "iris-files/BOD"}
    bod = checks["api/BOD"]
    assert bod.status is Status.WARN and bod.details["items"] == 4  # more than 3
    assert bod.details["reasons"] == {"settlementPeriod: expected integer": 4}
    assert checks["api/DISEBSP"].status is Status.INFO and checks["api/DISEBSP"].details["reasons"] == {
        "not JSON: <html>": 1
    }
    freq = checks["iris/FREQ"].details["reasons"]
    # two poison messages (their codes) and the bad message's rows (the parser's reason)
    assert freq == {"undecodable": 1, "bad_records": 1, "frequency: expected number": 1}
    assert checks["iris-files/BOD"].details["reasons"] == {"undecodable": 1}
    # the default threshold (10) makes them all information; an empty quarantine is OK
    assert all(c.status is Status.INFO for c in quarantine_checks(now, root=root, iris_dirs=[client]))
    empty = quarantine_checks(now, root=tmp_path / "nothing")
    assert [c.status for c in empty] == [Status.OK]


def test_health_names_kept_datasets_to_add_then_to_promote(populated, tmp_path, duckdb_path, monkeypatch):
    writer = _writer(duckdb_path)
    checks = {c.subject: c for c in kept_checks(writer)}
    assert checks["unregistered datasets"].status is Status.WARN
    assert "add SYSWARN to the registry" in checks["unregistered datasets"].message
    assert checks["unregistered datasets"].details["messages"] == {"SYSWARN": 2}
    assert checks["bid/offer side unknown"].status is Status.INFO
    assert checks["bid/offer side unknown"].details["messages"] == {"BOAV": 1}

    register_syswarn(monkeypatch)
    checks = {c.subject: c for c in kept_checks(_writer(duckdb_path))}
    assert "unregistered datasets" not in checks
    assert checks["promotable"].status is Status.WARN and "gbpower iris promote" in checks["promotable"].message
    promote_kept(_writer(duckdb_path), work_root=tmp_path / "work", quarantine_root=tmp_path / "quarantine")
    assert {c.subject for c in kept_checks(_writer(duckdb_path))} == {"bid/offer side unknown"}

    # wired into `gbpower health`
    monkeypatch.setenv("GBPOWER_QUARANTINE_DIR", str(tmp_path / "quarantine"))
    report = run_health(_writer(duckdb_path), HealthOptions(quarantine_warn=3, iris=True))
    found = {(c.check, c.subject): c.status for c in report.checks}
    assert found[("quarantine", "api/BOD")] is Status.WARN
    assert found[("iris kept", "bid/offer side unknown")] is Status.INFO


def test_health_cli_shows_quarantine_and_kept(populated, tmp_path, duckdb_path, monkeypatch, capsys):
    root, client = populated
    monkeypatch.setenv("GBPOWER_DUCKDB", str(duckdb_path))
    monkeypatch.setenv("GBPOWER_QUARANTINE_DIR", str(root))
    monkeypatch.setenv("GBPOWER_STATE_DIR", str(tmp_path / "state"))
    cli.main(["health", "--json", "--quarantine-warn", "100", "--iris-dir", str(client), "--no-iris"])
    doc = json.loads(capsys.readouterr().out)
    subjects = {(c["check"], c["subject"]) for c in doc["checks"]}
    assert ("quarantine", "iris-files/BOD") in subjects and ("quarantine", "api/BOD") in subjects
    assert not any(c["check"] == "iris kept" for c in doc["checks"])  # --no-iris: no IRIS checks
    cli.main(["health", "--json"])
    doc = json.loads(capsys.readouterr().out)
    kept = [c for c in doc["checks"] if c["check"] == "iris kept" and c["status"] == "warn"]
    assert kept and "SYSWARN" in kept[0]["message"]


def _age(paths, days: float) -> None:
    t = time.time() - days * DAY
    for p in paths:
        os.utime(p, (t, t))


def test_quarantine_list_and_purge(populated, tmp_path, monkeypatch, capsys):
    root, client = populated
    monkeypatch.setenv("GBPOWER_QUARANTINE_DIR", str(root))
    assert cli.main(["quarantine", "list", "--json", "--iris-dir", str(client)]) == 0
    listing = {(d["source"], d["dataset"]): d for d in json.loads(capsys.readouterr().out)["datasets"]}
    assert listing[("api", "BOD")]["items"] == 4 and listing[("iris", "FREQ")]["items"] == 3
    assert listing[("iris-files", "BOD")]["files"] == 1

    # age the IRIS poison copies and the API payload; the rest stays fresh
    old = [*(root / "iris" / "FREQ").glob("FREQ_*.json*"), *(root / "api" / "DISEBSP").iterdir()]
    assert len(old) == 6  # two messages and one payload, each with its .reason
    _age(old, 40)
    assert cli.main(["quarantine", "purge", "--older-than", "30d", "--dry-run"]) == 0
    assert "would delete 3 file group(s)" in capsys.readouterr().out
    assert all(p.exists() for p in old)

    assert cli.main(["quarantine", "purge", "--older-than", "30d", "--source", "iris"]) == 0
    out = capsys.readouterr().out
    assert "deleted 2 file group(s)" in out and "iris/FREQ: 2 item(s)" in out
    assert not any(p.exists() for p in old if "FREQ" in p.name)
    assert (root / "api" / "DISEBSP").exists()  # another source: untouched
    assert list((root / "iris" / "FREQ").glob("*.jsonl"))  # fresh rows stay

    assert cli.main(["quarantine", "purge", "--older-than", "30d"]) == 0
    assert "deleted 1 file group(s)" in capsys.readouterr().out
    assert not (root / "api" / "DISEBSP").exists()  # emptied dataset folder removed
    assert cli.main(["quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert "api/DISEBSP" not in out and "api/BOD: 4 item(s)" in out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["quarantine", "purge", "--older-than", "soon"])
    assert exit_.value.code == 2
