"""Drawing project output: capacity, 达产 and output per quarter in every draw.

What :meth:`OutputModel.sample <forecast.models.output.OutputModel.sample>` does:
projects producing at as_of continue from their own data (the grid posterior of
``tau`` and the capacity, :func:`_posterior_draws`); projects whose production
month falls inside the horizon in a draw start from the priors; the quarters'
output is written by the ``ramp_output`` kernel (:func:`_produce`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

from ..vocab import CATEGORIES
from ._base import Paths
from ._cutcache import cut_cache
from ._output_cut import OutputCut, output_cut
from ._sampling import normal32
from .rampup import ETA_FLOOR, LOG_TAU, STEP, log_prior


@dataclass
class OutputDraws:
    """What :meth:`OutputModel.sample` returns for the rows of ``paths``.

    output : (draws, n, H) 万元 produced (and reported) in each forecast quarter
    full_production : (draws, n) months after the as_of quarter end of 达产;
        NaN = had happened by as_of, inf = not within the horizon (or never)
    capacity : (draws, n) 万元 a year at full production, should the project produce
    reports : (draws, n) whether the project produces output the ledger will see
    months_to_full : (draws, n) months from 投产 to 达产
    """

    output: np.ndarray
    full_production: np.ndarray
    capacity: np.ndarray
    reports: np.ndarray
    months_to_full: np.ndarray


def draw_output(model: Any, ledger_cut: Any, paths: Paths, rng: np.random.Generator,
                all_capacities: bool, output_only: bool) -> OutputDraws:
    """:meth:`OutputModel.sample <forecast.models.output.OutputModel.sample>` of a
    fitted ``model`` whose cut matches ``ledger_cut`` (checked by the caller)."""
    pids = np.asarray(paths.project_ids)
    draws, n, horizon = paths.draws, len(pids), paths.horizon
    if model.no_data_:
        nan = np.full((draws, n), np.nan)
        return OutputDraws(np.zeros((draws, n, horizon)), np.full((draws, n), np.inf, np.float32),
                           nan, np.zeros((draws, n), bool), nan)
    rows = cut_cache(ledger_cut).rows(pids)
    A = output_cut(model, ledger_cut)
    cat, producing, elapsed, full = A.cat[rows], A.producing[rows], A.elapsed[rows], A.full[rows]
    has_rows, stopped = A.has_rows[rows], A.stopped[rows]
    month = np.full((draws, n), np.inf)
    month[:, producing] = -elapsed[producing]
    if "production_date" in paths.months:
        pm = np.asarray(paths.months["production_date"], dtype=float)
        month[:, ~producing] = np.where(np.isfinite(pm[:, ~producing]), pm[:, ~producing], np.inf)
    known_full = np.isfinite(full)
    # what follows costs per project and draw: only projects that can still
    # produce, unless every capacity is wanted
    can = ~stopped & np.isfinite(month).any(axis=0)
    cols = np.arange(n) if all_capacities else np.flatnonzero(can)
    out = np.zeros((draws, n, horizon), dtype=np.float32)
    if not output_only:
        logc = np.full((draws, n), np.nan)
        reports = np.zeros((draws, n), dtype=bool)
        dur = np.repeat(np.where(known_full, full, np.nan)[None, :], draws, axis=0)
        fp = np.repeat(np.where(producing & known_full, np.nan, np.inf)[None, :], draws, axis=0)
    if len(cols):
        c = cols
        r = rows[c]
        mean, pvar, rvar = A.prior.mean[r], A.prior.pvar[r], A.prior.rvar[r]
        # parameter draws shared by a draw's projects: the regression's, or
        # the realisation's for projects with a declared figure
        shift = (rng.standard_normal((draws, A.prior.cap_root.shape[0])) @ A.prior.cap_root.T) @ A.prior.xc[r].T
        has = A.prior.declared[r]
        if has.any():
            z = rng.standard_normal((draws, A.prior.real_root.shape[0]))
            shift = np.where(has[None, :], (z @ A.prior.real_root.T) @ A.prior.xr[r].T, shift)
        ramp = model.ramp_
        lc = mean[None, :] + shift + np.sqrt(rvar)[None, :] * rng.standard_normal((draws, len(c)))
        mu_d = ramp.mu_of(np.arange(len(CATEGORIES)))[None, :] + ramp.mu_se()[None, :] * rng.standard_normal(
            (draws, len(CATEGORIES)))
        lt = mu_d[:, cat[c]] + ramp.sigma_tau * rng.standard_normal((draws, len(c)))
        j = np.flatnonzero(has_rows[c])
        if len(j):
            i = c[j]
            lt[:, j], lc[:, j] = _posterior_draws(model, A, rows[i], mean[j], pvar[j] + rvar[j], draws, rng)
        if not output_only:
            logc[:, c] = lc
        j = np.flatnonzero(can[c])
        if len(j):
            i = c[j]
            rep, du, f = _produce(model, A, rows[i], month[:, i], lt[:, j], lc[:, j], horizon, rng,
                                  out, i, not output_only)
            if not output_only:
                reports[:, i], dur[:, i], fp[:, i] = rep, du, f
    if output_only:
        return OutputDraws(output=out, full_production=None, capacity=None, reports=None,
                           months_to_full=None)
    return OutputDraws(output=out, full_production=fp.astype(np.float32), capacity=np.exp(logc),
                       reports=reports, months_to_full=dur)


def _produce(model: Any, A: OutputCut, r: np.ndarray, month: np.ndarray, log_tau: np.ndarray,
             logc: np.ndarray, horizon: int, rng: np.random.Generator, out: np.ndarray,
             cols: np.ndarray, dates: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Reporting flag, months to 达产 and 达产 month after as_of of projects
    (cut rows ``r``) that can still produce; their output per quarter is
    written to columns ``cols`` of ``out`` (draws, n, horizon), zero before;
    the 达产 month is None unless ``dates``."""
    ramp = model.ramp_
    draws, n = month.shape
    producing, elapsed, full = A.producing[r], A.elapsed[r], A.full[r]
    # a project already reporting output keeps doing so; one starting may never report
    on = np.where(producing | A.has_rows[r], True, rng.random((draws, n)) < A.share[r][None, :])
    known_full = np.isfinite(full)
    eta = max(ramp.eta, 1e-3)  # the draws need no floor; the grid posterior does
    # months from 投产 to 达产: observed, or tied to tau (after as_of for producing projects)
    lo = np.where(producing, np.log(np.maximum(elapsed, 1e-6)), -np.inf)
    v = rng.random((draws, n))
    # every quarter at once, in float32 (output to seven digits is far below its noise),
    # and only for the (draw, project) pairs that produce: in most draws a
    # waiting project does not go into production inside the horizon
    f32 = np.float32
    cap = np.where(on & np.isfinite(month), np.exp(logc), 0.0).ravel()
    live = np.flatnonzero(cap > 0)

    def months_to_full(at: Any) -> np.ndarray:
        """Months from 投产 to 达产 of the pairs at flat positions ``at``."""
        j = at % n
        lt = log_tau.ravel()[at]
        p_min = ndtr((lo[j] - np.log(ramp.kappa) - lt) / eta)
        u = p_min + v.ravel()[at] * (1.0 - p_min)
        d = np.exp(np.log(ramp.kappa) + lt + eta * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
        return np.where(known_full[j], full[j], d)

    # every pair's when the dates are wanted, else only the producing pairs'
    dur = months_to_full(np.arange(draws * n)).reshape(draws, n) if dates else None
    dur_live = dur.ravel()[live] if dates else months_to_full(live)
    # months of reporting after 投产 (the window is drawn for every pair)
    track = dur_live + _window(model.ramp_.window, dur_live, (draws, n), A.reported[r], A.span[r], rng, live)
    if live.size:
        edges, season = A.edges.astype(f32), A.season
        m = month.ravel()[live].astype(f32)
        tau = np.exp(log_tau.ravel()[live]).astype(f32)
        noise = normal32(rng, (live.size, horizon))
        noise *= f32(ramp.sigma)
        noise += ramp.ls[season[:horizon]].astype(f32)
        np.exp(noise, out=noise)
        d, jj = np.divmod(live, n)
        from ._kernels import ramp_output  # numba loads only when a simulation runs

        ramp_output(out, d, cols[jj], m, tau, track.astype(f32), edges[:horizon + 1],
                    noise, (cap[live] / 12.0).astype(f32))
    if not dates:
        return on, dur, None
    fp = month + dur
    fp = np.where(np.isfinite(fp) & (fp < 3.0 * horizon), fp, np.inf)
    fp = np.where(producing[None, :] & known_full[None, :], np.nan, fp)
    return on, dur, fp


def _posterior_draws(model: Any, A: OutputCut, r: np.ndarray, m0: np.ndarray, v0: np.ndarray,
                     draws: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """log tau and log capacity of projects with data (cut rows ``r``): the
    grid posterior with the capacity prior and the 达产 information, then
    capacity given tau."""
    ramp = model.ramp_
    pos = A.pos[r]
    full, elapsed, cat = A.full[r], A.elapsed[r], A.cat[r]
    n_obs = A.n_obs[r][:, None]
    xbar = model.xbar_[pos].astype(float)
    s2 = ramp.sigma**2
    vx = v0[:, None] + s2 / n_obs
    logw = (model.llflat_[pos] - 0.5 * np.log(2 * np.pi * vx) - (xbar - m0[:, None]) ** 2 / (2 * vx)
            + log_prior(ramp.mu_of(cat), ramp.sigma_tau))
    eta = max(ramp.eta, ETA_FLOOR)
    lk = np.log(ramp.kappa) + LOG_TAU[None, :]
    seen = np.isfinite(full)
    with np.errstate(divide="ignore"):
        logw += np.where(seen[:, None], -0.5 * ((np.log(np.where(seen, full, 1.0))[:, None] - lk) / eta) ** 2,
                         np.log(ndtr((lk - np.log(np.maximum(elapsed, 1e-6))[:, None]) / eta)))
    logw -= logsumexp(logw, axis=1, keepdims=True)
    # inverse-CDF draws on every project's grid at once: project j's
    # normalised cumulative weights live in [j, j + 1] of one sorted array
    cum = np.cumsum(np.exp(logw), axis=1)
    cum = cum / cum[:, -1:] + np.arange(len(pos))[:, None]
    u = rng.random((draws, len(pos)))
    G = len(LOG_TAU)
    flat = np.searchsorted(cum.ravel(), u + np.arange(len(pos))[None, :])
    g = np.clip(flat - G * np.arange(len(pos))[None, :], 0, G - 1)
    lt = LOG_TAU[g] + STEP * (rng.random(g.shape) - 0.5)
    xg = np.take_along_axis(xbar, g.T, axis=1).T
    prec = 1.0 / v0[None, :] + n_obs[:, 0][None, :] / s2
    mean = (m0[None, :] / v0[None, :] + n_obs[:, 0][None, :] * xg / s2) / prec
    lc = mean + rng.standard_normal(g.shape) / np.sqrt(prec)
    return lt, lc


def _window(w: np.ndarray, dur: np.ndarray, shape: tuple[int, int], reported: np.ndarray, span: np.ndarray,
            rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    """Months a ledger keeps reporting after 达产, drawn from ``w`` (the sorted
    windows of the projects whose reporting stopped, ``RampFit.window``), given that a project reported from ``reported`` months
    after 投产 for ``span`` months (-inf for one not producing yet). A project
    that has outlasted every window seen stops at the end of that report.
    Drawn for every (draw, project) of ``shape``; returned at the flat
    positions ``at`` only, whose months to 达产 are ``dur``."""
    if len(w) < 5:
        return np.full(at.shape, np.inf)
    u = rng.random(shape).ravel()[at]
    j = at % shape[1]
    bound = reported[j] - dur
    # a project not producing yet (reported -inf) may draw any window
    lo = np.zeros(at.shape, dtype=np.intp)
    seen = np.flatnonzero(np.isfinite(reported[j]))
    if seen.size:
        lo[seen] = np.searchsorted(w, bound[seen], side="right")
    pick = lo + np.floor(u * np.maximum(len(w) - lo, 1)).astype(int)
    return np.where(lo >= len(w), bound + span[j], w[np.minimum(pick, len(w) - 1)])

