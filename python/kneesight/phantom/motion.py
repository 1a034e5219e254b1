"""The motion record the phantom is driven by: joint angles, support and timing over time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.interpolate import PchipInterpolator

from kneesight.errors import InputError
from kneesight.phantom.scene import BOX_FRONT_X
from kneesight.phantom.valgus import ValgusProfile

SIDES: tuple[str, str] = ("l", "r")


@dataclass
class MotionSample:
    """A motion sampled at given times (N frames).

    Attributes
    ----------
    times : ndarray, shape (N,)
        Seconds from the start of the motion.
    angles : dict of str -> ndarray, shape (N, 3)
        Degrees: ``hip_<s>`` (flexion, adduction, internal rotation), ``knee_<s>`` (flexion,
        valgus, internal rotation), ``ankle_<s>`` (dorsiflexion, inversion, internal
        rotation), ``trunk`` (flexion, lateral bend, rotation), ``arm_<s>`` (shoulder flexion,
        abduction, elbow flexion).
    pelvis_rotation : ndarray, shape (N, 3, 3)
        Pelvis axes in the lab.
    arch_drop_mm : dict of str -> ndarray, shape (N,)
        Arch drop per foot, mm.
    support : dict of str -> ndarray, shape (N,)
        Height of the surface each foot stands on (0 floor, box height), NaN in the air.
    stance_xz : ndarray, shape (N, 2)
        Where the supported feet stand: target lab (x, z) of the mean ankle joint centre of
        the supported feet minus their mean lateral rest offset (so bilateral stance centres
        the ankles on it and a single-leg stance keeps the foot under its hip).
    pelvis_track : ndarray, shape (N, 3), optional
        Measured pelvis positions (from a .mot file) to follow instead of solving for them.
    ground_contact : ndarray of bool, shape (N,), optional
        With ``pelvis_track``: whether the force plates register the subject (vertical ground
        reaction force above :data:`kneesight.phantom.mot.GRF_CONTACT_N`). The feet then stand
        on the floor exactly in those frames, instead of whenever they come within the contact
        tolerance of it.
    """

    times: np.ndarray
    angles: dict[str, np.ndarray]
    pelvis_rotation: np.ndarray
    arch_drop_mm: dict[str, np.ndarray]
    support: dict[str, np.ndarray]
    stance_xz: np.ndarray
    pelvis_track: np.ndarray | None = None
    ground_contact: np.ndarray | None = None


@dataclass
class Motion:
    """A motion the phantom can perform, defined in continuous time.

    Attributes
    ----------
    name : str
    duration_s : float
    valgus : ValgusProfile
    sampler : callable
        ``sampler(times) -> MotionSample``.
    box_height : float or None
        Height of the drop box the motion starts on (None: no box in the scene).
    box_front_x : float
        Lab X of the box's front face.
    params : dict
        Parameters to record in the ground truth.
    """

    name: str
    duration_s: float
    valgus: ValgusProfile
    sampler: Callable[[np.ndarray], MotionSample]
    box_height: float | None = None
    box_front_x: float = BOX_FRONT_X
    params: dict[str, Any] = field(default_factory=dict)

    def sample(self, times: np.ndarray) -> MotionSample:
        """Sample the motion at ``times`` (seconds, within ``[0, duration_s]``)."""
        times = np.asarray(times, dtype=np.float64)
        if times.ndim != 1 or times.size == 0:
            raise InputError("Motion.sample: times must be a non-empty 1-D array")
        if times.min() < -1e-9 or times.max() > self.duration_s + 1e-9:
            raise InputError(
                f"Motion.sample: times must lie within [0, {self.duration_s}] s of {self.name}"
            )
        return self.sampler(times)


def track(t: np.ndarray, knots: list[tuple[float, float]]) -> np.ndarray:
    """Shape-preserving smooth curve through ``(time, value)`` knots, held flat outside."""
    k = np.asarray(sorted(knots), dtype=np.float64)
    if len(k) == 1:
        return np.full_like(t, k[0, 1])
    return PchipInterpolator(k[:, 0], k[:, 1])(np.clip(t, k[0, 0], k[-1, 0]))


def check_positive(name: str, value: float, lo: float, hi: float) -> float:
    """A float parameter within ``[lo, hi]`` or an InputError naming it."""
    try:
        v = float(value)
    except (TypeError, ValueError) as e:
        raise InputError(f"{name} must be a number, got {value!r}") from e
    if not (lo <= v <= hi):
        raise InputError(f"{name} = {v} is outside [{lo}, {hi}]")
    return v
