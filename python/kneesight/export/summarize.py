"""Batch summary: many trials' ``summary.json`` in one CSV, one row per trial and side."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kneesight.conventions import SIDE_NAMES, SIDES
from kneesight.errors import InputError
from kneesight.export.flatten import flatten
from kneesight.export.paths import check_writable
from kneesight.export.tables import METRIC_SECTIONS
from kneesight.export.trialdir import EVENT_KEYS, SUMMARY_FILE, as_dict, read_summary

LEAD_COLUMNS: tuple[str, ...] = (
    "trial",
    "directory",
    "side",
    "kneesight_version",
    "recording",
    "calibration",
    "frames_total",
    "frames_tracked",
    "frames_dropped",
    *EVENT_KEYS,
    "landing",
    "landed",
    "flag_count",
    "flags",
)
"""Leading columns; the metrics follow as ``<section>.<path>`` columns (union over trials):
numbers, booleans and nulls of ``peaks``, ``metrics`` and ``less``, this side's or unsided.
``landing`` is the trial's kind (double-leg or single-leg) and ``landed`` 1 or 0 for this side
(empty for summaries written before they were recorded)."""


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    return str(v)


def _calibration_text(cal: Any) -> str:
    if isinstance(cal, dict):
        for key in ("source", "kind", "method", "file", "path", "name"):
            if cal.get(key):
                return str(cal[key])
    return _text(cal)


def _side_flags(summary: dict[str, Any], side: str) -> list[str]:
    flags = summary.get("flags")
    if not isinstance(flags, list):
        return []
    out = []
    for f in flags:
        if not isinstance(f, dict):
            continue
        fs = str(f.get("side", "") or "").lower()
        if fs in (side, SIDE_NAMES[side], "", "both", "bilateral", "none"):
            out.append(str(f.get("id", f.get("message", "flag"))))
    return out


def trial_rows(directory: Path, summary: dict[str, Any]) -> list[dict[str, str]]:
    """The rows (one per side) of one trial's summary."""
    frames = as_dict(summary.get("frames"))
    events = as_dict(summary.get("events"))
    landing = as_dict(summary.get("landing"))
    legs = landing.get("legs")
    items = [(s, it) for s in METRIC_SECTIONS for it in flatten(summary.get(s))]
    rows = []
    for side in SIDES:
        flags = _side_flags(summary, side)
        row = {
            "trial": directory.name,
            "directory": str(directory),
            "side": SIDE_NAMES[side],
            "kneesight_version": _text(summary.get("kneesight_version")),
            "recording": _text(summary.get("recording")),
            "calibration": _calibration_text(summary.get("calibration")),
            "frames_total": _text(frames.get("total")),
            "frames_tracked": _text(frames.get("tracked")),
            "frames_dropped": _text(frames.get("dropped")),
            **{k: _text(events.get(k)) for k in EVENT_KEYS},
            "landing": _text(landing.get("kind")),
            "landed": ("1" if side in legs else "0") if isinstance(legs, list) else "",
            "flag_count": str(len(flags)),
            "flags": ";".join(flags),
        }
        for section, it in items:
            if it.side not in (None, side) or not it.path or isinstance(it.value, str):
                continue  # texts (criteria, notes) are not per-trial data
            row[f"{section}.{it.key}"] = _text(it.value)
        rows.append(row)
    return rows


def summarize(dirs: Iterable[str | Path], out_csv: str | Path, overwrite: bool = False) -> Path:
    """Gather the ``summary.json`` of many trials into one CSV (one row per trial and side).

    Parameters
    ----------
    dirs : iterable of str or Path
        Trial directories written by ``kneesight analyze``.
    out_csv : str or Path
        Output CSV.
    overwrite : bool
        Replace an existing ``out_csv``; otherwise an existing file is an error.

    Returns
    -------
    Path
        ``out_csv``.

    Raises
    ------
    InputError
        No directories, a missing directory, a missing or malformed ``summary.json`` (named), or
        ``out_csv`` exists and ``overwrite`` is False.
    """
    paths = [Path(d) for d in dirs]
    if not paths:
        raise InputError("summarize: no trial directories given")
    out = check_writable(out_csv, overwrite)
    rows: list[dict[str, str]] = []
    for d in paths:
        if not d.is_dir():
            raise InputError(f"{d}: trial directory not found")
        rows.extend(trial_rows(d, read_summary(d / SUMMARY_FILE)))
    fields = list(LEAD_COLUMNS)
    for r in rows:
        fields.extend(k for k in r if k not in fields)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows(rows)
    return out
