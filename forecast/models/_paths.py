"""Forward simulation of project stages for :meth:`CompletionModel.sample_paths`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..periods import next_quarters
from ..vocab import CATEGORIES, TRANSITIONS
from ._base import Paths
from ._stages import cut_clock
from .survival import components, sample_next

if TYPE_CHECKING:
    from .completion import CompletionModel

#: Paths events in milestone order (stage k advances into EVENTS[k]), then cancel.
EVENTS = ("signed_date", "start_date", "completion_date", "production_date",
          "full_production_date", "cancelled_date")
_STARTED = 2


def sample_paths(model: "CompletionModel", cut: Any, projects: pd.DataFrame, horizon: int,
                 draws: int, rng: np.random.Generator) -> Paths:
    """See :meth:`CompletionModel.sample_paths`."""
    q = cut.cut if cut.cut is not None else model.as_of_
    X = cut_clock(q)
    st = model._state(projects, X)
    n, shape = len(projects), (draws, len(projects))
    idx, canc = st["idx"], st["cancelled"]
    months: dict[str, np.ndarray] = {}
    for j, ev in enumerate(EVENTS[:-1], start=1):
        months[ev] = np.broadcast_to(np.where(idx >= j, np.nan, np.inf), shape).astype(np.float32)
    months["cancelled_date"] = np.broadcast_to(np.where(canc, np.nan, np.inf), shape).astype(np.float32)

    stage = np.broadcast_to(idx, shape).copy()
    alive = np.broadcast_to(~canc & (idx >= 0) & (idx < len(TRANSITIONS)), shape).copy()
    x_in = np.broadcast_to(st["x_in"], shape).copy()
    elapsed = np.broadcast_to(st["e"], shape).copy()
    plan = np.broadcast_to(np.where(idx == _STARTED, st["plan"], np.nan), shape).copy()
    # Completion month of each draw even beyond the horizon (NaN: not sampled,
    # or cancelled first): the spend curve inside the horizon depends on it.
    completion_any = np.full(shape, np.nan)
    end = X + 3.0 * horizon
    K = max(1, min(model.param_draws, draws))
    n_zones = len(model.zone_ids_)
    zcode = np.where(st["zone"] >= 0, st["zone"], n_zones)  # last column: an unseen zone

    for k, tf in enumerate(model.transitions_):
        m = alive & (stage == k)
        if not m.any():
            continue
        if tf.fit is None:  # never observed to happen: not within the horizon
            alive[m] = False
            continue
        par = tf.fit.draw(K, rng)
        za, zp = tf.zone_a.draw(K, rng), tf.zone_p.draw(K, rng)
        for g in range(K):
            dsub, ii = np.nonzero(m[g::K])
            if ii.size == 0:
                continue
            dd = g + K * dsub
            x0, ee = x_in[dd, ii], elapsed[dd, ii]
            pl = plan[dd, ii] if k == _STARTED else np.full(ii.size, np.nan)
            d = tf.design(st["codes"][ii], st["lsize"][ii], x0, pl, model.centres_, st["zone"][ii],
                          zone_a=za[g, zcode[ii]], zone_p=zp[g, zcode[ii]])
            t, kind = sample_next(components(tf.fit, d, par[g]), x0, ee, rng)
            for ci, cat in enumerate(CATEGORIES):
                how = tf.method.get(cat, "parametric")
                sel = st["codes"][ii] == ci
                if how == "nonparametric" and sel.any():
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
            stage[dd[adv], ii[adv]] = k + 1
            x_in[dd[adv], ii[adv]] = x_ev[adv]
            elapsed[dd[adv], ii[adv]] = 0.0
            alive[dd[~adv], ii[~adv]] = False
            if k + 1 == _STARTED and adv.any():
                plan[dd[adv], ii[adv]] = _draw_plan(model, st["codes"][ii[adv]], st["lsize"][ii[adv]], rng)
    return Paths(
        project_ids=projects["project_id"].to_numpy(),
        quarters=next_quarters(q, horizon),
        months=months,
        as_of=q,
        extras={"planned_duration": plan.astype(np.float32),
                "completion_any": completion_any.astype(np.float32)},
    )


def _draw_plan(model: "CompletionModel", codes: np.ndarray, lsize: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Planned construction months of projects that start inside the horizon."""
    from .completion import plan_design

    pm = model.plan_model_
    mu = plan_design(codes, lsize, model.centres_) @ pm["beta"]
    return np.exp(mu + pm["sd"] * rng.standard_normal(mu.shape))
