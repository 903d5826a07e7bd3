"""Report sections on their own (no kernel): the 龙虎榜 of responsible units."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import pytest

from _report_fixtures import EVIL_UNIT, make_report_data
from forecast.report import sections
from forecast.report.labels import t
from forecast.risk import BOARD_COLUMNS, unit_board


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.mark.parametrize("lang,red,black", [("zh", "红旗", "黑旗"), ("en", "Red flag", "Black flag")])
def test_board_ranks_units_with_flags_and_escapes_names(lang: str, red: str, black: str) -> None:
    html = sections.board(make_report_data(lang)).html
    assert f"<h2>{t('board.title', lang)}</h2>" in html
    assert t("board.unit", lang) in html and t("board.share", lang) in html
    rows = _rows(html)
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    # The flag sits under the unit's name (one column fewer: the board fits a phone).
    unit, flag = rows[0][1].split("<br>")
    assert unit == "经发局" and flag.endswith(red) and 'fc-flag-red' in flag
    assert "<br>" not in rows[1][1] + rows[2][1] and "fc-flag" not in rows[1][1] + rows[2][1]
    # The unit's markup is text, and its row carries the black flag.
    unit, flag = rows[3][1].split("<br>")
    assert unit == "招商局 &lt;i&gt;一科&lt;/i&gt; &amp; 二科"
    assert flag.endswith(black) and "fc-flag-black" in flag
    assert "<i>一科</i>" not in html
    assert rows[3][2:5] == ["6", "5", "83%"]
    assert "50%" in html  # the at-risk threshold, from forecast.risk


def test_board_from_the_risk_module_renders() -> None:
    rd = make_report_data("zh")
    board = unit_board(rd.forecast.risk, min_projects=1)
    assert list(board.columns) == list(BOARD_COLUMNS)
    html = sections.board(replace(rd, forecast=replace(rd.forecast, board=board))).html
    assert len(_rows(html)) == board["responsible_unit"].nunique() == 2
    assert "招商局 &lt;i&gt;一科&lt;/i&gt;" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_units_says_so(lang: str) -> None:
    rd = make_report_data(lang)
    empty = replace(rd, forecast=replace(rd.forecast, board=pd.DataFrame(columns=list(BOARD_COLUMNS))))
    html = sections.board(empty).html
    assert t("board.none", lang) in html and "<table" not in html


def test_long_board_is_cut_with_a_note() -> None:
    rd = make_report_data("en")
    n = sections.BOARD_ROWS + 4
    board = pd.DataFrame({"zone_id": "Z01", "responsible_unit": [f"Unit {i}" for i in range(n)],
                          "projects": 5, "at_risk": 1, "share_at_risk": 0.2,
                          "planned_investment_at_risk": 1e4, "rank": range(1, n + 1), "flag": "",
                          "flag_zh": ""})
    html = sections.board(replace(rd, forecast=replace(rd.forecast, board=board))).html
    assert len(_rows(html)) == sections.BOARD_ROWS
    assert t("board.more", "en", n=4) in html


def test_board_is_a_section_of_the_page_after_the_risk_list() -> None:
    assert sections.ALL.index(sections.board) == sections.ALL.index(sections.risks) + 1
    assert EVIL_UNIT.startswith("招商局")
