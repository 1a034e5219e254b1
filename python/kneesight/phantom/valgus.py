"""Valgus parameters of the phantom: dynamic components per side and static alignment."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from kneesight.errors import InputError

Pair = tuple[float, float]
"""A per-side value, (left, right)."""

_LIMITS: dict[str, tuple[float, float]] = {
    "hip_internal_rotation": (-20.0, 30.0),
    "hip_adduction": (-15.0, 25.0),
    "knee_valgus": (-10.0, 15.0),
    "tibial_rotation": (-15.0, 20.0),
    "arch_drop_mm": (0.0, 25.0),
    "static_knee_valgus": (-15.0, 15.0),
}


def _pair(name: str, value: Any) -> Pair:
    vals = (value, value) if isinstance(value, int | float) else tuple(value)
    if len(vals) != 2:
        raise InputError(f"ValgusProfile: {name} must be a number or a (left, right) pair")
    lo, hi = _LIMITS[name]
    out = []
    for v in vals:
        try:
            f = float(v)
        except (TypeError, ValueError) as e:
            raise InputError(f"ValgusProfile: {name} must be numeric, got {v!r}") from e
        if math.isnan(f) or not (lo <= f <= hi):
            raise InputError(f"ValgusProfile: {name} = {f} is outside [{lo}, {hi}]")
        out.append(f)
    return out[0], out[1]


@dataclass(frozen=True)
class ValgusProfile:
    """How much each valgus component adds at peak loading, per side (left, right).

    Angles in degrees, added on top of the motion's sagittal pattern; they ramp in during
    loading and peak near peak knee flexion, except in the drop jump, where the rotations and
    the knee valgus are set in the late flight and held through the landing (a valgus
    lander lands in that alignment; see ``motions.VALGUS_AT_CONTACT``). A scalar applies to
    both sides.

    Parameters
    ----------
    hip_internal_rotation : float or (left, right)
        Peak added hip (femoral) internal rotation.
    hip_adduction : float or (left, right)
        Peak added hip adduction.
    knee_valgus : float or (left, right)
        Peak added knee valgus (abduction).
    tibial_rotation : float or (left, right)
        Peak added tibial internal rotation relative to the femur.
    arch_drop_mm : float or (left, right)
        Peak drop of the dorsal arch height at 50 % of foot length, mm.
    static_knee_valgus : float or (left, right)
        Knee valgus at rest (genu valgum positive, varum negative), present in every frame.

    Notes
    -----
    A planted foot closes the kinematic chain: while a foot stands on the floor or the box
    its hip adduction is solved so the ankle does not slide sideways (see
    :func:`kneesight.phantom.ground.plant_feet`). In stance the hip adduction of the ground
    truth is therefore the consequence of the other components (internal rotation and knee
    valgus of a flexed leg bring the knee medially over the planted foot); ``hip_adduction``
    follows the loading of the leg, so it acts through the contralateral pelvic drop of the
    single-leg tasks and directly in motions driven by a ``.mot`` file.
    """

    hip_internal_rotation: Pair = (2.0, 2.0)
    hip_adduction: Pair = (2.0, 2.0)
    knee_valgus: Pair = (1.0, 1.0)
    tibial_rotation: Pair = (2.0, 2.0)
    arch_drop_mm: Pair = (4.0, 4.0)
    static_knee_valgus: Pair = (0.0, 0.0)

    def __post_init__(self) -> None:
        for name in _LIMITS:
            object.__setattr__(self, name, _pair(name, getattr(self, name)))

    @classmethod
    def neutral(cls, static_knee_valgus: float | Pair = 0.0) -> ValgusProfile:
        """Good landing mechanics: small valgus excursions."""
        return cls(static_knee_valgus=static_knee_valgus)  # type: ignore[arg-type]

    @classmethod
    def high(cls, static_knee_valgus: float | Pair = 0.0) -> ValgusProfile:
        """Dynamic knee valgus: femoral adduction and internal rotation, knee abduction,
        tibial internal rotation and arch collapse.

        In the drop jump: peak hip internal rotation 10 deg (above the 8.8 deg of
        Souza & Powers 2009), knee valgus 3 deg beyond static, peak FPPA about 17-20 deg (above
        the 7-13 deg female normal range of Herrington & Munro 2010) with the knees close but
        apart, and an arch drop of 12 mm (above the 10 mm navicular-drop criterion).
        """
        return cls(
            hip_internal_rotation=(10.0, 10.0),
            hip_adduction=(4.0, 4.0),
            knee_valgus=(3.0, 3.0),
            tibial_rotation=(6.0, 6.0),
            arch_drop_mm=(12.0, 12.0),
            static_knee_valgus=static_knee_valgus,  # type: ignore[arg-type]
        )

    @classmethod
    def named(cls, name: str, static_knee_valgus: float | Pair = 0.0) -> ValgusProfile:
        """``"neutral"`` or ``"high"``."""
        if name == "neutral":
            return cls.neutral(static_knee_valgus)
        if name == "high":
            return cls.high(static_knee_valgus)
        raise InputError(f"valgus profile must be 'neutral' or 'high', got {name!r}")

    def side(self, name: str, side: str) -> float:
        """One component for side ``"l"`` or ``"r"``."""
        return getattr(self, name)[0 if side == "l" else 1]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, each ``[left, right]``."""
        return {k: list(v) for k, v in asdict(self).items()}
