"""The ``ModelSet``: every fitted model the simulator needs, fitted once, saved once.

A batch fits the models once at ``as_of`` and hands the saved file to every
report (ARCHITECTURE.md, "Fit once, render many"). One file, pickled, written
atomically (``forecast._io``), so a reader never sees half a model set.
"""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from .._io import atomic_path
from ..exceptions import ForecastError
from ._base import ROLES, BaseModel, fit_quarter

#: Bumped when the pickled layout changes, so an old file fails clearly.
FORMAT_VERSION = 1



def _default(role: str) -> Any:
    """A model with default settings for ``role`` (imported here, not at module
    import: ``forecast.models`` imports this module)."""
    if role == "completion":
        from .completion import CompletionModel

        return CompletionModel()
    if role == "spend":
        from .spend import SpendModel

        return SpendModel()
    if role == "output":
        from .output import OutputModel

        return OutputModel()
    if role == "arrivals":
        from .arrivals import ArrivalsModel

        return ArrivalsModel()
    from .indicators import IndicatorBaselines

    return IndicatorBaselines()


class ModelSet(BaseModel):
    """The fitted completion, spend, output, arrivals and indicator models.

    Parameters
    ----------
    completion, spend, output, arrivals, indicators : model or None
        Unfitted models with the settings to use; ``None`` takes each model's
        defaults. ``indicators`` is fitted only when the ledger has indicators.
    new_projects : bool
        Whether to fit the arrivals model (the ``new_`` allowance); when False the
        allowance is zero.
    fit_indicators : bool
        Whether to fit the indicator baselines (the simulator does not use them;
        the backtest skips them).
    calibrate : bool
        Whether to calibrate the forecasts on the ledger's own history
        (:mod:`forecast.models.calibration`; it stays inactive, the draws
        unchanged, when the ledger has too little history).
    calibration : Calibration or None
        Its settings; ``None`` takes the defaults.

    Attributes
    ----------
    completion_, spend_, output_, arrivals_, indicators_ : fitted models
        ``arrivals_`` / ``indicators_`` are ``None`` when not fitted.
    calibration_ : Calibration or None
        The fitted calibration (``calibration_.summary()`` says what it did),
        ``None`` when ``calibrate`` is False.
    as_of_ : Period
        The quarter the models were fitted at.

    Examples
    --------
    >>> from forecast.sample import generate                 # doctest: +SKIP
    >>> ms = ModelSet().fit(generate(zones=3, seed=1), "2023Q4")  # doctest: +SKIP
    >>> ms.save("models.pkl")                                 # doctest: +SKIP
    >>> ModelSet.load("models.pkl").as_of_                    # doctest: +SKIP
    Period('2023Q4', 'Q-DEC')
    """

    def __init__(
        self,
        completion: Any = None,
        spend: Any = None,
        output: Any = None,
        arrivals: Any = None,
        indicators: Any = None,
        new_projects: bool = True,
        fit_indicators: bool = True,
        calibrate: bool = True,
        calibration: Any = None,
    ) -> None:
        self.completion = completion
        self.spend = spend
        self.output = output
        self.arrivals = arrivals
        self.indicators = indicators
        self.new_projects = new_projects
        self.fit_indicators = fit_indicators
        self.calibrate = calibrate
        self.calibration = calibration

    def fit(self, ledger: Any, as_of: str | pd.Period | None = None, workers: int = 1,
            reuse: dict[str, Any] | None = None) -> "ModelSet":
        """Fit every model on ``ledger.as_of(as_of)`` and return ``self``.

        ``as_of`` defaults to the quarter ``ledger`` was cut at (a cut ledger).
        ``reuse`` maps roles to models already fitted (at ``as_of`` or
        before, never after) that are taken as they are instead of refitted:
        the calibration's backtest shares its slow fits between origins.

        ``workers`` > 1 fits the models side by side in forked processes (on
        Linux; elsewhere one after another). Each fit is deterministic and runs
        with BLAS on one thread either way, so the fitted models are the same.
        """
        q = fit_quarter(ledger, as_of)
        cut = ledger.as_of(q)
        todo = []
        for role in ROLES:
            model = getattr(self, role)
            if role == "arrivals" and not self.new_projects:
                setattr(self, role + "_", None)
                continue
            if role == "indicators" and (not self.fit_indicators or len(cut.indicators) == 0):
                setattr(self, role + "_", None)
                continue
            if reuse and role in reuse:
                setattr(self, role + "_", reuse[role])
                continue
            todo.append((role, _default(role) if model is None else _clone(model)))
        self.calibration_ = None
        if self.calibrate:
            from .calibration import Calibration

            cal = Calibration() if self.calibration is None else _clone(self.calibration)
            # a job beside the models': it refits its own, so with workers it
            # runs while they fit
            todo.append(("calibration", _CalibrationJob(cal, self._uncalibrated)))
        for role, fitted in _fit_all(todo, cut, q, workers):
            setattr(self, role + "_", fitted)
        self.source_ = ledger.source
        self.as_of_ = q
        return self

    def _uncalibrated(self) -> "ModelSet":
        """An unfitted copy of this set's settings without calibration (what
        the calibration backtests) and without the indicator baselines."""
        return ModelSet(*(None if getattr(self, r) is None else _clone(getattr(self, r)) for r in ROLES[:4]),
                        new_projects=self.new_projects, fit_indicators=False, calibrate=False)

    # --- persistence ---------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted set to one file, atomically; returns the path."""
        self._check_fitted()
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump({"format": FORMAT_VERSION, "modelset": self}, fh, protocol=5)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "ModelSet":
        """Read a file written by :meth:`save`.

        Only load files you wrote yourself: the format is pickle.
        """
        try:
            with open(path, "rb") as fh:
                payload = pickle.load(fh)
        except FileNotFoundError as err:
            raise ForecastError(f"No model set at {path}; fit one with ModelSet().fit(...).save(...)") from err
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as err:
            raise ForecastError(f"{path} is not a model set saved by this version of forecast: {err}") from err
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
            raise ForecastError(
                f"{path} has model-set format {payload.get('format') if isinstance(payload, dict) else None!r}; "
                f"this version reads format {FORMAT_VERSION}. Refit and save again."
            )
        ms = payload["modelset"]
        if not isinstance(ms, cls):
            raise ForecastError(f"{path} holds a {type(ms).__name__}, not a ModelSet.")
        return ms

    # --- reporting --------------------------------------------------------------
    def fitted_models(self) -> dict[str, Any]:
        """Role → fitted model, for the roles that were fitted."""
        self._check_fitted()
        return {r: getattr(self, r + "_") for r in ROLES if getattr(self, r + "_") is not None}

    def summary(self) -> pd.DataFrame:
        """Every model's ``summary()`` stacked, with a leading ``model`` column
        (the calibration's last, as ``model == "calibration"``)."""
        frames = []
        models = self.fitted_models()
        if getattr(self, "calibration_", None) is not None:
            models["calibration"] = self.calibration_
        for role, model in models.items():
            s = model.summary()
            frames.append(s.assign(model=role)[["model", *s.columns]])
        return pd.concat(frames, ignore_index=True)


#: Rough order of the models' fitting times on a large ledger, longest first,
#: so that a pool starts the long fits first (2,500 zones, CPU s: calibration
#: 11, completion 9, output 7, indicators 3.5, spend 3, arrivals 1.7).
_FIT_ORDER = ("calibration", "completion", "output", "indicators", "spend", "arrivals")


class _CalibrationJob:
    """The calibration as one more fit of :func:`_fit_all`: ``fit(cut, q)``
    backtests ``make_models()`` at the quarters before ``q``."""

    def __init__(self, calibration: Any, make_models: Any) -> None:
        self.calibration, self.make_models = calibration, make_models

    def fit(self, cut: Any, q: pd.Period) -> Any:
        return self.calibration.fit(cut, q, self.make_models)

_FIT_JOB: tuple[Any, pd.Period, list[tuple[str, Any]]] | None = None  # what forked fitters inherit


def _fit_one(k: int) -> tuple[int, bytes | None, list[warnings.WarningMessage]]:
    """Fit model ``k`` of the inherited job: the fitted model pickled (None if
    it failed or cannot be pickled), and its warnings."""
    assert _FIT_JOB is not None
    cut, q, todo = _FIT_JOB
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1):
        warnings.simplefilter("always")
        try:
            fitted = todo[k][1].fit(cut, q)
        except Exception:  # noqa: BLE001 - refitted in the parent, which raises it as it is
            return k, None, []
    try:  # pickled here, once: it travels back as bytes
        blob = pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a user's model holding a lambda: fitted in the parent
        return k, None, []
    return k, blob, [w for w in caught if _picklable(w.message)]


def _picklable(obj: Any) -> bool:
    try:
        pickle.dumps(obj)
        return True
    except Exception:  # noqa: BLE001
        return False


def _fit_all(todo: list[tuple[str, Any]], cut: Any, q: pd.Period, workers: int) -> list[tuple[str, Any]]:
    """``(role, fitted model)`` of every ``(role, model)`` in ``todo``."""
    import multiprocessing as mp

    global _FIT_JOB
    if workers <= 1 or len(todo) < 2 or "fork" not in mp.get_all_start_methods():
        with threadpool_limits(1):
            return [(role, model.fit(cut, q)) for role, model in todo]
    order = sorted(range(len(todo)), key=lambda k: _FIT_ORDER.index(todo[k][0]))
    _FIT_JOB = (cut, q, todo)
    try:
        with mp.get_context("fork").Pool(min(workers, len(todo))) as pool:
            done = {k: (blob, caught) for k, blob, caught in pool.imap_unordered(_fit_one, order)}
    finally:
        _FIT_JOB = None
    out = []
    for k, (role, model) in enumerate(todo):
        blob, caught = done[k]
        fitted = None if blob is None else pickle.loads(blob)
        for w in caught:  # as if fitted here
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if fitted is None:  # it failed in the worker (or could not come back): fit here
            with threadpool_limits(1):
                fitted = model.fit(cut, q)
        out.append((role, fitted))
    return out


def _clone(model: Any) -> Any:
    """A fresh unfitted copy with the same settings, so fitting a ModelSet never
    changes the models the caller passed in."""
    if hasattr(model, "get_params"):
        return type(model)(**model.get_params())
    return model
