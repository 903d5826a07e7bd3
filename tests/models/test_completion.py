"""CompletionModel: estimation core, recovery of known truth, calibration on
data the fit did not see, censoring, paths."""

from __future__ import annotations

import functools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from _model_fits import (SYNTH, big_ledger, completion_fit, sample_ledger, synthetic_ledger,
                         synthetic_truth, truth)
from lifelines import AalenJohansenFitter, KaplanMeierFitter, LogNormalAFTFitter
from scipy import stats

from forecast.exceptions import ForecastError, NotFittedError
from forecast.models import CompletionModel, Paths
from forecast.models._stages import category_codes, cut_clock, ledger_origin, transition_rows
from forecast.models.nonparametric import aalen_johansen
from forecast.sample import complete_data_truth
from forecast.models.survival import MixtureData, MixtureSpec, components, fit_mixture, sample_next
from forecast.vocab import STAGE_DATE

END_2023 = pd.Timestamp("2023-12-31")


# --- the estimation core -------------------------------------------------------------------
def test_mixture_without_cancels_is_lifelines_lognormal_aft() -> None:
    """With no cancellations, no warp and month-interval events, the mixture's
    advance part is an interval-censored log-normal AFT: lifelines must agree."""
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.normal(size=n)
    x0 = rng.uniform(0, 120, n)
    t = np.exp(2.0 + 0.3 * x + 0.5 * rng.standard_normal(n))
    cens = rng.random(n) < 0.25
    t = np.where(cens, t * rng.uniform(0.2, 1.0, n), t)
    X = np.c_[np.ones(n), x]
    d = MixtureData(x0, t, np.where(cens, 0, 1), X, np.ones((n, 1)), np.ones((n, 1)), np.ones((n, 1)))
    fit = fit_mixture(d, MixtureSpec(warp_advance=False))
    month = np.floor(x0 + t)
    lo = np.where(cens, t, np.maximum(month - x0, 1e-9))
    hi = np.where(cens, np.inf, month + 1 - x0)
    df = pd.DataFrame({"lo": lo, "hi": hi, "x": x})
    aft = LogNormalAFTFitter().fit_interval_censoring(df, "lo", "hi")
    mu = aft.params_.loc["mu_"]
    assert fit.block("ba") == pytest.approx([mu["Intercept"], mu["x"]], abs=2e-3)
    sigma = np.exp(aft.params_.loc["sigma_", "Intercept"])
    assert np.exp(fit.block("ga")[0]) == pytest.approx(sigma, rel=5e-3)
    assert 1 / (1 + np.exp(-fit.block("bp")[0])) < 0.01  # no cancellation seen


def test_two_component_sum_is_the_general_sum() -> None:
    """The two-component log-sum (one exp per row) gives the general sum's
    numbers bit for bit, rows with -inf components included."""
    from forecast.models.survival.mixture import _log_sum

    rng = np.random.default_rng(5)
    a, b = rng.normal(-3, 4, 1000), rng.normal(-3, 4, 1000)
    a[:50], b[25:75], b[100:110] = -np.inf, -np.inf, a[100:110]  # one, both, neither, ties
    ll, r = _log_sum([a, b])
    ll3, r3 = _log_sum([a, b, np.full(1000, -np.inf)])  # the general path, same numbers
    assert np.array_equal(ll, ll3) and np.array_equal(r[0], r3[0]) and np.array_equal(r[1], r3[1])
    assert np.isneginf(ll[25:50]).all() and not r[0][25:50].any() and not r[1][25:50].any()
    assert np.array_equal(r[0][100:110], np.full(10, 0.5))


def test_objective_reuses_a_component_only_while_its_inputs_are_the_same() -> None:
    """The objective keeps each component while only the other's parameters
    move; a change of a component's own parameter or offset recomputes it:
    every value equals a fresh objective's."""
    from forecast.models.survival.mixture import _initial, _layout, _Objective

    rng = np.random.default_rng(8)
    n = 3000
    x0 = rng.uniform(0, 120, n)
    t = np.exp(2.0 + 0.5 * rng.standard_normal(n))
    status = rng.choice([0, 1, 2], n, p=[0.3, 0.5, 0.2])
    X = np.c_[np.ones(n), rng.normal(size=n)]
    d = MixtureData(x0, t, status, X, np.ones((n, 1)), X, X, off_a=rng.normal(0, 0.1, n))
    spec = MixtureSpec()
    layout, prec = _layout(d, spec)
    par = _initial(d, spec, layout, prec.size) + 0.05
    obj = _Objective(d, spec, layout, prec)

    def fresh(p: np.ndarray) -> tuple[float, np.ndarray]:
        return _Objective(d, spec, layout, prec)(p)

    for block in ("ba", "ta", "bp", "bc", "gc"):
        for sign in (1, -1):
            p = par.copy()
            p[layout[block].start] += sign * 1e-3
            got, want = obj(p), fresh(p)
            assert got[0] == want[0] and np.array_equal(got[1], want[1])
    obj(par)
    d.off_a = d.off_a + 0.2  # a new offset: the advance component must be recomputed
    got, want = obj(par), fresh(par)
    assert got[0] == want[0] and np.array_equal(got[1], want[1])


def test_aalen_johansen_matches_lifelines_without_ties() -> None:
    rng = np.random.default_rng(4)
    t = rng.exponential(10, 500) + rng.random(500) * 1e-3
    status = rng.choice([0, 1, 2], 500, p=[0.3, 0.5, 0.2])
    ours = aalen_johansen(t, status)
    ref = AalenJohansenFitter(calculate_variance=False).fit(t, status, event_of_interest=1)
    grid = np.quantile(t, [0.1, 0.3, 0.5, 0.7, 0.9])
    theirs = ref.cumulative_density_.iloc[:, 0].reindex(grid, method="ffill").to_numpy()
    assert ours.at(grid)[0] == pytest.approx(theirs, abs=1e-9)


def test_delayed_entry_matches_lifelines_kaplan_meier() -> None:
    rng = np.random.default_rng(5)
    t = rng.lognormal(2, 0.5, 800)
    entry = np.where(rng.random(800) < 0.4, t * rng.random(800), 0.0)
    event = rng.random(800) < 0.8
    ours = aalen_johansen(t, event.astype(int), entry)
    km = KaplanMeierFitter().fit(t, event, entry=entry)
    grid = np.quantile(t, [0.2, 0.5, 0.8])
    assert ours.at(grid)[0] == pytest.approx(1 - km.survival_function_at_times(grid).to_numpy(), abs=1e-9)


def test_sampling_is_conditional_on_time_already_waited() -> None:
    """Draws for projects already waiting ``e`` months follow the log-normal
    truncated at ``e`` (Kolmogorov-Smirnov against the exact truncated CDF)."""
    n = 20_000
    d = MixtureData(np.zeros(n), np.ones(n), np.zeros(n, int), np.ones((n, 1)), np.ones((n, 1)),
                    np.full((n, 1), 1.0), np.ones((n, 1)))
    spec = MixtureSpec(warp_advance=False)
    # A fit object whose parameters are then set: mu 2, sigma 0.5, P(cancel) 0.2.
    fit = fit_mixture(_toy_rows(), spec, hessian=False)
    fit.params[fit.layout["ba"]] = 2.0
    fit.params[fit.layout["ga"]] = np.log(0.5)
    fit.params[fit.layout["bp"]] = np.log(0.2 / 0.8)
    e = np.full(n, 9.0)
    t, kind = sample_next(components(fit, d), d.x0, e, np.random.default_rng(6))
    adv = t[kind == 1]
    assert adv.min() >= 9.0
    sf_e = stats.lognorm.sf(9.0, 0.5, scale=np.exp(2.0))
    cdf = lambda x: 1 - stats.lognorm.sf(x, 0.5, scale=np.exp(2.0)) / sf_e  # noqa: E731
    assert stats.kstest(adv, cdf).pvalue > 0.01


def _toy_rows() -> MixtureData:
    rng = np.random.default_rng(0)
    n = 300
    t = rng.lognormal(2, 0.5, n)
    return MixtureData(np.zeros(n), t, rng.integers(0, 3, n), np.ones((n, 1)), np.ones((n, 1)),
                       np.ones((n, 1)), np.ones((n, 1)))


# --- recovery of known truth -------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    ledger = synthetic_ledger()
    return ledger, CompletionModel().fit(ledger, "2024Q4"), synthetic_truth()


def test_recovers_synthetic_medians_and_shares(synthetic) -> None:
    _, model, tr = synthetic
    s = model.summary()
    med = s[s["what"] == "median_months"]
    rel = [row.estimate / tr["median"][(*row.transition.split("→"), row.category)] - 1
           for row in med.itertuples() if row.category in SYNTH["categories"]]
    assert len(rel) == 10 and np.max(np.abs(rel)) < 0.05
    shares = s[s["what"].isin(["cancel_share", "never_share"])]
    diff = [row.estimate - tr["share"][(row.transition.split("→")[0], row.category)]
            for row in shares.itertuples() if row.category in SYNTH["categories"]]
    assert len(diff) == 10 and np.max(np.abs(diff)) < 0.03


def test_zone_effects_found_where_they_exist(synthetic) -> None:
    """Zone frailty (sd 0.25) acts on signing, starting and construction only."""
    _, model, _ = synthetic
    sd = {tf.name: np.sqrt(tf.zone_a.tau2) for tf in model.transitions_}
    for name in ("reserve→signed", "signed→started", "started→completed"):
        assert 0.15 < sd[name] < 0.35
    for name in ("completed→producing", "producing→full_production"):
        assert sd[name] < 0.08


def _recovery(model: CompletionModel, tr: dict) -> pd.DataFrame:
    s = model.summary()
    out = []
    for row in s.itertuples():
        if row.what == "median_months" and pd.notna(row.estimate):
            key = tuple(row.transition.split("→"))
            out.append((row.what, row.transition, row.category, row.quarter, row.n,
                        row.estimate / tr["median_months"][key][row.category] - 1))
        elif row.what == "cancel_share":
            t = tr["cancel_share"][row.transition.split("→")[0]][row.category]
            out.append((row.what, row.transition, row.category, row.quarter, row.n, row.estimate - t))
        elif row.what == "event_quarter_factor":
            t = tr["event_quarter_factor"][row.category][int(row.quarter)]
            out.append((row.what, row.transition, row.category, row.quarter, row.n, row.estimate - t))
    return pd.DataFrame(out, columns=["what", "transition", "category", "quarter", "n", "error"])


@pytest.fixture(scope="module")
def sample_recovery() -> pd.DataFrame:
    return _recovery(completion_fit("2025Q4"), truth())


@pytest.fixture(scope="module")
def big_recovery() -> pd.DataFrame:
    return _recovery(CompletionModel().fit(big_ledger(), "2025Q4"), truth())


def test_sample_ledger_medians_within_ten_percent(sample_recovery) -> None:
    """Cells of the 12-zone sample with 200 or more transitions (smaller cells
    have sampling noise above 10% for any estimator: see the 40-zone test)."""
    med = sample_recovery[(sample_recovery["what"] == "median_months") & (sample_recovery["n"] >= 200)]
    assert len(med) >= 15
    assert med["error"].abs().max() < 0.10


def test_sample_ledger_cancel_shares_within_three_points(sample_recovery) -> None:
    """Cells of 250+ entrants (a share of 0.05 among 150 has a 1.8-point
    standard error; the 40-zone test covers every cell)."""
    cs = sample_recovery[(sample_recovery["what"] == "cancel_share") & (sample_recovery["n"] >= 250)]
    assert len(cs) >= 12
    assert cs["error"].abs().max() < 0.03


#: Acceptance tolerance of each recovered quantity (issue 3): relative for medians.
TOLERANCE = {"median_months": 0.10, "cancel_share": 0.03, "event_quarter_factor": 0.10}


@functools.lru_cache(maxsize=1)
def _complete() -> dict:
    return complete_data_truth()


def _complete_gap(what: str, transition: str, category: str, quarter: float) -> float:
    """The gap to the truth of the sample's own complete, uncensored data."""
    c, tr = _complete(), truth()
    a, b = transition.split("→")
    if what == "median_months":
        return c[what][(a, b)][category] / tr[what][(a, b)][category] - 1
    if what == "cancel_share":
        return c[what][a][category] - tr[what][a][category]
    return c[what][category][int(quarter)] - tr[what][category][int(quarter)]


def test_sample_ledger_every_cell_as_close_as_its_complete_data(sample_recovery) -> None:
    """Every cell of the 12-zone sample: the model is within the acceptance
    tolerance of the truth, or, where the sample's own projects with their
    complete (uncensored) life cycles are already off by chance, no further off
    than they are plus half the tolerance: a model fitted to the censored
    ledger cannot be expected to beat a perfect estimator on complete data.
    Cells of fewer than 30 transitions hold nothing to a tolerance."""
    rows = sample_recovery[sample_recovery["n"] >= 30].copy()
    rows["complete"] = [_complete_gap(r.what, r.transition, r.category, r.quarter) for r in rows.itertuples()]
    tol = rows["what"].map(TOLERANCE)
    assert len(rows) >= 50
    assert (rows["error"].abs() <= np.maximum(tol, rows["complete"].abs() + tol / 2)).all(), rows
    # and most cells are simply within the tolerance of the truth
    assert (rows["error"].abs() <= tol).mean() >= 0.9


def test_summary_intervals_describe_the_population_of_zones() -> None:
    """The 90% intervals of the median durations hold the truth in most cells:
    they include that the sample's 12 zones are a sample of zones (without the
    between-zone term they held it in 22 of 30)."""
    s = completion_fit("2025Q4").summary()
    med = s[(s["what"] == "median_months") & s["estimate"].notna()]
    tr = truth()["median_months"]
    inside = [lo <= tr[tuple(t.split("→"))][c] <= hi for t, c, lo, hi in
              zip(med["transition"], med["category"], med["lo"], med["hi"])]
    assert len(inside) == 30
    assert np.mean(inside) >= 0.8


@pytest.mark.parametrize("what, limit, min_n", [("median_months", 0.10, 1000),
                                                ("cancel_share", 0.03, 50),
                                                ("event_quarter_factor", 0.10, 50)])
def test_generated_ledger_recovery(big_recovery, what, limit, min_n) -> None:
    """A 40-zone ledger from the same generator, within the acceptance
    tolerance. Medians are held to it in cells of 1000+ transitions: with
    log-sd 0.8 a cell of 600 has a 5% standard error from the data alone (the
    ledger's own fully observed 2015-19 cohort is 13% off in agriculture)."""
    rows = big_recovery[(big_recovery["what"] == what) & (big_recovery["n"] >= min_n)]
    assert len(rows) >= 8
    assert rows["error"].abs().max() < limit


def test_generated_ledger_medians_typically_close(big_recovery) -> None:
    rows = big_recovery[(big_recovery["what"] == "median_months") & (big_recovery["n"] >= 50)]
    assert len(rows) >= 28
    assert rows["error"].abs().median() < 0.04


def test_censoring_handled_not_ignored() -> None:
    """At 2018Q4 a third of started projects are still building. Dropping them
    (median of finished durations among projects the ledger saw start) is
    biased low; the model, which keeps them as censored, is not."""
    ledger = sample_ledger()
    q = "2018Q4"
    cut = ledger.as_of(q)
    rows = transition_rows(cut.projects, cut_clock(pd.Period(q)), 2, ledger_origin(cut, None))
    ind = category_codes(cut.projects["category"])[rows["row"]] == 0
    fresh = rows.loc[ind & (rows["a"] <= 0)]
    assert (fresh["status"] == 0).mean() > 0.3
    true = truth()["median_months"][("started", "completed")]["industrial"]
    naive = np.median(fresh.loc[fresh["status"] == 1, "t"]) / true - 1
    s = CompletionModel().fit(ledger, q).summary()
    est = s.query("what == 'median_months' and transition == 'started→completed' "
                  "and category == 'industrial'")["estimate"].iloc[0] / true - 1
    assert naive < -0.10
    assert abs(est) < 0.05


# --- calibration on data the fit did not see ---------------------------------------------------
@pytest.fixture(scope="module")
def outcomes_2023() -> pd.DataFrame:
    """P(next milestone within 4 quarters) at 2022Q4 and what happened in 2023."""
    ledger = sample_ledger()
    p = completion_fit("2022Q4").predict_proba(ledger, "2022Q4", horizon=4)
    p = p[p["k"] == 4].copy()
    full = ledger.projects.set_index("project_id")
    date = np.array([full.at[pid, STAGE_DATE[st]] for pid, st in zip(p["project_id"], p["next_stage"])])
    p["happened"] = (pd.to_datetime(date) <= END_2023).astype(float)
    cancel = full.loc[p["project_id"], "cancelled_date"].to_numpy()
    p["cancelled"] = (pd.to_datetime(cancel) <= END_2023).astype(float)
    return p


def test_reliability_by_decile_within_five_points(outcomes_2023) -> None:
    p = outcomes_2023
    decile = pd.qcut(p["p_event"].rank(method="first"), 10, labels=False)
    table = p.groupby(decile).agg(pred=("p_event", "mean"), obs=("happened", "mean"))
    mace = (table["pred"] - table["obs"]).abs().mean()
    assert len(p) > 1000
    assert mace < 0.05


@pytest.mark.parametrize("stage", ["reserve", "signed", "started", "completed", "producing"])
def test_calibrated_within_each_stage(outcomes_2023, stage) -> None:
    g = outcomes_2023[outcomes_2023["stage"] == stage]
    se = np.sqrt(g["p_event"].mul(1 - g["p_event"]).sum()) / len(g)
    assert abs(g["p_event"].mean() - g["happened"].mean()) < max(0.05, 3 * se)


def test_overdue_projects_are_not_simply_due(outcomes_2023) -> None:
    """Projects already past their planned completion: the model's probability
    of completing in 2023 matches what happened (a plan-date rule would say 1)."""
    ledger = sample_ledger()
    planned = ledger.as_of("2022Q4").projects.set_index("project_id")["planned_completion_date"]
    g = outcomes_2023[outcomes_2023["stage"] == "started"]
    late = g[(planned.reindex(g["project_id"]) < pd.Timestamp("2022-07-01")).to_numpy()]
    assert len(late) >= 30
    assert late["p_event"].mean() < 0.95
    se = np.sqrt(late["p_event"].mul(1 - late["p_event"]).sum()) / len(late)
    assert abs(late["p_event"].mean() - late["happened"].mean()) < 3 * se


def test_cancellations_calibrated(outcomes_2023) -> None:
    p = outcomes_2023[outcomes_2023["stage"].isin(["reserve", "signed", "started"])]
    expected, seen = p["p_cancel"].sum(), p["cancelled"].sum()
    assert abs(expected - seen) < 3 * np.sqrt(expected) + 5


def test_expected_starts_match_2023_counts() -> None:
    ledger = sample_ledger()
    counts = completion_fit("2022Q4").expected_counts(ledger, "2022Q4", horizon=4, draws=100, seed=1)
    starts = counts.query("metric == 'projects_started'")["mean"].sum()
    seen = ledger.projects["start_date"].between("2023-01-01", END_2023).sum()
    assert abs(starts - seen) < 3 * np.sqrt(seen)


# --- paths -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def paths() -> tuple[Paths, pd.DataFrame]:
    cut = sample_ledger().as_of("2022Q4")
    p = completion_fit("2022Q4").sample_paths(cut, cut.projects, 8, 200, np.random.default_rng(7))
    return p, cut.projects


def test_paths_shapes_and_past_events(paths) -> None:
    p, projects = paths
    assert p.months["start_date"].shape == (200, len(projects))
    assert list(p.quarters.astype(str)[:2]) == ["2023Q1", "2023Q2"]
    started = projects["start_date"].notna().to_numpy()
    assert np.isnan(p.months["start_date"][:, started]).all()
    assert not np.isnan(p.months["start_date"][:, ~started]).any()


def test_paths_events_in_order_and_cancel_ends_project(paths) -> None:
    p, _ = paths
    m = p.months
    with np.errstate(invalid="ignore"):
        for a, b in [("signed_date", "start_date"), ("start_date", "completion_date"),
                     ("completion_date", "production_date")]:
            both = np.isfinite(m[a]) & np.isfinite(m[b])
            assert both.any()
            assert (m[a][both] <= m[b][both]).all()
        cancelled = np.isfinite(m["cancelled_date"])
        assert cancelled.any()
        assert not (cancelled & np.isfinite(m["completion_date"])).any()


def test_paths_chain_within_horizon(paths) -> None:
    """A project in reserve at the cut can sign, start and complete in one draw."""
    p, projects = paths
    reserve = (projects["signed_date"].isna() & projects["cancelled_date"].isna()).to_numpy()
    chained = np.isfinite(p.months["completion_date"][:, reserve])
    assert chained.any()
    assert (p.quarter_index("completion_date").max() == 7)


def test_same_seed_same_paths() -> None:
    cut = sample_ledger().as_of("2022Q4")
    m = completion_fit("2022Q4")
    a = m.sample_paths(cut, cut.projects.head(300), 4, 50, np.random.default_rng(1))
    b = m.sample_paths(cut, cut.projects.head(300), 4, 50, np.random.default_rng(1))
    for ev in a.months:
        np.testing.assert_array_equal(a.months[ev], b.months[ev])


def test_paths_stopped_at_production_are_the_same_up_to_it(paths) -> None:
    """``full_production=False`` (what the simulator asks for) skips only the
    last transition: every earlier event, and the extras, are the same draws."""
    full, projects = paths
    cut = sample_ledger().as_of("2022Q4")
    short = completion_fit("2022Q4").sample_paths(cut, projects, 8, 200, np.random.default_rng(7),
                                                  full_production=False)
    assert "full_production_date" not in short.months
    assert set(short.months) == set(full.months) - {"full_production_date"}
    for ev in short.months:
        np.testing.assert_array_equal(short.months[ev], full.months[ev])
    for key in full.extras:
        np.testing.assert_array_equal(short.extras[key], full.extras[key])


# --- contracts ------------------------------------------------------------------------------------
def test_fit_uses_only_the_cut() -> None:
    ledger = synthetic_ledger()
    a = CompletionModel().fit(ledger, "2020Q4")
    b = CompletionModel().fit(ledger.as_of("2020Q4"), "2020Q4")
    for ta, tb in zip(a.transitions_, b.transitions_):
        np.testing.assert_allclose(ta.fit.params, tb.fit.params)


@pytest.mark.parametrize("call", [
    lambda m, L: m.predict_proba(L, "2022Q4"),
    lambda m, L: m.sample_paths(L.as_of("2022Q4"), L.projects, 4, 10, np.random.default_rng(0)),
    lambda m, L: m.summary(),
    lambda m, L: m.plot(),
])
def test_use_before_fit_raises(call) -> None:
    with pytest.raises(NotFittedError, match="call fit first"):
        call(CompletionModel(), synthetic_ledger())


def test_fit_rejects_a_later_quarter_than_the_cut() -> None:
    with pytest.raises(ForecastError, match="cut at 2020Q4"):
        CompletionModel().fit(synthetic_ledger().as_of("2020Q4"), "2021Q4")


def test_summary_is_a_readable_table_and_plot_returns_axes(synthetic) -> None:
    _, model, _ = synthetic
    s = model.summary()
    assert list(s.columns[:9]) == ["what", "transition", "category", "quarter", "method",
                                   "estimate", "lo", "hi", "n"]
    assert {"median_months", "cancel_share", "never_share", "on_plan_share",
            "event_quarter_factor", "zone_sd_log_time", "check_max_cif_gap"} <= set(s["what"])
    assert (s["lo"].dropna() <= s.loc[s["lo"].notna(), "hi"] + 1e-12).all()
    assert "<table" in s._repr_html_()
    ax = model.plot()
    assert len(ax.get_lines()) >= 4
    assert model.plot(ax=ax) is ax
    assert "CompletionModel(" in repr(model)
