"""The D4xx noise model against Intel's formula, and the occlusion shadow's side."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.phantom import CameraPlacement, NoiseModel, Scene
from kneesight.phantom.noise import apply_noise, depth_rms, occlusion_shadow
from kneesight.phantom.render import DepthRenderer


@pytest.mark.parametrize("z", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("profile", ["d435", "d455"])
def test_rms_on_a_flat_wall_matches_the_formula(z, profile):
    # A camera level with the floor at 1.3 m faces the wall (x = 0) from z metres away.
    cam = CameraPlacement(profile, (848, 480), 30, distance=z, height=1.3, pitch=0.0)
    true = DepthRenderer(cam, Scene(wall_x=0.0, wall_height=3.0)).depth()
    centre = true[160:320, 300:548]
    np.testing.assert_allclose(centre, z, atol=1e-4)  # a flat wall, fronto-parallel
    rng = np.random.default_rng(1)
    k = cam.intrinsics
    err = []
    for _ in range(3):
        d = apply_noise(true, k.fx, cam.baseline, 0.001, rng, NoiseModel())
        win = d[160:320, 300:548].astype(float) * 0.001
        err.append(win[win > 0] - z)
    rms = float(np.sqrt(np.mean(np.concatenate(err) ** 2)))
    expected = float(depth_rms(z, k.fx, cam.baseline, 0.08))
    assert rms == pytest.approx(expected, rel=0.2), (rms, expected)


def test_d435_at_2m_is_about_15_mm_and_d455_about_half():
    for name, lo, hi in (("d435", 0.012, 0.018), ("d455", 0.006, 0.009)):
        cam = CameraPlacement(name)
        assert lo < depth_rms(2.0, cam.intrinsics.fx, cam.baseline) < hi


def test_noise_is_spatially_correlated():
    rng = np.random.default_rng(0)
    z = np.full((240, 424), 2.0)
    d = apply_noise(z, 430.0, 0.05, 0.0001, rng, NoiseModel(random_dropout=0.0)) * 1e-4 - 2.0
    c = np.corrcoef(d[:, :-1].ravel(), d[:, 1:].ravel())[0, 1]
    far = np.corrcoef(d[:, :-20].ravel(), d[:, 20:].ravel())[0, 1]
    assert c > 0.6 and abs(far) < 0.1


def test_occlusion_shadow_is_left_of_a_foreground_object():
    # A 1 m near block in front of a 2 m wall: the right imager (at +baseline) cannot see a
    # band of the wall just left of the block, fx * b * (1/1 - 1/2) pixels wide.
    fx, b = 430.0, 0.05
    z = np.full((60, 300), 2.0)
    z[:, 150:200] = 1.0
    shadow = occlusion_shadow(z, fx, b)
    cols = np.flatnonzero(shadow[30])
    width = fx * b * (1 / 1.0 - 1 / 2.0)
    assert cols.size == pytest.approx(width, abs=1.5)
    assert cols.max() < 150 and cols.min() >= 150 - width - 1.5
    assert not shadow[:, 200:].any()
    d = apply_noise(z, fx, b, 0.001, np.random.default_rng(0), NoiseModel(edge_dropout=0.0,
                    flying_pixels=0.0, random_dropout=0.0))  # fmt: skip
    assert np.all(d[:, cols] == 0)


def test_flying_pixels_and_dropouts_only_along_silhouettes():
    z = np.full((80, 200), 3.0)
    z[20:60, 80:120] = 1.5
    rng = np.random.default_rng(3)
    model = NoiseModel(subpixel=1e-6, shadow=False, random_dropout=0.0)
    d = apply_noise(z, 430.0, 0.05, 0.001, rng, model).astype(float) * 0.001
    inbetween = (d > 1.6) & (d < 2.9)
    assert inbetween.any()
    rows, cols = np.nonzero(inbetween)
    assert np.all((np.abs(cols - 80) <= 1) | (np.abs(cols - 120) <= 1) | (np.abs(rows - 20) <= 1)
                  | (np.abs(rows - 60) <= 1))  # fmt: skip
    assert np.all(d[30:50, 90:110] > 0)  # interior intact
    assert np.all(d[:10] > 0)


def test_without_noise_depth_is_only_quantised():
    z = np.array([[1.2344, 2.0, np.inf], [0.0, 3.00049, 9.9996]])
    d = apply_noise(z, 430.0, 0.05, 0.001, np.random.default_rng(0), None)
    assert d.dtype == np.uint16
    np.testing.assert_array_equal(d, [[1234, 2000, 0], [0, 3000, 10000]])
