"""Run dbt with the project's own profiles and target, from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from loaders import config

TARGETS = ("duckdb", "bigquery", "bigquery_service_account", "bigquery_emulator")
# "run_results": dbt writes run_results.json but not manifest.json (loaders/dbt_results_only.py);
# anything else (the default): dbt's own artifacts
ARTIFACTS_ENV = "GBPOWER_DBT_ARTIFACTS"


def profiles_dir() -> Path:
    """./profiles.yml if the user made one, else a copy of profiles.yml.example."""
    env = os.environ.get("DBT_PROFILES_DIR")
    if env:
        return Path(env)
    root = config.project_root()
    if (root / "profiles.yml").exists():
        return root
    generated = root / ".gbpower" / "profiles"
    generated.mkdir(parents=True, exist_ok=True)
    src = root / "profiles.yml.example"
    dst = generated / "profiles.yml"
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        shutil.copyfile(src, dst)
    return generated


def dbt_executable() -> str:
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else "dbt"


def dbt_command(
    args: list[str], target: str | None = None, env_defaults: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    root = config.project_root()
    env = dict(os.environ)
    for key, value in (env_defaults or {}).items():
        env.setdefault(key, value)
    env.setdefault("GBPOWER_HOME", str(root))
    env["DBT_PROFILES_DIR"] = str(profiles_dir())
    env["DBT_PROJECT_DIR"] = str(root)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if os.environ.get("GBPOWER_DUCKDB"):
        env["GBPOWER_DUCKDB"] = str(config.duckdb_path())
    if env.get(ARTIFACTS_ENV) == "run_results":  # the scheduled build: no manifest.json (loaders/dbt_results_only.py)
        cmd = [sys.executable, "-m", "loaders.dbt_results_only", *args]
    else:
        cmd = [dbt_executable(), *args]
    if target and "--target" not in args and "-t" not in args:
        cmd += ["--target", target]
    return cmd, env


def run_dbt(
    args: list[str],
    target: str | None = None,
    check: bool = False,
    env_defaults: dict[str, str] | None = None,
    **kwargs,
) -> int:
    """Run ``dbt ARGS`` in the project root; returns dbt's exit code. ``env_defaults`` are set
    unless the environment already has them."""
    cmd, env = dbt_command(args, target, env_defaults)
    proc = subprocess.run(cmd, cwd=config.project_root(), env=env, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed with exit code {proc.returncode}")
    return proc.returncode
