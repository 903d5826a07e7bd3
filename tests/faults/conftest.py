"""Shared helpers of the fault-injection tests: real `forecast` processes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from faults_helpers import FORECAST


def _can_mount_read_only() -> bool:
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs -o ro,size=64k none /mnt"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture
def forecast_cli():
    """Run ``forecast ARGS``. ``read_only=FOLDER`` makes FOLDER read-only for the
    process: by permissions, or (as root, who writes through permissions) by a
    read-only file system mounted over it in a private mount namespace."""

    def run(*args: str, read_only: Path | None = None, timeout: float = 300, env: dict | None = None,
            **kw) -> subprocess.CompletedProcess:
        cmd = [FORECAST, *map(str, args)]
        if read_only is not None:
            if os.geteuid() != 0:
                read_only.chmod(0o555)
            elif _can_mount_read_only():
                cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                       'mount -t tmpfs -o ro,size=64k none "$0" && exec "$@"', str(read_only), *cmd]
            elif os.environ.get("CI"):
                pytest.fail("CI runs as root: unshare and mount are needed to make a folder read-only")
            else:
                pytest.skip("running as root without a way to make a folder read-only")
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})}, **kw)

    return run
