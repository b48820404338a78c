"""Documentation coverage of the dbt project: every model, seed, source table and column must have a
description. Fails (exit 1) below 100 %.

Columns are taken from the warehouse when a ``catalog.json`` is available (``dbt docs generate``), so
a column a model produces but its YAML forgets counts as undocumented; otherwise from the YAML.

``python -m loaders.dev.docs_coverage [--target-path DIR] [--path-prefix models/staging ...]``
(without --target-path it runs ``dbt parse`` into a temp dir first).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESOURCE_TYPES = ("model", "seed", "source")


@dataclass
class Coverage:
    total: int = 0
    missing: list[str] = field(default_factory=list)

    def add(self, what: str, description: str | None) -> None:
        self.total += 1
        if not (description or "").strip():
            self.missing.append(what)

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * (self.total - len(self.missing)) / self.total


def coverage(manifest: dict, catalog: dict | None = None, path_prefixes: list[str] | None = None) -> Coverage:
    cov = Coverage()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    cat_nodes = {**(catalog or {}).get("nodes", {}), **(catalog or {}).get("sources", {})}
    for uid, node in sorted(nodes.items()):
        if node["resource_type"] not in RESOURCE_TYPES or node.get("package_name") != "gbpower":
            continue
        path = node.get("original_file_path", "")
        if path_prefixes and not any(path.startswith(p) for p in path_prefixes):
            continue
        cov.add(uid, node.get("description"))
        documented = {name.lower(): col.get("description") for name, col in node.get("columns", {}).items()}
        actual = [c.lower() for c in cat_nodes.get(uid, {}).get("columns", {})] or list(documented)
        for col in actual:
            cov.add(f"{uid}.{col}", documented.get(col))
    return cov


def parse_project(target_path: Path) -> None:
    cmd = [sys.executable, "-m", "loaders.cli", "dbt", "parse", "--target-path", str(target_path)]
    cmd += ["--log-path", str(target_path / "logs")]
    env = dict(os.environ)
    env.setdefault("GBPOWER_DUCKDB", str(target_path / "parse.duckdb"))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target-path", type=Path, help="dbt target dir holding manifest.json (and catalog.json)")
    parser.add_argument("--path-prefix", nargs="*", default=None, help="only resources under these paths")
    parser.add_argument("--show", type=int, default=50, help="list at most this many undocumented items")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gbpower-docs-") as tmp:
        target = args.target_path
        if target is None:
            target = Path(tmp)
            parse_project(target)
        manifest = json.loads((target / "manifest.json").read_text())
        catalog_file = target / "catalog.json"
        catalog = json.loads(catalog_file.read_text()) if catalog_file.exists() else None
    cov = coverage(manifest, catalog, args.path_prefix)
    for item in cov.missing[: args.show]:
        print(f"undocumented: {item}")
    source = "warehouse catalog" if catalog else "YAML"
    print(f"docs coverage: {cov.percent:.1f}% of {cov.total} models/seeds/sources/columns (columns from {source})")
    return 0 if not cov.missing else 1


if __name__ == "__main__":
    sys.exit(main())
