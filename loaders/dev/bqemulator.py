"""Start and stop a local BigQuery emulator (``bqemulator``, DuckDB-backed) for tests and benchmarks.

It keeps everything in memory (``--ephemeral``); it needs DuckDB's ``spatial`` extension, which is
installed from the ``duckdb-extension-spatial`` wheel (no download). Ports are free ones picked per
start (REST chosen here, gRPC by the OS) so several emulators can run side by side.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

START_TIMEOUT_S = 90.0


class EmulatorError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def executable() -> str:
    exe = Path(sys.executable).parent / "bqemulator"
    if not exe.exists():
        raise EmulatorError(f"bqemulator is not installed next to {sys.executable} (run `make setup`)")
    return str(exe)


def start(project: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Start an emulator for ``project``; returns (process, "http://127.0.0.1:PORT", log file) once ready."""
    import duckdb_extensions

    duckdb_extensions.import_extension("spatial")
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "bqemulator.log"
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    cmd = [
        executable(),
        "start",
        "--project",
        project,
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
    # no BQEMU_* settings and no real Google credentials in the emulator's environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("BQEMU_")}
    env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(host, proc, log_path)
    except BaseException:
        stop(proc)
        raise
    return proc, host, log_path


def wait_ready(host: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmulatorError(
                f"bqemulator exited with code {proc.returncode} while starting; log:\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{host}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise EmulatorError(f"bqemulator did not become ready within {timeout_s:.0f} s; log in {log_path}")


def stop(proc: subprocess.Popen[bytes]) -> None:
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
