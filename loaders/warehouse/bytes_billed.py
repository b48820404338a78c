"""BigQuery ``maximum_bytes_billed`` per job type, from ``config/bigquery_bytes_billed.yml``.

Every BigQuery query job we start carries the limit of its job type (a job whose estimate exceeds it
fails before running, so nothing is billed): dbt through the profile (``gbpower dbt`` sets
``GBPOWER_BQ_MAX_BYTES_BILLED`` for the dbt process: ``loaders.commands.dbt.job_type_of_dbt_run``),
the loaders' writer through its ``QueryJobConfig``. ``GBPOWER_BQ_MAX_BYTES_BILLED`` already in the environment
overrides the file for every job type of that process.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from loaders import config

ENV_VAR = "GBPOWER_BQ_MAX_BYTES_BILLED"
FILE_ENV_VAR = "GBPOWER_BQ_BYTES_BILLED_FILE"  # another file than config/bigquery_bytes_billed.yml
JOB_TYPES = ("scheduled_build", "full_history_tests", "full_refresh", "loader", "other")
DEFAULTS = {  # used for a job type the file leaves out (the file ships with the same values)
    "scheduled_build": 20 * 10**9,
    "full_history_tests": 200 * 10**9,
    "full_refresh": 10**12,
    "loader": 5 * 10**9,
    "other": 50 * 10**9,
}
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS.update({"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40})
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


class BytesBilledConfigError(ValueError):
    pass


def config_file() -> Path:
    env = os.environ.get(FILE_ENV_VAR)
    return Path(env) if env else config.project_root() / "config" / "bigquery_bytes_billed.yml"


def parse_bytes(value: object, where: str) -> int:
    """``10 GB`` → 10_000_000_000; an int is bytes. Anything else is an error naming ``where``."""
    if isinstance(value, bool):
        raise BytesBilledConfigError(f"{where}: expected a byte size, got {value!r}")
    if isinstance(value, int):
        number, unit = float(value), ""
    else:
        match = _SIZE.match(str(value))
        if not match or match.group(2).lower() not in _UNITS:
            raise BytesBilledConfigError(f"{where}: expected a byte size such as '10 GB', got {value!r}")
        number, unit = float(match.group(1)), match.group(2).lower()
    if number < 0:
        raise BytesBilledConfigError(f"{where}: a limit cannot be negative, got {value!r}")
    return int(number * _UNITS[unit])


def load_limits(path: Path | None = None) -> dict[str, int]:
    """Every job type's limit in bytes (0 = none): the file's values over ``DEFAULTS``."""
    path = path or config_file()
    limits = dict(DEFAULTS)
    if not path.exists():
        return limits
    doc = yaml.safe_load(path.read_text()) or {}
    if not isinstance(doc, dict):
        raise BytesBilledConfigError(f"{path}: expected a mapping of job type to byte limit")
    for key, value in doc.items():
        if key not in JOB_TYPES:
            raise BytesBilledConfigError(f"{path}: unknown job type {key!r} (known: {', '.join(JOB_TYPES)})")
        limits[key] = parse_bytes(value, f"{path}: {key}")
    return limits


def limit_for(job_type: str, path: Path | None = None) -> int:
    """The ``maximum_bytes_billed`` a job of ``job_type`` gets (the environment override wins)."""
    if job_type not in JOB_TYPES:
        raise BytesBilledConfigError(f"unknown BigQuery job type {job_type!r} (known: {', '.join(JOB_TYPES)})")
    override = os.environ.get(ENV_VAR)
    if override:
        return parse_bytes(override, ENV_VAR)
    return load_limits(path)[job_type]
