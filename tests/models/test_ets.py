"""The vectorised ETS: sharing the design of equal parameter rows changes no number."""

from __future__ import annotations

import numpy as np

from forecast.models import _ets


def test_profile_shares_designs_without_changing_a_bit():
    rng = np.random.default_rng(4)
    z = np.cumsum(rng.normal(size=(30, 24)), axis=1) + np.tile([0.0, 1.0, 0.5, -1.5], 6)
    zt = np.ascontiguousarray(z.T)
    lengths = np.full(30, 24)
    lengths[:5] = 17  # some shorter series (NaN-padded), as the grid search sees them
    zt[17:, :5] = np.nan
    grid = _ets._default_grid()
    params = grid[rng.integers(0, 6, size=30)]  # six distinct rows among thirty series
    u, sse = _ets._profile(zt, lengths, params, 4)
    a, _ = _ets._run(zt, np.zeros((30, 6)), params, 4)
    u0, sse0 = _ets._solve_initial(a, _ets._design(params, 24, 4), lengths)  # one design per series
    assert u.tobytes() == u0.tobytes() and sse.tobytes() == sse0.tobytes()
    assert np.isfinite(sse).all() and (sse > 0).all()
