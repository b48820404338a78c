"""BigQuery writer pieces that need no endpoint: retries, literals, table specs, Parquet staging, config."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.api_core import exceptions as gexc

from loaders.registry import DATASETS, get_dataset
from loaders.warehouse import bigquery_support as bqs
from loaders.warehouse import open_writer
from loaders.warehouse.bigquery_tables import all_table_specs, raw_table_spec
from loaders.warehouse.bigquery_writer import BigQueryConfigError, BigQueryWriter
from loaders.warehouse.ddl import arrow_schema


class Flaky:
    """Raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_retries_transient_errors_with_growing_backoff():
    fn = Flaky(
        gexc.ServiceUnavailable("down"),
        gexc.TooManyRequests("slow down"),
        gexc.Forbidden("quota", errors=[{"reason": "rateLimitExceeded"}]),
        gexc.BadRequest("Transaction is aborted due to concurrent update against table x"),
    )
    sleeps: list[float] = []
    assert bqs.with_retries("t", fn, attempts=5, base_delay=1.0, sleep=sleeps.append) == "done"
    assert fn.calls == 5
    assert len(sleeps) == 4
    # jittered exponential: attempt n waits within [0.5, 1] x 2^(n-1)
    for n, s in enumerate(sleeps):
        assert 0.5 * 2**n <= s <= 2**n


def test_gives_up_after_the_last_attempt():
    fn = Flaky(*(gexc.InternalServerError("boom") for _ in range(3)))
    with pytest.raises(gexc.InternalServerError):
        bqs.with_retries("t", fn, attempts=3, base_delay=0.0, sleep=lambda s: None)
    assert fn.calls == 3


def test_permanent_errors_are_not_retried():
    fn = Flaky(gexc.BadRequest("Unrecognized name: nope", errors=[{"reason": "invalidQuery"}]))
    with pytest.raises(gexc.BadRequest):
        bqs.with_retries("t", fn, attempts=5, base_delay=0.0, sleep=lambda s: None)
    assert fn.calls == 1


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (date(2024, 3, 31), "DATE '2024-03-31'"),
        (datetime(2024, 3, 31, 1, 30, tzinfo=UTC), "TIMESTAMP '2024-03-31 01:30:00.000000+00'"),
        (
            datetime(2024, 3, 31, 2, 30, tzinfo=timezone(timedelta(hours=1))),
            "TIMESTAMP '2024-03-31 01:30:00.000000+00'",
        ),
        (datetime(2024, 3, 31, 1, 30), "TIMESTAMP '2024-03-31 01:30:00.000000+00'"),  # naive = UTC
        (42, "42"),
        (True, "TRUE"),
        (None, "NULL"),
        ("it's a \\ test\n", "'it\\'s a \\\\ test\\n'"),
    ],
)
def test_sql_literals(value, literal):
    assert bqs.sql_literal(value) == literal


def test_sql_literal_rejects_control_characters_and_unknown_types():
    with pytest.raises(ValueError, match="control character"):
        bqs.sql_literal("a\x00b")
    with pytest.raises(TypeError):
        bqs.sql_literal(object())


def test_param_types():
    assert [bqs.param_type(v) for v in (True, 1, 1.5, "x", date(2024, 1, 1), datetime(2024, 1, 1), None)] == [
        "BOOL",
        "INT64",
        "FLOAT64",
        "STRING",
        "DATE",
        "TIMESTAMP",
        "STRING",
    ]


def test_table_specs_cover_every_registry_table_and_render_ddl():
    specs = {s.name: s for s in all_table_specs()}
    for d in DATASETS.values():
        for t in d.tables:
            assert specs[t].column_names[-5:] == ("_ingested_at", "_source", "_batch_id", "_message_id", "_extra")
    assert {"gbpower_windows", "iris_messages"} <= specs.keys()
    boalf = raw_table_spec(get_dataset("BOALF"), "bmrs_boalf").ddl("p", "raw")
    assert boalf.startswith("CREATE TABLE IF NOT EXISTS `p.raw.bmrs_boalf` (")
    assert "`timeFrom` TIMESTAMP" in boalf and "`levelFrom` FLOAT64" in boalf
    assert boalf.endswith("PARTITION BY `settlementDate`\nCLUSTER BY `bmUnit`")
    freq = raw_table_spec(get_dataset("FREQ"), "bmrs_freq").ddl("p", "raw")
    assert freq.endswith("PARTITION BY TIMESTAMP_TRUNC(`measurementTime`, DAY)")


def test_stage_parquet_marks_timestamps_utc_and_reorders_columns(tmp_path):
    ds = get_dataset("FREQ")
    want = arrow_schema(ds)
    src = tmp_path / "in.parquet"
    table = pa.Table.from_pylist(
        [{n: None for n in want.names} | {"measurementTime": datetime(2024, 1, 1, 12), "frequency": 50.01}],
        schema=want,
    )
    pq.write_table(table.select(list(reversed(want.names))), src)
    out = tmp_path / "out.parquet"
    assert bqs.stage_parquet(src, want, out) == 1
    got = pq.read_table(out)
    assert got.schema.names == want.names
    assert got.schema.field("measurementTime").type == pa.timestamp("us", tz="UTC")
    assert got.column("measurementTime")[0].as_py() == datetime(2024, 1, 1, 12, tzinfo=UTC)


def test_stage_parquet_names_file_and_columns_on_mismatch(tmp_path):
    want = arrow_schema(get_dataset("FREQ"))
    src = tmp_path / "wrong.parquet"
    cols = {n: pa.array([None], f.type) for n, f in zip(want.names, want, strict=True)}
    cols["frequency"] = pa.array(["fifty"])
    cols["surprise"] = pa.array([1])
    pq.write_table(pa.table(cols), src)
    with pytest.raises(bqs.BatchSchemaError) as err:
        bqs.stage_parquet(src, want, tmp_path / "o.parquet")
    msg = str(err.value)
    assert "wrong.parquet" in msg and "unexpected columns surprise" in msg and "frequency is string" in msg


def test_missing_project_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("GBPOWER_BQ_PROJECT", raising=False)
    with pytest.raises(BigQueryConfigError, match="GBPOWER_BQ_PROJECT"):
        BigQueryWriter()
    with pytest.raises(BigQueryConfigError, match="GBPOWER_BQ_PROJECT"):
        open_writer("bigquery")


def test_config_from_env_and_kwargs(monkeypatch):
    monkeypatch.setenv("GBPOWER_BQ_PROJECT", "proj-a")
    monkeypatch.setenv("GBPOWER_BQ_RAW_DATASET", "raw_x")
    monkeypatch.setenv("GBPOWER_BQ_LOCATION", "europe-west2")
    w = BigQueryWriter()
    assert (w.project, w.dataset, w.location) == ("proj-a", "raw_x", "europe-west2")
    w2 = BigQueryWriter(project="proj-b", dataset="raw")
    assert (w2.project, w2.dataset) == ("proj-b", "raw")
    monkeypatch.delenv("GBPOWER_BQ_RAW_DATASET")
    monkeypatch.delenv("GBPOWER_BQ_LOCATION")
    assert (BigQueryWriter().dataset, BigQueryWriter().location) == ("raw", "EU")
    with pytest.raises(BigQueryConfigError, match="invalid BigQuery dataset"):
        BigQueryWriter(dataset="raw; DROP")


def test_permission_error_on_init_is_a_clear_writer_error(monkeypatch):
    """A loopback HTTP server answering like BigQuery does without permission (403): init fails at
    once (no retries) with a WriterError naming the dataset, and no credential in the message."""
    import http.server
    import threading

    from loaders.warehouse.base import WriterError

    calls: list[str] = []

    class Deny(http.server.BaseHTTPRequestHandler):
        def _deny(self) -> None:
            calls.append(self.path)
            body = json.dumps(
                {
                    "error": {
                        "code": 403,
                        "message": "Access Denied: Project p: permission denied",
                        "errors": [{"reason": "accessDenied", "message": "denied"}],
                    }
                }
            ).encode()
            self.send_response(403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = _deny

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Deny)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", f"http://127.0.0.1:{server.server_port}")
        writer = BigQueryWriter(project="p", dataset="raw_denied", retry_base_delay=0.01)
        with pytest.raises(WriterError, match=r"initialising BigQuery dataset p\.raw_denied: .*Access Denied"):
            writer.init()
    finally:
        server.shutdown()
        server.server_close()
    assert len(calls) == 1  # permanent error: no retry
