"""SIGTERM inside a batch: the batch's process stops like Ctrl-C; a forked worker that
inherited the handler ends quietly, as SIGTERM's default does (no traceback in the log)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

import pytest

from forecast.publish.guard import sigterm_as_interrupt


def _wait() -> None:
    time.sleep(60)


def test_forked_worker_dies_by_sigterm_and_the_owner_gets_an_interrupt() -> None:
    ctx = mp.get_context("fork")
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_as_interrupt():
        child = ctx.Process(target=_wait)
        child.start()
        time.sleep(0.3)
        child.terminate()  # SIGTERM
        child.join(10)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    # killed by the signal itself (a KeyboardInterrupt would exit with code 1 and a traceback)
    assert child.exitcode == -signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before
