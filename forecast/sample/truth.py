"""Every parameter of the sample generator, in one frozen dataclass.

Units: durations in months (1 month = 30.4375 days), money in 万元, land in 亩.
Per-category parameters are dicts keyed by ``vocab.CATEGORIES``; monthly
seasonal factors are 12-tuples (January first) with mean 1. Each field carries
its meaning and the real figure that calibrates it in ``metadata``, which
``docs/sample.md`` is rendered from (``python -m forecast.sample --params``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..vocab import CATEGORIES

Per = dict[str, float]


def _p(value: Any, doc: str, calib: str = "") -> Any:
    """A documented field; mutable defaults get a factory."""
    meta = {"doc": doc, "calib": calib}
    if isinstance(value, (dict, tuple)):
        return field(default_factory=lambda v=value: (dict(v) if isinstance(v, dict) else v), metadata=meta)
    return field(default=value, metadata=meta)


def _cat(*values: float) -> Per:
    return dict(zip(CATEGORIES, values))


@dataclass(frozen=True)
class GroundTruth:
    """The generating parameters of :func:`forecast.sample.generate`.

    Build a variant with ``dataclasses.replace(DEFAULT_TRUTH, delay_median=...)``.
    ``GroundTruth.describe()`` lists every field with its meaning.
    """

    # --- zones and arrivals ------------------------------------------------------
    national_zones: int = _p(230, "zones numbered below this are national-level (国家级), the rest provincial",
                             "China has 232 national 经开区")
    arrival_median: Per = _p({"national": 20.0, "provincial": 3.0},
                             "key projects registered per year by the median zone of each level",
                             "a large zone holds 140–200 key projects (绵阳: 196)")
    arrival_sigma: float = _p(0.7, "log-sd of a zone's arrival rate (heavy-tailed zone sizes)",
                              "largest zone several times the median")
    arrival_growth: float = _p(0.04, "yearly growth of every zone's arrival rate", "")
    arrival_year_sigma: float = _p(0.15, "log-sd of a zone-year's arrival rate around its trend", "")
    burn_in_years: int = _p(10, "years simulated before start_year so the 2015 ledger already holds a pipeline",
                            "projects registered before 2015 are in the ledger")
    zone_frailty_sigma: float = _p(0.12, "sd of a zone's log multiplier on signing, start and construction "
                                   "durations (zone frailty)", "")

    # --- projects ------------------------------------------------------------------
    category_share: Per = _p(_cat(0.46, 0.12, 0.11, 0.06, 0.10, 0.15), "share of new projects per category",
                             "key-project lists are about half industrial")
    planned_median: Per = _p(_cat(40000, 30000, 20000, 15000, 30000, 35000),
                             "median planned_investment (万元) per category before the floor",
                             "992.75亿 over 196 projects, 5.07亿 each")
    planned_sigma: float = _p(0.75, "log-sd of planned_investment", "3.94亿 to 30亿 in one zone")
    planned_floor: float = _p(5000.0, "smallest planned_investment of a key project (万元); "
                              "drawn from the lognormal truncated here", "key-project thresholds")
    size_ref: float = _p(50000.0, "reference planned_investment (万元) at which duration medians apply", "")
    land_intensity: Per = _p(_cat(700, 900, 500, 60, 1500, 600),
                             "median 万元 of planned investment per 亩 at size_ref", 
                             "9.5亿 on 123 亩 (772/亩); 30亿 on 122 亩 (2,459/亩)")
    land_elasticity: float = _p(0.45, "elasticity of land intensity on planned investment "
                                "(large plants are denser)", "30亿 on 122 亩")
    land_sigma: float = _p(0.45, "log-sd of land intensity", "")
    land_missing: Per = _p(_cat(0.05, 0.15, 0.20, 0.30, 0.35, 0.50), "share of blank land_mu", "")
    producing_share: Per = _p(_cat(0.97, 0.70, 0.08, 0.50, 0.60, 0.05),
                              "share of projects that go into production (have output)",
                              "social / urban projects have no 产值")

    # --- durations (months) ----------------------------------------------------------
    sign_median: Per = _p(_cat(6, 6, 5, 5, 5, 6), "median months reserve → signed at size_ref", "")
    sign_sigma: float = _p(0.8, "log-sd of months reserve → signed", "")
    start_median: Per = _p(_cat(5, 6, 6, 4, 4, 7), "median months signed → started at size_ref", "")
    start_sigma: float = _p(0.7, "log-sd of months signed → started", "")
    size_elasticity: float = _p(0.3, "elasticity of signing and start durations on planned investment", "")
    entry_quarter_effect: tuple = _p((0.0, -0.05, -0.05, 0.10),
                                     "log multiplier on signing, start and construction durations by the "
                                     "calendar quarter the stage was entered", "winter and Spring Festival slow Q4 entries")
    planned_build_median: Per = _p(_cat(20, 24, 28, 14, 16, 40),
                                   "median planned construction months at size_ref (planned_completion_date − start)",
                                   "a large plant takes about 2 years")
    planned_build_elasticity: float = _p(0.3, "elasticity of planned construction months on planned investment", "")
    planned_build_sigma: float = _p(0.25, "log-sd of planned construction months", "")
    plan_halfyear_share: float = _p(0.4, "share of plans whose completion is rounded up to the next June or "
                                    "December end", "年中 / 年底竣工 targets")
    delay_median: Per = _p(_cat(1.12, 1.15, 1.20, 1.10, 1.10, 1.25),
                           "median ratio of actual to planned construction months", "")
    delay_sigma: float = _p(0.22, "log-sd of the delay ratio", "")
    on_time_share: Per = _p(_cat(0.30, 0.25, 0.25, 0.30, 0.30, 0.20),
                            "share completing exactly on planned_completion_date", "")
    production_median: Per = _p(_cat(2.0, 1.5, 2.0, 3.0, 1.5, 2.0), "median months completed → producing", "")
    production_sigma: float = _p(0.8, "log-sd of months completed → producing", "")
    ramp_tau: Per = _p(_cat(10.4, 6.0, 6.0, 8.0, 7.0, 6.0),
                       "median ramp time constant τ (months); 90% of capacity at τ·ln10",
                       "full production a couple of years after 投产")
    ramp_sigma: float = _p(0.35, "log-sd of τ", "")

    # --- cancellation (competing outcome) ----------------------------------------------
    cancel_share: dict = _p({"reserve": _cat(0.20, 0.22, 0.12, 0.10, 0.15, 0.15),
                             "signed": _cat(0.10, 0.12, 0.06, 0.05, 0.08, 0.08),
                             "started": _cat(0.03, 0.04, 0.02, 0.02, 0.02, 0.03)},
                            "P(a project entering the stage ends cancelled) by stage and category", "")
    cancel_median: dict = _p({"reserve": 12.0, "signed": 10.0},
                             "median months from entering the stage to cancellation", "")
    cancel_sigma: float = _p(0.6, "log-sd of months to cancellation", "")
    cancel_build_beta: tuple = _p((2.0, 2.0), "a project cancelled under construction stops at this Beta "
                                  "fraction of its would-be construction time (烂尾)", "")

    # --- seasonal clocks (monthly rates, mean 1) ------------------------------------------
    sign_clock: tuple = _p((0.6, 0.6, 1.1, 1.1, 1.2, 1.1, 0.9, 0.9, 1.1, 1.0, 1.1, 1.3),
                           "pace of signing by calendar month (time runs at this rate)", "Spring Festival")
    start_clock: tuple = _p((0.25, 0.35, 3.0, 1.8, 1.3, 1.0, 0.8, 0.8, 0.9, 0.8, 0.6, 0.4),
                            "pace of starting by calendar month", "集中开工 in March; 128 of 142 started by mid-year")
    completion_clock: tuple = _p((0.5, 0.4, 0.8, 0.9, 1.0, 2.0, 0.8, 0.8, 1.1, 0.9, 1.1, 1.7),
                                 "pace of completing by calendar month", "completions bunch in June and December")
    production_clock: tuple = _p((0.6, 0.5, 1.0, 1.0, 1.0, 1.5, 0.9, 0.9, 1.1, 1.0, 1.1, 1.4),
                                 "pace of going into production by calendar month", "")
    cancel_clock: tuple = _p((0.7, 0.6, 0.9, 0.9, 1.0, 1.2, 0.9, 0.9, 1.0, 1.0, 1.1, 1.8),
                             "pace of cancelling by calendar month", "year-end ledger clean-up")
    ceremony_share: float = _p(0.5, "share of March starts dated on the zone's 集中开工 day that year", "集中开工")
    ceremony_days: tuple = _p((1, 20), "the 集中开工 day is drawn uniformly from these days of March", "")

    # --- spending -------------------------------------------------------------------------
    spend_beta: tuple = _p((1.8, 2.2), "Beta(a, b) CDF of the S-curve over construction time", "")
    spend_season: tuple = _p((0.40, 0.35, 0.90, 0.95, 1.05, 1.35, 1.00, 1.00, 1.20, 1.05, 1.15, 1.60),
                             "monthly seasonal factors of spending",
                             "NBS national FAI 2013–17 monthly increments; stronger year-end rush")
    spend_noise_sigma: float = _p(0.35, "log-sd of a month's spend around the curve (lumpy payments)", "")
    overrun_median: Per = _p(_cat(1.08, 1.10, 1.12, 1.05, 1.06, 1.15),
                             "median total spent / planned_investment", "cost overruns")
    overrun_sigma: float = _p(0.12, "log-sd of the overrun", "")

    # --- output -----------------------------------------------------------------------------
    output_ratio: Per = _p(_cat(3.2, 1.2, 0.3, 0.8, 0.6, 0.2),
                           "median annual output at capacity per 万元 planned", "60亿 → over 200亿 a year")
    output_sigma: float = _p(0.35, "log-sd of output at capacity", "")
    land_output_elasticity: float = _p(-0.2, "elasticity of capacity on the residual of log land intensity "
                                       "(capital-dense plants yield less per 万元)", "")
    optimism_median: float = _p(1.3, "median designed_output / capacity (declared output is optimistic)",
                                "realisation 0.7–0.85")
    optimism_sigma: float = _p(0.15, "log-sd of the optimism", "")
    output_season: tuple = _p((0.85, 0.75, 1.0, 1.0, 1.0, 1.05, 0.95, 0.95, 1.05, 1.05, 1.1, 1.25),
                              "monthly seasonal factors of output", "Spring Festival; year-end push")
    output_noise_sigma: float = _p(0.08, "log-sd of a month's output (mean-one noise)", "")
    output_track_months: float = _p(12.0, "months after full production the ledger keeps reporting output", "")

    # --- blanks in optional fields ---------------------------------------------------------------
    blank_share: dict = _p({"industry": 0.04, "responsible_unit": 0.03, "officer": 0.08,
                            "planned_completion_date": 0.05, "designed_output": 0.05},
                           "share of blank optional fields (designed_output: among producing projects)", "")

    # --- targets and indicators ------------------------------------------------------------------
    target_growth: dict = _p({"investment": 0.10, "projects_started": 0.05, "projects_completed": 0.05,
                              "projects_producing": 0.05, "output_value": 0.12},
                             "a year's target is last year's actual × (1 + growth) × noise", "比上年增长")
    target_sigma: float = _p(0.08, "log-sd of the target noise", "")
    outside_fai: float = _p(15000.0, "zone FAI outside the ledger, 万元 a year per project a year of arrival rate",
                            "ledger projects are about two thirds of a zone's FAI")
    industrial_base: float = _p(250000.0, "industrial output of existing firms, 万元 a year per project a "
                                "year of arrival rate", "")
    indicator_growth: float = _p(0.05, "yearly growth of the outside FAI and the existing output", "")
    indicator_noise_sigma: float = _p(0.06, "log-sd of monthly noise on outside FAI and existing output", "")

    def __hash__(self) -> int:
        # Dict fields make the generated hash fail; the text form is a faithful key
        # (so a truth can key a cache of derived truths).
        return hash(repr(self))

    def describe(self) -> list[dict[str, str]]:
        """Every parameter: ``name``, ``value``, ``meaning``, ``calibration``."""
        return [
            {"name": f.name, "value": _fmt(getattr(self, f.name)),
             "meaning": f.metadata["doc"], "calibration": f.metadata["calib"]}
            for f in fields(self)
        ]

    def per_category(self, name: str) -> np.ndarray:
        """A per-category parameter as an array in ``vocab.CATEGORIES`` order."""
        values = getattr(self, name)
        return np.array([values[c] for c in CATEGORIES], float)


def _fmt(value: Any) -> str:
    if isinstance(value, dict) and list(value) == list(CATEGORIES):
        return " / ".join(_fmt(v) for v in value.values())
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


DEFAULT_TRUTH = GroundTruth()
