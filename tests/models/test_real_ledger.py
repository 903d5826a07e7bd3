"""The models on a real ledger nobody here designed (World Bank projects,
countries as zones; a copy of ../shared/data/real/worldbank-projects, see its README)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from forecast.ledger import load
from forecast.models import SpendModel
from forecast.models.spend import ledger_seasonal

REAL = Path(__file__).resolve().parents[1] / "data" / "worldbank-projects"


@pytest.fixture(scope="module")
def ledger():
    return load(REAL)


def test_spending_calendar_of_the_real_ledger(ledger) -> None:
    """Disbursement peaks in the last month of each quarter, June among the
    highest: the monthly factors estimated from the ledger say so."""
    season, years = ledger_seasonal(ledger.progress)
    assert years >= 8
    quarter_end = season[[2, 5, 8, 11]]
    assert quarter_end.mean() > 1.1 > 1.0 > np.delete(season, [2, 5, 8, 11]).mean()
    assert 5 in np.argsort(season)[-3:]


def test_real_spend_curves_are_not_degenerate(ledger) -> None:
    """Fitted on the whole real ledger (where an unbounded fit gave industrial
    Beta a ≈ 3e-7, all spending at the first instant), every category's curve
    stays inside the bounds and any fallback is announced."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = SpendModel().fit(ledger, "2010Q4")
    s = model.summary()
    for what in ("beta_a", "beta_b"):
        est = s.loc[s["what"] == what, "estimate"].to_numpy()
        assert (est >= 0.2).all() and (est <= 50).all()
    shares = s.loc[s["what"] == "spend_curve", "estimate"]
    assert shares.between(0.01, 0.99).all()  # spending spread over construction
    messages = [str(w.message) for w in caught if "SpendModel" in str(w.message)]
    assert all("category" in m or "pooled" in m for m in messages)
    # The Beta curves that fail against the ledger's own curve (near even
    # spending over construction here) are replaced by it, and the warning
    # says which and why.
    use = model.curve_["use_empirical"]
    assert use.any()
    assert any("use the ledger's empirical curve" in m for m in messages)
    for ci in np.flatnonzero(use[:-1]):
        assert model.curve_at(ci, np.array([0.25, 0.5, 0.75])) == pytest.approx(
            model.curve_["empirical"]["curves"][ci][[64, 128, 192]])



def test_failed_goodness_of_fit_is_announced_by_transition_and_category(ledger) -> None:
    """On the real ledger at 2008Q4 the log-normal start times of some
    categories fail the check against Aalen-Johansen: the fallback is warned,
    naming the transition and each such category with its gap."""
    from forecast.models import CompletionModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = CompletionModel(pace_window=0).fit(ledger, "2008Q4")
    messages = [str(w.message) for w in caught if str(w.message).startswith("CompletionModel")]
    fallen = {(tf.name, c) for tf in model.transitions_ for c, how in tf.method.items()
              if how == "nonparametric"}
    assert fallen, "the real ledger is expected to fail the check somewhere"
    for name, cat in fallen:
        assert any(name in m and f"'{cat}' (gap" in m for m in messages), (name, cat)
    assert len(messages) == len({name for name, _ in fallen})


def test_under_construction_sum_of_means_near_actual(ledger) -> None:
    """Projects under construction at 2007Q4, next four quarters: the sum of
    the forecast means is near what they spent (1.52× with the total drawn
    from a normal log overrun and a payment noise fitted on log spend of the
    paying months, which left spend to date all but ignored)."""
    import pandas as pd

    from forecast.models import CompletionModel

    q = pd.Period("2007Q4", "Q")
    cut = ledger.as_of(q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm, sm = CompletionModel().fit(ledger, q), SpendModel().fit(ledger, q)
    rng = np.random.default_rng(7)
    paths = cm.sample_paths(cut, cut.projects, 4, 200, rng)
    mean = sm.sample_investment(cut, paths, rng).sum(axis=2).mean(axis=0)
    prog = ledger.progress
    later = prog[(prog["period_end"] > q.end_time) & (prog["period_end"] <= (q + 4).end_time)]
    actual = later.groupby("project_id")["investment"].sum().reindex(cut.projects["project_id"]).fillna(0.0)
    started = (cut.stage_at(q.end_time.normalize()) == "started").to_numpy()
    assert started.sum() > 300
    ratio = mean[started].sum() / actual.to_numpy()[started].sum()
    assert ratio == pytest.approx(1.0, abs=0.15)


def test_new_starts_complete_as_the_ledgers_own_projects(ledger) -> None:
    """The ledger records no planned completion dates: projects that start
    inside the horizon get no plan either, and take as long as the ledger's
    own projects (Kaplan-Meier median of start → completion 74 months at
    2008Q4, 2% done within 30 months). A default plan drawn for them sent half
    to complete on it (median 26 months, 59% within 30)."""
    from lifelines import KaplanMeierFitter

    from forecast.models import CompletionModel
    from forecast.models._stages import cut_clock
    from forecast.models.survival import month_clock

    q = "2008Q4"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = CompletionModel().fit(ledger, q)
    assert model.plan_model_["share"] == 0.0
    cut = ledger.as_of(q)
    P = cut.projects
    xs, xc = month_clock(P["start_date"]), month_clock(P["completion_date"])
    ok = np.isfinite(xs)
    dur = np.where(np.isfinite(xc), xc, cut_clock(model.as_of_))[ok] - xs[ok]
    km = KaplanMeierFitter().fit(dur, np.isfinite(xc[ok]))
    waiting = P.loc[P["start_date"].isna() & P["cancelled_date"].isna()]
    paths = model.sample_paths(cut, waiting, 16, 100, np.random.default_rng(1))
    start = paths.months["start_date"]
    new = np.isfinite(start)
    assert new.sum() > 1000
    d = (paths.extras["completion_any"] - start)[new]
    d = d[np.isfinite(d)]
    assert np.all(np.isnan(paths.extras["planned_duration"][new]))
    assert np.median(d) == pytest.approx(km.median_survival_time_, rel=0.2)
    assert np.mean(d <= 30) < 3 * (1 - km.predict(30.0)) + 0.02
