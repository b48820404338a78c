"""Project-level checks of the dbt code: generated staging is in sync with the registry, every
registry field has a description, the docs-coverage check really catches a gap, and the SQL lint
(sqlfluff on compiled DuckDB and BigQuery SQL, sqlglot BigQuery parse) is clean."""

from __future__ import annotations

from loaders.dev import column_docs, gen_staging
from loaders.dev.docs_coverage import coverage
from loaders.registry import DATASETS


def test_generated_models_are_in_sync_with_the_registry() -> None:
    assert gen_staging.main(["--check"]) == 0


def test_every_registry_field_is_described() -> None:
    for d in DATASETS.values():
        for c in d.columns:
            assert column_docs.describe(d.name, c.name).strip(), (d.name, c.name)


def test_snake_case_names() -> None:
    assert gen_staging.snake("settlementPeriodFrom") == "settlement_period_from"
    assert gen_staging.snake("affectedUnitEIC") == "affected_unit_eic"
    assert gen_staging.snake("nationalGridBmUnit") == "national_grid_bm_unit"


def test_docs_coverage_flags_an_undocumented_column_and_model() -> None:
    node = {
        "resource_type": "model",
        "package_name": "gbpower",
        "original_file_path": "models/marts/grid/x.sql",
        "description": "A model.",
        "columns": {"a": {"description": "A column."}},
    }
    manifest = {"nodes": {"model.gbpower.x": node}, "sources": {}}
    assert coverage(manifest).missing == []
    catalog = {"nodes": {"model.gbpower.x": {"columns": {"A": {}, "b": {}}}}}
    assert coverage(manifest, catalog).missing == ["model.gbpower.x.b"]
    node["description"] = " "
    assert coverage(manifest).missing == ["model.gbpower.x"]


def test_every_model_seed_source_and_column_is_described(capsys) -> None:
    """The CI docs check: 100 % of the project's models, seeds, sources and their YAML columns (the
    warehouse-catalog variant, which also catches columns missing from YAML, runs in
    test_dbt_duckdb.py on a built warehouse)."""
    from loaders.dev import docs_coverage

    code = docs_coverage.main([])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "docs coverage: 100.0%" in out
