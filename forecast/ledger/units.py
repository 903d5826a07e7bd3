"""Units that lie: money written in 亿元 (or 元) under a header that says, or implies, 万元.

A ledger in 亿元 under ``计划总投资`` loads 10,000 times too small and nothing else
looks wrong; the one sign is the size of the numbers. For every money column
the median of its positive values (the *typical value*), converted with the unit
its header declares (万元 when none), must lie in the column's range
(``ColumnSpec.typical``: e.g. 100万元 to 100亿元 for a project's total). A median
outside the range that another unit would bring inside it (亿元 for too small,
元 for too large) is an error naming the file, the column, the typical value
and that unit, and saying how to write the header. The ranges hold every
honest ledger at hand by a wide margin (docs/ledger.md, "Units that lie").
"""

from __future__ import annotations

import re

import numpy as np

from ..exceptions import Problem
from ..vocab import MONEY_METRICS
from .columns import column_spec
from .headers import UNITS
from .tables import Typed

#: Units a lying column is tried in, most likely first.
_SUSPECTS = ("亿元", "元", "万元", "千元", "百万元")
_UNIT_SUFFIX = re.compile(r"\s*[(（【\[][^()（）【】\[\]]*[)）】\]]\s*$")


def fixed_header(written: str, unit: str) -> str:
    """The header with ``unit`` written in it: ``计划总投资`` → ``计划总投资(亿元)``."""
    return f"{_UNIT_SUFFIX.sub('', written)}({unit})"


def _looks_like(written_typical: float, declared: str, low: float, high: float) -> str | None:
    for unit in _SUSPECTS:
        if unit != declared and low <= written_typical * UNITS["money"][unit] <= high:
            return unit
    return None


def unit_problems(t: Typed) -> list[Problem]:
    """An error per money column of ``t`` whose typical value says its unit is not the declared one."""
    problems = []
    for column, factor in t.factors.items():
        spec = column_spec(t.table, column)
        if spec.typical is None or column not in t.frame:
            continue
        values = t.frame[column]
        if t.table == "targets":  # counts are counts, whatever the header's unit
            if "metric" not in t.frame:
                continue
            values = values[t.frame["metric"].isin(MONEY_METRICS)]
        values = values.to_numpy(dtype="float64", na_value=np.nan)
        values = values[values > 0]
        if not len(values):
            continue
        typical = float(np.median(values))
        low, high = spec.typical
        if low <= typical <= high:
            continue
        declared = t.units.get(column) or "万元"
        written = typical / factor
        unit = _looks_like(written, declared, low, high)
        if unit is None:
            continue
        head = t.header(column)
        fix = fixed_header(head, unit)
        problems.append(Problem(
            t.file, None, head, "unit looks wrong", f"typical value {written:,.6g}",
            f"amounts in {declared}: a typical {column} lies between {low:,.0f} and {high:,.0f} 万元, these "
            f"{len(values):,} values have a median of {written:,.6g} {declared} and look like {unit}; "
            f"if they are in {unit}, write the unit in the header: {fix}",
            expected_zh=f"以{declared}计的金额：{head}的典型值应在 {low:,.0f} 至 {high:,.0f} 万元之间，这 "
                        f"{len(values):,} 个值的中位数为 {written:,.6g} {declared}，看起来是{unit}；"
                        f"若确为{unit}，请在表头写明单位：{fix}",
        ))
    return problems
