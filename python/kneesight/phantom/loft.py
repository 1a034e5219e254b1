"""Closed triangle meshes lofted through parametric cross-sections (rings).

A loft runs along a long axis; each ring is a superellipse with its own centre and semi-axes,
plus Gaussian bumps (muscle bellies, bony landmarks) added along the outward direction. Ring
angle ``theta`` is measured in the plane across the long axis from the first cross axis
(0 deg) toward the second (90 deg); for limbs built along Y that is X anterior (0 deg) toward
Z lateral of a right limb (90 deg), so medial is -90 deg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bump:
    """A Gaussian bulge (positive) or hollow (negative) on a lofted surface.

    Attributes
    ----------
    theta_deg : float
        Ring angle of the centre, degrees.
    at : float
        Position of the centre along the loft parameter (same units as the ring positions).
    width_deg : float
        Angular standard deviation, degrees.
    width_at : float
        Standard deviation along the loft parameter.
    amplitude : float
        Radial height in metres (negative: a hollow).
    """

    theta_deg: float
    at: float
    width_deg: float
    width_at: float
    amplitude: float


def superellipse(theta: np.ndarray, exponent: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit superellipse ``(c, s)`` at angles ``theta`` (radians); exponent 2 is an ellipse."""
    c, s = np.cos(theta), np.sin(theta)
    p = 2.0 / exponent
    return np.sign(c) * np.abs(c) ** p, np.sign(s) * np.abs(s) ** p


def bump_field(theta: np.ndarray, at: np.ndarray, bumps: list[Bump]) -> np.ndarray:
    """Radial offsets in metres of shape (len(at), len(theta)) summed over ``bumps``."""
    out = np.zeros((at.size, theta.size))
    for b in bumps:
        dth = np.angle(np.exp(1j * (theta - np.radians(b.theta_deg))))
        ang = np.exp(-0.5 * (dth / np.radians(b.width_deg)) ** 2)
        lng = np.exp(-0.5 * ((at - b.at) / b.width_at) ** 2)
        out += b.amplitude * lng[:, None] * ang[None, :]
    return out


def loft(
    along: np.ndarray,
    centre_a: np.ndarray,
    centre_b: np.ndarray,
    semi_a: np.ndarray,
    semi_b: np.ndarray,
    *,
    param: np.ndarray | None = None,
    bumps: list[Bump] | None = None,
    n_around: int = 32,
    exponent: float = 2.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loft a closed tube with end caps.

    Parameters
    ----------
    along : ndarray, shape (R,)
        Ring positions along the long axis, metres (monotonic).
    centre_a, centre_b : ndarray, shape (R,)
        Ring centre on the two cross axes, metres.
    semi_a, semi_b : ndarray, shape (R,)
        Ring semi-axes along the two cross axes, metres.
    param : ndarray, shape (R,), optional
        Loft parameter the bumps are placed on (default: ``along``).
    bumps : list of Bump, optional
    n_around : int
        Vertices per ring.
    exponent : float
        Superellipse exponent (2 = ellipse, larger = boxier).

    Returns
    -------
    rings : ndarray of float64, shape (R*n_around + 2, 3)
        Vertices as (along, a, b) coordinates: rings in order, then the two cap centres.
    faces : ndarray of int64, shape (F, 3)
    theta : ndarray, shape (n_around,)
        Ring angles in radians.
    """
    along = np.asarray(along, dtype=np.float64)
    r = along.size
    theta = np.linspace(0.0, 2.0 * np.pi, n_around, endpoint=False)
    c, s = superellipse(theta, exponent)
    t = along if param is None else np.asarray(param, dtype=np.float64)
    bump = bump_field(theta, t, bumps or [])
    a = centre_a[:, None] + semi_a[:, None] * c[None, :] + bump * np.cos(theta)[None, :]
    b = centre_b[:, None] + semi_b[:, None] * s[None, :] + bump * np.sin(theta)[None, :]
    ring = np.stack([np.repeat(along[:, None], n_around, 1), a, b], axis=-1).reshape(-1, 3)
    caps = np.array([[along[0], centre_a[0], centre_b[0]], [along[-1], centre_a[-1], centre_b[-1]]])
    verts = np.concatenate([ring, caps])
    return verts, tube_faces(r, n_around), theta


def tube_faces(n_rings: int, n_around: int) -> np.ndarray:
    """Triangles of ``n_rings`` rings of ``n_around`` vertices plus two cap centres."""
    i = np.arange(n_rings - 1)[:, None]
    j = np.arange(n_around)[None, :]
    jn = (j + 1) % n_around
    v00 = i * n_around + j
    v01 = i * n_around + jn
    v10 = (i + 1) * n_around + j
    v11 = (i + 1) * n_around + jn
    quads = np.concatenate(
        [np.stack([v00, v10, v11], -1).reshape(-1, 3), np.stack([v00, v11, v01], -1).reshape(-1, 3)]
    )
    c0 = n_rings * n_around
    c1 = c0 + 1
    jj = np.arange(n_around)
    cap0 = np.stack([np.full(n_around, c0), (jj + 1) % n_around, jj], -1)
    last = (n_rings - 1) * n_around
    cap1 = np.stack([np.full(n_around, c1), last + jj, last + (jj + 1) % n_around], -1)
    return np.concatenate([quads, cap0, cap1]).astype(np.int64)


def ramanujan_semi_axes(
    circumference: np.ndarray, ratio: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Semi-axes ``(p, q)`` with ``q = ratio * p`` of an ellipse of the given circumference.

    Parameters
    ----------
    circumference, ratio : ndarray, shape (R,)
        Girth in metres and the ratio of the second to the first semi-axis.
    """
    ratio = np.asarray(ratio, dtype=np.float64)
    h = ((ratio - 1.0) / (ratio + 1.0)) ** 2
    unit = np.pi * (1.0 + ratio) * (1.0 + 3.0 * h / (10.0 + np.sqrt(4.0 - 3.0 * h)))
    p = np.asarray(circumference, dtype=np.float64) / unit
    return p, ratio * p


def profile(knots: list[tuple[float, float]], at: np.ndarray) -> np.ndarray:
    """Smooth (monotone cubic) interpolation of ``(t, value)`` knots at ``at``."""
    from scipy.interpolate import PchipInterpolator

    k = np.asarray(knots, dtype=np.float64)
    return PchipInterpolator(k[:, 0], k[:, 1], extrapolate=True)(at)
