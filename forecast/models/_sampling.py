"""Sampling the next event of a stage transition for flat lists of entries.

An *entry* is one project in one draw. :func:`forecast.models._paths.sample_paths`
gathers every entry waiting in a stage (across all draws, and across the
``param_draws`` parameter vectors, entry ``e`` using vector ``g[e]``) and draws
their outcomes in one pass, rather than one pass per parameter vector: a zone
of a few dozen projects then costs a handful of array operations per
transition, not a hundred small ones.

The distributions are those of :mod:`forecast.models.survival` (see
:func:`~forecast.models.survival.sample_next`, the broadcasting form kept for
the summaries and tests): a competing choice between advancing after a
log-normal time on the seasonal operational clock, cancelling (or never
advancing), and advancing on the planned date, each truncated at the time
already spent in the stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtr, ndtri

from .survival import LOG_NEVER, MIN_MONTHS, MixtureData, MixtureFit, speeds



class Warp:
    """Seasonal operational clocks of ``K`` parameter draws; entry ``e`` runs on
    clock ``g[e]``. Same clock as :func:`survival.op_clock` / ``op_inverse``."""

    def __init__(self, theta: np.ndarray) -> None:
        self.s = speeds(np.atleast_2d(theta))  # (K, 12)
        k = np.zeros((len(self.s), 13))
        k[:, 1:] = np.cumsum(self.s, axis=1)
        k[:, -1] = 12.0
        self.knots = k
        # flat tables, 13 knots (12 speeds) a draw: one ``take`` per lookup
        self._k, self._s = k.ravel(), np.c_[self.s, self.s[:, -1:]].ravel()

    def clock(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Operational clock at calendar clock ``x``."""
        y = np.mod(x, 12.0)
        m = np.minimum(y.astype(np.intp), 11)
        f = m + 13 * g
        return (x - y) + self._k.take(f) + (y - m) * self._s.take(f)

    def inverse(self, o: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Calendar clock at operational clock ``o``."""
        y = np.mod(o, 12.0)
        j = (self.knots[g, 1:12] <= y[:, None]).sum(axis=1)
        f = j + 13 * g
        return (o - y) + j + (y - self._k.take(f)) / self._s.take(f)


@dataclass
class RowComponents:
    """Per-entry mixture parameters (see :class:`survival.Components`)."""

    g: np.ndarray
    mu_a: np.ndarray
    sig_a: np.ndarray
    warp_a: Warp | None
    pi: np.ndarray
    mu_c: np.ndarray | None
    sig_c: np.ndarray | None
    warp_c: Warp | None
    rho: np.ndarray | None
    plan: np.ndarray


def row_components(fit: MixtureFit, groups: list[tuple[MixtureData, np.ndarray | None, np.ndarray]],
                   par: np.ndarray, off_a: np.ndarray, off_p: np.ndarray) -> RowComponents:
    """Mixture parameters of entries under parameter vectors ``par`` (K, p).

    ``groups`` lists ``(design, rows, g)``: the group's entries use design rows
    ``rows`` (``None``: one design row per entry) and parameter vectors ``g``.
    Entries are the groups' in order; ``off_a``/``off_p`` (zone effects) and
    the plans (``design.plan`` by row) are per entry.
    """
    L, sp = fit.layout, fit.spec

    def lin(attr: str, block: str) -> np.ndarray:
        B = par[:, L[block]]
        out = []
        for d, rows, g in groups:
            X = getattr(d, attr)
            if rows is None:
                out.append(np.einsum("ij,ij->i", X, B[g]))
            else:
                out.append((X @ B.T)[rows, g])
        return np.concatenate(out)

    g = np.concatenate([grp[2] for grp in groups])
    plan = np.concatenate([d.plan if rows is None else d.plan[rows] for d, rows, _ in groups])
    mu_a = lin("Xa", "ba") + off_a
    sig_a = np.exp(lin("Za", "ga"))
    warp_a = Warp(par[:, L["ta"]]) if sp.warp_advance else None
    pi = expit(lin("Xp", "bp") + off_p)
    mu_c = sig_c = warp_c = rho = None
    if sp.cancel_observed:
        mu_c = lin("Xc", "bc")
        sig_c = np.exp(par[g, L["gc"].start])
        warp_c = Warp(par[:, L["tc"]]) if sp.warp_cancel else None
    if sp.bunching:
        rho = np.where(np.isfinite(plan), expit(lin("Xb", "bb")), 0.0)
    return RowComponents(g, mu_a, sig_a, warp_a, pi, mu_c, sig_c, warp_c, rho, plan)


def _sf(warp: Warp | None, o0: np.ndarray | None, x0: np.ndarray, e: np.ndarray, mu: np.ndarray,
        sig: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Log-normal survival of the operational time spent in ``[x0, x0 + e]``
    (``o0``: the operational clock at ``x0``)."""
    if warp is None:
        op = np.maximum(e, MIN_MONTHS)
    else:
        op = np.maximum(warp.clock(x0 + e, g) - o0, MIN_MONTHS)
    return ndtr((mu - np.log(op)) / sig)


def _truncated(v: np.ndarray, x0: np.ndarray, o0: np.ndarray | None, mu: np.ndarray, sig: np.ndarray,
               sf_e: np.ndarray, warp: Warp | None, g: np.ndarray) -> np.ndarray:
    """Calendar months since entry of a log-normal op-duration truncated at the
    elapsed time (whose survival is ``sf_e``), by inversion of uniforms ``v``."""
    # sf(z) = v * sf(z_e); tiny products mean "far in the future", not an error.
    z = -ndtri(np.clip(v * sf_e, 1e-300, 1.0))
    lop = mu + sig * np.minimum(z, 30.0)
    never = lop > LOG_NEVER
    op = np.exp(np.minimum(lop, LOG_NEVER))
    t = op if warp is None else warp.inverse(o0 + op, g) - x0
    return np.where(never, np.inf, t)


def sample_rows(c: RowComponents, x0: np.ndarray, e: np.ndarray,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Months since entry of each entry's next event and its kind (1 advance,
    2 cancel; ``inf`` = never), given ``e`` months already spent in the stage."""
    n = len(x0)
    g = c.g
    oa = None if c.warp_a is None else c.warp_a.clock(x0, g)
    sa_e = _sf(c.warp_a, oa, x0, e, c.mu_a, c.sig_a, g)
    rho = 0.0 if c.rho is None else c.rho
    w_a = (1.0 - c.pi) * (1.0 - rho) * sa_e
    oc = None if c.warp_c is None else c.warp_c.clock(x0, g)
    sc_e = _sf(c.warp_c, oc, x0, e, c.mu_c, c.sig_c, g) if c.mu_c is not None else np.ones(n)
    w_c = c.pi * sc_e
    with np.errstate(invalid="ignore"):  # NaN plan: no planned date to land on
        w_b = 0.0 if c.rho is None else (1.0 - c.pi) * c.rho * (c.plan > e)
    u = rng.random(n) * (w_a + w_c + w_b)
    pick_c = u < w_c
    pick_b = ~pick_c & (u < w_c + w_b)
    v = rng.random(n)
    t = np.full(n, np.inf)
    a = np.flatnonzero(~(pick_c | pick_b))
    t[a] = _truncated(v[a], x0[a], None if oa is None else oa[a], c.mu_a[a], c.sig_a[a], sa_e[a],
                      c.warp_a, g[a])
    if c.mu_c is not None:
        k = np.flatnonzero(pick_c)
        t[k] = _truncated(v[k], x0[k], None if oc is None else oc[k], c.mu_c[k], c.sig_c[k], sc_e[k],
                          c.warp_c, g[k])
    if c.rho is not None:
        t[pick_b] = c.plan[pick_b]  # on the planned date itself
    kind = np.where(pick_c, 2, 1).astype(np.int8)
    return np.maximum(t, e), kind
