"""SQL lint for the dbt project (``make lint``).

Models are compiled by dbt, so every Jinja expression and ``adapter.dispatch`` macro is resolved,
then linted with sqlfluff using the project's ``.sqlfluff``:

* the DuckDB compile (target ``duckdb``, no database needed: ``--no-introspect``) in the DuckDB dialect;
* the BigQuery compile (target ``bigquery_service_account`` offline, with a throwaway service-account
  key generated in a temp dir — nothing is sent anywhere) in the BigQuery dialect, and every
  compiled BigQuery statement (models and tests) must also parse with sqlglot's BigQuery dialect.

``python -m loaders.dev.lint_sql [--select SELECTOR ...]``; exit 0 when clean.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("lint_sql")

DEFAULT_SELECT = ["path:models"]


def fake_service_account(path: Path) -> Path:
    """A syntactically valid key file for an offline compile (a fresh RSA key; no real account)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "gbpower-offline",
                "private_key_id": "offline",
                "private_key": pem,
                "client_email": "lint@gbpower-offline.iam.gserviceaccount.com",
                "client_id": "0",
                "token_uri": "https://oauth2.invalid/token",
            }
        )
    )
    return path


def compile_project(target: str, workdir: Path, select: list[str], dbt_vars: str | None = None) -> Path:
    """``dbt compile`` offline for ``target`` (with ``--vars dbt_vars`` if given); returns the
    compiled-SQL root (its ``manifest.json`` is one level up)."""
    env = dict(os.environ)
    offline: list[str] = []
    if target == "duckdb":
        env["GBPOWER_DUCKDB"] = str(workdir / "lint.duckdb")  # an empty scratch file
    else:
        # no connection at all: is_incremental() (macros/cross_db/is_incremental.sql) is false offline
        offline = ["--no-introspect", "--no-populate-cache"]
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(fake_service_account(workdir / "fake-sa.json"))
        env.setdefault("GBPOWER_BQ_PROJECT", "gbpower-offline")
    target_path = workdir / f"target-{target}"
    cmd = [sys.executable, "-m", "loaders.cli", "dbt", "--target", target, "compile", *offline]
    cmd += ["--target-path", str(target_path), "--log-path", str(workdir / "logs"), "-s", *select]
    if dbt_vars:
        cmd += ["--vars", dbt_vars]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt compile --target {target} failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    return target_path / "compiled" / "gbpower"


def sqlfluff_lint(paths: list[Path], dialect: str) -> list[str]:
    """sqlfluff violations (one line each) in ``paths`` with the project config and ``dialect``."""
    from sqlfluff.core import FluffConfig, Linter

    config = FluffConfig.from_path(str(ROOT), overrides={"dialect": dialect})
    linter = Linter(config=config)
    problems = []
    for path in paths:
        result = linter.lint_string(path.read_text(), fname=str(path))
        for v in result.get_violations():
            problems.append(f"{path}: L{v.line_no} P{v.line_pos} {v.rule_code()} {v.desc()} [{dialect}]")
    return problems


def sqlglot_parse(paths: list[Path]) -> list[str]:
    """Files whose SQL does not parse with sqlglot's BigQuery dialect."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    problems = []
    for path in paths:
        try:
            sqlglot.parse(path.read_text(), read="bigquery")
        except SqlglotError as exc:
            problems.append(f"{path}: sqlglot (bigquery) cannot parse: {str(exc).splitlines()[0]}")
    return problems


def unlinted_models(compiled_root: Path) -> list[str]:
    """Model files under models/ that the compile did not produce, so sqlfluff would not see them
    (every model, including the acceptance and revenue marts, must be linted)."""
    models = ROOT / "models"
    sources = {p.relative_to(models) for p in models.rglob("*.sql")}
    compiled = {
        p.relative_to(compiled_root / "models")
        for p in (compiled_root / "models").rglob("*.sql")
        if p.parent.suffix != ".yml"
    }
    return sorted(f"models/{p}: not compiled, so not linted" for p in sources - compiled)


def run(select: list[str], workdir: Path) -> list[str]:
    problems: list[str] = []
    try:
        duck = compile_project("duckdb", workdir, select)
    except RuntimeError as exc:
        return [str(exc)]
    if select == DEFAULT_SELECT:
        problems += unlinted_models(duck)
    duck_models = sorted(p for p in (duck / "models").rglob("*.sql") if p.parent.suffix != ".yml")
    log.info("sqlfluff (duckdb): %d compiled models", len(duck_models))
    problems += sqlfluff_lint(duck_models, "duckdb")
    try:
        bq = compile_project("bigquery_service_account", workdir, select)
    except RuntimeError as exc:
        return [*problems, str(exc)]
    bq_models = sorted((bq / "models").rglob("*.sql"))
    models_only = [p for p in bq_models if p.parent.suffix != ".yml"]  # yml dirs hold compiled tests
    log.info("sqlfluff (bigquery): %d compiled models; sqlglot: %d statements", len(models_only), len(bq_models))
    problems += sqlfluff_lint(models_only, "bigquery")
    problems += sqlglot_parse(sorted(bq.rglob("*.sql")))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--select", nargs="+", default=DEFAULT_SELECT, help="dbt selectors (default: all models)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("sqlfluff").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="gbpower-lint-") as tmp:
        problems = run(args.select, Path(tmp))
    for p in problems:
        print(p)
    print(f"lint_sql: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
