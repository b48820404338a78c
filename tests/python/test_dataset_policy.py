"""One home per dataset: the dbt files generated from the dataset entries, `gbpower health` and the
entries themselves agree — freshness per source, the every-period (completeness) list, time gaps,
accepted ranges — and every dataset can be traced with grep from its entry to its Sheets tabs.

The generated YAML is parsed as dbt reads it (not re-rendered from the entries), so a hand edit of
a generated file, or a health constant that stops reading the entry, fails here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from loaders.datasets.spec import (
    API_DAILY,
    ERROR_FACTOR,
    PUBLICATION_LAG,
    Freshness,
    Policy,
    TimeParams,
    stale_after,
)
from loaders.dev import gen_staging
from loaders.dev.column_docs import COLUMN_DOCS, METADATA_DOCS
from loaders.health.warehouse_checks import EVERY_PERIOD, expected_periods, limits, table_refs
from loaders.registry import DATASETS, Dataset

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "models" / "staging" / "bmrs" / "_bmrs__sources.yml"
STAGING = ROOT / "models" / "staging" / "bmrs" / "_bmrs__models.yml"
UNIFIED = ROOT / "models" / "intermediate" / "unified" / "_unified__models.yml"
GENERATED_YAML = (SOURCES, STAGING, UNIFIED)
PERIOD = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _limit(spec: dict) -> timedelta:
    return spec["count"] * PERIOD[spec["period"]]


def _tests_of(node: dict) -> dict[str, dict]:
    out = {}
    for test in node.get("data_tests", []):
        name, body = (test, {}) if isinstance(test, str) else next(iter(test.items()))
        out[name] = body
    return out


def _all_model_yaml() -> dict[str, dict]:
    """Every model node of every YAML file under models/, by name (hand-written files included)."""
    models = {}
    for path in (ROOT / "models").rglob("*.yml"):
        for node in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            models[node["name"]] = node
    return models


def test_source_freshness_in_dbt_is_what_health_uses() -> None:
    tables = {t["name"]: t for t in _load(SOURCES)["sources"][0]["tables"]}
    checked = 0
    for ref in table_refs(list(DATASETS.values())):
        dbt = tables[ref.table]["config"]["freshness"]
        health = limits(ref, {})
        assert (_limit(dbt["warn_after"]), _limit(dbt["error_after"])) == (health.warn_after, health.error_after), (
            ref.subject
        )
        assert health == ref.dataset.freshness(ref.source)
        checked += 1
    assert checked == len(tables) == sum(len(d.tables) for d in DATASETS.values())


def test_health_freshness_follows_each_datasets_cadence() -> None:
    """The values the issue found inconsistent: REMIT on IRIS is allowed a day in dbt and health alike."""
    tables = {t["name"]: t for t in _load(SOURCES)["sources"][0]["tables"]}
    expected_iris_warn = {
        "FREQ": timedelta(minutes=15),
        "FUELINST": timedelta(minutes=30),
        "REMIT": timedelta(hours=24),
        "DISBSAD": timedelta(hours=24),
        "WINDFOR": timedelta(hours=6),
        # H11: European balancing, load forecasts, capacity, notices (daily publications: 36 h)
        **dict.fromkeys(("ABUC", "PPBR", "PBC", "DATL", "DAG"), timedelta(hours=36)),
        **dict.fromkeys(("FEIB", "CCM", "MATL"), timedelta(days=45)),
        **dict.fromkeys(("YATL", "YAFM", "IGCA", "IGCPU"), timedelta(days=400)),
        "WATL": timedelta(days=10),
        "DCI": timedelta(days=365),
        "CDN": timedelta(days=90),
        **dict.fromkeys(("AGPT", "AGWS"), timedelta(hours=3)),
        **dict.fromkeys(("DGWS", "NDF", "TSDF"), timedelta(hours=12)),
        **dict.fromkeys(("NDFD", "TSDFD", "INDOD", "TEMP"), timedelta(hours=30)),
        **dict.fromkeys(("NDFW", "TSDFW"), timedelta(days=8)),
        "SYSWARN": timedelta(days=30),
        "SOSO": timedelta(hours=12),
        **dict.fromkeys(("NONBM", "QAS"), timedelta(hours=6)),
        **dict.fromkeys(("UOU2T14D", "FOU2T14D", "NOU2T14D"), timedelta(hours=30)),
        **dict.fromkeys(("UOU2T3YW", "FOU2T3YW", "NOU2T3YW"), timedelta(days=8)),
        **dict.fromkeys(("OCNMFD", "OCNMFD2", "OCNMF3Y", "OCNMF3Y2"), timedelta(hours=3)),
        **dict.fromkeys(
            ("SEL", "SIL", "MDV", "MDP", "NDZ", "NTO", "NTB", "MZT", "MNZT", "RURE", "RDRE", "RURI", "RDRI"),
            timedelta(hours=24),
        ),
    }
    for d in DATASETS.values():
        if not d.iris:
            assert d.policy.iris_freshness is None
            continue
        warn = expected_iris_warn.get(d.name, timedelta(hours=2))
        assert d.policy.iris_freshness == Freshness(warn, warn * ERROR_FACTOR), d.name
        assert _limit(tables[d.iris_table]["config"]["freshness"]["warn_after"]) == warn, d.name
    # --max-age overrides keep the error at ERROR_FACTOR times the warning
    ref = table_refs([DATASETS["FREQ"]])[1]
    assert limits(ref, {"FREQ/iris": timedelta(minutes=5)}) == stale_after(timedelta(minutes=5))


def test_completeness_is_one_list_for_dbt_and_health() -> None:
    every_period = {name for name, d in DATASETS.items() if d.policy.every_period}
    assert set(EVERY_PERIOD) == every_period
    assert every_period == {"DISEBSP", "FUELHH", "INDO", "ITSDO", "MID", "NETBSAD"}

    model_to_dataset = {gen_staging.unified_name(d): d for d in DATASETS.values()}
    model_to_dataset.update(
        {d.unified.completeness_model: d for d in DATASETS.values() if d.unified.completeness_model}
    )
    tested = {}
    for name, node in _all_model_yaml().items():
        tests = _tests_of(node)
        if "settlement_period_completeness" in tests:
            assert name in model_to_dataset, f"{name} has a completeness test but is no dataset's completeness model"
            tested[model_to_dataset[name].name] = tests["settlement_period_completeness"]
    assert set(tested) == every_period
    lag_minutes = PUBLICATION_LAG // timedelta(minutes=1)
    assert expected_periods.__defaults__ == (PUBLICATION_LAG,)
    for name, body in tested.items():
        arguments = body.get("arguments", {})
        assert arguments.get("publication_delay_minutes") == lag_minutes, name
        publish = DATASETS[name].time_params is TimeParams.PUBLISH
        assert arguments.get("partial_run_edges", False) is publish, name
        assert arguments.get("dataset_code") == name  # its documented source gaps are left out


def test_time_gaps_and_accepted_ranges_come_from_the_entries() -> None:
    unified = {m["name"]: m for m in _load(UNIFIED)["models"]}
    gaps, ranges = {}, {}
    for d in DATASETS.values():
        node = unified[gen_staging.unified_name(d)]
        if "no_time_gaps" in (tests := _tests_of(node)):
            args = tests["no_time_gaps"]["arguments"]
            gaps[d.name] = (args["column_name"], args["interval_seconds"])
        for col in node["columns"]:
            for name, body in _tests_of(col).items():
                if name == "accepted_range" and col["name"] not in (
                    "settlement_period",
                    "settlement_period_from",
                    "settlement_period_to",
                ):
                    severity = body.get("config", {}).get("severity", "error")
                    ranges[(d.name, col["name"])] = (
                        body["arguments"]["min_value"],
                        body["arguments"]["max_value"],
                        severity,
                    )
    assert gaps == {"FREQ": ("measurement_time", 15), "FUELINST": ("start_time", 300)}
    assert gaps == {
        d.name: (gen_staging.snake(d.time_gaps.column), d.time_gaps.interval_seconds)
        for d in DATASETS.values()
        if d.time_gaps
    }
    assert ranges == {
        (d.name, gen_staging.snake(r.column)): (r.min_value, r.max_value, r.severity)
        for d in DATASETS.values()
        for r in d.accepted_ranges
    }
    assert ranges[("FREQ", "frequency")] == (45, 55, "error")


def test_upkeep_policy_for_the_schedule() -> None:
    revised = {name for name, d in DATASETS.items() if "api_revisions" in d.policy.upkeep}
    # TUDM: settlement runs restate the last days (its later runs come by backfill)
    revision_days = {"TUDM": 7, "B1610": 7}
    # DISPTAV and ISPSTACK are the indicative settlement outputs next to BOAV/EBOCF: revised alike
    assert revised == {"DISEBSP", "BOAV", "EBOCF", "DISPTAV", "ISPSTACK", "BOALF", "BOD", "PN", *revision_days}
    # API freshness follows the publication cadence where it is slower than daily
    slower = {
        **dict.fromkeys(("FEIB", "CCM", "MATL"), timedelta(days=45)),
        **dict.fromkeys(("YATL", "YAFM", "IGCA", "IGCPU"), timedelta(days=400)),
        **dict.fromkeys(("DCI", "RZDR"), timedelta(days=365)),
        "WATL": timedelta(days=10),
        "TUDM": timedelta(days=10),
        "RZDF": timedelta(days=7),
        "CDN": timedelta(days=90),
        "B1610": timedelta(days=9),
        **dict.fromkeys(("NDFW", "TSDFW"), timedelta(days=8)),
        "SYSWARN": timedelta(days=30),
        **dict.fromkeys(("UOU2T3YW", "FOU2T3YW", "NOU2T3YW"), timedelta(days=8)),
    }
    for d in DATASETS.values():
        p = d.policy
        assert p.revision_days == (revision_days.get(d.name, 3) if d.name in revised else 0), d.name
        assert d.iris == ("iris" in p.upkeep)
        if d.iris:
            assert "api_catchup" in p.upkeep, d.name
        assert p.api_freshness == (stale_after(slower[d.name]) if d.name in slower else API_DAILY), d.name
    assert DATASETS["BMUNITS"].policy.upkeep == ("api_snapshot",)


@pytest.mark.parametrize(
    "bad",
    [
        dict(upkeep=("iris",), api_freshness=API_DAILY, iris_freshness=API_DAILY),  # IRIS without catch-up
        dict(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=None),
        dict(upkeep=("api_catchup", "api_revisions"), api_freshness=API_DAILY, iris_freshness=None),  # no days
        dict(upkeep=("api_snapshot",), api_freshness=API_DAILY, iris_freshness=None, revision_days=3),
        dict(upkeep=("api_nightly",), api_freshness=API_DAILY, iris_freshness=None),
    ],
)
def test_inconsistent_policies_are_rejected(bad: dict) -> None:
    with pytest.raises(ValueError):
        Policy(**bad)


def test_an_entry_naming_a_missing_column_is_rejected() -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="not a column"):
        replace(DATASETS["FREQ"], column_docs={"frequencyy": "typo"})


def test_every_dataset_is_declared_literally_once() -> None:
    # An entry is declared either as ``Dataset(name="X", ...)`` or through a family's factory, whose
    # first argument is the name (``_dynamic("X", ...)``); either way, exactly once.
    text = "\n".join(p.read_text() for p in (ROOT / "loaders").rglob("*.py"))
    for name in DATASETS:
        declarations = re.findall(rf'\bname="{name}"|= _[a-z_]+\(\s*"{name}",', text)
        assert len(declarations) == 1, name


def test_every_entry_of_a_family_module_is_registered() -> None:
    from loaders.datasets import FAMILIES

    declared = {v.name for m in FAMILIES for v in vars(m).values() if isinstance(v, Dataset)}
    assert declared == set(DATASETS)


def test_every_dataset_has_a_unified_model_that_refs_its_staging_models_literally() -> None:
    unified = {m["name"] for m in _load(UNIFIED)["models"]}
    for d in DATASETS.values():
        name = gen_staging.unified_name(d)
        assert name in unified, d.name  # documented and tested, API-only datasets included
        sql = (gen_staging.UNIFIED_OUT / f"{name}.sql").read_text()
        for table in d.tables:
            assert f"ref('{gen_staging.staging_name(d, table)}')" in sql, d.name
        assert ("iris=none" in sql) is (not d.iris), d.name
    macro = (ROOT / "macros" / "unified" / "unify_sources.sql").read_text()
    assert "ref(" not in macro.split("{% macro", 1)[1]


def test_generated_yaml_is_reviewable() -> None:
    glossary = {*COLUMN_DOCS.values(), *METADATA_DOCS.values()}
    for path in GENERATED_YAML:
        text = path.read_text()
        assert not re.search(r"[&*]id\d+", text), f"{path.name}: YAML anchors/aliases"
        assert not re.search(r"^\s*-\s*$", text, re.M), path.name
        assert re.search(r"^ {2,}- ", text, re.M), f"{path.name}: list items not indented"
        # shared descriptions are doc blocks, not copies
        described = re.findall(r"description: (.+)", text)
        copies = [s for s in described if s.strip("'\"") in glossary]
        assert not copies, (path.name, copies[:3])


def test_descriptions_use_the_dataset_page() -> None:
    sources = _load(SOURCES)["sources"][0]["tables"]
    models = _load(STAGING)["models"] + _load(UNIFIED)["models"]
    for node in [*sources, *models]:
        code = re.match(r"(stg_)?bmrs__?([a-z0-9]+)", node["name"]).group(2)
        assert f'{{{{ doc("dataset_{code}") }}}}' in node["description"], node["name"]
    for d in DATASETS.values():
        page = (gen_staging.DOCS_OUT / "datasets" / f"{d.name.lower()}.md").read_text()
        assert f"{{% docs dataset_{d.name.lower()} %}}" in page


def _model_sql(name: str) -> str:
    (path,) = [p for p in (ROOT / "models").rglob(f"{name}.sql")]
    return path.read_text()


@pytest.mark.parametrize(
    "dataset, chain, tab",
    [
        ("BOALF", ["boalf_complete", "fct_bm_unit_cashflows", "mart_bm_revenue_daily"], "BM revenue by unit"),
        ("FUELINST", ["mart_generation_mix"], "Generation mix"),
        ("DISEBSP", ["bmrs_costs"], "System prices today"),
    ],
)
def test_trace_with_grep_from_the_entry_to_the_sheets_tab(dataset: str, chain: list[str], tab: str) -> None:
    """What a newcomer does: grep the entry, then each file that refs the previous one, to the tab."""
    d: Dataset = DATASETS[dataset]
    entry_files = [p for p in (ROOT / "loaders").rglob("*.py") if f'name="{dataset}"' in p.read_text()]
    assert len(entry_files) == 1
    unified = gen_staging.unified_name(d)
    unified_sql = _model_sql(unified)
    assert str(entry_files[0].relative_to(ROOT)) in unified_sql  # the generated file names its entry
    assert f"ref('stg_bmrs__{dataset.lower()}')" in unified_sql
    assert f"ref('stg_bmrs__{dataset.lower()}_iris')" in unified_sql
    previous = unified
    for model in chain:
        assert f"ref('{previous}')" in _model_sql(model), (model, previous)
        previous = model
    tabs = yaml.safe_load((ROOT / "config" / "sheets.yml").read_text())["tabs"]
    assert any(t["tab"] == tab and t.get("model") == previous for t in tabs)
    page = (gen_staging.DOCS_OUT / "datasets" / f"{dataset.lower()}.md").read_text()
    assert all(f"`{m}`" in page for m in chain) and f"“{tab}”" in page
