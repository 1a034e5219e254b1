"""The lab frame of a session as seen from the camera (see :mod:`kneesight.conventions`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneesight.errors import InputError


@dataclass(frozen=True)
class LabFrame:
    """Rigid transform between the camera frame and the lab frame: ``p_lab = R p_cam + t``.

    Attributes
    ----------
    rotation : ndarray of float64, shape (3, 3)
        ``R``; its rows are the lab X (anterior), Y (up) and Z (right) axes in camera
        coordinates (camera: x right, y down, z forward).
    translation : ndarray of float64, shape (3,)
        ``t``: the camera's optical centre in the lab frame, metres.
    """

    rotation: np.ndarray
    translation: np.ndarray

    @property
    def lab_from_camera(self) -> np.ndarray:
        """4x4 homogeneous transform taking camera coordinates to lab coordinates."""
        m = np.eye(4)
        m[:3, :3] = self.rotation
        m[:3, 3] = self.translation
        return m

    @property
    def camera_position(self) -> np.ndarray:
        """Camera centre in the lab frame, shape (3,), metres (its y is the camera height)."""
        return self.translation.copy()

    def to_lab(self, points_camera: np.ndarray) -> np.ndarray:
        """Camera-frame points, shape (..., 3) metres, to the lab frame (same shape)."""
        p = _points(points_camera, "points_camera")
        return p @ self.rotation.T + self.translation

    def to_camera(self, points_lab: np.ndarray) -> np.ndarray:
        """Lab-frame points, shape (..., 3) metres, to the camera frame (same shape)."""
        p = _points(points_lab, "points_lab")
        return (p - self.translation) @ self.rotation


def _points(p: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(p, dtype=np.float64)
    if a.ndim == 0 or a.shape[-1] != 3:
        raise InputError(f"{name} must have shape (..., 3), got {a.shape}")
    return a
