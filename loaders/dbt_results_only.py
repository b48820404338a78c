"""``python -m loaders.dbt_results_only ARGS…``: dbt ``ARGS`` that writes ``run_results.json`` only.

A dbt run writes ``manifest.json`` twice (after loading the project, and again at the end) next to
``run_results.json``. The manifest describes the project, not the run: with the whole catalogue it is
~7 MB and writing it costs ~1 s each time, in a job that runs every 30 minutes on an unchanged
project. The scheduled build (``gbpower dbt --test-scope window build``) therefore runs dbt through
this module (``loaders/dbt_runner.py`` picks it when ``GBPOWER_DBT_ARTIFACTS=run_results``): dbt's
own programmatic entry point (``dbtRunner``) with ``--no-write-json``, and then the run's results
written exactly as dbt writes them (``RunExecutionResult.write``) to ``<target path>/run_results.json``,
which ``gbpower health`` reads. ``manifest.json`` is left as the last full command wrote it (the
upgrade's ``--full-refresh`` build, ``dbt docs generate``, any build by hand); the partial-parse state
(``partial_parse.msgpack``), which is what makes the next run fast, is written as usual.

Exit codes are dbt's: 0 success, 1 a model or test failed, 2 dbt could not run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

RUN_RESULTS = "run_results.json"


def option_value(args: list[str], name: str) -> str | None:
    """The value of ``--name VALUE`` or ``--name=VALUE`` in ``args`` (the last one wins, as in click)."""
    value = None
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg[len(name) + 1 :]
    return value


def target_path(args: list[str]) -> Path:
    """Where dbt would write its artifacts for ``args``: ``--target-path``, else ``DBT_TARGET_PATH``,
    else the project's ``target-path`` (default ``target``) under the project directory."""
    explicit = option_value(args, "--target-path") or os.environ.get("DBT_TARGET_PATH")
    project = Path(option_value(args, "--project-dir") or os.environ.get("DBT_PROJECT_DIR") or ".")
    if explicit:
        path = Path(explicit)
    else:
        import yaml

        spec = yaml.safe_load((project / "dbt_project.yml").read_text()) or {}
        path = Path(spec.get("target-path") or "target")
    return path if path.is_absolute() else project / path


def main(args: list[str]) -> int:
    from dbt.artifacts.schemas.run import RunExecutionResult
    from dbt.cli.main import dbtRunner

    os.environ["DBT_WRITE_JSON"] = "false"
    res = dbtRunner().invoke(args)
    result = res.result
    if isinstance(result, RunExecutionResult):  # a run, build, test or seed: what gbpower health reads
        out = target_path(args)
        out.mkdir(parents=True, exist_ok=True)
        result.write(str(out / RUN_RESULTS))
    if res.success:
        return 0
    if res.exception is not None:
        print(f"dbt could not run: {res.exception}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
