"""Chinese text in charts: the Noto Sans CJK SC font the ``mplfonts`` wheel ships.

matplotlib's own DejaVu Sans has no Chinese glyphs (each character would be an
empty box and a "Glyph ... missing" warning). The font file comes with the
``mplfonts`` wheel, so a plain ``pip install`` brings it: no download, no root,
no system font. We locate the file through the installed distribution's
metadata instead of importing ``mplfonts`` (its import configures matplotlib
globally, which a library should not do).
"""

from __future__ import annotations

import base64
import fcntl
import functools
import hashlib
import importlib.metadata
import io
import os
import re
from pathlib import Path
from typing import Any, Final

from .._io import CACHE_ENV, atomic_write, cache_dir  # noqa: F401 - CACHE_ENV: part of this module's API
from ..exceptions import ForecastError

#: The family name matplotlib reads from the font file.
CJK_FAMILY: Final = "Noto Sans CJK SC"
_FONT_FILE: Final = "mplfonts/fonts/NotoSansCJKsc-Regular.otf"
#: Latin fallback after the CJK font (which also has Latin glyphs).
_FALLBACK: Final = "DejaVu Sans"


def font_path() -> Path:
    """Path of ``NotoSansCJKsc-Regular.otf`` inside the installed ``mplfonts``.

    Raises
    ------
    ForecastError
        When ``mplfonts`` is not installed or the file is missing.
    """
    try:
        dist = importlib.metadata.distribution("mplfonts")
    except importlib.metadata.PackageNotFoundError as err:
        raise ForecastError(
            "Chinese chart text needs the 'mplfonts' package (it ships Noto Sans CJK SC); "
            "install it with: pip install 'mplfonts>=0.0.11'"
        ) from err
    path = Path(str(dist.locate_file(_FONT_FILE)))
    if not path.is_file():
        raise ForecastError(
            f"The mplfonts package is installed but {_FONT_FILE} is missing (looked at "
            f"{path}); reinstall it with: pip install --force-reinstall 'mplfonts>=0.0.11'"
        )
    return path


@functools.cache
def _register() -> str:
    # Registering twice would add a duplicate entry to the font list; cache it.
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    return CJK_FAMILY


def cjk_rc() -> dict[str, Any]:
    """rcParams that make every chart text use Noto Sans CJK SC.

    Registers the font on first use. Use with ``matplotlib.rc_context`` to
    style one figure without touching the global settings.

    >>> cjk_rc()["font.family"]
    ['sans-serif']
    """
    family = _register()
    return {
        "font.family": ["sans-serif"],
        "font.sans-serif": [family, _FALLBACK],
        # The CJK font has U+2212, but ASCII '-' keeps tick labels identical to
        # the tables' numbers.
        "axes.unicode_minus": False,
    }


def use_cjk_font() -> str:
    """Register Noto Sans CJK SC and make it matplotlib's default font.

    Returns
    -------
    str
        The family name, ``"Noto Sans CJK SC"``.

    Raises
    ------
    ForecastError
        When the font file cannot be found (see :func:`font_path`).

    Examples
    --------
    >>> use_cjk_font()
    'Noto Sans CJK SC'
    """
    import matplotlib

    matplotlib.rcParams.update(cjk_rc())
    return CJK_FAMILY


#: The CSS family name of the embedded subset (first in report.css's font stack).
WEB_FAMILY: Final = "fc-cjk"
#: What the embedded subset covers: CJK punctuation, ideographs, full-width forms.
#: Latin text keeps the reader's system font.
CJK_UNICODE_RANGE: Final = "U+2E80-9FFF,U+F900-FAFF,U+FE30-FE4F,U+FF00-FFEF"


#: Bump when the base subset's recipe changes: the cache key includes it.
_BASE_RECIPE: Final = "1"
#: Tables a page of horizontal text never uses (and that are slow to read).
_DROP_TABLES: Final = ("GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "DSIG")
_CJK_RE: Final = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def cjk_chars(text: str) -> str:
    """The characters of ``text`` inside :data:`CJK_UNICODE_RANGE`, sorted, once each.

    >>> cjk_chars("A园区，园B")
    '区园，'
    """
    return "".join(sorted(set(_CJK_RE.findall(text))))


def base_chars() -> str:
    """What the cached base subset covers: the 7,445 characters of GB 2312
    (its 6,763 hanzi, punctuation and full-width forms) and every report label,
    as far as they fall in :data:`CJK_UNICODE_RANGE`."""
    from .labels import LABELS

    gb = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                gb.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return cjk_chars("".join(gb) + "".join(zh + en for zh, en in LABELS.values()))


def _subset_options(*, from_base: bool) -> Any:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []
    # Keep the names (so browsers report the font as Noto Sans CJK SC) and the
    # copyright and licence records the SIL Open Font Licence asks to travel
    # with the font.
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = False
    options.drop_tables += list(_DROP_TABLES)
    if from_base:
        # The base has neither hints nor subroutines left: asking to remove
        # them again would run every kept charstring through the interpreter.
        options.hinting = True
        options.desubroutinize = False
    else:
        options.hinting = False
        options.desubroutinize = True
    return options


def _subset(source: str | io.BytesIO, chars: str, *, from_base: bool, flavor: str | None) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    buf = io.BytesIO()
    # No bounding-box or timestamp recalculation: both would decode every glyph.
    with TTFont(source, lazy=True, recalcBBoxes=False, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(_subset_options(from_base=from_base))
        subsetter.populate(text=chars)
        subsetter.subset(font)
        font.flavor = flavor
        font.save(buf)
    return buf.getvalue()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.cache
def base_font() -> tuple[bytes, frozenset[str]]:
    """The base subset (OpenType bytes) and the characters it covers.

    Built once per install from the 16 MB font (about 10 s: every glyph of
    GB 2312, without hints or subroutines) and cached on disk under
    :func:`cache_dir`, keyed by the font file's SHA-256, the recipe and the
    character set; read back in a few milliseconds by every later process.
    When the cache folder cannot be written the subset lives in this process
    only.
    """
    src = font_path()
    chars = base_chars()
    key = hashlib.sha256(
        f"{_file_sha256(src)}|{_BASE_RECIPE}|{chars}".encode("utf-8")).hexdigest()[:20]
    path = cache_dir() / f"noto-sans-cjk-sc-base-{key}.otf"
    try:
        return path.read_bytes(), frozenset(chars)
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_suffix(".lock"), "w")
    except OSError:
        return _subset(str(src), chars, from_base=False, flavor=None), frozenset(chars)
    with lock:
        # Two processes starting together (xdist workers, batch kernels) build it once.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return path.read_bytes(), frozenset(chars)
        data = _subset(str(src), chars, from_base=False, flavor=None)
        try:
            atomic_write(path, data)
        except OSError:
            pass  # a read-only cache: this process keeps its copy
    return data, frozenset(chars)


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the glyphs of ``text`` as a WOFF data URI.

    Parameters
    ----------
    text : str
        The characters the page needs (duplicates and non-CJK characters are
        fine: only those in :data:`CJK_UNICODE_RANGE` are embedded). Empty → ``""``.

    Returns
    -------
    str
        CSS declaring the family ``fc-cjk``; about 150 bytes a glyph.

    Notes
    -----
    A page whose characters are all in the base subset (:func:`base_font`)
    is cut from it: about 0.08 s of CPU. A page with a rarer character is cut
    from the whole 16 MB font instead (about 0.4 s). Hinting and OpenType
    layout features are dropped: the page needs plain glyphs only.
    """
    chars = cjk_chars(text)
    if not chars:
        return ""
    base, covered = base_font()
    if covered.issuperset(chars):
        woff = _subset(io.BytesIO(base), chars, from_base=True, flavor="woff")
    else:
        woff = _subset(str(font_path()), chars, from_base=False, flavor="woff")
    # WOFF is zlib; WOFF2 would need brotli, which is not installed.
    data = base64.b64encode(woff).decode("ascii")
    return (
        f'@font-face{{font-family:"{WEB_FAMILY}";font-style:normal;font-weight:400;'
        f'font-display:block;unicode-range:{CJK_UNICODE_RANGE};'
        f'src:url(data:font/woff;base64,{data}) format("woff");}}'
    )
