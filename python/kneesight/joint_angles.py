"""Joint angles and FPPA with kneesight's conventions (see :mod:`kneesight.conventions`).

The implementation lives in the compiled core so the tracker, the phantom and the analysis use
the very same conventions.
"""

from __future__ import annotations

import numpy as np

from kneesight import _core


def joint_rotation(joint: str, side: str, angles_deg: tuple[float, float, float]) -> np.ndarray:
    """Rotation of a distal segment relative to its proximal one.

    Parameters
    ----------
    joint : {"hip", "knee", "ankle"}
    side : {"l", "r"}
    angles_deg : tuple of 3 float
        Clinical angles in degrees: hip (flexion, adduction, internal rotation), knee (flexion,
        valgus, internal rotation), ankle (dorsiflexion, inversion, internal rotation).

    Returns
    -------
    ndarray of float64, shape (3, 3)
        ``R_prox^T @ R_dist`` (columns: distal axes in proximal coordinates).
    """
    a, b, c = (float(v) for v in angles_deg)
    return _core.joint_rotation(joint, side, (a, b, c))


def joint_angles(joint: str, side: str, rotation: np.ndarray) -> tuple[float, float, float]:
    """Clinical angles in degrees of a relative rotation (inverse of :func:`joint_rotation`).

    Parameters
    ----------
    joint : {"hip", "knee", "ankle"}
    side : {"l", "r"}
    rotation : ndarray of float64, shape (3, 3)
        ``R_prox^T @ R_dist``.
    """
    return _core.joint_angles(joint, side, np.ascontiguousarray(rotation, dtype=np.float64))


def fppa(side: str, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Frontal-plane projection angle per frame.

    Parameters
    ----------
    side : {"l", "r"}
    hip, knee, ankle : ndarray of float, shape (N, 3) or (3,)
        Joint centres in the lab frame, metres.

    Returns
    -------
    ndarray of float64, shape (N,)
        Degrees; positive when the knee is medial to the hip-ankle line (valgus).
    """

    def rows(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.atleast_2d(a), dtype=np.float64)

    return _core.fppa(side, rows(hip), rows(knee), rows(ankle))
