"""What the catalogue (issue #11: the datasets beyond the first 21) costs the core's scheduled build,
measured in one run on one warehouse.

"Before the catalogue" is this checkout's own dbt project with the catalogue taken out: a copy of
``models/`` without every catalogue dataset's source, staging and unified model and every model
downstream of them (found in the manifest), next to symlinks to the real ``macros/``, ``seeds/``,
``tests/`` and ``analyses/``. (Taken out, not disabled: dbt still loads and writes disabled nodes.)
Everything else — the SQL of the core models, the wrapper, the data — is the same, so the difference
is what the catalogue adds to a build of the core: loading and selecting in a ~3× larger project,
and the bigger artifacts dbt writes.

Both projects then run the scheduled build (``gbpower dbt --test-scope window build``, as
``orchestration/crontab`` does) of the same nodes (the dbt bench's selection, resolved in the project
without the catalogue) on the dbt bench's warehouse after its incremental build, alternately,
``REPEATS`` times each, each pair back to back. On 2 cores a run's node time varies by ±1.5 s with
the order dbt's two threads take the nodes in — noise, not the catalogue — so the overhead is the
median of the pairs' differences over the median build without the catalogue.

Metrics: ``dbt_core_build_without_catalogue_s``, ``dbt_core_build_with_catalogue_s`` (medians) and
``dbt_catalogue_overhead_pct`` (target: ≤ 10 %, issue #11; the bench fails above it).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
# The registry before the catalogue (21 datasets), and the two the money issue (#12) added since:
# everything else in the registry is the catalogue.
CORE_DATASETS = frozenset(
    ["BOALF", "BOD", "PN", "MELS", "MILS", "DISEBSP", "MID", "FUELINST", "FUELHH", "FREQ", "REMIT", "INDGEN",
     "INDDEM", "INDO", "ITSDO", "WINDFOR", "BOAV", "EBOCF", "DISBSAD", "NETBSAD", "BMUNITS", "DISPTAV", "ISPSTACK"]
)  # fmt: skip
LINKED = ("macros", "seeds", "tests", "analyses")
REPEATS = 7
TARGET_PCT = 10.0


def catalogue_datasets() -> list[str]:
    from loaders.registry import DATASETS

    return sorted(set(DATASETS) - CORE_DATASETS)


def catalogue_nodes(manifest: dict, datasets: list[str]) -> tuple[list[dict], list[dict]]:
    """The catalogue's sources, and every model fed by one of them (directly or downstream)."""
    tables = {f"bmrs_{d.lower()}" for d in datasets} | {f"bmrs_{d.lower()}_iris" for d in datasets}
    sources = [s for s in manifest["sources"].values() if s["name"] in tables]
    children = manifest["child_map"]
    seen: set[str] = set()
    todo = [s["unique_id"] for s in sources]
    while todo:
        for child in children.get(todo.pop(), []):
            if child.startswith("model.") and child not in seen:
                seen.add(child)
                todo.append(child)
    return sources, [manifest["nodes"][uid] for uid in sorted(seen)]


def write_project_without_catalogue(manifest: dict, out: Path) -> int:
    """A dbt project in ``out`` equal to this one without the catalogue; returns the number of models
    left out. ``models/`` is copied without the catalogue's model files and their entries in the
    YAML files (models, source tables, unit tests); the other directories are symlinks."""
    import yaml

    sources, models = catalogue_nodes(manifest, catalogue_datasets())
    if not sources or not models:
        raise RuntimeError("found no catalogue sources or models in the manifest: has the registry changed?")
    names = {m["name"] for m in models}
    tables = {s["name"] for s in sources}
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "models", out / "models")
    for m in models:
        (out / m["original_file_path"]).unlink()
    for path in (out / "models").rglob("*.yml"):
        doc = yaml.safe_load(path.read_text())
        if not isinstance(doc, dict):
            continue
        doc["models"] = [m for m in doc.get("models", []) if m.get("name") not in names]
        doc["unit_tests"] = [u for u in doc.get("unit_tests", []) if u.get("model") not in names]
        for source in doc.get("sources", []):
            source["tables"] = [t for t in source.get("tables", []) if t.get("name") not in tables]
        path.write_text(yaml.safe_dump({k: v for k, v in doc.items() if v != []}, sort_keys=False))
    shutil.copy2(ROOT / "dbt_project.yml", out / "dbt_project.yml")
    for name in LINKED:
        (out / name).symlink_to(ROOT / name, target_is_directory=True)
    return len(models)


def wrapper(args: list[str], db: Path, project: Path | None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "loaders.cli", "dbt", *args]
    if project is not None:
        cmd += ["--project-dir", str(project)]
    env = dict(os.environ, GBPOWER_DUCKDB=str(db))
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def core_selection(db: Path, project: Path, target: Path, select: list[str]) -> list[str]:
    """The dbt bench's selectors resolved to node names in the project without the catalogue."""
    proc = wrapper(["ls", "-s", *select, "--resource-type", "model", "--resource-type", "seed",
                    "--output", "name", "--quiet", "--target-path", str(target)], db, project)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"dbt ls failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    names = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    if not names:
        raise RuntimeError("the core selection is empty")
    return names


def timed_build(db: Path, project: Path | None, target: Path, nodes: list[str], as_of: date) -> float:
    # the 30-minute job's build (orchestration/crontab): windowed data tests, no unit tests, run_results only
    args = ["--test-scope", "window", "build", "-s", *nodes, "--vars", f"{{as_of_date: '{as_of}'}}",
            "--target-path", str(target), "--log-path", str(target / "logs")]  # fmt: skip
    t0 = time.monotonic()
    proc = wrapper(args, db, project)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{proc.stdout[-4000:]}")
    return seconds


def run(results: dict, workdir: Path, db: Path, manifest_path: Path, select: list[str], as_of: date) -> None:
    workdir = workdir.resolve()  # dbt reads a relative --target-path from the project directory
    project = workdir / "without_catalogue"
    taken_out = write_project_without_catalogue(json.loads(manifest_path.read_text()), project)
    with_target, without_target = workdir / "target_with_catalogue", workdir / "target_without_catalogue"
    nodes = core_selection(db, project, without_target, select)
    log.info("catalogue: %d models taken out; timing %d core models and seeds", taken_out, len(nodes))
    # one untimed build each: dbt's partial-parse state for each project, as under cron
    timed_build(db, project, without_target, nodes, as_of)
    timed_build(db, None, with_target, nodes, as_of)
    without, with_ = [], []
    for _ in range(REPEATS):
        without.append(timed_build(db, project, without_target, nodes, as_of))
        with_.append(timed_build(db, None, with_target, nodes, as_of))
    before, after = statistics.median(without), statistics.median(with_)
    pct = 100.0 * statistics.median(w - wo for w, wo in zip(with_, without, strict=True)) / before
    results["dbt_core_build_without_catalogue_s"] = round(before, 2)
    results["dbt_core_build_with_catalogue_s"] = round(after, 2)
    results["dbt_catalogue_overhead_pct"] = round(pct, 1)
    log.info("core build without the catalogue %s, with it %s: %+.1f %%", without, with_, pct)
    if pct > TARGET_PCT:
        raise RuntimeError(f"the catalogue slows the core's build by {pct:.1f} % (target: <= {TARGET_PCT:.0f} %)")
