"""The lab frame of a session and the athlete's points of each frame.

The lab frame (see :mod:`kneesight.conventions`) is found once per session from depth frames of
a static scene: the floor plane gives the origin height and Y (up), the subject's position the
origin, and X points horizontally from the subject toward the camera. The static scene (floor,
walls, the box or platform) is then learnt as a :class:`Background`, and each frame's subject
points are what is left of a region around the subject once floor, background, flying pixels
and detached clutter are removed. The work runs in the compiled core with the GIL released.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from kneesight import _core
from kneesight._core import Background, LabFrame, SubjectSegmenter
from kneesight.errors import InputError

if TYPE_CHECKING:
    from kneesight.io.frames import DepthFrame

__all__ = [
    "Background",
    "LabFrame",
    "SubjectSegmenter",
    "estimate_floor",
    "estimate_lab_frame",
    "find_subject",
    "learn_background",
    "segment_subject",
]

Bounds = tuple[np.ndarray, np.ndarray]


def _same_camera(frames: Sequence[DepthFrame], what: str) -> tuple[list[np.ndarray], DepthFrame]:
    """The depth arrays of frames from one camera; InputError naming the odd one out."""
    if isinstance(frames, (str, bytes)) or not isinstance(frames, Sequence) or not frames:
        raise InputError(f"{what}: expected a non-empty sequence of DepthFrame")
    first = frames[0]
    for k, f in enumerate(frames):
        if not hasattr(f, "depth") or not hasattr(f, "intrinsics"):
            raise InputError(f"{what}: frames[{k}] is a {type(f).__name__}, not a DepthFrame")
        if f.intrinsics != first.intrinsics or f.depth_scale != first.depth_scale:
            raise InputError(
                f"{what}: frames[{k}] (frame number {f.frame_number}) has other intrinsics or "
                "depth scale than frames[0]; use frames of one camera stream"
            )
    return [f.depth for f in frames], first


def estimate_floor(frame: DepthFrame) -> tuple[np.ndarray, float]:
    """The floor plane in the camera frame of one depth frame.

    Parameters
    ----------
    frame : DepthFrame
        A frame in which the floor is visible.

    Returns
    -------
    normal : ndarray of float64, shape (3,)
        Unit normal pointing up (toward the camera), camera frame (x right, y down, z forward).
    offset : float
        ``normal @ p + offset = 0`` on the floor: the camera height in metres.

    Raises
    ------
    CalibrationError
        No floor is visible (the message says what was seen instead).
    InputError
        Malformed frame.
    """
    return _core.estimate_floor(frame.depth, frame.intrinsics, float(frame.depth_scale))


def estimate_lab_frame(frames: Sequence[DepthFrame]) -> LabFrame:
    """The lab frame of a session from frames of a static scene.

    Parameters
    ----------
    frames : sequence of DepthFrame
        A few frames (e.g. 10-30) of a standing trial or the start of a trial, from one camera.
        The per-pixel median over them is used, so moving objects matter little.

    Returns
    -------
    LabFrame
        ``p_lab = rotation @ p_cam + translation``: origin on the floor below the subject (or
        below the point 2 m in front of the camera when nobody is in view), Y up, X horizontal
        toward the camera, Z = X x Y (the subject's right when facing the camera). Save it with
        ``to_dict()`` and restore it with ``LabFrame.from_dict``.

    Raises
    ------
    CalibrationError
        No floor is visible.
    InputError
        Frames from different cameras, or malformed frames.
    """
    depths, first = _same_camera(frames, "estimate_lab_frame")
    return _core.estimate_lab_frame(depths, first.intrinsics, float(first.depth_scale))


def learn_background(frames: Sequence[DepthFrame], lab: LabFrame) -> Background:
    """Learn the static scene (floor, walls, box faces and top) of a session.

    Parameters
    ----------
    frames : sequence of DepthFrame
        A few frames of the session (the empty scene, a standing trial or the first frames of a
        drop jump with the athlete on the box), from one camera.
    lab : LabFrame
        The session's lab frame.

    Returns
    -------
    Background
        Planar patches with their extents, the floor and the depth noise level, lab frame.

    Raises
    ------
    CalibrationError
        The frames show no floor where the lab frame puts it, or hold too little depth.
    InputError
        Frames from different cameras, or malformed frames.
    """
    depths, first = _same_camera(frames, "learn_background")
    return _core.learn_background(depths, first.intrinsics, float(first.depth_scale), lab)


def find_subject(frame: DepthFrame, lab: LabFrame, background: Background) -> Bounds | None:
    """Where is the person? A lab-space box around them, or None.

    Parameters
    ----------
    frame : DepthFrame
        One depth frame.
    lab : LabFrame
        The session's lab frame.
    background : Background
        The session's static scene.

    Returns
    -------
    (min, max) : tuple of ndarray of float64, shape (3,), or None
        Corners of the lab box (metres, 0.15 m margin) around the largest person-sized blob
        standing out of the background; None when nobody is in view.
    """
    return _core.find_subject(
        frame.depth, frame.intrinsics, float(frame.depth_scale), lab, background
    )


def segment_subject(
    frame: DepthFrame,
    lab: LabFrame,
    background: Background,
    bounds: Bounds | None = None,
    *,
    stride: int = 2,
    return_pixels: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """The athlete's points of one frame, in the lab frame.

    Parameters
    ----------
    frame : DepthFrame
        One depth frame.
    lab : LabFrame
        The session's lab frame.
    background : Background
        The session's static scene (:func:`learn_background`).
    bounds : (min, max) of array-like, shape (3,), optional
        Lab box around the subject (metres); found with :func:`find_subject` when omitted.
    stride : int, default 2
        Pixel step of the sampling grid.
    return_pixels : bool, default False
        Also return the pixel index ``v * W + u`` of every point.

    Returns
    -------
    points : ndarray of float32, shape (N, 3)
        Lab-frame points in metres; empty (0, 3) when nobody is found.
    pixels : ndarray of uint32, shape (N,)
        Only with ``return_pixels``.

    Notes
    -----
    For a stream of frames build one :class:`SubjectSegmenter` and call its ``segment``: it
    reuses its buffers between frames.
    """
    seg = SubjectSegmenter(frame.intrinsics, float(frame.depth_scale), lab, background, stride)
    if bounds is not None:
        lo, hi = (np.asarray(b, dtype=np.float64) for b in bounds)
        points, pixels = seg.segment(frame.depth, (lo, hi))
    else:
        points, pixels = seg.segment(frame.depth)
    return (points, pixels) if return_pixels else points
