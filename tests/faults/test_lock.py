"""FolderLock between real processes: refused at once naming the holder, released
by death, a stale file taken over with a warning."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from forecast._lock import LOCK_FILE, FolderBusyError, FolderLock

HOLD = textwrap.dedent("""
    import sys, time
    from forecast._lock import FolderLock
    lock = FolderLock(sys.argv[1], "batch").acquire()
    print("held", flush=True)
    time.sleep(60)
""")


def _holder(folder):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_locker_is_refused_naming_the_holder_then_takes_over_when_it_dies(tmp_path):
    proc = _holder(tmp_path)
    try:
        t0 = time.monotonic()
        with pytest.raises(FolderBusyError) as refused:
            FolderLock(tmp_path, "email").acquire()
        assert time.monotonic() - t0 < 1  # refused at once, not after a wait
        assert refused.value.holder["pid"] == proc.pid
        assert f"PID {proc.pid} on {socket.gethostname()} (batch" in str(refused.value)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # Killed: the kernel released the flock, the file still names the dead holder.
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == proc.pid
    with pytest.warns(UserWarning, match=f"stale lock: PID {proc.pid} .* is gone"):
        lock = FolderLock(tmp_path, "batch").acquire()
    assert lock.stale["pid"] == proc.pid
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    lock.release()
    assert (tmp_path / LOCK_FILE).read_text() == ""


def test_released_lock_is_taken_again_without_a_warning(tmp_path, recwarn):
    with FolderLock(tmp_path / "new", "batch"):
        pass
    with FolderLock(tmp_path / "new", "batch") as lock:
        assert lock.stale is None
    assert not [w for w in recwarn if "stale" in str(w.message)]
