"""City, province and national totals from the zones' joint draws.

A group's total in draw *d* is the sum of its zones' totals in draw *d*; its
mean and quantiles are taken from those sums (the p90 of a sum is not the sum
of the p90s). Every zone keeps its own seeded stream (``simulate.zone_seed``),
so a group's numbers do not depend on which other zones run, nor on the order
in which zones finish.

Memory: zones are added to their groups' accumulators as they finish (in the
worker that simulated them, then merged), so no more than one accumulator per
group is held, never every zone's draws. The sums are kept in fixed point
(int64 counts of ``1 / SCALE``): integer addition is exact and associative, so
a run on one core, on a process pool or on a Dask cluster, whatever the order
the zones finish in, gives the same table byte for byte.

>>> import numpy as np
>>> acc = GroupSums({"a": (("province", "P"),), "b": (("province", "P"),)})
>>> acc.add("a", {"investment": np.array([[1.0], [3.0]])})
>>> acc.add("b", {"investment": np.array([[10.0], [30.0]])})
>>> acc.samples(("province", "P"))["investment"].ravel().tolist()
[11.0, 33.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from .exceptions import ForecastError
from .vocab import FORECAST_COLUMNS, TARGET_METRICS

#: Levels of the forecast table with roll-ups, finest first.
LEVELS = ("zone", "city", "province", "all")
#: The levels a roll-up can be asked for.
ROLLUP_LEVELS = LEVELS[1:]
#: The ``zone_id`` of the all-zones total.
ALL_NAME = "all"
#: Fixed point of the sums: a ten-thousandth of the unit (1 元 of 万元), the
#: table's own precision.
SCALE = 10_000

GroupKey = tuple[str, str]  # (level, name)


def parse_levels(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Roll-up levels from ``"city,province,all"`` (any order, no repeats).

    >>> parse_levels("all, province")
    ('province', 'all')
    """
    if text is None:
        return ()
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text)]
    items = [t for t in items if t]
    bad = [t for t in items if t not in ROLLUP_LEVELS]
    if bad:
        raise ForecastError(f"A roll-up level must be one of {', '.join(ROLLUP_LEVELS)}. Got: {bad[0]!r}")
    return tuple(lv for lv in ROLLUP_LEVELS if lv in items)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or not str(v).strip()


def zone_groups(zones: pd.DataFrame, zone_ids: Iterable[str], levels: str | Iterable[str]
                ) -> dict[str, tuple[GroupKey, ...]]:
    """Each zone's groups: ``zone_id → ((level, name), ...)``.

    A zone without a ``city`` (``province``) is in no city (province) group. A
    city or province is summed only when every one of its zones (in the zones
    table) is among ``zone_ids``: a total over part of a province would pass for
    the province's. The ``all`` group holds every zone of ``zone_ids``. A city
    name found in two provinces is named ``province/city`` so that the two are
    not summed together.

    Raises
    ------
    ForecastError
        When a level is asked for whose column the zones table lacks.
    """
    levels = parse_levels(levels)
    ids = [str(z) for z in zone_ids]
    for lv in levels:
        if lv != "all" and lv not in zones.columns:
            raise ForecastError(f"A {lv} roll-up needs a '{lv}' column in zones.csv; the ledger has none.")
    rows = zones.assign(zone_id=zones["zone_id"].astype(str)).set_index("zone_id")
    province = rows["province"] if "province" in rows else pd.Series(dtype=object)
    cities: dict[str, set[str]] = {}
    if "city" in rows:
        for z, c in rows["city"].items():
            if not _blank(c):
                cities.setdefault(str(c).strip(), set()).add(str(province.get(z, "")).strip())
    keys_of: dict[str, list[GroupKey]] = {}
    for z in rows.index:
        keys: list[GroupKey] = []
        for lv in (lv for lv in levels if lv != "all"):
            v = rows.at[z, lv]
            if _blank(v):
                continue
            name = str(v).strip()
            if lv == "city" and len(cities.get(name, ())) > 1:
                name = f"{str(province.get(z, '')).strip()}/{name}"
            keys.append((lv, name))
        keys_of[z] = keys
    run = set(ids)
    incomplete = {k for z, keys in keys_of.items() if z not in run for k in keys}
    everyone = [("all", ALL_NAME)] if "all" in levels else []
    return {z: tuple([k for k in keys_of.get(z, []) if k not in incomplete] + everyone) for z in ids}


def _fixed(x: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float) * SCALE).astype(np.int64)


@dataclass
class GroupSums:
    """Accumulators of the groups' draws, filled zone by zone.

    Parameters
    ----------
    groups : mapping
        ``zone_id → ((level, name), ...)`` (see :func:`zone_groups`).
    """

    groups: Mapping[str, tuple[GroupKey, ...]]
    sums: dict[GroupKey, dict[str, np.ndarray]] = field(default_factory=dict)
    members: dict[GroupKey, list[str]] = field(default_factory=dict)

    def empty(self) -> "GroupSums":
        """A new accumulator with the same groups (what a worker fills)."""
        return GroupSums(self.groups)

    def add(self, zone_id: str, samples: Mapping[str, np.ndarray]) -> None:
        """Add one zone's draws (metric → ``(draws, H)``) to each of its groups."""
        keys = self.groups.get(zone_id, ())
        if not keys:
            return
        fixed = {m: _fixed(x) for m, x in samples.items()}
        for key in keys:
            acc = self.sums.get(key)
            if acc is None:
                self.sums[key] = {m: x.copy() for m, x in fixed.items()}
            else:
                for m, x in fixed.items():
                    acc[m] += x
            self.members.setdefault(key, []).append(zone_id)

    def merge(self, other: "GroupSums") -> None:
        """Add another accumulator's sums (a worker's) into this one."""
        for key, acc in other.sums.items():
            mine = self.sums.get(key)
            if mine is None:
                self.sums[key] = acc
            else:
                for m, x in acc.items():
                    mine[m] += x
            self.members.setdefault(key, []).extend(other.members.get(key, []))

    def keys(self) -> list[GroupKey]:
        """The groups filled so far: by level (city, province, all), then by name."""
        return sorted(self.sums, key=lambda k: (LEVELS.index(k[0]), k[1]))

    def samples(self, key: GroupKey) -> dict[str, np.ndarray]:
        """A group's draws: metric → ``(draws, H)`` totals."""
        return {m: x / SCALE for m, x in self.sums[key].items()}

    def table(self, quarters: pd.PeriodIndex) -> pd.DataFrame:
        """The groups' forecast-table rows, with a ``level`` column first."""
        from .simulate.summary import _summary, _tables

        keys = self.keys()
        t = _tables([k[1] for k in keys], quarters, [_summary(self.samples(k)) for k in keys])
        sizes = [len(self.sums[k]) * len(quarters) for k in keys]
        t.insert(0, "level", np.repeat(np.asarray([k[0] for k in keys], dtype=object), sizes))
        return t


def with_levels(zone_table: pd.DataFrame, sums: GroupSums, quarters: pd.PeriodIndex) -> pd.DataFrame:
    """The zones' table (``level`` = ``zone``) followed by the groups' rows."""
    zt = zone_table.copy()
    zt.insert(0, "level", "zone")
    return pd.concat([zt, sums.table(quarters)], ignore_index=True)[["level", *FORECAST_COLUMNS]]


def group_targets(targets: pd.DataFrame, members: Iterable[str], name: str,
                  given: pd.DataFrame | None = None) -> pd.DataFrame:
    """A group's targets (``zone_id`` = ``name``): the sum of its zones' targets
    for each year and metric that *every* zone of the group has (a sum over
    some of them would make the target look easier than it is), unless
    ``given`` holds the group's own (rows ``zone_id == name``)."""
    members = list(members)
    if given is not None and len(given):
        own = given.loc[given["zone_id"].astype(str) == name]
        if len(own):
            return own[["zone_id", "year", "metric", "value"]].reset_index(drop=True)
    t = targets.loc[targets["zone_id"].astype(str).isin(members) & targets["metric"].isin(TARGET_METRICS)]
    if t.empty:
        return pd.DataFrame(columns=["zone_id", "year", "metric", "value"])
    g = t.groupby(["year", "metric"]).agg(value=("value", "sum"), n=("zone_id", "nunique")).reset_index()
    g = g.loc[g["n"] == len(set(members))]
    return g.assign(zone_id=name)[["zone_id", "year", "metric", "value"]].reset_index(drop=True)


@dataclass
class GroupForecast:
    """A group's forecast: the total's table, targets and history.

    Attributes
    ----------
    level : str
        ``city``, ``province`` or ``all``.
    name : str
    members : list of str
        Its zones, in ledger order.
    table : DataFrame
        ``level`` + ``vocab.FORECAST_COLUMNS`` of the total (``zone_id`` = ``name``).
    targets : DataFrame
        ``targets.TARGET_COLUMNS`` of the group's targets (see :func:`group_targets`).
    history : DataFrame
        The members' ``aggregate.quarterly`` rows summed per quarter.
    samples : dict
        Metric → ``(draws, H)`` totals.
    """

    level: str
    name: str
    members: list[str]
    as_of: pd.Period
    horizon: int
    table: pd.DataFrame
    targets: pd.DataFrame
    history: pd.DataFrame
    samples: dict[str, np.ndarray] = field(repr=False, default_factory=dict)


def _zones_of(ledger: Any, zones: Iterable[str] | None) -> list[str]:
    return list(ledger.zone_ids) if zones is None else [str(z) for z in zones]


def rollup_table(ledger: Any, as_of: str | pd.Period, horizon: int = 8, draws: int = 1000, seed: int = 0,
                 models: Any = None, zones: list[str] | None = None,
                 levels: str | Iterable[str] = ROLLUP_LEVELS, **kwargs: Any) -> pd.DataFrame:
    """The forecast table with a ``level`` column: every zone's rows as
    :func:`forecast.simulate.forecast_table` gives them, then each city's,
    province's and the all-zones total (``zone_id`` = the group's name).

    Other keyword arguments (``workers``, ``scheduler``, ``progress``, ...) as
    for ``forecast_table``.

    Examples
    --------
    >>> from forecast.sample import generate                                  # doctest: +SKIP
    >>> t = rollup_table(generate(zones=3, seed=1), "2023Q4", 4, 200, levels="province,all")  # doctest: +SKIP
    >>> t.loc[t["level"] == "all", ["period", "metric", "mean", "p10", "p90"]]  # doctest: +SKIP
    """
    from .periods import next_quarters, quarter
    from .simulate import forecast_table

    ids = _zones_of(ledger, zones)
    sums = GroupSums(zone_groups(ledger.zones, ids, levels))
    table = forecast_table(ledger, as_of, horizon, draws, seed, models=models, zones=zones, sums=sums, **kwargs)
    return with_levels(table, sums, next_quarters(quarter(as_of), int(horizon)))


def forecast_groups(ledger: Any, as_of: str | pd.Period, horizon: int = 8, draws: int = 1000, seed: int = 0,
                    models: Any = None, zones: list[str] | None = None,
                    levels: str | Iterable[str] = ROLLUP_LEVELS, targets: pd.DataFrame | None = None,
                    **kwargs: Any) -> tuple[dict[str, Any], dict[GroupKey, GroupForecast]]:
    """Every zone's :class:`~forecast.simulate.ZoneForecast` and every group's
    :class:`GroupForecast`, from one simulation.

    Parameters
    ----------
    targets : DataFrame, optional
        A group's own targets (``zone_id`` = the group's name, ``year``,
        ``metric``, ``value``); a group without one gets the sum of its
        zones' targets (:func:`group_targets`).
    kwargs
        As for :func:`forecast.simulate.forecast_zones`.
    """
    from .periods import quarter
    from .simulate import forecast_zones
    from .targets import target_probabilities

    ids = _zones_of(ledger, zones)
    sums = GroupSums(zone_groups(ledger.zones, ids, levels))
    fc = forecast_zones(ledger, as_of, horizon, draws, seed, models=models, zones=zones, sums=sums, **kwargs)
    q = quarter(as_of)
    first = next(iter(fc.values()), None)
    quarters = first.quarters if first is not None else pd.PeriodIndex([], freq="Q-DEC")
    table = sums.table(quarters)
    order = {z: i for i, z in enumerate(ids)}
    groups: dict[GroupKey, GroupForecast] = {}
    for key in sums.keys():
        level, name = key
        members = sorted(sums.members[key], key=order.__getitem__)
        hist = [fc[z].history for z in members if len(fc[z].history)]
        history = pd.DataFrame()
        if hist:
            history = pd.concat(hist, ignore_index=True).drop(columns="zone_id").groupby(
                "quarter", sort=True).sum(numeric_only=True).reset_index()
            history.insert(0, "zone_id", name)
        samples = sums.samples(key)
        tgt = group_targets(ledger.targets, members, name, targets)
        probs = target_probabilities(name, tgt, history if len(history) else
                                     pd.DataFrame({"zone_id": [], "quarter": []}), samples, quarters, q)
        rows = table.loc[(table["level"] == level) & (table["zone_id"] == name)].reset_index(drop=True)
        groups[key] = GroupForecast(level, name, members, q, len(quarters), rows, probs, history, samples)
    return fc, groups
