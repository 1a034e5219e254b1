"""Rendered depth is consistent with the lab geometry and the ground truth."""

from __future__ import annotations

import numpy as np
import pytest

import kneesight
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, simulate
from kneesight.phantom.noise import apply_noise
from kneesight.phantom.scene import BOX_FRONT_X, Scene


def _lab_points(sim, index):
    """Noise-free depth of a frame deprojected with the project's deprojection, in the lab."""
    z = sim.true_depth(index)
    depth = apply_noise(z, 1.0, 1.0, 0.001, np.random.default_rng(0), None)
    pts = kneesight.deproject(depth, sim.camera.intrinsics, 0.001).astype(np.float64)
    pts = pts[depth.ravel() > 0]
    t = sim.camera.lab_from_camera()
    return pts @ t[:3, :3].T + t[:3, 3]


@pytest.mark.parametrize(
    ("profile", "yaw"), [("d435", -30.0), ("d435", 0.0), ("d415", 15.0), ("d455", 30.0)]
)
def test_depth_deprojects_onto_the_lab_geometry(profile, yaw):
    cam = CameraPlacement(profile, (424, 240), 30, distance=2.2, height=1.1, yaw=yaw)
    sim = simulate(Body(), motions.drop_vertical_jump(), cam, duration_s=0.1)
    lab = _lab_points(sim, 0)
    # Floor points: low, and away from the box (x in [-0.7, -0.25]) and the wall (x = -1.2).
    x = lab[:, 0]
    front = BOX_FRONT_X
    back = front - Scene().box_size[0]
    floor = lab[(lab[:, 1] < 0.05) & ((x > front + 0.05) | ((x < back - 0.05) & (x > -1.15)))]
    assert floor.shape[0] > 1000
    assert np.abs(floor[:, 1]).max() < 0.003  # the floor is at y = 0 (1 mm depth units)
    box_top = lab[(np.abs(lab[:, 1] - 0.31) < 0.005)]
    assert box_top.shape[0] > 20  # the box top is seen at its height
    # The subject stands on the box: points up to near stature + box height, none higher.
    body = lab[(lab[:, 0] > -0.7) & (lab[:, 0] < 0.0) & (np.abs(lab[:, 2]) < 0.6)]
    assert body[:, 1].max() < 0.31 + 1.75 + 0.005


def test_knees_and_ankles_are_inside_the_rendered_surface():
    cam = CameraPlacement("d435", (848, 480), 30, distance=2.0, height=0.8, yaw=10.0)
    sim = simulate(Body(), motions.drop_vertical_jump(valgus=ValgusProfile.high()), cam)
    i = int(round(sim.events["peak_knee_flexion_s"] * cam.fps))
    lab = _lab_points(sim, i)
    for side in "lr":
        for joint, lo, hi in (("kjc", 0.03, 0.08), ("ajc", 0.02, 0.07)):
            c = np.array([sim.truth[f"{joint}_{side}_{a}"][i] for a in "xyz"])
            d = np.linalg.norm(lab - c, axis=1).min()
            assert lo < d < hi, (side, joint, d)


def test_high_speed_mode_is_the_centre_band_of_848x480():
    kw = {"distance": 2.0, "height": 0.6, "pitch": 0.0}
    full = CameraPlacement("d435", (848, 480), 90, **kw)
    band = CameraPlacement("d435", (848, 100), 300, **kw)
    motion = motions.static(duration_s=0.1)
    a = simulate(Body(), motion, full).true_depth(0)
    b = simulate(Body(), motion, band).true_depth(0)
    assert b.shape == (100, 848)
    np.testing.assert_allclose(b, a[190:290], rtol=1e-5)
