"""Chinese text in charts: the Noto Sans CJK SC font the ``mplfonts`` wheel ships.

matplotlib's own DejaVu Sans has no Chinese glyphs (each character would be an
empty box and a "Glyph ... missing" warning). The font file comes with the
``mplfonts`` wheel, so a plain ``pip install`` brings it: no download, no root,
no system font. We locate the file through the installed distribution's
metadata instead of importing ``mplfonts`` (its import configures matplotlib
globally, which a library should not do).
"""

from __future__ import annotations

import functools
import importlib.metadata
from pathlib import Path
from typing import Any, Final

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


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the glyphs of ``text`` as a WOFF data URI.

    Parameters
    ----------
    text : str
        The characters the page needs (duplicates are fine). Empty → ``""``.

    Returns
    -------
    str
        CSS declaring the family ``fc-cjk``; about 130 bytes a glyph.

    Notes
    -----
    Subsetting reads the 16 MB font lazily and takes about 0.3 s. Hinting and
    OpenType layout features are dropped: the page needs plain glyphs only.
    """
    chars = "".join(sorted(set(text)))
    if not chars:
        return ""
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"  # zlib; WOFF2 would need brotli, which is not installed
    options.layout_features = []
    options.hinting = False
    # Keep the names (so browsers report the font as Noto Sans CJK SC) and the
    # copyright and licence records the SIL Open Font Licence asks to travel
    # with the font.
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = False
    # Layout and vertical-metrics tables are the slow part to read and a page
    # of horizontal text never uses them.
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "DSIG"]
    buf = io.BytesIO()
    with TTFont(str(font_path()), lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        font.flavor = "woff"
        font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'@font-face{{font-family:"{WEB_FAMILY}";font-style:normal;font-weight:400;'
        f'font-display:block;unicode-range:{CJK_UNICODE_RANGE};'
        f'src:url(data:font/woff;base64,{data}) format("woff");}}'
    )
