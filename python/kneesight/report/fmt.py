"""Formatting of values, ranges and citations for the report (escaped HTML snippets)."""

from __future__ import annotations

import re
from html import escape
from typing import Any

import numpy as np

from kneesight.export.flatten import humanize, numeric

SIDE_LABEL = {"l": "Left", "r": "Right", "left": "Left", "right": "Right"}
DEGREE_UNITS = ("deg", "degree", "degrees", "°")


def unit_suffix(units: str) -> str:
    """``°`` for degrees, a non-breaking space and the units otherwise (escaped)."""
    if units in DEGREE_UNITS:
        return "°"
    return f"&nbsp;{escape(units)}" if units else ""


def fmt_value(value: Any, units: str = "", missing: str = "not measured") -> str:
    """A value with its units as escaped HTML; missing values read ``missing``.

    Integers print as integers, other numbers with 1 decimal (2 for unitless values below 10,
    such as ratios); metres below 1 m print in mm.
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return f'<span class="na">{escape(missing)}</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    v = numeric(value)
    if v is not None:
        if units == "m" and abs(v) < 1:
            v, units, value = v * 1000.0, "mm", v * 1000.0
        if isinstance(value, int):
            text = str(value)
        else:
            digits = 2 if not units and abs(v) < 10 else 1
            text = f"{v:.{digits}f}"
        return text + unit_suffix(units)
    if isinstance(value, list):
        return escape(", ".join(str(x) for x in value))
    if isinstance(value, dict):
        parts = [f"{escape(humanize(str(k)))} {fmt_value(v, units, missing)}" for k, v in
                 value.items()]  # fmt: skip
        return "; ".join(parts)
    return escape(str(value))


def fmt_range(normal: Any, units: str = "") -> str:
    """A normal range: ``[lo, hi]`` (either may be null), ``{"female": [...], ...}``, or text."""
    if normal is None:
        return ""
    if isinstance(normal, dict):
        parts = [f"{escape(humanize(str(k)))} {fmt_range(v, units)}" for k, v in normal.items()]
        return "<br>".join(parts)
    if isinstance(normal, list | tuple) and len(normal) == 2:
        lo, hi = (numeric(x) for x in normal)
        unit = unit_suffix(units)
        if lo is not None and hi is not None:
            return f"{lo:g}–{hi:g}{unit}"
        if lo is not None:
            return f"≥&nbsp;{lo:g}{unit}"
        if hi is not None:
            return f"≤&nbsp;{hi:g}{unit}"
        return ""
    return escape(str(normal))


def fmt_threshold(comparison: Any, threshold: Any, units: str) -> str:
    """The acceptable side of a flag threshold: a flag on ``> 13`` reads ``≤ 13°``."""
    t = numeric(threshold)
    if t is None:
        return ""
    normal_side = {">": "≤", ">=": "<", "<": "≥", "<=": ">"}.get(str(comparison or ""), "")
    if not normal_side:
        return f"threshold {t:g}{unit_suffix(units)}"
    return f"{normal_side}&nbsp;{t:g}{unit_suffix(units)}"


def outside(value: Any, normal: Any) -> bool:
    """True when a numeric value is outside a plain ``[lo, hi]`` range."""
    v = numeric(value)
    if v is None or not isinstance(normal, list | tuple) or len(normal) != 2:
        return False
    lo, hi = (numeric(x) for x in normal)
    return (lo is not None and v < lo) or (hi is not None and v > hi)


def short_citation(source: str) -> str:
    """Authors and year of a citation: text up to the first ``(YYYY)``, else the whole text."""
    m = re.search(r"^(.*?\(\d{4}[a-z]?\))", source)
    text = m.group(1) if m else source
    return text if len(text) <= 90 else text[:87].rstrip() + "…"


class References:
    """Numbered list of the full citations the report cites (first use first)."""

    def __init__(self) -> None:
        self.sources: list[str] = []

    def cite(self, source: Any) -> str:
        """HTML of a short citation with its reference number; "" for no source."""
        if not source:
            return ""
        text = str(source)
        if text not in self.sources:
            self.sources.append(text)
        n = self.sources.index(text) + 1
        return f'{escape(short_citation(text))} <a class="ref" href="#ref-{n}">[{n}]</a>'

    def html(self) -> str:
        """The reference list (empty string when nothing was cited)."""
        if not self.sources:
            return ""
        items = "".join(f'<li id="ref-{i}">{escape(s)}</li>' for i, s in
                        enumerate(self.sources, start=1))  # fmt: skip
        return f'<ol class="refs">{items}</ol>'
