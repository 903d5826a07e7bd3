"""Cell parsing: text, numbers, dates, periods, years and coded values.

Every parser takes a raw column as read (an ``ArrowDtype`` string column from
the fast CSV path, or an object column of strings / Excel cell values) and
returns the typed column plus a boolean mask of cells that could not be read,
so the caller can name each bad cell. Parsing goes through the column's
distinct values: ledgers repeat dates, periods and ids a lot, so this is fast
without giving up exact per-cell messages.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .headers import VALUE_MAPS, normalise

_NA = object()  # marks a blank cell among the distinct values

_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_QUARTER_RE = re.compile(r"^(\d{4})\s*[-_ ]?\s*[qQ]\s*([1-4])$")
_ZH_QUARTER_RE = re.compile(r"^(\d{4})\s*年?\s*第?\s*([1-4一二三四])\s*季度?$")
_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _arrow(s: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow array behind an ``ArrowDtype`` column, else ``None``."""
    if isinstance(s.dtype, pd.ArrowDtype):
        return pa.chunked_array(s.array._pa_array)  # noqa: SLF001  (zero copy)
    return None


def _blank(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _clean_arrow(arr: pa.ChunkedArray) -> pa.Array:
    """Trimmed strings, blank cells null."""
    trimmed = pc.utf8_trim_whitespace(arr.combine_chunks())
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def distinct(s: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes into the list of distinct values; blank cells get code -1.

    Arrow text is trimmed first, so its distinct values are never blank.
    """
    arr = _arrow(s)
    if arr is not None:
        enc = pc.dictionary_encode(_clean_arrow(arr))
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, enc.dictionary.to_pylist()
    if s.dtype == np.float64:  # numbers of a workbook (:mod:`.cells`): no Python object per cell
        codes, uniq = pd.factorize(s.to_numpy(), use_na_sentinel=True)
        return codes, uniq.tolist()
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    uniques = list(uniq)
    blank = np.fromiter((_blank(u) for u in uniques), bool, len(uniques))
    if blank.any():
        codes = np.where(blank[codes] & (codes >= 0), -1, codes)
    return codes, uniques


def _map_distinct(
    s: pd.Series, fn: Callable[[object], object], fill: object, dtype: object
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``fn`` to each distinct value; ``fn`` returns ``_NA`` for a bad cell."""
    codes, uniques = distinct(s)
    parsed = [fn(u) for u in uniques]
    bad_u = np.fromiter((p is _NA for p in parsed), bool, len(parsed))
    values = np.array([fill if p is _NA else p for p in parsed] + [fill], dtype=dtype)
    out = values[codes]  # code -1 picks the trailing fill
    bad = np.append(bad_u, False)[codes]
    return out, bad


def _cell_text(value: object) -> object:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(value)
    if isinstance(value, float):
        # Excel stores ids such as 1001 as numbers; they are text in a ledger.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    return str(value)


def text_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cleaned text as codes into its distinct values (-1 = blank).

    Equal texts share a code, so cross-table lookups and duplicate checks can
    work on integers instead of millions of strings.
    """
    arr = _arrow(s)
    if arr is not None:
        # Arrow text is already clean: skip the per-value Python of the general path.
        enc = pc.dictionary_encode(_clean_arrow(arr))
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, enc.dictionary.to_numpy(zero_copy_only=False).astype(object)
    codes, uniques = distinct(s)
    cleaned = [_cell_text(u) for u in uniques]
    # Cleaning can make two written values equal (" a" and "a"): code them again.
    cleaned = [np.nan if c == "" else c for c in cleaned]
    recode, values = pd.factorize(pd.Series(cleaned, dtype=object), use_na_sentinel=True)
    recode = np.append(recode, -1)
    return recode[np.where(codes < 0, len(uniques), codes)], np.asarray(values, dtype=object)


def from_codes(codes: np.ndarray, values: np.ndarray, index: pd.Index) -> pd.Series:
    """The text column that :func:`text_codes` describes."""
    return pd.Series(np.append(values, np.nan)[codes], index=index, dtype=object)


def parse_text(s: pd.Series) -> pd.Series:
    """Text with surrounding white space removed; blank cells are NaN.

    >>> parse_text(pd.Series([" a ", "", 1001.0])).tolist()
    ['a', nan, '1001']
    """
    return from_codes(*text_codes(s), s.index)


def parse_enum(s: pd.Series, values: str) -> pd.Series:
    """Coded values to canonical names (``工业`` → ``industrial``).

    An unknown value is kept as written, so the schema check reports it.
    """
    mapping = VALUE_MAPS[values]

    def one(v: object) -> object:
        text = _cell_text(v)
        return mapping.get(normalise(text), text)

    out, _ = _map_distinct(s, one, np.nan, object)
    return pd.Series(out, index=s.index, dtype=object)


def _number(value: object) -> object:
    if isinstance(value, bool):
        return _NA
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if not isinstance(value, str):
        return _NA
    text = value.strip().translate(_FULLWIDTH).replace(" ", "")
    if _THOUSANDS_RE.match(text):
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return _NA
    return number if np.isfinite(number) else _NA


_FULLWIDTH = str.maketrans("０１２３４５６７８９，．－＋", "0123456789,.-+")


def parse_number(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers, with thousands separators allowed (``1,234.5``).

    >>> v, bad = parse_number(pd.Series(["1,234.5", "", "x"]))
    >>> v.tolist()[:2], bad.tolist()
    ([1234.5, nan], [False, False, True])
    """
    if s.dtype == np.float64:  # numbers of a workbook (:mod:`.cells`)
        values = s.to_numpy(copy=True)
        infinite = np.isinf(values)
        values[infinite] = np.nan
        return pd.Series(values, index=s.index, dtype="float64"), infinite
    arr = _arrow(s)
    if arr is not None:
        try:
            clean = _clean_arrow(arr)
            values = pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False)
            nan = np.isnan(values)
            # NaN only where the cell is blank: Arrow reads the text "nan" as NaN, a bad cell here
            if np.array_equal(nan, clean.is_null().to_numpy(zero_copy_only=False)) and np.isfinite(values[~nan]).all():
                return pd.Series(values, index=s.index, dtype="float64"), np.zeros(len(s), bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # thousands separators or bad cells: the careful path below
        s = pd.Series(arr.to_numpy(zero_copy_only=False), index=s.index, dtype=object)
    obj = s.to_numpy(dtype=object)
    quick = pd.to_numeric(pd.Series(obj), errors="coerce").to_numpy(dtype="float64")
    blank = blank_cells(pd.Series(obj))
    slow = np.isnan(quick) & ~blank
    bad = np.zeros(len(obj), bool)
    for i in np.flatnonzero(slow):
        value = _number(obj[i])
        if value is _NA:
            bad[i] = True
        else:
            quick[i] = value
    infinite = np.isinf(quick)
    bad |= infinite
    quick[infinite] = np.nan
    return pd.Series(quick, index=s.index, dtype="float64"), bad


#: Excel's day 0 (its serial 60 is the 29 February 1900 that never was; serials from 61 on are right).
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
#: Serial numbers read as dates in a date column: 1954-10-03 .. 2119-01-10.
_SERIALS = (20_000, 80_000)


def _serial(number: float) -> object:
    if not float(number).is_integer():
        return _NA  # 2024.3 typed as a number: March or (2024.10 shown as 2024.1) October?
    n = int(number)
    if _SERIALS[0] <= n <= _SERIALS[1]:
        return (_EXCEL_EPOCH + np.timedelta64(n, "D")).astype("datetime64[ns]")
    if 19_000_101 <= n <= 22_001_231:  # 20240315 typed as a number
        return _date(str(n))
    return _NA


def _date(value: object) -> object:
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return np.datetime64(pd.Timestamp(value).normalize(), "ns")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return _serial(float(value)) if np.isfinite(value) else _NA
    if not isinstance(value, str):
        return _NA
    text = value.strip()
    m = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not m:
        if text.isdigit() and len(text) == 5:  # an Excel serial exported as text
            return _serial(float(text))
        return _NA
    try:
        return np.datetime64(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "ns")
    except ValueError:
        return _NA


def _month_end(value: object) -> object:
    """The last day of a month written without a day (``2024年3月``, ``2024-03``, ``2024.3``)."""
    if not isinstance(value, str):
        return _NA
    m = _MONTH_RE.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return _NA
    return pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M").end_time.normalize().to_datetime64()


def parse_date(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates, and the cells that could not be read (see :func:`parse_date_months`)."""
    values, bad, _ = parse_date_months(s)
    return values, bad


def parse_date_months(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Dates: ISO, ``2024/1/26``, ``2024.1.26``, ``2024年1月26日``, ``20240126``,
    Excel dates and serial numbers, and months without a day.

    A time of day, if written, is dropped: the ledger counts days. A month
    without a day (``2024年3月``, ``2024-03``, ``2024.3``) is read as its last day
    and flagged, so the caller can say how many cells were read so.

    Returns
    -------
    (dates, bad, month_only) : the dates, cells that could not be read, and
        cells read as a month's last day.

    >>> v, bad, month = parse_date_months(pd.Series(["2024年1月26日", "2024/2/30", "2024年3月", 45366]))
    >>> [str(d.date()) for d in v[[0, 2, 3]]], bad.tolist(), month.tolist()
    (['2024-01-26', '2024-03-31', '2024-03-15'], [False, True, False, False], [False, False, True, False])
    """
    codes, uniques = distinct(s)
    values, month_u = [], []
    for u in uniques:
        d = _date(u)
        month = d is _NA and (d := _month_end(u)) is not _NA
        values.append(np.datetime64("NaT", "ns") if d is _NA else d)
        month_u.append(month)
    bad_u = np.fromiter((v != v for v in values), bool, len(values))  # NaT != NaT
    take = np.where(codes < 0, len(uniques), codes)
    out = np.array(values + [np.datetime64("NaT", "ns")], dtype="datetime64[ns]")[take]
    bad = np.append(bad_u, False)[take]
    month_only = np.append(np.array(month_u, bool), False)[take]
    return pd.Series(out, index=s.index), bad, month_only


def blank_cells(s: pd.Series) -> np.ndarray:
    """Cells that are empty or white space only (NaN, ``None``, ``''``, ``'\u3000'`` ...)."""
    arr = _arrow(s)
    if arr is not None and pa.types.is_string(arr.type):
        trimmed = pc.utf8_trim_whitespace(arr.combine_chunks())
        return pc.equal(trimmed, "").fill_null(True).to_numpy(zero_copy_only=False)
    b = s.isna().to_numpy()
    if s.dtype == object:
        b |= np.array([isinstance(v, str) and not v.strip() for v in s.to_numpy()], bool)
    return b


def untrimmed(s: pd.Series) -> np.ndarray:
    """Text cells with white space before or after (spaces, full-width U+3000, no-break U+00A0)."""
    arr = _arrow(s)
    if arr is not None:
        arr = arr.combine_chunks()
        trimmed = pc.utf8_trim_whitespace(arr)
        # a cell of white space only is blank, not trimmed (as on the path below)
        differs = pc.and_(pc.not_equal(pc.utf8_length(arr), pc.utf8_length(trimmed)), pc.not_equal(trimmed, ""))
        return differs.fill_null(False).to_numpy(zero_copy_only=False)
    codes, uniques = distinct(s)
    flags = np.fromiter((isinstance(u, str) and u != u.strip() for u in uniques), bool, len(uniques))
    return np.append(flags, False)[np.where(codes < 0, len(uniques), codes)]


def _period(value: object) -> object:
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        # Excel turns a typed "2024-03" into the date 2024-03-01: read it as the month.
        ts = pd.Timestamp(value)
        return f"{ts.year}-{ts.month:02d}"
    if not isinstance(value, str):
        return _NA
    text = value.strip().upper()
    m = _QUARTER_RE.match(text) or _ZH_QUARTER_RE.match(text)
    if m:
        q = _ZH_DIGITS.get(m.group(2)) or int(m.group(2))
        return f"{int(m.group(1))}Q{q}"
    m = _MONTH_RE.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1))}-{int(m.group(2)):02d}"
    return _NA


def parse_period(s: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Periods ``YYYY-MM`` or ``YYYYQn`` (also ``2024年3月``, ``2024年第1季度``).

    Returns a frame with ``period`` (canonical text), ``freq`` (``M``/``Q``),
    ``period_end`` (last day) and ``quarter`` (``period[Q-DEC]``).

    >>> f, bad = parse_period(pd.Series(["2024年3月", "2024Q2", "2024-13"]))
    >>> f["period"].tolist(), f["freq"].tolist()[:2], bad.tolist()
    (['2024-03', '2024Q2', nan], ['M', 'Q'], [False, False, True])
    """
    codes, uniques = distinct(s)
    texts = [_period(u) for u in uniques]
    bad_u = np.fromiter((t is _NA for t in texts), bool, len(texts))
    ok = [None if t is _NA else t for t in texts]
    freq = [None if t is None else ("Q" if "Q" in t else "M") for t in ok]
    per = [None if t is None else pd.Period(t, freq=f) for t, f in zip(ok, freq)]
    end = [pd.NaT if p is None else p.end_time.normalize() for p in per]
    qtr = [pd.NaT if p is None else p.asfreq("Q-DEC") for p in per]
    take = np.where(codes < 0, len(uniques), codes)
    frame = pd.DataFrame(
        {
            "period": np.array([t if t else np.nan for t in ok] + [np.nan], object)[take],
            "freq": np.array([f if f else np.nan for f in freq] + [np.nan], object)[take],
            "period_end": pd.DatetimeIndex(end + [pd.NaT]).as_unit("ns").to_numpy()[take],
            "quarter": pd.PeriodIndex(qtr + [pd.NaT], freq="Q-DEC")[take],
        },
        index=s.index,
    )
    bad = np.append(bad_u, False)[take]
    return frame, bad


def _year(value: object) -> object:
    number = _number(value.strip().rstrip("年") if isinstance(value, str) else value)
    if number is _NA or not float(number).is_integer() or not 1900 <= number <= 2200:
        return _NA
    return int(number)


def parse_year(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Calendar years (``2024``, ``2024年``) as nullable integers."""
    out, bad = _map_distinct(s, _year, None, object)
    return pd.Series(out, index=s.index, dtype="Int64"), bad
