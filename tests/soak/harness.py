"""The soak test: weeks of unattended operation on one DuckDB file, compressed into minutes.

What runs, all for real: the replay of the Insights API (``loaders.replay``) serving a store built
with ``loaders.samples.store.build_store`` (demo scale); a simulated IRIS client directory (one JSON
file per message under ``<dir>/<DATASET>/``, as Elexon's official client writes them) drained by
``gbpower iris --from-dir`` (the IRIS service's loop, one pass per tick); and every job of
``orchestration/crontab``, rendered the way ``gbpower install-services`` renders it and run through
``orchestration/bin/run-job`` under ``faketime``. The replay serves only what Elexon would have
published by the simulated now (:func:`published_at`). The fakes are at the true external boundaries
only: the alert receiver (a loopback webhook) and Google Sheets (the exporter tests' fake Sheets v4
API, :class:`SheetsService`).

The fake clock moves in ticks (default: one a day at 06:00 UTC). At each tick the client writes the
messages IRIS pushed since the last tick, the drain takes them, and every crontab job that was due
since the last tick runs once, in crontab order, with the clock set to the tick (a job may also have
a minimum interval, for wall time: ``SoakPlan.min_interval``). Then ``gbpower health --json`` is
recorded, as an observer.

Faults injected (see :class:`SoakPlan`): an IRIS outage longer than the queue's 3-day TTL, a spell of
API 5xx, a source gap (periods Elexon never published, so ``/data-status`` lists none), a late
revision of system prices, a ``dbt build`` killed with SIGKILL half-way, messages of a dataset the
registry does not know, and a client write stalled half-way across a drain pass.

``python -m tests.soak.harness --out DIR`` runs it from the command line; ``tests/soak/test_soak.py``
is the pytest entry. Both write ``soak_figures.json`` and print one summary line.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from loaders.scratch import pid_alive
from loaders.settlement import PERIOD, period_start

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
GBPOWER = str(VENV / "bin" / "gbpower")

# The datasets the simulated IRIS client receives, and the field that says when IRIS pushed a record.
IRIS_FEED = {
    "FREQ": "measurementTime",
    "FUELINST": "publishTime",
    "BOALF": "timeFrom",
    "BOD": "timeFrom",
    "MELS": "timeFrom",
    "DISEBSP": "startTime",
}
IRIS_TTL = timedelta(days=3)  # IRIS keeps unread messages this long
# IRIS datasets (Elexon's names) the registry may not load yet; the soak sends the first one it lacks
UNREGISTERED_CANDIDATES = ("SYSWARN", "NDF", "NDFD", "LOLPDRM", "SOSO", "CDN", "DCI", "NONBM")


def unregistered_dataset() -> str:
    """A dataset name IRIS could send that the registry does not know."""
    from loaders.registry import DATASETS

    for name in UNREGISTERED_CANDIDATES:
        if name not in DATASETS:
            return name
    return "SOAKUNKNOWN"


@dataclass
class SoakPlan:
    """When things happen, in days after ``first_day`` (tick ``k`` is ``first_day + k*tick + tick_at``)."""

    first_day: date = date(2026, 9, 1)
    days: int = 30
    # store days before first_day, loaded by the first catch-up: at most the incremental models'
    # lookback (3 days) minus one, so the first builds take them in like any other day
    history_days: int = 2
    tick: timedelta = timedelta(days=1)
    tick_at: timedelta = timedelta(hours=6)
    # jobs that run at most this often (wall time): the job still runs only when cron says it is due
    # (not dbt build: its incremental models re-read only the last `lookback_days` (3) days, an
    # interval the 30-minute schedule never comes near; a build every few ticks would lose data)
    min_interval: dict[str, timedelta] = field(
        # refresh-live (every 5 min on the server) is due at every tick, right after the build that
        # already covers its models: every 5 days keeps it exercised (tests/python/test_live_chain.py
        # measures it) without adding a live-chain build to every tick
        default_factory=lambda: {
            "dbt-freshness": timedelta(days=5),
            "docs": timedelta(days=30),
            "refresh-live": timedelta(days=5),
        }
    )
    # jobs whose clock runs faster (wall time): the catch-up's rate limit (--rate 4) and retry
    # back-off are waits on the clock. Mind the job's --timeout, which shrinks by the same factor
    # (api-catch-up: 3000 s -> 750 s of wall time at x4); beyond the waits the catch-up is bound by
    # its commits (~0.3-0.5 s per window here), which no clock rate shortens.
    clock_rate: dict[str, int] = field(default_factory=lambda: {"api-catch-up": 4})
    iris_outage: tuple[int, int] = (5, 9)  # the client writes nothing from tick 5 to tick 9 (4 days)
    api_fault_tick: int = 12  # the API answers 503 to every request for api_fault_match during this tick
    api_fault_match: str = "/datasets/FUELHH"
    # dataset, day, first and last period: an every-period dataset (health looks for its gaps) with a
    # /data-status route (so the gap can be confirmed at source)
    source_gap: tuple[str, int, int, int] = ("NETBSAD", 15, 20, 21)
    # DISEBSP day 17 re-published at tick 19 (newer createdDateTime), after its final load at tick 18;
    # the catch-up refetches it (revision_days) and the build at tick 20 takes it (lookback)
    revision: tuple[int, int] = (17, 19)
    revision_delta: float = 7.77
    kill_build_tick: int = 22
    # SIGKILL the dbt build half-way through its nodes (read off dbt's progress), at the latest this late
    kill_build_after_s: float = 300.0
    unregistered_ticks: tuple[int, ...] = (3, 4)
    stall_tick: int = 25  # the first FREQ message of this tick is written in two chunks, stalled across the drain

    @property
    def ticks(self) -> int:
        return int(timedelta(days=self.days) / self.tick) + 1

    def at(self, k: int) -> datetime:
        start = datetime.combine(self.first_day, datetime.min.time(), UTC)
        return start + self.tick_at + k * self.tick

    def tick_of(self, when: datetime) -> int:
        """The first tick at or after ``when``."""
        k = 0
        while self.at(k) < when:
            k += 1
        return k

    def store_days(self) -> list[date]:
        first = self.first_day - timedelta(days=self.history_days)
        return [first + timedelta(days=i) for i in range(self.history_days + self.days)]


# -- the alert receiver (the one fake: the webhook at the other end) --------------------------------
class AlertReceiver:
    """A loopback webhook that records every alert POSTed to it, with the tick it arrived in."""

    def __init__(self) -> None:
        self.tick = -1
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    text = json.loads(body)["text"]
                except (ValueError, KeyError, TypeError):
                    text = body.decode(errors="replace")
                receiver.received.append({"tick": receiver.tick, "text": text})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def __enter__(self) -> AlertReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def new_lines(self) -> list[tuple[int, str]]:
        """(tick, line) of every NEW/RECOVERED line received."""
        out = []
        for msg in self.received:
            for line in msg["text"].splitlines():
                if line.startswith(("NEW ", "RECOVERED ")):
                    out.append((msg["tick"], line))
        return out


# -- Google Sheets (the fake at the other end of the export: tests/python/fake_sheets_api.py) -------
class SheetsService:
    """The exporter tests' fake Google Sheets v4 API (it validates every request against Google's
    discovery document and signs in with the service-account JWT grant), on loopback, with a
    throwaway service-account key and one spreadsheet for the shipped config's ``dashboard``. Its
    clock is the soak's simulated one (``clock``: POSIX seconds), so the token's expiry is judged as
    Google would judge it on the simulated day."""

    EMAIL = "exporter@gbpower-soak.iam.gserviceaccount.com"
    SPREADSHEET = "soak-dashboard"

    def __init__(self, conf_dir: Path, clock: Any) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        from tests.python.fake_sheets_api import FakeSheets

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.fake = FakeSheets(self.EMAIL, key.public_key(), clock=clock)
        self.fake.add_spreadsheet(self.SPREADSHEET)
        self._pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        self.key_file = conf_dir / "sheets-service-account.json"
        self.httpd: Any = None
        self.url = ""

    def __enter__(self) -> SheetsService:
        from tests.python.fake_sheets_api import start

        self.httpd, self.url = start(self.fake)
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "type": "service_account",
            "project_id": "gbpower-soak",
            "private_key_id": "soak",
            "private_key": self._pem,
            "client_email": self.EMAIL,
            "client_id": "1",
            "token_uri": self.fake.token_uri,
        }
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh)
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def env(self) -> dict[str, str]:
        return {
            "GBPOWER_SHEETS_CREDENTIALS": str(self.key_file),
            "GBPOWER_SHEETS_DASHBOARD_ID": self.SPREADSHEET,
            "GBPOWER_SHEETS_API_URL": self.url,
        }

    def snapshot(self) -> dict[str, Any]:
        """What the fake holds: requests Google would have rejected, calls, and each tab's block."""
        with self.fake.lock:
            tabs = {}
            for sheet in self.fake.spreadsheets[self.SPREADSHEET]["sheets"]:
                title = sheet["properties"]["title"]
                tabs[title] = [
                    [None if v is None else str(v) for v in row] for row in self.fake.values(self.SPREADSHEET, title)
                ]
            return {"errors": list(self.fake.errors), "calls": len(self.fake.calls), "tabs": tabs}


# -- the simulated IRIS client ----------------------------------------------------------------------
def _parse_ts(text: str) -> datetime:
    ts = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def published_at(row: dict, window_column: str | None) -> datetime | None:
    """When Elexon publishes ``row`` on the API: at its ``publishTime`` where it has one (FUELINST,
    FUELHH, forecasts, REMIT); otherwise once its settlement period has ended (the first period of a
    BOALF acceptance); otherwise at its time (FREQ). None: always there (reference lists). The
    replay serves a row only once this time has passed on the simulated clock."""
    if row.get("publishTime"):
        return _parse_ts(row["publishTime"])
    period = row.get("settlementPeriod", row.get("settlementPeriodFrom"))
    if row.get("settlementDate") and period is not None:
        with contextlib.suppress(ValueError):
            return period_start(date.fromisoformat(str(row["settlementDate"])[:10]), int(period)) + PERIOD
    if window_column and row.get(window_column):
        return _parse_ts(row[window_column])
    return None


def pushed_at(dataset: str, row: dict) -> datetime:
    """When IRIS pushes ``row``: its time field (DISEBSP: once its settlement period has ended)."""
    ts = _parse_ts(row[IRIS_FEED[dataset]])
    return ts + timedelta(minutes=30) if dataset == "DISEBSP" else ts


class IrisClient:
    """Writes what IRIS pushed in (since, until] into the client directory, one file per message
    (the records of one dataset and hour), as Elexon's Python client does: ``open(path, 'w+')`` and
    the JSON text, no temporary name."""

    def __init__(self, store: Path, root: Path) -> None:
        self.store = store
        self.root = root
        self.sent: Counter = Counter()  # records written per dataset
        self.files = 0
        self.seq = 0
        self.stalled: list[threading.Thread] = []
        self._resume = threading.Event()

    def rows_between(self, dataset: str, since: datetime, until: datetime) -> list[dict]:
        out = []
        day = (since - timedelta(days=2)).date()
        while day <= (until + timedelta(days=1)).date():
            path = self.store / dataset / f"{day.isoformat()}.ndjson"
            if path.exists():
                for line in path.read_text().splitlines():
                    if line.strip():
                        row = json.loads(line)
                        if since < pushed_at(dataset, row) <= until:
                            out.append(row)
            day += timedelta(days=1)
        return out

    def messages(self, since: datetime, until: datetime) -> list[tuple[str, str, list[dict]]]:
        """(dataset, message file name, records) for every message pushed in (since, until]."""
        msgs = []
        for dataset in IRIS_FEED:
            by_hour: dict[str, list[dict]] = defaultdict(list)
            for row in self.rows_between(dataset, since, until):
                by_hour[pushed_at(dataset, row).strftime("%Y%m%d%H")].append(row)
            for hour, rows in sorted(by_hour.items()):
                self.seq += 1  # message ids are unique (the file name is the id)
                msgs.append((dataset, f"{dataset}_{hour}_{self.seq:07d}.json", rows))
        return msgs

    def write(self, dataset: str, name: str, records: list[dict]) -> None:
        d = self.root / dataset
        d.mkdir(parents=True, exist_ok=True)
        with open(d / name, "w+") as f:  # the official Python client's own call
            f.write(json.dumps(records))
        self.sent[dataset] += len(records)
        self.files += 1

    def write_stalled(self, dataset: str, name: str, records: list[dict], first_chunk: int = 8192) -> Path:
        """Start writing a message and stall after ``first_chunk`` characters, holding the file open
        (a buffered ``json.dump`` flushes its first 8 kB block first); :meth:`resume` finishes it."""
        text = json.dumps(records)
        if len(text) <= first_chunk:
            raise ValueError(f"a stalled write needs a message longer than {first_chunk} characters")
        path = self.root / dataset / name
        path.parent.mkdir(parents=True, exist_ok=True)
        started = threading.Event()

        def run() -> None:
            with open(path, "w+") as f:
                f.write(text[:first_chunk])
                f.flush()
                started.set()
                self._resume.wait(600)
                f.write(text[first_chunk:])

        t = threading.Thread(target=run, daemon=True)
        t.start()
        if not started.wait(10):
            raise RuntimeError("stalled client write did not start")
        self.stalled.append(t)
        self.sent[dataset] += len(records)
        self.files += 1
        return path

    def resume(self) -> None:
        self._resume.set()
        for t in self.stalled:
            t.join(30)
        self.stalled = [t for t in self.stalled if t.is_alive()]

    def write_unregistered(self, when: datetime, n: int) -> int:
        """``n`` messages of an IRIS dataset the registry does not load."""
        name = self.unregistered = unregistered_dataset()
        for i in range(n):
            rec = {
                "dataset": name,
                "publishTime": (when - timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "warningType": "SO-SO TRADES",
                "warningText": f"soak system warning {when:%Y%m%d%H} #{i}",
            }
            d = self.root / name
            d.mkdir(parents=True, exist_ok=True)
            with open(d / f"{name}_{when:%Y%m%d%H}_{i}.json", "w+") as f:
                f.write(json.dumps([rec]))
        return n


# -- the schedule -------------------------------------------------------------------------------------
@dataclass
class Installation:
    """The rendered crontab and environment of a soak "server" under ``base``."""

    base: Path
    cron_env: dict[str, str]
    jobs: list[Any]  # loaders.services.CronJob, crontab order
    env_file: Path
    settings: dict[str, str]

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def logs(self) -> Path:
        return self.base / "logs"


def install(base: Path, api_url: str, webhook: str, sheets: dict[str, str] | None = None) -> Installation:
    """Render the crontab and gbpower.env exactly as ``gbpower install-services`` does, into ``base``."""
    from loaders.services import InstallConfig, parse_crontab, render_all

    cfg = InstallConfig(
        prefix=ROOT,
        user=getpass.getuser(),
        venv=VENV,
        data_dir=base / "data",
        log_dir=base / "logs",
        conf_dir=base / "conf",
        systemd_version=256,
    )
    files = render_all(cfg)
    cron_env, jobs = parse_crontab(files["crontab"])
    conf = base / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    for d in (base / "data" / "locks", base / "logs"):
        d.mkdir(parents=True, exist_ok=True)
    extra = {
        "BMRS_API_BASE_URL": api_url,
        "GBPOWER_ALERT_WEBHOOK": webhook,
        # the shipped export config, pushed to the fake Google Sheets API (SheetsService)
        "GBPOWER_SHEETS_CONFIG": str(ROOT / "config" / "sheets.yml"),
        # the soak runs on a shared CI disk whose free space is not the soak's to judge (health's disk
        # check and its thresholds are tested in tests/python/test_health.py): only a full disk warns
        "GBPOWER_DISK_WARN_PCT": "1",
        "GBPOWER_DISK_ERROR_PCT": "0",
        **(sheets or {}),
    }
    env_text = files["gbpower.env.example"].rstrip("\n") + "\n# soak additions\n"
    env_text += "".join(f"{k}={v}\n" for k, v in extra.items())
    env_file = conf / "gbpower.env"
    env_file.write_text(env_text)
    settings = read_env_file(env_file)
    (base / "crontab").write_text(files["crontab"])
    return Installation(base, cron_env, jobs, env_file, settings)


def read_env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip().strip('"')
    return out


def due(job: Any, since: datetime, until: datetime) -> bool:
    """Was ``job`` due at least once in (since, until]?"""
    nxt = job.schedule.next_times(since.replace(tzinfo=None), 1)
    return bool(nxt) and nxt[0] <= until.replace(tzinfo=None)


def base_env() -> dict[str, str]:
    """What cron gives a job: a bare environment (no GBPOWER_* or DBT_* of whoever runs the soak)."""
    # (PYTHONPATH only when the soak itself runs with one, e.g. from a snapshot of the tree)
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "USER", "LOGNAME", "TMPDIR", "PYTHONPATH")
    return {k: os.environ[k] for k in keep if k in os.environ}


FAKETIME_SHM = Path("/dev/shm")
_FAKETIME_OBJECT = re.compile(r"^(?:sem\.faketime_sem|faketime_shm)_(\d+)$")


def clear_stale_faketime_objects(shm: Path = FAKETIME_SHM) -> list[str]:
    """Remove the POSIX semaphore and shared memory a killed ``faketime`` left behind.

    ``faketime`` creates ``/faketime_sem_<pid>`` and ``/faketime_shm_<pid>`` with ``O_EXCL`` and
    removes them when it exits; a SIGKILL (the soak kills process groups) leaves them. A later
    ``faketime`` that gets the same pid (pid_max is 32768 here, and CI reuses machines) then exits 1
    at once ("sem_open: File exists") without running the job: an export-sheets run failed that way
    in 0.0 s. Objects of a live pid are left alone. Returns the names removed."""
    removed = []
    for entry in shm.iterdir() if shm.is_dir() else ():
        m = _FAKETIME_OBJECT.match(entry.name)
        if not m or pid_alive(int(m.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed.append(entry.name)
    return removed


def faked(when: datetime, argv: list[str], rate: int = 1) -> list[str]:
    """``argv`` with the clock set to ``when`` now and running on from there. An offset from the real
    clock (not faketime's absolute "@start", which restarts the clock in every new process), so that
    run-job, ``date``, ``timeout`` and the job all see one clock; ``rate`` > 1 runs that clock (and
    every sleep) ``rate`` times faster. Called right before each launch, so it first clears what
    killed ``faketime`` processes left behind (:func:`clear_stale_faketime_objects`)."""
    clear_stale_faketime_objects()
    offset = int((when - datetime.now(UTC)).total_seconds())
    return ["faketime", "-f", f"{offset:+d}s" + (f" x{rate}" if rate > 1 else ""), *argv]


def run_in_group(argv: list[str], env: dict[str, str], timeout: float, stderr: Path | None = None) -> int:
    """Run ``argv`` in its own process group; on timeout kill the whole group (run-job, ``timeout``,
    the job and whatever it started), so nothing outlives the soak. ``stderr``: a file that gets what
    the launcher itself says (faketime, run-job; the job's own output goes to its job log)."""
    with open(stderr, "ab") if stderr else contextlib.nullcontext(subprocess.DEVNULL) as err:
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return -9
    finally:
        kill_group(proc)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL what is left of ``proc``'s process group (it leads one: ``start_new_session``)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)


def tail(path: Path, offset: int = 0, lines: int = 40) -> str:
    """The last ``lines`` lines written to ``path`` after byte ``offset``."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            text = fh.read().decode(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(nothing written to the log)"


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def leftover_processes(base: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process started by a soak in ``base``: each job, drain and health
    run gets an environment with variables that point into it (GBPOWER_ENV_FILE, GBPOWER_DUCKDB, ...),
    which a shell merely looking at the directory does not have."""
    found = []
    mine = _ancestors(os.getpid())  # this process and those that started it are not the soak's
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        with contextlib.suppress(OSError):
            env = (entry / "environ").read_bytes().split(b"\0")
            if any(v.partition(b"=")[2].startswith(base.encode()) for v in env if v.startswith(b"GBPOWER_")):
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(entry.name), cmd.strip()))
    return found


def _ancestors(pid: int) -> set[int]:
    out = set()
    while pid > 1 and pid not in out:
        out.add(pid)
        try:
            pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return out


# -- the soak -----------------------------------------------------------------------------------------
@dataclass
class JobRun:
    tick: int
    job: str
    rc: int
    seconds: float
    said: str = ""  # a failed run: the launcher's stderr and the tail of the job's log


@dataclass
class SoakResult:
    plan: dict
    wall_s: float = 0.0
    runs: list[JobRun] = field(default_factory=list)
    drains: list[dict] = field(default_factory=list)
    health: list[dict] = field(default_factory=list)  # per tick: {"tick", "checks": [...]}
    alerts: list[tuple[int, str]] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    expectations: list[dict] = field(default_factory=list)  # {"name", "ok", "detail"}

    def expect(self, name: str, ok: bool, detail: str) -> None:
        self.expectations.append({"name": name, "ok": bool(ok), "detail": detail})

    @property
    def failed(self) -> list[dict]:
        return [e for e in self.expectations if not e["ok"]]

    def summary_line(self) -> str:
        f = self.figures
        return (
            f"soak: {f.get('simulated_days')} days in {self.wall_s:.0f}s wall; records served "
            f"{f.get('records_served')} landed {f.get('records_landed')} (IRIS files {f.get('iris_files')}); "
            f"faults injected {f.get('faults_injected')} reported {f.get('faults_reported')}; "
            f"alert latency (cycles) {f.get('alert_latency_cycles')}; "
            f"expectations {len(self.expectations) - len(self.failed)}/{len(self.expectations)} met"
        )


class Soak:
    def __init__(self, base: Path, plan: SoakPlan | None = None, log=None) -> None:
        self.base = Path(base)
        self.plan = plan or SoakPlan()
        self.log = log or (lambda line: print(line, flush=True))
        self.store = self.base / "store"
        self.iris_dir = self.base / "iris-client"
        self.result = SoakResult(plan={k: str(v) for k, v in asdict(self.plan).items()})
        self.gap_removed = 0
        self.revised: dict[int, tuple[float, float]] = {}  # settlementPeriod -> new (sell, buy)
        self.killed_build: dict | None = None  # {"pid", "rc"} of the build killed at kill_build_tick
        self.stalled_path: Path | None = None
        self.unregistered_written = 0
        self.left_behind: list[str] | None = None  # processes still running after the run (reap)
        self.sheets_state: dict[str, Any] | None = None  # SheetsService.snapshot() at the end
        self.early_loads: dict[str, dict] = {}  # "DATASET|window start" -> first load before final
        self._clock = (self.plan.at(0), time.monotonic(), 1)

    # -- setup -------------------------------------------------------------------------------------
    def build_store(self) -> None:
        from loaders.samples.store import build_store

        build_store(self.store, self.plan.store_days(), scale="demo", include_real=False)
        self._trim_before(self.plan.store_days()[0])
        self._remove_source_gap()

    def _trim_before(self, first: date) -> None:
        """Drop the rows of settlement days before the store's first day that its first files hold
        (forecasts published that day for the day before, ...): the data start on a day boundary,
        as after an installation's first backfill, instead of with a partial day."""
        for path in self.store.glob(f"**/{first.isoformat()}.ndjson"):
            lines = path.read_text().splitlines()
            keep = [
                ln
                for ln in lines
                if ln.strip() and str(json.loads(ln).get("settlementDate") or first)[:10] >= first.isoformat()
            ]
            if len(keep) != len(lines):
                path.write_text("".join(k + "\n" for k in keep))

    def _remove_source_gap(self) -> None:
        """Periods Elexon never published: gone from the store, so ``/data-status`` lists none."""
        name, day_n, p0, p1 = self.plan.source_gap
        if day_n >= self.plan.days:  # a shortened soak (--days) leaves this fault out
            return
        day = self.plan.first_day + timedelta(days=day_n)
        from loaders.registry import get_dataset

        folders = [self.store / name / v for v in get_dataset(name).variants] or [self.store / name]
        for folder in folders:
            path = folder / f"{day.isoformat()}.ndjson"
            keep, removed = [], 0
            for line in path.read_text().splitlines():
                row = json.loads(line)
                if row["settlementDate"] == day.isoformat() and p0 <= int(row["settlementPeriod"]) <= p1:
                    removed += 1
                else:
                    keep.append(line)
            path.write_text("".join(k + "\n" for k in keep))
            self.gap_removed += removed
        if not self.gap_removed:
            raise RuntimeError(f"source gap: no {name} rows in periods {p0}-{p1} of {day} to remove")

    def _publish_revision(self, when: datetime) -> None:
        """Elexon re-publishes one day of system prices: new prices, a newer createdDateTime."""
        day = self.plan.first_day + timedelta(days=self.plan.revision[0])
        path = self.store / "DISEBSP" / f"{day.isoformat()}.ndjson"
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for row in rows:
            row["systemSellPrice"] = round(row["systemSellPrice"] + self.plan.revision_delta, 2)
            row["systemBuyPrice"] = round(row["systemBuyPrice"] + self.plan.revision_delta, 2)
            created = max(_parse_ts(row["createdDateTime"]) + timedelta(hours=1), when - timedelta(minutes=5))
            row["createdDateTime"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
            self.revised[int(row["settlementPeriod"])] = (row["systemSellPrice"], row["systemBuyPrice"])
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
        tmp.replace(path)

    # -- running things under the fake clock ---------------------------------------------------------
    def job_env(self) -> dict[str, str]:
        return {**base_env(), **self.inst.cron_env}

    def service_env(self) -> dict[str, str]:
        """The IRIS service's and the observer's environment (systemd: EnvironmentFile=gbpower.env)."""
        return {**base_env(), **self.inst.settings}

    def job_log(self, job_name: str) -> Path:
        return Path(self.job_env()["GBPOWER_LOG_DIR"]) / f"{job_name}.log"

    def run_job(self, k: int, job: Any, when: datetime) -> int:
        started = time.monotonic()
        log_file = self.job_log(job.name)
        offset = log_file.stat().st_size if log_file.exists() else 0
        launcher = log_file.with_name(f"{job.name}.launcher.err")
        launcher_offset = launcher.stat().st_size if launcher.exists() else 0
        self.set_clock(when, self.plan.clock_rate.get(job.name, 1))
        if k == self.plan.kill_build_tick and job.name == "dbt-build":
            rc = self._run_and_kill(job, when)
        else:
            argv = faked(when, job.argv, self.plan.clock_rate.get(job.name, 1))
            rc = run_in_group(argv, self.job_env(), 3600, stderr=launcher)
        secs = time.monotonic() - started
        said = ""
        if rc != 0:  # what the job (and faketime/run-job) said, so a failure is diagnosed from the output
            grew = launcher.exists() and launcher.stat().st_size > launcher_offset
            said = "\n".join([tail(launcher, launcher_offset)] * grew + [tail(log_file, offset)])
        self.result.runs.append(JobRun(k, job.name, rc, round(secs, 1), said))
        self.log(f"  tick {k:>2} {when:%Y-%m-%d %H:%M} {job.name:<14} rc={rc} {secs:5.1f}s")
        if said:
            self.log(indent(said, f"  | {job.name}: "))
        return rc

    def _run_and_kill(self, job: Any, when: datetime) -> int:
        """Start the build, and ``kill -9`` the build process (not run-job) half-way through."""
        proc = subprocess.Popen(
            faked(when, job.argv),
            env=self.job_env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Half-way is read off dbt's own progress lines ("N of M …") in the job's run-job log, so the
        # kill lands mid-build however fast the machine is; kill_build_after_s is only a ceiling.
        log_file = self.job_log(job.name)
        offset = log_file.stat().st_size if log_file.exists() else 0
        deadline = time.monotonic() + self.plan.kill_build_after_s
        victim, progress = None, None
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            progress = _build_progress(log_file, offset) or progress
            if progress and 2 * progress[0] >= progress[1]:
                break
        if proc.poll() is None:
            # the dbt process: the scheduled build runs dbt in-process under loaders/dbt_results_only.py
            victim = _find_descendant(proc.pid, "loaders.dbt_results_only build", "bin/dbt build")
            if victim is not None:
                os.kill(victim, signal.SIGKILL)
        try:
            rc = proc.wait(timeout=600)
        finally:
            kill_group(proc)
        done = f"{progress[0]} of {progress[1]} nodes" if progress else "no node"
        self.killed_build = {"pid": victim, "rc": rc, "progress": done}
        return rc

    def drain(self, k: int, when: datetime) -> None:
        """One pass of the IRIS service over the client directory (``--min-age 0``: file mtimes are
        real time, the clock is fake; the two looks ``--settle`` apart still apply)."""
        argv = [GBPOWER, "iris", "--from-dir", str(self.iris_dir), "--min-age", "0", "--settle", "0.3"]
        self.set_clock(when)
        started = time.monotonic()
        run = subprocess.run(
            faked(when, argv),
            env=self.service_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
            start_new_session=True,
        )
        self.result.drains.append({"tick": k, "rc": run.returncode, "seconds": round(time.monotonic() - started, 1)})
        if run.returncode != 0:
            self.log(f"  tick {k:>2} iris drain rc={run.returncode}: {run.stderr[-800:]}")

    def observe(self, k: int, when: datetime) -> None:
        self.set_clock(when + timedelta(minutes=1))
        run = subprocess.run(
            faked(when + timedelta(minutes=1), [GBPOWER, "health", "--json", "--iris-dir", str(self.iris_dir)]),
            env=self.service_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        try:
            report = json.loads(run.stdout)
        except ValueError:
            report = {"error": f"health --json exit {run.returncode}: {run.stderr[-500:]}"}
        report["tick"] = k
        self.result.health.append(report)
        (self.base / "health").mkdir(exist_ok=True)
        (self.base / "health" / f"tick{k:02d}.json").write_text(json.dumps(report, indent=1))

    # -- the simulated clock, as the servers at the other end see it --------------------------------
    def set_clock(self, when: datetime, rate: int = 1) -> None:
        """What is about to run sees ``when`` now, its clock running ``rate`` times faster."""
        self._clock = (when, time.monotonic(), rate)

    def sim_now(self) -> datetime:
        when, started, rate = self._clock
        return when + timedelta(seconds=(time.monotonic() - started) * rate)

    def published_by_now(self, dataset: Any, row: dict) -> bool:
        """The replay's row filter: only what Elexon has published by the simulated now."""
        at = published_at(row, dataset.window_column)
        return at is None or at <= self.sim_now()

    def record_early_loads(self, k: int) -> None:
        """Note every API window loaded before it could be final (before its end + the catch-up's
        settle time), with its row count then: the catch-up must fetch each again once final."""
        import duckdb

        from loaders.catch_up import SETTLE

        try:
            con = duckdb.connect(self.inst.settings["GBPOWER_DUCKDB"], read_only=True)
        except duckdb.Error:
            return
        try:
            rows = con.execute(
                "SELECT dataset, window_start, window_end, row_count, loaded_at FROM raw.gbpower_windows"
            ).fetchall()
        except duckdb.Error:
            rows = []
        finally:
            con.close()
        for dataset, start, end, count, loaded in rows:
            if loaded < end + SETTLE:
                key = f"{dataset}|{start.isoformat()}"
                self.early_loads.setdefault(
                    key, {"tick": k, "rows": count, "loaded_at": loaded.isoformat(), "window_end": end.isoformat()}
                )

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> SoakResult:
        try:
            self._run()
        finally:  # also when the run is interrupted (a timeout): nothing of it may keep running
            if getattr(self, "client", None) is not None:
                self.client.resume()  # no stalled writer thread outlives the run
            self.left_behind = self.reap()
        return self.evaluate()

    def _run(self) -> None:
        from loaders.replay import Fault, ReplayServer

        t0 = time.monotonic()
        p = self.plan
        self.build_store()
        self.client = IrisClient(self.store, self.iris_dir)
        self.set_clock(p.at(0))
        sheets = SheetsService(self.base / "server" / "conf", clock=lambda: self.sim_now().timestamp())
        with ReplayServer(self.store, visible=self.published_by_now) as api, AlertReceiver() as receiver, sheets:
            self.api = api
            self.sheets = sheets
            self.inst = install(self.base / "server", api.base_url, receiver.url, sheets.env)
            self.settings = self.inst.settings
            last_run: dict[str, datetime] = {}
            prev = client_up_to = p.at(0) - p.tick
            outage = (p.at(p.iris_outage[0] - 1), p.at(p.iris_outage[1]))
            for k in range(p.ticks):
                now = p.at(k)
                receiver.tick = k
                # 1. the IRIS client: what IRIS pushed since the last tick (nothing while it is down;
                #    back up, it gets what the queue still holds: the last IRIS_TTL)
                if not outage[0] < now < outage[1]:
                    since = max(client_up_to, now - IRIS_TTL)
                    msgs = self.client.messages(since, now)
                    client_up_to = now
                    if k == p.stall_tick:
                        first = next(m for m in msgs if m[0] == "FREQ")
                        msgs.remove(first)
                        self.stalled_path = self.client.write_stalled(*first)
                    for m in msgs:
                        self.client.write(*m)
                if k in p.unregistered_ticks:
                    self.unregistered_written += self.client.write_unregistered(now, 3)
                if k == p.revision[1]:
                    self._publish_revision(now)
                # 2. the IRIS service drains the directory
                self.drain(k, now)
                if k == p.stall_tick:
                    self.client.resume()  # the client finishes its write after the pass
                # 3. the scheduled jobs due since the last tick, in crontab order
                if k == p.api_fault_tick:
                    api.faults.append(Fault(match=p.api_fault_match, kind="status", status=503, times=10**6))
                for job in self.inst.jobs:
                    if not due(job, prev, now):
                        continue
                    gap = p.min_interval.get(job.name)
                    if gap and job.name in last_run and now - last_run[job.name] < gap:
                        continue
                    last_run[job.name] = now
                    self.run_job(k, job, now)
                api.faults.clear()
                self.record_early_loads(k)
                # 4. what health says now (an observer: the health job itself sends the alerts)
                self.observe(k, now)
                prev = now
                self.result.alerts = receiver.new_lines()
                self.result.wall_s = round(time.monotonic() - t0, 1)
                self.save_state()
            # the schedule's next dbt build (cron: 30 minutes on), after the last tick's catch-up, so
            # the models take in everything loaded
            build = next(j for j in self.inst.jobs if j.name == "dbt-build")
            self.run_job(p.ticks - 1, build, p.at(p.ticks - 1) + timedelta(minutes=30))
            self.sheets_state = sheets.snapshot()
            self.result.wall_s = round(time.monotonic() - t0, 1)
            self.save_state()

    def reap(self) -> list[str]:
        """Kill (and name) every process of this soak still running: none should be."""
        left = leftover_processes(str(self.base))
        for pid, _cmd in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if left:
            self.log(f"soak: {len(left)} process(es) left behind, killed: {left[:5]}")
        return [f"{pid} {cmd[:200]}" for pid, cmd in left]

    def evaluate(self) -> SoakResult:
        from tests.soak.checks import evaluate

        evaluate(self)
        self.save()
        return self.result

    # -- state, so the checks can be re-run on a finished soak (``--evaluate-only``) ----------------
    STATE = "soak_state.json"

    def save_state(self) -> None:
        r = self.result
        state = {
            "wall_s": r.wall_s,
            "runs": [asdict(x) for x in r.runs],
            "drains": r.drains,
            "alerts": r.alerts,
            "iris_sent": dict(self.client.sent),
            "iris_files": self.client.files,
            "unregistered_written": getattr(self, "unregistered_written", 0),
            "unregistered": getattr(self.client, "unregistered", None),
            "gap_removed": self.gap_removed,
            "revised": {str(k): v for k, v in self.revised.items()},
            "killed_build": getattr(self, "killed_build", None),
            "settings": self.inst.settings,
            "sheets": self.sheets.snapshot(),
            "early_loads": self.early_loads,
        }
        tmp = self.base / (self.STATE + ".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.base / self.STATE)

    def load_state(self) -> None:
        state = json.loads((self.base / self.STATE).read_text())
        r = self.result
        r.wall_s = state["wall_s"]
        r.runs = [JobRun(**x) for x in state["runs"]]
        r.drains = state["drains"]
        r.alerts = [tuple(a) for a in state["alerts"]]
        r.health = [json.loads(p.read_text()) for p in sorted((self.base / "health").glob("tick*.json"))]
        self.client = IrisClient(self.store, self.iris_dir)
        self.client.sent = Counter(state["iris_sent"])
        self.client.files = state["iris_files"]
        self.unregistered_written = state["unregistered_written"]
        self.client.unregistered = state.get("unregistered")
        self.gap_removed = state["gap_removed"]
        self.revised = {int(k): tuple(v) for k, v in state["revised"].items()}
        self.killed_build = state["killed_build"]
        self.settings = state["settings"]
        self.sheets_state = state.get("sheets")
        self.early_loads = state.get("early_loads", {})

    def save(self) -> Path:
        out = self.base / "soak_figures.json"
        (self.base / "soak_summary.txt").write_text(self.result.summary_line() + "\n")
        r = self.result
        out.write_text(
            json.dumps(
                {
                    "summary": r.summary_line(),
                    "figures": r.figures,
                    "expectations": r.expectations,
                    "wall_s": r.wall_s,
                    "runs": [asdict(x) for x in r.runs],
                    "drains": r.drains,
                    "alerts": r.alerts,
                    "plan": r.plan,
                },
                indent=1,
            )
        )
        return out


_PROGRESS = re.compile(rb"\b(\d+) of (\d+) (?:START|OK|PASS|WARN|ERROR|FAIL|SKIP)")


def _build_progress(log_file: Path, offset: int) -> tuple[int, int] | None:
    """The highest "N of M" dbt has printed to the job's log since ``offset``."""
    try:
        with log_file.open("rb") as fh:
            fh.seek(offset)
            found = _PROGRESS.findall(fh.read())
    except OSError:
        return None
    return max(((int(n), int(m)) for n, m in found), default=None)


def _find_descendant(pid: int, *needles: str) -> int | None:
    """The deepest descendant of ``pid`` whose command line contains one of ``needles``."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children[ppid].append(int(entry.name))
    found = None
    stack = [pid]
    while stack:
        cur = stack.pop()
        for c in children.get(cur, []):
            with contextlib.suppress(OSError):
                cmd = (Path("/proc") / str(c) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if any(n in cmd for n in needles) and "run-job" not in cmd and "faketime" not in cmd.split(" ")[0]:
                    found = c
            stack.append(c)
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.soak.harness", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="working directory (emptied first)")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--evaluate-only", action="store_true", help="re-run the checks on a finished soak in --out")
    ap.add_argument("--db", type=Path, default=None, help="with --evaluate-only: check this copy of the warehouse")
    args = ap.parse_args(argv)
    if args.evaluate_only:
        soak = Soak(args.out, SoakPlan(days=args.days))
        soak.load_state()
        if args.db:
            soak.settings["GBPOWER_DUCKDB"] = str(args.db)
        result = soak.evaluate()
        for e in result.expectations:
            print(f"{'ok  ' if e['ok'] else 'FAIL'} {e['name']}: {e['detail']}")
        print(result.summary_line())
        return 1 if result.failed else 0
    if shutil.which("faketime") is None:
        print("soak: faketime is not installed (apt-get install faketime)", file=sys.stderr)
        return 2
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    soak = Soak(args.out, SoakPlan(days=args.days))
    result = soak.run()
    path = soak.save()
    for e in result.expectations:
        print(f"{'ok  ' if e['ok'] else 'FAIL'} {e['name']}: {e['detail']}")
    print(result.summary_line())
    print(f"figures: {path}")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
