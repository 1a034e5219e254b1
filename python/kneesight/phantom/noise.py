"""Intel RealSense D4xx depth noise: correlated disparity error, occlusion shadow, edge artefacts.

The depth RMS error of an active stereo camera grows with the square of the distance,
``RMS(z) = z^2 * subpixel / (fx * baseline)`` (Intel's formula; subpixel about 0.08 px).
Here the disparity error is a spatially correlated Gaussian field (white noise smoothed by a
Gaussian kernel, renormalised to ``subpixel`` RMS) mapped to depth. The left imager is the
depth origin and the right imager sits at +baseline along camera x, so background pixels the
right imager cannot see (beside the left edges of foreground objects) have no depth: the
occlusion shadow. Silhouette edges get dropouts and "flying pixels" with depths between the
foreground and the background. Depth is quantised to depth units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.ndimage import binary_dilation, gaussian_filter


@dataclass(frozen=True)
class NoiseModel:
    """Parameters of the D4xx noise model.

    Attributes
    ----------
    subpixel : float
        RMS disparity error in pixels.
    correlation_px : float
        Standard deviation of the Gaussian kernel correlating the disparity error, pixels.
    shadow : bool
        Invalidate pixels occluded from the right imager.
    edge_dropout : float
        Probability that a pixel on a depth discontinuity has no depth.
    flying_pixels : float
        Probability that a pixel on a depth discontinuity gets a depth between the two sides.
    random_dropout : float
        Probability that any valid pixel has no depth.
    min_z, max_z : float
        Valid depth range, metres.
    """

    subpixel: float = 0.08
    correlation_px: float = 2.0
    shadow: bool = True
    edge_dropout: float = 0.25
    flying_pixels: float = 0.25
    random_dropout: float = 0.002
    min_z: float = 0.2
    max_z: float = 10.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return asdict(self)


def depth_rms(z: np.ndarray | float, fx: float, baseline: float, subpixel: float = 0.08):
    """Intel's depth RMS error in metres at depth ``z`` metres (``z^2 subpixel / (fx b)``)."""
    return np.asarray(z) ** 2 * subpixel / (fx * baseline)


def occlusion_shadow(z: np.ndarray, fx: float, baseline: float, tol_px: float = 0.3) -> np.ndarray:
    """Pixels whose surface point the right imager cannot see, shape (H, W) bool.

    Parameters
    ----------
    z : ndarray of float, shape (H, W)
        True depth in metres; non-finite or <= 0 where nothing was hit.
    fx : float
        Focal length in pixels.
    baseline : float
        Stereo baseline in metres (right imager at +baseline along camera x).
    """
    valid = np.isfinite(z) & (z > 0)
    u = np.arange(z.shape[1], dtype=np.float32)[None, :]
    disparity = np.float32(fx * baseline) / np.where(valid, z, 1.0).astype(np.float32)
    ur = np.where(valid, u - disparity, np.float32(np.inf))
    right_min = np.minimum.accumulate(ur[:, ::-1], axis=1)[:, ::-1]
    strictly = np.full_like(ur, np.inf)
    strictly[:, :-1] = right_min[:, 1:]
    return valid & (strictly < ur - tol_px)


def depth_edges(z: np.ndarray, rel: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
    """Pixels on the near side of depth discontinuities and the depth across them.

    Parameters
    ----------
    z : ndarray of float, shape (H, W)
        Depth in metres; non-finite or <= 0 where nothing was hit.
    rel : float
        A jump counts when the neighbour is farther by more than ``rel * z + 2 cm``.

    Returns
    -------
    edge : ndarray of bool, shape (H, W)
        Valid pixels with a farther (or empty) 4-neighbour.
    far : ndarray of float32, shape (H, W)
        Depth of the farthest valid neighbour across the discontinuity (0 if none), metres.
    """
    valid = np.isfinite(z) & (z > 0)
    zz = np.where(valid, z, np.inf).astype(np.float32)
    thr = (rel * np.minimum(zz, 10.0) + 0.02).astype(np.float32)
    edge = np.zeros(z.shape, dtype=bool)
    far = np.zeros(z.shape, dtype=np.float32)
    fin = np.where(valid, zz, 0.0).astype(np.float32)
    pairs = [
        ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
        ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
        ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
        ((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
    ]
    with np.errstate(invalid="ignore"):
        for p, q in pairs:
            jump = (zz[q] - zz[p]) > thr[p]
            edge[p] |= jump
            np.maximum(far[p], np.where(jump, fin[q], 0.0), out=far[p])
    return edge & valid, far


def apply_noise(
    z: np.ndarray,
    fx: float,
    baseline: float,
    depth_scale: float,
    rng: np.random.Generator,
    model: NoiseModel | None = None,
) -> np.ndarray:
    """Turn a true depth image into a D4xx-like raw depth frame.

    Parameters
    ----------
    z : ndarray of float, shape (H, W)
        True depth in metres (camera z); inf or 0 where nothing was hit.
    fx : float
        Focal length in pixels.
    baseline : float
        Stereo baseline in metres.
    depth_scale : float
        Metres per depth unit.
    rng : numpy.random.Generator
    model : NoiseModel, optional
        None renders without any noise (only range limits and quantisation).

    Returns
    -------
    ndarray of uint16, shape (H, W)
        Depth in units of ``depth_scale``; 0 = no data.
    """
    z = np.asarray(z)
    valid = np.isfinite(z) & (z > 0)
    out: np.ndarray = np.where(valid, z, 0.0).astype(np.float64)
    if model is not None:
        white = rng.standard_normal(z.shape, dtype=np.float32)
        field = gaussian_filter(white, model.correlation_px, mode="wrap", truncate=3.0)
        field *= np.float32(model.subpixel / max(float(field.std()), 1e-12))
        o32 = out.astype(np.float32)
        o32 += o32 * o32 * np.float32(1.0 / (fx * baseline)) * field
        edge, far = depth_edges(z)
        # One uniform draw decides per edge pixel: flying pixel, dropout, or kept.
        u = rng.random(z.shape, dtype=np.float32)
        fly = edge & (far > 0) & (u < model.flying_pixels)
        mix = rng.random(z.shape, dtype=np.float32)
        o32 = np.where(fly, mix * o32 + (1.0 - mix) * far, o32)
        ring = binary_dilation(edge)
        p0, p1 = model.flying_pixels, model.flying_pixels + model.edge_dropout
        drop = ring & ~fly & (u >= p0) & (u < p1)
        if model.random_dropout > 0:
            drop |= rng.random(z.shape, dtype=np.float32) < model.random_dropout
        if model.shadow:
            drop |= occlusion_shadow(z, fx, baseline)
        valid &= ~drop
        valid &= (o32 >= model.min_z) & (o32 <= model.max_z)
        out = o32
    units = np.rint(out / depth_scale)
    units = np.where(valid, np.clip(units, 0, 65535), 0)
    return units.astype(np.uint16)
