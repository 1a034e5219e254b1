"""Where the body is: pelvis position from feet on the floor (or box) and ballistic flight.

In stance the pelvis height is solved so that the lowest point of a supported foot touches
its support surface (no floating, no sinking) and its horizontal position so that the
supported ankles stay where the motion plants them; a supported foot never points its toes
up (:func:`level_feet`). Between stances the pelvis follows a ballistic path (gravity
vertically; horizontally a constant velocity, or, stepping down off a box, a forward start
that carries the feet past its edge) joining the two stances.
Motions from a ``.mot`` file follow the measured pelvis path instead, offset so the feet meet
the floor; their support phases are then detected from the feet's height, or taken from the
trial's force plates when given (:func:`kneesight.phantom.mot.from_mot`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneesight.joint_angles import joint_rotation
from kneesight.phantom.motion import SIDES, MotionSample
from kneesight.phantom.pose import Pose, Skeleton, Skin, forward_kinematics

G = 9.81
CONTACT_TOL = 0.05
"""Feet within this height (m) of their support count as standing on it (.mot motions)."""
STEP_DOWN = 0.1
"""A flight that ends this much lower (m) than it began steps off a box (see :func:`place`)."""


@dataclass
class Placement:
    """A motion placed in the lab.

    Attributes
    ----------
    pose : Pose
    support : dict of str -> ndarray, shape (N,)
        Support height per foot (0 floor, box height), NaN in the air.
    box_height : float or None
        Box detected under a .mot motion's starting stance (None otherwise).
    box_front_x : float or None
    """

    pose: Pose
    support: dict[str, np.ndarray]
    box_height: float | None = None
    box_front_x: float | None = None


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive index ranges where ``mask`` is True."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1, strict=True))


def place(skeleton: Skeleton, skin: Skin, sample: MotionSample) -> Placement:
    """Solve the pelvis position of every frame and pose the body.

    Parameters
    ----------
    skeleton : Skeleton
    skin : Skin
    sample : MotionSample
    """
    n = sample.times.size
    zero = np.zeros((n, 3))
    pose0 = forward_kinematics(skeleton, sample.pelvis_rotation, zero, sample.angles)
    low = {s: skin.lowest_foot_point(pose0, s) for s in SIDES}
    if sample.pelvis_track is not None:
        return _place_tracked(skeleton, sample, pose0, low)
    plant_feet(skeleton, sample)
    level_feet(skeleton, skin, sample)
    pose0 = forward_kinematics(skeleton, sample.pelvis_rotation, zero, sample.angles)
    low = {s: skin.lowest_foot_point(pose0, s) for s in SIDES}
    t = sample.times
    sup = sample.support
    origin = np.full((n, 3), np.nan)
    supported = np.zeros(n, dtype=bool)
    for s in SIDES:
        supported |= np.isfinite(sup[s])
    for i in np.flatnonzero(supported):
        sides = [s for s in SIDES if np.isfinite(sup[s][i])]
        origin[i, 1] = max(sup[s][i] - low[s][i] for s in sides)
        ajc = np.mean([pose0.joint_centre("ajc", s)[i] for s in sides], axis=0)
        rest = np.mean([skeleton.offsets[f"thigh_{s}"][1][2] for s in sides])
        origin[i, 0] = sample.stance_xz[i, 0] - ajc[0]
        origin[i, 2] = sample.stance_xz[i, 1] + rest - ajc[2]
    for i0, i1 in _runs(~supported):
        a, b = i0 - 1, i1 + 1
        if a < 0 and b >= n:
            origin[:] = 0.0
            origin[:, 1] = skeleton.rest[0, 1]
            break
        if a < 0 or b >= n:  # airborne at an end: hold the neighbouring stance position
            origin[i0 : i1 + 1] = origin[b if a < 0 else a]
            continue
        T = t[b] - t[a]
        dt = t[i0 : i1 + 1] - t[a]
        v0 = (origin[b, 1] - origin[a, 1] + 0.5 * G * T * T) / T
        origin[i0 : i1 + 1, 1] = origin[a, 1] + v0 * dt - 0.5 * G * dt * dt
        tau = dt / T
        if origin[b, 1] < origin[a, 1] - STEP_DOWN:
            # stepping off a box the body moves forward over its edge before it drops:
            # horizontally 1.5 times the mean speed at the start, half of it at touch-down
            tau = tau + 0.5 * tau * (1.0 - tau)
        for k in (0, 2):
            origin[i0 : i1 + 1, k] = origin[a, k] + (origin[b, k] - origin[a, k]) * tau
    pose = forward_kinematics(skeleton, sample.pelvis_rotation, origin, sample.angles)
    return Placement(pose, {s: sup[s].copy() for s in SIDES})


def _ankle_z(
    skeleton: Skeleton, sample: MotionSample, side: str, idx: np.ndarray, hip: np.ndarray
) -> np.ndarray:
    """Lab z of the ankle joint centre relative to the pelvis origin for given hip angles."""
    body = skeleton.body
    rp = sample.pelvis_rotation[idx]
    rh = np.stack([joint_rotation("hip", side, tuple(a)) for a in hip])
    rk = np.stack(
        [joint_rotation("knee", side, tuple(a)) for a in sample.angles[f"knee_{side}"][idx]]
    )
    hjc = skeleton.offsets[f"thigh_{side}"][1]
    down_t = np.array([0.0, -body.thigh_length, 0.0])
    down_s = np.array([0.0, -body.shank_length, 0.0])
    rt = rp @ rh
    ajc = rp @ hjc + rt @ down_t + (rt @ rk) @ down_s
    return ajc[:, 2]


def plant_feet(skeleton: Skeleton, sample: MotionSample) -> None:
    """Keep each supported foot from sliding sideways: within every stance phase of a foot,
    hip adduction is adjusted (in place, in ``sample.angles``) so that the ankle joint
    centre keeps its medio-lateral position relative to the pelvis from the first frame of
    the stance; the pelvis solve then holds the feet in place on the ground."""
    for s in SIDES:
        for i0, i1 in _runs(np.isfinite(sample.support[s])):
            if i1 <= i0:
                continue
            idx = np.arange(i0, i1 + 1)
            hip = sample.angles[f"hip_{s}"][idx].copy()
            target = _ankle_z(skeleton, sample, s, idx[:1], hip[:1])[0]
            for _ in range(4):
                z = _ankle_z(skeleton, sample, s, idx, hip)
                bumped = hip.copy()
                bumped[:, 1] += 0.5
                dz = (_ankle_z(skeleton, sample, s, idx, bumped) - z) / 0.5
                dz = np.where(np.abs(dz) < 1e-6, -1e-6, dz)
                hip[:, 1] -= np.clip((z - target) / dz, -10.0, 10.0)
            sample.angles[f"hip_{s}"][idx] = hip


def level_feet(skeleton: Skeleton, skin: Skin, sample: MotionSample) -> None:
    """Keep a supported foot from pointing its toes up: where the motion's ankle dorsiflexion
    exceeds what the shank's forward lean allows a foot flat on its support, the pelvis solve
    would stand the foot on its heel with the toes raised (up to 5 cm at the bottom of a
    squat), which nobody does. There the dorsiflexion is lowered (in place, in
    ``sample.angles``) until the sole is level. Toes pointing down (landing on the forefoot,
    a heel rising to push off) are left as the motion has them."""
    zero = np.zeros((sample.times.size, 3))
    for _ in range(3):
        pose = forward_kinematics(skeleton, sample.pelvis_rotation, zero, sample.angles)
        done = True
        for s in SIDES:
            pitch = skin.sole_pitch(pose, s)
            up = np.isfinite(sample.support[s]) & (pitch > 0.05)
            if up.any():
                sample.angles[f"ankle_{s}"][up, 0] -= pitch[up]
                done = False
        if done:
            break


def _place_tracked(
    skeleton: Skeleton, sample: MotionSample, pose0: Pose, low: dict[str, np.ndarray]
) -> Placement:
    track = sample.pelvis_track
    assert track is not None
    lowest = np.minimum(low["l"], low["r"])
    h_contact = -lowest  # pelvis height that puts the lowest foot point on the floor
    ty = track[:, 1]
    # The file's subject has other segment lengths: fit ty = a * h_contact + b over the
    # frames near the lower envelope (feet on the floor), a few robust iterations.
    a, b = 1.0, float(np.percentile(ty - h_contact, 10))
    for _ in range(4):
        near = ty - (a * h_contact + b) < CONTACT_TOL
        if near.sum() < 5 or np.ptp(h_contact[near]) < 0.02:
            break
        a, b = np.linalg.lstsq(np.stack([h_contact[near], np.ones(near.sum())], -1), ty[near],
                               rcond=None)[0]  # fmt: skip
    c = ty - (a * h_contact + b)  # clearance of the lowest foot point
    n = c.size
    box_h = None
    head = c[: max(3, n // 20)]
    if np.median(head) > 0.12 and np.ptp(head) < 0.05:
        box_h = float(np.median(head))
    on_box = np.zeros(n, dtype=bool)
    if box_h is not None:
        # On the box until the feet start the descent that takes them off it: the last
        # local maximum of the clearance before it falls below the box height.
        below = np.flatnonzero(c < box_h - CONTACT_TOL)
        first_off = int(below[0]) if below.size else n
        while 0 < first_off < n and c[first_off - 1] > c[first_off]:
            first_off -= 1
        on_box[:first_off] = True
    base = np.where(on_box, box_h or 0.0, 0.0)
    above = np.where(on_box, np.maximum(c - base, 0.0), c)
    if sample.ground_contact is not None:
        # the force plates time the floor contacts: the feet stand on the floor while they
        # register the subject and follow the file's clearance in the air (it leaves the
        # floor, and meets it, moving: a take-off and a landing are that abrupt)
        on_floor = ~on_box & sample.ground_contact
        lift = np.where(on_floor | on_box, 0.0, np.maximum(above, 0.0))
    else:
        on_floor = ~on_box & (above < CONTACT_TOL)
        # Feet rest on their support up to CONTACT_TOL of clearance; above that the
        # clearance comes back smoothly (position and velocity continuous at lift-off and
        # touch-down).
        x = np.maximum(above - CONTACT_TOL, 0.0) / CONTACT_TOL
        lift = CONTACT_TOL * (x + 1.0 - (1.0 + 2.0 * x) * np.exp(-x))
    y = h_contact + base + lift
    origin = np.stack([track[:, 0], y, track[:, 2]], -1)
    support: dict[str, np.ndarray] = {}
    for s in SIDES:
        height = low[s] + y - base
        support[s] = np.where((on_floor | on_box) & (height < CONTACT_TOL), base, np.nan)
    # Centre the lab on the ankles at the first floor contact (or the first frame).
    ajc = 0.5 * (pose0.joint_centre("ajc", "l") + pose0.joint_centre("ajc", "r")) + origin
    i_ref = int(np.argmax(on_floor & ~on_box)) if on_floor.any() else 0
    origin[:, 0] -= ajc[i_ref, 0]
    origin[:, 2] -= ajc[i_ref, 2]
    front = None
    if box_h is not None:
        front = float(ajc[0, 0] - ajc[i_ref, 0]) + 0.21
    pose = forward_kinematics(skeleton, sample.pelvis_rotation, origin, sample.angles)
    return Placement(pose, support, box_h, front)


def detect_events(
    times: np.ndarray, support: dict[str, np.ndarray], knee_flexion: dict[str, np.ndarray]
) -> dict[str, float | None]:
    """Landing events from the feet's support and knee flexion.

    Parameters
    ----------
    times : ndarray, shape (N,)
        Seconds from the first frame.
    support : dict of str -> ndarray, shape (N,)
        Support height per foot, NaN in the air.
    knee_flexion : dict of str -> ndarray, shape (N,)
        Degrees.

    Returns
    -------
    dict
        ``initial_contact_s``, ``peak_knee_flexion_s``, ``take_off_s``, ``second_contact_s``
        in seconds from the first frame, None when absent. Initial contact is the first floor
        contact after a flight; take-off the first airborne frame leaving the floor after it
        (or, with no later one, the jump that led to the landing); second contact the next
        landing; peak knee flexion the maximum over supported legs in the contact starting at
        initial contact (over the whole trial if there is no landing, when above 20 deg).
    """
    floor = np.zeros(times.size, dtype=bool)
    air = np.ones(times.size, dtype=bool)
    for s in SIDES:
        floor |= support[s] == 0.0
        air &= ~np.isfinite(support[s])
    ev: dict[str, float | None] = dict.fromkeys(
        ("initial_contact_s", "peak_knee_flexion_s", "take_off_s", "second_contact_s")
    )
    landing = np.flatnonzero(floor[1:] & air[:-1]) + 1
    leave = np.flatnonzero(floor[:-1] & air[1:]) + 1  # first airborne frame after the floor
    knee = np.where(
        np.stack([np.isfinite(support[s]) for s in SIDES]),
        np.stack([knee_flexion[s] for s in SIDES]),
        -np.inf,
    ).max(0)
    lo, hi = 0, times.size
    if landing.size:
        ic = int(landing[0])
        ev["initial_contact_s"] = float(times[ic])
        lo = ic
        after = leave[leave > ic]
        before = leave[leave < ic]
        if after.size:
            to = int(after[0])
            ev["take_off_s"] = float(times[to])
            hi = to
            later = landing[landing > to]
            if later.size:
                ev["second_contact_s"] = float(times[int(later[0])])
        elif before.size:  # a jump that led to the landing (no box)
            ev["take_off_s"] = float(times[int(before[-1])])
    elif leave.size:
        ev["take_off_s"] = float(times[int(leave[0])])
    seg = knee[lo:hi]
    if seg.size and np.isfinite(seg).any() and (landing.size or np.nanmax(seg) > 20.0):
        ev["peak_knee_flexion_s"] = float(times[lo + int(np.argmax(seg))])
    return ev
