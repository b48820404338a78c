"""The demo warehouse the Sheets preview/layout tests export: the dashboard marts' synthetic days
(tests/python/dashboard_support.py: 2025-10-25 and the 50-period 2025-10-26) landed through the
loader's replay path, then `dbt build` (models and seeds only) of exactly the models the shipped
config/sheets.yml reads and their upstream, with "now" pinned (var as_of_date) to the end of
2025-10-26 so every live panel has data although the real clock is a year later."""

from __future__ import annotations

import re
from pathlib import Path

from loaders import config as project_config
from loaders.sheets.config import load_config
from tests.python import dashboard_support as ds
from tests.python.dbt_harness import load_via_replay, run_dbt

AS_OF = ds.AS_OF
VARS = ["--vars", f"{{as_of_date: '{AS_OF}'}}"]
_REF = re.compile(r"ref\(\s*['\"]([A-Za-z0-9_]+)['\"]\s*\)")


def config_models(path: Path | None = None) -> list[str]:
    """Every model a tab of the (shipped) exporter config reads."""
    cfg = load_config(path or project_config.project_root() / "config/sheets.yml")
    return sorted({m for t in cfg.tabs for m in _REF.findall(t.sql)})


def build_demo_warehouse(work: Path) -> Path:
    db = work / "warehouse.duckdb"
    ds.build_store(work / "store")
    load_via_replay(db, work / "store", work, ds.jobs())
    select = [f"+{m}" for m in config_models()]
    args = ["build", "-s", *select, "--resource-type", "model", "--resource-type", "seed", *VARS]
    run = run_dbt(args, work / "dbt", duckdb_path=db, env={"DBT_INDIRECT_SELECTION": "buildable"})
    assert run.returncode == 0, run.output[-4000:]
    return db
