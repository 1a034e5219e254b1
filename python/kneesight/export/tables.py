"""Tidy CSV and JSON exports for statistics software.

``<stem>_kinematics_long.csv``
    One row per frame and side: ``frame, time_s, tracked, confidence, side`` then the per-side
    quantities without their side suffix (``hip_flexion`` ... ``arch_height_mm``) and the joint
    centres ``hjc_x`` ... ``ajc_z`` (lab frame, metres). Empty cells where untracked.
``<stem>_metrics_long.csv``
    One row per numeric, boolean or null value and side of ``summary.json`` (``peaks``,
    ``metrics``, ``less``): ``trial, section, metric, side, value, units, normal, source``.
``<stem>.json``
    ``{"summary": <summary.json>, "kinematics": {"columns": [...], "units": {...},
    "data": {column: [values, null where untracked]}}}``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from kneesight.conventions import (
    FRAME_COLUMNS,
    JOINT_CENTRES,
    KINEMATICS_COLUMNS,
    QUALITY_COLUMNS,
    SCALARS,
    SIDE_NAMES,
    SIDES,
    joint_centre_columns,
)
from kneesight.export.flatten import flatten
from kneesight.export.paths import check_writable
from kneesight.export.trialdir import Trial

METRIC_SECTIONS: tuple[str, ...] = ("peaks", "metrics", "less")
"""Sections of ``summary.json`` flattened into the metrics table."""


def column_units(name: str) -> str:
    """Units of a ``kinematics.csv`` column (``deg``, ``mm``, ``m``, ``s`` or "")."""
    if name == "time_s":
        return "s"
    if "_mm" in name:
        return "mm"
    if name[:3] in JOINT_CENTRES:
        return "m"
    if name in ("frame", "tracked", "confidence"):
        return ""
    return "deg"


def _cell(v: float, integer: bool = False) -> str:
    if not math.isfinite(v):
        return ""
    return str(int(round(v))) if integer else f"{v:.6g}"


def write_kinematics_long(trial: Trial, path: str | Path, overwrite: bool = False) -> Path:
    """Write the kinematics in long format (one row per frame and side).

    Parameters
    ----------
    trial : Trial
    path : str or Path
    overwrite : bool

    Returns
    -------
    Path
    """
    path = check_writable(path, overwrite)
    per_side = [*SCALARS, *(f"{j}_{a}" for j in JOINT_CENTRES for a in ("x", "y", "z"))]
    lead = [*FRAME_COLUMNS, *QUALITY_COLUMNS]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*lead, "side", *per_side])
        for i in range(trial.n_frames):
            head = [_cell(trial.table[c][i], c in ("frame", "tracked")) for c in lead]
            for side in SIDES:
                vals = [trial.series(q, side)[i] for q in SCALARS]
                for j in JOINT_CENTRES:
                    vals.extend(trial.table[c][i] for c in joint_centre_columns(j, side))
                w.writerow([*head, SIDE_NAMES[side], *(_cell(v) for v in vals)])
    return path


def metric_rows(trial: Trial) -> list[dict[str, Any]]:
    """The summary's metrics as rows: trial, section, metric, side, value, units, normal, source."""
    rows = []
    for section in METRIC_SECTIONS:
        for item in flatten(trial.summary.get(section)):
            if (not item.path and item.value is None) or isinstance(item.value, str):
                continue  # texts (criteria, notes) are not data
            value = item.value
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            rows.append(
                {
                    "trial": trial.directory.name,
                    "section": section,
                    "metric": item.key,
                    "side": SIDE_NAMES.get(item.side or "", ""),
                    "value": "" if value is None else value,
                    "units": item.units,
                    "normal": "" if item.normal is None else json.dumps(item.normal),
                    "source": item.source,
                }
            )
    return rows


def write_metrics_long(trial: Trial, path: str | Path, overwrite: bool = False) -> Path:
    """Write the summary's metrics in long format (one row per metric and side)."""
    path = check_writable(path, overwrite)
    fields = ["trial", "section", "metric", "side", "value", "units", "normal", "source"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(metric_rows(trial))
    return path


def _json_values(a: np.ndarray, integer: bool) -> list[Any]:
    return [
        None if not math.isfinite(v) else (int(round(v)) if integer else float(v))
        for v in a.tolist()
    ]


def write_json(trial: Trial, path: str | Path, overwrite: bool = False) -> Path:
    """Write the summary and the kinematics (column-oriented, null where untracked) as JSON."""
    path = check_writable(path, overwrite)
    cols = [c for c in KINEMATICS_COLUMNS]
    doc = {
        "summary": finite_json(trial.summary),
        "kinematics": {
            "columns": cols,
            "units": {c: column_units(c) for c in cols},
            "data": {c: _json_values(trial.table[c], c in ("frame", "tracked")) for c in cols},
        },
    }
    path.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def finite_json(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by None (strict JSON)."""
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
