"""Segment sizes of the phantom athlete from stature, sex and build (de Leva 1996 proportions).

All lengths in metres. Every size can be overridden by keyword; :meth:`Body.sizes` lists them.
"""

from __future__ import annotations

import math
from typing import Any

from kneesight.errors import InputError
from kneesight.phantom.anthropometry import SEXES, de_leva, segment_ratio

BUILDS: tuple[str, ...] = ("slim", "average", "athletic", "heavy")
"""Build names (girth multipliers in the anthropometry table)."""

SIZE_NAMES: tuple[str, ...] = (
    "thigh_length",
    "shank_length",
    "foot_length",
    "foot_width",
    "ankle_height",
    "arch_height_mm",
    "hjc_separation",
    "hip_width",
    "trunk_length",
    "shoulder_width",
    "upper_arm_length",
    "forearm_length",
    "hand_length",
    "thigh_girth",
    "lower_thigh_girth",
    "knee_girth",
    "calf_girth",
    "ankle_girth",
)
"""Every size of a :class:`Body` (metres, except ``arch_height_mm``)."""


def _positive(name: str, value: Any, lo: float, hi: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as e:
        raise InputError(f"Body: {name} must be a number, got {value!r}") from e
    if not (lo <= v <= hi) or math.isnan(v):
        raise InputError(f"Body: {name} = {v} is outside the plausible range [{lo}, {hi}]")
    return v


class Body:
    """A parametric athlete's segment sizes.

    Parameters
    ----------
    stature : float
        Standing height in metres (1.2 to 2.2).
    sex : {"male", "female"}
        Selects the de Leva (1996) proportions and the girth table.
    build : {"slim", "average", "athletic", "heavy"}
        Scales limb and trunk girths.
    **overrides : float
        Any of :data:`SIZE_NAMES`, e.g. ``thigh_length=0.45``, ``calf_girth=0.40``,
        ``foot_length=0.27``, ``arch_height_mm=55``.

    Notes
    -----
    The head-and-neck length is whatever makes the vertex reach ``stature`` over the ankle
    height, shank, thigh and trunk, so the phantom is exactly as tall as stated.
    """

    def __init__(
        self,
        stature: float = 1.75,
        sex: str = "male",
        build: str = "average",
        **overrides: float,
    ) -> None:
        self.stature = _positive("stature", stature, 1.2, 2.2)
        if sex not in SEXES:
            raise InputError(f"Body: sex must be one of {SEXES}, got {sex!r}")
        if build not in BUILDS:
            raise InputError(f"Body: build must be one of {BUILDS}, got {build!r}")
        unknown = sorted(set(overrides) - set(SIZE_NAMES))
        if unknown:
            raise InputError(f"Body: unknown size override(s) {unknown}; known: {SIZE_NAMES}")
        self.sex = sex
        self.build = build
        t = de_leva()
        h = self.stature
        br = t["breadths"]
        g = t["girths"][sex]
        k = float(t["builds"][build])
        d: dict[str, float] = {
            "thigh_length": segment_ratio("thigh", sex) * h,
            "shank_length": segment_ratio("shank", sex) * h,
            "foot_length": segment_ratio("foot", sex) * h,
            "foot_width": br["foot_width"] * h,
            "ankle_height": br["ankle_height"] * h,
            "hjc_separation": br["inter_asis"] * br["hjc_separation_of_inter_asis"] * h,
            "hip_width": br["hip_width"] * h * (0.85 + 0.15 * k),
            "trunk_length": segment_ratio("trunk", sex) * h,
            "shoulder_width": br["shoulder_width"] * h,
            "upper_arm_length": segment_ratio("upper_arm", sex) * h,
            "forearm_length": segment_ratio("forearm", sex) * h,
            "hand_length": segment_ratio("hand", sex) * h * 2.2,
            "thigh_girth": g["thigh_proximal"] * h * k,
            "lower_thigh_girth": g["lower_thigh"] * h * k,
            "knee_girth": g["knee"] * h * (0.7 + 0.3 * k),
            "calf_girth": g["calf"] * h * k,
            "ankle_girth": g["ankle"] * h * (0.8 + 0.2 * k),
        }
        d["arch_height_mm"] = 1000.0 * t["foot"]["arch_height_of_foot_length"] * d["foot_length"]
        for name, value in overrides.items():
            lo, hi = (10.0, 120.0) if name == "arch_height_mm" else (0.01, 2.0)
            d[name] = _positive(name, value, lo, hi)
        self._sizes = d
        self.ajc_from_heel = float(t["foot"]["ajc_from_heel_of_foot_length"]) * d["foot_length"]
        self.head_length = h - (
            d["ankle_height"] + d["shank_length"] + d["thigh_length"] + d["trunk_length"]
        )
        if self.head_length < 0.12:
            raise InputError(
                "Body: the leg and trunk lengths leave less than 0.12 m for the head within "
                f"stature {h} m; reduce the length overrides or raise the stature"
            )

    def __getattr__(self, name: str) -> float:
        sizes = self.__dict__.get("_sizes")
        if sizes is not None and name in sizes:
            return sizes[name]
        raise AttributeError(name)

    @property
    def arch_height(self) -> float:
        """Unloaded dorsal arch height at 50 % of foot length, metres."""
        return self._sizes["arch_height_mm"] / 1000.0

    @property
    def hip_height(self) -> float:
        """Standing height of the hip joint centres above the floor (straight legs), metres."""
        return self.ankle_height + self.shank_length + self.thigh_length

    def sizes(self) -> dict[str, Any]:
        """All sizes as a JSON-ready dict (metres; ``arch_height_mm`` in mm)."""
        out: dict[str, Any] = {"stature": self.stature, "sex": self.sex, "build": self.build}
        out.update(self._sizes)
        out["head_neck_length"] = self.head_length
        out["ajc_from_heel"] = self.ajc_from_heel
        return out

    def __repr__(self) -> str:
        return f"Body(stature={self.stature}, sex={self.sex!r}, build={self.build!r})"
