"""Deprojection agrees with the RealSense SDK: rs2_deproject_pixel_to_point for every distortion
model, and rs.pointcloud() on frames played back from a recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrealsense2 as rs
import pytest

import kneesight
from conftest import d435_intrinsics, depth_images
from kneesight import _core
from kneesight.errors import InputError
from kneesight.io import intrinsics_from_rs, intrinsics_to_rs, open_recording

TOL_M = 1e-5

# Every librealsense distortion model with realistic, non-zero coefficients (for "none" and
# "modified_brown_conrady" the SDK ignores them when deprojecting, and so must we).
# model: ((width, height, fx, fy, ppx, ppy), coeffs)
MODELS: dict[str, tuple[tuple[int, int, float, float, float, float], list[float]]] = {
    "none": ((848, 480, 421.7, 421.9, 423.9, 240.6), [0.1, -0.2, 0.01, 0.02, 0.3]),
    "modified_brown_conrady": (
        (640, 480, 615.3, 615.9, 322.4, 243.1),
        [0.12, -0.25, 0.001, -0.002, 0.1],
    ),
    "inverse_brown_conrady": (
        (640, 480, 475.5, 475.5, 313.3, 245.2),
        [0.146, 0.052, 0.004, 0.006, 0.121],
    ),
    "ftheta": ((848, 800, 285.7, 285.9, 425.1, 400.3), [0.921, 0.0, 0.0, 0.0, 0.0]),
    "brown_conrady": (
        (1280, 720, 910.2, 909.8, 645.3, 361.7),
        [-0.055, 0.065, 0.0004, 0.0007, -0.021],
    ),
    "kannala_brandt4": (
        (848, 800, 286.2, 286.4, 416.8, 403.5),
        [-0.0075, 0.044, -0.041, 0.0077, 0.0],
    ),
}


def both(model: str) -> tuple[kneesight.Intrinsics, rs.intrinsics]:
    (w, h, fx, fy, ppx, ppy), coeffs = MODELS[model]
    ks = kneesight.Intrinsics(w, h, fx, fy, ppx, ppy, model, coeffs)
    ri = rs.intrinsics()
    ri.width, ri.height, ri.fx, ri.fy, ri.ppx, ri.ppy = w, h, fx, fy, ppx, ppy
    ri.model, ri.coeffs = getattr(rs.distortion, model), coeffs
    return ks, ri


@pytest.mark.parametrize("model", list(MODELS))
def test_pixels_agree_with_rs2_deproject_pixel_to_point(model: str) -> None:
    ks, ri = both(model)
    # A 41 x 31 grid over the whole image (corners included) plus sub-pixel positions.
    us = np.r_[np.round(np.linspace(0, ks.width - 1, 41)), 0.5, ks.width / 3 + 0.25]
    vs = np.r_[np.round(np.linspace(0, ks.height - 1, 31)), 0.75, ks.height / 3 + 0.5]
    assert len(us) * len(vs) > 1000
    worst = 0.0
    for v in vs:
        for u in us:
            z = 0.4 + 4.0 * ((u * 7 + v * 13) % 97) / 97
            want = rs.rs2_deproject_pixel_to_point(ri, [float(u), float(v)], z)
            got = ks.deproject_pixel(float(u), float(v), z)
            worst = max(worst, float(np.max(np.abs(np.subtract(got, want)))))
    assert worst < TOL_M, f"{model}: worst difference {worst} m"


@pytest.mark.parametrize("model", list(MODELS))
def test_whole_frames_agree_with_rs2_deproject_pixel_to_point(model: str) -> None:
    ks, ri = both(model)
    depth = depth_images(1, ks.height, ks.width, seed=3)[0]
    pts = kneesight.deproject(depth, ks, 0.001).reshape(ks.height, ks.width, 3)
    rng = np.random.default_rng(0)
    for v, u in zip(rng.integers(0, ks.height, 3000), rng.integers(0, ks.width, 3000), strict=True):
        z = float(np.float32(0.001) * np.float32(depth[v, u]))
        want = rs.rs2_deproject_pixel_to_point(ri, [float(u), float(v)], z)
        np.testing.assert_allclose(pts[v, u], want, rtol=0, atol=TOL_M)


def sdk_playback(path: Path, n: int):
    """(depth, vertices of rs.pointcloud, intrinsics, depth scale) of the first n frames."""
    cfg = rs.config()
    cfg.enable_device_from_file(str(path), repeat_playback=False)
    pipe = rs.pipeline()
    cfg.resolve(pipe).get_device().as_playback().set_real_time(False)
    profile = pipe.start(cfg)
    scale = profile.get_device().first_depth_sensor().get_depth_scale()
    pc = rs.pointcloud()
    try:
        for _ in range(n):
            d = pipe.wait_for_frames(5000).get_depth_frame()
            verts = np.asanyarray(pc.calculate(d).get_vertices()).view(np.float32).reshape(-1, 3)
            intr = d.profile.as_video_stream_profile().get_intrinsics()
            yield np.asanyarray(d.get_data()).copy(), verts.copy(), intr, scale
    finally:
        pipe.stop()


# rs.pointcloud() on x86 deprojects through its own precomputed map, which equals
# rs2_deproject_pixel_to_point only for rectified streams: it ignores Brown-Conrady, F-theta and
# Kannala-Brandt distortion and approximates inverse Brown-Conrady in one step. Depth streams of
# D4xx cameras are rectified (Brown-Conrady, all coefficients zero): compared on those.
RECTIFIED = {
    "D435 848x480": d435_intrinsics(),
    "D455-like 640x360": kneesight.Intrinsics(640, 360, 321.9, 321.9, 318.4, 178.2),
    "model none": kneesight.Intrinsics(424, 240, 211.0, 211.2, 212.3, 119.6, "none"),
}


@pytest.mark.parametrize("name", list(RECTIFIED))
def test_point_clouds_agree_with_rs_pointcloud_on_played_back_frames(
    write_recording, name: str
) -> None:
    intr = RECTIFIED[name]
    images = depth_images(3, intr.height, intr.width)
    path = write_recording(images, intrinsics=intr, depth_scale=0.001)
    with open_recording(path) as rec:
        ours = [kneesight.deproject(f) for f in rec]
    seen = 0
    for k, (depth, verts, rs_intr, scale) in enumerate(sdk_playback(path, 3)):
        np.testing.assert_array_equal(depth, images[k])
        assert intrinsics_from_rs(rs_intr) == intr
        mine = kneesight.deproject(depth, intrinsics_from_rs(rs_intr), scale)
        np.testing.assert_allclose(mine, verts, rtol=0, atol=TOL_M)
        np.testing.assert_allclose(ours[k], verts, rtol=0, atol=TOL_M)
        assert np.all(ours[k][images[k].reshape(-1) == 0] == 0)
        seen += 1
    assert seen == 3


def test_non_contiguous_depth_gives_the_same_points() -> None:
    intr = d435_intrinsics(64, 48)
    big = depth_images(1, 48, 128)[0]
    view = big[:, ::2]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(
        kneesight.deproject(view, intr, 0.001),
        kneesight.deproject(np.ascontiguousarray(view), intr, 0.001),
    )


@pytest.mark.parametrize(
    ("depth", "match"),
    [
        (np.zeros((48, 64), np.float32), "uint16"),
        (np.zeros((48, 64), np.int32), "uint16"),
        (np.zeros(48 * 64, np.uint16), "2-D"),
        (np.zeros((48, 64, 1), np.uint16), "2-D"),
        (np.zeros((64, 48), np.uint16), "intrinsics describe 64x48"),
        ([[1000] * 64] * 48, "2-D uint16"),
    ],
)
def test_bad_depth_is_an_input_error(depth: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        _core.deproject_depth(depth, d435_intrinsics(64, 48), 0.001)  # type: ignore[arg-type]
    if isinstance(depth, np.ndarray):
        with pytest.raises(InputError, match=match):
            kneesight.deproject(depth, d435_intrinsics(64, 48), 0.001)


@pytest.mark.parametrize("scale", [0.0, -0.001, float("nan"), float("inf"), 1.5])
def test_bad_depth_scale_is_an_input_error(scale: float) -> None:
    with pytest.raises(InputError, match="depth_scale"):
        kneesight.deproject(np.zeros((48, 64), np.uint16), d435_intrinsics(64, 48), scale)


def test_raw_depth_needs_intrinsics_and_scale() -> None:
    with pytest.raises(InputError, match="intrinsics and depth_scale"):
        kneesight.deproject(np.zeros((48, 64), np.uint16))


@pytest.mark.parametrize(
    ("args", "kw", "match"),
    [
        ((64, 48, 0.0, 40.0, 32.0, 24.0), {}, "focal"),
        ((64, 48, 40.0, -40.0, 32.0, 24.0), {}, "focal"),
        ((64, 48, float("nan"), 40.0, 32.0, 24.0), {}, "non-finite"),
        ((64, 48, 40.0, 40.0, float("inf"), 24.0), {}, "non-finite"),
        ((64, 48, 40.0, 40.0, 32.0, 24.0), {"coeffs": [0.0, float("nan"), 0, 0, 0]}, "non-finite"),
        ((0, 48, 40.0, 40.0, 32.0, 24.0), {}, "image size"),
        ((64, 48, 40.0, 40.0, 5000.0, 24.0), {}, "principal point"),
        ((64, 48, 40.0, 40.0, 32.0, 24.0), {"model": "fisheye9"}, "distortion model"),
        ((64, 48, 40.0, 40.0, 32.0, 24.0), {"coeffs": [0.1, 0.2]}, "5 values"),
        ((64, 48, 40.0, 40.0, 32.0, 24.0), {"model": "ftheta"}, "ftheta"),
    ],
)
def test_nonsense_intrinsics_are_input_errors(args: tuple, kw: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        kneesight.Intrinsics(*args, **kw)


@pytest.mark.parametrize("model", list(MODELS))
def test_intrinsics_convert_to_and_from_pyrealsense2(model: str) -> None:
    ks, ri = both(model)
    back = intrinsics_to_rs(ks)
    assert str(back.model) == str(ri.model)
    assert (back.width, back.height) == (ri.width, ri.height)
    np.testing.assert_allclose(
        [back.fx, back.fy, back.ppx, back.ppy], [ri.fx, ri.fy, ri.ppx, ri.ppy]
    )
    np.testing.assert_allclose(back.coeffs, ri.coeffs, rtol=1e-6)
    assert intrinsics_from_rs(ri) == ks
    assert intrinsics_from_rs(back) == ks


def test_converters_reject_other_objects() -> None:
    with pytest.raises(InputError, match="rs_intrinsics"):
        intrinsics_from_rs(object())
    with pytest.raises(InputError, match="intrinsics"):
        intrinsics_to_rs(rs.intrinsics())  # type: ignore[arg-type]
    bad = rs.intrinsics()  # all zero: no camera
    with pytest.raises(InputError, match="image size|focal"):
        intrinsics_from_rs(bad)


def test_deproject_rejects_what_is_not_a_frame():
    import kneesight

    with pytest.raises(InputError, match="DepthFrame"):
        kneesight.deproject("text")
