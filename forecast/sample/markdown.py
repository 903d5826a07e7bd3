"""Markdown tables of the ground truth for ``docs/sample.md``.

The doc's tables are written by :func:`update_doc` from running the code, so
the documented numbers are always those of the generator.
"""

from __future__ import annotations

import re
from pathlib import Path

from .._io import atomic_path
from ..vocab import CATEGORIES
from .calibration import TARGETS, calibration
from .derived import complete_data_truth, derived_truth
from .generate import generate
from .truth import DEFAULT_TRUTH, GroundTruth


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def params_table(truth: GroundTruth = DEFAULT_TRUTH) -> str:
    """Every generating parameter: name, value, meaning, real figure."""
    rows = [[f"`{d['name']}`", d["value"].replace("|", "/"), d["meaning"], d["calibration"]]
            for d in truth.describe()]
    return _table(["parameter", "value", "meaning", "calibrated by"], rows)


def truth_tables(truth: GroundTruth = DEFAULT_TRUTH, n: int = 200_000, seed: int = 0) -> str:
    """The derived truths of ``derived_truth(truth, n, seed)`` as four tables."""
    d = derived_truth(truth, n=n, seed=seed)
    f = _num
    cats = list(CATEGORIES)
    per_cat = [[f"median_months {a}→{b}"] + [f(v[c]) for c in cats] for (a, b), v in d["median_months"].items()]
    per_cat += [[f"cancel_share {s}"] + [f(v[c]) for c in cats] for s, v in d["cancel_share"].items()]
    per_cat += [[k] + [f(d[k][c]) for c in cats]
                for k in ("overrun_median", "output_ratio", "realisation", "months_to_90")]
    quarters = [["spend_quarter_factor"] + [f(d["spend_quarter_factor"][q]) for q in range(1, 5)]]
    quarters += [[f"event_quarter_factor {e}"] + [f(v[q]) for q in range(1, 5)]
                 for e, v in d["event_quarter_factor"].items()]
    return (_table(["key"] + cats, per_cat) + "\n\n"
            + _table(["key", "Q1", "Q2", "Q3", "Q4"], quarters))


def complete_data_tables(truth: GroundTruth = DEFAULT_TRUTH) -> str:
    """The default sample's complete-data values (:func:`complete_data_truth`):
    each cell as value, its gap to the derived truth, and transitions made."""
    c, d = complete_data_truth(truth=truth), derived_truth(truth)
    cats = list(CATEGORIES)

    def cell(v: float, t: float, rel: bool, n: float | None = None) -> str:
        gap = f"{100 * (v / t - 1):+.0f}%" if rel else f"{100 * (v - t):+.1f} pt"
        return f"{_num(v)} ({gap}{'' if n is None else f', n={n:.0f}'})" if v == v else "–"

    rows = [[f"median_months {a}→{b}"] + [cell(v[k], d["median_months"][(a, b)][k], True,
                                                c["n_events"][(a, b)][k]) for k in cats]
            for (a, b), v in c["median_months"].items()]
    rows += [[f"cancel_share {s}"] + [cell(v[k], d["cancel_share"][s][k], False) for k in cats]
             for s, v in c["cancel_share"].items()]
    quarters = [[f"event_quarter_factor {e}"] + [f"{_num(v[q])} ({v[q] - d['event_quarter_factor'][e][q]:+.2f})"
                                                 for q in range(1, 5)]
                for e, v in c["event_quarter_factor"].items()]
    return (_table(["key"] + cats, rows) + "\n\n"
            + _table(["key", "Q1", "Q2", "Q3", "Q4"], quarters))


def calibration_table(year: int = 2024) -> str:
    """Calibration figures measured on ``generate()`` against the real figures."""
    got = calibration(generate(), year)
    rows = [[f"`{k}`", _num(got[k]), text, f"{_num(lo)} – {_num(hi)}"] for k, (text, lo, hi) in TARGETS.items()]
    return _table(["figure", "sample (2024)", "real figure", "accepted"], rows)


SECTIONS = {"params": params_table, "truth": truth_tables, "complete": complete_data_tables,
            "calibration": calibration_table}
_BLOCK = re.compile(r"(<!-- BEGIN generated:(\w+) -->\n).*?(<!-- END generated:\2 -->)", re.S)


def render_doc(text: str) -> str:
    """``text`` with every generated block replaced by the current table."""
    return _BLOCK.sub(lambda m: m.group(1) + SECTIONS[m.group(2)]() + "\n" + m.group(3), text)


def update_doc(path: str | Path) -> bool:
    """Rewrite the generated blocks of the doc at ``path``; True when it changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = render_doc(old)
    if new != old:
        with atomic_path(path) as tmp:
            tmp.write_text(new, encoding="utf-8")
    return new != old
