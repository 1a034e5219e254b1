"""Lab frame and subject segmentation (kneesight.scene) on phantom recordings."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from kneesight import CalibrationError, InputError, scene
from kneesight.io import open_recording
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, motions, render_trial, simulate
from kneesight.phantom.noise import apply_noise
from kneesight.phantom.render import DepthRenderer
from kneesight.phantom.trial import Simulation


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    c = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


@cache
def drop_jump(yaw: float, distance: float = 2.2, height: float = 1.0) -> Simulation:
    """A drop vertical jump from the 31 cm box seen by a D435 (default 2.2 m away, 1 m high)."""
    cam = CameraPlacement("d435", distance=distance, height=height, yaw=yaw)
    return simulate(Body(1.75, "male"), motions.drop_vertical_jump(), cam)


def frame(sim: Simulation, i: int, seed: int = 0) -> tuple[DepthFrame, np.ndarray]:
    """Noisy depth frame ``i`` of a simulation and its true depth (metres, inf = none)."""
    k = sim.camera.intrinsics
    z = sim.true_depth(i)
    rng = np.random.default_rng(1000 * seed + i)
    d = apply_noise(z, k.fx, sim.camera.baseline, 0.001, rng, NoiseModel())
    return DepthFrame(d, i + 1, 0.0, 0.001, k), z


def person_mask(sim: Simulation, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels showing the body (in front of the static scene), and their true lab height."""
    static = DepthRenderer(sim.camera, sim.scene).depth()
    k = sim.camera.intrinsics
    v, u = np.mgrid[0 : k.height, 0 : k.width]
    zz = np.where(np.isfinite(z), z, 0.0)
    cam = np.stack([(u - k.ppx) / k.fx * zz, (v - k.ppy) / k.fy * zz, zz], axis=-1)
    t = sim.camera.lab_from_camera()
    height = (cam @ t[:3, :3].T + t[:3, 3])[..., 1]
    return z < static - 0.02, height


def rates(sim: Simulation, f: DepthFrame, z: np.ndarray, pixels: np.ndarray) -> tuple[float, float]:
    """Share of the body's sampled pixels (more than 4 cm above the floor, with depth) that
    are kept, and share of the kept pixels that are not the body."""
    person, height = person_mask(sim, z)
    kept = np.zeros(z.shape, bool)
    kept.flat[pixels] = True
    rows, cols = np.unravel_index(pixels, z.shape)
    grid = np.zeros(z.shape, bool)
    grid[rows.min() % 2 :: 2, cols.min() % 2 :: 2] = True
    body = person & (height > 0.04) & (f.depth > 0) & grid
    recall = (kept & body).sum() / max(body.sum(), 1)
    impurity = (kept & ~person).sum() / max(kept.sum(), 1)
    return float(recall), float(impurity)


def test_lab_frame_from_a_recorded_static_trial_matches_the_truth(tmp_path):
    cam = CameraPlacement("d435", distance=2.0, height=1.1, yaw=20.0)
    trial = render_trial(
        Body(1.65, "female"), motions.static(), cam, tmp_path / "static.db3", duration_s=0.15
    )
    with open_recording(trial.recording) as rec:
        frames = list(rec)
    lab = scene.estimate_lab_frame(frames)
    truth = np.asarray(json.loads(trial.truth_json.read_text())["camera"]["lab_from_camera"])
    up_cam = truth[:3, :3].T @ np.array([0.0, 1.0, 0.0])
    assert angle_deg(lab.rotation[1], up_cam) < 1.0
    assert lab.camera_position[1] == pytest.approx(1.1, abs=0.02)
    # the axes: orthonormal, right-handed, X horizontal toward the camera
    r = lab.rotation
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(r) == pytest.approx(1.0)
    cam_true = truth[:3, 3]
    x_true = truth[:3, :3] @ r[0]
    to_cam = np.array([cam_true[0], 0.0, cam_true[2]]) / np.hypot(cam_true[0], cam_true[2])
    assert angle_deg(x_true, to_cam) < 5.0
    # origin on the floor below the subject (the truth origin is at the feet)
    origin = truth[:3, :3] @ lab.to_camera(np.zeros((1, 3)))[0] + truth[:3, 3]
    assert abs(origin[1]) < 0.02 and np.hypot(origin[0], origin[2]) < 0.15
    # JSON round trip and point transforms
    again = scene.LabFrame.from_dict(json.loads(json.dumps(lab.to_dict())))
    assert again == lab
    pts = np.random.default_rng(0).normal(size=(20, 3))
    np.testing.assert_allclose(lab.to_camera(lab.to_lab(pts)), pts, atol=1e-12)
    np.testing.assert_allclose(lab.to_lab(np.zeros((1, 3)))[0], lab.camera_position)


@pytest.mark.parametrize(
    ("yaw", "distance", "height", "min_recall"),
    # from 3 m the D435 noise is ~35 mm and the body narrow: more of its silhouette edge and
    # feet is lost to the flying-pixel and floor tests
    [(0.0, 2.2, 1.0, 0.95), (25.0, 2.2, 1.0, 0.95), (30.0, 3.0, 1.5, 0.92)],
)
def test_landing_in_front_of_the_box_keeps_the_athlete_and_drops_the_box(
    yaw, distance, height, min_recall
):
    sim = drop_jump(yaw, distance, height)
    learn = [frame(sim, i)[0] for i in range(0, 25, 6)]  # standing on the box
    lab = scene.estimate_lab_frame(learn)
    up_cam = sim.camera.lab_from_camera()[:3, :3].T @ np.array([0.0, 1.0, 0.0])
    assert angle_deg(lab.rotation[1], up_cam) < 1.0
    bg = scene.learn_background(learn, lab)
    assert len(bg) >= 2 and 0.5 < bg.noise_per_m2 / (0.015 / 4) < 2.0
    contact = int(round(sim.events["initial_contact_s"] * sim.camera.fps))
    t = sim.camera.lab_from_camera()
    box = sim.scene
    for i in (contact, contact + 15):
        f, z = frame(sim, i, seed=1)
        points, pixels = scene.segment_subject(f, lab, bg, return_pixels=True)
        assert points.dtype == np.float32 and points.shape == (len(pixels), 3)
        recall, impurity = rates(sim, f, z, pixels)
        assert recall > min_recall, f"frame {i}: body recall {recall:.3f}"
        assert impurity < 0.02, f"frame {i}: {impurity:.3f} of the points are not the body"
        # no point inside (or on) the box, in the true lab frame
        cam_pts = lab.to_camera(points.astype(np.float64))
        true = cam_pts @ t[:3, :3].T + t[:3, 3]
        x0 = box.box_front_x - box.box_size[0]
        z0 = box.box_centre_z - box.box_size[1] / 2
        inside = (
            (true[:, 0] > x0 - 0.02)
            & (true[:, 0] < box.box_front_x + 0.02)
            & (true[:, 1] < box.box_height + 0.02)
            & (true[:, 2] > z0 - 0.02)
            & (true[:, 2] < z0 + box.box_size[1] + 0.02)
        )
        assert inside.sum() <= 0.002 * len(points), f"frame {i}: {inside.sum()} box points"


def test_bounds_limit_the_points_and_an_empty_view_gives_nothing():
    sim = drop_jump(0.0)
    learn = [frame(sim, i)[0] for i in range(0, 25, 6)]
    lab = scene.estimate_lab_frame(learn)
    bg = scene.learn_background(learn, lab)
    f, _ = frame(sim, 100)
    found = scene.find_subject(f, lab, bg)
    assert found is not None
    lo, hi = found
    assert hi[1] > 1.4 and lo[1] < 0.05, "the box spans the person from the floor up"
    legs = (np.array([lo[0], -0.1, lo[2]]), np.array([hi[0], 0.6, hi[2]]))
    points = scene.segment_subject(f, lab, bg, legs)
    assert len(points) > 500 and points[:, 1].max() <= 0.6
    empty = DepthFrame(np.zeros_like(f.depth), 1, 0.0, 0.001, f.intrinsics)
    assert scene.find_subject(empty, lab, bg) is None
    nothing = scene.segment_subject(empty, lab, bg)
    assert nothing.shape == (0, 3) and nothing.dtype == np.float32
    # one segmenter over a stream gives the same points as the one-off call
    seg = scene.SubjectSegmenter(f.intrinsics, f.depth_scale, lab, bg, 2)
    p1, _ = seg.segment(f.depth, legs)
    p2, _ = seg.segment(f.depth, legs)
    np.testing.assert_array_equal(p1, points)
    np.testing.assert_array_equal(p2, points)


def test_bad_input_is_named():
    sim = drop_jump(0.0)
    f, _ = frame(sim, 0)
    with pytest.raises(InputError, match="non-empty"):
        scene.estimate_lab_frame([])
    other = DepthFrame(f.depth[:, :424].copy(), 2, 0.0, 0.001, CameraPlacement(
        "d435", resolution=(424, 240)).intrinsics)  # fmt: skip
    with pytest.raises(InputError, match=r"frames\[1\]"):
        scene.estimate_lab_frame([f, other])
    blank = DepthFrame(np.zeros_like(f.depth), 1, 0.0, 0.001, f.intrinsics)
    with pytest.raises(CalibrationError, match="no floor"):
        scene.estimate_lab_frame([blank])
    wall = DepthFrame(np.full_like(f.depth, 2000), 1, 0.0, 0.001, f.intrinsics)
    with pytest.raises(CalibrationError, match="no floor"):
        scene.estimate_floor(wall)
    lab = scene.estimate_lab_frame([f])
    bg = scene.learn_background([f], lab)
    with pytest.raises(InputError, match="bounds"):
        scene.segment_subject(f, lab, bg, (np.array([1.0, 1.0, 1.0]), np.zeros(3)))
    with pytest.raises(InputError, match="uint16"):
        scene.SubjectSegmenter(f.intrinsics, 0.001, lab, bg).segment(f.depth.astype(np.float32))
    with pytest.raises(InputError, match="stride"):
        scene.SubjectSegmenter(f.intrinsics, 0.001, lab, bg, 0)
    with pytest.raises(CalibrationError, match="rotation"):
        scene.LabFrame.from_dict({"translation": [0, 1, 0]})
    with pytest.raises(CalibrationError, match="proper rotation"):
        scene.LabFrame(np.diag([1.0, 1.0, -1.0]), np.zeros(3))
    with pytest.raises(CalibrationError, match="depth"):
        scene.learn_background([blank], lab)


def test_lab_from_camera_is_the_homogeneous_transform():
    rot = np.array([[0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0]])
    lab = scene.LabFrame(rot, np.array([2.0, 1.0, 0.0]))
    m = lab.lab_from_camera
    p = np.array([[0.1, 0.2, 2.0]])
    np.testing.assert_allclose(p @ m[:3, :3].T + m[:3, 3], lab.to_lab(p))
    np.testing.assert_allclose(m[3], [0.0, 0.0, 0.0, 1.0])
