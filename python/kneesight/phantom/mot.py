"""OpenSim ``.mot`` joint-angle files: reading, and driving the phantom with real motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kneesight.errors import InputError
from kneesight.joint_angles import joint_angles, joint_rotation
from kneesight.phantom.motion import SIDES, Motion, MotionSample
from kneesight.phantom.pose import zxy
from kneesight.phantom.valgus import ValgusProfile

REQUIRED: tuple[str, ...] = tuple(
    f"{q}_{s}" for s in SIDES for q in ("hip_flexion", "knee_angle", "ankle_angle")
)
"""Columns a .mot file must have to drive the legs."""

TRANSLATIONS: tuple[str, ...] = ("pelvis_tx", "pelvis_ty", "pelvis_tz")

GRF_CONTACT_N = 20.0
"""Total vertical ground reaction force (N) above which the subject is on the floor."""


def read_mot(path: str | Path) -> dict[str, np.ndarray]:
    """Read an OpenSim ``.mot`` / ``.sto`` table.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict of str -> ndarray, shape (N,)
        Columns by name, rotations converted to degrees (translations stay in metres).

    Raises
    ------
    InputError
        Missing file, no ``endheader``, no rows, ragged rows or non-numeric values (the
        message names the file and line).
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise InputError(f"cannot read motion file {p}: {e}") from e
    in_degrees = True
    end = None
    for i, line in enumerate(lines):
        key = line.strip().lower()
        if key.startswith("indegrees"):
            in_degrees = key.split("=", 1)[-1].strip() in ("yes", "true", "1")
        if key == "endheader":
            end = i
            break
    if end is None or end + 1 >= len(lines):
        raise InputError(f"{p} is not an OpenSim .mot file (no 'endheader' and column line)")
    names = lines[end + 1].split()
    rows = []
    for j, line in enumerate(lines[end + 2 :], start=end + 3):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != len(names):
            raise InputError(f"{p}:{j}: {len(parts)} values for {len(names)} columns")
        try:
            rows.append([float(v) for v in parts])
        except ValueError as e:
            raise InputError(f"{p}:{j}: non-numeric value ({e})") from e
    if len(rows) < 2:
        raise InputError(f"{p} holds fewer than two rows of motion")
    data = np.asarray(rows)
    if not np.all(np.isfinite(data)):
        raise InputError(f"{p} holds NaN or infinite values")
    cols = {n: data[:, k] for k, n in enumerate(names)}
    if "time" not in cols:
        raise InputError(f"{p} has no 'time' column")
    if np.any(np.diff(cols["time"]) <= 0):
        raise InputError(f"{p}: time is not strictly increasing")
    if not in_degrees:
        for n in names:
            if n != "time" and n not in TRANSLATIONS:
                cols[n] = np.degrees(cols[n])
    return cols


def _sole_level_ankle(pelvis: np.ndarray, ang: dict[str, np.ndarray], side: str) -> np.ndarray:
    """Ankle angles (N, 3) that keep the foot's lab roll what its ankle inversion alone gives.

    OpenSim's ankle and subtalar axes are oblique, its knee is not the phantom's, and the
    inverse kinematics of a deep landing often rests ``subtalar_angle`` on its bound; composed
    through the phantom's chain, a shank that leans sideways in a deep landing (hip rotation
    at 100 deg of hip flexion) would stand the foot on its edge (50-60 deg). A foot is turned
    about its own long axis instead, so that its roll in the lab is the roll its inversion
    gives under an upright shank (flat for a neutral profile, pronated by the profile's arch
    drop; ``subtalar_angle`` is not used); dorsiflexion and the foot's heading follow from the
    chain.
    """
    a = ang[f"ankle_{side}"]
    out = a.copy()
    for i in range(a.shape[0]):
        shank = (
            pelvis[i]
            @ joint_rotation("hip", side, tuple(ang[f"hip_{side}"][i]))
            @ joint_rotation("knee", side, tuple(ang[f"knee_{side}"][i]))
        )
        foot = shank @ joint_rotation("ankle", side, tuple(a[i]))
        target = joint_rotation("ankle", side, (a[i, 0], a[i, 1], 0.0))[1, 2]
        # turn about the foot's long axis x by d: z.up -> cos(d) z.up - sin(d) y.up
        za, yb = foot[1, 2], -foot[1, 1]
        r = float(np.hypot(za, yb))
        phase = float(np.arctan2(yb, za))
        spread = float(np.arccos(np.clip(target / max(r, 1e-9), -1.0, 1.0)))
        d = min((phase + spread, phase - spread), key=abs)
        c, sn = np.cos(d), np.sin(d)
        turn = np.array([[1.0, 0.0, 0.0], [0.0, c, -sn], [0.0, sn, c]])
        out[i] = joint_angles("ankle", side, shank.T @ foot @ turn)
    return out


def read_vertical_force(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Times and total vertical force of an OpenSim ground reaction force file.

    Parameters
    ----------
    path : str or Path
        An OpenSim external-loads ``.mot``: a ``time`` column and the vertical force of each
        plate in a column ending ``_vy`` (N, Y up), e.g. ``ground_force_1_vy``.

    Returns
    -------
    time : ndarray, shape (M,)
        Seconds from the file's first row.
    force : ndarray, shape (M,)
        Sum of the plates' vertical forces, N.

    Raises
    ------
    InputError
        Not a readable ``.mot`` (see :func:`read_mot`), or no ``*_vy`` column.
    """
    p = Path(path)
    cols = read_mot(p)
    vy = [n for n in cols if n.endswith("_vy")]
    if not vy:
        raise InputError(f"{p} has no vertical force column (a name ending in _vy)")
    return cols["time"] - cols["time"][0], np.sum([cols[n] for n in vy], axis=0)


def from_mot(
    path: str | Path, valgus: ValgusProfile | None = None, grf: str | Path | None = None
) -> Motion:
    """Drive the phantom with an OpenSim ``.mot`` joint-angle file, with its real timing.

    Uses ``hip_flexion/adduction/rotation_<s>``, ``knee_angle_<s>``, ``ankle_angle_<s>``,
    ``pelvis_tilt/list/rotation`` (Z-X-Y), ``pelvis_tx/ty/tz`` and, when present, the lumbar
    and arm coordinates; missing optional columns are zero. ``subtalar_angle_<s>`` is not
    used: each foot is kept level across (see :func:`_sole_level_ankle`). OpenSim's model has
    a one-DOF knee, so knee valgus, tibial rotation and arch drop come from ``valgus``, ramped
    with knee flexion. The pelvis height is taken from ``pelvis_ty`` and offset so that the
    phantom's feet rest on the floor whenever the motion puts them there (a box is added under
    the feet if the motion starts on one). Events come from the feet's height, or, given the
    trial's force plates (``grf``), from the plates: the feet then stand on the floor exactly
    while the vertical force exceeds :data:`GRF_CONTACT_N`, as the laboratory timed the
    contacts. The feet's height alone cannot time them that well: the file's subject has other
    segment lengths, so the feet are taken to stand while within 5 cm of the floor, which
    holds a take-off on the floor 2-3 frames (at 90 frames/s) past the plates' and starts the
    next landing as much before theirs.

    Parameters
    ----------
    path : str or Path
    valgus : ValgusProfile, optional
    grf : str or Path, optional
        The trial's ground reaction forces (see :func:`read_vertical_force`), on the same clock
        as ``path`` (both start at their first row).
    """
    p = Path(path)
    cols = read_mot(p)
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputError(f"{p} lacks the column(s) {missing}")
    time = cols["time"] - cols["time"][0]
    plates = read_vertical_force(grf) if grf is not None else None
    valgus = valgus or ValgusProfile.neutral()

    def get(t: np.ndarray, name: str, default: float = 0.0) -> np.ndarray:
        if name not in cols:
            return np.full_like(t, default)
        return np.interp(t, time, cols[name])

    kmax = {s: max(float(np.max(cols[f"knee_angle_{s}"])), 30.0) for s in SIDES}

    def sampler(t: np.ndarray) -> MotionSample:
        ang: dict[str, np.ndarray] = {}
        arch: dict[str, np.ndarray] = {}
        for s in SIDES:
            knee = get(t, f"knee_angle_{s}")
            a = np.clip(knee / kmax[s], 0.0, 1.0) ** 2
            v = {k: valgus.side(k, s) for k in ("hip_internal_rotation", "hip_adduction",
                                                "knee_valgus", "tibial_rotation",
                                                "arch_drop_mm")}  # fmt: skip
            arch[s] = a * v["arch_drop_mm"]
            ang[f"hip_{s}"] = np.stack([
                get(t, f"hip_flexion_{s}"),
                get(t, f"hip_adduction_{s}") + a * v["hip_adduction"],
                get(t, f"hip_rotation_{s}") + a * v["hip_internal_rotation"],
            ], -1)  # fmt: skip
            ang[f"knee_{s}"] = np.stack([
                knee,
                valgus.side("static_knee_valgus", s) + a * v["knee_valgus"],
                a * v["tibial_rotation"],
            ], -1)  # fmt: skip
            ang[f"ankle_{s}"] = np.stack([
                get(t, f"ankle_angle_{s}"),
                -0.5 * arch[s],
                -0.8 * a * (v["hip_internal_rotation"] + v["tibial_rotation"]),
            ], -1)  # fmt: skip
            ang[f"arm_{s}"] = np.stack([
                get(t, f"arm_flex_{s}"),
                np.maximum(-get(t, f"arm_add_{s}"), 8.0),
                get(t, f"elbow_flex_{s}", 10.0),
            ], -1)  # fmt: skip
        ang["trunk"] = np.stack(
            [-get(t, "lumbar_extension"), get(t, "lumbar_bending"), get(t, "lumbar_rotation")],
            -1,
        )
        rot = zxy(np.stack([get(t, "pelvis_tilt"), get(t, "pelvis_list"),
                            get(t, "pelvis_rotation")], -1))  # fmt: skip
        for s in SIDES:
            ang[f"ankle_{s}"] = _sole_level_ankle(rot, ang, s)
        track = np.stack([get(t, c) for c in TRANSLATIONS], -1)
        nan = np.full_like(t, np.nan)
        contact = None
        if plates is not None:
            contact = np.interp(t, *plates, left=0.0, right=0.0) > GRF_CONTACT_N
        return MotionSample(t, ang, rot, arch, {s: nan.copy() for s in SIDES},
                            np.zeros((t.size, 2)), pelvis_track=track,
                            ground_contact=contact)  # fmt: skip

    params: dict[str, object] = {"file": str(p), "rows": int(time.size)}
    if grf is not None:
        params["grf"] = str(grf)
    return Motion(f"mot:{p.name}", float(time[-1]), valgus, sampler, params=params)
