"""Depth image to point cloud, exactly as the RealSense SDK does it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kneesight import _core
from kneesight.errors import InputError

if TYPE_CHECKING:
    from kneesight.io.frames import DepthFrame


def deproject(
    frame: DepthFrame | np.ndarray,
    intrinsics: _core.Intrinsics | None = None,
    depth_scale: float | None = None,
) -> np.ndarray:
    """Deproject a depth frame to points in the camera frame.

    Parameters
    ----------
    frame : DepthFrame or ndarray of uint16, shape (H, W)
        A frame from :func:`kneesight.io.open_recording`, or a raw depth image (then
        ``intrinsics`` and ``depth_scale`` are required).
    intrinsics : Intrinsics, optional
        Camera intrinsics of the image; taken from the frame when a frame is given.
    depth_scale : float, optional
        Metres per depth unit (0.001 on D4xx); taken from the frame when a frame is given.

    Returns
    -------
    ndarray of float32, shape (H*W, 3)
        Points in metres in the camera frame (x right, y down, z forward), row-major, one per
        pixel, zeros where the depth is 0: the layout of ``rs.pointcloud().calculate()``.

    Raises
    ------
    InputError
        Wrong dtype or shape, missing or nonsense intrinsics or depth scale.
    """
    if isinstance(frame, np.ndarray):
        depth = frame
    elif hasattr(frame, "depth") and hasattr(frame, "intrinsics"):
        depth = frame.depth
        intrinsics = frame.intrinsics if intrinsics is None else intrinsics
        depth_scale = frame.depth_scale if depth_scale is None else depth_scale
    else:
        raise InputError(
            f"deproject: expected a DepthFrame or a uint16 depth array, got {type(frame).__name__}"
        )
    if intrinsics is None or depth_scale is None:
        raise InputError("deproject: a raw depth array needs intrinsics and depth_scale")
    return _core.deproject_depth(depth, intrinsics, float(depth_scale))
