"""A real report in headless Chromium as a phone: it loads nothing from
outside, paints a page that is not blank, fits the phone's width, and draws
its Chinese text with the embedded Noto Sans CJK SC.

Chromium is Debian's package (``.ci/run`` installs it). Without it on the
PATH these tests skip loudly, or fail when ``CI`` is set (the ``chromium``
fixture of tests/conftest.py).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from _cdp import PHONE, Visit, visit
from forecast.report.export import external_references


@pytest.fixture(scope="module")
def visits(chromium: Path, rendered: dict, tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, Visit]:
    """Both languages' reports opened once each as a 390 × 844 phone."""
    tmp = tmp_path_factory.mktemp("browser")
    out = {}
    for lang in ("zh", "en"):
        page = Path(rendered[lang])
        out[lang] = visit(chromium, page.as_uri(), tmp / f"profile-{lang}",
                          font_selectors=["h1", "h2", ".fc-verdicts li", "table.fc-table td"])
        shot = page.with_name(f"{lang}-phone.png")
        shot.write_bytes(out[lang].screenshot)
        print(f"screenshot: {shot}")
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshot_is_a_phone_page_and_not_blank(visits: dict[str, Visit], lang: str) -> None:
    img = Image.open(io.BytesIO(visits[lang].screenshot)).convert("RGB")
    assert img.size == (PHONE["width"], PHONE["height"])
    px = np.asarray(img, dtype=float)
    assert px.std() > 20
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 200
    # The header band is the report's accent blue (#1f5fa8): the stylesheet applied.
    top = px[10:60, :, :].reshape(-1, 3).mean(axis=0)
    assert top[2] > top[0] + 60, top


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_loads_nothing_and_nothing_fails(visits: dict[str, Visit], rendered: dict,
                                              lang: str) -> None:
    v = visits[lang]
    assert v.failed == []
    # The page itself and its inline data: URIs, nothing else.
    assert [u for u in v.requests if not u.startswith(("file://", "data:"))] == []
    assert not re.findall(r"net::ERR_\w+", v.log)
    html = Path(rendered[lang]).read_text(encoding="utf-8")
    assert external_references(html) == []
    assert re.search(r"https?://", html) is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_fits_the_phone_width(visits: dict[str, Visit], lang: str) -> None:
    m = visits[lang].metrics
    assert m["innerWidth"] == PHONE["width"]
    # Wide tables scroll inside their box; the page never scrolls sideways.
    assert m["scrollWidth"] <= PHONE["width"]
    assert m["scrollHeight"] > 3 * PHONE["height"]


# Every table of the page fits a phone without scrolling sideways: the risk list
# (headed "项目"/"Project") by turning its rows into cards, the first screen's rates
# ("比率"/"Rate") by wrapping before the interval, the 龙虎榜 ("名次"/"Rank") with the
# flag under the unit's name. The heads listed must be on the page (so that the test
# cannot pass on a page that lost them).
NARROW_TABLES = {"zh": ["比率", "类别", "项目", "名次", "给出的概率", "方法"],
                 "en": ["Rate", "Batch", "Project", "Rank", "Chance given", "Method"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_table_fits_the_phone(visits: dict[str, Visit], lang: str) -> None:
    tables = visits[lang].metrics["tables"]
    assert sorted(t["head"].strip() for t in tables) == sorted(NARROW_TABLES[lang])
    wide = [t["head"] for t in tables if t["scrolls"]]
    assert not wide, f"tables that scroll sideways at 390 px: {wide}"


def test_chinese_text_is_drawn_with_the_embedded_cjk_font(visits: dict[str, Visit]) -> None:
    v = visits["zh"]
    assert "fc-cjk" in v.metrics["fonts"]
    for selector in ("h1", "h2", ".fc-verdicts li", "table.fc-table td"):
        fonts = v.fonts[selector]
        cjk = [f for f in fonts if f["familyName"].startswith("Noto Sans CJK SC")]
        assert cjk and all(f["isCustomFont"] for f in cjk), (selector, fonts)
        # Every glyph of a Chinese heading is drawn; none falls back to a box.
        assert sum(f["glyphCount"] for f in cjk) > 0
