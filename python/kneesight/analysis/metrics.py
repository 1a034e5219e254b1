"""Landing metrics from a kinematics table and its events: peaks, values at contact and at
peak knee flexion, displacements, knee separation, medial knee displacement, arch drop, static
alignment and left/right asymmetry.

Every function returns plain floats (None where the data cannot support a number) and records
why a value is missing in an ``unmeasured`` dict (dotted path -> reason).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from kneesight.analysis.events import Events, event_row
from kneesight.conventions import ANGLES, SIDES, column

AT_EVENT_QUANTITIES: tuple[str, ...] = (
    "hip_internal_rotation",
    "hip_adduction",
    "knee_valgus",
    "fppa",
    "knee_flexion",
    "ankle_dorsiflexion",
)
"""Quantities reported at initial contact and at peak knee flexion."""

VALGUS_COMPONENTS: tuple[str, ...] = (
    "hip_adduction",
    "hip_internal_rotation",
    "knee_valgus",
    "fppa",
)
"""The components of dynamic knee valgus compared with the static trial and between sides."""

STATIC_QUANTITIES: tuple[str, ...] = (*VALGUS_COMPONENTS, "knee_flexion", "ankle_dorsiflexion")


def num(x: Any, digits: int = 2) -> float | None:
    """A finite float rounded for JSON, else None."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return round(v, digits) if math.isfinite(v) else None


def medial_offset_mm(table: Mapping[str, np.ndarray], side: str) -> np.ndarray:
    """Medial position of the knee joint centre relative to the ankle joint centre, mm, (N,).

    Positive when the knee is medial to the ankle in the lab frontal plane (lab Z points to the
    subject's right, so medial is -Z on the right side and +Z on the left).
    """
    d = np.asarray(table[f"kjc_{side}_z"]) - np.asarray(table[f"ajc_{side}_z"])
    return 1000.0 * (-d if side == "r" else d)


def landing_slice(events: Events, t: np.ndarray) -> slice | None:
    """Rows from initial contact to take-off (to the end of the trial without a take-off)."""
    ic = event_row(events, "initial_contact_s", t)
    if ic is None:
        return None
    to = event_row(events, "take_off_s", t)
    return slice(ic, (to + 1) if to is not None else t.size)


def peaks(
    table: Mapping[str, np.ndarray], events: Events, unmeasured: dict[str, str]
) -> dict[str, dict[str, float | None]]:
    """Maximum of every angle per side between initial contact and take-off.

    Returns
    -------
    dict
        ``{"l": {angle: degrees or None}, "r": {...}}`` for every angle of
        :data:`kneesight.conventions.ANGLES`.
    """
    t = np.asarray(table["time_s"])
    sl = landing_slice(events, t)
    out: dict[str, dict[str, float | None]] = {}
    for s in SIDES:
        out[s] = {}
        for q in ANGLES:
            seg = np.asarray(table[column(q, s)])[sl] if sl is not None else np.array([])
            if seg.size and np.isfinite(seg).any():
                out[s][q] = num(np.nanmax(seg))
            else:
                out[s][q] = None
                unmeasured[f"peaks.{s}.{q}"] = (
                    "no initial contact found" if sl is None else "not tracked during the landing"
                )
    return out


def _at(table: Mapping[str, np.ndarray], name: str, row: int | None) -> float | None:
    return None if row is None else num(np.asarray(table[name])[row])


def _series_at(
    table: Mapping[str, np.ndarray], events: Events, key: str, unmeasured: dict[str, str], path: str
) -> dict[str, dict[str, float | None]]:
    t = np.asarray(table["time_s"])
    row = event_row(events, key, t)
    out: dict[str, dict[str, float | None]] = {}
    for s in SIDES:
        out[s] = {q: _at(table, column(q, s), row) for q in AT_EVENT_QUANTITIES}
        for q, v in out[s].items():
            if v is None:
                unmeasured[f"{path}.{s}.{q}"] = (
                    f"no {key.removesuffix('_s').replace('_', ' ')} event"
                    if row is None
                    else "not tracked at that frame"
                )
    return out


def _sep(table: Mapping[str, np.ndarray], joint: str, row: int | None) -> float | None:
    if row is None:
        return None
    return num(abs(table[f"{joint}_r_z"][row] - table[f"{joint}_l_z"][row]), 4)


def landing_metrics(
    table: Mapping[str, np.ndarray],
    events: Events,
    pk: Mapping[str, Mapping[str, float | None]],
    static: Mapping[str, Mapping[str, float | None]] | None,
    unmeasured: dict[str, str],
) -> dict[str, Any]:
    """All landing metrics of ``summary.json["metrics"]``.

    Parameters
    ----------
    table : mapping of str to ndarray, shape (N,)
        Kinematics table.
    events : Events
    pk : dict
        Output of :func:`peaks`.
    static : dict or None
        Static alignment per side (:func:`static_alignment`), None when unavailable.
    unmeasured : dict
        Filled with ``path -> reason`` for every metric that is None.
    """
    t = np.asarray(table["time_s"])
    ic = event_row(events, "initial_contact_s", t)
    pkf = event_row(events, "peak_knee_flexion_s", t)
    sl = landing_slice(events, t)
    m: dict[str, Any] = {
        "initial_contact": _series_at(
            table, events, "initial_contact_s", unmeasured, "metrics.initial_contact"
        ),
        "peak_knee_flexion": _series_at(
            table, events, "peak_knee_flexion_s", unmeasured, "metrics.peak_knee_flexion"
        ),
    }
    kfd: dict[str, float | None] = {}
    hfd: dict[str, float | None] = {}
    mkd: dict[str, float | None] = {}
    for s in SIDES:
        for name, q, store in (
            ("knee_flexion_displacement", "knee_flexion", kfd),
            ("hip_flexion_displacement", "hip_flexion", hfd),
        ):
            v0 = _at(table, column(q, s), ic)
            seg = np.asarray(table[column(q, s)])[sl] if sl is not None else np.array([])
            vmax = np.nanmax(seg) if seg.size and np.isfinite(seg).any() else math.nan
            store[s] = num(vmax - v0) if v0 is not None else None
            if store[s] is None:
                unmeasured[f"metrics.{name}.{s}"] = (
                    "not tracked at initial contact or during the landing"
                )
        med = medial_offset_mm(table, s)
        seg = med[sl] if sl is not None else np.array([])
        if ic is not None and np.isfinite(med[ic]) and np.isfinite(seg).any():
            mkd[s] = num(np.nanmax(seg) - med[ic], 1)
        else:
            mkd[s] = None
            unmeasured[f"metrics.medial_knee_displacement_mm.{s}"] = (
                "knee or ankle not tracked at initial contact"
            )
    m["knee_flexion_displacement"] = kfd
    m["hip_flexion_displacement"] = hfd
    m["medial_knee_displacement_mm"] = mkd

    sep: dict[str, dict[str, float | None]] = {
        "knee_separation_m": {},
        "ankle_separation_m": {},
        "knee_to_ankle_separation_ratio": {},
    }
    for ev_name, row in (("initial_contact", ic), ("peak_knee_flexion", pkf)):
        ks, as_ = _sep(table, "kjc", row), _sep(table, "ajc", row)
        sep["knee_separation_m"][ev_name] = ks
        sep["ankle_separation_m"][ev_name] = as_
        ratio = num(ks / as_, 3) if ks is not None and as_ is not None and as_ > 1e-3 else None
        sep["knee_to_ankle_separation_ratio"][ev_name] = ratio
        if ratio is None:
            unmeasured[f"metrics.knee_to_ankle_separation_ratio.{ev_name}"] = (
                "knees or ankles not tracked at that event"
            )
    m.update(sep)
    m.update(arch_drop(table, events, unmeasured))
    m["static_alignment"] = static
    if static is None:
        unmeasured["metrics.static_alignment"] = "no static standing data"
    dyn: dict[str, dict[str, float | None]] = {}
    for s in SIDES:
        dyn[s] = {}
        for q in VALGUS_COMPONENTS:
            p, st = pk[s].get(q), (static or {}).get(s, {}).get(q)
            dyn[s][q] = num(p - st) if p is not None and st is not None else None
    m["dynamic_minus_static"] = dyn
    m["asymmetry"] = asymmetry(pk, m, events)
    return m


def arch_drop(
    table: Mapping[str, np.ndarray], events: Events, unmeasured: dict[str, str]
) -> dict[str, Any]:
    """Arch height in flight (unloaded, median of the 0.1 s before contact) minus its lowest
    loaded value (3-frame running median, contact to take-off), mm, per side."""
    t = np.asarray(table["time_s"])
    ic = event_row(events, "initial_contact_s", t)
    sl = landing_slice(events, t)
    flight_mm: dict[str, float | None] = {}
    loaded_mm: dict[str, float | None] = {}
    drop: dict[str, float | None] = {}
    for s in SIDES:
        a = np.asarray(table[column("arch_height_mm", s)])
        fl = loaded = None
        if ic is not None and sl is not None:
            pre = a[(t >= t[ic] - 0.1) & (t < t[ic])]
            if np.isfinite(pre).any():
                fl = float(np.nanmedian(pre))
            seg = a[sl]
            if seg.size >= 3 and np.isfinite(seg).any():
                win = np.lib.stride_tricks.sliding_window_view(seg, 3)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows -> NaN
                    med = np.nanmedian(win, axis=1)
                if np.isfinite(med).any():
                    loaded = float(np.nanmin(med))
        flight_mm[s], loaded_mm[s] = num(fl, 1), num(loaded, 1)
        drop[s] = num(fl - loaded, 1) if fl is not None and loaded is not None else None
        if drop[s] is None:
            unmeasured[f"metrics.arch_drop_mm.{s}"] = (
                "arch height not tracked in flight before contact or during the landing"
            )
    return {
        "arch_height_flight_mm": flight_mm,
        "arch_height_loaded_mm": loaded_mm,
        "arch_drop_mm": drop,
    }


def asymmetry(
    pk: Mapping[str, Mapping[str, float | None]], m: Mapping[str, Any], events: Events
) -> dict[str, float | None]:
    """Left minus right differences (absolute values) of the main metrics."""

    def diff(a: float | None, b: float | None, digits: int = 2) -> float | None:
        return num(abs(a - b), digits) if a is not None and b is not None else None

    out: dict[str, float | None] = {}
    for q in (*VALGUS_COMPONENTS, "knee_flexion"):
        out[f"peak_{q}"] = diff(pk["l"].get(q), pk["r"].get(q))
    ic = m["initial_contact"]
    out["knee_flexion_at_initial_contact"] = diff(ic["l"]["knee_flexion"], ic["r"]["knee_flexion"])
    kfd = m["knee_flexion_displacement"]
    out["knee_flexion_displacement"] = diff(kfd["l"], kfd["r"])
    out["contact_time_difference_s"] = diff(events.contact_s.get("l"), events.contact_s.get("r"), 4)
    return out


def static_alignment(
    table: Mapping[str, np.ndarray], rows: slice | np.ndarray | None = None
) -> dict[str, dict[str, float | None]] | None:
    """Mean standing alignment per side over the given rows (all tracked rows by default).

    Returns
    -------
    dict or None
        ``{"l": {quantity: degrees}, "r": {...}}`` for :data:`STATIC_QUANTITIES`; None when no
        row is tracked.
    """
    sel = slice(None) if rows is None else rows
    out: dict[str, dict[str, float | None]] = {}
    any_value = False
    for s in SIDES:
        out[s] = {}
        for q in STATIC_QUANTITIES:
            a = np.asarray(table[column(q, s)])[sel]
            v = float(np.nanmean(a)) if a.size and np.isfinite(a).any() else None
            out[s][q] = num(v)
            any_value |= v is not None
    return out if any_value else None


def quiet_standing_rows(
    table: Mapping[str, np.ndarray], fps: float, before_s: float | None, seconds: float = 1.0
) -> slice | None:
    """The first window of ``seconds`` of quiet standing (before ``before_s`` when given).

    Quiet: at least 80 % of frames tracked and the pelvis and both ankle joint centres move
    less than 15 mm (standard deviation of height) within the window.
    """
    t = np.asarray(table["time_s"])
    n = max(int(round(fps * seconds)), 5)
    end = t.size if before_s is None else int(np.searchsorted(t, before_s))
    pelvis = 0.5 * (np.asarray(table["hjc_l_y"]) + np.asarray(table["hjc_r_y"]))
    sigs = (pelvis, np.asarray(table["ajc_l_y"]), np.asarray(table["ajc_r_y"]))
    for start in range(0, max(end - n + 1, 0), max(n // 5, 1)):
        w = slice(start, start + n)
        if np.mean(np.isfinite(pelvis[w])) < 0.8:
            continue
        if all(np.isfinite(x[w]).sum() >= 3 and np.nanstd(x[w]) < 0.015 for x in sigs):
            return w
    return None
