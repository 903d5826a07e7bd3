"""Draws of one zone's totals from a fitted model set: the simulator's core.

Each chunk of a zone's projects advances through the horizon with the fitted
models — stage transitions and cancellation (``completion_.sample_paths``),
investment given those paths (``spend_.sample_investment``), output given the
production dates (``output_.sample_output``); projects registered later come
from ``arrivals_.sample`` as the ``new_`` allowance. Totals are summed over
projects within each draw. When the set carries a fitted calibration
(``calibration_``), the zone totals are recalibrated last.

It lives in the model layer so that the calibration can backtest the models
without reaching up to :mod:`forecast.simulate`, which adds targets, risk and
the scheduling of zones on top of it.

Randomness: a zone's draws come from ``numpy.random.SeedSequence`` built from
``seed`` and a stable hash (BLAKE2b) of the zone id; chunk ``i`` of its projects
(in the order given) draws from child stream ``1 + i``, new projects from
child stream 0.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..vocab import METRIC_EVENT, METRICS, NEW_PREFIX
from ._base import Paths


def zone_seed(seed: int, zone_id: str) -> np.random.SeedSequence:
    """The seed sequence of one zone: ``seed`` plus a stable hash of its id.

    Python's ``hash()`` changes between processes, BLAKE2b does not.

    >>> zone_seed(0, "z1").entropy == zone_seed(0, "z1").entropy
    True
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ForecastError(f"seed must be a non-negative integer. Got: {seed!r}")
    digest = hashlib.blake2b(str(zone_id).encode("utf-8"), digest_size=8).digest()
    words = np.frombuffer(digest, dtype="<u4").tolist()
    return np.random.SeedSequence([int(seed), *words])


def child_rng(ss: np.random.SeedSequence, key: int) -> np.random.Generator:
    """Child stream ``key`` of a zone (0 = new projects, 1.. = project chunks)."""
    return np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(key,)))


def project_sum(x: np.ndarray) -> np.ndarray:
    """``(draws, n, H)`` → ``(draws, H)``: the sum over projects, as a product
    (``x.sum(axis=1)`` reduces along a strided axis, ten times slower)."""
    x = np.asarray(x)
    return np.matmul(np.ones(x.shape[1], dtype=x.dtype), x).astype(float)


def event_counts(months: np.ndarray, horizon: int) -> np.ndarray:
    """Events per draw and quarter from event months ``(draws, n)``: what
    ``Paths.counts`` gives, in one compiled pass."""
    from ._kernels import quarter_counts  # numba loads only when a simulation runs

    return quarter_counts(np.asarray(months), int(horizon))


#: ``on_chunk(chunk, paths, investment)``: called after each chunk of projects.
ChunkHook = Callable[[pd.DataFrame, Paths, np.ndarray], None]

#: First word of the spawn key of a project simulated on its own stream
#: (project chunks use 1, 2, ...: far below it).
_SEPARATE_KEY = 2**31


def project_rng(ss: np.random.SeedSequence, key: str) -> np.random.Generator:
    """The stream of one project simulated apart (a scenario's touched project):
    keyed by a stable hash of its id, so it is the same in a baseline and a
    scenario, whatever other projects are touched."""
    digest = hashlib.blake2b(str(key).encode("utf-8"), digest_size=8).digest()
    words = np.frombuffer(digest, dtype="<u4").tolist()
    return np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(_SEPARATE_KEY, *words)))


@dataclass
class Separate:
    """A project simulated apart from its zone's chunks, on its own stream
    (what a scenario touches; see ``forecast.scenario``).

    Attributes
    ----------
    key : str
        Names the stream (the project id).
    cut : Ledger
        The cut holding ``rows`` (a scenario's own, for a project it adds).
    rows : DataFrame
        The project's row of ``cut.projects``.
    change : callable or None
        ``Paths -> (Paths, spends)``: a change of the sampled paths; ``spends``
        False means no investment or output after as_of. None: as drawn.
    """

    key: str
    cut: Any
    rows: pd.DataFrame
    change: Callable[[Paths], tuple[Paths, bool]] | None = None


def zone_draws(
    models: Any,
    cut: Any,
    projects: pd.DataFrame,
    zone_id: str,
    horizon: int,
    draws: int,
    seed: int,
    chunk_size: int = 2000,
    on_chunk: ChunkHook | None = None,
    separate: Sequence[Separate] = (),
) -> dict[str, np.ndarray]:
    """Draws of one zone's totals, existing and new projects apart.

    Parameters
    ----------
    models : fitted ModelSet
    cut : Ledger at the models' ``as_of``
    projects : DataFrame
        The zone's rows of ``cut.projects`` to simulate (already sorted).
    on_chunk : callable, optional
        Sees each chunk's paths and investment draws (the risk list uses them).
    separate : list of Separate
        Projects simulated after the chunks, each alone on its own stream
        (``project_rng``) and with its paths changed as it says.

    Returns
    -------
    dict
        Every metric and ``new_`` + metric → ``(draws, horizon)``; the plain
        metrics are existing + new (recalibrated when ``models.calibration_``
        is fitted; the ``new_`` allowance is not).
    """
    from .completion import CompletionModel

    ss = zone_seed(seed, zone_id)
    old = {m: np.zeros((draws, horizon)) for m in METRICS}
    sample_paths = models.completion_.sample_paths
    if isinstance(models.completion_, CompletionModel):
        # no metric counts 达产: stop the paths at production
        sample_paths = functools.partial(sample_paths, full_production=False)

    def runs() -> Iterator[tuple[Any, pd.DataFrame, np.random.Generator, Any]]:
        for i, start in enumerate(range(0, len(projects), chunk_size)):
            chunk = projects if len(projects) <= chunk_size else projects.iloc[start : start + chunk_size]
            yield cut, chunk, child_rng(ss, 1 + i), None
        for s in separate:
            yield s.cut, s.rows, project_rng(ss, s.key), s.change

    for run_cut, chunk, rng, change in runs():
        paths = sample_paths(run_cut, chunk, horizon, draws, rng)
        spends = True
        if change is not None:
            paths, spends = change(paths)
        if spends:
            inv = models.spend_.sample_investment(run_cut, paths, rng)
            old["investment"] += project_sum(inv)
            old["output_value"] += project_sum(models.output_.sample_output(run_cut, paths, rng))
        else:  # nothing spent or produced after as_of (a cancellation)
            inv = np.zeros((draws, len(chunk), horizon), dtype=np.float32)
        for metric, event in METRIC_EVENT.items():
            old[metric] += event_counts(paths.months[event], horizon)
        if on_chunk is not None:
            on_chunk(chunk, paths, inv)
        del paths, inv
    if models.arrivals_ is not None:
        new = models.arrivals_.sample(zone_id, horizon, draws, child_rng(ss, 0))
    else:
        new = {m: np.zeros((draws, horizon)) for m in METRICS}
    samples = {m: old[m] + new[m] for m in METRICS}
    samples.update({NEW_PREFIX + m: new[m] for m in METRICS})
    calibration = getattr(models, "calibration_", None)
    if calibration is not None:
        samples = calibration.adjust(zone_id, samples)
    return samples
