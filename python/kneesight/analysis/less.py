"""A partial Landing Error Scoring System (LESS; Padua et al. 2009) from the leg skeleton.

The LESS has 17 items scored from frontal and sagittal video; a lower-body skeleton can score
some of them. Each item here states the operational criterion used; items the skeleton cannot
score (trunk, foot progression, heel-toe landing, the overall impression of the whole body) are
listed as not scored, and the total is marked partial: it is not comparable with a full LESS
score or its cut-offs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from kneesight.analysis.events import Events, event_row
from kneesight.analysis.metrics import medial_offset_mm, num
from kneesight.conventions import SIDES

SOURCE = (
    "Padua DA, Marshall SW, Boling MC, et al. (2009). The Landing Error Scoring System (LESS) is "
    "a valid and reliable clinical assessment tool of jump-landing biomechanics: the JUMP-ACL "
    "study. Am J Sports Med 37(10):1996-2002."
)
NOT_SCORED: dict[str, str] = {
    "trunk_flexion_at_initial_contact": "the trunk is not tracked",
    "lateral_trunk_flexion_at_initial_contact": "the trunk is not tracked",
    "ankle_plantar_flexion_at_initial_contact": "heel-to-toe contact order needs the foot sole",
    "foot_position_toe_in_out": "foot progression angle is not among the tracked quantities",
    "trunk_flexion_displacement": "the trunk is not tracked",
    "overall_impression": "a whole-body judgement",
}
KNEE_MEDIAL_AT_CONTACT_MM = 10.0
KNEE_MEDIAL_AT_PEAK_MM = 30.0
ASYMMETRIC_CONTACT_S = 0.02


def _item(name: str, errors: int | None, criterion: str, value: Any, max_points: int = 1) -> dict:
    return {
        "item": name,
        "errors": errors,
        "max": max_points,
        "criterion": criterion,
        "value": value,
        "scored": errors is not None,
    }


def _per_side_item(
    name: str,
    values: dict[str, float | None],
    fails: Callable[[list[float]], bool],
    criterion: str,
) -> dict:
    """A one-point item judged on both sides: an error when ``fails`` holds for the measured
    values, not scored when neither side was measured; ``values`` (side -> value) is reported."""
    measured = [v for v in values.values() if v is not None]
    return _item(name, int(fails(measured)) if measured else None, criterion, values)


def partial_less(
    table: Mapping[str, np.ndarray], events: Events, metrics: Mapping[str, Any], fps: float
) -> dict[str, Any]:
    """Score the LESS items the leg skeleton supports.

    Returns
    -------
    dict
        ``partial`` (True), ``items`` (list: item, errors or None, max, criterion, value),
        ``score`` (sum of scored errors), ``max_score`` (of scored items), ``not_scored``
        (item -> reason) and ``source``.
    """
    t = np.asarray(table["time_s"])
    ic = event_row(events, "initial_contact_s", t)
    pkf = event_row(events, "peak_knee_flexion_s", t)
    items = []

    items.append(
        _per_side_item(
            "knee_flexion_at_initial_contact",
            {s: metrics["initial_contact"][s]["knee_flexion"] for s in SIDES},
            lambda ok: min(ok) <= 30.0,
            "error when knee flexion at initial contact is 30 deg or less (either side)",
        )
    )

    def medial(row: int | None) -> dict[str, float | None]:
        return {
            s: (num(medial_offset_mm(table, s)[row], 1) if row is not None else None) for s in SIDES
        }

    items.append(
        _per_side_item(
            "knee_valgus_at_initial_contact",
            medial(ic),
            lambda ok: max(ok) > KNEE_MEDIAL_AT_CONTACT_MM,
            f"error when a knee joint centre is more than {KNEE_MEDIAL_AT_CONTACT_MM:g} mm "
            "medial to its ankle joint centre at contact (knee not over the midfoot)",
        )
    )

    ankle_sep = metrics["ankle_separation_m"]["initial_contact"]
    hip_sep = None
    if ic is not None:
        hip_sep = num(abs(table["hjc_r_z"][ic] - table["hjc_l_z"][ic]), 4)
    width_errors = None
    if ankle_sep is not None and hip_sep is not None and hip_sep > 0.05:
        # shoulder width is about twice the hip joint centre separation in adults
        width_errors = int(ankle_sep < hip_sep) + int(ankle_sep > 2.0 * hip_sep)
    items.append(
        _item(
            "stance_width",
            width_errors,
            "error when the ankle separation at contact is narrower than the hip joint "
            "centre separation or wider than twice it (proxy for shoulder width)",
            {"ankle_separation_m": ankle_sep, "hip_joint_centre_separation_m": hip_sep},
        )
    )

    dt = metrics["asymmetry"].get("contact_time_difference_s")
    frame = 1.0 / fps if fps > 0 else 0.0
    items.append(
        _item(
            "symmetric_initial_foot_contact",
            int(dt > max(ASYMMETRIC_CONTACT_S, frame)) if dt is not None else None,
            f"error when the feet touch down more than {ASYMMETRIC_CONTACT_S * 1000:g} ms "
            "(and more than one frame) apart",
            dt,
        )
    )

    kfd = [metrics["knee_flexion_displacement"][s] for s in SIDES]
    items.append(
        _per_side_item(
            "knee_flexion_displacement",
            dict(zip(SIDES, kfd, strict=True)),
            lambda ok: min(ok) < 45.0,
            "error when knee flexion displacement is below 45 deg (either side)",
        )
    )

    items.append(
        _per_side_item(
            "knee_valgus_displacement",
            medial(pkf),
            lambda ok: max(ok) > KNEE_MEDIAL_AT_PEAK_MM,
            f"error when a knee joint centre is more than {KNEE_MEDIAL_AT_PEAK_MM:g} mm "
            "medial to its ankle joint centre at peak knee flexion (knee inside the "
            "great toe)",
        )
    )

    hfd = [metrics["hip_flexion_displacement"][s] for s in SIDES]
    kk = [v for v in kfd if v is not None]
    hh = [v for v in hfd if v is not None]
    joint = None
    if kk and hh:
        k, h = float(np.mean(kk)), float(np.mean(hh))
        joint = 0 if (k >= 45.0 and h >= 45.0) else (2 if (k < 45.0 and h < 30.0) else 1)
    items.append(
        _item(
            "joint_displacement_soft_average_stiff",
            joint,
            "soft (0) when knee and hip flexion displacement are both 45 deg or more; "
            "stiff (2) when knee < 45 and hip < 30 deg; otherwise average (1)",
            {
                "knee_flexion_displacement": dict(zip(SIDES, kfd, strict=True)),
                "hip_flexion_displacement": dict(zip(SIDES, hfd, strict=True)),
            },
            max_points=2,
        )
    )

    scored = [i for i in items if i["scored"]]
    return {
        "partial": True,
        "note": "partial LESS from the leg skeleton only; not comparable with full LESS cut-offs",
        "items": items,
        "score": sum(i["errors"] for i in scored) if scored else None,
        "max_score": sum(i["max"] for i in scored) if scored else None,
        "items_scored": len(scored),
        "not_scored": NOT_SCORED,
        "source": SOURCE,
    }


def single_leg_less(reason: str) -> dict[str, Any]:
    """The LESS of a single-leg landing: not scored (the LESS scores double-leg jump landings:
    stance width, symmetric contact and both knees), with ``reason`` saying which leg landed.

    Returns
    -------
    dict
        As :func:`partial_less`, with no items and a null score.
    """
    return {
        "partial": True,
        "note": f"not scored: the LESS scores double-leg jump landings ({reason})",
        "items": [],
        "score": None,
        "max_score": None,
        "items_scored": 0,
        "not_scored": {**NOT_SCORED, "all_items": "a single-leg landing"},
        "source": SOURCE,
    }
