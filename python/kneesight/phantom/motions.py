"""The phantom's repertoire: static standing, squats, single-leg tasks and the drop jump.

Each function returns a :class:`~kneesight.phantom.motion.Motion` with realistic timing. The
sagittal pattern is smooth (shape-preserving splines through key postures); the valgus
components of a :class:`ValgusProfile` ramp in during loading and peak near peak knee flexion;
static knee valgus is present in every frame. Pelvis height and horizontal position are not
part of the motion: they are solved from the body so that supported feet rest on the floor or
the box (see :mod:`kneesight.phantom.ground`). ``from_mot`` drives the phantom with an OpenSim
``.mot`` file.
"""

from __future__ import annotations

import numpy as np

from kneesight.errors import InputError
from kneesight.phantom.mot import from_mot
from kneesight.phantom.motion import SIDES, Motion, MotionSample, check_positive, track
from kneesight.phantom.pose import zxy
from kneesight.phantom.scene import BOX_FRONT_X
from kneesight.phantom.valgus import ValgusProfile

__all__ = [
    "drop_vertical_jump",
    "from_mot",
    "single_leg_landing",
    "single_leg_squat",
    "squat",
    "static",
]

EVERSION_PER_MM = 0.5
"""Subtalar eversion (degrees) accompanying each mm of arch drop."""
STANDING_ARCH_LOAD = 0.3
"""Fraction of the peak arch drop present in quiet standing on a foot."""
PELVIS_TILT_PER_TRUNK = 0.3
"""Anterior pelvic tilt (degrees) per degree of trunk lean beyond 3 deg."""
LANDING_HIP_ABDUCTION = 2.0
"""Hip abduction (degrees) the drop jump lands with: the ankle joint centres land about 2-3 cm
lateral of the hip joint centres (outer foot edges near shoulder width)."""
VALGUS_AT_CONTACT = 1.0
"""Fraction of the profile's rotations and knee valgus present at initial contact of a drop
landing: set in the late flight and held through the landing (what is not preset ramps in with
the loading). All of it: a valgus lander lands in that alignment, and ramping 10 deg of femoral
internal rotation in after contact would swing the shank of the planted leg through the deep
knee flexion and drive the knees through each other."""
PEAK_LANDING_DORSIFLEXION = 28.0
"""Ankle dorsiflexion (degrees) at the drop jump's peak knee flexion, with the foot flat."""
PELVIC_DROP_PER_ADDUCTION = 0.5
"""Contralateral pelvic drop in single-leg stance per degree of the stance side's
``ValgusProfile.hip_adduction`` (at full activation)."""


def _compose(
    t: np.ndarray,
    valgus: ValgusProfile,
    legs: dict[str, dict[str, np.ndarray]],
    trunk: np.ndarray,
    arms: dict[str, np.ndarray],
    activation: dict[str, np.ndarray],
    support: dict[str, np.ndarray],
    stance_xz: np.ndarray,
    pelvic_drop: dict[str, np.ndarray] | None = None,
    valgus_activation: dict[str, np.ndarray] | None = None,
) -> MotionSample:
    """Assemble a sample from the designed sagittal pattern and the valgus profile.

    ``legs[s]["hip_flex"]`` and ``trunk`` are the designed thigh and trunk inclinations from
    the vertical; the pelvis tilts anteriorly with the trunk lean (PELVIS_TILT_PER_TRUNK), so
    the hip flexion relative to the pelvis is larger by the tilt and the trunk flexion
    relative to the pelvis smaller. ``pelvic_drop[s]`` lowers the pelvis on side ``s``
    (contralateral drop in single-leg stance). ``activation[s]`` (0 to 1) is the loading of
    the leg and scales the arch drop and the added hip adduction; ``valgus_activation[s]``
    scales the rotations and the knee valgus of the profile (default: the loading, so they
    ramp in with it).
    """
    tilt = PELVIS_TILT_PER_TRUNK * np.maximum(trunk - 3.0, 0.0)
    drop = pelvic_drop or {}
    obliquity = drop.get("r", 0 * t) - drop.get("l", 0 * t)  # + = right side down
    angles: dict[str, np.ndarray] = {"trunk": np.stack([trunk - tilt, 0 * t, 0 * t], -1)}
    arch: dict[str, np.ndarray] = {}
    for s in SIDES:
        leg, a = legs[s], activation[s]
        va = a if valgus_activation is None else valgus_activation[s]
        v = {
            k: valgus.side(k, s)
            for k in (
                "hip_internal_rotation",
                "hip_adduction",
                "knee_valgus",
                "tibial_rotation",
                "arch_drop_mm",
            )
        }
        on = np.isfinite(support[s])
        load = np.maximum(a, STANDING_ARCH_LOAD * on)
        arch[s] = load * v["arch_drop_mm"]
        angles[f"hip_{s}"] = np.stack([
            leg["hip_flex"] + tilt,
            leg.get("hip_add", 0 * t) + a * v["hip_adduction"],
            leg.get("hip_rot", -3.0 + 0 * t) + va * v["hip_internal_rotation"],
        ], -1)  # fmt: skip
        angles[f"knee_{s}"] = np.stack([
            leg["knee"],
            valgus.side("static_knee_valgus", s) + va * v["knee_valgus"],
            2.0 + va * v["tibial_rotation"],
        ], -1)  # fmt: skip
        # The foot keeps pointing where it points (planted, or set for the landing in the
        # air): it turns back against the internal rotation of femur and tibia, and everts
        # as the arch collapses.
        comp = 0.8 * va * (v["hip_internal_rotation"] + v["tibial_rotation"])
        angles[f"ankle_{s}"] = np.stack([
            leg["ankle"],
            -EVERSION_PER_MM * arch[s],
            -4.0 - comp,
        ], -1)  # fmt: skip
        angles[f"arm_{s}"] = arms[s]
    rot = zxy(np.stack([-tilt, obliquity, 0 * t], -1))
    return MotionSample(t, angles, rot, arch, support, stance_xz)


def _arms(t: np.ndarray, flex: list, abd: list, elbow: list) -> dict[str, np.ndarray]:
    a = np.stack([track(t, flex), track(t, abd), track(t, elbow)], -1)
    return {"l": a, "r": a.copy()}


def static(duration_s: float = 3.0, valgus: ValgusProfile | None = None, seed: int = 0) -> Motion:
    """Quiet standing (a static trial) with small postural sway.

    Parameters
    ----------
    duration_s : float
        Length in seconds (0.1 to 60).
    valgus : ValgusProfile, optional
        Only its static knee valgus and the standing arch load matter here.
    seed : int
        Seed of the sway pattern.
    """
    dur = check_positive("duration_s", duration_s, 0.1, 60.0)
    valgus = valgus or ValgusProfile.neutral()
    rng = np.random.default_rng(seed)
    freqs = rng.uniform(0.1, 0.6, size=(2, 4))
    phases = rng.uniform(0, 2 * np.pi, size=(2, 4))

    def sampler(t: np.ndarray) -> MotionSample:
        sway = [(np.sin(2 * np.pi * freqs[i, :, None] * t + phases[i, :, None])).sum(0) / 2
                for i in range(2)]  # fmt: skip
        legs = {}
        for s, lat in (("l", -1.0), ("r", 1.0)):
            legs[s] = {"hip_flex": 3.0 + 0.3 * sway[0], "knee": 4.0 + 0 * t,
                       "ankle": 1.5 + 0.4 * sway[0], "hip_add": lat * 0.3 * sway[1]}  # fmt: skip
        zero = 0 * t
        arms = _arms(t, [(0, 0)], [(0, 10)], [(0, 10)])
        sup = {s: zero.copy() for s in SIDES}
        return _compose(t, valgus, legs, 3.0 + zero, arms, {s: zero for s in SIDES}, sup,
                        np.zeros((t.size, 2)))  # fmt: skip

    return Motion("static", dur, valgus, sampler, params={"duration_s": dur, "seed": seed})


def _squat_knee(
    t: np.ndarray, start: float, reps: int, rep_s: float, peak: float, rest: float, dur: float
) -> np.ndarray:
    """Knee flexion (degrees, shape of ``t``) of squat repetitions: ``rest`` until ``start``
    seconds, then ``reps`` cycles of ``rep_s`` seconds (down to ``peak`` at 45 %, held to 55 %,
    back up to ``rest``), and ``rest`` to ``dur``."""
    knots = [(0.0, rest), (start, rest)]
    for i in range(reps):
        t0 = start + i * rep_s
        knots += [(t0 + 0.45 * rep_s, peak), (t0 + 0.55 * rep_s, peak), (t0 + rep_s, rest)]
    return track(t, knots + [(dur, rest)])


def squat(
    reps: int = 2,
    peak_knee_flexion: float = 100.0,
    rep_s: float = 2.4,
    valgus: ValgusProfile | None = None,
) -> Motion:
    """Bilateral squats: 0.5 s standing, then ``reps`` down-up cycles of ``rep_s`` seconds."""
    reps = int(check_positive("reps", reps, 1, 20))
    pk = check_positive("peak_knee_flexion", peak_knee_flexion, 20.0, 140.0)
    rep_s = check_positive("rep_s", rep_s, 0.6, 10.0)
    valgus = valgus or ValgusProfile.neutral()
    dur = 0.5 + reps * rep_s + 0.5

    def sampler(t: np.ndarray) -> MotionSample:
        knee = _squat_knee(t, 0.5, reps, rep_s, pk, 4.0, dur)
        frac = (knee - 4.0) / (pk - 4.0)
        legs = {s: {"hip_flex": 3.0 + 0.85 * (knee - 4.0), "knee": knee,
                    "ankle": 1.5 + 0.33 * (knee - 4.0)} for s in SIDES}  # fmt: skip
        arms = {s: np.stack([80 * frac, 10 + 0 * t, 10 + 20 * frac], -1) for s in SIDES}
        sup = {s: 0 * t for s in SIDES}
        return _compose(t, valgus, legs, 3.0 + 35.0 * frac, arms, {s: frac for s in SIDES},
                        sup, np.zeros((t.size, 2)))  # fmt: skip

    return Motion("squat", dur, valgus, sampler,
                  params={"reps": reps, "peak_knee_flexion": pk, "rep_s": rep_s})  # fmt: skip


def _side(side: str) -> str:
    if side not in SIDES:
        raise InputError(f"side must be 'l' or 'r', got {side!r}")
    return side


def single_leg_squat(
    side: str = "r",
    reps: int = 2,
    peak_knee_flexion: float = 65.0,
    rep_s: float = 2.4,
    valgus: ValgusProfile | None = None,
) -> Motion:
    """Single-leg squats on ``side``; the other leg is held with hip and knee flexed."""
    st = _side(side)
    free = "l" if st == "r" else "r"
    reps = int(check_positive("reps", reps, 1, 20))
    pk = check_positive("peak_knee_flexion", peak_knee_flexion, 20.0, 120.0)
    rep_s = check_positive("rep_s", rep_s, 0.6, 10.0)
    valgus = valgus or ValgusProfile.neutral()
    dur = 0.6 + reps * rep_s + 0.4

    def sampler(t: np.ndarray) -> MotionSample:
        knee = _squat_knee(t, 0.6, reps, rep_s, pk, 5.0, dur)
        frac = (knee - 5.0) / (pk - 5.0)
        legs = {
            st: {"hip_flex": 4.0 + 0.8 * (knee - 5.0), "knee": knee,
                 "ankle": 2.0 + 0.4 * (knee - 5.0), "hip_add": 4.0 + 0 * t},
            free: {"hip_flex": 30.0 + 0.6 * (knee - 5.0), "knee": 70.0 + 0.8 * (knee - 5.0),
                   "ankle": -10.0 + 0 * t,
                   "hip_add": -3.0 + 0 * t},
        }  # fmt: skip
        arms = {s: np.stack([50 * frac, 25 + 0 * t, 20 + 0 * t], -1) for s in SIDES}
        sup = {st: 0 * t, free: np.full_like(t, np.nan)}
        act = {st: frac, free: 0 * t}
        drop = {free: PELVIC_DROP_PER_ADDUCTION * valgus.side("hip_adduction", st) * frac}
        return _compose(t, valgus, legs, 5.0 + 25.0 * frac, arms, act, sup,
                        np.zeros((t.size, 2)), drop)  # fmt: skip

    return Motion(
        "single_leg_squat",
        dur,
        valgus,
        sampler,
        params={"side": st, "reps": reps, "peak_knee_flexion": pk, "rep_s": rep_s},
    )


def _drop_phases(quiet_s: float) -> dict[str, float]:
    t0 = quiet_s
    lo = t0 + 0.15  # leave the box
    ic = lo + 0.25  # flight from a 31 cm box
    return {"t0": t0, "lo": lo, "ic": ic}


def drop_vertical_jump(
    box_height: float = 0.31,
    peak_knee_flexion: float = 95.0,
    quiet_s: float = 0.5,
    recovery_s: float = 0.8,
    valgus: ValgusProfile | None = None,
    knee_flexion_at_contact: float = 33.0,
) -> Motion:
    """Drop vertical jump: stand on the box, drop, land, absorb, jump, land again, recover.

    Timing: ``quiet_s`` on the box, 0.15 s stepping off, 0.25 s flight, 0.22 s from initial
    contact to peak knee flexion, 0.25 s of propulsion to take-off, 0.45 s flight (a jump of
    about 25 cm), 0.2 s to the second landing's peak flexion, then ``recovery_s`` to stand.
    The landing is centred on the lab origin; the box's front face is 0.15 m behind it.

    With the neutral profile this is a good landing: soft (``knee_flexion_at_contact``
    above the LESS 30 deg criterion, knee flexion displacement over 45 deg), feet a little
    wider than the hips with the toes slightly out, the femur in neutral rotation and the
    knees tracking over the feet (hip internal rotation within 0-5 deg, FPPA below 7 deg).
    The foot is flat on the floor at peak knee flexion. The profile's rotations and knee
    valgus are set in the late flight (``VALGUS_AT_CONTACT``), so a high-valgus lander
    lands with the knees turned in; the arch drop ramps in with the loading.

    Parameters
    ----------
    box_height : float
        Metres (0.1 to 0.8).
    peak_knee_flexion : float
        Degrees at the first landing (60 to 130).
    quiet_s, recovery_s : float
        Seconds standing on the box before the drop and recovering after the second landing.
    valgus : ValgusProfile, optional
        Default: neutral.
    knee_flexion_at_contact : float
        Knee flexion at initial contact, degrees (5 to 60, and at least 20 deg below the
        peak); below 30 deg is a stiff landing by the LESS.
    """
    bh = check_positive("box_height", box_height, 0.1, 0.8)
    pk = check_positive("peak_knee_flexion", peak_knee_flexion, 60.0, 130.0)
    quiet = check_positive("quiet_s", quiet_s, 0.05, 5.0)
    rec = check_positive("recovery_s", recovery_s, 0.1, 5.0)
    kic = check_positive("knee_flexion_at_contact", knee_flexion_at_contact, 5.0, 60.0)
    if kic > pk - 20.0:
        raise InputError(
            f"knee_flexion_at_contact = {kic} must be at least 20 deg below "
            f"peak_knee_flexion = {pk}"
        )
    valgus = valgus or ValgusProfile.neutral()
    p = _drop_phases(quiet)
    t0, lo, ic = p["t0"], p["lo"], p["ic"]
    pkt = ic + 0.22
    to = pkt + 0.25
    sc = to + 0.45
    sp = sc + 0.2
    end = sp + rec
    settle = min(sp + 0.5, end - 0.05)
    # the landing ankles 25 cm in front of the box's face: a drop close to the box, with room
    # for the feet to pass its edge as they fall
    box_front = BOX_FRONT_X
    df = PEAK_LANDING_DORSIFLEXION

    def sampler(t: np.ndarray) -> MotionSample:
        knee = track(t, [(0, 5), (t0, 5), (t0 + 0.1, 18), (lo, 15), (ic - 0.08, 0.5 * (15 + kic)),
                         (ic, kic), (pkt, pk), (to, 8), (to + 0.2, 12), (sc, 22), (sp, 0.6 * pk),
                         (settle, 10), (end, 6)])  # fmt: skip
        # Thigh inclination at the peaks = knee flexion - dorsiflexion: the foot is flat.
        hip = track(t, [(0, 4), (t0, 4), (t0 + 0.1, 15), (lo, 12), (ic, 28), (pkt, pk - df),
                        (to, 5), (to + 0.2, 15), (sc, 30), (sp, 0.6 * pk - 22),
                        (settle, 12), (end, 5)])  # fmt: skip
        ankle = track(t, [(0, 2), (t0, 2), (t0 + 0.1, 8), (lo, -15), (ic - 0.05, -25), (ic, -22),
                          (ic + 0.08, 10), (pkt, df), (to - 0.05, 0), (to, -30),
                          (to + 0.2, -20), (sc, -22), (sc + 0.08, 8), (sp, 22),
                          (settle, 5), (end, 2)])  # fmt: skip
        trunk = track(t, [(0, 3), (t0, 3), (t0 + 0.1, 12), (ic, 12), (pkt, 38), (to, 5), (sc, 10),
                          (sp, 30), (settle, 8), (end, 3)])  # fmt: skip
        arms = _arms(t, [(0, 0), (t0, 0), (lo, 30), (ic, 20), (pkt, -45), (to, 150),
                         (to + 0.2, 160), (sc, 60), (sp, 20), (end, 0)],
                     [(0, 10), (ic, 25), (pkt, 15), (to, 20), (sc, 30), (end, 10)],
                     [(0, 10), (pkt, 40), (to, 20), (end, 10)])  # fmt: skip
        act = track(t, [(0, 0), (ic, 0), (pkt, 1), (to, 0), (sc, 0), (sp, 0.7), (settle, 0.1),
                        (end, 0)])  # fmt: skip
        # The valgus alignment a lander sets up in the late flight, held through the landing.
        prep = track(t, [(0, 0), (ic - 0.12, 0), (ic, 1), (to, 1), (to + 0.1, 0), (sc - 0.12, 0),
                         (sc, 1), (sp, 1), (settle, 0.15), (end, 0)])  # fmt: skip
        vact = VALGUS_AT_CONTACT * prep + (1.0 - VALGUS_AT_CONTACT) * act
        on_box = t < lo
        on_floor = ((t >= ic) & (t < to)) | (t >= sc)
        sup_h = np.where(on_box, bh, np.where(on_floor, 0.0, np.nan))
        xz = np.zeros((t.size, 2))
        xz[on_box, 0] = box_front - 0.21
        xz[t >= sc, 0] = 0.05
        # Feet a little wider than the hips (hips slightly abducted in the drop) with the femur
        # turned from its standing external rotation to neutral: the knees track over the feet.
        abd = track(t, [(0, 0), (t0 + 0.1, 0), (ic - 0.05, -LANDING_HIP_ABDUCTION),
                        (end, -LANDING_HIP_ABDUCTION)])  # fmt: skip
        hrot = track(t, [(0, -3), (t0 + 0.1, -3), (ic - 0.05, 0.0), (end, 0.0)])
        legs = {
            s: {"hip_flex": hip, "knee": knee, "ankle": ankle, "hip_add": abd, "hip_rot": hrot}
            for s in SIDES
        }
        return _compose(t, valgus, legs, trunk, arms, {s: act for s in SIDES},
                        {s: sup_h.copy() for s in SIDES}, xz,
                        valgus_activation={s: vact for s in SIDES})  # fmt: skip

    return Motion("drop_vertical_jump", end, valgus, sampler, box_height=bh,
                  box_front_x=box_front,
                  params={"box_height": bh, "peak_knee_flexion": pk, "quiet_s": quiet,
                          "recovery_s": rec, "knee_flexion_at_contact": kic})  # fmt: skip


def single_leg_landing(
    side: str = "r",
    box_height: float = 0.31,
    peak_knee_flexion: float = 60.0,
    quiet_s: float = 0.5,
    stabilise_s: float = 1.2,
    valgus: ValgusProfile | None = None,
) -> Motion:
    """Step off a box and land on one leg, absorb and hold the landing for ``stabilise_s``."""
    st = _side(side)
    free = "l" if st == "r" else "r"
    bh = check_positive("box_height", box_height, 0.1, 0.8)
    pk = check_positive("peak_knee_flexion", peak_knee_flexion, 30.0, 110.0)
    quiet = check_positive("quiet_s", quiet_s, 0.05, 5.0)
    hold = check_positive("stabilise_s", stabilise_s, 0.2, 10.0)
    valgus = valgus or ValgusProfile.neutral()
    p = _drop_phases(quiet)
    t0, lo, ic = p["t0"], p["lo"], p["ic"]
    pkt = ic + 0.18
    end = pkt + hold
    box_front = BOX_FRONT_X

    def sampler(t: np.ndarray) -> MotionSample:
        knee = track(t, [(0, 5), (t0, 5), (t0 + 0.1, 15), (lo, 12), (ic, 15), (pkt, pk),
                         (pkt + 0.4, 0.6 * pk), (end, 0.45 * pk)])  # fmt: skip
        hip = track(t, [(0, 4), (t0, 4), (t0 + 0.1, 12), (lo, 10), (ic, 20), (pkt, 0.7 * pk),
                        (pkt + 0.4, 0.5 * pk), (end, 0.35 * pk)])  # fmt: skip
        ankle = track(t, [(0, 2), (t0, 2), (lo, -15), (ic, -25), (ic + 0.07, 5), (pkt, 22),
                          (pkt + 0.4, 15), (end, 12)])  # fmt: skip
        # The free leg stays clear of the floor as the stance leg flexes.
        w = track(t, [(0, 0), (t0, 0), (lo, 1)])
        free_hip = (1 - w) * hip + w * (track(t, [(lo, 35), (end, 40)]) + 0.6 * knee)
        free_knee = (1 - w) * knee + w * (track(t, [(lo, 60), (end, 70)]) + 0.8 * knee)
        act = track(t, [(0, 0), (ic, 0), (pkt, 1), (pkt + 0.4, 0.6), (end, 0.4)])
        trunk = track(t, [(0, 3), (t0, 3), (ic, 10), (pkt, 30), (end, 15)])
        arms = _arms(
            t,
            [(0, 0), (lo, 30), (pkt, 10), (end, 15)],
            [(0, 10), (lo, 35), (pkt, 45), (end, 35)],
            [(0, 10), (end, 25)],
        )
        on_box = t < lo
        stance = np.where(on_box, bh, np.where(t >= ic, 0.0, np.nan))
        legs = {
            st: {"hip_flex": hip, "knee": knee, "ankle": ankle, "hip_add": 3.0 * (t >= ic)},
            free: {"hip_flex": free_hip, "knee": free_knee,
                   "ankle": (1 - w) * ankle - 15.0 * w, "hip_add": -3.0 * w},
        }  # fmt: skip
        xz = np.zeros((t.size, 2))
        xz[on_box, 0] = box_front - 0.21
        sup = {st: stance, free: np.where(t <= t0, bh, np.nan)}
        drop = {free: PELVIC_DROP_PER_ADDUCTION * valgus.side("hip_adduction", st) * act}
        return _compose(t, valgus, legs, trunk, arms, {st: act, free: 0 * t}, sup, xz, drop)

    return Motion("single_leg_landing", end, valgus, sampler, box_height=bh,
                  box_front_x=box_front,
                  params={"side": st, "box_height": bh, "peak_knee_flexion": pk,
                          "quiet_s": quiet, "stabilise_s": hold})  # fmt: skip
