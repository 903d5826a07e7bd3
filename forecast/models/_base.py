"""Shared pieces of the fitted models: the fitted-check base class, summary
helpers and :class:`Paths`, the simulated event months the simulator passes
between models (docs/DESIGN.md, "Models").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..exceptions import ForecastError, NotFittedError
from ..periods import DAYS_PER_MONTH, months_between, quarter  # noqa: F401 (re-exported)


#: Attribute name, constructor argument and role of each fitted model of a ModelSet
#: (here, below both, so the calibration needs no import of modelset).
ROLES = ("completion", "spend", "output", "arrivals", "indicators")

#: Columns every ``summary()`` frame carries, in this order, after its keys.
SUMMARY_COLUMNS = ("estimate", "lo", "hi", "n")


class BaseModel:
    """Base of the fitted models: settings in the constructor, ``fit`` sets
    attributes ending in ``_``, and use before ``fit`` raises ``NotFittedError``.

    Subclasses list the attribute that proves a fit in ``_fitted_attr``.
    """

    _fitted_attr: str = "as_of_"

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attr):
            raise NotFittedError(self)

    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` has been called."""
        return hasattr(self, self._fitted_attr)

    def get_params(self) -> dict[str, Any]:
        """The constructor settings, as given (scikit-learn habit)."""
        import inspect

        names = [
            p
            for p in inspect.signature(type(self).__init__).parameters
            if p not in ("self", "args", "kwargs")
        ]
        return {n: getattr(self, n) for n in names}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        state = "" if self.is_fitted else " (not fitted)"
        return f"{type(self).__name__}({params}){state}"


def summary_frame(rows: Iterable[dict[str, Any]], keys: list[str]) -> pd.DataFrame:
    """A summary table: the ``keys`` columns, then estimate, lo, hi, n.

    ``lo``/``hi`` bound a 90% interval unless the row's ``what`` says otherwise.
    The result is a plain DataFrame, so notebooks show it through
    ``DataFrame._repr_html_``.

    >>> summary_frame([{"what": "x", "estimate": 1.0, "lo": 0.5, "hi": 2.0, "n": 10}], ["what"])
      what  estimate   lo   hi   n
    0    x       1.0  0.5  2.0  10
    """
    cols = list(keys) + list(SUMMARY_COLUMNS)
    df = pd.DataFrame(list(rows))
    for c in cols:
        if c not in df:
            df[c] = np.nan
    df = df[cols + [c for c in df.columns if c not in cols]]
    df["n"] = pd.to_numeric(df["n"], errors="coerce").astype("Int64")
    return df


def new_axes(ax: Any = None) -> Any:
    """Return ``ax`` or a fresh axes (imports matplotlib only when plotting)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4))
    return ax


@dataclass
class Paths:
    """Simulated event months of ``n`` projects in ``draws`` draws.

    Attributes
    ----------
    project_ids : ndarray, shape (n,)
    quarters : PeriodIndex, shape (H,)
        The forecast quarters after ``as_of``.
    months : dict[str, ndarray]
        Event date column (``vocab.EVENT_DATES`` minus ``registered_date``) →
        ``(draws, n)`` float32 months after the end of the ``as_of`` quarter.
        ``np.inf`` = not within the horizon (or never), ``NaN`` = had already
        happened by ``as_of``. Months run on the calendar month clock (each
        calendar month counts 1, the day linearly inside it), so
        ``floor(m / 3)`` is exactly the forecast quarter; a month differs from
        days / 30.4375 by at most a day or two.
    as_of : Period or None
        The quarter the paths start after.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> p = Paths(np.array(["a"]), pd.period_range("2024Q1", periods=2, freq="Q"),
    ...           {"start_date": np.array([[1.5], [4.0], [np.inf]], dtype="float32")})
    >>> p.quarter_index("start_date")[:, 0].tolist()
    [0, 1, -1]
    """

    project_ids: np.ndarray
    quarters: pd.PeriodIndex
    months: dict[str, np.ndarray]
    as_of: pd.Period | None = None
    #: Optional extra per-draw arrays a model wants to hand on (e.g. planned months).
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        """Number of forecast quarters H."""
        return len(self.quarters)

    @property
    def draws(self) -> int:
        """Number of draws."""
        first = next(iter(self.months.values()), None)
        return 0 if first is None else first.shape[0]

    def quarter_index(self, event: str) -> np.ndarray:
        """Quarter 0..H-1 in which ``event`` falls in each draw; -1 outside the
        horizon, never, or already happened. Shape ``(draws, n)``, int16."""
        if event not in self.months:
            raise ForecastError(
                f"Paths has no event {event!r}; it has {sorted(self.months)}."
            )
        m = self.months[event]
        q = np.floor(np.nan_to_num(m, nan=-1.0, posinf=-1.0) / 3.0)
        q = np.where((m >= 0) & (q < self.horizon) & np.isfinite(m), q, -1)
        return q.astype(np.int16)

    def counts(self, event: str) -> np.ndarray:
        """Number of projects with ``event`` in each quarter: ``(draws, H)``."""
        qi = self.quarter_index(event)
        out = np.zeros((qi.shape[0], self.horizon), dtype=np.int32)
        for h in range(self.horizon):
            out[:, h] = (qi == h).sum(axis=1)
        return out

    def to_frame(self, max_draws: int | None = None) -> pd.DataFrame:
        """Long table ``draw, project_id, event, month`` of events inside the
        horizon (so any total is one ``groupby``)."""
        rows = []
        for ev, m in self.months.items():
            m = m if max_draws is None else m[:max_draws]
            d, j = np.nonzero(np.isfinite(m) & (m < 3 * self.horizon))
            rows.append(
                pd.DataFrame(
                    {"draw": d, "project_id": self.project_ids[j], "event": ev, "month": m[d, j]}
                )
            )
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
            columns=["draw", "project_id", "event", "month"]
        )


def single_thread() -> Any:
    """Context limiting BLAS to one thread: the fits are many small matrix
    products, and on a shared 2-core machine spinning BLAS threads cost more
    than they give (measured: 46 s vs 19 s for one completion fit)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn; be safe anyway
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def fit_quarter(ledger: Any, as_of: str | pd.Period | None) -> pd.Period:
    """The quarter a model fits at: ``as_of``, or else the quarter ``ledger`` was cut at."""
    if as_of is None:
        if ledger.cut is None:
            raise ForecastError("Give the quarter to fit at (as_of='2025Q3'), or fit on a cut "
                                "ledger: ledger.as_of('2025Q3').")
        return ledger.cut
    return quarter(as_of)
