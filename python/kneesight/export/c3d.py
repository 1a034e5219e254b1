"""C3D export (through ezc3d): joint centres, Plug-in-Gait style angle points, events.

Points
    ``LHJC LKJC LAJC RHJC RKJC RAJC``: hip, knee and ankle joint centres in the kneesight lab
    frame (X anterior, Y up, Z right; the OpenSim axes), millimetres (``POINT:UNITS = mm``).
Angles (listed in ``POINT:ANGLES``, ``POINT:ANGLE_UNITS = deg``), Vicon Plug-in Gait layout
    ``<S>HipAngles``   X flexion+, Y adduction+, Z internal rotation+.
    ``<S>KneeAngles``  X flexion+, Y adduction (varus)+ = minus kneesight ``knee_valgus``,
                       Z tibial internal rotation+.
    ``<S>AnkleAngles`` X dorsiflexion+; Y and Z are not measured and hold NaN.
    ``<S>FPPA``        X frontal-plane projection angle (valgus+); Y and Z NaN.
Scalars (``POINT:SCALARS``, ``POINT:SCALAR_UNITS = mm``)
    ``<S>ArchHeight``  X arch height in mm; Y and Z NaN.
Samples
    One C3D frame per camera frame at ``POINT:RATE`` = the trial's frame rate; frames the camera
    dropped and frames the tracker could not fit are invalid points (residual -1, NaN values).
Events (``EVENT`` group, times in seconds from the first frame)
    ``Foot Strike`` at initial contact and second contact, ``Foot Off`` at take-off, both with
    contexts ``Left`` and ``Right`` (a drop landing is bilateral; the first Foot Strike of a
    side is that foot's own contact time when ``event_details.foot_contact_s`` gives it);
    ``Peak Knee Flexion`` with context ``General``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from kneesight.conventions import JOINT_CENTRES, SIDES
from kneesight.export.grid import on_grid
from kneesight.export.paths import check_writable
from kneesight.export.trialdir import Trial, as_dict

SIDE_PREFIX = {"l": "L", "r": "R"}
CONTEXT = {"l": "Left", "r": "Right"}

ANGLE_POINTS: tuple[tuple[str, tuple[tuple[str, float] | None, ...], str], ...] = (
    (
        "HipAngles",
        (("hip_flexion", 1.0), ("hip_adduction", 1.0), ("hip_internal_rotation", 1.0)),
        "X flexion+, Y adduction+, Z internal rotation+ (deg)",
    ),
    (
        "KneeAngles",
        (("knee_flexion", 1.0), ("knee_valgus", -1.0), ("knee_internal_rotation", 1.0)),
        "X flexion+, Y adduction/varus+ (= -knee_valgus), Z tibial internal rotation+ (deg)",
    ),
    (
        "AnkleAngles",
        (("ankle_dorsiflexion", 1.0), None, None),
        "X dorsiflexion+ (deg); Y, Z not measured (NaN)",
    ),
    ("FPPA", (("fppa", 1.0), None, None), "X frontal-plane projection angle, valgus+ (deg)"),
)
"""Angle points: name suffix, (quantity, sign) for X, Y, Z (None: not measured), description."""

SCALAR_POINTS = (("ArchHeight", "arch_height_mm", "X arch height (mm); Y, Z unused (NaN)"),)

EVENTS = (
    ("initial_contact_s", "Foot Strike", True),
    ("take_off_s", "Foot Off", True),
    ("second_contact_s", "Foot Strike", True),
    ("peak_knee_flexion_s", "Peak Knee Flexion", False),
)
"""summary.json event, C3D label, whether it is given per side (else ``General``)."""


def _add_event(c3d: Any, t: float, context: str, label: str) -> None:
    minutes = int(t // 60)
    c3d.add_event(time=[minutes, t - 60 * minutes], context=context, label=label)


def joint_centre_label(joint: str, side: str) -> str:
    """C3D label of a joint centre, e.g. ``RKJC``."""
    return f"{SIDE_PREFIX[side]}{joint.upper()}"


def write_c3d(trial: Trial, path: str | Path, overwrite: bool = False) -> Path:
    """Write a trial as a C3D file.

    Parameters
    ----------
    trial : Trial
        A trial read by :func:`kneesight.export.trialdir.load_trial`.
    path : str or Path
        Output file.
    overwrite : bool
        Replace an existing file; otherwise an existing file is an :class:`InputError`.

    Returns
    -------
    Path
        ``path``.
    """
    import ezc3d

    path = check_writable(path, overwrite)
    labels: list[str] = []
    descriptions: list[str] = []
    columns: list[np.ndarray] = []  # each (N, 3)
    n = trial.n_frames
    nan = np.full(n, np.nan)

    for side in SIDES:
        for joint in JOINT_CENTRES:
            labels.append(joint_centre_label(joint, side))
            descriptions.append(f"{joint.upper()} {CONTEXT[side].lower()}, lab frame (mm)")
            columns.append(trial.joint_centre(joint, side) * 1000.0)
    angle_labels, scalar_labels = [], []
    for side in SIDES:
        for suffix, comps, text in ANGLE_POINTS:
            label = f"{SIDE_PREFIX[side]}{suffix}"
            xyz = [nan if c is None else trial.series(c[0], side) * c[1] for c in comps]
            labels.append(label)
            angle_labels.append(label)
            descriptions.append(text)
            columns.append(np.stack(xyz, axis=1))
        for suffix, quantity, text in SCALAR_POINTS:
            label = f"{SIDE_PREFIX[side]}{suffix}"
            labels.append(label)
            scalar_labels.append(label)
            descriptions.append(text)
            columns.append(np.stack([trial.series(quantity, side), nan, nan], axis=1))

    per_row = np.stack(columns, axis=1)  # (N, P, 3)
    per_row[~trial.tracked] = np.nan
    gridded, _ = on_grid(trial, per_row)  # (M, P, 3)
    m, p = gridded.shape[0], gridded.shape[1]
    points = np.ones((4, p, m))
    points[:3] = np.transpose(gridded, (2, 1, 0))
    invalid = ~np.isfinite(gridded[:, :, 0]).T  # (P, M): X missing -> invalid point
    residuals = np.where(invalid, -1.0, 0.0)[None, :, :]
    points[:3, invalid] = np.nan

    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [trial.fps]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = tuple(labels)
    c3d["parameters"]["POINT"]["DESCRIPTIONS"]["value"] = tuple(descriptions)
    c3d["data"]["points"] = points
    c3d["data"]["meta_points"] = {"residuals": residuals}
    c3d.add_parameter("POINT", "UNITS", "mm")
    c3d.add_parameter("POINT", "ANGLES", angle_labels)
    c3d.add_parameter("POINT", "ANGLE_UNITS", "deg")
    c3d.add_parameter("POINT", "SCALARS", scalar_labels)
    c3d.add_parameter("POINT", "SCALAR_UNITS", "mm")
    c3d.add_parameter("POINT", "X_SCREEN", "+X")
    c3d.add_parameter("POINT", "Y_SCREEN", "+Y")
    c3d.add_parameter("MANUFACTURER", "COMPANY", "kneesight")
    version = str(trial.summary.get("kneesight_version", ""))
    c3d.add_parameter("MANUFACTURER", "SOFTWARE", "kneesight")
    if version:
        c3d.add_parameter("MANUFACTURER", "VERSION_LABEL", version)
    c3d.add_parameter("SUBJECTS", "NAMES", [trial.directory.name or "trial"])

    foot_contact = as_dict(as_dict(trial.summary.get("event_details")).get("foot_contact_s"))
    for key, label, per_side in EVENTS:
        t = trial.event(key)
        if t is None:
            continue
        if not per_side:
            _add_event(c3d, t, "General", label)
            continue
        for side in SIDES:
            ts = foot_contact.get(side) if key == "initial_contact_s" else None
            own = float(ts) if isinstance(ts, int | float) and math.isfinite(ts) else None
            _add_event(c3d, t if own is None else own, CONTEXT[side], label)

    c3d.write(str(path))
    return path
