"""Estimation core of the stage-transition model: a censored mixture of
competing outcomes with a calendar time-warp.

For a project that entered a stage at calendar month ``x0`` the outcome is one of

* **cancel** (or **never**, for stages where the alternative to advancing is
  simply not advancing) with probability ``pi``; cancellation time is
  log-normal in *seasonal operational time* (below);
* **advance on plan** with probability ``(1 - pi) * rho``: the next milestone
  lands on the planned date (completions bunch there on many ledgers; in the
  likelihood, in the planned calendar month); only rows whose planned
  duration is known can take it;
* **advance** otherwise: log-normal duration in seasonal operational time.

Seasonal operational time: each calendar month-of-year ``m`` runs at speed
``s_m`` (mean 1 over the year), so a log-normal duration in operational time
puts more events into fast months. The operational duration of ``[x0, x0+t]``
is linear in ``s`` (``exposure(x0, x0 + t) @ s``), which keeps the gradient
exact and cheap. Under a steady flow of entries the share of events in
month ``m`` is ``s_m / 12``: ``s`` *is* the calendar seasonality of the event.

``pi``, ``rho``, the log-normal locations and log-scales are linear in their
own design matrices. The likelihood is maximised with L-BFGS on analytic
gradients; the covariance is the inverse of a finite-difference Hessian of the
gradient. Censored rows (still waiting at ``as_of``) contribute the mixture
survival, so waiting is information, not missing data.

Why not lifelines for this part: lifelines' AFT fitters cover one log-normal
outcome with covariates, not a mixture of competing outcomes with a point mass
at the planned date and a calendar warp. lifelines is used for the reference
estimators (Kaplan-Meier) and, in the tests, to check that this likelihood
reduces to ``LogNormalAFTFitter`` when the mixture and the warp are switched off.

The package: ``clock`` (calendar clock and seasonal warp), ``mixture`` (data,
parameters, likelihood, fit) and ``predict`` (components, cumulative incidence,
sampling); every name is importable from here.
"""

from __future__ import annotations

from .clock import exposure, month_clock, op_clock, op_inverse, speeds
from .mixture import (MIN_MONTHS, MixtureData, MixtureFit, MixtureSpec, OffsetScores, covariance,
                      fit_mixture, row_gradients)
from .predict import LOG_NEVER, Components, bunch_sf, components, conditional_cif, sample_next

__all__ = ["LOG_NEVER", "MIN_MONTHS", "Components", "MixtureData", "MixtureFit", "MixtureSpec", "OffsetScores", "bunch_sf",
           "components", "conditional_cif", "covariance", "exposure", "fit_mixture", "month_clock",
           "op_clock", "op_inverse", "row_gradients", "sample_next", "speeds"]
