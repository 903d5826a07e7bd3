"""Every money figure of the English report, index and mail is the Chinese page's
figure: the same quantity in the same place, 1 亿元 = CNY 100m (never a billion)."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest
from _report_fixtures import make_report_data

from forecast.publish.headline import from_report
from forecast.publish.index import render_index
from forecast.publish.mail_body import render_text
from forecast.publish.results import BatchResult, JobResult, Recipient, Report
from forecast.report import sections

_YI = re.compile(r"(-?[\d,]+\.\d+) 亿元")
_CNY = re.compile(r"CNY (-?[\d,]+)m")


def _text(page: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _yi(text: str) -> list[float]:
    return [float(v.replace(",", "")) for v in _YI.findall(text)]


def _cny_in_yi(text: str) -> list[float]:
    return [float(v.replace(",", "")) / 100 for v in _CNY.findall(text)]


@pytest.fixture(scope="module", params=["2025Q2", "2025Q4"])
def pair(request):
    return {lang: make_report_data(lang, as_of=request.param, zone_name="绵阳经开区") for lang in ("zh", "en")}


def _same(zh: list[float], en: list[float]) -> None:
    assert len(zh) >= 3 and zh == pytest.approx(en, abs=1e-9)


def test_report_pages(pair) -> None:
    zh, en = (_text(sections.page(pair[lang])) for lang in ("zh", "en"))
    _same(_yi(zh), _cny_in_yi(en))
    assert not re.search(r"\bbn\b|billion", en)
    assert "亿元" not in en.replace("亿元;", "")  # the unit is only named in the method note


def _index(rd) -> str:
    h = from_report(rd)
    job = JobResult(rd.zone_id, rd.zone_name, rd.lang, f"{rd.zone_id}.{rd.lang}", "ok", headline=h)
    return _text(render_index(BatchResult(Path("."), str(rd.as_of), (rd.lang,), results=[job])))


def test_index(pair) -> None:
    _same(_yi(_index(pair["zh"])), _cny_in_yi(_index(pair["en"])))


def _mail(rd) -> str:
    report = Report(rd.zone_id, rd.lang, f"{rd.zone_id}.{rd.lang}", Path("x.html"), from_report(rd))
    return render_text([report], Recipient("a@b.c", "", None), rd.lang, 1, [])


def test_mail(pair) -> None:
    zh, en = _mail(pair["zh"]), _mail(pair["en"])
    _same(_yi(zh), _cny_in_yi(en))
    assert "bn" not in en
