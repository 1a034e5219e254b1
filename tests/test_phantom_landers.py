"""The phantom's drop-jump landers against published norms: a neutral (good) lander and a
high-valgus lander, in ground truth (no rendering)."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.errors import InputError
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, simulate
from kneesight.phantom.pose import SEGMENTS

CAM = CameraPlacement("d435", (424, 240), 60)
BODIES = [Body(1.70, "female"), Body(1.55, "female"), Body(1.85, "male")]


def _landing(sim) -> slice:
    t = sim.truth["time_s"]
    ic = int(np.argmin(np.abs(t - sim.events["initial_contact_s"])))
    to = int(np.argmin(np.abs(t - sim.events["take_off_s"])))
    return slice(ic, to + 1)


def _peak(sim, name: str) -> float:
    return float(max(sim.truth[f"{name}_{s}"][_landing(sim)].max() for s in "lr"))


def _knee_clearance(sim) -> float:
    """Smallest gap (m) between the left and right knee surfaces during the first landing.

    The landing is left-right symmetric, so the knees touch exactly when a vertex of the
    right leg within 10 cm of its knee centre crosses the mid-plane of the pelvis (its mirror
    image on the left leg crosses too); the gap is twice the closest approach to that plane.
    """
    skin, pose = sim.skin, sim.placement.pose
    leg = {s: np.isin(skin.owner, [SEGMENTS.index(f"thigh_{s}"), SEGMENTS.index(f"shank_{s}")])
           for s in "lr"}  # fmt: skip
    gap = np.inf
    sl = _landing(sim)
    for i in range(sl.start, sl.stop):
        v = skin.posed(pose, i, tuple(sim.sample.arch_drop_mm[s][i] / 1000 for s in "lr"))
        mid = 0.5 * (pose.joint_centre("hjc", "l")[i, 2] + pose.joint_centre("hjc", "r")[i, 2])
        kjc = pose.joint_centre("kjc", "r")[i]
        near = leg["r"] & (np.linalg.norm(v - kjc, axis=1) < 0.10)
        gap = min(gap, 2.0 * float(v[near, 2].min() - mid))
    return gap


@pytest.mark.parametrize("body", BODIES, ids=lambda b: f"{b.sex}-{b.stature}")
def test_neutral_drop_jump_is_a_good_landing(body: Body) -> None:
    sim = simulate(body, motions.drop_vertical_jump(), CAM)
    tr, sl = sim.truth, _landing(sim)
    hip_ir = tr["hip_internal_rotation_r"][sl]
    assert 0.0 <= hip_ir.min() and hip_ir.max() <= 5.0  # Souza & Powers 2009 controls 1.2 +/- 3.8
    assert _peak(sim, "fppa") < 7.0
    for s in "lr":
        assert tr[f"knee_flexion_{s}"][sl.start] == pytest.approx(33.0, abs=0.5)  # LESS: > 30
        assert tr[f"knee_flexion_{s}"][sl].max() - tr[f"knee_flexion_{s}"][sl.start] > 45.0
        assert tr[f"knee_valgus_{s}"][sl].max() <= 1.0 + 1e-9
    # Feet a little wider than the hips, not wider than twice the hip joint centre separation.
    ankles = abs(tr["ajc_r_z"][sl.start] - tr["ajc_l_z"][sl.start])
    hips = abs(tr["hjc_r_z"][sl.start] - tr["hjc_l_z"][sl.start])
    assert 1.2 * hips < ankles < 1.8 * hips
    # Knees over the feet: knee-to-ankle separation ratio well above the 0.6 of valgus landers.
    ratio = np.abs(tr["kjc_r_z"] - tr["kjc_l_z"])[sl] / np.abs(tr["ajc_r_z"] - tr["ajc_l_z"])[sl]
    assert ratio.min() > 0.7


@pytest.mark.parametrize("body", BODIES, ids=lambda b: f"{b.sex}-{b.stature}")
def test_high_valgus_drop_jump_is_clearly_but_plausibly_valgus(body: Body) -> None:
    sim = simulate(body, motions.drop_vertical_jump(valgus=ValgusProfile.high()), CAM)
    tr, sl = sim.truth, _landing(sim)
    assert 15.0 <= _peak(sim, "fppa") <= 25.0  # above the 7-13 deg female normal range
    assert 10.0 - 1e-6 <= _peak(sim, "hip_internal_rotation") <= 15.0
    assert 2.0 <= _peak(sim, "knee_valgus") <= 5.0  # static valgus is 0 here
    for s in "lr":
        arch = tr[f"arch_height_mm_{s}"]
        assert 10.0 < body.arch_height_mm - arch[sl].min() < 14.0
    assert _knee_clearance(sim) > 0.003


def test_high_valgus_knee_valgus_adds_to_static_genu_valgum() -> None:
    sim = simulate(Body(1.70, "female"),
                   motions.drop_vertical_jump(valgus=ValgusProfile.high(static_knee_valgus=4.0)),
                   CAM)  # fmt: skip
    assert _peak(sim, "knee_valgus") == pytest.approx(4.0 + 3.0, abs=1e-6)
    assert _peak(sim, "fppa") > 20.0


def test_neutral_knees_stay_well_apart() -> None:
    sim = simulate(Body(1.70, "female"), motions.drop_vertical_jump(), CAM)
    assert _knee_clearance(sim) > 0.03


@pytest.mark.parametrize("valgus", ["neutral", "high"])
def test_feet_are_flat_planted_and_on_the_floor(valgus: str) -> None:
    sim = simulate(Body(1.64, "male"),
                   motions.drop_vertical_jump(valgus=ValgusProfile.named(valgus)), CAM)  # fmt: skip
    pose, skin = sim.placement.pose, sim.skin
    t = sim.times
    stance = (t >= sim.events["initial_contact_s"]) & (t < sim.events["take_off_s"])
    pk = int(np.argmin(np.abs(t - sim.events["peak_knee_flexion_s"])))
    for s in "lr":
        low = skin.lowest_foot_point(pose, s)
        on = np.isfinite(sim.placement.support[s])
        np.testing.assert_allclose(low[on], sim.placement.support[s][on], atol=1e-6)
        ajc = pose.joint_centre("ajc", s)[stance]
        assert np.ptp(ajc[:, 0]) < 0.005 and np.ptp(ajc[:, 2]) < 0.005
        # At peak knee flexion the sole is flat: foot axis within 3 deg of horizontal.
        foot_x = pose.segment(f"foot_{s}")[0][pk][:, 0]
        assert abs(np.degrees(np.arcsin(foot_x[1]))) < 3.0
        # The foot points forward, toes slightly out: the neutral lander's foot progression
        # angle stays within 0-15 deg; the valgus lander's turns in a little at most.
        fx = pose.segment(f"foot_{s}")[0][stance][:, :, 0]
        toe_out = np.degrees(np.arctan2(fx[:, 2] * (1 if s == "r" else -1), fx[:, 0]))
        assert toe_out.max() < 15.0
        assert toe_out.min() > (0.0 if valgus == "neutral" else -5.0)


def test_knee_flexion_at_contact_is_a_parameter() -> None:
    stiff = motions.drop_vertical_jump(knee_flexion_at_contact=18.0)
    sim = simulate(Body(), stiff, CAM)
    ic = _landing(sim).start
    assert sim.truth["knee_flexion_r"][ic] == pytest.approx(18.0, abs=0.5)
    assert stiff.params["knee_flexion_at_contact"] == 18.0
    with pytest.raises(InputError, match="knee_flexion_at_contact"):
        motions.drop_vertical_jump(knee_flexion_at_contact=70.0)
    motions.drop_vertical_jump(peak_knee_flexion=60.0)  # the default contact flexion fits
    with pytest.raises(InputError, match="knee_flexion_at_contact"):
        motions.drop_vertical_jump(peak_knee_flexion=60.0, knee_flexion_at_contact=45.0)
