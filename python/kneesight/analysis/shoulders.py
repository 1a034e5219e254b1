"""The stature from the height of the shoulders, when the head is out of view.

A camera aimed at knee to hip height (as it should be for the legs) often cuts off the head of
a standing subject: at 2 m, 1 m up and aimed at 0.65 m, the image ends 1.69 m above the floor.
The shoulders are then still in view, and they show plainly: the trunk with the arms beside
it is 0.35-0.5 m wide, the neck above it 0.1-0.15 m. The shoulder (acromion) height is 0.818
of stature (Drillis & Contini 1966, as drawn in Winter 2009, Fig. 4.1), much the same in women
and men, where the legs' share differs by 6 % between the sexes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

InView = Callable[[np.ndarray], np.ndarray]
"""Whether lab points (shape (K, 3), m) lie in the camera's image: bool array of shape (K,)."""

SHOULDER_OF_STATURE = 0.818
"""Shoulder (acromion) height as a fraction of stature (Drillis & Contini 1966)."""
BAND_M = 0.02
"""Height of the horizontal bands the subject's width is measured in, m."""
MIN_BAND_POINTS = 20
"""Fewest points for a band's width to count."""
TRUNK_MIN_M = 0.28
"""A band at least this wide (lab Z, 2nd to 98th percentile) is the trunk with the arms, m."""
NECK_SHARE = 0.6
"""Above the shoulders the subject is at most this share of the shoulders' width wide."""
NECK_SEEN_M = 0.06
"""How much of the neck and head must be seen above the shoulders, m."""
LOWEST_M = 0.8
"""The shoulders are looked for above this height, m."""
ON_FLOOR_M = 0.06
"""The lowest points of a subject standing on the floor lie below this height, m."""


def shoulder_height(points: np.ndarray, in_view: InView | None = None) -> float | None:
    """Height of the top of the shoulders from a standing subject's points.

    Parameters
    ----------
    points : ndarray, shape (N, 3)
        The subject's points in the lab frame (metres; Y up, Z to the subject's right), e.g.
        several frames of quiet standing pooled.
    in_view : callable, optional
        Whether lab points lie in the camera's image. The top of the image can cut the trunk
        on a slant (a camera close by, turned to the subject): the bands just below the cut
        then narrow like a neck. With ``in_view``, the shoulders count only when the full
        width of the trunk is in the image over the neck's bands, so that what narrows there
        is the subject (checked halfway up the neck's bands).

    Returns
    -------
    float or None
        The top of the highest band (:data:`BAND_M` high) at least :data:`TRUNK_MIN_M` wide
        with at least :data:`NECK_SEEN_M` of bands above it, all narrower than
        :data:`NECK_SHARE` of it (metres above the floor); None when no such band is seen
        (the shoulders out of view too, arms raised, or too few points).
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3 or len(p) < 100:
        return None
    ok = np.isfinite(p).all(axis=1) & (p[:, 1] >= LOWEST_M)
    x, y, z = p[ok, 0], p[ok, 1], p[ok, 2]
    if y.size < 100:
        return None
    edges = np.arange(LOWEST_M, float(y.max()) + BAND_M, BAND_M)
    band = np.floor((y - LOWEST_M) / BAND_M).astype(int)
    widths = np.full(edges.size, np.nan)
    for b in range(edges.size):
        zb = z[band == b]
        if zb.size >= MIN_BAND_POINTS:
            widths[b] = float(np.percentile(zb, 98) - np.percentile(zb, 2))
    seen = int(round(NECK_SEEN_M / BAND_M))
    for b in range(edges.size - 1, -1, -1):
        w = widths[b]
        if not (np.isfinite(w) and w >= TRUNK_MIN_M):
            continue
        above = widths[b + 1 : b + 1 + seen]
        if above.size == seen and np.all(np.isfinite(above)) and np.all(above < NECK_SHARE * w):
            top = float(edges[b] + BAND_M)
            if in_view is not None:
                m = band == b
                zb, xm = z[m], float(np.median(x[m]))
                # halfway up the neck's bands, at both sides of the trunk
                corners = np.array(
                    [[xm, top + NECK_SEEN_M / 2, float(np.percentile(zb, q))] for q in (2, 98)]
                )
                if not np.all(in_view(corners)):
                    return None  # the narrowing is the image's edge, not the neck
            return top
        return None  # the widest top is cut off by the image (or the arms are up)
    return None


def stature_from_shoulders(
    frames: Sequence[np.ndarray],
    supports: Sequence[tuple[float, tuple[float, float], tuple[float, float]]] = (),
    in_view: InView | None = None,
) -> tuple[float, float] | None:
    """Stature (m) and shoulder height above the feet (m) from the points of standing frames.

    Parameters
    ----------
    frames : sequence of ndarray, each of shape (N_i, 3)
        The subject's points of each frame, lab frame, metres.
    supports : sequence of (height, (x_min, x_max), (z_min, z_max))
        Surfaces the subject may stand on (box tops; ``Background.supports``), lab metres.
    in_view : callable, optional
        Whether lab points lie in the camera's image (see :func:`shoulder_height`).

    Returns
    -------
    tuple of float or None
        ``(stature, shoulder_height)``, stature within 1.2-2.2 m; None when the shoulders are
        not seen (see :func:`shoulder_height`). The feet stand on the highest support under the
        subject's middle no higher than their lowest points (plus :data:`ON_FLOOR_M`), else on
        the floor (``y`` = 0) when the lowest points lie within :data:`ON_FLOOR_M` of it, else
        at the lowest points (the box's top eaten by the noise: the stature reads short);
        None then if ``in_view`` says the image ends there (a camera close by cuts off the
        feet).
    """
    pts = [np.asarray(f, dtype=np.float64).reshape(-1, 3) for f in frames if len(f)]
    if not pts:
        return None
    p = np.concatenate(pts)
    h = shoulder_height(p, in_view)
    if h is None:
        return None
    ok = np.isfinite(p).all(axis=1)
    low = float(np.percentile(p[ok, 1], 1))
    x, z = float(np.median(p[ok, 0])), float(np.median(p[ok, 2]))
    under = [
        top
        for top, (x0, x1), (z0, z1) in supports
        if x0 <= x <= x1 and z0 <= z <= z1 and top <= low + ON_FLOOR_M
    ]
    if under:
        h -= max(under)
    elif low > ON_FLOOR_M:
        if in_view is not None and not np.all(in_view(np.array([[x, low - ON_FLOOR_M, z]]))):
            return None  # the image ends above the feet
        h -= low
    stature = h / SHOULDER_OF_STATURE
    if not 1.2 <= stature <= 2.2:
        return None
    return float(stature), h
