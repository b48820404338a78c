"""Secret scan for CI (``make secrets``, part of ``make test``).

Runs detect-secrets over every git-tracked file plus untracked files that are not ignored (so a key
about to be committed is caught too) and exits 1 listing ``file:line: type`` for each finding that
is not allow-listed. Allow-listing, for audited false positives only:

* a ``# pragma: allowlist secret`` comment on the line (detect-secrets' own inline marker), or
* an entry in ``.secrets.baseline`` at the repository root (write one with ``--write-baseline``
  after checking every finding by hand; entries marked ``"is_secret": true`` still fail).

The secret values themselves are never printed: only where they are and what kind they look like.

Usage: ``python -m loaders.dev.secret_scan [--root DIR] [--write-baseline]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detect_secrets import SecretsCollection
from detect_secrets.core import baseline as ds_baseline
from detect_secrets.settings import default_settings, transient_settings

log = logging.getLogger(__name__)

BASELINE = ".secrets.baseline"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    type: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.type}"


def repo_root(start: Path) -> Path:
    out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def files_to_scan(root: Path) -> list[str]:
    """Tracked files plus untracked, non-ignored ones (relative paths), minus the baseline itself
    and tracked files deleted from the working tree."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    )
    names = sorted({n for n in out.stdout.decode().split("\0") if n})
    return [n for n in names if n != BASELINE and (root / n).is_file()]


@contextlib.contextmanager
def _settings(baseline: dict[str, Any] | None) -> Iterator[None]:
    if baseline is not None:
        with transient_settings(baseline):
            yield
    else:
        with default_settings():
            yield


def _load_baseline(root: Path) -> dict[str, Any] | None:
    path = root / BASELINE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SystemExit(f"secret scan: {BASELINE} is not valid JSON: {exc}") from exc


def scan(root: Path, processes: int = 2) -> tuple[list[Finding], int, SecretsCollection]:
    """All findings not allow-listed by the baseline, the number of files scanned, and the raw
    collection (for writing a baseline)."""
    baseline = _load_baseline(root)
    files = files_to_scan(root)
    with _settings(baseline):
        collection = SecretsCollection(root=str(root))
        if files:
            collection.scan_files(*files, num_processors=processes)
    allowed = _allowed(baseline)
    findings = sorted(
        Finding(filename, int(secret.line_number or 0), secret.type)
        for filename, secret in collection
        if (filename, secret.secret_hash, secret.type) not in allowed
    )
    return findings, len(files), collection


def _allowed(baseline: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    """(path, hashed secret, type) of every baseline entry not marked as a real secret. Keyed by the
    repository-relative path, so a baseline works in any checkout location."""
    if baseline is None:
        return set()
    return {
        (path, str(item.get("hashed_secret")), str(item.get("type")))
        for path, items in baseline.get("results", {}).items()
        for item in items
        if not item.get("is_secret")
    }


def baseline_json(collection: SecretsCollection) -> dict[str, Any]:
    """The baseline document for ``collection`` with repository-relative file names."""
    out = ds_baseline.format_for_output(collection)
    out.pop("generated_at", None)
    for path, items in out["results"].items():
        for item in items:
            item["filename"] = path
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secret_scan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="inside the git repository to scan")
    parser.add_argument(
        "--write-baseline",
        action="store_true",
        help=f"record every current finding in {BASELINE} (only after checking each one by hand)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    root = repo_root(args.root)
    findings, nfiles, collection = scan(root)
    if args.write_baseline:
        with _settings(_load_baseline(root)):
            doc = baseline_json(collection)
        (root / BASELINE).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"secret scan: wrote {BASELINE} with {sum(1 for _ in collection)} entries")
        return 0
    if findings:
        print(f"secret scan: {len(findings)} possible secret(s) in {root}:")
        for f in findings:
            print(f"  {f}")
        print(
            "Remove the secret (and rotate it if it was real). For a false positive add "
            f"'# pragma: allowlist secret' on the line or audit it into {BASELINE}."
        )
        return 1
    print(f"secret scan: {nfiles} files, no secrets found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
