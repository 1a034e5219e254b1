"""Which legs a landing lands on: both (a drop vertical jump) or one (a single-leg landing).

A leg lands when its ankle joint centre comes down to the ground level of the events
(:func:`kneesight.analysis.events.ground_level`) for a good share of the landing, from initial
contact to take-off. The other leg of a single-leg landing is held up, its knee bent: its
angles are real, but peaks, landing metrics, screening flags and left/right asymmetry of a leg
that bears no load would be read as findings about the landing, so the analysis leaves them
out and says why.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kneesight.analysis.events import LOW_M, Events, ground_level
from kneesight.analysis.metrics import landing_slice
from kneesight.conventions import SIDE_NAMES, SIDES, side_columns

ON_GROUND_SHARE = 0.25
"""A leg lands when its ankle is within ``LOW_M`` of the ground in this share of the tracked
frames of the landing (the ankle rises off it only at the end, onto the toes for take-off)."""


def landing_legs(table: Mapping[str, np.ndarray], events: Events) -> tuple[str, ...]:
    """Sides (``"l"``, ``"r"``) whose foot is on the ground during the first landing.

    Parameters
    ----------
    table : mapping of str to ndarray, each of shape (N,)
        Kinematics table; uses ``time_s`` and ``ajc_<s>_y`` (lab metres, NaN where untracked).
    events : Events
        The trial's events (the landing runs from initial contact to take-off).

    Returns
    -------
    tuple of str
        Both sides when both land, when there is no landing (a squat), or when neither foot is
        seen on the ground (nothing to decide from); else the one side that lands.
    """
    t = np.asarray(table["time_s"], dtype=np.float64)
    sl = landing_slice(events, t)
    ground = ground_level(table)
    if sl is None or ground is None:
        return SIDES
    landed = []
    for s in SIDES:
        y = np.asarray(table[f"ajc_{s}_y"], dtype=np.float64)[sl]
        y = y[np.isfinite(y)]
        if y.size and np.mean(y < ground + LOW_M) >= ON_GROUND_SHARE:
            landed.append(s)
    return tuple(landed) if landed else SIDES


def without_side(table: Mapping[str, np.ndarray], side: str) -> dict[str, np.ndarray]:
    """A copy of ``table`` with every per-side column of ``side`` set to NaN.

    Parameters
    ----------
    table : mapping of str to ndarray, each of shape (N,)
    side : {"l", "r"}

    Returns
    -------
    dict of str to ndarray, each of shape (N,)
    """
    drop = set(side_columns(side))
    return {
        k: (np.full(np.shape(v), np.nan) if k in drop else np.asarray(v)) for k, v in table.items()
    }


def not_landing_reason(legs: tuple[str, ...]) -> str | None:
    """Why the other leg's landing values are null, or None when both legs land."""
    if len(legs) != 1:
        return None
    (s,) = legs
    other = "l" if s == "r" else "r"
    return (
        f"single-leg landing on the {SIDE_NAMES[s]} leg: the {SIDE_NAMES[other]} leg did not "
        "land, so its values and the left/right comparisons are not landing findings"
    )
