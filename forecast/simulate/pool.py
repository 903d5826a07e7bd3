"""Scheduling the zones: serially, on a pool of forked workers, or on a Dask cluster.

A ``_Job`` holds everything a worker needs (inherited through ``fork``, not
pickled); zones go to the workers in batches of about equal cost, the costliest
first, and only each zone's summary (and, when asked for, its draws) comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..year_end import YearEnd
from .summary import _summary
from .zone import simulate_zone


@dataclass
class _Job:
    """Everything a worker needs to simulate zones (inherited through fork)."""

    models: Any
    cut: Any
    by_zone: dict[str, pd.DataFrame]
    empty: pd.DataFrame
    horizon: int
    draws: int
    seed: int
    chunk_size: int
    risk_quarters: int
    quarters: pd.PeriodIndex
    detail: bool
    keep_samples: bool
    #: Group accumulators (``rollup.GroupSums``) the zones' draws are added to, or None.
    sums: Any = None
    #: A bound scenario (``forecast.scenario``), or None.
    scenario: Any = None
    #: What the year-end rates are tallied against (with ``detail``), or None.
    year_end: YearEnd | None = None

    def run(self, zone_id: str, sums: Any = None
            ) -> tuple[str, tuple[Any, dict[str, np.ndarray], pd.DataFrame | None]]:
        samples, probs, tallies = simulate_zone(
            self.models, self.cut, self.by_zone.get(zone_id, self.empty), zone_id, self.horizon,
            self.draws, self.seed, self.chunk_size, self.risk_quarters, with_probs=self.detail,
            scenario=self.scenario,
            year_end=self.year_end if self.detail else None,
        )
        if sums is not None:  # summed where the zone ran; only the group totals travel
            sums.add(zone_id, samples)
        table = _summary(samples)  # the frame is built in the parent, all zones at once
        # targets need the draws; otherwise only the summary crosses the process boundary
        keep = {k: v.astype(np.float32) for k, v in samples.items()} if (
            self.keep_samples or self.detail) else {}
        return zone_id, (table, keep, probs if self.detail else None, tallies)


_JOB: _Job | None = None  # the job a forked worker inherits


def run_zones(job: _Job, zones: list[str]) -> tuple[list[tuple[str, Any]], Any]:
    """Simulate ``zones`` (in a worker): their results, and their draws summed
    into a fresh accumulator of the job's groups (None without roll-ups)."""
    sums = job.sums.empty() if job.sums is not None else None
    with threadpool_limits(1):
        return [job.run(z, sums) for z in zones], sums


def _run_batch(zones: list[str]) -> tuple[list[tuple[str, Any]], Any]:
    assert _JOB is not None  # set before the pool forks
    return run_zones(_JOB, zones)


#: A zone's fixed cost in the simulator, in projects (what a zone costs beyond its projects).
_ZONE_COST = 15


def cost_of(job: _Job, zones: list[str]) -> dict[str, float]:
    """Each zone's cost in the simulator (its live projects plus a fixed part)."""
    return {z: _ZONE_COST + len(job.by_zone.get(z, job.empty)) for z in zones}


def _batches(zones: list[str], cost: Mapping[str, float], workers: int) -> list[list[str]]:
    """Zones in batches for a pool, the costliest first: each batch about a
    sixteenth of a worker's share, so that the small zones at the end even out
    the workers' loads (zone sizes are heavy-tailed: a few zones have 20 times
    the median's projects)."""
    order = sorted(zones, key=lambda z: -cost[z])
    target = sum(cost.values()) / (16 * workers)
    out: list[list[str]] = []
    size = target
    for z in order:
        if size >= target or len(out[-1]) >= 50:
            out.append([])
            size = 0.0
        out[-1].append(z)
        size += cost[z]
    return out


def _map_zones(job: _Job, zones: list[str], workers: int,
               progress: Callable[[int], Any] | None, scheduler: str | None = None) -> Any:
    """Yield ``(zone_id, result)`` for every zone, serially in order, with a
    pool of forked workers in the order they finish (the job is inherited,
    not pickled), or on the Dask cluster at ``scheduler`` (``forecast.cluster``).
    The zones' draws are summed into ``job.sums`` as they come.

    BLAS runs on one thread while zones are simulated: the matrices are small,
    and on a busy two-core machine a second BLAS thread made a 60 × 60
    eigendecomposition 40 times slower (52 ms against 1.2 ms); one thread also
    keeps the numbers the same for any number of workers."""
    global _JOB
    if scheduler:
        from .. import cluster  # dask is imported only when a cluster is asked for

        batches = _batches(zones, cost_of(job, zones), cluster.worker_count(scheduler))
        yield from cluster.map_zones(job, batches, scheduler, run_zones, progress)
        return
    if workers <= 1 or len(zones) < 2:
        # one limit for the run (setting it looks up every loaded library: 2 ms)
        with threadpool_limits(1):
            for z in zones:
                yield job.run(z, job.sums)
                if progress is not None:
                    progress(1)
        return
    import multiprocessing as mp

    # One zone runs here first: it builds the per-cut arrays the models keep
    # (models/_cutcache.py) and compiles the kernels, which the forked workers
    # then inherit rather than each building its own. A zone of middling size
    # does that as well as a big one, sooner.
    cost = cost_of(job, zones)
    first = sorted(zones, key=cost.__getitem__)[len(zones) // 2]
    with threadpool_limits(1):
        result = job.run(first, job.sums)
    yield result
    if progress is not None:
        progress(1)
    batches = _batches([z for z in zones if z != first], cost, workers)
    _JOB = job
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            for batch, sums in pool.imap_unordered(_run_batch, batches):
                if sums is not None:
                    job.sums.merge(sums)
                yield from batch
                if progress is not None:
                    progress(len(batch))
    finally:
        _JOB = None

