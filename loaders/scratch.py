"""Scratch directories of loader processes, and cleaning up after killed ones."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def clean_stale_dirs(root: Path, prefix: str) -> None:
    """Remove ``root/<prefix>-<pid>[-…]`` directories whose process is gone (killed mid-run)."""
    if not root.exists():
        return
    for d in root.glob(f"{prefix}-*"):
        try:
            pid = int(d.name[len(prefix) + 1 :].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)
