"""dbt seeds (``seeds/*.csv``) in the warehouse: which are missing, and loading them.

``dbt run`` never loads seeds, so on a warehouse where only the loaders have written, every model
that refs a seed fails. ``gbpower init`` seeds the warehouse, and ``gbpower dbt run|test|build``
seed it first when a seed table is missing — so ``dbt run`` then ``dbt test`` work on any warehouse.
"""

from __future__ import annotations

import logging
import os

from loaders import config
from loaders.dbt_runner import run_dbt
from loaders.warehouse import Writer

log = logging.getLogger(__name__)


def seed_names() -> list[str]:
    """The seed tables of the project (one per ``seeds/*.csv``)."""
    return sorted(p.stem for p in (config.project_root() / "seeds").glob("*.csv"))


def missing_seeds(writer: Writer) -> list[str]:
    """Seed tables that do not exist in the warehouse ``writer`` points at."""
    wanted = seed_names()
    if writer.target == "bigquery":
        from google.api_core.exceptions import NotFound

        try:  # the profile's dataset for models and seeds
            dataset = f"{writer.client.project}.{os.environ.get('GBPOWER_BQ_DATASET', 'analytics')}"  # type: ignore[attr-defined]
            present = {t.table_id for t in writer.client.list_tables(dataset)}  # type: ignore[attr-defined]
        except NotFound:
            present = set()
    else:
        # any schema: a profiles.yml of the user's own may name another one than "analytics"
        marks = ", ".join("?" for _ in wanted)
        rows = writer.query(f"SELECT table_name FROM information_schema.tables WHERE table_name IN ({marks})", wanted)
        present = {r[0] for r in rows}
    return [n for n in wanted if n not in present]


def load_seeds(target: str | None = None, extra: list[str] | None = None) -> int:
    """``dbt seed`` (all seeds; ``extra`` dbt options such as --target-path); returns dbt's exit code."""
    log.info("loading the dbt seeds (%s)", ", ".join(seed_names()))
    return run_dbt(["seed", *(extra or [])], target=target)
