"""The soak's fake clock: what a killed ``faketime`` leaves in /dev/shm must not stop a later job.

``faketime`` 0.9.10 creates ``sem.faketime_sem_<pid>`` and ``faketime_shm_<pid>`` exclusively and removes
them on exit; after a SIGKILL they stay, and a later ``faketime`` with the same pid exits 1 without
running its command (CI: an export-sheets run "failed" in 0.0 s)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

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


@pytest.mark.skipif(not shutil.which("faketime"), reason="faketime is installed by make test (Debian package)")
def test_a_stale_semaphore_of_the_next_pid_makes_faketime_fail_until_cleared():
    """The failure itself, with the real faketime: plant the objects a killed faketime with the pid
    the next process will get would have left, and watch faketime refuse; cleared, it runs."""
    probe = subprocess.run(["faketime", "-f", "+0s", "true"], capture_output=True)
    assert probe.returncode == 0, probe.stderr
    # pids are sequential on an idle machine, not guaranteed: try a few times
    for _ in range(20):
        nxt = dead_pid() + 1
        planted = [f"/dev/shm/sem.faketime_sem_{nxt}", f"/dev/shm/faketime_shm_{nxt}"]
        if any(os.path.exists(p) for p in planted):
            continue
        for p in planted:
            with open(p, "wb") as fh:
                fh.write(b"\0" * 32)
        try:
            proc = subprocess.Popen(["faketime", "-f", "+0s", "true"], stderr=subprocess.PIPE)
            _, err = proc.communicate()
            if proc.pid != nxt:
                continue
            assert proc.returncode != 0 and b"File exists" in err
            assert set(clear_stale_faketime_objects()) >= {os.path.basename(p) for p in planted}
            return
        finally:
            for p in planted:
                if os.path.exists(p):
                    os.unlink(p)
    pytest.fail("never got the predicted pid in 20 tries; the collision could not be staged")
