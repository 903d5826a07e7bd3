"""Everything a province report shows: :class:`~forecast.report.province.ProvinceData`.

The province notebook's one call into the forecasting side: the ledger and
the models as the zone report gets them (same caches), then every zone of the
province simulated once, its draws summed into the province's total
(``forecast.rollup.forecast_groups``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

from ..exceptions import ForecastError
from ..report.province import ProvinceData, zone_ranking
from .spec import check_parameters, default_ledger_path
from .zone import _ledger_state, models_at

__all__ = ["is_province_stem", "load_province_data", "province_stem", "provinces"]

_STEM = re.compile(r"^province-[0-9a-f]{12}$")


def provinces(zones: pd.DataFrame) -> list[str]:
    """The provinces of a zones table, in the order they first appear (none
    without a ``province`` column; blank names left out)."""
    if "province" not in zones:
        return []
    names = zones["province"].dropna().astype(str).str.strip()
    return list(dict.fromkeys(n for n in names if n))


def province_stem(name: str) -> str:
    """A file stem for a province: ``province-`` and a digest of its name (a
    ledger string is data, never a path).

    >>> province_stem("四川省")
    'province-f773613f3d16'
    """
    return "province-" + hashlib.blake2b(name.encode("utf-8"), digest_size=6).hexdigest()


def is_province_stem(stem: str) -> bool:
    """Whether a report stem (without its language) is a province page's."""
    return bool(_STEM.match(stem))


def load_province_data(ledger_path: str, province: str, as_of: str | pd.Period, *, horizon: int = 8,
                       lang: str = "zh", draws: int = 1000, seed: int = 0,
                       modelset_path: str = "") -> ProvinceData:
    """Simulate a province's zones and gather its report.

    Parameters
    ----------
    ledger_path : str
        A ledger folder or .xlsx file; ``""`` = the sample ledger.
    province : str
        A value of the zones table's ``province`` column.
    as_of, horizon, lang, draws, seed, modelset_path
        As for :func:`forecast.run.load_report_data`.

    Raises
    ------
    ForecastError
        On a bad parameter, or a province no zone belongs to (naming those there are).
    """
    from ..rollup import forecast_groups

    q = check_parameters("", as_of, horizon, lang, draws, seed)
    state, ledger_key = _ledger_state(ledger_path or default_ledger_path())
    ledger = state.ledger
    ledger.check_quarter(q)
    known = provinces(ledger.zones)
    name = str(province).strip()
    if name not in known:
        raise ForecastError(f"No zone of the ledger is in the province {province!r}; the ledger's "
                            f"provinces are: {', '.join(known) or 'none (zones.csv has no province column)'}.")
    z = ledger.zones.assign(zone_id=ledger.zones["zone_id"].astype(str))
    members = z.loc[z["province"].astype(str).str.strip() == name, "zone_id"].tolist()
    models = models_at(state, ledger_key, q, modelset_path)
    cut, _ = state.cut(q)
    fc, groups = forecast_groups(cut, q, horizon, draws, seed, models=models, zones=members,
                                 levels="province")
    total = groups[("province", name)]
    cities = dict(zip(z["zone_id"], z["city"].fillna("").astype(str))) if "city" in z else {}
    data = ProvinceData(province=name, as_of=q, lang=lang, horizon=horizon, draws=draws, seed=seed,
                        total=total, zones=pd.DataFrame(),
                        models_source=Path(modelset_path).name if modelset_path else "")
    data.zones = zone_ranking(fc, cities, data.year)
    return data
