"""pytest plugin: a local BigQuery emulator (bqemulator) for the whole test session.

bqemulator serves BigQuery's REST API from an in-process DuckDB database. Started without
``--persistent``/``--data-dir`` it keeps everything in memory (nothing is written to disk, no data
directory is needed) and everything disappears when it stops. It needs DuckDB's ``spatial``
extension, which cannot be downloaded here: ``duckdb_extensions.import_extension("spatial")``
installs the copy shipped in the ``duckdb-extension-spatial`` wheel into DuckDB's extension
directory, where the emulator's own DuckDB finds it.

Both ports are chosen per session (REST: a free port we pick; gRPC: ``--grpc-port 0``, i.e. any free
port — the default 9060 would clash with other engineers' emulators on a shared machine).
"""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from loaders.dev import bqemulator

EMULATOR_PROJECT = "gbpower-test"


@dataclass
class BQEmulator:
    host: str  # "http://127.0.0.1:PORT"
    project: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self):  # -> bigquery.Client (imported lazily: only BigQuery tests pay for it)
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.host),
        )


@pytest.fixture(scope="session")
def bq_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BQEmulator]:
    """A running bqemulator (project ``gbpower-test``) for the test session."""
    workdir = tmp_path_factory.mktemp("bqemulator")
    try:
        proc, host, log_path = bqemulator.start(EMULATOR_PROJECT, workdir)
    except bqemulator.EmulatorError as exc:
        pytest.fail(str(exc))
    try:
        emu = BQEmulator(
            host=host,
            project=EMULATOR_PROJECT,
            process=proc,
            log_path=log_path,
            env={
                "BIGQUERY_EMULATOR_HOST": host,
                "GBPOWER_BQ_PROJECT": EMULATOR_PROJECT,
                "GOOGLE_CLOUD_PROJECT": EMULATOR_PROJECT,
                "GBPOWER_TARGET": "bigquery_emulator",
                "GBPOWER_BQ_LOCATION": "US",
            },
        )
        yield emu
    finally:
        bqemulator.stop(proc)


@contextlib.contextmanager
def emulator_writer(emu: BQEmulator, dataset: str, work_dir: Path) -> Iterator[Any]:
    """A BigQueryWriter on the emulator writing raw tables to ``dataset`` (initialised), with
    ``BIGQUERY_EMULATOR_HOST`` set while it is open; closed and the variable restored after."""
    from loaders.warehouse.bigquery_writer import BigQueryWriter

    mp = pytest.MonkeyPatch()
    mp.setenv("BIGQUERY_EMULATOR_HOST", emu.host)
    writer = BigQueryWriter(
        project=emu.project,
        dataset=dataset,
        location="US",
        retry_attempts=2,
        retry_base_delay=0.05,
        work_dir=work_dir,
    )
    try:
        writer.init()
        yield writer
    finally:
        writer.close()
        mp.undo()


@pytest.fixture
def bq_writer(bq_emulator: BQEmulator, tmp_path: Path):
    """A BigQueryWriter on the emulator, writing to a fresh raw dataset (initialised) of its own."""
    dataset = f"raw_{uuid.uuid4().hex[:10]}"
    with emulator_writer(bq_emulator, dataset, tmp_path / "bq-work") as writer:
        try:
            yield writer
        finally:
            with contextlib.suppress(Exception):
                writer.client.delete_dataset(f"{writer.project}.{dataset}", delete_contents=True, not_found_ok=True)
