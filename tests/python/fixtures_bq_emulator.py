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
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

EMULATOR_PROJECT = "gbpower-test"
_START_TIMEOUT_S = 90.0


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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bqemulator_bin() -> str:
    exe = Path(sys.executable).parent / "bqemulator"
    if not exe.exists():
        pytest.fail(f"bqemulator is not installed next to {sys.executable} (run `make setup`)")
    return str(exe)


def _wait_ready(host: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"bqemulator exited with code {proc.returncode} while starting; log:\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{host}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"bqemulator did not become ready within {_START_TIMEOUT_S:.0f} s; log in {log_path}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the emulator's whole process group: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@pytest.fixture(scope="session")
def bq_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BQEmulator]:
    """A running bqemulator (project ``gbpower-test``) for the test session."""
    import duckdb_extensions

    duckdb_extensions.import_extension("spatial")
    workdir = tmp_path_factory.mktemp("bqemulator")
    log_path = workdir / "bqemulator.log"
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    cmd = [
        _bqemulator_bin(),
        "start",
        "--project",
        EMULATOR_PROJECT,
        "--rest-host",
        "127.0.0.1",
        "--rest-port",
        str(port),
        "--grpc-port",
        "0",
        "--ephemeral",
        "--log-level",
        "warning",
    ]
    # Strip BQEMU_* settings and real Google credentials from the emulator's environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BQEMU_")}
    env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(host, proc, log_path)
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
        _stop(proc)


@pytest.fixture
def bq_writer(bq_emulator: BQEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A BigQueryWriter on the emulator, writing to a fresh raw dataset (initialised) of its own."""
    from loaders.warehouse.bigquery_writer import BigQueryWriter

    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", bq_emulator.host)
    dataset = f"raw_{uuid.uuid4().hex[:10]}"
    writer = BigQueryWriter(
        project=bq_emulator.project,
        dataset=dataset,
        location="US",
        retry_attempts=2,
        retry_base_delay=0.05,
        work_dir=tmp_path / "bq-work",
    )
    writer.init()
    try:
        yield writer
    finally:
        with contextlib.suppress(Exception):
            writer.client.delete_dataset(f"{writer.project}.{dataset}", delete_contents=True, not_found_ok=True)
        writer.close()
