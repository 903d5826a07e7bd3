"""A pool of warm Jupyter kernels that execute many notebooks, papermill-style.

A fresh kernel per report spends most of its time importing pandas, matplotlib
and statsmodels (``shared/PERFORMANCE.md``: about 2.5 s of a 4.4 s report). The
pool starts ``size`` kernels once, imports what the notebook imports once per
kernel, and then runs report after report in each, clearing the user namespace,
open figures, matplotlib settings and the working directory before every one, so
one zone's state cannot leak into the next.

Each executed notebook carries the same metadata papermill writes (its
``NotebookExecutionManager`` records cell start/end/duration/status), and a
failing notebook gets papermill's error markers, so a failed report is debugged
exactly like a failed ``papermill`` run.

The pool is asyncio-based: the kernels are separate processes, so one driver
thread keeps ``size`` cores busy.

Examples
--------
>>> import asyncio, nbformat                                  # doctest: +SKIP
>>> async def demo(nbs):
...     async with KernelPool(2, warmup_imports=["import pandas"]) as pool:
...         return await asyncio.gather(*(pool.execute(nb, timeout=60) for nb in nbs))
"""

from __future__ import annotations

import ast
import asyncio
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any, Iterable

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbformat import NotebookNode
from papermill.engines import NotebookExecutionManager
from papermill.exceptions import PapermillExecutionError
from papermill.execute import raise_for_execution_errors

from ..exceptions import ForecastError
from ..report.export import source_cell_index

__all__ = ["CellFailure", "Execution", "KernelPool", "KernelPoolError", "WarmKernel", "notebook_imports"]

#: ``ename`` of the error a report gets when it runs past its time limit.
TIMEOUT_ENAME = "ReportTimeout"

# Kernel-side helpers, installed once per kernel as a module outside the user
# namespace so that ``%reset -f`` (which empties the namespace) cannot remove them.
_KERNEL_SIDE = r'''
def _forecast_pool_install():
    import gc, os, sys, types
    mod = types.ModuleType("_forecast_pool")
    mod.home = os.getcwd()
    mod.rc = None

    def snapshot():
        if "matplotlib" in sys.modules:
            import matplotlib
            mod.rc = {k: v for k, v in matplotlib.rcParams.items() if k != "backend"}
        # The warm-up's objects (modules, their tables) live as long as the kernel:
        # freezing them keeps every later garbage collection (one per %reset)
        # from walking them again, about 0.2 s a report.
        gc.collect()
        gc.freeze()

    def reset():
        # Figures first: they hold references the namespace reset would not free.
        # (The hard reset ends with a garbage collection of its own.)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        get_ipython().run_line_magic("reset", "-f")
        if mod.rc is not None:
            import matplotlib
            matplotlib.rcParams.update(mod.rc)
        os.chdir(mod.home)

    mod.snapshot, mod.reset = snapshot, reset
    sys.modules["_forecast_pool"] = mod

_forecast_pool_install()
del _forecast_pool_install
'''
_RESET = "import _forecast_pool as _fp; _fp.reset()"
# Read by every hidden call: the kernel's CPU seconds, for per-report figures.
_CPU = "__import__('time').process_time()"
# A figure drawn once loads the plotting backend, so its import cost and its
# rcParams tweaks are paid in the warm-up, not in the first report.
_MPL_PRIME = (
    "import sys as _s\n"
    "if 'matplotlib.pyplot' in _s.modules:\n"
    "    _p = _s.modules['matplotlib.pyplot']; _p.figure(); _p.close('all')\n"
)


class KernelPoolError(ForecastError):
    """The pool could not start, reset or restart a kernel."""


@dataclass(frozen=True)
class CellFailure:
    """Where and why a notebook stopped (papermill's execution error, flattened).

    ``cell_index`` counts cells as in the notebook file (0-based), like
    ``forecast report``'s ``ReportError``: papermill's injected-parameters
    cell is not counted.
    """

    cell_index: int
    exec_count: int | None
    ename: str
    evalue: str
    traceback: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """One line for a person: ``ValueError: bad zone (cell 4)``."""
        return f"{self.ename}: {self.evalue} (cell {self.cell_index})"


@dataclass
class Execution:
    """The outcome of one notebook: the executed notebook and its failure, if any.

    On failure ``nb`` carries papermill's error markers (a red note at the top
    and an anchor before the failing cell).
    """

    nb: NotebookNode
    failure: CellFailure | None
    seconds: float
    kernel: str
    restarted: bool = False
    #: CPU seconds the kernel process spent on this notebook (its reset
    #: included); ``None`` when the kernel was restarted or did not say.
    cpu_seconds: float | None = None

    @property
    def ok(self) -> bool:
        """True when every cell ran without error."""
        return self.failure is None


def notebook_imports(nb: NotebookNode) -> list[str]:
    """The top-level import statements of a notebook's code cells, in order.

    Used as the warm-up of a kernel: running them once makes every later
    report's imports free (the modules are already in ``sys.modules``).
    Cells that are not plain Python (magics) are read without their magic lines.
    """
    seen: dict[str, None] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "level", 0) == 0:
                seen[ast.unparse(node)] = None
    return list(seen)


def _guarded(statements: Iterable[str]) -> str:
    # A module missing in the kernel should fail the report that needs it, with
    # its own traceback, not the warm-up of the whole pool.
    return "".join(f"try:\n    {s}\nexcept Exception:\n    pass\n" for s in statements)


def _ignore(msg: dict[str, Any]) -> None:
    return None


class WarmKernel:
    """One kernel process that runs many notebooks, cleared between them.

    Parameters
    ----------
    name : str
        A label for messages (``kernel-0``).
    kernel_name : str
        The Jupyter kernel spec, ``python3`` by default.
    warmup_imports : list of str
        Import statements run once after (re)start; see :func:`notebook_imports`.
    cwd : str, optional
        The kernel's working directory, restored before every notebook.
    startup_timeout : float
        Seconds to wait for the kernel to answer after start.
    """

    def __init__(
        self,
        name: str,
        *,
        kernel_name: str = "python3",
        warmup_imports: Iterable[str] = (),
        cwd: str | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        self.name = name
        self.kernel_name = kernel_name
        self.warmup_imports = list(warmup_imports)
        self.cwd = cwd
        self.startup_timeout = startup_timeout
        self.km: AsyncKernelManager | None = None
        self.kc: Any = None
        self.language_info: dict[str, Any] = {}
        self.reports_run = 0
        self.restarts = 0
        self._sockets = ""

    # --- life cycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Start the kernel process, connect, and run the warm-up."""
        # Unix sockets: local kernels need no TCP ports (and no plain-text TCP
        # warning). The socket path must be absolute: the kernel runs in ``cwd``.
        self._sockets = tempfile.mkdtemp(prefix="forecast-kernel-")
        self.km = AsyncKernelManager(
            kernel_name=self.kernel_name, transport="ipc", ip=os.path.join(self._sockets, "k")
        )
        # An in-memory history: kernels running side by side would otherwise
        # contend for the same history.sqlite.
        await self.km.start_kernel(
            extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=self.cwd
        )
        await self._connect()

    async def _connect(self) -> None:
        assert self.km is not None
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            await self.kc.wait_for_ready(timeout=self.startup_timeout)
        except RuntimeError as err:
            raise KernelPoolError(f"{self.name}: the kernel did not start: {err}") from err
        reply = await self.kc.kernel_info(reply=True, timeout=self.startup_timeout)
        self.language_info = reply["content"].get("language_info", {})
        code = _KERNEL_SIDE + _guarded(self.warmup_imports) + _MPL_PRIME
        code += "import _forecast_pool as _fp; _fp.snapshot()\n"
        await self._run_hidden(code, "warm-up", self.startup_timeout)

    async def _run_hidden(self, code: str, what: str, timeout: float) -> float | None:
        """Run ``code`` unseen; return the kernel process's CPU seconds after it."""
        run = asyncio.ensure_future(self.kc.execute_interactive(
            code, store_history=False, timeout=timeout, output_hook=_ignore,
            user_expressions={"cpu": _CPU},
        ))
        try:
            # A kernel that dies here never answers: notice the death instead of
            # waiting out the whole timeout (120 s for a warm-up).
            while not run.done():
                await asyncio.wait({run}, timeout=0.5)
                if not run.done() and self.km is not None and not await self.km.is_alive():
                    raise KernelPoolError(f"{self.name}: the kernel died during the {what}")
            reply = run.result()
        except TimeoutError as err:
            raise KernelPoolError(f"{self.name}: the {what} did not finish in {timeout:.0f} s") from err
        finally:
            if not run.done():
                run.cancel()
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelPoolError(
                f"{self.name}: the {what} failed: {content.get('ename')}: {content.get('evalue')}"
            )
        try:
            return float(content["user_expressions"]["cpu"]["data"]["text/plain"])
        except (KeyError, TypeError, ValueError):
            return None

    async def restart(self) -> None:
        """Kill and restart the kernel process, then warm it up again."""
        assert self.km is not None
        if self.kc is not None:
            self.kc.stop_channels()
        await self.km.restart_kernel(now=True)
        self.restarts += 1
        await self._connect()

    async def shutdown(self) -> None:
        """Stop the kernel at once (no graceful wait: nothing in it is worth saving)."""
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            try:
                if await self.km.is_alive():
                    await self.km.shutdown_kernel(now=True)
            finally:
                await self.km.cleanup_resources()
                self.km = None
                shutil.rmtree(self._sockets, ignore_errors=True)

    # --- running notebooks ----------------------------------------------------
    async def execute(self, nb: NotebookNode, *, timeout: float | None = None) -> Execution:
        """Run every cell of ``nb`` in this kernel, papermill-style.

        Parameters
        ----------
        nb : NotebookNode
            A parameterised notebook (see ``papermill.parameterize``); changed in place.
        timeout : float, optional
            Seconds for the whole notebook; past it the report fails with
            ``ReportTimeout`` and the kernel is restarted.

        Returns
        -------
        Execution
            Never raises for a failing cell; raises ``KernelPoolError`` only when
            the kernel cannot be reset or restarted.
        """
        t0 = time.perf_counter()
        try:
            cpu0 = await self._run_hidden(_RESET, "reset before the report", 60.0)
        except KernelPoolError:
            # A kernel that cannot even clear itself is restarted once.
            await self.restart()
            cpu0 = await self._run_hidden(_RESET, "reset before the report", 60.0)
        deadline = None if not timeout else time.monotonic() + timeout
        client = NotebookClient(
            nb,
            km=self.km,
            kernel_name=self.kernel_name,
            timeout_func=(lambda cell: None) if deadline is None
            else (lambda cell: max(1, int(deadline - time.monotonic() + 0.999))),
            interrupt_on_timeout=True,
            error_on_timeout={
                "ename": TIMEOUT_ENAME,
                "evalue": f"the report ran past its limit of {timeout} s",
                "traceback": [],
            },
            record_timing=True,
        )
        client.kc = self.kc  # reuse the open channels; nbclient would open new ones
        manager = NotebookExecutionManager(nb, output_path=None, progress_bar=False, autosave_cell_every=0)
        manager.notebook_start()
        restart_needed = False
        count = 0
        try:
            for index, cell in enumerate(nb.cells):
                manager.cell_start(cell, index)
                try:
                    if cell.cell_type == "code" and cell.source.strip():
                        count += 1
                    await client.async_execute_cell(cell, index, execution_count=count)
                except CellExecutionError as err:
                    restart_needed = getattr(err, "ename", None) == TIMEOUT_ENAME
                    if restart_needed:
                        # The interrupt's KeyboardInterrupt would hide the real cause.
                        _set_error_output(cell, TIMEOUT_ENAME, f"the report ran past its limit of {timeout} s")
                    manager.cell_exception(nb.cells[index], cell_index=index, exception=err)
                    break
                except DeadKernelError:
                    restart_needed = True
                    _set_error_output(cell, "DeadKernelError", "the kernel died while running this cell")
                    manager.cell_exception(nb.cells[index], cell_index=index)
                    break
                finally:
                    manager.cell_complete(nb.cells[index], cell_index=index)
        finally:
            manager.notebook_complete()
        nb.metadata["language_info"] = self.language_info
        self.reports_run += 1
        failure = _papermill_failure(nb)
        cpu = None
        if restart_needed:
            await self.restart()
        elif cpu0 is not None:
            try:
                cpu1 = await self._run_hidden("", "CPU reading", 60.0)
                cpu = None if cpu1 is None else cpu1 - cpu0
            except KernelPoolError:
                cpu = None  # the next report's reset restarts the kernel if it must
        return Execution(nb, failure, time.perf_counter() - t0, self.name, restart_needed, cpu)


def _set_error_output(cell: NotebookNode, ename: str, evalue: str) -> None:
    outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
    cell["outputs"] = outputs


def _papermill_failure(nb: NotebookNode) -> CellFailure | None:
    # papermill's own check adds its error markers to ``nb`` in place and raises;
    # its index is of the cells as they were before.
    cells = list(nb.cells)
    try:
        raise_for_execution_errors(nb, None)
    except PapermillExecutionError as err:
        return CellFailure(
            cell_index=source_cell_index(cells, err.cell_index),
            exec_count=err.exec_count,
            ename=err.ename,
            evalue=str(err.evalue),
            traceback=tuple(err.traceback or ()),
        )
    return None


class KernelPool:
    """``size`` warm kernels; :meth:`execute` runs a notebook on the next idle one.

    Use as ``async with KernelPool(...) as pool``; leaving the block shuts every
    kernel down at once (``shutdown_kernel(now=True)``).

    Parameters
    ----------
    size : int
        Number of kernels (one per core is the useful maximum).
    kernel_name, warmup_imports, cwd, startup_timeout
        As for :class:`WarmKernel`.
    """

    def __init__(
        self,
        size: int,
        *,
        kernel_name: str = "python3",
        warmup_imports: Iterable[str] = (),
        cwd: str | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        if size < 1:
            raise KernelPoolError(f"A kernel pool needs at least 1 kernel. Got: {size}")
        self.kernels = [
            WarmKernel(
                f"kernel-{i}",
                kernel_name=kernel_name,
                warmup_imports=warmup_imports,
                cwd=cwd or os.getcwd(),
                startup_timeout=startup_timeout,
            )
            for i in range(size)
        ]
        self._idle: asyncio.Queue[WarmKernel] = asyncio.Queue()

    async def __aenter__(self) -> "KernelPool":
        results = await asyncio.gather(*(k.start() for k in self.kernels), return_exceptions=True)
        failed = [(k, r) for k, r in zip(self.kernels, results) if isinstance(r, BaseException)]
        # A kernel that fails to start (dies in its warm-up) is started once more;
        # if it fails again the pool goes on with the kernels that work.
        retried = await asyncio.gather(*(k.restart() for k, _ in failed), return_exceptions=True)
        lost = [(k, r) for (k, _), r in zip(failed, retried) if isinstance(r, BaseException)]
        for k, err in failed:
            warnings.warn(f"{err}; {'started again' if all(k is not j for j, _ in lost) else 'left out'}",
                          stacklevel=2)
        if len(lost) == len(self.kernels):
            await self.shutdown()
            raise KernelPoolError(f"{len(lost)} kernel(s) failed to start: {lost[0][1]}") from lost[0][1]
        for k, _ in lost:
            await k.shutdown()
        self.kernels = [k for k in self.kernels if all(k is not j for j, _ in lost)]
        for k in self.kernels:
            self._idle.put_nowait(k)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        """Shut every kernel down now."""
        await asyncio.gather(*(k.shutdown() for k in self.kernels), return_exceptions=True)

    async def execute(self, nb: NotebookNode, *, timeout: float | None = None) -> Execution:
        """Run ``nb`` on the next idle kernel; see :meth:`WarmKernel.execute`."""
        kernel = await self._idle.get()
        try:
            return await kernel.execute(nb, timeout=timeout)
        finally:
            self._idle.put_nowait(kernel)
