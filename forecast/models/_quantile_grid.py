"""Rows of quantile grids: the self-calibration's representation of a
predictive distribution (``L`` levels at the mid-points ``grid(L)``), and
the PIT CDF that maps them."""

from __future__ import annotations

import numpy as np

#: The levels a PIT CDF G is tabulated on.
TAU = np.linspace(0.0, 1.0, 201)


def grid(levels: int) -> np.ndarray:
    """The levels of an ``levels``-point grid: 1/(2L), 3/(2L), …, 1 − 1/(2L)."""
    return (np.arange(levels) + 0.5) / levels


def median(q: np.ndarray) -> np.ndarray:
    """The median of rows of quantile grids ``q (..., L)`` (levels ``grid(L)``):
    the middle level, or the mean of the middle two.

    >>> median(np.array([[1.0, 2, 3], [1, 2, 4, 8][:3]])).tolist(), median(np.array([1.0, 2, 4, 8])).tolist()
    ([2.0, 2.0], 3.0)
    """
    n = q.shape[-1]
    return q[..., (n - 1) // 2: n // 2 + 1].mean(axis=-1)


def at(q: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Rows of quantile grids ``q (..., L)`` read at fractional grid positions ``pos``.

    >>> at(np.array([0.0, 10, 20]), np.array([0.5, 1.25, 5.0])).tolist()
    [5.0, 12.5, 20.0]
    """
    lo = np.clip(np.floor(pos).astype(int), 0, q.shape[-1] - 1)
    hi = np.minimum(lo + 1, q.shape[-1] - 1)
    f = pos - lo
    return q[..., lo] * (1.0 - f) + q[..., hi] * f


def pit_cdf(q: np.ndarray, y: np.ndarray, half: float, prior_weight: float) -> np.ndarray:
    """CDF on ``TAU`` of the non-randomised PITs of outcomes ``y`` under the
    grids ``q (n, L)`` (``half`` = 0.5 for counts: Czado, Gneiting & Held
    2009), shrunk toward the uniform by ``prior_weight`` pseudo-cases."""
    n = len(y)
    if n == 0:
        return TAU.copy()
    lo, hi = _pit_bounds(q, y, half)
    width = hi - lo
    frac = np.where(width[:, None] > 0,
                    np.clip((TAU[None, :] - lo[:, None]) / np.where(width > 0, width, 1.0)[:, None], 0, 1),
                    (TAU[None, :] >= lo[:, None]).astype(float))
    return (n * frac.mean(axis=0) + prior_weight * TAU) / (n + prior_weight)


def positions(g: np.ndarray, levels: int) -> np.ndarray:
    """Fractional positions on an ``levels``-point grid of G⁻¹ (``g`` on
    ``TAU``) at each grid level: where quantile mapping reads a grid.

    >>> positions(TAU, 4).tolist()  # the identity map reads each level itself
    [0.0, 1.0, 2.0, 3.0]
    """
    v = np.interp(grid(levels), g, TAU)
    return np.clip(v * levels - 0.5, 0.0, levels - 1.0)


def coverage(q: np.ndarray, y: np.ndarray, half: float) -> float:
    """Share of outcomes ``y`` inside the central 80% interval of the grids
    ``q (n, L)`` (PIT-based, so a count on an interval's edge counts in part)."""
    if len(y) == 0:
        return float("nan")
    from ..scoring import pit_coverage

    return float(np.mean(pit_coverage(*_pit_bounds(q, y, half), 0.8)))


def _pit_bounds(q: np.ndarray, y: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Each outcome's PIT interval under its grid: the shares of levels below
    ``y - half`` and at or below ``y + half``."""
    return np.mean(q < (y - half)[:, None], axis=1), np.mean(q <= (y + half)[:, None], axis=1)
