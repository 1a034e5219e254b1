"""Per-frame signals the landing events are found in, from the fitted skeleton.

Tracker slips removed from a height (:func:`despike`) and from knee flexion
(:func:`steady_knee`), and the height of the ball of the foot (:func:`toe_clearance`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

BALL_OF_FOOT = 0.34
"""Distance from the ankle joint centre to the ball of the foot, in shank lengths (about half
the foot length: de Leva 1996 proportions)."""
SPIKE_M = 0.08
"""A foot height this far from its neighbours' median is a tracker slip, dropped (m)."""


def despike(y: np.ndarray, limit: float = SPIKE_M) -> np.ndarray:
    """``y`` with isolated outliers set to NaN: samples further than ``limit`` from the median
    of the 5 tracked samples around them (a tracker slip, not motion: the median of a steady
    movement follows it)."""
    y = np.asarray(y, dtype=np.float64)
    out = y.copy()
    n = y.size
    for i in np.flatnonzero(np.isfinite(y)):
        w = y[max(i - 2, 0) : min(i + 3, n)]
        w = w[np.isfinite(w)]
        if w.size >= 3 and abs(y[i] - np.median(w)) > limit:
            out[i] = np.nan
    return out


KNEE_RATE_DPS = 1500.0
"""Knee flexion changing faster than this between tracked frames (deg/s) is a tracker slip:
landings reach about 800 deg/s."""


def steady_knee(knee: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Knee flexion, degrees, shape (N,), NaN where it differs from both tracked neighbours
    faster than ``KNEE_RATE_DPS`` (a fit swinging the shank through the air, not a knee
    bending)."""
    k = np.asarray(knee, dtype=np.float64)
    out = k.copy()
    idx = np.flatnonzero(np.isfinite(k) & np.isfinite(t))
    if idx.size > 1:
        rate = np.abs(np.diff(k[idx])) / np.maximum(np.diff(t[idx]), 1e-9)
        fast = np.concatenate([[np.inf], rate, [np.inf]]) > KNEE_RATE_DPS
        # away from both tracked neighbours (a slip), not a return from a slip
        out[idx[fast[:-1] & fast[1:]]] = np.nan
    return out


def toe_clearance(table: Mapping[str, np.ndarray], side: str, ground: float) -> np.ndarray:
    """Height of the ball of the foot above the floor, m, shape (N,), from the skeleton.

    The foot's toe-down pitch is the shank's forward tilt (knee ahead of ankle, sagittal
    plane) minus ankle dorsiflexion (0 with the foot flat under a vertical shank); rotating the
    foot about the ball of the foot, which lies ``BALL_OF_FOOT`` shank lengths ahead of the
    ankle, lifts the ankle joint centre by that distance times the sine of the pitch. What is
    left of the ankle's height above its flat-foot ``ground`` level is the clearance of the
    ball of the foot: about zero in contact, rising at take-off, falling before touch-down.
    Where dorsiflexion or the knee are not tracked, the ankle's own height is used.
    """
    ay = np.asarray(table[f"ajc_{side}_y"], dtype=np.float64)
    dx = np.asarray(table[f"kjc_{side}_x"]) - np.asarray(table[f"ajc_{side}_x"])
    dy = np.asarray(table[f"kjc_{side}_y"]) - ay
    tilt = np.degrees(np.arctan2(dx, dy))
    pitch = np.clip(tilt - np.asarray(table[f"ankle_dorsiflexion_{side}"]), 0.0, 90.0)
    shank = np.hypot(dx, dy)
    length = float(np.nanmedian(shank)) if np.isfinite(shank).any() else np.nan
    lift = BALL_OF_FOOT * length * np.sin(np.radians(pitch))
    return np.where(np.isfinite(lift), ay - ground - lift, ay - ground)
