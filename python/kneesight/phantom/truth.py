"""Ground truth of a phantom trial: the per-frame table (CSV) and the trial metadata (JSON)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from kneesight.conventions import GROUND_TRUTH_COLUMNS, SIDES, column, joint_centre_columns
from kneesight.errors import InputError
from kneesight.joint_angles import fppa
from kneesight.phantom.body import Body
from kneesight.phantom.ground import Placement
from kneesight.phantom.motion import MotionSample

_ANGLE_SOURCES: dict[str, tuple[str, int]] = {
    "hip_flexion": ("hip", 0),
    "hip_adduction": ("hip", 1),
    "hip_internal_rotation": ("hip", 2),
    "knee_flexion": ("knee", 0),
    "knee_valgus": ("knee", 1),
    "knee_internal_rotation": ("knee", 2),
    "ankle_dorsiflexion": ("ankle", 0),
}


def truth_table(
    rows: np.ndarray,
    frame_numbers: np.ndarray,
    body: Body,
    sample: MotionSample,
    placement: Placement,
) -> dict[str, np.ndarray]:
    """Ground-truth columns (:data:`kneesight.conventions.GROUND_TRUTH_COLUMNS`).

    Parameters
    ----------
    rows : ndarray of int, shape (M,)
        Indices of the written frames into the sample.
    frame_numbers : ndarray of int, shape (M,)
        RealSense frame numbers of those frames.
    body : Body
    sample : MotionSample
    placement : Placement

    Returns
    -------
    dict of str -> ndarray, shape (M,)
        Angles in degrees, arch height in mm, joint centres in lab metres.
    """
    t0 = sample.times[rows[0]] if rows.size else 0.0
    out: dict[str, np.ndarray] = {
        "frame": np.asarray(frame_numbers, dtype=np.int64),
        "time_s": sample.times[rows] - t0,
    }
    for s in SIDES:
        for name, (joint, k) in _ANGLE_SOURCES.items():
            out[column(name, s)] = sample.angles[f"{joint}_{s}"][rows, k]
        centres = {j: placement.pose.joint_centre(j, s)[rows] for j in ("hjc", "kjc", "ajc")}
        out[column("fppa", s)] = fppa(s, centres["hjc"], centres["kjc"], centres["ajc"])
        out[column("arch_height_mm", s)] = body.arch_height_mm - sample.arch_drop_mm[s][rows]
        for j, xyz in centres.items():
            for axis, name in enumerate(joint_centre_columns(j, s)):
                out[name] = xyz[:, axis]
    return {c: out[c] for c in GROUND_TRUTH_COLUMNS}


def write_truth_csv(path: Path, table: dict[str, np.ndarray]) -> None:
    """Write the table with a header row, ``frame`` as integers, others to 6 decimals."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(GROUND_TRUTH_COLUMNS)
        n = len(table["frame"])
        cols = [table[c] for c in GROUND_TRUTH_COLUMNS]
        for i in range(n):
            w.writerow([int(cols[0][i])] + [f"{float(c[i]):.6f}" for c in cols[1:]])


def read_truth_csv(path: str | Path) -> dict[str, np.ndarray]:
    """Read a ground-truth CSV into columns (``frame`` as int64, the rest float64).

    Raises
    ------
    InputError
        Missing file or columns other than :data:`GROUND_TRUTH_COLUMNS`.
    """
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = [r for r in reader if r]
    except (OSError, StopIteration) as e:
        raise InputError(f"cannot read ground truth {p}: {e}") from e
    if tuple(header) != GROUND_TRUTH_COLUMNS:
        raise InputError(f"{p} does not have the ground-truth columns")
    data = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(header))
    out = {c: data[:, k] for k, c in enumerate(header)}
    out["frame"] = out["frame"].astype(np.int64)
    return out


def write_truth_json(path: Path, meta: dict[str, Any]) -> None:
    """Write trial metadata as indented JSON."""
    path.write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n", encoding="utf-8")
