"""RealSense camera profiles (``calibration/cameras.json``) and camera placement in the lab."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from kneesight import Intrinsics
from kneesight.errors import InputError
from kneesight.phantom.anthropometry import load_json

CAMERAS: tuple[str, ...] = ("d415", "d435", "d455")


@cache
def camera_profiles() -> dict[str, Any]:
    """The shipped camera profiles, keyed ``d415``/``d435``/``d455``."""
    return load_json("cameras.json")


def camera_profile(name: str) -> dict[str, Any]:
    """One camera profile (baseline, subpixel, resolutions with intrinsics and max fps)."""
    key = name.lower()
    if key not in CAMERAS:
        raise InputError(f"camera must be one of {CAMERAS}, got {name!r}")
    return camera_profiles()[key]


@dataclass(frozen=True)
class CameraPlacement:
    """A depth camera looking at the subject.

    Parameters
    ----------
    profile : {"d415", "d435", "d455"}
    resolution : (width, height)
        A depth mode of the profile, e.g. (848, 480) or the high-speed (848, 100).
    fps : int
        Frame rate, at most the mode's maximum.
    distance : float
        Horizontal distance from the lab origin, metres.
    height : float
        Height of the camera (left imager) above the floor, metres.
    yaw : float
        Azimuth of the camera about the lab Y axis from the +X axis, degrees: the camera sits
        at ``(distance cos(yaw), height, distance sin(yaw))``, so positive yaw is toward the
        subject's right. It always faces back toward the subject.
    pitch : float or None
        Downward tilt in degrees; None aims the optical axis at ``aim_height`` above the origin.
    aim_height : float
        Height at the subject the default pitch aims at (about knee to hip height), metres.
    """

    profile: str = "d435"
    resolution: tuple[int, int] = (848, 480)
    fps: int = 90
    distance: float = 2.0
    height: float = 1.0
    yaw: float = 0.0
    pitch: float | None = None
    aim_height: float = 0.65
    _mode: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        prof = camera_profile(self.profile)
        object.__setattr__(self, "profile", self.profile.lower())
        w, h = (int(v) for v in self.resolution)
        mode = prof["resolutions"].get(f"{w}x{h}")
        if mode is None:
            raise InputError(
                f"resolution {w}x{h} is not a depth mode of {self.profile}; "
                f"known: {sorted(prof['resolutions'])}"
            )
        if not (1 <= int(self.fps) <= mode["max_fps"]):
            raise InputError(
                f"fps {self.fps} is not available at {w}x{h} on {self.profile} "
                f"(max {mode['max_fps']})"
            )
        for name, lo, hi in (("distance", 0.3, 15.0), ("height", 0.05, 4.0)):
            v = float(getattr(self, name))
            if not (lo <= v <= hi):
                raise InputError(f"camera {name} = {v} m is outside [{lo}, {hi}]")
        if not (-90.0 < float(self.yaw) < 90.0):
            raise InputError(f"camera yaw = {self.yaw} deg must lie in (-90, 90)")
        if self.pitch is not None and not (-60.0 <= float(self.pitch) <= 80.0):
            raise InputError(f"camera pitch = {self.pitch} deg must lie in [-60, 80]")
        object.__setattr__(self, "resolution", (w, h))
        object.__setattr__(self, "_mode", mode)

    @property
    def intrinsics(self) -> Intrinsics:
        """Depth intrinsics of the mode (rectified: Brown-Conrady, all coefficients zero)."""
        m = self._mode
        return Intrinsics(m["width"], m["height"], m["fx"], m["fy"], m["ppx"], m["ppy"])

    @property
    def baseline(self) -> float:
        """Stereo baseline in metres (the right imager sits at +baseline along camera x)."""
        return float(camera_profile(self.profile)["baseline_m"])

    @property
    def subpixel(self) -> float:
        """RMS disparity error in pixels of the noise model."""
        return float(camera_profile(self.profile)["subpixel_rms"])

    @property
    def min_z(self) -> float:
        """Nearest measurable depth in metres: ``fx * baseline / 126`` (the D4xx disparity
        search range is 126 pixels; Intel's tuning white paper)."""
        return self.intrinsics.fx * self.baseline / 126.0

    @property
    def effective_pitch(self) -> float:
        """Downward tilt in degrees (the given pitch, or the aim at ``aim_height``)."""
        if self.pitch is not None:
            return float(self.pitch)
        return math.degrees(math.atan2(self.height - self.aim_height, self.distance))

    def lab_from_camera(self) -> np.ndarray:
        """4x4 rigid transform taking camera coordinates (x right, y down, z forward) to lab."""
        yaw = math.radians(self.yaw)
        pitch = math.radians(self.effective_pitch)
        pos = np.array([self.distance * math.cos(yaw), self.height, self.distance * math.sin(yaw)])
        back = np.array([-math.cos(yaw), 0.0, -math.sin(yaw)])  # horizontal, toward the origin
        fwd = math.cos(pitch) * back + np.array([0.0, -math.sin(pitch), 0.0])
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        t = np.eye(4)
        t[:3, 0], t[:3, 1], t[:3, 2], t[:3, 3] = right, down, fwd, pos
        return t

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (profile, mode, placement, intrinsics, lab_from_camera)."""
        k = self.intrinsics
        return {
            "profile": self.profile,
            "resolution": list(self.resolution),
            "fps": self.fps,
            "distance_m": self.distance,
            "height_m": self.height,
            "yaw_deg": self.yaw,
            "pitch_deg": self.effective_pitch,
            "baseline_m": self.baseline,
            "intrinsics": {
                "width": k.width,
                "height": k.height,
                "fx": k.fx,
                "fy": k.fy,
                "ppx": k.ppx,
                "ppy": k.ppy,
                "model": k.model,
                "coeffs": k.coeffs,
            },
            "lab_from_camera": self.lab_from_camera().tolist(),
        }
