"""Prediction from a fitted mixture: per-row components, cumulative incidence
and draws of the next event, truncated at the time already waited."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtr, ndtri

from .clock import op_clock, op_inverse, speeds
from .mixture import MIN_MONTHS, MixtureData, MixtureFit

#: log of an operational duration (months) beyond which the event is "never":
#: a million months is past any horizon, and capping there keeps ``exp`` finite.
LOG_NEVER = float(np.log(1e6))


@dataclass
class Components:
    """Per-row (or per draw and row) mixture parameters of a transition."""

    mu_a: np.ndarray
    sig_a: np.ndarray
    s_a: np.ndarray | None  # (12,) or (draws, 12)
    pi: np.ndarray
    mu_c: np.ndarray | None
    sig_c: np.ndarray | None
    s_c: np.ndarray | None
    rho: np.ndarray | None
    plan: np.ndarray


def components(fit: MixtureFit, d: MixtureData, par: np.ndarray | None = None) -> Components:
    """Mixture parameters for rows ``d`` under ``par`` (default: the estimate).

    With ``par`` of shape ``(k, p)`` every output gets a leading axis ``k``.
    """
    par = fit.params if par is None else par
    sp = fit.spec
    blk = lambda name: fit.block(name, par)  # noqa: E731
    mu_a = blk("ba") @ d.Xa.T + d.off_a
    sig_a = np.exp(blk("ga") @ d.Za.T)
    s_a = speeds(blk("ta")) if sp.warp_advance else None
    pi = expit(blk("bp") @ d.Xp.T + d.off_p)
    mu_c = sig_c = s_c = rho = None
    if sp.cancel_observed:
        mu_c = blk("bc") @ d.Xc.T
        sig_c = np.exp(blk("gc")[..., :1]) * np.ones_like(mu_c)
        s_c = speeds(blk("tc")) if sp.warp_cancel else None
    if sp.bunching:
        rho = np.where(np.isfinite(d.plan), expit(blk("bb") @ d.Xb.T), 0.0)
    return Components(mu_a, sig_a, s_a, pi, mu_c, sig_c, s_c, rho, d.plan)


def _opdur(x0: np.ndarray, t: np.ndarray, s: np.ndarray | None) -> np.ndarray:
    if s is None:
        return np.maximum(t, MIN_MONTHS)
    return np.maximum(op_clock(x0 + t, s) - op_clock(x0, s), MIN_MONTHS)


def _ln_sf(x0, t, mu, sig, s) -> np.ndarray:
    return ndtr(-(np.log(_opdur(x0, t, s)) - mu) / sig)


def bunch_sf(t, plan) -> np.ndarray:
    """P(on-plan event after t): 1 before the planned date, 0 from it on."""
    with np.errstate(invalid="ignore"):
        return (np.nan_to_num(plan, nan=-np.inf) > t).astype(float)


def conditional_cif(c: Components, x0: np.ndarray, e: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(advance by ``t``) and P(cancel by ``t``) for rows alive at elapsed ``e``
    (months since entry), at times ``t >= e`` (same shape as ``e``)."""
    w_a = (1 - c.pi) * (1 - (c.rho if c.rho is not None else 0.0))
    sa_e, sa_t = _ln_sf(x0, e, c.mu_a, c.sig_a, c.s_a), _ln_sf(x0, t, c.mu_a, c.sig_a, c.s_a)
    if c.mu_c is not None:
        sc_e, sc_t = _ln_sf(x0, e, c.mu_c, c.sig_c, c.s_c), _ln_sf(x0, t, c.mu_c, c.sig_c, c.s_c)
    else:
        sc_e = sc_t = np.ones_like(sa_e)
    num_a = w_a * (sa_e - sa_t)
    den = w_a * sa_e + c.pi * sc_e
    if c.rho is not None:
        w_b = (1 - c.pi) * c.rho
        gb_e, gb_t = bunch_sf(e, c.plan), bunch_sf(t, c.plan)
        num_a = num_a + w_b * (gb_e - gb_t)
        den = den + w_b * gb_e
    den = np.maximum(den, 1e-300)
    return num_a / den, c.pi * (sc_e - sc_t) / den


def sample_next(c: Components, x0: np.ndarray, e: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw the outcome of rows alive at elapsed ``e``: months since entry of the
    event and its kind (1 advance, 2 cancel; ``inf`` time = never).

    All arrays broadcast to a common ``(draws, n)`` shape; sampling is from the
    distributions truncated at ``e``, so a project already waiting long is not
    "due" by construction.
    """
    shape = np.broadcast_shapes(np.shape(c.mu_a), np.shape(e))
    x0 = np.broadcast_to(x0, shape)
    e = np.broadcast_to(e, shape)
    sa_e = np.broadcast_to(_ln_sf(x0, e, c.mu_a, c.sig_a, c.s_a), shape)
    w_a = (1 - c.pi) * (1 - (c.rho if c.rho is not None else 0.0)) * sa_e
    if c.mu_c is not None:
        sc_e = np.broadcast_to(_ln_sf(x0, e, c.mu_c, c.sig_c, c.s_c), shape)
    else:
        sc_e = np.ones(shape)
    w_c = np.broadcast_to(c.pi * sc_e, shape)
    w_b = np.zeros(shape)
    if c.rho is not None:
        w_b = np.broadcast_to((1 - c.pi) * c.rho * bunch_sf(e, c.plan), shape)
    tot = w_a + w_c + w_b
    u = rng.random(shape) * tot
    pick_c = u < w_c
    pick_b = (~pick_c) & (u < w_c + w_b)
    pick_a = ~(pick_c | pick_b)

    t = np.full(shape, np.inf)
    kind = np.where(pick_c, 2, 1).astype(np.int8)
    t[pick_a] = _truncated_ln(rng, x0, e, c.mu_a, c.sig_a, c.s_a, sa_e, shape)[pick_a]
    if c.mu_c is not None:
        t[pick_c] = _truncated_ln(rng, x0, e, c.mu_c, c.sig_c, c.s_c, sc_e, shape)[pick_c]
    if c.rho is not None and pick_b.any():
        t[pick_b] = np.broadcast_to(c.plan, shape)[pick_b]  # on the planned date itself
    return np.maximum(t, e), kind


def _truncated_ln(rng, x0, e, mu, sig, s, sf_e, shape) -> np.ndarray:
    """Calendar months since entry of a log-normal op-duration truncated at ``e``."""
    v = rng.random(shape)
    # sf(z) = v * sf(z_e); tiny products mean "far in the future", not an error.
    z = -ndtri(np.clip(v * sf_e, 1e-300, 1.0))
    # A log duration past LOG_NEVER (a million months; a wide parameter draw can
    # reach exp's overflow) is "never": inf, without an overflow warning.
    lop = np.broadcast_to(mu, shape) + np.broadcast_to(sig, shape) * np.minimum(z, 30.0)
    op = np.where(lop > LOG_NEVER, np.inf, np.exp(np.minimum(lop, LOG_NEVER)))
    if s is None:
        return op
    out = np.empty(shape)
    if s.ndim == 1:
        return op_inverse(op_clock(x0, s) + op, s) - x0
    for k in range(shape[0]):
        out[k] = op_inverse(op_clock(x0[k], s[k]) + op[k], s[k]) - x0[k]
    return out
