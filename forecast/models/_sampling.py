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
        # the month: one search in every draw's knots laid end to end, 24 apart
        if not hasattr(self, "_lanes"):
            self._lanes = (self.knots[:, :12] + 24.0 * np.arange(len(self.s))[:, None]).ravel()
        m = np.searchsorted(self._lanes, y + 24.0 * g, side="right") - 1 - 12 * g
        f = m + 13 * g
        return (o - y) + m + (y - self._k.take(f)) / self._s.take(f)


def normal32(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal float32 draws by Box-Muller from float32 uniforms.

    For the many noise terms of a simulation (monthly payments, quarterly
    output): about three times faster here than ``rng.standard_normal`` (whose
    float32 path is no faster than its float64 one), because numpy's float32
    ``log``/``cos``/``sin`` are vectorised. The uniforms' 24 bits bound the
    draws at about 5.8 standard deviations (a tail of 1e-8), which no noise
    term here can tell.
    """
    n = int(np.prod(shape))
    h = (n + 1) // 2
    u = rng.random(2 * h, dtype=np.float32)
    r = np.log1p(-u[:h])  # 1 - u in (0, 1]: finite
    r *= -2.0
    np.sqrt(r, out=r)
    th = u[h:]
    th *= np.float32(2.0 * np.pi)
    out = np.empty(2 * h, dtype=np.float32)
    np.multiply(r, np.cos(th), out=out[:h])
    np.multiply(r, np.sin(th), out=out[h:])
    return out[:n].reshape(shape)


@dataclass
class Group:
    """Entries that share design rows: entry ``e`` is row ``rows[e]`` under
    parameter vector ``g[e]``. ``g=None``: every (row, vector) pair is a
    *cell*, worked out once and shared by the draws that use it; otherwise
    one row per entry, with ``g`` per row. ``e`` (months spent in the stage)
    and ``zone`` (position in the zone draws) are per row. Rows shared by
    entries that entered the stage at different times must have ``e == 0``
    (only then does a cell not depend on the entry clock)."""

    design: MixtureData
    e: np.ndarray
    zone: np.ndarray
    g: np.ndarray | None = None


@dataclass
class Cells:
    """Per cell: what drawing an outcome needs (see :class:`survival.Components`)."""

    g: np.ndarray
    e: np.ndarray
    plan: np.ndarray
    mu_a: np.ndarray
    sig_a: np.ndarray
    sf_a: np.ndarray        # advance survival at the time spent
    mu_c: np.ndarray | None
    sig_c: np.ndarray | None
    sf_c: np.ndarray | None
    w: np.ndarray            # (3, cells) weights of advance, cancel, on-plan
    warp_a: Warp | None
    warp_c: Warp | None


def cells(fit: MixtureFit, groups: list[Group], par: np.ndarray, za: np.ndarray,
          zp: np.ndarray) -> Cells:
    """The cells of ``groups`` (in order) under parameter vectors ``par`` (K, p)
    and zone-effect draws ``za``/``zp`` (K, zones) on the advance location and
    the cancel logit."""
    L, sp = fit.layout, fit.spec
    K = len(par)

    def per_cell(grp: Group, x: np.ndarray) -> np.ndarray:
        return np.repeat(x, K) if grp.g is None else x

    g = np.concatenate([np.tile(np.arange(K), len(grp.e)) if grp.g is None else grp.g
                        for grp in groups])

    def lin(attr: str, block: str) -> np.ndarray:
        B = par[:, L[block]]
        out = []
        for grp in groups:
            X = getattr(grp.design, attr)
            out.append((X @ B.T).ravel() if grp.g is None else np.einsum("ij,ij->i", X, B[grp.g]))
        return np.concatenate(out)

    def cat(f) -> np.ndarray:  # noqa: ANN001
        return np.concatenate([per_cell(grp, f(grp)) for grp in groups])

    x0, e, plan = cat(lambda r: r.design.x0), cat(lambda r: r.e), cat(lambda r: r.design.plan)
    zone = cat(lambda r: r.zone)
    mu_a = lin("Xa", "ba") + za[g, zone]
    sig_a = np.exp(lin("Za", "ga"))
    warp_a = Warp(par[:, L["ta"]]) if sp.warp_advance else None
    sf_a = _sf(warp_a, x0, e, mu_a, sig_a, g)
    pi = expit(lin("Xp", "bp") + zp[g, zone])
    w = np.zeros((3, len(g)))
    mu_c = sig_c = sf_c = warp_c = None
    if sp.cancel_observed:
        mu_c = lin("Xc", "bc")
        sig_c = np.exp(par[g, L["gc"].start])
        warp_c = Warp(par[:, L["tc"]]) if sp.warp_cancel else None
        sf_c = _sf(warp_c, x0, e, mu_c, sig_c, g)
        w[1] = pi * sf_c
    else:
        w[1] = pi  # "never": survives for ever
    rho = 0.0
    if sp.bunching:
        rho = np.where(np.isfinite(plan), expit(lin("Xb", "bb")), 0.0)
        with np.errstate(invalid="ignore"):  # NaN plan: no planned date to land on
            w[2] = (1.0 - pi) * rho * (plan > e)
    w[0] = (1.0 - pi) * (1.0 - rho) * sf_a
    return Cells(g, e, plan, mu_a, sig_a, sf_a, mu_c, sig_c, sf_c, w, warp_a, warp_c)


def _sf(warp: Warp | None, x0: np.ndarray, e: np.ndarray, mu: np.ndarray, sig: np.ndarray,
        g: np.ndarray) -> np.ndarray:
    """Log-normal survival of the operational time spent in ``[x0, x0 + e]``."""
    if warp is None:
        op = np.maximum(e, MIN_MONTHS)
    else:
        op = np.maximum(warp.clock(x0 + e, g) - warp.clock(x0, g), MIN_MONTHS)
    return ndtr((mu - np.log(op)) / sig)


def sample_cells(c: Cells, ce: np.ndarray, x0: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Months since entry of the next event of entries in cells ``ce`` that
    entered the stage at clock ``x0``, and its kind (1 advance, 2 cancel;
    ``inf`` = never), each drawn from the cell's distributions truncated at
    the time already spent in the stage."""
    n = len(ce)
    # the choice's cumulative shares per cell, then one look-up per entry
    with np.errstate(invalid="ignore", divide="ignore"):  # no weight at all: advance
        inv = 1.0 / c.w.sum(axis=0)
        cum_c, cum_b = c.w[1] * inv, (c.w[1] + c.w[2]) * inv
    u = rng.random(n)
    pick_c = u < cum_c[ce]
    pick_b = u < cum_b[ce]
    pick_b &= ~pick_c
    v = rng.random(n)
    # each entry's quantile in its chosen distribution, truncated at the time
    # already spent: sf(z) = v * sf(z_e); tiny products mean "far in the future"
    sf_e = c.sf_a[ce] if c.mu_c is None else np.where(pick_c, c.sf_c[ce], c.sf_a[ce])
    z = -ndtri(np.clip(v * sf_e, 1e-300, 1.0))
    from ._kernels import next_events  # numba loads only when a simulation runs

    none = np.empty(0)
    t = next_events(pick_c, pick_b, z, ce, x0, c.g, c.e, c.plan, c.mu_a, c.sig_a,
                    *(none, none) if c.warp_a is None else (c.warp_a._k, c.warp_a._s),
                    none if c.mu_c is None else c.mu_c, none if c.sig_c is None else c.sig_c,
                    *(none, none) if c.warp_c is None else (c.warp_c._k, c.warp_c._s), LOG_NEVER)
    kind = np.where(pick_c, 2, 1).astype(np.int8)
    return t, kind
