"""Forward simulation of project stages for :meth:`CompletionModel.sample_paths`.

Entries (one project in one draw) waiting in a stage are drawn together, all
draws and parameter vectors at once (:mod:`._sampling`); the entries that
advance inside the horizon wait in the next stage from their event date on, so
a project can pass several milestones in one draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..periods import next_quarters
from ..vocab import CATEGORIES, TRANSITIONS
from ._base import Paths
from ._cutcache import cut_cache, cut_clock
from ._sampling import Group, cells, sample_cells
from ._stages import design, size_design

#: Paths events in milestone order (stage k advances into EVENTS[k]), then cancel.
EVENTS = ("signed_date", "start_date", "completion_date", "production_date",
          "full_production_date", "cancelled_date")
_STARTED = 2


def _state(model: Any, cut: Any, projects: pd.DataFrame, pids: np.ndarray,
           X: float) -> dict[str, np.ndarray]:
    """``model._state`` of the rows of ``projects`` (ids ``pids``), computed once
    per cut for every project of it (projects not in the cut: from their own rows)."""
    cc = cut_cache(cut)
    pos = cc.lookup(pids)
    if (pos < 0).any():
        return model._state(projects, X)
    full = cc.memo(model, f"state@{X}", lambda: model._state(cc.projects, X))
    return {k: v[pos] for k, v in full.items()}


def _zone_draws(eff: Any, zone: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``(size, len(zone))`` draws of the zone effects of codes ``zone`` (-1 =
    unseen: N(0, tau2)); only the zones asked for are drawn."""
    mean = np.where(zone >= 0, eff.mean[np.maximum(zone, 0)], 0.0)
    var = np.where(zone >= 0, eff.var[np.maximum(zone, 0)], eff.tau2)
    return mean + np.sqrt(var) * rng.standard_normal((size, zone.size))


def sample_paths(model: Any, cut: Any, projects: pd.DataFrame, horizon: int,
                 draws: int, rng: np.random.Generator, full_production: bool = True) -> Paths:
    """See :meth:`CompletionModel.sample_paths`."""
    q = cut.cut if cut.cut is not None else model.as_of_
    # the transitions to run: all, or up to producing (the last one is producing → full)
    n_trans = len(model.transitions_) if full_production else EVENTS.index("production_date") + 1
    X = cut_clock(q)
    pids = projects["project_id"].to_numpy()  # one array for every sampler of the chunk
    st = _state(model, cut, projects, pids, X)
    n, shape = len(projects), (draws, len(projects))
    idx, canc = st["idx"], st["cancelled"]
    months: dict[str, np.ndarray] = {}
    for j, ev in enumerate(EVENTS[:n_trans], start=1):
        months[ev] = np.empty(shape, np.float32)
        months[ev][:] = np.where(idx >= j, np.nan, np.inf)
    months["cancelled_date"] = np.empty(shape, np.float32)
    months["cancelled_date"][:] = np.where(canc, np.nan, np.inf)
    plan_out = np.full(shape, np.nan, np.float32)
    plan_out[:, idx == _STARTED] = st["plan"][idx == _STARTED]
    # Completion month of each draw even beyond the horizon (NaN: not sampled,
    # or cancelled first): the spend curve inside the horizon depends on it.
    completion_any = np.full(shape, np.nan, np.float32)
    end = X + 3.0 * horizon
    K = max(1, min(model.param_draws, draws))
    alive = ~canc & (idx >= 0) & (idx < len(TRANSITIONS))
    # zone codes of the chunk (-1: a zone the fit never saw), drawn per transition
    uz, zpos = np.unique(st["zone"], return_inverse=True)
    codes, lsize = st["codes"], st["lsize"]
    # entries that advanced into the current stage inside the horizon
    none_i, none_x = np.empty(0, np.int64), np.empty(0)
    carry_d, carry_i, carry_x, carry_plan = none_i, none_i, none_x, none_x

    for k, tf in enumerate(model.transitions_[:n_trans]):
        init = np.flatnonzero(alive & (idx == k))
        n_init, n_carry = init.size, carry_d.size
        if n_init + n_carry == 0 or tf.fit is None:  # never observed to happen: not within the horizon
            carry_d, carry_i, carry_x, carry_plan = none_i, none_i, none_x, none_x
            continue
        par = tf.fit.draw(K, rng)
        za, zp = _zone_draws(tf.zone_a, uz, K, rng), _zone_draws(tf.zone_p, uz, K, rng)
        # draw-major entries: the projects waiting at the cut in every draw, then the carried
        dd = np.concatenate([np.repeat(np.arange(draws), n_init), carry_d])
        ii = np.concatenate([np.tile(init, draws), carry_i])
        x0 = np.concatenate([np.tile(st["x_in"][init], draws), carry_x])
        ee = np.concatenate([np.tile(st["e"][init], draws), np.zeros(n_carry)])
        g = dd % K
        plan0 = st["plan"][init] if k == _STARTED else np.full(n_init, np.nan)
        # a project waiting at the cut is the same cell in every draw using one
        # parameter vector: its distributions are worked out once per vector
        groups = [Group(design(k, codes[init], lsize[init], st["x_in"][init], plan0, model.centres_),
                        st["e"][init], zpos[init])]
        ce = np.tile(np.arange(n_init) * K, draws) + g[: n_init * draws]
        if n_carry:
            grp, cc = _carried(model, k, carry_i, carry_x, carry_plan, codes, lsize, zpos,
                               g[n_init * draws:], K)
            groups.append(grp)
            ce = np.concatenate([ce, n_init * K + cc])
        t, kind = sample_cells(cells(tf.fit, groups, par, za, zp), ce, x0, rng)
        for ci, cat in enumerate(CATEGORIES):
            how = tf.method.get(cat, "parametric")
            if how == "parametric":
                continue
            sel = np.flatnonzero(codes[ii] == ci)
            if how == "nonparametric" and sel.size:
                t[sel], kind[sel] = tf.aj[cat].sample(ee[sel], rng)
            elif how == "none":
                t[sel] = np.inf
        x_ev = x0 + t
        if k == _STARTED:
            done = kind == 1
            completion_any[dd[done], ii[done]] = x_ev[done] - X
        within = x_ev < end
        adv, can = within & (kind == 1), within & (kind == 2)
        months[EVENTS[k]][dd[adv], ii[adv]] = x_ev[adv] - X
        months["cancelled_date"][dd[can], ii[can]] = x_ev[can] - X
        carry_d, carry_i, carry_x = dd[adv], ii[adv], x_ev[adv]
        carry_plan = none_x
        if k + 1 == _STARTED and carry_d.size:
            carry_plan = _draw_plan(model, codes[carry_i], lsize[carry_i], rng)
            plan_out[carry_d, carry_i] = carry_plan
    return Paths(
        project_ids=pids,
        quarters=next_quarters(q, horizon),
        months=months,
        as_of=q,
        extras={"planned_duration": plan_out, "completion_any": completion_any},
    )


def _carried(model: Any, k: int, i: np.ndarray, x: np.ndarray, plan: np.ndarray,
             codes: np.ndarray, lsize: np.ndarray, zpos: np.ndarray, g: np.ndarray, K: int
             ) -> tuple[Group, np.ndarray]:
    """The group of entries (projects ``i``) that entered stage ``k`` inside the
    horizon at clock ``x``, and each entry's cell in it.

    They have spent no time in the stage, so an entry's distributions depend on
    its clock only through the design: the quarter of year it entered (and, for
    started → completed, its planned duration). Outside that transition the
    entries of one project that entered in the same quarter of year share cells.
    """
    if k == _STARTED:
        d = design(k, codes[i], lsize[i], x, plan, model.centres_)
        return Group(d, np.zeros(i.size), zpos[i], g), np.arange(i.size)
    key = 4 * i + (np.mod(np.floor(x), 12) // 3).astype(np.intp)
    seen = np.zeros(4 * codes.size + 4, dtype=np.intp)
    seen[key] = 1
    uk = np.flatnonzero(seen)
    seen[uk] = np.arange(uk.size)
    p = uk // 4
    # any clock in the right quarter of year stands for the key's entries
    d = design(k, codes[p], lsize[p], 3.0 * (uk % 4), np.full(p.size, np.nan), model.centres_)
    return Group(d, np.zeros(p.size), zpos[p]), seen[key] * K + g


def _draw_plan(model: Any, codes: np.ndarray, lsize: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Planned construction months of entries that start inside the horizon:
    NaN (no plan) for a share ``1 - plan_model_["share"]`` of them, as in the
    ledger (a ledger without plans: all)."""

    pm = model.plan_model_
    share = pm.get("share", 1.0)  # a model saved before the share was kept: every start has a plan
    if share <= 0.0:
        return np.full(codes.shape, np.nan)
    mu = size_design(codes, lsize, model.centres_.log_size) @ pm["beta"]
    plan = np.exp(mu + pm["sd"] * rng.standard_normal(mu.shape))
    if share < 1.0:
        # from a substream: the draws after these stay as they were
        u = np.random.Generator(rng.bit_generator.jumped()).random(plan.shape)
        plan[u >= share] = np.nan
    return plan
