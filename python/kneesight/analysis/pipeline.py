"""Trial analysis: kinematics table -> events, peaks, metrics, partial LESS, flags, guidance.

:func:`analyze_kinematics` is a pure function of a kinematics table (from the tracker or from
the phantom's ground truth). :func:`kneesight.analysis.recording.analyze` runs calibration and
tracking on a recording and then calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kneesight.analysis.events import EVENT_KEYS, Events, detect_events
from kneesight.analysis.filtering import DEFAULT_CUTOFF_HZ, carries, lowpass_table
from kneesight.analysis.flags import evaluate_flags, fired
from kneesight.analysis.guidance import guidance
from kneesight.analysis.legs import landing_legs, not_landing_reason, without_side
from kneesight.analysis.less import partial_less, single_leg_less
from kneesight.analysis.metrics import (
    landing_metrics,
    num,
    peaks,
    quiet_standing_rows,
    static_alignment,
)
from kneesight.analysis.result import TrialResult
from kneesight.analysis.table import as_kinematics_table
from kneesight.conventions import FOOT_LOWEST, SIDES, column
from kneesight.errors import InputError


def frame_counts(table: Mapping[str, np.ndarray], dropped: int | None = None) -> dict[str, int]:
    """``total`` rows, ``tracked`` rows and ``dropped`` frames (gaps in the frame numbers)."""
    f = np.asarray(table["frame"], dtype=np.float64)
    tracked = int(np.sum(np.asarray(table["tracked"]) > 0.5))
    if dropped is None:
        d = np.diff(f[np.isfinite(f)])
        dropped = int(np.sum(np.clip(d - 1, 0, None))) if d.size else 0
    return {"total": int(f.size), "tracked": tracked, "dropped": int(dropped)}


def analyze_kinematics(
    table: Mapping[str, np.ndarray],
    *,
    fps: float,
    static: Mapping[str, np.ndarray] | None = None,
    calibration_info: dict[str, Any] | None = None,
    sex: str | None = None,
    dropped: int | None = None,
    static_alignment_given: dict[str, Any] | None = None,
    filter_hz: float | None = DEFAULT_CUTOFF_HZ,
) -> TrialResult:
    """Analyse one drop-jump trial from its kinematics table.

    Parameters
    ----------
    table : mapping of str to array_like, each of shape (N,)
        ``time_s`` and the per-side columns of :func:`kneesight.conventions.per_side_columns`
        (degrees, mm, metres in the lab frame), NaN where untracked; ``frame``, ``tracked`` and
        ``confidence`` when the tracker made it (ground truth without them counts as tracked).
    fps : float
        Frame rate, Hz.
    static : mapping of str to array_like, optional
        Kinematics table of a static standing trial; its mean alignment is the static
        alignment. Without it, the first quiet-standing second of this trial is used.
    calibration_info : dict, optional
        Which subject calibration the tracker used (written to ``summary["calibration"]``).
    sex : {"female", "male"} or None
        Selects the FPPA normal range; None uses the wider female range and says so.
    dropped : int, optional
        Dropped frames reported by the recording (default: gaps in ``frame``).
    static_alignment_given : dict, optional
        Static alignment per side (``{"l": {"knee_valgus": deg, ...}, "r": ...}``) from a saved
        subject calibration; used when ``static`` is None.
    filter_hz : float or None
        Cutoff (Hz) of the zero-lag low-pass filter applied to the per-side kinematics before
        peaks, metrics and the returned table (:mod:`kneesight.analysis.filtering`; events
        are detected before it, and each phase between them is filtered on its own); None or 0
        leaves them as tracked, and so does a frame rate too low for the default cutoff.

    Returns
    -------
    TrialResult

    Raises
    ------
    InputError
        Missing columns, inconsistent lengths, a non-positive ``fps``, an unknown ``sex`` or
        a filter cutoff the frame rate cannot carry.
    """
    if not (isinstance(fps, int | float) and np.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a positive number, got {fps!r}")
    raw = as_kinematics_table(table)
    unmeasured: dict[str, str] = {}
    # touch-down and take-off are sharp: detected before filtering, with the tracker's measured
    # lowest points around the feet when the table carries them
    measured = {c: table[c] for s in SIDES if (c := column(FOOT_LOWEST, s)) in table}
    events = detect_events({**raw, **measured}, float(fps))
    note = None
    if filter_hz == DEFAULT_CUTOFF_HZ and not carries(filter_hz, float(fps)):
        # a frame rate too low for the default cutoff: the values as tracked, and say so
        filter_hz = None
        note = f"none: {fps:g} frames/s cannot carry the default {DEFAULT_CUTOFF_HZ:g} Hz cutoff"
    # each phase (flight, contact) filtered on its own: an impact is not spread into the flight
    starts = [events.frames.get(k) for k in ("initial_contact_s", "take_off_s", "second_contact_s")]
    t, filtering = lowpass_table(
        raw, float(fps), filter_hz, phase_starts=[i for i in starts if i is not None]
    )
    if note:
        filtering["method"] = note
    for k, why in events.reasons.items():
        unmeasured[f"events.{k}"] = why
    gap_notes = events_at_gaps(raw, events, float(fps))
    # a single-leg landing: the leg held up is left out of the landing's findings
    legs = landing_legs(raw, events)
    one_leg = not_landing_reason(legs)
    raised = next((s for s in ("l", "r") if s not in legs), None)
    landing_t = t if raised is None else without_side(t, raised)
    pk = peaks(landing_t, events, unmeasured)

    st_source: str | None
    if static is not None:
        st_table = as_kinematics_table(static)
        st = static_alignment(st_table)
        st_source = "static standing trial (mean of its tracked frames)"
    elif static_alignment_given is not None:
        st = {s: dict(static_alignment_given.get(s, {})) for s in ("l", "r")}
        st_source = "saved subject calibration (standing alignment measured at calibration)"
    else:
        rows = None
        for seconds in (1.0, 0.5):  # a whole second of quiet standing, else half a second
            rows = quiet_standing_rows(
                t, float(fps), events.times.get("initial_contact_s"), seconds
            )
            if rows is not None:
                break
        st = static_alignment(t, rows) if rows is not None else None
        st_source = (
            "quiet standing at the start of this trial "
            f"(t = {t['time_s'][rows.start]:.2f}-{t['time_s'][rows.stop - 1]:.2f} s)"
            if rows is not None
            else None
        )
    if st is not None:
        st = {**st, "source": st_source}  # type: ignore[dict-item]
    metrics = landing_metrics(landing_t, events, pk, st, unmeasured)
    if raised is None or one_leg is None:
        less = partial_less(t, events, metrics, float(fps))
    else:
        less = single_leg_less(one_leg)
        for path in unmeasured:
            if f".{raised}." in path or path.endswith(f".{raised}") or "separation" in path:
                unmeasured[path] = one_leg
        for q in metrics["asymmetry"]:
            unmeasured[f"metrics.asymmetry.{q}"] = one_leg
    checks = evaluate_flags(pk, metrics, sex)
    flags = fired(checks)
    conf = t["confidence"][t["tracked"] > 0.5]
    quality: dict[str, Any] = {
        "mean_confidence": num(np.nanmean(conf), 3) if np.isfinite(conf).any() else None,
        "tracked_fraction": num(np.mean(t["tracked"] > 0.5), 3) if t["tracked"].size else None,
    }
    cal = dict(calibration_info or {"source": "kinematics table given directly"})
    if static is None and "static_alignment" not in cal:
        cal["static_alignment"] = st_source or "none: no quiet standing found in the trial"
    result = TrialResult(
        table=t,
        fps=float(fps),
        events=events,
        peaks=pk,
        metrics=metrics,
        less=less,
        checks=checks,
        flags=flags,
        guidance=guidance(flags),
        frames=frame_counts(t, dropped),
        calibration=cal,
        unmeasured=unmeasured,
        sex=sex,
        data_quality=quality,
        filtering=filtering,
        landing={
            "legs": list(legs),
            "kind": "single-leg" if one_leg else "double-leg",
            "note": one_leg,
        },
    )
    result.warnings.extend(gap_notes)
    return result


GAP_REACH_S = 0.1
"""An event this close to a gap of dropped frames (s) is noted: the touch-down and take-off
fits span about this much either side of the event, and a gap there can move it by several
frames."""


def events_at_gaps(table: Mapping[str, np.ndarray], events: Events, fps: float) -> list[str]:
    """Notes for the events placed next to dropped frames, where they cannot be timed to a
    frame: the event may lie anywhere in the gap.

    Parameters
    ----------
    table : mapping of str to ndarray, each of shape (N,)
        Kinematics table (``time_s``, seconds; dropped frames are missing rows).
    events : Events
    fps : float
        Frame rate, Hz.

    Returns
    -------
    list of str
        One note per event within :data:`GAP_REACH_S` of a gap of dropped frames.
    """
    t = np.asarray(table["time_s"], dtype=np.float64)
    notes = []
    for key in EVENT_KEYS:
        v = events.times.get(key)
        if v is None or t.size < 2:
            continue
        near = np.flatnonzero(np.abs(t - v) <= GAP_REACH_S)
        if near.size == 0:
            continue
        # the steps between recorded frames that reach into the window
        steps = np.diff(t[max(near[0] - 1, 0) : near[-1] + 2])
        missing = int(round(float(np.max(steps)) * fps)) - 1 if steps.size else 0
        if missing >= 1:
            name = key.removesuffix("_s").replace("_", " ")
            notes.append(
                f"{name} at {v:.3f} s lies next to {missing} dropped frame(s): it may lie "
                f"anywhere in that gap ({missing / fps:.3f} s); it cannot be timed to a frame"
            )
    return notes
