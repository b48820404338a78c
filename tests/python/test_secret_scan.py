"""The CI secret scan on throw-away git repositories: planted fake credentials fail it, clean trees pass.

The fake credentials are assembled at run time so this file itself holds nothing that looks like one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loaders.config import project_root
from loaders.dev import secret_scan

FAKE_AWS_KEY = "AKIA" + "QWERTYUIOPASDFGH"  # the shape of an AWS access key id, not a real one
FAKE_PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow" + "IBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    git(r, "config", "user.email", "test@example.invalid")
    git(r, "config", "user.name", "test")
    (r / "README.md").write_text("# demo\nNothing to see.\n")
    (r / "app.py").write_text('import os\n\nTOKEN = os.environ["GBPOWER_TOKEN"]\n')
    (r / ".gitignore").write_text("ignored/\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "init")
    return r


def run_cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders.dev.secret_scan", "--root", str(repo), *args],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_clean_repository_passes(repo):
    res = run_cli(repo)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no secrets found" in res.stdout


def test_planted_credential_in_tracked_file_fails_with_location(repo):
    (repo / "settings.py").write_text(f'REGION = "eu-west-2"\n\nAWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\n')
    git(repo, "add", "settings.py")
    git(repo, "commit", "-q", "-m", "oops")
    res = run_cli(repo)
    assert res.returncode == 1
    assert "settings.py:3: AWS Access Key" in res.stdout
    assert FAKE_AWS_KEY not in res.stdout + res.stderr  # the value itself is never printed


def test_untracked_files_are_scanned_but_ignored_ones_are_not(repo):
    (repo / "ignored").mkdir()
    (repo / "ignored" / "key.pem").write_text(FAKE_PRIVATE_KEY)
    findings, _, _ = secret_scan.scan(repo, processes=1)
    assert findings == []
    (repo / "deploy.pem").write_text(FAKE_PRIVATE_KEY)  # untracked, not ignored: about to be committed
    findings, _, _ = secret_scan.scan(repo, processes=1)
    assert [(f.path, f.line, f.type) for f in findings] == [("deploy.pem", 1, "Private Key")]


def test_inline_allowlist_pragma_and_baseline(repo):
    (repo / "doc.py").write_text(f'EXAMPLE = "{FAKE_AWS_KEY}"  # pragma: allowlist secret\n')
    assert secret_scan.main(["--root", str(repo)]) == 0

    (repo / "fixture.py").write_text(f'KEY = "{FAKE_AWS_KEY}"\n')
    assert secret_scan.main(["--root", str(repo)]) == 1
    assert secret_scan.main(["--root", str(repo), "--write-baseline"]) == 0
    doc = json.loads((repo / secret_scan.BASELINE).read_text())
    assert list(doc["results"]) == ["fixture.py"]
    assert doc["results"]["fixture.py"][0]["filename"] == "fixture.py"  # relative: any checkout works
    assert secret_scan.main(["--root", str(repo)]) == 0  # audited into the baseline

    # A new secret elsewhere still fails; so does an entry audited as a real secret.
    (repo / "other.py").write_text(f'KEY2 = "{FAKE_AWS_KEY}"\n')
    assert [f.path for f in secret_scan.scan(repo, processes=1)[0]] == ["other.py"]
    (repo / "other.py").unlink()
    doc["results"]["fixture.py"][0]["is_secret"] = True
    (repo / secret_scan.BASELINE).write_text(json.dumps(doc))
    assert [f.path for f in secret_scan.scan(repo, processes=1)[0]] == ["fixture.py"]
