"""The ``ModelSet``: every fitted model the simulator needs, fitted once, saved once.

A batch fits the models once at ``as_of`` and hands the saved file to every
report (ARCHITECTURE.md, "Fit once, render many"). One file, pickled, written
atomically (``forecast._io``), so a reader never sees half a model set.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pandas as pd

from .._io import atomic_path
from ..exceptions import ForecastError
from ..periods import quarter
from ._base import BaseModel

#: Bumped when the pickled layout changes, so an old file fails clearly.
FORMAT_VERSION = 1

#: Attribute name, constructor argument and role of each fitted model.
ROLES = ("completion", "spend", "output", "arrivals", "indicators")


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

    Attributes
    ----------
    completion_, spend_, output_, arrivals_, indicators_ : fitted models
        ``arrivals_`` / ``indicators_`` are ``None`` when not fitted.
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
    ) -> None:
        self.completion = completion
        self.spend = spend
        self.output = output
        self.arrivals = arrivals
        self.indicators = indicators
        self.new_projects = new_projects
        self.fit_indicators = fit_indicators

    def fit(self, ledger: Any, as_of: str | pd.Period) -> "ModelSet":
        """Fit every model on ``ledger.as_of(as_of)`` and return ``self``."""
        q = quarter(as_of)
        cut = ledger if ledger.cut == q else ledger.as_of(q)
        for role in ROLES:
            model = getattr(self, role)
            if role == "arrivals" and not self.new_projects:
                setattr(self, role + "_", None)
                continue
            if role == "indicators" and (not self.fit_indicators or len(cut.indicators) == 0):
                setattr(self, role + "_", None)
                continue
            model = _default(role) if model is None else _clone(model)
            setattr(self, role + "_", model.fit(cut, q))
        self.source_ = ledger.source
        self.as_of_ = q
        return self

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
        """Every model's ``summary()`` stacked, with a leading ``model`` column."""
        frames = []
        for role, model in self.fitted_models().items():
            s = model.summary()
            frames.append(s.assign(model=role)[["model", *s.columns]])
        return pd.concat(frames, ignore_index=True)


def _clone(model: Any) -> Any:
    """A fresh unfitted copy with the same settings, so fitting a ModelSet never
    changes the models the caller passed in."""
    if hasattr(model, "get_params"):
        return type(model)(**model.get_params())
    return model
