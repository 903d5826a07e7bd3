"""A function run in a forked child gives what it gives here: its result, or here if the child fails."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np

from forecast.ledger.aside import aside


def _sum_where(values: np.ndarray) -> tuple[int, int]:
    return int(values.sum()), os.getpid()


def _dies(values: np.ndarray) -> tuple[int, int]:
    if os.getpid() != _PARENT:
        os._exit(9)  # the child killed before it sends anything
    return _sum_where(values)


_PARENT = os.getpid()


def test_the_child_sees_the_data_and_sends_the_result() -> None:
    values = np.arange(1_000_000)  # not pickled on the way in: the child has this memory
    total, where = aside(_sum_where, values)()
    assert total == int(values.sum()) and where != os.getpid()
    assert aside(_sum_where, values, fork=False)() == (total, os.getpid())


def test_a_child_lost_is_run_here() -> None:
    values = np.arange(10)
    assert aside(_dies, values)() == (45, os.getpid())


def _in_daemon(queue) -> None:
    queue.put(aside(_sum_where, np.arange(5))())


def test_a_daemonic_process_runs_it_itself() -> None:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_in_daemon, args=(queue,), daemon=True)
    child.start()
    total, where = queue.get(timeout=60)
    child.join()
    assert total == 10 and where == child.pid
