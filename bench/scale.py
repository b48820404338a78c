"""``make bench-scale``: does the scheduled build stay flat as history grows to a year? (issue #13)

History grows through the real path: production-size days (every registry dataset, BOD ~300k rows a
day) are served by the loopback replay server from shifted template days (``bench/scale_store.py``)
and landed by ``gbpower backfill`` into one DuckDB file. At each point N of ``--points`` (default
7, 30, 90, 365 days):

1. land days up to N (``scale_landing_s_<N>d``: cumulative landing time, ``…_peak_rss_mb``), by
   ``gbpower backfill`` runs of 7 days, each timed after the replay's day files for it are made (the
   fake API's date shifting, ~5 s of CPU a day, is not the loader's cost);
2. ``gbpower dbt build --full-refresh`` — the full rebuild (``scale_full_build_s_<N>d``, its peak RSS
   with DuckDB's ``memory_limit`` from the profile, env ``GBPOWER_DUCKDB_MEMORY_LIMIT``);
3. land day N+1 and run the 30-minute job exactly as ``orchestration/crontab`` does —
   ``gbpower dbt --test-scope window build`` over the whole project, acceptance engine and marts
   included (``scale_first_incremental_build_s_<N>d``, ``scale_first_rows_read_incremental_<N>d``: the
   first build after a full refresh, whose window was written in one go by the refresh); then, as on
   the server, ``lookback_days`` + 1 more days, each landed and built, so the window holds only what
   scheduled builds wrote: the last of them is the steady state (``scale_incremental_build_s_<N>d``);
4. rows read by that last build (``scale_rows_read_incremental_<N>d``): every model and test statement the
   build ran (``run_results.json``'s compiled SQL) executed again with DuckDB's profiler on, summing
   its ``cumulative_rows_scanned`` (rows the table scans actually read after zone-map pruning). Views
   read nothing when created, so they count where they are read. Not counted: the delete half of a
   delete+insert (a key-bounded delete on the model's own table) and seeds.
   ``scale_rows_in_window_<N>d``: the rows inside the window that build re-processed — raw rows from
   the incremental floor on, plus the rows of every incremental model from its floor on.

``as_of_date`` pins "today" to the day each build runs on (N+1 for the full and first builds), as
the real clock would be. Writes ``bench/results.scale.json`` (metrics + machine) and
``bench/results.scale.png`` (build time against history). Targets (issue #13): incremental at
365 d ≤ 1.3 × at 7 d; rows read ≤ 3 × window rows; full build at 365 d ≤ 900 s and ≤ 8,000 MB;
landing 365 d ≤ 1,800 s at ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import psutil
import yaml

from bench.run import machine
from bench.scale_store import ShiftedStore

log = logging.getLogger("bench.scale")
ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "bench"
FIRST_DAY = date(2024, 1, 1)  # a year from here crosses both 2024 clock changes
POINTS = (7, 30, 90, 365)
LAND_CHUNK_DAYS = 7  # days landed per timed backfill run
MEMORY_LIMIT = "6GB"  # DuckDB's memory_limit for the builds (profile env GBPOWER_DUCKDB_MEMORY_LIMIT)


def measure(cmd: list[str], env: dict[str, str], log_file: Path) -> tuple[float, float, int]:
    """Run ``cmd`` with its output appended to ``log_file``; (seconds, peak RSS MB incl. children, rc)."""
    t0 = time.monotonic()
    with log_file.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        ps = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True)))
            time.sleep(0.05)
    return time.monotonic() - t0, peak / 2**20, proc.returncode


class Bench:
    def __init__(self, workdir: Path, memory_limit: str) -> None:
        self.workdir = workdir
        self.db = workdir / "scale.duckdb"
        self.target = workdir / "target"
        self.memory_limit = memory_limit
        self.url = ""
        self.store: ShiftedStore | None = None  # the replay's day files, made ahead of each timed landing

    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            BMRS_API_BASE_URL=self.url,
            GBPOWER_DUCKDB=str(self.db),
            GBPOWER_DUCKDB_MEMORY_LIMIT=self.memory_limit,
            GBPOWER_WORK_DIR=str(self.workdir / "tmp"),
            GBPOWER_QUARANTINE_DIR=str(self.workdir / "quarantine"),
            GBPOWER_STATE_DIR=str(self.workdir / "state"),
            DBT_INDIRECT_SELECTION="buildable",
        )

    def land(self, first: date, last: date) -> tuple[float, float]:
        """Land ``first``..``last`` in chunks of LAND_CHUNK_DAYS: each chunk's replay day files are made
        first (untimed: shifting ~200 MB of template NDJSON a day is the fake API's work, which
        Elexon's servers do in production), then ``gbpower backfill`` lands the chunk (timed)."""
        seconds, peak_mb = 0.0, 0.0
        start = first
        while start <= last:
            end = min(last, start + timedelta(days=LAND_CHUNK_DAYS - 1))
            if self.store is not None:  # the neighbouring days too: a UTC window reaches into them
                self.store.materialise(start - timedelta(days=1), end + timedelta(days=1))
            cmd = [sys.executable, "-m", "loaders.cli", "backfill", "-d", "all", "--from", str(start),
                   "--to", str(end), "--no-progress", "--rate", "100"]  # fmt: skip
            s, rss, rc = measure(cmd, self.env(), self.workdir / "landing.log")
            if rc != 0:
                raise RuntimeError(f"landing {start}..{end} failed; see {self.workdir / 'landing.log'}")
            seconds, peak_mb = seconds + s, max(peak_mb, rss)
            start = end + timedelta(days=1)
        log.info("landed %s..%s in %.0f s (peak RSS %.0f MB)", first, last, seconds, peak_mb)
        return seconds, peak_mb

    def dbt(self, args: list[str], as_of: date) -> tuple[float, float]:
        cmd = [sys.executable, "-m", "loaders.cli", "dbt", *args, "--vars", f"{{as_of_date: '{as_of}'}}",
               "--target-path", str(self.target), "--log-path", str(self.workdir / "logs")]  # fmt: skip
        seconds, peak_mb, rc = measure(cmd, self.env(), self.workdir / "dbt.out")
        if rc != 0:
            raise RuntimeError(f"dbt {' '.join(args)} failed; see {self.workdir / 'dbt.out'}")
        log.info("dbt %s: %.1f s (peak RSS %.0f MB)", " ".join(args), seconds, peak_mb)
        return seconds, peak_mb

    def rows_read(self) -> tuple[int, dict[str, int]]:
        """Rows the last build's statements scan, from DuckDB's profiler (see the module doc): the
        total and the rows per node."""
        results = json.loads((self.target / "run_results.json").read_text())["results"]
        manifest = json.loads((self.target / "manifest.json").read_text())["nodes"]
        profile = self.workdir / "profile.json"
        per_node: dict[str, int] = {}
        con = duckdb.connect(str(self.db), read_only=True, config={"memory_limit": self.memory_limit})
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET enable_progress_bar = false")
            con.execute("PRAGMA enable_profiling = 'json'")
            con.execute(f"PRAGMA profiling_output = '{profile}'")
            # a node the manifest lacks (a manifest older than the build) would be skipped silently
            stale = [r["unique_id"] for r in results if r["unique_id"].split(".")[0] in ("model", "test")]
            stale = [u for u in stale if u not in manifest]
            if stale:
                raise RuntimeError(
                    f"{len(stale)} built nodes are not in {self.target / 'manifest.json'} (e.g. {stale[:3]}): "
                    f"run `gbpower dbt parse --target-path {self.target}` and measure again"
                )
            for r in results:
                node = manifest.get(r["unique_id"], {})
                sql = r.get("compiled_code") or node.get("compiled_code")
                kind = node.get("resource_type")
                materialized = node.get("config", {}).get("materialized")
                if not sql or kind not in ("model", "test") or materialized == "view":
                    continue
                con.execute(sql).fetchall()
                per_node[r["unique_id"]] = int(json.loads(profile.read_text()).get("cumulative_rows_scanned", 0))
        finally:
            con.close()
        return sum(per_node.values()), per_node

    def rows_in_window(self, floor: date) -> int:
        from loaders.registry import DATASETS

        manifest = json.loads((self.target / "manifest.json").read_text())["nodes"]
        con = duckdb.connect(str(self.db), read_only=True)
        total = 0
        try:
            con.execute("SET TimeZone = 'UTC'")
            listed = con.execute("select table_schema || '.' || table_name from information_schema.tables")
            tables = {r[0] for r in listed.fetchall()}
            for ds in DATASETS.values():
                table = f"raw.bmrs_{ds.name.lower()}"
                if table not in tables or not ds.window_column:
                    continue
                column = "settlementDate" if ds.window_column == "settlementDate" else ds.window_column
                total += con.execute(f'select count(*) from {table} where "{column}" >= ?', [floor]).fetchall()[0][0]
            for node in manifest.values():
                cfg = node.get("config", {})
                window = cfg.get("meta", {}).get("test_window")
                if cfg.get("materialized") != "incremental" or not window:
                    continue
                name = f"{node['schema']}.{node.get('alias') or node['name']}"
                if name in tables:
                    sql = f"select count(*) from {name} where {window['column']} >= ?"
                    total += con.execute(sql, [floor]).fetchall()[0][0]
        finally:
            con.close()
        return total


def lookback_days() -> int:
    return int(yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]["lookback_days"])


def run(results: dict, workdir: Path, points: tuple[int, ...], memory_limit: str) -> None:
    from bench.scale_store import build_templates

    bench = Bench(workdir, memory_limit)
    for f in (bench.db, bench.db.with_suffix(".duckdb.wal")):
        f.unlink(missing_ok=True)
    t0 = time.monotonic()
    build_templates(workdir / "templates")
    bench.store = ShiftedStore(workdir / "templates", workdir / "served", keep_days=LAND_CHUNK_DAYS + 4)
    log.info("template days ready in %.0f s", time.monotonic() - t0)
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.scale_store", "--templates", str(workdir / "templates"),
         "--cache", str(workdir / "served")], stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    try:
        bench.url = (server.stdout.readline() if server.stdout else "").strip()
        if not bench.url.startswith("http"):
            raise RuntimeError("the shifted replay server did not start")
        landed_to = FIRST_DAY - timedelta(days=1)
        landing_s = 0.0
        landing_rss = 0.0
        readers: dict[str, dict[str, int]] = {}
        for n in points:
            last = FIRST_DAY + timedelta(days=n - 1)
            if last > landed_to:
                s, rss = bench.land(landed_to + timedelta(days=1), last)
                landing_s, landing_rss, landed_to = landing_s + s, max(landing_rss, rss), last
            results[f"scale_landing_s_{n}d"] = round(landing_s, 1)
            results[f"scale_landing_peak_rss_mb_{n}d"] = round(landing_rss, 1)
            today = last + timedelta(days=1)
            full_s, full_rss = bench.dbt(["build", "--full-refresh"], today)
            results[f"scale_full_build_s_{n}d"] = round(full_s, 1)
            results[f"scale_full_build_peak_rss_mb_{n}d"] = round(full_rss, 1)
            s, rss = bench.land(today, today)
            landing_s, landing_rss, landed_to = landing_s + s, max(landing_rss, rss), today
            first_s, _ = bench.dbt(["--test-scope", "window", "build"], today)
            results[f"scale_first_incremental_build_s_{n}d"] = round(first_s, 1)
            results[f"scale_first_rows_read_incremental_{n}d"] = bench.rows_read()[0]
            # steady state, as on the server: daily builds until none of the window was written by the
            # full refresh (lookback_days + 1 more days, each landed then built)
            for _ in range(lookback_days() + 1):
                today += timedelta(days=1)
                s, rss = bench.land(today, today)
                landing_s, landing_rss, landed_to = landing_s + s, max(landing_rss, rss), today
                inc_s, _ = bench.dbt(["--test-scope", "window", "build"], today)
            results[f"scale_incremental_build_s_{n}d"] = round(inc_s, 1)
            rows_read, per_node = bench.rows_read()
            results[f"scale_rows_read_incremental_{n}d"] = rows_read
            top = sorted(per_node.items(), key=lambda kv: -kv[1])[:15]
            readers[f"{n}d"] = {k.split(".", 2)[-1]: v for k, v in top}
            results[f"scale_rows_in_window_{n}d"] = bench.rows_in_window(today - timedelta(days=lookback_days()))
            results["scale_duckdb_file_gb_" + f"{n}d"] = round(bench.db.stat().st_size / 2**30, 2)
            log.info("point %d days: %s", n, {k: v for k, v in results.items() if k.endswith(f"_{n}d")})
            write(results, points, readers)
    finally:
        server.terminate()
        server.wait()


def write(results: dict, points: tuple[int, ...], readers: dict[str, dict[str, int]]) -> None:
    """results.scale.json: the machine, the metrics and, per point, the 15 statements that read most."""
    doc = {"machine": machine(), "points": list(points), "metrics": results, "top_readers": readers}
    (HERE / "results.scale.json").write_text(json.dumps(doc, indent=2) + "\n")
    plot(results, points, HERE / "results.scale.png")


def plot(results: dict, points: tuple[int, ...], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # make bench-scale installs it (extra "bench"); the JSON is written anyway
        log.warning("matplotlib missing: no plot (pip install -e '.[bench]')")
        return
    done = [n for n in points if f"scale_incremental_build_s_{n}d" in results]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for key, label in (("scale_incremental_build_s", "scheduled (incremental) build"),
                       ("scale_full_build_s", "full rebuild")):  # fmt: skip
        ax.plot(done, [results[f"{key}_{n}d"] for n in done], marker="o", label=label)
    ax.set_xlabel("days of history")
    ax.set_ylabel("seconds (2 cores)")
    ax.set_title("gbpower dbt build time against history (DuckDB)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    p.add_argument("--points", default=",".join(map(str, POINTS)), help="history sizes in days (ascending)")
    p.add_argument("--workdir", type=Path, default=HERE / "work" / "scale")
    p.add_argument("--memory-limit", default=MEMORY_LIMIT, help=f"DuckDB memory_limit (default {MEMORY_LIMIT})")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    points = tuple(sorted(int(x) for x in args.points.split(",")))
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    run(results, args.workdir, points, args.memory_limit)
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
