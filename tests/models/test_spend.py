"""SpendModel: recovery of the S-curve, seasonality and overrun; calibration of
2023 investment per project on data the fit did not see; edge cases."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy.special import betainc
from _model_fits import SYNTH, advance_then_late, completion_fit, sample_ledger, spend_fit, synthetic_ledger, truth

from forecast.exceptions import NotFittedError
from forecast.models import Paths, SpendModel
from forecast.sample import DEFAULT_TRUTH
from forecast.vocab import CATEGORIES

EVENTS = ("signed_date", "start_date", "completion_date", "production_date",
          "full_production_date", "cancelled_date")


def _rows(s: pd.DataFrame, what: str) -> pd.DataFrame:
    return s[s["what"] == what]


# --- recovery --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_summary() -> pd.DataFrame:
    return spend_fit("2025Q4").summary()


def test_spend_quarter_factors_recovered(sample_summary) -> None:
    q = _rows(sample_summary, "spend_quarter_factor")
    true = truth()["spend_quarter_factor"]
    err = [row.estimate - true[int(row.at)] for row in q.itertuples()]
    assert len(err) == 4
    assert np.max(np.abs(err)) < 0.1
    assert ((q["lo"] <= q["hi"]) & (q["lo"] < q["estimate"] + 1e-9)).all()


def test_s_curve_recovered(sample_summary) -> None:
    """The generator spends along a Beta(1.8, 2.2) CDF in every category."""
    a, b = DEFAULT_TRUTH.spend_beta
    for what, value in (("beta_a", a), ("beta_b", b)):
        est = _rows(sample_summary, what).set_index("category")["estimate"]
        assert set(est.index) == set(CATEGORIES)
        assert np.max(np.abs(est / value - 1)) < 0.05


def test_overrun_median_within_five_percent(sample_summary) -> None:
    est = _rows(sample_summary, "overrun_median").set_index("category")["estimate"]
    true = pd.Series(truth()["overrun_median"])
    assert len(est) == 6
    assert np.max(np.abs(est / true[est.index] - 1)) < 0.05


def test_synthetic_curve_and_seasonality_recovered() -> None:
    """An independent ledger with a right-leaning curve Beta(2.5, 1.5)."""
    model = SpendModel().fit(synthetic_ledger(), "2024Q4")
    s = model.summary()
    sp = SYNTH["spend"]
    for cat in SYNTH["categories"]:
        row = s[(s["what"] == "beta_a") & (s["category"] == cat)]
        assert row["estimate"].iloc[0] == pytest.approx(sp["a"], rel=0.05)
        row = s[(s["what"] == "beta_b") & (s["category"] == cat)]
        assert row["estimate"].iloc[0] == pytest.approx(sp["b"], rel=0.05)
    season = np.asarray(sp["season"]) / np.mean(sp["season"])
    est = _rows(s, "spend_quarter_factor")["estimate"].to_numpy()
    assert est == pytest.approx(season.reshape(4, 3).mean(axis=1), abs=0.05)
    assert model.curve_["sigma"] == pytest.approx(sp["noise"], rel=0.15)


# --- calibration on 2023 -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def forecast_2023() -> pd.DataFrame:
    """Fit both models at 2022Q4, draw 2023 investment per project, and join
    what the ledger shows for 2023."""
    ledger = sample_ledger()
    cut = ledger.as_of("2022Q4")
    rng = np.random.default_rng(2023)
    paths = completion_fit("2022Q4").sample_paths(cut, cut.projects, 4, 400, rng)
    inv = spend_fit("2022Q4").sample_investment(cut, paths, rng).sum(axis=2)
    prog = ledger.progress
    actual = (prog[prog["period_end"].between("2023-01-01", "2023-12-31")]
              .groupby("project_id")["investment"].sum()
              .reindex(cut.projects["project_id"]).fillna(0.0).to_numpy())
    lo, hi = np.quantile(inv, [0.1, 0.9], axis=0)
    return pd.DataFrame({"project_id": cut.projects["project_id"], "stage": cut.stage_at("2022-12-31"),
                         "lo": lo, "hi": hi, "mean": inv.mean(axis=0), "actual": actual})


def test_eighty_percent_interval_covers_70_to_90_percent(forecast_2023) -> None:
    """Projects with anything at stake (not both nothing forecast and nothing spent)."""
    f = forecast_2023
    live = ~((f["hi"] == 0) & (f["actual"] == 0))
    cover = ((f["actual"] >= f["lo"]) & (f["actual"] <= f["hi"]))[live]
    assert live.sum() > 500
    assert 0.70 <= cover.mean() <= 0.90


def test_under_construction_coverage_and_total(forecast_2023) -> None:
    f = forecast_2023[forecast_2023["stage"] == "started"]
    cover = ((f["actual"] >= f["lo"]) & (f["actual"] <= f["hi"])).mean()
    assert 0.70 <= cover <= 0.90
    assert f["mean"].sum() == pytest.approx(f["actual"].sum(), rel=0.10)


def test_nothing_forecast_for_finished_projects(forecast_2023) -> None:
    done = forecast_2023["stage"].isin(["completed", "producing", "full_production", "cancelled"])
    assert done.sum() > 100
    assert (forecast_2023.loc[done, "hi"] == 0).all()


# --- behaviour on hand-made paths -----------------------------------------------------------------
def _one_project_paths(cut, pid: str, draws: int, horizon: int, completion_any: float = np.nan,
                       **months: float) -> Paths:
    m = {ev: np.full((draws, 1), np.inf, dtype=np.float32) for ev in EVENTS}
    for ev, value in months.items():
        m[ev][:] = value
    extras = {"completion_any": np.full((draws, 1), completion_any, np.float32),
              "planned_duration": np.full((draws, 1), np.nan, np.float32)}
    return Paths(np.array([pid]), pd.period_range(cut.cut + 1, periods=horizon, freq="Q"), m,
                 cut.cut, extras)


def _project(cut, stage: str) -> pd.Series:
    p = cut.projects.assign(stage=cut.stage_at(cut.cut.end_time.normalize()).to_numpy())
    return p[p["stage"] == stage].iloc[0]


def test_project_not_started_spends_only_after_its_start() -> None:
    cut = sample_ledger().as_of("2022Q4")
    row = _project(cut, "signed")
    paths = _one_project_paths(cut, row["project_id"], 300, 8, start_date=4.5, completion_any=4.5 + 15)
    inv = spend_fit("2022Q4").sample_investment(cut, paths, np.random.default_rng(1))
    assert (inv[:, 0, 0] == 0).all()
    assert (inv[:, 0, 1] > 0).all()
    # The whole construction lies inside 8 quarters: the draws spend planned × overrun.
    total = inv.sum(axis=2)[:, 0] / row["planned_investment"]
    median_overrun = truth()["overrun_median"][row["category"]]
    assert np.median(total) == pytest.approx(median_overrun, rel=0.05)


def test_project_over_budget_never_gets_negative_spend() -> None:
    """A project that has already spent more than planned keeps spending
    something while it builds, and never a negative amount."""
    ledger = sample_ledger()
    cut = ledger.as_of("2022Q4")
    row = _project(cut, "started")
    spent = cut.progress.loc[cut.progress["project_id"] == row["project_id"], "investment"].sum()
    over = cut.projects.copy()
    over.loc[over["project_id"] == row["project_id"], "planned_investment"] = spent / 1.3
    from dataclasses import replace

    cut_over = replace(cut, projects=over)
    paths = _one_project_paths(cut, row["project_id"], 300, 4, completion_any=9.0)
    inv = spend_fit("2022Q4").sample_investment(cut_over, paths, np.random.default_rng(2))
    assert (inv >= 0).all()
    assert (inv.sum(axis=2) > 0).mean() > 0.9


def test_cancelled_project_stops_spending() -> None:
    cut = sample_ledger().as_of("2022Q4")
    row = _project(cut, "started")
    paths = _one_project_paths(cut, row["project_id"], 200, 4, cancelled_date=4.0)
    inv = spend_fit("2022Q4").sample_investment(cut, paths, np.random.default_rng(3))
    assert (inv[:, 0, 0] > 0).all()
    assert (inv[:, 0, 2:] == 0).all()


# --- contracts --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda m: m.summary(),
    lambda m: m.plot(),
    lambda m: m.seasonal(),
])
def test_use_before_fit_raises(call) -> None:
    with pytest.raises(NotFittedError, match="call fit first"):
        call(SpendModel())


def test_summary_table_and_plot() -> None:
    model = spend_fit("2025Q4")
    s = model.summary()
    assert list(s.columns[:7]) == ["what", "category", "at", "estimate", "lo", "hi", "n"]
    assert {"spend_curve", "spend_quarter_factor", "overrun_median", "overrun_log_sd",
            "payment_noise_sd"} <= set(s["what"])
    assert "<table" in s._repr_html_()
    ax = model.plot()
    assert len(ax.get_lines()) == len(CATEGORIES)
    assert model.plot(ax=ax) is ax


def test_ledger_without_spend_history_falls_back_with_a_warning() -> None:
    from dataclasses import replace

    ledger = synthetic_ledger()
    bare = replace(ledger, progress=ledger.progress.iloc[:0])
    with pytest.warns(UserWarning, match="default Beta"):
        model = SpendModel().fit(bare, "2024Q4")
    assert model.curve_["fallback"]
    assert model.seasonal() == pytest.approx(np.ones(12))


# --- the ledger's own shape -----------------------------------------------------------------------
def test_a_different_calendar_is_recovered() -> None:
    """A generated ledger whose spending peaks in June and December (and is
    slack in spring) has those peaks in the fitted monthly factors."""
    from dataclasses import replace

    from forecast.sample import generate

    calendar = (0.8, 0.7, 0.8, 0.8, 0.9, 2.0, 0.8, 0.7, 0.8, 0.8, 0.9, 2.0)
    ledger = generate(zones=3, seed=4, truth=replace(DEFAULT_TRUTH, spend_season=calendar))
    model = SpendModel().fit(ledger, "2025Q4")
    est = model.seasonal()
    true = np.asarray(calendar) / np.mean(calendar)
    assert set(np.argsort(est)[-2:]) == {5, 11}  # June and December on top
    assert np.max(np.abs(est - true)) < 0.2
    assert np.corrcoef(est, true)[0, 1] > 0.95
    assert model.curve_["season_years"] >= 8


def test_front_loaded_curve_is_not_degenerate() -> None:
    """A ledger that spends most of a project early (Beta(0.7, 3)) gets a
    front-loaded curve, not all spending at the first instant."""
    from dataclasses import replace

    from forecast.sample import generate

    ledger = generate(zones=3, seed=4, truth=replace(DEFAULT_TRUTH, spend_beta=(0.7, 3.0)))
    model = SpendModel().fit(ledger, "2025Q4")
    s = model.summary()
    a = _rows(s, "beta_a")["estimate"].to_numpy()
    b = _rows(s, "beta_b")["estimate"].to_numpy()
    assert (a >= 0.25).all() and (b >= 0.25).all()
    assert np.median(a) == pytest.approx(0.7, rel=0.25) and np.median(b) == pytest.approx(3.0, rel=0.3)
    half = _rows(s, "spend_curve").query("at == 0.5")["estimate"]
    assert half.between(0.7, 0.97).all()  # front-loaded: most of it spent by half time


def test_degenerate_category_falls_back_with_a_warning(monkeypatch) -> None:
    """A category whose own curve lands on a bound of the fit takes the
    pooled curve, and says so naming the category."""
    import forecast.models.spend as spend

    k = 7
    par = np.zeros(2 * k + 11)
    par[0] = par[k] = np.log(2.0)
    par[3] = -spend._DEV_BOUND  # agriculture's a deviation on its bound
    lo = np.full(par.size, -np.inf)
    hi = np.full(par.size, np.inf)
    lo[:2 * k], hi[:2 * k] = -spend._DEV_BOUND, spend._DEV_BOUND
    lo[[0, k]], hi[[0, k]] = spend._LOG_AB_BOUNDS
    notes: list[str] = []
    out = spend._checked(par, k, np.array([0, 1, 2, 3]), lo, hi, notes)
    assert out[3] == 0.0 and out[k + 3] == 0.0 and out[0] == par[0]
    assert len(notes) == 1 and "'agriculture' is degenerate" in notes[0]
    with pytest.warns(UserWarning, match="SpendModel spend curve: .*'agriculture' is degenerate"):
        spend._warn_curve(notes, np.zeros(len(CATEGORIES) + 1, dtype=bool), None)


def test_curve_that_is_not_a_beta_is_recovered_by_the_empirical_fallback() -> None:
    """A ledger spending an advance then a late hump (no Beta CDF has that
    shape): the Beta fit fails the goodness-of-fit check, the warning names
    the model and the categories, and the curve the forecasts use is the
    true one."""
    ledger = synthetic_ledger(curve="advance_then_late")
    with pytest.warns(UserWarning, match="SpendModel spend curve: .*'industrial'.*'services'"):
        model = SpendModel().fit(ledger, "2024Q4")
    # from 15% of construction on: a monthly ledger cannot show the shape
    # inside a project's first month or two
    u = np.linspace(0.15, 0.95, 17)
    for cat in SYNTH["categories"]:
        ci = CATEGORIES.index(cat)
        assert model.curve_["use_empirical"][ci]
        assert model.curve_at(ci, u) == pytest.approx(advance_then_late(u), abs=0.03)
    s = model.summary()
    used = _rows(s, "spend_curve_empirical").set_index("category")["estimate"]
    assert (used[list(SYNTH["categories"])] == 1.0).all()
    half = _rows(s, "spend_curve").query("at == 0.5").set_index("category")
    assert half.loc[list(SYNTH["categories"]), "estimate"].to_numpy() == pytest.approx(
        advance_then_late(np.array(0.5)), abs=0.03)
    assert (half["lo"] < half["estimate"]).all() and (half["estimate"] < half["hi"]).all()


def test_beta_ledger_keeps_the_beta_curve() -> None:
    """The check passes a ledger whose curve is a Beta: no fallback, no warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SpendModel().fit(synthetic_ledger(), "2024Q4")
    assert not model.curve_["use_empirical"].any()
    u = np.linspace(0.05, 0.95, 19)
    emp = model.curve_["empirical"]["pooled"]
    assert np.interp(u, np.linspace(0, 1, emp.size), emp) == pytest.approx(
        betainc(SYNTH["spend"]["a"], SYNTH["spend"]["b"], u), abs=0.03)


def test_overrun_draws_keep_the_ledgers_shape() -> None:
    """Totals that stop near a ceiling (1.2 × plan) but one project in five
    falls far short: a long left tail in logs. The draws keep the shape, so
    their mean is the ledger's mean and none exceeds the ceiling by much; a
    normal of the same log spread would draw many."""
    import forecast.models._spend_sampling as ss
    import forecast.models.spend as spend

    rng = np.random.default_rng(3)
    n = 400
    short = rng.random(n) < 0.2
    ratio = np.where(short, 0.2 + 0.6 * rng.random(n), 1.2 * np.exp(0.03 * rng.standard_normal(n)))
    codes, lsize = np.zeros(n, dtype=np.int64), np.full(n, 10.0)
    ov = spend._fit_overrun(ratio, codes, lsize, 10.0, np.zeros(n))
    X = np.r_[1.0, np.zeros(ov["beta"].size - 1)]
    m0 = float(X @ ov["beta"])
    v0 = ov["sigma"] ** 2 * (1.0 + X @ ov["xtx_inv"] @ X)
    draws = np.exp(m0 + np.sqrt(v0) * ss._overrun_shape(ov, rng, (20000,)))
    assert draws.mean() == pytest.approx(ratio.mean(), rel=0.03)
    assert draws.max() < 1.05 * ratio.max()  # bounded by what the ledger shows
    # what the shape corrects: a normal draws overruns the ledger never shows
    normal = np.exp(m0 + np.sqrt(v0) * rng.standard_normal(20000))
    assert (normal > 1.05 * ratio.max()).mean() > 0.05


def test_payment_noise_of_lumpy_payments_recovered() -> None:
    """A ledger whose projects pay in three months out of ten (each payment
    10/3 of the month's share): the payment factor's variance is 7/3, a
    log-normal sd of sqrt(log(10/3)) ≈ 1.10. The fit finds it from the
    variance of quarterly spend around the curve; the log spread of the
    paying months alone (all alike here) says far less."""
    import warnings

    with warnings.catch_warnings():
        # Lumpy payments move the mean of the projects' own shares a little
        # (about 0.02 at mid-construction), enough for the curve check to
        # prefer the empirical curve: not what this test is about.
        warnings.simplefilter("ignore")
        model = SpendModel().fit(synthetic_ledger(lumpy=0.3), "2024Q4")
    true = np.sqrt(np.log(1.0 + 0.7 / 0.3))
    assert model.curve_["sigma"] == pytest.approx(true, rel=0.15)
    assert abs(model.curve_["sigma_log"] / true - 1) > 0.3
    s = model.summary()
    assert _rows(s, "payment_noise_sd")["estimate"].iloc[0] == pytest.approx(model.curve_["sigma"])


def test_overrun_drift_followed_not_extrapolated() -> None:
    """Overruns that fall 5% a year with the start date (as when spend and
    plan are in different years' money): the fit finds the drift, and a
    project starting after the fitted ones gets the latest level, not a
    trend carried on past the data."""
    import forecast.models.spend as spend

    rng = np.random.default_rng(5)
    n = 600
    start = rng.uniform(0, 120, n)  # month clock: ten years of starts
    ratio = np.exp(0.3 - 0.05 * start / 12 + 0.05 * rng.standard_normal(n))
    codes, lsize = np.zeros(n, dtype=np.int64), np.full(n, 10.0)
    ov = spend._fit_overrun(ratio, codes, lsize, 10.0, start)
    assert ov["beta"][-1] == pytest.approx(-0.05, abs=0.005)

    def level(t: float) -> float:
        X = spend.overrun_design(ov, codes[:1], lsize[:1], 10.0, np.array([t]), np.nan)
        return float(np.exp(X @ ov["beta"])[0])

    assert level(118.0) == pytest.approx(np.exp(0.3 - 0.05 * 118 / 12), rel=0.02)
    assert level(200.0) == pytest.approx(level(ov["start_range"][1]))  # held, not extrapolated
    X = spend.overrun_design(ov, codes[:1], lsize[:1], 10.0, np.array([np.nan]), 200.0)
    assert float(np.exp(X @ ov["beta"])[0]) == pytest.approx(level(200.0))  # not started: the cut


def test_project_shares_equal_every_knot_of_every_row() -> None:
    """The empirical curve's per-project shares (a running sum, computing only
    the knots a row lies inside) equal the direct sum over every knot of every
    row, including rows before the start, after the completion, one day long
    and ending exactly on a knot."""
    from forecast.models._spend_curve import GRID, project_shares

    rng = np.random.default_rng(3)
    n_proj = 60
    xs = rng.uniform(0, 100, n_proj)
    xc = xs + rng.uniform(1 / 30, 60, n_proj)
    xc[0] = xs[0]  # completed the day it started
    xs[1], xc[1] = 10.0, 10.0 + 255 / 30 - 1 / 30  # length 8.5 months: knots at exact row ends
    pidx = np.repeat(np.arange(n_proj), 40)
    first = np.floor(xs[pidx] + rng.uniform(-6, 1, pidx.size) * (xc - xs + 1)[pidx])
    last = first + rng.choice([0.0, 2.0], pidx.size)
    amount = rng.lognormal(0, 1, pidx.size)
    amount[::7] = 0.0  # no spend: left out
    rows = {"pidx": pidx, "first": first, "last": last, "investment": amount}
    sel = np.arange(1, n_proj)  # project 0 excluded as a caller would
    cum, grp = project_shares(rows, sel, xs, xc)

    keep = np.isin(pidx, sel) & (amount > 0)
    p, a = pidx[keep], amount[keep]
    length = xc[p] + 1 / 30 - xs[p]
    u0 = np.clip((first[keep] - xs[p]) / length, 0, 1)
    u1 = np.clip((last[keep] + 1 - xs[p]) / length, 0, 1)
    step = np.minimum(1 / length, 1)
    early, late = u1 <= u0, (u1 <= u0) & (u0 >= 1)
    u0, u1 = np.where(late, 1 - step, u0), np.where(early & ~late, step, u1)
    knots = np.linspace(0, 1, GRID)
    direct = np.zeros((grp.size, GRID))
    for i, proj in enumerate(grp):
        r = p == proj
        direct[i] = (a[r, None] * np.clip((knots - u0[r, None]) / (u1 - u0)[r, None], 0, 1)).sum(axis=0)
    direct /= direct[:, -1:]
    assert grp.tolist() == sorted(set(p.tolist()))
    np.testing.assert_allclose(cum, direct, rtol=0, atol=1e-13)
    assert (early & ~late).any() and late.any()


def test_empirical_curves_of_a_large_ledger_from_a_seeded_subset() -> None:
    """Beyond ``max_empirical`` completed projects the empirical curves and
    the payment noise are measured on a seeded random subset: the curves stay
    within sampling error of the whole ledger's, the same seed gives the same
    subset, and a ledger under the cap uses every project."""
    full = spend_fit("2025Q4")
    n = full.curve_["empirical"]["n_projects"]
    assert n > 600
    small = SpendModel(max_empirical=600).fit(sample_ledger(), "2025Q4")
    again = SpendModel(max_empirical=600).fit(sample_ledger(), "2025Q4")
    other = SpendModel(max_empirical=600, seed=1).fit(sample_ledger(), "2025Q4")
    emp, whole = small.curve_["empirical"], full.curve_["empirical"]
    assert emp["n_projects"] == 600
    np.testing.assert_array_equal(emp["pooled"], again.curve_["empirical"]["pooled"])
    assert not np.array_equal(emp["pooled"], other.curve_["empirical"]["pooled"])
    # the pooled mean of 600 of them: within four of its standard errors of the whole's
    se = whole["se"].min(axis=0) * np.sqrt(n / 600)
    assert np.all(np.abs(emp["pooled"] - whole["pooled"]) <= 4 * se + 1e-12)
    assert abs(small.curve_["sigma"] - full.curve_["sigma"]) < 0.1 * full.curve_["sigma"]
    # the Beta curve, fitted on its own subset, is untouched by this one
    np.testing.assert_array_equal(small.curve_["par"], full.curve_["par"])
