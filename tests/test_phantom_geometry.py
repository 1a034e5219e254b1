"""Phantom ground truth against geometry: joint centres, FPPA, segment lengths, feet, events."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.conventions import ANGLES, GROUND_TRUTH_COLUMNS
from kneesight.joint_angles import joint_angles, joint_rotation
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, simulate
from kneesight.phantom.pose import SEGMENTS

CAM = CameraPlacement("d435", (424, 240), 90)


@pytest.fixture(scope="module")
def dvj():
    return simulate(Body(1.72, "female"), motions.drop_vertical_jump(valgus=ValgusProfile.high()),
                    CAM)  # fmt: skip


def _fppa_numpy(side, hip, knee, ankle):
    """FPPA computed here from first principles: frontal plane (z, y), signed by side."""
    lat = 1.0 if side == "r" else -1.0
    t = np.stack([knee[:, 2] - hip[:, 2], knee[:, 1] - hip[:, 1]], -1)
    s = np.stack([ankle[:, 2] - knee[:, 2], ankle[:, 1] - knee[:, 1]], -1)
    cross = t[:, 0] * s[:, 1] - t[:, 1] * s[:, 0]
    dot = (t * s).sum(1)
    return np.degrees(np.arctan2(lat * cross, dot))


def _centre(truth, joint, side):
    return np.stack([truth[f"{joint}_{side}_{a}"] for a in "xyz"], -1)


def test_truth_has_exactly_the_ground_truth_columns(dvj):
    assert tuple(dvj.truth) == GROUND_TRUTH_COLUMNS
    n = len(dvj.truth["frame"])
    assert all(len(v) == n for v in dvj.truth.values())
    assert np.all(np.diff(dvj.truth["frame"]) == 1)
    assert dvj.truth["time_s"][0] == 0.0
    assert np.allclose(np.diff(dvj.truth["time_s"]), 1 / 90)


def _truth_rotation(truth, joint, side, i):
    """The joint rotation of row ``i`` from the truth's three angles of ``joint``."""
    names = [a for a in ANGLES if a.startswith(f"{joint}_")]
    return joint_rotation(joint, side, tuple(truth[f"{a}_{side}"][i] for a in names))


@pytest.mark.parametrize("side", ["l", "r"])
def test_joint_centres_follow_from_the_angles_and_lengths(dvj, side):
    body, tr = dvj.body, dvj.truth
    hjc, kjc, ajc = (_centre(tr, j, side) for j in ("hjc", "kjc", "ajc"))
    rp = dvj.sample.pelvis_rotation
    for i in range(0, len(hjc), 7):
        r_thigh = rp[i] @ _truth_rotation(tr, "hip", side, i)
        k = hjc[i] + r_thigh @ np.array([0.0, -body.thigh_length, 0.0])
        np.testing.assert_allclose(k, kjc[i], atol=1e-6)
        r_shank = r_thigh @ _truth_rotation(tr, "knee", side, i)
        a = kjc[i] + r_shank @ np.array([0.0, -body.shank_length, 0.0])
        np.testing.assert_allclose(a, ajc[i], atol=1e-6)
    thigh = np.linalg.norm(hjc - kjc, axis=1)
    shank = np.linalg.norm(kjc - ajc, axis=1)
    np.testing.assert_allclose(thigh, body.thigh_length, atol=1e-6)
    np.testing.assert_allclose(shank, body.shank_length, atol=1e-6)


@pytest.mark.parametrize("side", ["l", "r"])
def test_fppa_is_the_angle_of_the_joint_centres(dvj, side):
    tr = dvj.truth
    hjc, kjc, ajc = (_centre(tr, j, side) for j in ("hjc", "kjc", "ajc"))
    np.testing.assert_allclose(tr[f"fppa_{side}"], _fppa_numpy(side, hjc, kjc, ajc), atol=1e-4)


def test_rendered_segments_carry_the_truth_angles(dvj):
    """The posed segment rotations decompose back into the truth angles."""
    pose, tr = dvj.placement.pose, dvj.truth
    ix = {s: i for i, s in enumerate(SEGMENTS)}
    for i in (0, 90, 101, 150):
        for side in "lr":
            rt = pose.rotation[i, ix[f"thigh_{side}"]]
            rs = pose.rotation[i, ix[f"shank_{side}"]]
            rf = pose.rotation[i, ix[f"foot_{side}"]]
            knee = joint_angles("knee", side, rt.T @ rs)
            np.testing.assert_allclose(knee, [tr[f"knee_flexion_{side}"][i],
                                              tr[f"knee_valgus_{side}"][i],
                                              tr[f"knee_internal_rotation_{side}"][i]],
                                       atol=1e-6)  # fmt: skip
            dorsi = joint_angles("ankle", side, rs.T @ rf)[0]
            assert dorsi == pytest.approx(tr[f"ankle_dorsiflexion_{side}"][i], abs=1e-6)


def test_feet_rest_on_the_floor_or_box_in_stance_and_are_planted(dvj):
    skin, pose = dvj.skin, dvj.placement.pose
    for side in "lr":
        low = skin.lowest_foot_point(pose, side)
        sup = dvj.placement.support[side]
        on = np.isfinite(sup)
        np.testing.assert_allclose(low[on], sup[on], atol=1e-6)
        assert np.all(low[~on] > -1e-6)
        assert low[~on].max() > 0.2  # a real jump
        # No sliding during the first floor contact: ankle centre horizontal drift < 5 mm.
        t = dvj.times
        ic, to = dvj.events["initial_contact_s"], dvj.events["take_off_s"]
        stance = (t >= ic) & (t < to)
        ajc = pose.joint_centre("ajc", side)[stance]
        assert np.ptp(ajc[:, 0]) < 0.005 and np.ptp(ajc[:, 2]) < 0.005
    # The posed mesh itself touches the floor at peak knee flexion, and no vertex is below it.
    i = int(round(dvj.events["peak_knee_flexion_s"] * 90))
    v = skin.posed(pose, i, (0.0, 0.0))
    assert v[:, 1].min() == pytest.approx(0.0, abs=2e-4)


def test_dvj_events_and_timing(dvj):
    ev = dvj.events
    assert ev["initial_contact_s"] < ev["peak_knee_flexion_s"] < ev["take_off_s"]
    assert ev["take_off_s"] < ev["second_contact_s"]
    tr = dvj.truth
    t = tr["time_s"]
    peak = tr["knee_flexion_r"].max()
    assert 80.0 <= peak <= 105.0
    assert t[np.argmax(tr["knee_flexion_r"])] == pytest.approx(ev["peak_knee_flexion_s"], abs=0.02)
    # Feet leave the box and land about 0.25 s later.
    sup = dvj.placement.support["r"]
    left_box = dvj.times[np.flatnonzero(~np.isfinite(sup))[0]]
    assert ev["initial_contact_s"] - left_box == pytest.approx(0.25, abs=0.02)
    assert 0.3 < ev["take_off_s"] - ev["initial_contact_s"] < 0.7
    # The landing is centred on the lab origin.
    i = int(round(ev["initial_contact_s"] * 90))
    mid = 0.5 * (_centre(tr, "ajc", "l")[i] + _centre(tr, "ajc", "r")[i])
    assert abs(mid[0]) < 0.01 and abs(mid[2]) < 0.01


def test_high_valgus_profile_gives_more_valgus_than_neutral():
    body = Body()
    peak = {}
    for name in ("neutral", "high"):
        sim = simulate(body, motions.drop_vertical_jump(valgus=ValgusProfile.named(name)), CAM)
        tr = sim.truth
        peak[name] = {q: max(tr[f"{q}_l"].max(), tr[f"{q}_r"].max())
                      for q in ("fppa", "hip_internal_rotation", "knee_valgus")}  # fmt: skip
        peak[name]["arch"] = tr["arch_height_mm_r"].min()
    assert peak["high"]["fppa"] > peak["neutral"]["fppa"] + 10.0
    assert peak["high"]["hip_internal_rotation"] > peak["neutral"]["hip_internal_rotation"] + 3
    assert peak["high"]["knee_valgus"] > peak["neutral"]["knee_valgus"]
    assert peak["high"]["arch"] < peak["neutral"]["arch"] - 3.0
    assert peak["neutral"]["fppa"] < 12.0


def test_asymmetric_profile_is_asymmetric():
    v = ValgusProfile(hip_internal_rotation=(2, 10), knee_valgus=(0, 4), arch_drop_mm=(3, 12))
    tr = simulate(Body(), motions.drop_vertical_jump(valgus=v), CAM).truth
    assert tr["fppa_r"].max() > tr["fppa_l"].max() + 5.0
    assert tr["arch_height_mm_r"].min() < tr["arch_height_mm_l"].min() - 5.0


def test_static_trial_stands_on_the_origin_with_its_static_valgus():
    v = ValgusProfile.neutral(static_knee_valgus=8.0)
    sim = simulate(Body(), motions.static(duration_s=2.0, valgus=v), CAM)
    tr = sim.truth
    mid = 0.5 * (_centre(tr, "ajc", "l") + _centre(tr, "ajc", "r"))
    assert np.abs(mid[:, [0, 2]]).max() < 0.005
    np.testing.assert_allclose(tr["knee_valgus_l"], 8.0)
    np.testing.assert_allclose(tr["knee_valgus_r"], 8.0)
    assert tr["fppa_l"].min() > 4.0 and tr["fppa_r"].min() > 4.0
    # Postural sway: the hips move a little, never more than a few centimetres.
    hjc = _centre(tr, "hjc", "r")
    assert 0.0005 < np.ptp(hjc[:, 0]) < 0.05
    assert all(sim.events[k] is None for k in sim.events)


@pytest.mark.parametrize(
    "make",
    [
        lambda v: motions.squat(reps=1, valgus=v),
        lambda v: motions.single_leg_squat(side="l", reps=1, valgus=v),
        lambda v: motions.single_leg_landing(side="r", valgus=v),
    ],
)
def test_other_motions_keep_feet_on_the_ground(make):
    sim = simulate(Body(), make(ValgusProfile.high()), CAM)
    for side in "lr":
        low = sim.skin.lowest_foot_point(sim.placement.pose, side)
        sup = sim.placement.support[side]
        on = np.isfinite(sup)
        np.testing.assert_allclose(low[on], sup[on], atol=1e-6)
        assert np.all(low[~on] > -1e-6)
    assert sim.events["peak_knee_flexion_s"] is not None


@pytest.mark.parametrize(
    "make",
    [
        lambda: motions.squat(reps=1),
        lambda: motions.single_leg_landing(side="r"),
        lambda: motions.drop_vertical_jump(),
    ],
)
def test_a_foot_on_its_support_never_points_its_toes_up(make):
    # deep in a squat the motion's dorsiflexion outruns the shank's lean: a foot stood on its
    # heel would raise the toes by 5 cm; the dorsiflexion gives way and the truth reports it
    sim = simulate(Body(1.65, "female"), make(), CAM)
    pose, tr = sim.placement.pose, sim.truth
    for side in "lr":
        on = np.isfinite(sim.placement.support[side])
        pitch = sim.skin.sole_pitch(pose, side)
        assert pitch[on].max() < 0.2
        # the forefoot stands on the support with the heel: its lowest point is within a
        # millimetre of it (toes pointing down, landing or pushing off, are the motion's own)
        foot = sim.skin.foot_vertices[side]
        r, o = pose.segment(f"foot_{side}")
        v = sim.skin.vertices[foot]
        front = v[:, 0] > v[:, 0].max() - 0.05
        y = np.einsum("nj,kj->nk", r[:, 1, :], v[front]) + o[:, 1:2]
        gap = y.min(axis=1) - sim.placement.support[side]
        assert np.nanmax(gap[on]) < 0.002
        # what the truth reports is the ankle the body was posed with
        rs, rf = pose.segment(f"shank_{side}")[0], r
        i = int(np.flatnonzero(on)[len(np.flatnonzero(on)) // 2])
        dorsi = joint_angles("ankle", side, rs[i].T @ rf[i])[0]
        assert dorsi == pytest.approx(tr[f"ankle_dorsiflexion_{side}"][i], abs=1e-6)
