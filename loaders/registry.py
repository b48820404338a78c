"""The dataset registry: look datasets up by code or alias.

Every dataset is declared once, in ``loaders/datasets/`` (one literal ``Dataset(name=...)`` entry
per dataset, grouped by family; ``loaders/datasets/spec.py`` says what each field means and why the
entries are typed Python). That entry is all the loaders, the dbt generator
(``loaders.dev.gen_staging``), ``gbpower health``, the schedule and the docs pages know about it:
route, time style, windows, envelope, typed columns, natural key, versions, raw tables,
partitioning, and its policy (upkeep, freshness, completeness), tests and docs. Nothing else
branches on dataset names. Facts are from Elexon's OpenAPI document and observed behaviour of the
Insights API.
"""

from __future__ import annotations

from loaders.datasets import DATASETS
from loaders.datasets.spec import (
    COLUMN_TYPES,
    METADATA_COLUMNS,
    RAW_SCHEMA,
    AcceptedRange,
    Column,
    Dataset,
    Envelope,
    Freshness,
    Policy,
    TimeGaps,
    TimeParams,
    Unified,
    all_columns,
)

__all__ = [
    "COLUMN_TYPES",
    "DATASETS",
    "METADATA_COLUMNS",
    "RAW_SCHEMA",
    "AcceptedRange",
    "Column",
    "Dataset",
    "Envelope",
    "Freshness",
    "Policy",
    "TimeGaps",
    "TimeParams",
    "Unified",
    "UnknownDataset",
    "all_columns",
    "get_dataset",
]


class UnknownDataset(ValueError):
    pass


def get_dataset(name: str) -> Dataset:
    """Look a dataset up by code or alias, case-insensitively (``boalf``, ``bmrs_costs``)."""
    key = name.strip().upper()
    if key in DATASETS:
        return DATASETS[key]
    for d in DATASETS.values():
        if key in d.aliases or key == d.raw_table.upper() or key == d.iris_table.upper():
            return d
    known = ", ".join(sorted(DATASETS))
    raise UnknownDataset(f"unknown dataset {name!r}; known datasets: {known}")
