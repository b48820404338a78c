"""The primary-key generic test (tests/generic/unique_combination_of_columns.sql) with the checks it makes
in the same scan: ``not_null_columns`` and ``accepted_values`` fail exactly where dbt's own not_null and
accepted_values tests would, and without them it is the plain duplicate-key test.

The test macro is compiled by dbt itself (``dbt compile --inline``) and run in DuckDB on rows made here."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.python.dbt_harness import run_dbt

CALL = "{{{{ test_unique_combination_of_columns(model='rows', combination_of_columns=['k']{extra}) }}}}"
CHECKS = ", not_null_columns=['d'], accepted_values={'s': ['api', 'iris']}"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = {}
    for name, extra in (("checks", CHECKS), ("plain", "")):
        work = tmp_path_factory.mktemp(name)
        run = run_dbt(
            ["compile", "--inline", CALL.format(extra=extra), "--output", "json", "--quiet"],
            work,
            duckdb_path=work / "w.duckdb",
        )
        assert run.returncode == 0, run.output[-3000:]
        out[name] = json.loads(run.output[run.output.index("{") :])["compiled"]
    return out


def failures(sql: str, rows: list[tuple]) -> list[dict]:
    con = duckdb.connect()
    con.execute("create table rows (k integer, d date, s varchar)")
    con.executemany("insert into rows values (?, ?, ?)", rows)
    cur = con.execute(sql)
    names = [c[0] for c in cur.description]
    return sorted((dict(zip(names, r, strict=True)) for r in cur.fetchall()), key=lambda r: r["k"])


CLEAN = [(1, "2024-01-01", "api"), (2, "2024-01-01", "iris"), (3, "2024-01-02", None)]


def test_clean_rows_pass_and_a_null_value_is_accepted_as_in_dbt(compiled) -> None:
    assert failures(compiled["checks"], CLEAN) == []


def test_each_check_names_its_key_and_what_broke(compiled) -> None:
    rows = [*CLEAN, (4, None, "api"), (5, "2024-01-02", "replay"), (1, "2024-01-01", "api")]
    found = failures(compiled["checks"], rows)
    assert [(r["k"], r["n_rows"], r["null_d"], r["unaccepted_s"], r["unaccepted_s_value"]) for r in found] == [
        (1, 2, 0, 0, None),  # a duplicate key
        (4, 1, 1, 0, None),  # a null where none may be
        (5, 1, 0, 1, "replay"),  # a value outside the accepted ones
    ]


def test_without_the_extra_arguments_it_is_the_plain_key_test(compiled) -> None:
    assert "null_d" not in compiled["plain"] and "unaccepted" not in compiled["plain"]
    rows = [*CLEAN, (4, None, "replay"), (1, "2024-01-01", "api")]
    assert [(r["k"], r["n_rows"]) for r in failures(compiled["plain"], rows)] == [(1, 2)]


def test_the_unified_models_check_their_source_in_the_key_test() -> None:
    import yaml

    doc = yaml.safe_load((Path(__file__).parents[2] / "models/intermediate/unified/_unified__models.yml").read_text())
    for model in doc["models"]:
        [pk] = [t["unique_combination_of_columns"] for t in model["data_tests"] if "unique_combination_of_columns" in t]
        assert pk["arguments"]["accepted_values"] == {"source": ["api", "iris"]}, model["name"]
        source = next(c for c in model["columns"] if c["name"] == "source")
        assert "data_tests" not in source, model["name"]  # not read a second time
