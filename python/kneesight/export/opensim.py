"""OpenSim exports: joint angles as a ``.mot`` motion file and joint centres as a ``.trc``.

Axes: the kneesight lab frame is OpenSim's ground frame (X anterior, Y up, Z right), so joint
centres are written unchanged (in mm).

Coordinates and signs of the ``.mot`` follow the Rajagopal (2016) / Lai-Uhlrich (2022) models:
``hip_flexion`` flexion+, ``hip_adduction`` adduction+, ``hip_rotation`` internal rotation+,
``knee_angle`` flexion+, ``ankle_angle`` dorsiflexion+ on both sides: the kneesight signs. (The
older gait2392 model has ``knee_angle`` negative in flexion: negate that column for it.)

Untracked and dropped frames: OpenSim tools reject NaN, so rows are put on the uniform time
grid of the camera, gaps of at most :data:`MAX_GAP_S` seconds between tracked frames are
linearly interpolated, and rows in longer gaps (and before the first or after the last tracked
frame) are left out. Both files say so in their headers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kneesight.conventions import JOINT_CENTRES
from kneesight.export.c3d import joint_centre_label
from kneesight.export.grid import fill_short_gaps, on_grid
from kneesight.export.paths import check_writable
from kneesight.export.trialdir import Trial

MAX_GAP_S = 0.1
"""Longest run of untracked frames (seconds) interpolated in the OpenSim files."""

MOT_COORDINATES: tuple[tuple[str, str], ...] = (
    ("hip_flexion", "hip_flexion"),
    ("hip_adduction", "hip_adduction"),
    ("hip_rotation", "hip_internal_rotation"),
    ("knee_angle", "knee_flexion"),
    ("ankle_angle", "ankle_dorsiflexion"),
)
"""OpenSim coordinate name (without side) and the kneesight quantity it holds (same sign)."""

MOT_SIDE_ORDER: tuple[str, str] = ("r", "l")
"""OpenSim models list the right side first."""


def _gap_note(trial: Trial, kept: np.ndarray, filled: np.ndarray) -> str:
    max_gap = int(round(MAX_GAP_S * trial.fps))
    return (
        f"Untracked or dropped frames: gaps of up to {max_gap} frames ({MAX_GAP_S:g} s) are "
        f"linearly interpolated ({int(filled.sum())} rows); longer gaps are omitted "
        f"({int((~kept).sum())} rows left out)."
    )


def _prepare(trial: Trial, per_row: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Grid, gate by ``tracked`` and gap-fill per-row values (N, K).

    Returns rows (R, K), their times (R,), their grid slots (R,) and the header note.
    """
    per_row = np.array(per_row, dtype=np.float64, copy=True)
    per_row[~trial.tracked] = np.nan
    gridded, time_s = on_grid(trial, per_row)
    valid = np.isfinite(gridded).all(axis=1)
    filled, keep = fill_short_gaps(gridded, int(round(MAX_GAP_S * trial.fps)))
    note = _gap_note(trial, keep, keep & ~valid)
    slots = np.flatnonzero(keep)
    return filled[keep], time_s[keep], slots, note


def mot_columns() -> list[str]:
    """Column names of the ``.mot`` after ``time``: right side first, then left."""
    return [f"{name}_{side}" for side in MOT_SIDE_ORDER for name, _ in MOT_COORDINATES]


def write_mot(trial: Trial, path: str | Path, overwrite: bool = False) -> Path:
    """Write the joint angles as an OpenSim motion file (degrees, ``inDegrees=yes``).

    Parameters
    ----------
    trial : Trial
    path : str or Path
        Output ``.mot`` file.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
    """
    path = check_writable(path, overwrite)
    per_row = np.stack(
        [trial.series(q, side) for side in MOT_SIDE_ORDER for _, q in MOT_COORDINATES], axis=1
    )
    rows, time_s, _, note = _prepare(trial, per_row)
    names = ["time", *mot_columns()]
    lines = [
        path.stem,
        "version=1",
        f"nRows={rows.shape[0]}",
        f"nColumns={len(names)}",
        "inDegrees=yes",
        "",
        "Joint angles from kneesight (depth-camera leg skeleton), OpenSim coordinate signs:",
        "flexion+, adduction+, internal rotation+, knee_angle flexion+, ankle_angle dorsiflexion+.",
        note,
        "endheader",
        "\t".join(names),
    ]
    for t, row in zip(time_s, rows, strict=True):
        lines.append("\t".join([f"{t:.6f}", *(f"{v:.6f}" for v in row)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def trc_markers() -> list[str]:
    """Marker names of the ``.trc``: joint centres, right side first (``RHJC`` ...)."""
    return [joint_centre_label(j, s) for s in MOT_SIDE_ORDER for j in JOINT_CENTRES]


def write_trc(trial: Trial, path: str | Path, overwrite: bool = False) -> Path:
    """Write the joint centres as an OpenSim/Motion Analysis ``.trc`` marker file (mm).

    Parameters
    ----------
    trial : Trial
    path : str or Path
        Output ``.trc`` file.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
    """
    path = check_writable(path, overwrite)
    per_row = np.concatenate(
        [trial.joint_centre(j, s) * 1000.0 for s in MOT_SIDE_ORDER for j in JOINT_CENTRES], axis=1
    )
    rows, time_s, slots, note = _prepare(trial, per_row)
    markers = trc_markers()
    fps = trial.fps
    n_grid = int(round((trial.time_s[-1] - trial.time_s[0]) * fps)) + 1
    first = int(slots[0]) + 1 if slots.size else 1
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{fps:.6g}\t{fps:.6g}\t{rows.shape[0]}\t{len(markers)}\tmm\t{fps:.6g}\t{first}\t{n_grid}",
        "Frame#\tTime\t" + "\t".join(f"{m}\t\t" for m in markers).rstrip("\t"),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(markers) + 1)),
        "",
    ]
    for slot, t, row in zip(slots, time_s, rows, strict=True):
        lines.append("\t".join([str(int(slot) + 1), f"{t:.6f}", *(f"{v:.3f}" for v in row)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
