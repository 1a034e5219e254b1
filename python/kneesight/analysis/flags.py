"""Screening flags: each compares one measured value with a published threshold.

The thresholds and their sources live in ``calibration/screening_thresholds.json`` (one place);
this module evaluates them. A check whose value could not be measured is kept with
``"fired": False`` and a ``"not_evaluated"`` reason, so a report never reads absence of data as
absence of a finding.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from kneesight.conventions import SIDES
from kneesight.errors import InputError

THRESHOLDS_FILE = Path(__file__).resolve().parents[3] / "calibration" / "screening_thresholds.json"
SEXES = ("female", "male")


@cache
def thresholds() -> dict[str, Any]:
    """The screening thresholds with units and sources (parsed JSON)."""
    try:
        return json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"{THRESHOLDS_FILE}: cannot read the screening thresholds ({e})") from None


def _check(
    flag_id: str,
    side: str | None,
    value: float | None,
    threshold: float,
    comparison: str,
    message: str,
    **extra: Any,
) -> dict[str, Any]:
    spec = thresholds()[flag_id]
    c: dict[str, Any] = {
        "id": flag_id,
        "side": side,
        "value": value,
        "threshold": threshold,
        "comparison": comparison,
        "units": spec["units"],
        "quantity": spec["quantity"],
        "source": spec["source"],
    }
    for k in ("threshold_note",):
        if k in spec:
            c["note"] = spec[k]
    c.update(extra)
    if value is None:
        c["fired"] = False
        c["not_evaluated"] = "value could not be measured"
        c["finding"] = c["message"] = None
        return c
    fired = value > threshold if comparison == ">" else value < threshold
    c["fired"] = bool(fired)
    c["finding"] = c["message"] = message if fired else None
    return c


SIDE_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("hip_internal_rotation_excessive", ">", "peak hip internal rotation {v} deg exceeds {t} deg"),
    (
        "knee_flexion_at_contact_low",
        "<",
        "knee flexion at initial contact {v} deg is below {t} deg",
    ),
    ("knee_flexion_displacement_low", "<", "knee flexion displacement {v} deg is below {t} deg"),
    ("arch_drop_large", ">", "arch drop {v} mm exceeds {t} mm (navicular-drop proxy)"),
    ("static_genu_valgum", ">", "knee valgus standing still {v} deg exceeds {t} deg"),
    ("ankle_dorsiflexion_limited", "<", "peak ankle dorsiflexion {v} deg is below {t} deg"),
)
"""Per-side checks after the FPPA, in report order: flag id, comparison, message (``{v}`` the
value, ``{t}`` the threshold of ``screening_thresholds.json``)."""


def _threshold_check(
    flag_id: str,
    side: str | None,
    value: float | None,
    comparison: str,
    message: str,
    **extra: Any,
) -> dict[str, Any]:
    """:func:`_check` against the flag's single threshold, ``message`` formatted with v and t."""
    t = thresholds()[flag_id]["threshold"]
    return _check(flag_id, side, value, t, comparison, message.format(v=value, t=t), **extra)


def evaluate_flags(
    peaks: dict[str, dict[str, float | None]],
    metrics: dict[str, Any],
    sex: str | None,
) -> list[dict[str, Any]]:
    """Evaluate every screening check.

    Parameters
    ----------
    peaks : dict
        ``summary["peaks"]`` (per side, degrees).
    metrics : dict
        ``summary["metrics"]``.
    sex : {"female", "male"} or None
        Selects the FPPA normal range; None uses the wider (female) range and says so.

    Returns
    -------
    list of dict
        One check per flag and side: ``id``, ``side``, ``value``, ``threshold``,
        ``comparison``, ``units``, ``source``, ``fired``, ``finding`` (text when fired). The
        left/right asymmetry checks (one per ``component``) compare with the convention's
        ``clinical_threshold`` plus a ``measurement_margin`` (deg): their ``threshold``.
    """
    if sex is not None and sex not in SEXES:
        raise InputError(f"sex must be one of {SEXES} or None, got {sex!r}")
    th = thresholds()
    out: list[dict[str, Any]] = []
    fp = th["fppa_above_normal"]
    used_sex = sex or fp["unknown_sex"]
    lo, hi = fp["normal_range"][used_sex]
    for s in SIDES:
        extra: dict[str, Any] = {"normal_range": [lo, hi], "sex": sex}
        if sex is None:
            extra["sex_note"] = fp["unknown_sex_note"]
        v = peaks[s].get("fppa")
        out.append(
            _check(
                "fppa_above_normal",
                s,
                v,
                hi,
                ">",
                f"peak FPPA {v} deg is above the normal range {lo}-{hi} deg ({used_sex})",
                **extra,
            )
        )
        static = (metrics.get("static_alignment") or {}).get(s) or {}
        values = {
            "hip_internal_rotation_excessive": peaks[s].get("hip_internal_rotation"),
            "knee_flexion_at_contact_low": metrics["initial_contact"][s].get("knee_flexion"),
            "knee_flexion_displacement_low": metrics["knee_flexion_displacement"].get(s),
            "arch_drop_large": metrics["arch_drop_mm"].get(s),
            "static_genu_valgum": static.get("knee_valgus"),
            "ankle_dorsiflexion_limited": peaks[s].get("ankle_dorsiflexion"),
        }
        for flag_id, comparison, message in SIDE_CHECKS:
            out.append(_threshold_check(flag_id, s, values[flag_id], comparison, message))
    asym = metrics["asymmetry"]
    spec = th["left_right_asymmetry"]
    for q in ("fppa", "knee_valgus", "hip_adduction", "hip_internal_rotation"):
        # a measured difference within the measurement error of the threshold is not a finding
        t, margin = spec["threshold"], spec["measurement_margin"][q]
        v = asym.get(f"peak_{q}")
        message = (
            f"left and right peak {q.replace('_', ' ')} differ by {v} deg, more than {t} deg "
            f"plus the {margin} deg a measured difference can be off"
        )
        out.append(
            _check(
                "left_right_asymmetry",
                None,
                v,
                t + margin,
                ">",
                message,
                component=q,
                clinical_threshold=t,
                measurement_margin=margin,
                measurement_margin_note=spec["measurement_margin_note"],
            )
        )
    return out


def fired(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The checks that fired (``summary["flags"]``)."""
    return [c for c in checks if c["fired"]]
