"""Rows that are not records: blank rows, total rows (合计), the template's example row.

A printed ledger closes with a 合计 (total) row, and groups of projects with 小计
(subtotal) rows; a total row has one of 合计 / 小计 / 总计 / 累计 in its id or
name cell (or in the first column, the 序号 of a printed ledger) and no id of
its own. It is skipped with a warning naming the row: forecast computes totals
itself, and a total read as a project would double the zone's investment.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd

from ..exceptions import Problem
from .parse import blank_cells, distinct
from .rawtable import RawTable

#: Words of a total row.
TOTAL_WORDS = ("合计", "小计", "总计", "累计")
_TOTAL_RE = re.compile(r"^\W*(?:" + "|".join(TOTAL_WORDS) + r")")
#: The id that marks the template's example row (``forecast template``).
EXAMPLE_ID = "示例"
#: The key of each table: a total row has none of its own.
KEYS = {"zones": "zone_id", "projects": "project_id", "progress": "project_id", "targets": "zone_id",
        "indicators": "zone_id", "plan": "project_id"}


def _flags(codes: np.ndarray, uniques: list[object], test: Callable[[str], bool]) -> np.ndarray:
    """``test`` of each cell's text without white space, through the distinct values."""
    flags = np.array([isinstance(u, str) and test(re.sub(r"\s+", "", u)) for u in uniques] + [False], bool)
    return flags[np.where(codes < 0, len(uniques), codes)]


def drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with at least one non-blank cell."""
    if frame.empty:
        return frame
    blank = np.ones(len(frame), bool)
    for c in frame.columns:
        blank &= blank_cells(frame[c])
        if not blank.any():
            return frame
    return frame.loc[~blank]


def skip_rows(raw: RawTable, frame: pd.DataFrame, positions: dict[str, int]) -> tuple[pd.DataFrame, list[Problem]]:
    """``frame`` without its total rows and the template's example row, and a problem for each.

    ``positions`` maps canonical columns to their position in ``frame``.
    """
    key = positions.get(KEYS[raw.table])
    if frame.empty or key is None:
        return frame, []
    codes, uniques = distinct(frame[key])
    # a row with an id of its own is a record whatever its name says: look only at the others
    candidates = np.flatnonzero((codes < 0) | _flags(codes, uniques, lambda t: bool(_TOTAL_RE.match(t))))
    looked = [p for c, p in positions.items() if c in ("project_id", "zone_id", "name")] + [0]
    total = np.zeros(len(frame), bool)
    word = np.full(len(frame), "", dtype=object)
    for i in candidates:
        for p in dict.fromkeys(looked):
            text = frame.iat[i, p]
            if isinstance(text, str) and _TOTAL_RE.match(re.sub(r"\s+", "", text)):
                total[i], word[i] = True, text.strip()
                break
    example = _flags(codes, uniques, lambda t: t == EXAMPLE_ID or t.startswith(EXAMPLE_ID + "-"))
    problems = []
    for i in np.flatnonzero(total):
        file, row = raw.locate(frame.index[i])
        problems.append(Problem(file, row, None, "total row skipped", str(word[i]),
                                "one record a row; totals (合计, 小计) are computed, not read", "warning",
                                expected_zh="每行一条记录；合计、小计由系统计算，不读入"))
    for i in np.flatnonzero(example):
        file, row = raw.locate(frame.index[i])
        problems.append(Problem(file, row, None, "template example row skipped", EXAMPLE_ID,
                                f"records; a row whose id is {EXAMPLE_ID} is the template's example", "info",
                                expected_zh=f"数据记录；编号为“{EXAMPLE_ID}”的行是模板示例"))
    drop = total | example
    return (frame.loc[~drop] if drop.any() else frame), problems
