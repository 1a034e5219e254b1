"""The one place for kneesight's conventions: frames, units, signs and column names.

Lab frame
    Origin on the floor, Y up (floor normal), X anterior (the direction the subject faces),
    Z to the subject's right. Metres, seconds, degrees.

Joint angles
    ISB joint coordinate systems (Wu et al. 2002; Grood & Suntay 1983), Cardan sequence Z-X-Y
    (flexion, ab/adduction, axial rotation). The same signs on both sides (mirrored for the
    left): positive = hip flexion, hip adduction, hip internal rotation, knee flexion, knee
    valgus (abduction), tibial internal rotation relative to the femur, ankle dorsiflexion.
    Knee flexion is 0 with the leg straight. Angles are anatomical, not zeroed to a static trial.

FPPA
    Frontal-plane projection angle between hip->knee and knee->ankle joint centres in the lab
    frontal (X-normal... i.e. the plane facing the subject) plane; positive when the knee is
    medial to the hip-ankle line (valgus).

Arch height
    Dorsal height of the foot at 50 % of foot length, perpendicular to the plantar plane, in mm.

Columns
    ``<quantity>_<side>`` with side ``l`` or ``r`` (``hip_internal_rotation_r``); joint centres
    ``<hjc|kjc|ajc>_<side>_<x|y|z>`` in the lab frame, metres.
"""

from __future__ import annotations

SIDES: tuple[str, str] = ("l", "r")
"""Side suffixes, left then right."""

SIDE_NAMES: dict[str, str] = {"l": "left", "r": "right"}
"""Each side's name in words (summaries, notes)."""

ANGLES: tuple[str, ...] = (
    "hip_flexion",
    "hip_adduction",
    "hip_internal_rotation",
    "knee_flexion",
    "knee_valgus",
    "knee_internal_rotation",
    "ankle_dorsiflexion",
    "fppa",
)
"""Per-side angles in degrees, in column order."""

SCALARS: tuple[str, ...] = (*ANGLES, "arch_height_mm")
"""Per-side scalar quantities in column order (angles in degrees, arch height in mm)."""

JOINT_CENTRES: tuple[str, ...] = ("hjc", "kjc", "ajc")
"""Hip, knee and ankle joint centres."""

AXES: tuple[str, str, str] = ("x", "y", "z")

FRAME_COLUMNS: tuple[str, ...] = ("frame", "time_s")
"""Leading columns of every per-frame table: RealSense frame number, seconds from first frame."""

QUALITY_COLUMNS: tuple[str, ...] = ("tracked", "confidence")
"""Tracker quality columns of ``kinematics.csv`` (tracked is 1 or 0; confidence in [0, 1])."""


def column(quantity: str, side: str) -> str:
    """Column of a per-side quantity: ``column("knee_valgus", "r") == "knee_valgus_r"``."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    return f"{quantity}_{side}"


def joint_centre_columns(joint: str, side: str) -> tuple[str, str, str]:
    """The x, y, z columns of a joint centre, e.g. ``("kjc_r_x", "kjc_r_y", "kjc_r_z")``."""
    if joint not in JOINT_CENTRES:
        raise ValueError(f"joint must be one of {JOINT_CENTRES}, got {joint!r}")
    return tuple(f"{column(joint, side)}_{a}" for a in AXES)  # type: ignore[return-value]


def side_columns(side: str) -> list[str]:
    """All per-side columns of one side, in table order: scalars then joint centres."""
    cols = [column(q, side) for q in SCALARS]
    for j in JOINT_CENTRES:
        cols.extend(joint_centre_columns(j, side))
    return cols


def per_side_columns() -> list[str]:
    """All per-side columns, left side first."""
    return [c for s in SIDES for c in side_columns(s)]


GROUND_TRUTH_COLUMNS: tuple[str, ...] = (*FRAME_COLUMNS, *per_side_columns())
"""Columns of the phantom's ground-truth CSV."""

KINEMATICS_COLUMNS: tuple[str, ...] = (*FRAME_COLUMNS, *QUALITY_COLUMNS, *per_side_columns())
"""Columns of ``kinematics.csv`` written by ``kneesight analyze``."""

FOOT_LOWEST = "foot_lowest_m"
"""Per-side quantity (columns ``foot_lowest_m_l``, ``foot_lowest_m_r``): the tracker's measured
height above the floor of the lowest subject points around each foot, m. Carried beside the
kinematics for the detection of take-off; not a column of ``kinematics.csv``."""
