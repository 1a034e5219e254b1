"""Change-point fits locating landing events in joint-centre heights.

:func:`velocity_jump` finds where a height's vertical velocity jumps (a foot stopping on the
floor or leaving it); :func:`hinge_fit` fits a flight phase (free fall or free quadratic)
joined to a contact phase. Both work on a quarter-frame grid of event times.
:func:`peak_vertex` places a flat maximum (peak knee flexion) by the vertex of a parabola.
"""

from __future__ import annotations

import numpy as np

G = 9.81
"""Gravitational acceleration, m/s^2."""
EARLIEST_FRACTION = 0.6
"""A touch-down is the first velocity jump at least this fraction of the largest one."""
MAX_FOOT_SPEED = 5.0
"""Fastest a foot's height can change, m/s (a drop from a 0.6 m box reaches the floor at
3.4 m/s; the toes swinging down add to it). A measured height changing faster between
consecutive tracked frames is a break, not motion: the lowest points around a foot switching
from the top of the box (which hides what is below it) to the toes below it."""
BREAK_NOISE_M = 0.02
"""Measurement noise allowed on top of :data:`MAX_FOOT_SPEED` before a change is a break, m."""
PEAK_TOP_DEG = 8.0
"""The top of a peak: the frames around the maximum within this many degrees of it. A drop
landing's knee flexion stays within 1 deg of its maximum for 3-6 frames at 90 fps, so tracking
noise of a degree moves the largest sample by as much; a parabola through the whole top places
the peak by its shape, to about a frame."""


def _hinge_sse(
    t: np.ndarray, y: np.ndarray, flight_first: bool, free_fall: bool, grid: np.ndarray
) -> tuple[np.ndarray, int] | None:
    """Residual sum of squares of a two-phase model for every hinge time of ``grid``.

    The flight side is a free-fall parabola (``free_fall``: curvature -g) or a free quadratic;
    on the contact side of the hinge a quadratic in the time since the hinge is added, so the
    position is continuous and the velocity may jump (a foot stopping on the floor) or only
    the acceleration (the pelvis starting to decelerate). Returns the SSE per grid time and the
    number of finite samples; None with fewer than 8 samples.
    """
    ok = np.isfinite(y) & np.isfinite(t)
    tt, yy = t[ok], y[ok]
    if tt.size < 8:
        return None
    sign = 1.0 if flight_first else -1.0
    t0 = float(tt.mean())
    x = sign * (tt - t0)  # the contact side is x > xc
    target = yy + 0.5 * G * x**2 if free_fall else yy
    out = np.empty(grid.size)
    for n, tc in enumerate(grid):
        h = np.clip(x - sign * (tc - t0), 0.0, None)
        cols = [np.ones_like(x), x, h, h**2, h**3] + ([] if free_fall else [x**2])
        a = np.stack(cols, axis=1)
        coef, *_ = np.linalg.lstsq(a, target, rcond=None)
        r = target - a @ coef
        out[n] = float(r @ r)
    return out, int(tt.size)


def hinge_fit(
    t: np.ndarray,
    signals: list[tuple[np.ndarray, bool]],
    lo: int,
    hi: int,
    flight_first: bool,
) -> float | None:
    """Event time between flight and ground contact from one or more signals jointly.

    Each signal ``(y, free_fall)`` over rows ``lo..hi`` is fitted by :func:`_hinge_sse` on a
    quarter-frame grid of hinge times; the sums of squares are weighted by each signal's own
    residual variance at its best hinge and added, and the grid time with the smallest total is
    returned (None when no signal has enough tracked samples).
    """
    tt = t[lo : hi + 1]
    if tt.size < 8:
        return None
    dt = float(np.median(np.diff(tt)))
    grid = np.arange(tt[2], tt[-3], dt / 4.0)
    if grid.size == 0:
        return None
    total = np.zeros(grid.size)
    used = 0
    for y, free_fall in signals:
        r = _hinge_sse(tt, y[lo : hi + 1], flight_first, free_fall, grid)
        if r is None:
            continue
        sse, n = r
        var = max(float(sse.min()) / max(n - 5, 1), 1e-10)
        total += sse / var
        used += 1
    if used == 0:
        return None
    return float(grid[int(np.argmin(total))])


def _unbroken(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The samples (``x``: time from the hinge, s, increasing) between the breaks nearest the
    hinge on either side (:data:`MAX_FOOT_SPEED`); none when a break straddles it."""
    step = np.abs(np.diff(y)) > MAX_FOOT_SPEED * np.diff(x) + BREAK_NOISE_M
    if not step.any():
        return x, y
    lo, hi = 0, x.size
    for k in np.flatnonzero(step):
        if x[k + 1] <= 0.0:
            lo = k + 1
        elif x[k] >= 0.0:
            hi = min(hi, k + 1)
        else:
            return x[:0], y[:0]
    return x[lo:hi], y[lo:hi]


def velocity_jump(
    t: np.ndarray,
    ys: list[np.ndarray],
    lo: int,
    hi: int,
    half: int,
    first: bool = True,
    measured: bool = False,
) -> float | None:
    """Time of the largest upward jump in vertical velocity (a foot stopping on the floor).

    Around every hinge time ``tc`` of a quarter-frame grid over rows ``lo..hi``, the samples
    within ``half`` frames either side are fitted by a continuous broken line
    ``a + b (t - tc) + c max(t - tc, 0)``; ``c`` is the change of velocity at ``tc``. The
    ``tc`` with the largest ``c`` (summed over the signals ``ys``, e.g. both feet) is
    returned; None without enough tracked samples. With ``first``, of several comparable
    jumps the first is taken: the toes touch down before the heel comes down.

    With ``measured`` (heights measured in the depth image, not fitted), a height changing
    faster than a foot moves between consecutive tracked samples (:data:`MAX_FOOT_SPEED` plus
    :data:`BREAK_NOISE_M`) is a break: each line is fitted to the samples on ``tc``'s side of
    it only (a step read as a velocity would outweigh the touch-down), and a hinge time falling
    on a break is skipped. Fitted heights have no such steps but may be noisy (a foot's angle
    from few points), so none of their samples are dropped.
    """
    lo, hi = max(lo, 0), min(hi, t.size - 1)
    if hi - lo < 2:
        return None
    dt = float(np.median(np.diff(t[lo : hi + 1])))
    grid = np.arange(t[lo], t[hi] + 1e-9, dt / 4.0)
    jump = np.full(grid.size, -np.inf)
    for g, tc in enumerate(grid):
        total, used = 0.0, 0
        for y in ys:
            sel = (np.abs(t - tc) <= (half + 0.01) * dt) & np.isfinite(y)
            x, yy = t[sel] - tc, y[sel]
            if measured:
                x, yy = _unbroken(x, yy)
            if (x < 0).sum() < 2 or (x > 0).sum() < 2:
                continue
            a = np.stack([np.ones_like(x), x, np.clip(x, 0.0, None)], axis=1)
            coef, *_ = np.linalg.lstsq(a, yy, rcond=None)
            total += float(coef[2])
            used += 1
        if used == len(ys):
            jump[g] = total
    if not np.isfinite(jump).any():
        return None
    # the toe touches before the heel comes down: take the first local maximum that is at
    # least EARLIEST_FRACTION of the largest jump, not a later heel-strike peak
    top = float(np.max(jump))
    for g in range(grid.size if first else 0):
        left = jump[g - 1] if g > 0 else -np.inf
        right = jump[g + 1] if g + 1 < grid.size else -np.inf
        if jump[g] >= EARLIEST_FRACTION * top and jump[g] >= left and jump[g] >= right:
            return float(grid[g])
    return float(grid[int(np.argmax(jump))])


def peak_vertex(t: np.ndarray, y: np.ndarray, m: int, lo: int, hi: int) -> int:
    """Row of a signal's peak from the parabola through the top of it.

    Parameters
    ----------
    t : ndarray, shape (N,)
        Time, s.
    y : ndarray, shape (N,)
        The signal (degrees; NaN where untracked) with its largest value in ``[lo, hi)`` at row
        ``m``.
    m, lo, hi : int
        Row of the largest sample and the rows the peak may lie in.

    Returns
    -------
    int
        The tracked row nearest the vertex of the least-squares parabola through the contiguous
        frames around ``m`` within :data:`PEAK_TOP_DEG` of ``y[m]`` (untracked frames do not
        end them); ``m`` itself when fewer than 5 of them are tracked or the parabola does
        not open downwards.
    """
    top = y[m] - PEAK_TOP_DEG
    a = m
    while a - 1 >= lo and not y[a - 1] < top:
        a -= 1
    b = m
    while b + 1 < hi and not y[b + 1] < top:
        b += 1
    tt, yy = t[a : b + 1], y[a : b + 1]
    ok = np.isfinite(yy) & np.isfinite(tt)
    if ok.sum() < 5:
        return m
    c = np.polyfit(tt[ok] - t[m], yy[ok], 2)
    if not c[0] < 0.0:
        return m
    tv = float(np.clip(t[m] - c[1] / (2.0 * c[0]), tt[ok][0], tt[ok][-1]))
    # the tracked frame nearest the vertex (the values at the peak are read there)
    return a + int(np.argmin(np.where(ok, np.abs(tt - tv), np.inf)))
