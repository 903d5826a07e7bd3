"""The embedded web font: cut from a base subset cached on disk (GB 2312 and
every label), or from the whole 16 MB font for a rarer character; the glyphs
are the same either way."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from forecast.report import fonts
from forecast.report.labels import LABELS

#: Not in GB 2312 (a given name), so outside the base subset.
RARE = "喆"


def _font(css: str) -> TTFont:
    b64 = re.search(r"base64,([A-Za-z0-9+/=]+)\) format\(\"woff\"\)", css).group(1)
    return TTFont(io.BytesIO(base64.b64decode(b64)))


def _outline(font: TTFont, char: str) -> list:
    pen = RecordingPen()
    font.getGlyphSet()[font.getBestCmap()[ord(char)]].draw(pen)
    return pen.value


@pytest.fixture
def spy_subset(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, for each subsetting, whether it started from the base."""
    calls: list[bool] = []
    real = fonts._subset

    def spy(source, chars, *, from_base, flavor):  # noqa: ANN001, ANN202
        calls.append(from_base)
        return real(source, chars, from_base=from_base, flavor=flavor)

    monkeypatch.setattr(fonts, "_subset", spy)
    return calls


def test_base_covers_gb2312_and_every_label() -> None:
    chars = set(fonts.base_chars())
    assert len(chars) > 7000
    assert set(fonts.cjk_chars("".join(zh + en for zh, en in LABELS.values()))) <= chars
    assert {"园", "区", "（", "，", "Ａ"} <= chars
    assert RARE not in chars and "A" not in chars


def test_cjk_chars_keeps_only_the_embedded_range() -> None:
    assert fonts.cjk_chars("Zone 园区：园A·–") == "区园："
    assert fonts.font_face_css("Latin only · –") == ""


def test_common_page_is_cut_from_the_base_with_the_same_glyphs(spy_subset: list[bool]) -> None:
    text = "经开区投资项目预测报告（龙虎榜）"
    fast = _font(fonts.font_face_css(text))
    assert spy_subset == [True]
    slow = _font(fonts.font_face_css(text + RARE))
    assert spy_subset == [True, False]
    assert {ord(c) for c in text} <= set(fast.getBestCmap())
    assert {ord(c) for c in text + RARE} <= set(slow.getBestCmap())
    for char in "经龙（":
        assert _outline(fast, char) == _outline(slow, char)
        assert fast["hmtx"][fast.getBestCmap()[ord(char)]] == slow["hmtx"][slow.getBestCmap()[ord(char)]]
    # The names travel with the glyphs (browsers report Noto Sans CJK SC).
    assert fast["name"].getDebugName(1).startswith("Noto Sans CJK SC")


def test_base_is_built_once_cached_by_key_and_read_back(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(fonts, "base_chars", lambda: "经开区")
    fonts.base_font.cache_clear()
    try:
        data, covered = fonts.base_font()
        (cached,) = tmp_path.glob("*.otf")
        assert cached.read_bytes() == data and covered == frozenset("经开区")
        assert set(TTFont(io.BytesIO(data)).getBestCmap()) >= {ord(c) for c in "经开区"}

        # A later process reads the file and builds nothing.
        fonts.base_font.cache_clear()
        real = fonts._subset
        monkeypatch.setattr(fonts, "_subset", lambda *a, **k: pytest.fail("rebuilt the base"))
        assert fonts.base_font()[0] == data

        # Another character set is another key, hence another file.
        fonts.base_font.cache_clear()
        monkeypatch.setattr(fonts, "_subset", real)
        monkeypatch.setattr(fonts, "base_chars", lambda: "经开")
        assert fonts.base_font()[1] == frozenset("经开")
        assert len(list(tmp_path.glob("*.otf"))) == 2
        assert not list(tmp_path.glob("*.tmp"))
    finally:
        fonts.base_font.cache_clear()


def test_unwritable_cache_keeps_the_base_in_memory(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(fonts.CACHE_ENV, str(blocker / "cache"))
    monkeypatch.setattr(fonts, "base_chars", lambda: "园区")
    fonts.base_font.cache_clear()
    try:
        data, covered = fonts.base_font()
        assert covered == frozenset("园区") and data[:4] == b"OTTO"
    finally:
        fonts.base_font.cache_clear()
