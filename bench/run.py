"""``make bench``: run every benchmark and write ``bench/results.json`` (flat metric -> number).

Usage: ``python -m bench.run [--only backfill,iris,dbt,acceptances,sheets] [--days N]``. Each benchmark module
exposes ``run(results: dict, workdir: Path)`` and adds its metrics; the machine is recorded in
``bench/results.machine.json`` next to the numbers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
BENCHES = {
    "backfill": "bench.backfill",
    "iris": "bench.iris",
    "dbt": "bench.dbt_build",
    "acceptances": "bench.acceptances",
    "sheets": "bench.sheets_export",
}


def machine() -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of " + ",".join(BENCHES))
    p.add_argument("--workdir", type=Path, default=HERE / "work")
    p.add_argument("--out", type=Path, default=HERE / "results.json")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    results: dict[str, float] = {}
    if args.out.exists():
        results.update(json.loads(args.out.read_text()))
    failed = []
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        if name not in BENCHES:
            p.error(f"unknown benchmark {name!r}")
        workdir = args.workdir / name
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            module = importlib.import_module(BENCHES[name])
        except ModuleNotFoundError as exc:
            print(f"bench {name}: not available ({exc})", file=sys.stderr)
            failed.append(name)
            continue
        print(f"== bench {name}", flush=True)
        try:
            module.run(results, workdir)
        except Exception:  # report and go on with the other benchmarks
            traceback.print_exc()
            failed.append(name)
        args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    args.out.with_name("results.machine.json").write_text(json.dumps(machine(), indent=2) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
