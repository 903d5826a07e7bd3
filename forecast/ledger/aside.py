"""A function of large in-memory data run in a forked child while this process goes on.

The child sees this process's memory as it is at the fork (nothing is pickled on
the way in) and sends back only the result, pickled through a pipe: worth it for
work on millions of rows whose result is small (the problems a table's checks
find), while this process has other work (typing the tables still being read).
Where a child cannot be had (a daemonic process such as a pool's or Dask's
worker, which may not start processes, or one core), or the child fails, the
function runs here: the result is the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def _child(write: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    code = 0
    try:
        data = pickle.dumps(fn(*args), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # noqa: BLE001  nothing sent: the parent runs ``fn`` itself
        code = 1
    finally:
        os._exit(code)  # no atexit handler, no flush of buffers copied from the parent


def _now(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    result = fn(*args)
    return lambda: result


def aside(fn: Callable[..., T], *args: Any, fork: bool = True) -> Callable[[], T]:
    """Start ``fn(*args)`` in a forked child (with ``fork``; else run it now); returns the
    callable that gives its result.

    The callable gives what ``fn(*args)`` returns, computed in this process if the child
    could not start or ended without a result. Call it once.
    """
    if (not fork or multiprocessing.current_process().daemon or (os.cpu_count() or 1) < 2
            or not hasattr(os, "fork") or sys.platform == "darwin"):  # macOS: fork unsafe with its frameworks
        return _now(fn, *args)
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return _now(fn, *args)
    if pid == 0:  # pragma: no cover  (the child: measured by the result the parent gets)
        os.close(read)
        _child(write, fn, args)
    os.close(write)

    def wait() -> T:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()  # until the child closes its end: done, or ended
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0 and data:
            return pickle.loads(data)
        return fn(*args)

    return wait
