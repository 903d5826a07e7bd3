"""Rows of quantile grids: the self-calibration's representation of a
predictive distribution (``L`` levels at the mid-points ``grid(L)``)."""

from __future__ import annotations

import numpy as np


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
