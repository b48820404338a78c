"""The soak's fake clock: what a killed ``faketime`` leaves in /dev/shm must not stop a later job.

``faketime`` 0.9.10 creates ``sem.faketime_sem_<pid>`` and ``faketime_shm_<pid>`` exclusively and removes
them on exit; after a SIGKILL they stay, and a later ``faketime`` with the same pid exits 1 without
running its command (CI: an export-sheets run "failed" in 0.0 s). Reproduced once by hand: objects planted
for the pid the next process got made ``faketime -f +0s true`` exit 1 with "sem_open: File exists". Not a
test here: planting objects in the shared /dev/shm could break the soak that make test runs alongside."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.soak.harness import clear_stale_faketime_objects


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_objects_of_dead_pids_are_removed_and_live_ones_kept(tmp_path):
    gone, me = dead_pid(), os.getpid()
    names = [f"sem.faketime_sem_{gone}", f"faketime_shm_{gone}", f"sem.faketime_sem_{me}", f"faketime_shm_{me}"]
    for name in [*names, "sem.mp-abc", f"other_{gone}"]:
        (tmp_path / name).write_bytes(b"x")
    removed = clear_stale_faketime_objects(tmp_path)
    assert sorted(removed) == sorted(names[:2])
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([names[2], names[3], "sem.mp-abc", f"other_{gone}"])
    assert clear_stale_faketime_objects(tmp_path / "missing") == []
