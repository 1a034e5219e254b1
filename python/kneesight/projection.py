"""Lab-frame points into the depth image.

Points are mapped into the camera with the inverse of ``lab_from_camera`` and projected with
the pinhole intrinsics (camera x right, y down, z forward; ``u = fx x / z + ppx``,
``v = fy y / z + ppy``; D4xx depth streams are rectified, so the distortion coefficients are
zero).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def camera_from_lab(lab_from_camera: Any) -> np.ndarray:
    """Inverse of a 4 x 4 rigid transform given as nested lists; shape (4, 4)."""
    m = np.asarray(lab_from_camera, dtype=np.float64)
    if m.shape != (4, 4) or not np.isfinite(m).all():
        raise ValueError("lab_from_camera must be a finite 4 x 4 matrix")
    return np.linalg.inv(m)


def project(points_lab: np.ndarray, lab_from_camera: Any, intr: dict[str, float]) -> np.ndarray:
    """Project lab-frame points into the depth image.

    Parameters
    ----------
    points_lab : ndarray of float, shape (K, 3)
        Metres, lab frame.
    lab_from_camera : array-like, shape (4, 4)
        Pose of the camera in the lab (camera coordinates -> lab coordinates).
    intr : dict
        ``fx``, ``fy``, ``ppx``, ``ppy`` in pixels.

    Returns
    -------
    ndarray of float64, shape (K, 2)
        Pixel coordinates (u right, v down); NaN for points behind the camera or missing.
    """
    cam = camera_from_lab(lab_from_camera)
    p = np.asarray(points_lab, dtype=np.float64) @ cam[:3, :3].T + cam[:3, 3]
    z = np.where(p[:, 2] > 1e-6, p[:, 2], np.nan)
    u = intr["fx"] * p[:, 0] / z + intr["ppx"]
    v = intr["fy"] * p[:, 1] / z + intr["ppy"]
    return np.stack([u, v], axis=1)


def in_image(
    points_lab: np.ndarray, lab_from_camera: Any, intr: dict[str, float], margin: float = 2.0
) -> np.ndarray:
    """Whether lab-frame points project into the depth image.

    Parameters
    ----------
    points_lab : ndarray of float, shape (K, 3)
        Metres, lab frame.
    lab_from_camera : array-like, shape (4, 4)
        Pose of the camera in the lab (camera coordinates -> lab coordinates).
    intr : dict
        ``fx``, ``fy``, ``ppx``, ``ppy``, ``width``, ``height`` in pixels.
    margin : float
        Pixels kept clear of the image's border.

    Returns
    -------
    ndarray of bool, shape (K,)
        False for points outside the image (or its margin) and behind the camera.
    """
    uv = project(points_lab, lab_from_camera, intr)
    with np.errstate(invalid="ignore"):
        return (
            (uv[:, 0] >= margin)
            & (uv[:, 0] <= intr["width"] - 1 - margin)
            & (uv[:, 1] >= margin)
            & (uv[:, 1] <= intr["height"] - 1 - margin)
        )
