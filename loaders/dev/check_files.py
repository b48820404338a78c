"""File hygiene checks for the pre-commit hooks (``.pre-commit-config.yaml``), run from the venv so
pre-commit never downloads hook repositories:

``python -m loaders.dev.check_files yaml FILE…``        every YAML document parses (safe_load)
``python -m loaders.dev.check_files whitespace FILE…``  strip trailing whitespace (rewrites the file)
``python -m loaders.dev.check_files eof FILE…``         exactly one newline at the end (rewrites)

Exit 1 when a file failed or was rewritten (pre-commit then shows the change), else 0.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

_TRAILING = re.compile(rb"[ \t]+(?=\r?\n|\Z)")


def check_yaml(path: Path) -> str | None:
    try:
        for _ in yaml.safe_load_all(path.read_text()):
            pass
    except yaml.YAMLError as exc:
        return f"{path}: not valid YAML: {exc}"
    return None


def fix_whitespace(path: Path) -> str | None:
    data = path.read_bytes()
    fixed = _TRAILING.sub(b"", data)
    if fixed == data:
        return None
    path.write_bytes(fixed)
    return f"{path}: trailing whitespace removed"


def fix_eof(path: Path) -> str | None:
    data = path.read_bytes()
    if not data:
        return None
    fixed = data.rstrip(b"\r\n") + b"\n"
    if fixed == data:
        return None
    path.write_bytes(fixed)
    return f"{path}: end of file fixed (one newline)"


CHECKS = {"yaml": check_yaml, "whitespace": fix_whitespace, "eof": fix_eof}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=sorted(CHECKS))
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    problems = [p for p in (CHECKS[args.check](f) for f in args.files) if p]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
