"""The zh/en label table: complete, consistent, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from forecast.exceptions import ForecastError
from forecast.report.labels import LABELS, LANGS, count, money, pct, t, yi
from forecast.vocab import CATEGORIES, METRICS, STAGES

REPORT_DIR = Path(__file__).resolve().parents[2] / "forecast" / "report"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("key", sorted(LABELS))
def test_both_languages_present_with_the_same_placeholders(key: str) -> None:
    zh, en = LABELS[key]
    assert _fields(zh) == _fields(en), f"{key}: zh and en take different values"
    # The method note names the Chinese units on purpose.
    assert not _CJK.search(en) or key == "method.body", f"{key}: Chinese in the English text"


@pytest.mark.parametrize("key", sorted(LABELS))
def test_a_yi_in_chinese_is_100m_in_english(key: str) -> None:
    # 1 亿元 = 100 million CNY. An English "bn" beside a 亿元 figure is 10x wrong
    # (the province table said "Expected investment (bn CNY)" over 亿元 values).
    zh, en = LABELS[key]
    assert not re.search(r"\bbn\b|billion|bln", en, re.IGNORECASE), f"{key}: {en!r}"
    if "（亿元）" in zh:
        assert "(100m CNY)" in en, f"{key}: {zh!r} / {en!r}"


def test_chinese_labels_are_chinese() -> None:
    # Section titles and intros must be translated, not copied from English.
    missing = [k for k, (zh, _) in LABELS.items()
               if k.endswith((".title", ".intro")) and not _CJK.search(zh)]
    assert missing == []


@pytest.mark.parametrize("prefix,names", [("stage", STAGES), ("category", CATEGORIES),
                                          ("metric", METRICS)])
def test_vocabulary_names_come_from_vocab(prefix: str, names: tuple[str, ...]) -> None:
    for name in names:
        assert t(f"{prefix}.{name}", "zh") != t(f"{prefix}.{name}", "en")
    assert t("stage.signed", "zh") == "签约"


def test_every_literal_key_used_in_the_package_exists() -> None:
    used = set()
    for path in REPORT_DIR.glob("*.py"):
        used |= set(re.findall(r'\bt\(\s*"([a-z_.0-9]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 40
    assert sorted(used - set(LABELS)) == []


def test_t_formats_and_rejects_unknowns() -> None:
    assert t("report.subtitle", "zh", as_of="2025Q3", horizon=8) == "数据截至 2025Q3 · 预测未来 8 个季度"
    with pytest.raises(ForecastError, match="No report label 'nope'"):
        t("nope", "zh")
    with pytest.raises(ForecastError, match="must be one of zh, en. Got: 'fr'"):
        t("report.title", "fr", zone="x")
    assert LANGS == ("zh", "en")


@pytest.mark.parametrize("fn,value,expected", [
    (yi, 123_456.0, "12.3"),
    (yi, 1_234_567_890.0, "123,456.8"),
    (yi, float("nan"), "—"),
    (yi, None, "—"),
    (pct, 0.456, "46%"),
    (pct, None, "—"),
    (count, 3.0, "3"),
    (count, 2.46, "2.5"),
    (count, float("nan"), "—"),
])
def test_number_formats(fn, value, expected) -> None:  # noqa: ANN001
    assert fn(value) == expected


@pytest.mark.parametrize("wan,zh,en", [
    (123_456.0, "12.3 亿元", "CNY 1,230m"),      # 1 亿元 = 10,000 万元 = 100 million CNY
    (10_000.0, "1.0 亿元", "CNY 100m"),
    (1_234_567_890.0, "123,456.8 亿元", "CNY 12,345,680m"),
    (float("nan"), "—", "—"),
])
def test_money_is_the_same_figure_in_both_languages(wan, zh, en) -> None:  # noqa: ANN001
    assert (money(wan, "zh"), money(wan, "en")) == (zh, en)
