"""Guidance that follows the screening findings (always screening information, not a diagnosis)."""

from __future__ import annotations

from typing import Any

DISCLAIMER = (
    "Screening information from a depth-camera movement analysis, not a diagnosis. It does not "
    "replace an examination by a physical therapist or physician."
)

VALGUS_FLAGS = frozenset(
    {
        "fppa_above_normal",
        "hip_internal_rotation_excessive",
        "left_right_asymmetry",
    }
)
REFERRALS = frozenset({"orthopaedist", "physical_therapist"})
STIFF_FLAGS = frozenset({"knee_flexion_at_contact_low", "knee_flexion_displacement_low"})

ITEMS: dict[str, dict[str, str]] = {
    "hip_strengthening": {
        "title": "Strengthen the hip abductors and external rotators",
        "text": (
            "Start with single-leg glute bridges and side-lying clamshells, then progress to "
            "banded lateral step-outs and squats with a resistance band just above the knees, "
            "pushing the knees out against the band."
        ),
    },
    "movement_retraining": {
        "title": "Retrain the landing pattern",
        "text": (
            "Practise landings and squats with the cue 'knees track over the middle of the "
            "foot', landing softly with hips and knees bending together, and use visual "
            "feedback such as a mirror or video to see the knees."
        ),
    },
    "ankle_mobility": {
        "title": "Improve ankle dorsiflexion",
        "text": (
            "Limited ankle dorsiflexion forces the knee and hip to compensate: add ankle "
            "mobility work (knee-to-wall lunges, calf stretching) and recheck."
        ),
    },
    "foot_arch": {
        "title": "Have the foot arch looked at",
        "text": (
            "The arch flattened markedly under load (measured as a dorsal arch height drop, a "
            "proxy for navicular drop). A physical therapist can assess foot posture and "
            "whether foot strengthening, footwear or orthoses are worth trying."
        ),
    },
    "orthopaedist": {
        "title": "See an orthopaedist about the alignment at rest",
        "text": (
            "Knee valgus is present standing still (genu valgum): the alignment may be "
            "structural. An orthopaedist should assess it; corrective exercise alone may not "
            "change a structural alignment."
        ),
    },
    "physical_therapist": {
        "title": "When to see a physical therapist",
        "text": (
            "See a physical therapist if knee pain persists for more than a few weeks or "
            "interferes with daily activity or sport."
        ),
    },
    "no_findings": {
        "title": "No screening flag fired",
        "text": (
            "None of the measured quantities crossed its screening threshold in this trial. "
            "Repeat trials give a more reliable picture than one."
        ),
    },
}


def guidance(flags: list[dict[str, Any]]) -> dict[str, Any]:
    """Guidance items for the fired flags.

    Parameters
    ----------
    flags : list of dict
        The fired screening flags (``summary["flags"]``).

    Returns
    -------
    dict
        ``disclaimer`` (text), ``items`` (exercise and retraining advice) and ``referral``
        (when to see whom): lists of ``{"id", "title", "text", "because"}`` where ``because``
        lists the flag ids that led to the item.
    """
    ids = {f["id"] for f in flags}
    wanted: list[tuple[str, set[str]]] = []
    valgus = ids & VALGUS_FLAGS
    if valgus:
        wanted.append(("hip_strengthening", valgus))
    if valgus or ids & STIFF_FLAGS:
        wanted.append(("movement_retraining", valgus | (ids & STIFF_FLAGS)))
    if "ankle_dorsiflexion_limited" in ids:
        wanted.append(("ankle_mobility", {"ankle_dorsiflexion_limited"}))
    if "arch_drop_large" in ids:
        wanted.append(("foot_arch", {"arch_drop_large"}))
    if "static_genu_valgum" in ids:
        wanted.append(("orthopaedist", {"static_genu_valgum"}))
    if not ids:
        wanted.append(("no_findings", set()))
    wanted.append(("physical_therapist", set()))
    items = [{"id": k, **ITEMS[k], "because": sorted(because)} for k, because in wanted]
    referral = [i for i in items if i["id"] in REFERRALS]
    return {
        "disclaimer": DISCLAIMER,
        "items": [i for i in items if i["id"] not in REFERRALS],
        "referral": referral,
    }
