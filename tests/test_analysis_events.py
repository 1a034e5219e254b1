"""Landing events on synthetic drop vertical jumps with known event times.

The synthetic trials integrate a physical pelvis trajectory (free fall in flight, ground reaction
while in contact) and place the feet accordingly; the event times are known exactly. The same
generator feeds the metric and flag tests (``dvj_table``).
"""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.analysis.events import detect_events
from kneesight.conventions import FOOT_LOWEST, SIDES, column, per_side_columns
from kneesight.joint_angles import fppa

G = 9.81
BOX = 0.31
ANKLE_H = 0.08
TOE_RISE = 0.04
"""Ankle joint centre above its flat-foot height when the toes touch down (m)."""
HEEL_DROP_S = 0.06
"""Time for the heel to come down after the toes touch (s)."""


def _simulate(dt: float = 1e-3) -> dict[str, np.ndarray | float]:
    """Pelvis height and foot height at 1 kHz through a drop vertical jump; event times."""
    t_off = 0.6  # leaves the box
    hip_h = 0.92
    n = int(2.6 / dt)
    y = np.empty(n)
    foot = np.empty(n)
    y[0], v = hip_h + BOX + ANKLE_H, 0.0
    phase, tau = "box", 0.0
    ev: dict[str, float] = {}
    leg = hip_h
    for i in range(1, n):
        t = i * dt
        if phase == "box" and t >= t_off:
            phase, v = "fall", 0.3
        if phase == "box":
            a = 0.0
        elif phase in ("fall", "flight"):
            a = -G
        elif phase == "land":
            a = -G + (G + 16.0) * min(tau / 0.025, 1.0)
            if v >= 0.0:
                phase, ev["peak_knee_flexion_s"] = "push", t
        elif phase == "push":
            a = 9.0
            if v >= 2.3:
                phase, ev["take_off_s"] = "flight", t
                leg_to = y[i - 1] - ANKLE_H
        else:  # "land2"
            a = -G + (G + 16.0) * min(tau / 0.025, 1.0)
        v += a * dt
        y[i] = y[i - 1] + v * dt
        tau += dt
        if phase == "box":
            foot[i] = BOX + ANKLE_H
        elif phase == "fall":
            foot[i] = y[i] - leg
            if foot[i] <= ANKLE_H + TOE_RISE:
                phase, tau, ev["initial_contact_s"] = "land", 0.0, t
        elif phase in ("land", "push"):
            foot[i] = ANKLE_H + TOE_RISE * max(1 - tau / HEEL_DROP_S, 0.0)
        elif phase == "flight":
            foot[i] = y[i] - leg_to
            if v < 0 and foot[i] <= ANKLE_H + TOE_RISE:
                phase, tau, ev["second_contact_s"] = "land2", 0.0, t
        else:
            foot[i] = ANKLE_H + TOE_RISE * max(1 - tau / HEEL_DROP_S, 0.0)
    foot[0] = foot[1]
    return {"t": np.arange(n) * dt, "pelvis": y, "foot": foot, **ev}


SIM = _simulate()


def dvj_table(
    fps: float = 90.0,
    *,
    offset: float = 0.0,
    noise_m: float = 0.0,
    seed: int = 0,
    peak: dict[str, float] | None = None,
    static_valgus: float = 0.0,
    medial_mm: float = 0.0,
    arch_drop_mm: float = 4.0,
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """A kinematics table of a synthetic drop vertical jump and its true event times.

    ``peak`` gives the peak (at peak knee flexion) of valgus components in degrees, added to
    ``static_valgus`` for knee valgus; ``medial_mm`` moves the knees medially at peak flexion.
    """
    rng = np.random.default_rng(seed)
    t_hi = np.asarray(SIM["t"])
    t = np.arange(offset, t_hi[-1], 1.0 / fps)
    pelvis = np.interp(t, t_hi, SIM["pelvis"])
    foot = np.interp(t, t_hi, SIM["foot"])
    ev = {k: float(SIM[k]) for k in ("initial_contact_s", "peak_knee_flexion_s", "take_off_s",
                                     "second_contact_s")}  # fmt: skip
    ic, pkf, to = ev["initial_contact_s"], ev["peak_knee_flexion_s"], ev["take_off_s"]
    # bell-shaped loading profile 0..1 over the first landing, 1 at peak knee flexion
    load = np.where(
        (t >= ic) & (t <= to), np.sin(np.pi * np.clip((t - ic) / (2 * (pkf - ic)), 0, 1) ** 1), 0.0
    )
    load = np.where(
        t > pkf, np.where(t <= to, np.cos(0.5 * np.pi * (t - pkf) / (to - pkf)), 0.0), load
    )
    pk = {"hip_adduction": 4.0, "hip_internal_rotation": 3.0, "knee_valgus": 2.0, **(peak or {})}
    table: dict[str, np.ndarray] = {c: np.zeros(t.size) for c in per_side_columns()}
    table["time_s"] = t - t[0]
    table["frame"] = np.arange(t.size, dtype=np.float64) + 1000
    for s in SIDES:
        sign = 1.0 if s == "r" else -1.0  # lab Z points right
        hjc = np.stack([np.zeros_like(t), pelvis, np.full_like(t, 0.09 * sign)], axis=1)
        ajc = np.stack([np.zeros_like(t), foot, np.full_like(t, 0.11 * sign)], axis=1)
        kjc = 0.5 * (hjc + ajc)
        kjc[:, 0] += 0.15 * load
        kjc[:, 2] -= sign * medial_mm / 1000.0 * load
        for name, p in (("hjc", hjc), ("kjc", kjc), ("ajc", ajc)):
            for i, ax in enumerate("xyz"):
                table[f"{name}_{s}_{ax}"] = p[:, i] + rng.normal(0, noise_m, t.size)
        table[f"knee_flexion_{s}"] = 15.0 + 75.0 * load
        table[f"hip_flexion_{s}"] = 20.0 + 60.0 * load
        # foot kept level: dorsiflexion equals the shank's forward tilt
        shank = kjc - ajc
        table[f"ankle_dorsiflexion_{s}"] = np.degrees(np.arctan2(shank[:, 0], shank[:, 1]))
        table[f"hip_adduction_{s}"] = pk["hip_adduction"] * load
        table[f"hip_internal_rotation_{s}"] = pk["hip_internal_rotation"] * load
        table[f"knee_valgus_{s}"] = static_valgus + pk["knee_valgus"] * load
        table[f"knee_internal_rotation_{s}"] = 2.0 * load
        table[f"fppa_{s}"] = fppa(s, hjc, kjc, ajc)
        in_contact = (t >= ic) & (t <= to)
        table[f"arch_height_mm_{s}"] = 60.0 - arch_drop_mm * np.where(in_contact, load, 0.0)
    # events at frames, as the phantom marks them: the first frame in contact / in the air
    truth = {k: float(t[min(np.searchsorted(t, v), t.size - 1)] - t[0]) for k, v in ev.items()}
    truth["peak_knee_flexion_s"] = float(t[int(np.argmax(load))] - t[0])
    return table, truth


@pytest.mark.parametrize("fps", [30.0, 60.0, 90.0])
@pytest.mark.parametrize("offset", [0.0, 0.37, 0.71])
def test_events_within_one_frame_without_noise(fps: float, offset: float) -> None:
    table, truth = dvj_table(fps, offset=offset / fps)
    ev = detect_events(table, fps)
    for k, v in truth.items():
        assert ev.times[k] is not None, (k, ev.reasons)
        assert abs(ev.times[k] - v) * fps <= 1.0 + 1e-6, (k, ev.times[k], v)


@pytest.mark.parametrize("fps", [30.0, 90.0])
def test_events_within_one_frame_with_depth_noise(fps: float) -> None:
    # joint-centre noise of a model fitted to many depth points: 2 mm RMS per coordinate
    errs: dict[str, list[float]] = {}
    for seed in range(5):
        table, truth = dvj_table(fps, offset=0.3 * seed / fps, noise_m=0.002, seed=seed)
        ev = detect_events(table, fps)
        for k, v in truth.items():
            assert ev.times[k] is not None, (k, ev.reasons)
            errs.setdefault(k, []).append(abs(ev.times[k] - v) * fps)
    for k, e in errs.items():
        assert max(e) <= 1.0 + 1e-6, (k, e)


def test_peak_knee_flexion_within_one_frame_through_angle_noise() -> None:
    # the top of a landing's knee flexion is flat: with a degree of tracking noise its largest
    # sample lands several frames off the peak, the top's shape does not
    fps = 90.0
    errs = []
    for seed in range(12):
        table, truth = dvj_table(fps, offset=0.25 * seed / fps)
        rng = np.random.default_rng(seed)
        for s in SIDES:
            k = table[f"knee_flexion_{s}"]
            table[f"knee_flexion_{s}"] = k + rng.normal(0.0, 1.0, k.size)
        ev = detect_events(table, fps)
        assert ev.times["peak_knee_flexion_s"] is not None, ev.reasons
        errs.append(abs(ev.times["peak_knee_flexion_s"] - truth["peak_knee_flexion_s"]) * fps)
    assert max(errs) <= 1.0 + 1e-6, errs


def test_events_survive_untracked_gaps() -> None:
    fps = 60.0
    table, truth = dvj_table(fps)
    rng = np.random.default_rng(3)
    gone = rng.choice(table["time_s"].size, size=table["time_s"].size // 10, replace=False)
    for c in per_side_columns():
        table[c][gone] = np.nan
    ev = detect_events(table, fps)
    for k, v in truth.items():
        assert ev.times[k] is not None
        assert abs(ev.times[k] - v) * fps <= 1.0 + 1e-6, (k, ev.times[k], v)


def test_no_landing_gives_no_events_and_says_why() -> None:
    fps = 30.0
    table, _ = dvj_table(fps)
    n = table["time_s"].size
    for s in SIDES:  # quiet standing on the floor
        table[f"ajc_{s}_y"] = np.full(n, ANKLE_H)
        table[f"hjc_{s}_y"] = np.full(n, 0.92)
        table[f"knee_flexion_{s}"] = np.full(n, 5.0)
    ev = detect_events(table, fps)
    assert all(v is None for v in ev.times.values())
    assert "no landing" in ev.reasons["initial_contact_s"]


def test_squat_has_peak_knee_flexion_and_no_landing() -> None:
    """Feet on the floor throughout while the knees bend to 90 deg and back: no contact
    events, and peak knee flexion at the deepest frame (as the phantom marks a squat)."""
    fps = 60.0
    table, _ = dvj_table(fps)
    n = table["time_s"].size
    t = table["time_s"]
    knee = 5.0 + 85.0 * np.sin(np.pi * np.clip((t - 0.5) / 1.5, 0.0, 1.0))
    for s in SIDES:
        table[f"ajc_{s}_y"] = np.full(n, ANKLE_H)
        table[f"hjc_{s}_y"] = 0.92 - 0.004 * (knee - 5.0)
        table[f"knee_flexion_{s}"] = knee.copy()
    ev = detect_events(table, fps)
    for k in ("initial_contact_s", "take_off_s", "second_contact_s"):
        assert ev.times[k] is None and "no landing" in ev.reasons[k]
    assert ev.times["peak_knee_flexion_s"] == pytest.approx(t[int(np.argmax(knee))])


def test_person_free_table_gives_no_events() -> None:
    table, _ = dvj_table(30.0)
    for c in per_side_columns():
        table[c][:] = np.nan
    ev = detect_events(table, 30.0)
    assert all(v is None for v in ev.times.values())
    assert ev.reasons["initial_contact_s"]


def test_landing_lost_by_the_tracker_is_not_invented() -> None:
    """The tracker loses the legs from just before to just after touch-down: no contact time
    is made up from the frames around the gap."""
    fps = 60.0
    table, truth = dvj_table(fps)
    t = table["time_s"]
    gap = (t > truth["initial_contact_s"] - 0.08) & (t < truth["initial_contact_s"] + 0.08)
    for c in per_side_columns():
        table[c][gap] = np.nan
    ev = detect_events(table, fps)
    assert ev.times["initial_contact_s"] is None
    assert "tracked" in ev.reasons["initial_contact_s"]


def test_single_frame_tracker_slips_do_not_move_events() -> None:
    fps = 60.0
    table, truth = dvj_table(fps)
    t = table["time_s"]
    for when, dy in ((truth["initial_contact_s"] - 0.05, 0.3), (truth["take_off_s"] - 0.1, -0.2)):
        i = int(np.argmin(np.abs(t - when)))
        for s in SIDES:
            table[f"ajc_{s}_y"][i] += dy
    ev = detect_events(table, fps)
    for k, v in truth.items():
        assert ev.times[k] is not None, (k, ev.reasons)
        assert abs(ev.times[k] - v) * fps <= 1.0 + 1e-6, (k, ev.times[k], v)


def _tracker_like(
    fps: float, seed: int, *, lag_m: float = 0.06, overshoot_m: float = 0.03, noise_m: float = 0.005
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """A drop jump with the errors a depth tracker makes around touch-down (as measured on
    tracked phantom trials): in the late fall the fitted legs lag ``lag_m`` above the body,
    catch up in one frame two frames before the feet touch, overshoot ``overshoot_m`` below
    and settle at contact; the ankle angle is noisy (the foot is small in the depth image)
    and the joint centres have ``noise_m`` of noise."""
    table, truth = dvj_table(fps, offset=0.4 * seed / fps, seed=seed)
    rng = np.random.default_rng(100 + seed)
    t = table["time_s"]
    for key in ("initial_contact_s", "second_contact_s"):
        ic = int(np.argmin(np.abs(t - truth[key])))
        err = np.zeros(t.size)
        err[ic - int(0.12 * fps) : ic - 2] = lag_m
        err[ic - 2 : ic] = -overshoot_m
        for s in SIDES:
            for j in ("ajc", "kjc", "hjc"):
                table[f"{j}_{s}_y"] += err
    for s in SIDES:
        for j in ("ajc", "kjc", "hjc"):
            for ax in "xyz":
                table[f"{j}_{s}_{ax}"] += rng.normal(0.0, noise_m, t.size)
        table[f"ankle_dorsiflexion_{s}"] += rng.normal(0.0, 15.0, t.size)
    return table, truth


@pytest.mark.parametrize("fps", [60.0, 90.0])
def test_touch_downs_within_one_frame_through_tracker_lag_and_catch_up(fps: float) -> None:
    errs: dict[str, list[float]] = {}
    for seed in range(4):
        table, truth = _tracker_like(fps, seed)
        ev = detect_events(table, fps)
        for k in ("initial_contact_s", "second_contact_s", "take_off_s"):
            assert ev.times[k] is not None, (k, ev.reasons)
            errs.setdefault(k, []).append((ev.times[k] - truth[k]) * fps)
    for k, e in errs.items():
        assert max(abs(x) for x in e) <= 1.0 + 1e-6, (k, e)


def test_fit_stuck_above_the_floor_after_landing_is_not_a_take_off() -> None:
    """The fit loses the feet after touch-down and holds them 8 cm up, knees straight, for a
    few frames: the take-off is still the real one, and the peak knee flexion follows it."""
    fps = 90.0
    table, truth = dvj_table(fps)
    t = table["time_s"]
    ic = int(np.argmin(np.abs(t - truth["initial_contact_s"])))
    stuck = slice(ic + 10, ic + 16)
    for s in SIDES:
        table[f"ajc_{s}_y"][stuck] = ANKLE_H + 0.09
        table[f"knee_flexion_{s}"][stuck] = -10.0
    ev = detect_events(table, fps)
    for k, v in truth.items():
        assert ev.times[k] is not None, (k, ev.reasons)
        assert abs(ev.times[k] - v) * fps <= 1.0 + 1e-6, (k, ev.times[k], v)


def test_fit_dipping_to_the_floor_on_the_box_is_not_a_landing() -> None:
    """While the subject stands on the box the fit drops the feet to the floor for 3 frames
    and comes back: the landing is still the real one."""
    fps = 90.0
    table, truth = dvj_table(fps)
    for s in SIDES:
        table[f"ajc_{s}_y"][20:23] = ANKLE_H
        table[f"knee_flexion_{s}"][20:23] = 60.0
    ev = detect_events(table, fps)
    for k, v in truth.items():
        assert ev.times[k] is not None, (k, ev.reasons)
        assert abs(ev.times[k] - v) * fps <= 1.0 + 1e-6, (k, ev.times[k], v)


def test_leg_left_on_the_box_by_the_fit_does_not_set_peak_knee_flexion() -> None:
    """Around touch-down the fit leaves one foot up at the box height and bends that knee past
    the real peak: peak knee flexion comes from the leg on the floor."""
    fps = 90.0
    table, truth = dvj_table(fps)
    t = table["time_s"]
    ic = int(np.argmin(np.abs(t - truth["initial_contact_s"])))
    stuck = slice(ic + 1, ic + 6)
    table["ajc_l_y"][stuck] = BOX + ANKLE_H
    table["knee_flexion_l"][stuck] = np.linspace(100.0, 115.0, 5)
    ev = detect_events(table, fps)
    for k, v in truth.items():
        assert ev.times[k] is not None, (k, ev.reasons)
        assert abs(ev.times[k] - v) * fps <= 1.0 + 1e-6, (k, ev.times[k], v)


def test_legs_brought_down_at_the_top_of_the_jump_are_not_a_second_landing() -> None:
    """The fit loses the flight and holds the feet on the floor for 0.16 s at the top of the
    jump (the pelvis still high): too soon after take-off for the body's rise, so the second
    contact is the real one."""
    fps = 90.0
    table, truth = dvj_table(fps)
    t = table["time_s"]
    top = 0.5 * (truth["take_off_s"] + truth["second_contact_s"])
    fake = (t > top - 0.1) & (t < top + 0.06)
    for s in SIDES:
        table[f"ajc_{s}_y"][fake] = ANKLE_H
    ev = detect_events(table, fps)
    for k, v in truth.items():
        assert ev.times[k] is not None, (k, ev.reasons)
        assert abs(ev.times[k] - v) * fps <= 1.0 + 1e-6, (k, ev.times[k], v)


def _lagging_push_off(fps: float, seed: int, lag: int = 2) -> tuple[dict[str, np.ndarray], dict]:
    """A drop jump whose fitted legs lag the push-off by ``lag`` frames (the temporal prior
    of a tracker holding the feet through the acceleration), with the tracker's measured
    lowest points around the feet: the true foot's sole, 2 cm up (the floor's noise band is
    cut away with the floor), with 3 mm of noise."""
    table, truth = dvj_table(fps, offset=0.3 * seed / fps, seed=seed)
    rng = np.random.default_rng(200 + seed)
    t = table["time_s"]
    to = int(np.argmin(np.abs(t - truth["take_off_s"])))
    for s in SIDES:
        sole = table[f"ajc_{s}_y"] - ANKLE_H
        table[column(FOOT_LOWEST, s)] = 0.02 + np.maximum(sole, 0.0) + rng.normal(0, 0.003, t.size)
        for j in ("ajc", "kjc", "hjc"):
            y = table[f"{j}_{s}_y"]
            held = y.copy()
            held[to - 4 :] = y[to - 4 - lag : y.size - lag]
            table[f"{j}_{s}_y"] = held
    return table, truth


@pytest.mark.parametrize("fps", [60.0, 90.0])
def test_take_off_from_the_measured_feet_through_a_lagging_fit(fps: float) -> None:
    """The fitted feet leave the floor two frames after the toes do; the lowest points the
    tracker measured around the feet place take-off within one frame, where the fitted toe
    alone places it late."""
    late = []
    for seed in range(3):
        table, truth = _lagging_push_off(fps, seed)
        ev = detect_events(table, fps)
        assert ev.times["take_off_s"] is not None, ev.reasons
        assert abs(ev.times["take_off_s"] - truth["take_off_s"]) * fps <= 1.0 + 1e-6
        assert "lowest points" in ev.method["take_off_s"]
        fitted_only = {k: v for k, v in table.items() if not k.startswith(FOOT_LOWEST)}
        ev = detect_events(fitted_only, fps)
        late.append((ev.times["take_off_s"] - truth["take_off_s"]) * fps)
    assert min(late) >= 1.5, late


def _box_hidden_fall(fps: float, seed: int, hidden: float) -> tuple[dict[str, np.ndarray], dict]:
    """A drop jump with the tracker's measured lowest points around the feet (the toes of the
    plantarflexed foot, which touch down first, 2 cm up, with 3 mm of noise) held at the top
    of the box while the falling foot is within ``hidden`` m below it (in front of the box's
    face, cut away with it): they step down when the foot comes out of it."""
    table, truth = dvj_table(fps, offset=0.3 * seed / fps, seed=seed)
    rng = np.random.default_rng(300 + seed)
    t = table["time_s"]
    ic = truth["initial_contact_s"]
    for s in SIDES:
        toes = np.maximum(table[f"ajc_{s}_y"] - ANKLE_H - TOE_RISE, 0.0)
        low = 0.02 + toes + rng.normal(0, 0.003, t.size)
        low[(t < ic) & (toes > BOX - hidden)] = BOX + rng.normal(0, 0.003)
        table[column(FOOT_LOWEST, s)] = low
    return table, truth


@pytest.mark.parametrize("fps", [60.0, 90.0])
def test_measured_feet_stepping_down_from_the_box_top_are_not_a_touch_down(fps: float) -> None:
    """The lowest points around the falling feet stay at the top of the box until the feet
    come out in front of its face, then step down 13-16 cm in a frame (as measured 2.3-2.4 m
    from the camera): a step faster than a foot moves is a break in the measurement, not the
    velocity change of a touch-down, and initial contact stays within one frame."""
    for seed in range(3):
        table, truth = _box_hidden_fall(fps, seed, hidden=0.15 + 0.01 * seed)
        ev = detect_events(table, fps)
        assert ev.times["initial_contact_s"] is not None, ev.reasons
        err = (ev.times["initial_contact_s"] - truth["initial_contact_s"]) * fps
        assert abs(err) <= 1.0 + 1e-6, (seed, err)
        assert "lowest points" in ev.method["initial_contact_s"]
