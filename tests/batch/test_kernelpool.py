"""The warm kernel pool: papermill-style results, no state leaks, recovery."""

from __future__ import annotations

import asyncio

from papermill.parameterize import parameterize_notebook

from forecast.publish.kernelpool import TIMEOUT_ENAME, KernelPool, notebook_imports


def _param(nb, **params):
    return parameterize_notebook(nb, params, kernel_name="python3", language="python")


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


def test_notebook_imports_lists_top_level_imports(load_nb):
    imports = notebook_imports(load_nb("good"))
    assert imports == ["import os", "import matplotlib.pyplot as plt", "from forecast.publish.headline import publish"]


def test_reports_in_one_kernel_do_not_see_each_other(load_nb):
    async def run():
        async with KernelPool(1, warmup_imports=notebook_imports(load_nb("good"))) as pool:
            a = await pool.execute(_param(load_nb("good"), zone_id="A"), timeout=60)
            b = await pool.execute(_param(load_nb("good"), zone_id="B"), timeout=60)
            return a, b, pool.kernels[0].reports_run

    a, b, runs = asyncio.run(run())
    # The second report asserts that the first one's variable and figures are gone.
    assert a.ok and b.ok, (a.failure, b.failure)
    assert runs == 2
    assert "report for B" in _stdout(b.nb)
    # papermill's metadata, as a papermill run would leave it.
    assert b.nb.metadata.papermill["parameters"]["zone_id"] == "B"
    assert b.nb.metadata.papermill["exception"] is None
    assert all(c.metadata.papermill["status"] == "completed" for c in b.nb.cells)
    pngs = [o for c in b.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) == 2
    counts = [c.execution_count for c in b.nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))


def test_failing_cell_is_marked_and_the_kernel_keeps_serving(load_nb):
    async def run():
        async with KernelPool(1) as pool:
            bad = await pool.execute(_param(load_nb("raises"), zone_id="Z9"), timeout=60)
            good = await pool.execute(_param(load_nb("good"), zone_id="Z1"), timeout=60)
            return bad, good, pool.kernels[0].restarts

    bad, good, restarts = asyncio.run(run())
    assert not bad.ok
    assert bad.failure.ename == "ValueError"
    # Counted as in the notebook file: papermill's injected cell is not.
    assert bad.failure.cell_index == 2 and bad.failure.message.endswith("(cell 2)")
    assert "broken on purpose Z9" in bad.failure.evalue
    assert bad.nb.metadata.papermill["exception"] is True
    # papermill's error markers: a note at the top, an anchor before the failing cell.
    assert "papermill-error-cell-tag" in bad.nb.cells[0].metadata.tags
    failed = [c for c in bad.nb.cells if c.metadata.get("papermill", {}).get("status") == "failed"]
    assert len(failed) == 1 and "raise ValueError" in failed[0].source
    # A cell error does not cost a restart, and the kernel runs the next report.
    assert restarts == 0 and good.ok


def test_timeout_fails_the_report_and_restarts_the_kernel(load_nb):
    async def run():
        async with KernelPool(1) as pool:
            slow = await pool.execute(_param(load_nb("sleeps")), timeout=2)
            after = await pool.execute(_param(load_nb("good"), zone_id="Z2"), timeout=60)
            return slow, after, pool.kernels[0].restarts

    slow, after, restarts = asyncio.run(run())
    assert slow.failure is not None and slow.failure.ename == TIMEOUT_ENAME
    assert slow.restarted and restarts == 1
    assert after.ok


def test_dead_kernel_is_restarted(load_nb):
    async def run():
        async with KernelPool(1) as pool:
            dead = await pool.execute(_param(load_nb("dies")), timeout=60)
            after = await pool.execute(_param(load_nb("good"), zone_id="Z3"), timeout=60)
            return dead, after

    dead, after = asyncio.run(run())
    assert dead.failure is not None and dead.failure.ename == "DeadKernelError"
    assert dead.restarted
    assert after.ok
