"""Zero-lag low-pass filtering of the kinematics table.

Depth noise reaches the fitted angles as frame-to-frame jitter well above the frequencies of a
landing. As with marker trajectories (Winter, *Biomechanics and Motor Control of Human
Movement*, 4th ed., 2009, ch. 3), the per-side kinematics are low-pass filtered before peaks and
metrics are read: a second-order Butterworth run forwards and backwards (fourth order, no phase
lag), its cutoff corrected for the double pass (Winter's factor 0.802) so that the whole filter
is -3 dB at the stated cutoff.

Only runs of consecutive finite values with no dropped frame between them are filtered, each on
its own; gaps stay empty and are never filled. Runs shorter than :data:`MIN_RUN` frames are left
as measured. Landing events are detected on the unfiltered table (a foot's touch-down is a
sharp change that filtering would spread over several frames), and the phases they bound
(flight, ground contact) are filtered separately: an impact changes the motion abruptly, and
one filter across it would pull the values at initial contact towards those after it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kneesight.conventions import per_side_columns
from kneesight.errors import InputError

DEFAULT_CUTOFF_HZ = 12.0
"""Default cutoff, Hz: the usual choice for landing kinematics; on phantom drop jumps 10-12 Hz
gave the lowest angle errors (6 Hz began to cut the ankle's fast dorsiflexion after contact)."""

MIN_RUN = 12
"""Fewest consecutive frames a run needs to be filtered (shorter runs are left as measured)."""

_DOUBLE_PASS = 0.802
"""Winter's correction of a second-order Butterworth's cutoff for a forward-backward pass."""


def carries(cutoff_hz: float, fps: float) -> bool:
    """Whether frames at ``fps`` can carry a filter with this cutoff (see :func:`design`)."""
    try:
        design(cutoff_hz, fps)
    except InputError:
        return False
    return True


def design(cutoff_hz: float, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(b, a)`` of the second-order section run forwards and backwards.

    Parameters
    ----------
    cutoff_hz : float
        -3 dB frequency of the whole (double-pass) filter, Hz.
    fps : float
        Frame rate, Hz.

    Raises
    ------
    InputError
        A non-positive cutoff or frame rate, or a cutoff the frame rate cannot represent (the
        corrected cutoff must stay below the Nyquist frequency ``fps / 2``).
    """
    if not (math.isfinite(fps) and fps > 0):
        raise InputError(f"filter: frame rate must be positive, got {fps!r}")
    if not (math.isfinite(cutoff_hz) and cutoff_hz > 0):
        raise InputError(f"filter: cutoff must be a positive frequency in Hz, got {cutoff_hz!r}")
    # pre-warped corner of one pass, widened so the double pass is -3 dB at the cutoff
    nyquist = cutoff_hz < 0.5 * fps
    wc = math.tan(math.pi * min(cutoff_hz / fps, 0.49)) / _DOUBLE_PASS
    f1 = math.atan(wc) * fps / math.pi
    if not (nyquist and f1 < 0.49 * fps):
        raise InputError(
            f"filter: a {cutoff_hz:g} Hz cutoff is too close to the Nyquist frequency of "
            f"{fps:g} frames/s ({fps / 2:g} Hz); use a lower cutoff or 0 to switch filtering off"
        )
    from scipy.signal import butter

    b, a = butter(2, f1 / (fps / 2))
    return np.asarray(b), np.asarray(a)


def _runs(ok: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges ``[i, j)`` where ``ok`` is True."""
    d = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def lowpass_series(
    x: np.ndarray, b: np.ndarray, a: np.ndarray, contiguous: np.ndarray | None = None
) -> np.ndarray:
    """Filter every long enough run of finite values of ``x`` on its own.

    Parameters
    ----------
    x : ndarray, shape (N,)
    b, a : ndarray
        From :func:`design`.
    contiguous : ndarray of bool, shape (N,), optional
        False at a frame where a run must end and a new one begin: after a dropped frame, or
        at a touch-down or take-off.

    Returns
    -------
    ndarray, shape (N,)
        A filtered copy; NaN where ``x`` is NaN, runs shorter than :data:`MIN_RUN` unchanged.
    """
    from scipy.signal import filtfilt

    y = np.array(x, dtype=np.float64, copy=True)
    ok = np.isfinite(y)
    if contiguous is not None:
        breaks = np.flatnonzero(~contiguous)
    else:
        breaks = np.empty(0, dtype=int)
    for i, j in _runs(ok):
        cuts = [i, *[int(k) for k in breaks if i < k < j], j]
        for s, e in zip(cuts[:-1], cuts[1:], strict=True):
            if e - s >= MIN_RUN:
                y[s:e] = filtfilt(b, a, y[s:e], padtype="odd", padlen=min(e - s - 1, 9))
    return y


def lowpass_table(
    table: Mapping[str, np.ndarray],
    fps: float,
    cutoff_hz: float | None = DEFAULT_CUTOFF_HZ,
    phase_starts: Sequence[int] = (),
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Low-pass filter the per-side columns of a kinematics table.

    Parameters
    ----------
    table : mapping of str to ndarray, each of shape (N,)
        A kinematics table (:func:`kneesight.analysis.table.as_kinematics_table`); its ``frame``
        column marks dropped frames.
    fps : float
        Frame rate, Hz.
    cutoff_hz : float or None
        Cutoff, Hz; None or 0 returns the table unfiltered.
    phase_starts : sequence of int
        Row indices where a new phase begins (touch-down, take-off): each phase is filtered on
        its own, so the abrupt change at an impact is not spread into the frames before it.

    Returns
    -------
    table : dict of str to ndarray of float64, shape (N,)
        A copy, per-side columns (degrees, mm, metres) filtered.
    info : dict
        What was done, for ``summary.json`` (``cutoff_hz`` null when unfiltered).

    Raises
    ------
    InputError
        See :func:`design`.
    """
    out = {k: np.array(v, dtype=np.float64, copy=True) for k, v in table.items()}
    if not cutoff_hz:
        return out, {"cutoff_hz": None, "method": "none: values as tracked"}
    b, a = design(float(cutoff_hz), float(fps))
    frame = np.asarray(table["frame"], dtype=np.float64) if "frame" in table else None
    n = len(next(iter(out.values()))) if out else 0
    contiguous = np.ones(n, dtype=bool)
    if frame is not None and frame.size:
        step = np.diff(frame, prepend=frame[0] - 1)
        contiguous = np.isclose(step, 1.0)
    for i in phase_starts:
        if 0 < i < n:
            contiguous[i] = False
    for c in per_side_columns():
        if c in out:
            out[c] = lowpass_series(out[c], b, a, contiguous)
    info = {
        "cutoff_hz": float(cutoff_hz),
        "method": (
            "Butterworth, 2nd order run forwards and backwards (4th order, zero lag), cutoff "
            "corrected for the double pass; each run of consecutive tracked frames filtered on "
            "its own, and each phase between touch-downs and take-offs; runs under "
            f"{MIN_RUN} frames and gaps left as they are; events detected before filtering"
        ),
    }
    return out, info
