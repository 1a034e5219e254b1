"""Placing a trial's rows on a uniform time grid, and filling or dropping untracked gaps.

``kinematics.csv`` has one row per recorded frame; frames the camera dropped leave gaps in the
frame numbers and times. File formats with an implicit sampling rate (C3D, TRC, ``.mot``) need
uniform samples, so rows are put in their slots ``round(time_s * fps)`` and missing slots stay
empty (NaN).
"""

from __future__ import annotations

import numpy as np

from kneesight.export.trialdir import Trial


def grid_slots(trial: Trial) -> np.ndarray:
    """Slot of every row on the uniform grid at ``trial.fps``.

    Returns
    -------
    ndarray of int64, shape (N,)
        ``round(time_s * fps)`` relative to the first row; strictly increasing. When the times are
        too irregular for that (two rows in one slot), the rows are taken as consecutive samples.
    """
    t = trial.time_s
    slots = np.rint((t - t[0]) * trial.fps).astype(np.int64)
    if slots.size > 1 and np.any(np.diff(slots) <= 0):
        return np.arange(t.shape[0], dtype=np.int64)
    return slots


def on_grid(trial: Trial, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spread per-row values over the uniform grid.

    Parameters
    ----------
    trial : Trial
    values : ndarray of float, shape (N, ...)
        One entry per row of ``kinematics.csv``.

    Returns
    -------
    gridded : ndarray of float64, shape (M, ...)
        M = last slot + 1; NaN in slots no row fills (dropped frames).
    time_s : ndarray of float64, shape (M,)
        ``slot / fps``: seconds from the first frame.
    """
    slots = grid_slots(trial)
    m = int(slots[-1]) + 1
    gridded = np.full((m, *values.shape[1:]), np.nan)
    gridded[slots] = values
    return gridded, np.arange(m) / trial.fps


def fill_short_gaps(values: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate interior gaps of at most ``max_gap`` samples.

    A sample is valid when every column of its row is finite. Interior runs of invalid rows of
    length ``<= max_gap`` are interpolated column by column from the valid rows on either side;
    longer runs, and invalid rows before the first or after the last valid row, are left out.

    Parameters
    ----------
    values : ndarray of float, shape (M, K)
    max_gap : int
        Longest run of invalid samples to interpolate (0 interpolates nothing).

    Returns
    -------
    filled : ndarray of float64, shape (M, K)
        ``values`` with the short gaps filled.
    keep : ndarray of bool, shape (M,)
        Rows to write: valid rows and rows of filled gaps.
    """
    v = np.array(values, dtype=np.float64, copy=True)
    valid: np.ndarray = np.asarray(np.isfinite(v).all(axis=1))
    keep = valid.copy()
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return v, keep
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        gap = b - a - 1
        if 0 < gap <= max_gap:
            w = (np.arange(1, gap + 1) / (gap + 1))[:, None]
            v[a + 1 : b] = v[a] * (1 - w) + v[b] * w
            keep[a + 1 : b] = True
    return v, keep
