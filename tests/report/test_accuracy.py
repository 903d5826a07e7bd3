"""The accuracy section: target chances by band (counted by hand) and the plain sentences
where the model loses to a simple method, with what the product did."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from _report_fixtures import make_report_data

from forecast.report import accuracy, sections


def _cases(pairs: list[tuple[float, bool]], zone: str = "z") -> pd.DataFrame:
    return pd.DataFrame({"zone_id": zone, "year": 2024, "metric": "investment", "origin": "2023Q4",
                         "target": 1.0, "p_meet": [p for p, _ in pairs], "actual": 1.0,
                         "met": [m for _, m in pairs]})


def test_bands_by_hand() -> None:
    r = accuracy.reliability(_cases([(0.0, False), (0.0999, True), (0.1, False), (0.35, True),
                                      (0.39, False), (0.9, True), (1.0, True), (0.95, False)]))
    r = r.set_index("band")
    assert r["n"].tolist() == [2, 1, 0, 2, 0, 0, 0, 0, 0, 3]
    assert r["met"].tolist() == [1, 0, 0, 1, 0, 0, 0, 0, 0, 2]
    assert r.loc[3, "share_met"] == 0.5 and r.loc[9, "share_met"] == pytest.approx(2 / 3)
    assert r.loc[3, "mean_p"] == pytest.approx(0.37)
    assert np.isnan(r.loc[2, "share_met"])  # an empty band has no share, not 0%
    assert r["n"].sum() == 8


def test_probabilities_outside_0_1_are_refused() -> None:
    with pytest.raises(ValueError):
        accuracy.reliability(_cases([(1.2, True)]))


def test_section_counts_the_likely_and_unlikely_cases() -> None:
    rd = make_report_data("zh")
    html = sections.track_record(rd).html
    # fixture: 2 zones x 2 years x (0.05 no, 0.95 yes, 0.75/0.72/0.78 yes, 0.71 no) = 24 cases
    assert "共 24 次估计" in html and "2 个园区" in html
    assert "模型给出 70% 及以上把握的 20 次中，目标实际完成 16 次（80%）" in html
    assert "给出 30% 以下把握的 4 次中，目标实际完成 0 次（0%）" in html
    assert "本园区在其中 12 次，目标完成 8 次" in html
    # the 70–80% row: 16 cases, 12 met, 75%; this zone's 6/8
    row = re.search(r"<tr><td[^>]*>70–80%</td>(.*?)</tr>", html).group(1)
    assert [c for c in re.findall(r">([^<]*)</td>", row)] == ["16", "12", "75%", "6/8"]
    en = sections.track_record(make_report_data("en")).html
    assert "Of the 20 times the model gave a target a chance of 70% or more, it was met 16 times (80%)" in en


def test_no_history_says_so() -> None:
    rd = replace(make_report_data("zh"), track_probabilities=None)
    assert "台账的历史年份不足" in sections.track_record(rd).html


def _losing(rd, metric: str = "projects_started"):  # noqa: ANN001, ANN202
    s = rd.backtest_scores.copy()
    s.loc[(s["metric"] == metric) & (s["model"] == "forecast"), "mase"] = 1.25
    return replace(rd, backtest_scores=s)


def test_a_loss_to_a_simple_method_is_said_with_what_the_product_did() -> None:
    zh = sections.track_record(_losing(make_report_data("zh"))).html
    assert ("在开工项目数上，本模型过去 4 个季度的下季度预测不如“去年同季”简单法（MASE 1.25 对 1.00）。"
            in zh.replace("&#34;", "\u201c"))
    assert "与简单方法加权融合（本模型 50%、去年同季 25%、指数平滑 25%）" in zh
    en = sections.track_record(_losing(make_report_data("en"))).html
    assert ("On projects started, the model's next-quarter forecasts over the last 4 quarters did worse "
            "than the simple 'same quarter last year' method (MASE 1.25 against 1.00)." in en.replace("&#39;", "'"))
    assert "this model 50%, same quarter last year 25%, exponential smoothing 25%" in en
    # every metric it did not lose on goes unmentioned
    assert "完成投资上" not in zh


def test_a_loss_the_calibration_kept_or_could_not_treat() -> None:
    rd = _losing(make_report_data("zh"), "investment")
    assert "全部园区合计，与简单方法融合并不能让本模型的完成投资预测明显更准" in sections.track_record(rd).html
    none = replace(rd, calibration=pd.DataFrame({"what": ["not calibrated"], "metric": [""], "k": [0],
                                                 "estimate": [np.nan], "n": [0], "note": ["too little"]}))
    assert "历史数据尚不足以校准，本期完成投资预测未与简单方法融合" in sections.track_record(none).html


def test_a_tie_is_not_a_loss() -> None:
    """1.01 against the simple method's 1.00 is within 2%: no sentence (1.46 vs 1.46 shown)."""
    s = make_report_data("zh")
    scores = s.backtest_scores.copy()
    scores.loc[(scores["metric"] == "investment") & (scores["model"] == "forecast"), "mase"] = 1.01
    html = sections.track_record(replace(s, backtest_scores=scores)).html
    assert "完成投资上" not in html and "都不差于两种简单方法" in html
    scores.loc[(scores["metric"] == "investment") & (scores["model"] == "forecast"), "mase"] = 1.03
    assert "在完成投资上" in sections.track_record(replace(s, backtest_scores=scores)).html


def test_no_loss_one_sentence() -> None:
    assert "各项指标上，本模型的下季度预测都不差于两种简单方法" in sections.track_record(
        make_report_data("zh")).html
