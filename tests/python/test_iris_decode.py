"""IRIS body decoding, dataset routing, message ids and settings (no warehouse involved)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from loaders.iris.decode import (
    PoisonMessage,
    UnregisteredDataset,
    decode_message,
    decode_records,
    message_id_of,
)
from loaders.iris.settings import (
    DEFAULT_TENANT_ID,
    Secret,
    SettingsError,
    install_redaction,
    load_settings,
)
from loaders.iris.synth import samples

BOALF = samples()["BOALF"]  # real Insights rows (see loaders/iris/sample_records.json)
TEXT = json.dumps(BOALF)


@pytest.mark.parametrize(
    "body",
    [
        TEXT.encode(),  # bytes
        TEXT,  # str
        [TEXT.encode()],  # one AMQP data section, as ServiceBusReceivedMessage.body yields
        [TEXT[:50].encode(), TEXT[50:].encode()],  # several sections
        (part for part in [TEXT.encode()]),  # a generator (what the SDK really returns)
        json.dumps(TEXT).encode(),  # double-encoded: a JSON string holding the JSON
        json.dumps(json.dumps(TEXT)),  # triple
        b"\xef\xbb\xbf" + TEXT.encode(),  # UTF-8 BOM
    ],
    ids=["bytes", "str", "one-section", "sections", "generator", "double", "triple", "bom"],
)
def test_every_body_form_gives_the_records(body):
    d = decode_message("BOALF_202605060300_1.json", "BOALF", body)
    assert d.records == BOALF
    assert d.dataset.name == "BOALF"
    assert d.message_id == "BOALF_202605060300_1.json"


def test_single_object_body_is_one_record():
    assert decode_records(json.dumps(BOALF[0]).encode()) == [BOALF[0]]
    assert decode_records(json.dumps(json.dumps(BOALF[0])).encode()) == [BOALF[0]]


@pytest.mark.parametrize(
    ("body", "reason", "fragment"),
    [
        (b"", "undecodable", "empty"),
        (b"\xff\xfe\x00garbage", "undecodable", "UTF-8"),
        (b'[{"dataset": "BOALF", ', "undecodable", "not JSON"),
        (b"42", "undecodable", "int"),
        (b'"just a string"', "undecodable", "not JSON"),
        (b'[{"dataset": "BOALF"}, 7]', "bad_records", "record 1 is int"),
        (object(), "undecodable", "object"),
    ],
)
def test_undecodable_bodies_are_poison_with_a_reason(body, reason, fragment):
    with pytest.raises(PoisonMessage) as err:
        decode_message("m1", "BOALF", body)
    assert err.value.reason == reason
    assert fragment in err.value.description


def test_routing_prefers_subject_then_records_dataset_field():
    fuel = samples()["FUELINST"]
    assert decode_message("m", "FUELINST", json.dumps(fuel)).dataset.name == "FUELINST"
    # no subject (or the clients' "unknown" fallback): the records name their dataset
    assert decode_message("m", None, json.dumps(fuel)).dataset.name == "FUELINST"
    assert decode_message("m", "unknown", json.dumps(fuel)).dataset.name == "FUELINST"


@pytest.mark.parametrize(
    ("subject", "records", "fragment"),
    [
        ("OCNMFW", [{"dataset": "OCNMFW", "warningText": "x"}], "'OCNMFW' is not in the registry"),
        ("BMUNITS", [{"nationalGridBmUnit": "X"}], "not an IRIS dataset"),
        (None, [{"x": 1}], "no dataset field"),
        (None, [{"dataset": "BOD"}, {"dataset": "PN"}], "several datasets"),
    ],
)
def test_unknown_datasets_are_kept_not_poison(subject, records, fragment):
    """A well-formed message the registry cannot load is routed to the kept table with its records,
    never to quarantine (``UnregisteredDataset``)."""
    with pytest.raises(UnregisteredDataset) as err:
        decode_message("m", subject, json.dumps(records))
    assert fragment in err.value.description
    assert err.value.records == records
    assert err.value.keep_reason == ("no_dataset" if subject is None else "unregistered_dataset")
    assert err.value.dataset == (subject or "unknown")


def test_message_id_falls_back_to_source_file_name_then_body_hash():
    assert message_id_of("BOD_1.json", None, b"x") == "BOD_1.json"
    assert message_id_of(None, {b"source_file_name": b"BOD_2.json"}, b"x") == "BOD_2.json"
    assert message_id_of(None, {"source_file_name": "BOD_3.json"}, b"x") == "BOD_3.json"
    a, b, c = (message_id_of(None, None, body) for body in (b"[1]", b"[1]", b"[2]"))
    assert a == b != c  # same body, same id: a redelivery is still recognised


# -- settings ------------------------------------------------------------------------------------
SECRET = "s3cr3t-Value~with.Chars"  # pragma: allowlist secret


def test_settings_from_elexon_client_file(tmp_path):
    f = tmp_path / "settings.json"
    f.write_text(
        json.dumps(
            {
                "ClientId": "cid",
                "QueueName": "iris.1234",
                "ServiceBusNamespace": "elexon-insights-iris",
                "Secret": SECRET,
                "RelativeFileDownloadDirectory": "./data",
            }
        )
    )
    s = load_settings(f, env={})
    assert (s.client_id, s.queue_name, s.tenant_id) == ("cid", "iris.1234", DEFAULT_TENANT_ID)
    assert s.fully_qualified_namespace == "elexon-insights-iris.servicebus.windows.net"
    assert s.secret.reveal() == SECRET
    assert SECRET not in repr(s) and SECRET not in str(s)


def test_settings_from_env_and_env_fills_gaps(tmp_path):
    env = {
        "IRIS_CLIENT_ID": "cid",
        "IRIS_CLIENT_SECRET": SECRET,
        "IRIS_QUEUE_NAME": "iris.q",
        "IRIS_NAMESPACE": "ns.example.net",
        "IRIS_TENANT_ID": "tenant-2",
    }
    s = load_settings(None, env=env)
    assert (s.client_id, s.queue_name, s.tenant_id) == ("cid", "iris.q", "tenant-2")
    assert s.fully_qualified_namespace == "ns.example.net"
    f = tmp_path / "partial.json"
    f.write_text(json.dumps({"ClientId": "file-id", "QueueName": "file-q", "Secret": ""}))
    s2 = load_settings(f, env={"IRIS_CLIENT_SECRET": SECRET})
    assert (s2.client_id, s2.queue_name, s2.secret) == ("file-id", "file-q", Secret(SECRET))


def test_settings_errors_name_the_problem_never_the_secret(tmp_path):
    with pytest.raises(SettingsError, match="missing ClientId"):
        load_settings(None, env={"IRIS_CLIENT_SECRET": SECRET, "IRIS_QUEUE_NAME": "q"})
    bad = tmp_path / "bad.json"
    bad.write_text('{"Secret": "' + SECRET + '", ')
    with pytest.raises(SettingsError) as err:
        load_settings(bad, env={})
    assert str(bad) in str(err.value) and SECRET not in str(err.value)
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.json", env={})


def test_secret_is_redacted_from_logs_and_tracebacks(caplog):
    stream_logger = logging.getLogger("test_iris_redaction")
    handler = logging.StreamHandler()
    buf = io.StringIO()
    handler.setStream(buf)
    stream_logger.addHandler(handler)
    stream_logger.propagate = False
    try:
        install_redaction(Secret(SECRET), stream_logger)
        stream_logger.warning("auth failed with %s", SECRET)
        try:
            raise RuntimeError(f"token request rejected: client_secret={SECRET}")
        except RuntimeError:
            stream_logger.exception("connect failed")
    finally:
        stream_logger.removeHandler(handler)
    out = buf.getvalue()
    assert "auth failed with ***" in out
    assert "client_secret=***" in out  # the traceback text is kept, the value is not
    assert SECRET not in out


def test_json_the_fast_parser_refuses_still_decodes():
    """orjson rejects NaN and integers beyond 64 bits; the standard library fallback accepts them."""
    recs = decode_records(b'[{"frequency": NaN, "big": 123456789012345678901234567890}]')
    assert recs[0]["big"] == 123456789012345678901234567890
    assert recs[0]["frequency"] != recs[0]["frequency"]  # NaN
    from loaders.iris.validate import _dumps

    assert json.loads(_dumps({"big": 2**70})) == {"big": 2**70}


def test_cli_without_settings_exits_2_naming_what_is_missing(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    env.update(
        IRIS_CLIENT_SECRET=SECRET, GBPOWER_DUCKDB=str(tmp_path / "w.duckdb"), GBPOWER_WORK_DIR=str(tmp_path / "work")
    )
    r = subprocess.run(
        [sys.executable, "-m", "loaders.cli", "iris"], env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2
    assert "missing ClientId (env IRIS_CLIENT_ID), QueueName (env IRIS_QUEUE_NAME)" in r.stderr
    assert SECRET not in r.stderr + r.stdout


def test_poison_copy_reads_a_one_shot_sdk_body_once(tmp_path):
    """azure-servicebus hands out the DATA body as a one-shot generator; the quarantined copy of a
    poison message must still hold every byte (it was 0 bytes when the body was read twice)."""
    from loaders.iris.pipeline import Incoming, Poison, _decode, quarantine_message

    raw = json.dumps([{"dataset": "OCNMFW", "warningText": "Electricity margin notice"}]).encode()[:-7]
    one_shot = (section for section in [raw[:10], raw[10:]])
    poison = _decode(Incoming(message_id="OCNMFW_1.json", subject="OCNMFW", body=one_shot))
    assert isinstance(poison, Poison) and poison.reason == "undecodable"
    assert poison.raw == raw
    target = quarantine_message(tmp_path, poison, name="OCNMFW_1.json")
    assert target.read_bytes() == raw
