"""Conversion between :class:`kneesight.Intrinsics` and ``pyrealsense2.intrinsics``."""

from __future__ import annotations

from typing import Any

from kneesight._core import Intrinsics
from kneesight.errors import InputError
from kneesight.io._sdk import rs


def intrinsics_from_rs(rs_intrinsics: Any) -> Intrinsics:
    """kneesight intrinsics of a ``pyrealsense2.intrinsics``.

    Parameters
    ----------
    rs_intrinsics : pyrealsense2.intrinsics
        For example ``frame.profile.as_video_stream_profile().intrinsics``.

    Returns
    -------
    Intrinsics
        Same size (pixels), focal lengths and principal point (pixels), distortion model
        and its 5 coefficients.

    Raises
    ------
    InputError
        Not an intrinsics object, or values that describe no camera (e.g. fx = 0 or NaN).
    """
    try:
        model = str(rs_intrinsics.model).rsplit(".", 1)[-1]
        args = (
            int(rs_intrinsics.width),
            int(rs_intrinsics.height),
            float(rs_intrinsics.fx),
            float(rs_intrinsics.fy),
            float(rs_intrinsics.ppx),
            float(rs_intrinsics.ppy),
        )
        coeffs = [float(c) for c in rs_intrinsics.coeffs]
    except (AttributeError, TypeError, ValueError) as e:
        raise InputError(
            f"rs_intrinsics: expected a pyrealsense2.intrinsics, got {type(rs_intrinsics).__name__}"
            f" ({e})"
        ) from None
    return Intrinsics(*args, model=model, coeffs=coeffs)


def intrinsics_to_rs(intrinsics: Intrinsics) -> Any:
    """A ``pyrealsense2.intrinsics`` with the values of kneesight intrinsics.

    Parameters
    ----------
    intrinsics : Intrinsics

    Returns
    -------
    pyrealsense2.intrinsics
        Usable with ``rs.rs2_deproject_pixel_to_point`` or as a software stream's intrinsics.

    Raises
    ------
    InputError
        ``intrinsics`` is not a :class:`kneesight.Intrinsics`.
    """
    if not isinstance(intrinsics, Intrinsics):
        raise InputError(
            f"intrinsics: expected kneesight.Intrinsics, got {type(intrinsics).__name__}"
        )
    sdk = rs()
    out = sdk.intrinsics()
    out.width = intrinsics.width
    out.height = intrinsics.height
    out.fx = intrinsics.fx
    out.fy = intrinsics.fy
    out.ppx = intrinsics.ppx
    out.ppy = intrinsics.ppy
    out.model = getattr(sdk.distortion, intrinsics.model)
    out.coeffs = list(intrinsics.coeffs)
    return out
