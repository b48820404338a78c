"""Structure checks that keep the project greppable and layered (issue #9):

* the Sheets exposures are generated from config/sheets.yml and in sync, and dbt's lineage reaches
  the tabs (``dbt ls -s +exposure:<tab>``);
* model names follow the per-layer rule of docs/contracts.md;
* macros: adapter-specific SQL is named ``duckdb__``/``bigquery__`` (no ``default__`` DuckDB bodies),
  every macro has a caller, every ``var()`` is declared in dbt_project.yml with the default its
  call falls back to;
* Python layering: the writer interface does not import its implementations, ``Window`` is not a
  warehouse concept, commands take ``UsageError`` from ``loaders.errors`` (not the CLI that imports
  them), and each settlement function has one name.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loaders.dev import gen_exposures
from loaders.sheets.config import load_config

ROOT = Path(__file__).resolve().parents[2]
MACROS = ROOT / "macros"
DBT_CODE_DIRS = ("models", "macros", "tests", "analyses", "snapshots")

# `default__` bodies that are truly portable SQL (none today). A default__ is what dispatch falls
# back to on an adapter with no implementation of its own, so it must not be DuckDB-only SQL.
PORTABLE_DEFAULTS: set[str] = set()


# --- exposures -----------------------------------------------------------------------------------


def test_exposures_are_in_sync_with_the_sheets_config() -> None:
    assert gen_exposures.main(["--check"]) == 0, "run: python -m loaders.dev.gen_exposures"


def test_exposures_check_catches_a_new_tab(tmp_path: Path) -> None:
    doc = yaml.safe_load(gen_exposures.CONFIG.read_text())
    doc["tabs"].append(
        {"tab": "Extra tab", "spreadsheet": "dashboard", "model": "bmrs_costs", "columns": ["settlement_date"]}
    )
    config = tmp_path / "sheets.yml"
    config.write_text(yaml.safe_dump(doc))
    assert gen_exposures.main(["--check", "--config", str(config)]) == 1
    out = tmp_path / "exposures.yml"
    assert gen_exposures.main(["--config", str(config), "--out", str(out)]) == 0
    assert gen_exposures.main(["--check", "--config", str(config), "--out", str(out)]) == 0
    assert "name: extra_tab" in out.read_text()


def test_exposure_depends_on_every_ref_of_the_tab() -> None:
    query = (
        "select * from {{ ref('a_model') }} join {{ ref(\"b_model\") }} using (k) "
        "where x in (select 1 from {{ ref('a_model') }})"
    )
    assert gen_exposures.refs(query) == ["a_model", "b_model"]
    assert gen_exposures.exposure_name("BM revenue by unit") == "bm_revenue_by_unit"
    assert gen_exposures.exposure_name("2-cycle £ spreads") == "tab_2_cycle_spreads"


def _dbt_ls(tmp_path: Path, *args: str) -> list[str]:
    env = dict(os.environ, GBPOWER_DUCKDB=str(tmp_path / "ls.duckdb"))
    cmd = [sys.executable, "-m", "loaders.cli", "dbt", "ls", "-q", *args]
    cmd += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return [line for line in proc.stdout.splitlines() if line.strip()]


def test_dbt_lineage_reaches_every_sheets_tab(tmp_path: Path) -> None:
    rows = _dbt_ls(tmp_path, "--resource-type", "exposure", "--output", "json", "--output-keys", "name depends_on")
    declared = {r["name"]: r["depends_on"]["nodes"] for r in map(json.loads, rows)}
    for tab in load_config(gen_exposures.CONFIG).tabs:
        name = gen_exposures.exposure_name(tab.tab)
        assert name in declared, f"no exposure for tab {tab.tab!r}"
        wanted = {f"model.gbpower.{m}" for m in gen_exposures.refs(tab.sql)}
        assert wanted and wanted <= set(declared[name]), (tab.tab, declared[name])
    # the lineage of a tab runs all the way down to the raw tables (BOALF -> ... -> BM revenue tab)
    upstream = _dbt_ls(tmp_path, "-s", "+exposure:bm_revenue_by_unit", "--resource-type", "model", "source")
    for node in ("boalf_complete", "bmrs_boalf_unified", "stg_bmrs__boalf", "source:gbpower.raw.bmrs_boalf"):
        assert any(line.endswith(node) for line in upstream), (node, upstream)


# --- macros --------------------------------------------------------------------------------------

_MACRO_DEF = re.compile(r"{%-?\s*macro\s+([A-Za-z0-9_]+)\s*\(")
_ADAPTER_PREFIX = re.compile(r"^(default|duckdb|bigquery)__")
_DISPATCH = re.compile(r"""adapter\.dispatch\(\s*['"]([A-Za-z0-9_]+)['"]""")
_VAR_CALL = re.compile(r"""\bvar\(\s*['"]([A-Za-z0-9_]+)['"]\s*(?:,\s*([^)]*?))?\s*\)""")


def _macro_files() -> list[Path]:
    return sorted(MACROS.rglob("*.sql"))


def _dbt_code() -> dict[Path, str]:
    files: dict[Path, str] = {}
    for d in DBT_CODE_DIRS:
        for p in sorted((ROOT / d).rglob("*")) if (ROOT / d).is_dir() else []:
            if p.suffix in (".sql", ".yml", ".yaml"):
                files[p] = p.read_text()
    return files


@pytest.mark.parametrize("path", _macro_files(), ids=lambda p: str(p.relative_to(MACROS)))
def test_adapter_specific_macros_are_named_for_their_adapter(path: Path) -> None:
    text = path.read_text()
    defined = set(_MACRO_DEF.findall(text))
    defaults = sorted(n for n in defined if n.startswith("default__") and n not in PORTABLE_DEFAULTS)
    assert not defaults, f"{path.relative_to(ROOT)}: rename to duckdb__ (or make portable): {defaults}"
    for name in _DISPATCH.findall(text):
        for adapter in ("duckdb", "bigquery"):
            impl = f"{adapter}__{name}"
            assert impl in defined or f"default__{name}" in PORTABLE_DEFAULTS, f"{path.name}: no {impl}"


def test_every_macro_has_a_caller() -> None:
    code = _dbt_code()
    code.update({p: p.read_text() for p in (ROOT / "loaders").rglob("*.py")})  # generators emit calls
    code[ROOT / "dbt_project.yml"] = (ROOT / "dbt_project.yml").read_text()
    names = {_ADAPTER_PREFIX.sub("", n) for p in _macro_files() for n in _MACRO_DEF.findall(p.read_text())}
    names.discard("is_incremental")  # overrides dbt's own macro, which dbt's materializations call
    names.discard("get_where_subquery")  # overrides dbt's own macro, which wraps every generic test's model
    uncalled = []
    for name in sorted(names):
        call = re.compile(rf"(?<!macro )(?<![A-Za-z0-9_]){name}\s*\(")
        if not any(call.search(text) for text in code.values()):
            uncalled.append(name)
    assert not uncalled, f"macros nobody calls (remove them): {uncalled}"


def _literal(text: str | None) -> object:
    if text is None:
        return None
    value = yaml.safe_load(text.replace("none", "null").replace("None", "null"))
    return value


def test_every_var_is_declared_with_the_default_its_call_uses() -> None:
    declared = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    calls = [(p, m) for p, text in _dbt_code().items() for m in _VAR_CALL.finditer(text)]
    assert calls
    for path, m in calls:
        name, default = m.group(1), m.group(2)
        where = f"{path.relative_to(ROOT)}: {m.group(0)}"
        assert name in declared, f"{where}: declare {name} in dbt_project.yml (default and meaning)"
        if default is None or "{{" in str(declared[name]):
            continue  # no fallback in the call / declared value is itself a Jinja expression (raw_schema)
        assert _literal(default) == declared[name], f"{where}: dbt_project.yml says {declared[name]!r}"


def test_every_declared_var_has_a_comment() -> None:
    lines = (ROOT / "dbt_project.yml").read_text().splitlines()
    start = lines.index("vars:")
    block = []
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break
        block.append(line)
    comment_seen = False
    for line in block:
        stripped = line.strip()
        if stripped.startswith("#"):
            comment_seen = True
        elif not stripped:
            comment_seen = False
        elif re.match(r"^  [a-z_]+:", line):
            name = stripped.split(":")[0]
            assert comment_seen, f"dbt_project.yml var {name}: say what it means in a comment above it"
            # a run of vars after one comment shares it (e.g. the reconciliation tolerances)


# --- model names (docs/contracts.md) -------------------------------------------------------------

NAME_RULES = {
    "staging": re.compile(r"^stg_[a-z0-9]+__[a-z0-9_]+$"),
    "intermediate": re.compile(r"^int_[a-z0-9_]+$"),
    "marts": re.compile(r"^(fct|dim|mart|rpt)_[a-z0-9_]+$"),
    "compat": re.compile(r"^bmrs_[a-z0-9_]+$"),  # the old scripts' names, deprecated (docs/migration.md)
}
NAME_EXCEPTIONS = {  # public contract names (docs/contracts.md says why)
    "intermediate": re.compile(r"^bmrs_[a-z0-9]+_unified$"),
    "marts": re.compile(r"^(bmrs_costs|boalf_complete)$"),
}


def test_model_names_follow_the_layer_rule() -> None:
    models = sorted((ROOT / "models").rglob("*.sql"))
    assert models
    for path in models:
        layer = path.relative_to(ROOT / "models").parts[0]
        assert layer in NAME_RULES, f"{path.relative_to(ROOT)}: models live under {sorted(NAME_RULES)}"
        name = path.stem
        exception = NAME_EXCEPTIONS.get(layer)
        assert NAME_RULES[layer].match(name) or (exception and exception.match(name)), (
            f"{path.relative_to(ROOT)}: name it by the rule in docs/contracts.md (or alias a contract name)"
        )


# --- Python layering -----------------------------------------------------------------------------


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_writer_interface_does_not_import_its_implementations() -> None:
    imports = _imports(ROOT / "loaders" / "warehouse" / "base.py")
    bad = {i for i in imports if re.match(r"loaders\.warehouse\.(duckdb_writer|bigquery_writer|factory)", i)}
    assert not bad, bad


def test_window_lives_with_the_time_code_not_the_warehouse() -> None:
    for path in (ROOT / "loaders" / "warehouse").rglob("*.py"):
        tree = ast.parse(path.read_text())
        classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
        assert "Window" not in classes, path
    for path in [ROOT / "loaders" / "parse.py", *(ROOT / "loaders" / "api").rglob("*.py")]:
        assert not {i for i in _imports(path) if i.startswith("loaders.warehouse") and i.endswith("Window")}, path


def test_commands_do_not_import_the_cli() -> None:
    for path in (ROOT / "loaders").rglob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        assert not {i for i in _imports(path) if i == "loaders.cli" or i.startswith("loaders.cli.")}, (
            f"{path.relative_to(ROOT)}: import UsageError from loaders.errors, not loaders.cli"
        )


def test_each_settlement_function_has_one_name() -> None:
    import loaders.settlement as settlement

    by_object: dict[int, list[str]] = {}
    for name, value in vars(settlement).items():
        if callable(value) and getattr(value, "__module__", None) == settlement.__name__:
            by_object.setdefault(id(value), []).append(name)
    aliases = [names for names in by_object.values() if len(names) > 1]
    assert not aliases, f"loaders/settlement.py binds one function to several names: {aliases}"


# --- pre-commit hooks ----------------------------------------------------------------------------


def test_file_checks_fix_whitespace_and_end_of_file_and_reject_bad_yaml(tmp_path: Path) -> None:
    from loaders.dev import check_files

    text = tmp_path / "a.md"
    text.write_bytes(b"one  \ntwo\t\r\nthree")
    assert check_files.main(["whitespace", str(text)]) == 1
    assert text.read_bytes() == b"one\ntwo\r\nthree"
    assert check_files.main(["eof", str(text)]) == 1
    assert text.read_bytes() == b"one\ntwo\r\nthree\n"
    assert check_files.main(["whitespace", str(text)]) == 0
    assert check_files.main(["eof", str(text)]) == 0
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text("a: 1\n---\nb: [1, 2]\n")
    bad.write_text("a: [1,\n")
    assert check_files.main(["yaml", str(good)]) == 0
    assert check_files.main(["yaml", str(good), str(bad)]) == 1


def test_pre_commit_config_is_valid_and_local_only() -> None:
    config = ROOT / ".pre-commit-config.yaml"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("pre-commit")), "validate-config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "WARNING" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    repos = yaml.safe_load(config.read_text())["repos"]
    assert [r["repo"] for r in repos] == ["local"], "hooks must not need downloads"
    hooks = {h["id"] for h in repos[0]["hooks"]}
    assert {"ruff", "ruff-format", "check-yaml", "trailing-whitespace", "end-of-file-fixer"} <= hooks


def test_make_help_lists_every_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):(?!=)", makefile, flags=re.MULTILINE))
    proc = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    assert {"help", "setup", "demo", "test", "lint"} <= listed
    assert targets == listed, f"give each target a '## make <target>: …' line: {sorted(targets ^ listed)}"
