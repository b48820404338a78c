"""Helpers for the dbt tests: run `gbpower dbt …` on a given warehouse with private target/log
dirs, read run_results.json, and land real Elexon rows through the loader's replay path
(loopback replay server + loaders.backfill) into a DuckDB file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "loaders" / "samples" / "real"
# dbt's partial parse is tied to its target dir; each run_dbt call gets a fresh one, so a 786-node
# project would be parsed from scratch (~15 s) every call. The last manifest state for a given
# warehouse and environment is kept here and handed to the next call; dbt checks every file hash,
# var and profile value itself and re-parses when anything differs, so a stale copy costs only time.
PARTIAL_PARSE_CACHE = Path(tempfile.gettempdir()) / f"gbpower-test-partial-parse-{os.getuid()}"
ATTRIBUTION = "Contains BMRS data © Elexon Limited copyright and database right"
LEGACY = REAL / "legacy_2022-03-19_SP27"
CORE_PATHS = [
    "models/staging",
    "models/intermediate/unified",
    "models/intermediate/calendar",
    "models/marts/prices",
    "models/marts/grid",
    "models/marts/reference",
    "seeds/fuel_carbon_factors",
    "seeds/bm_unit_overrides",
]
# Everything this issue owns (others' acceptance/revenue models are tested by their own files).
CORE_SELECTOR = [
    "path:models/staging",
    "path:models/intermediate/unified",
    "path:models/intermediate/calendar",
    "path:models/marts/prices",
    "path:models/marts/grid",
    "path:models/marts/reference",
    "fuel_carbon_factors",
    "bm_unit_overrides",
]


def legacy_rows() -> dict[str, list[dict]]:
    """BOD, PN, MELS, MILS and BOALF for 2022-03-19 period 27 (every BM unit), converted from the
    legacy BMRS CSVs by loaders.samples.legacy."""
    from loaders.samples import legacy

    bod = LEGACY / "BOD_2022-03-19_SP27_all_bmus.csv"
    phy = LEGACY / "PHYBMDATA_PN_QPN_MEL_MIL_BOALF_2022-03-19_SP27_all_bmus.csv"
    return {
        "BOD": legacy.bod_rows(bod),
        "PN": legacy.pn_rows(phy),
        "MELS": legacy.mels_rows(phy),
        "MILS": legacy.mils_rows(phy),
        "BOALF": legacy.boalf_rows(phy),
    }


@dataclass
class DbtRun:
    returncode: int
    output: str
    results: list[dict]

    def status(self, name_prefix: str) -> dict[str, str]:
        """{unique_id: status} of the nodes whose name starts with ``name_prefix``."""
        return {
            r["unique_id"]: r["status"] for r in self.results if r["unique_id"].split(".")[2].startswith(name_prefix)
        }

    def failed(self) -> set[str]:
        return {r["unique_id"].split(".")[2] for r in self.results if r["status"] in ("fail", "error")}

    def warned(self) -> set[str]:
        return {r["unique_id"].split(".")[2] for r in self.results if r["status"] == "warn"}


def run_dbt(
    args: list[str],
    workdir: Path,
    *,
    target: str = "duckdb",
    env: dict[str, str] | None = None,
    duckdb_path: Path | None = None,
) -> DbtRun:
    """Run ``gbpower dbt --target T ARGS --target-path … --log-path …`` and collect its results."""
    target_path = workdir / "target"
    cmd = [
        sys.executable,
        "-m",
        "loaders.cli",
        "dbt",
        "--target",
        target,
        *args,
        "--target-path",
        str(target_path),
        "--log-path",
        str(workdir / "logs"),
    ]
    full_env = dict(os.environ)
    full_env.update(env or {})
    if duckdb_path is not None:
        full_env["GBPOWER_DUCKDB"] = str(duckdb_path)
    cached_parse = _partial_parse_cache(target, full_env, env)
    if cached_parse.exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached_parse, target_path / "partial_parse.msgpack")
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, check=False)
    _keep_partial_parse(target_path / "partial_parse.msgpack", cached_parse)
    results_file = target_path / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    if results_file.exists():
        results_file.unlink()
    return DbtRun(proc.returncode, proc.stdout + proc.stderr, results)


def _partial_parse_cache(target: str, full_env: dict[str, str], env: dict[str, str] | None) -> Path:
    key = [str(ROOT), target, full_env.get("GBPOWER_DUCKDB", ""), sorted((env or {}).items())]
    return PARTIAL_PARSE_CACHE / (hashlib.sha256(json.dumps(key).encode()).hexdigest()[:24] + ".msgpack")


def _keep_partial_parse(produced: Path, cached: Path) -> None:
    """Store the run's partial-parse file for the next call (atomically: tests may run side by side)."""
    if not produced.exists():
        return
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = cached.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(produced, staging)
    os.replace(staging, cached)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Run a read-only query on a DuckDB warehouse file (session time zone UTC)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def real_json_rows(rel: str) -> list[dict]:
    doc = json.loads((REAL / rel).read_text())
    return doc["data"] if isinstance(doc, dict) else doc


def load_via_replay(
    db: Path | None,
    store: Path,
    work: Path,
    jobs: list[tuple[str, date, date]],
    writer: object = None,
    force: bool = False,
) -> None:
    """Serve ``store`` on loopback and backfill each (dataset, from, to) into the DuckDB file ``db``
    (or through ``writer``) — the loader's real path: HTTP, parsing, quarantine, atomic window writes.
    ``force`` reloads windows already loaded (a revision)."""
    from loaders.api.client import ApiClient
    from loaders.backfill import Backfill
    from loaders.quarantine import Quarantine
    from loaders.registry import get_dataset
    from loaders.replay import ReplayServer
    from loaders.warehouse.duckdb_writer import DuckDBWriter

    with ReplayServer(store) as server:
        client = ApiClient(server.base_url, rate_per_s=200, backoff_base_s=0.05)
        writer = writer or DuckDBWriter(db, lock_timeout_s=30)
        bf = Backfill(
            writer,
            client,
            concurrency=2,
            quarantine=Quarantine(work / "quarantine"),
            work_dir=work / "bf",
            progress=False,
        )
        for name, d0, d1 in jobs:
            summary = bf.run([get_dataset(name)], d0, d1, force=force)
            assert summary.ok, f"backfill {name} {d0}..{d1} failed: {summary.lines()}"
