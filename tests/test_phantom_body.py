"""Phantom body: anthropometry, anatomical surfaces, arch degree of freedom, bad arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kneesight.errors import InputError
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, camera_profile
from kneesight.phantom.anthropometry import calibration_dir
from kneesight.phantom.surfaces import foot, shank, thigh


def test_sizes_follow_de_leva_and_overrides():
    b = Body(1.741, "male")
    assert b.thigh_length == pytest.approx(0.4222, abs=1e-4)
    assert b.shank_length == pytest.approx(0.4340, abs=1e-4)
    f = Body(1.735, "female")
    assert f.thigh_length == pytest.approx(0.3685, abs=1e-4)
    assert f.foot_length == pytest.approx(0.2283, abs=1e-4)
    o = Body(1.80, "female", "athletic", thigh_length=0.45, calf_girth=0.41, arch_height_mm=50)
    assert o.thigh_length == 0.45 and o.calf_girth == 0.41 and o.arch_height_mm == 50
    assert Body(build="heavy").thigh_girth > Body(build="slim").thigh_girth
    s = o.sizes()
    assert s["thigh_length"] == 0.45 and s["sex"] == "female"
    json.dumps(s)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"stature": 3.0}, "stature"),
        ({"sex": "x"}, "sex"),
        ({"build": "huge"}, "build"),
        ({"thigh_length": -1}, "thigh_length"),
        ({"shin": 0.4}, "shin"),
    ],
)
def test_bad_body_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(InputError, match=name):
        Body(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"profile": "d999"}, "camera"),
        ({"resolution": (1000, 500)}, "resolution"),
        ({"fps": 300}, "fps"),
        ({"distance": 50.0}, "distance"),
        ({"yaw": 120.0}, "yaw"),
        ({"pitch": 89.0}, "pitch"),
    ],
)
def test_bad_camera_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(InputError, match=name):
        CameraPlacement(**kwargs)


def test_bad_valgus_arguments_name_the_parameter():
    with pytest.raises(InputError, match="knee_valgus"):
        ValgusProfile(knee_valgus=40.0)
    with pytest.raises(InputError, match="arch_drop_mm"):
        ValgusProfile(arch_drop_mm=(1.0, 2.0, 3.0))
    with pytest.raises(InputError, match="neutral"):
        ValgusProfile.named("extreme")


def test_camera_profiles_are_complete_and_sourced():
    data = json.loads((calibration_dir() / "cameras.json").read_text())
    for name in ("d415", "d435", "d455"):
        p = camera_profile(name)
        assert p["_source"] and p["baseline_m"] > 0.04
        hi, hs = p["resolutions"]["848x480"], p["resolutions"]["848x100"]
        assert (hs["fx"], hs["fy"], hs["ppx"]) == (hi["fx"], hi["fy"], hi["ppx"])
        assert hs["ppy"] == hi["ppy"] - 190
    assert data["d435"]["resolutions"]["848x100"]["max_fps"] == 300
    cam = CameraPlacement("d435", (848, 100), 300)
    assert cam.intrinsics.height == 100 and cam.intrinsics.ppy == pytest.approx(50.0)


def test_camera_placement_puts_the_camera_where_asked():
    cam = CameraPlacement(distance=2.5, height=1.1, yaw=30.0)
    t = cam.lab_from_camera()
    np.testing.assert_allclose(t[:3, :3] @ t[:3, :3].T, np.eye(3), atol=1e-12)
    assert np.linalg.det(t[:3, :3]) == pytest.approx(1.0)
    pos = t[:3, 3]
    np.testing.assert_allclose(
        pos, [2.5 * np.cos(np.radians(30)), 1.1, 2.5 * np.sin(np.radians(30))]
    )
    # The optical axis (camera z) hits the aim height above the origin.
    fwd = t[:3, 2]
    s = -pos[0] / fwd[0]
    hit = pos + s * fwd
    np.testing.assert_allclose(hit, [0.0, cam.aim_height, 0.0], atol=1e-9)
    # Camera y points down (image rows go down), camera x to the camera's right.
    assert t[1, 1] < 0
    assert np.cross(t[:3, 0], t[:3, 1]) @ fwd == pytest.approx(1.0)


def _ring(mesh, at_y, n_around=32):
    """Vertices of the ring nearest to height at_y."""
    v = mesh.vertices[:-2]
    ys = v[::n_around, 1]
    i = int(np.argmin(np.abs(ys - at_y)))
    return v[i * n_around : (i + 1) * n_around]


def test_thigh_and_calf_sections_are_anatomical_not_circular():
    b = Body()
    th = thigh(b)[0]
    L = b.thigh_length
    prox = _ring(th, -0.08 * L)
    ml = np.ptp(prox[:, 2])
    ap = np.ptp(prox[:, 0])
    assert ml > 1.08 * ap  # proximal thigh wider medio-laterally
    # Vastus medialis: above the medial knee the anteromedial surface bulges further out
    # than the anterolateral one.
    ring = _ring(th, -0.80 * L)
    c = ring.mean(0)
    r = np.hypot(ring[:, 0] - c[0], ring[:, 2] - c[2])
    ang = np.degrees(np.arctan2(ring[:, 2] - c[2], ring[:, 0] - c[0]))
    am = r[np.argmin(np.abs(ang + 50))]
    al = r[np.argmin(np.abs(ang - 50))]
    assert am > al + 0.008
    # Gastrocnemius: the calf's posterior surface sits far behind the tibia's axis.
    sh = shank(b)[0]
    calf = _ring(sh, -0.3 * b.shank_length)
    assert -calf[:, 0].min() > calf[:, 0].max() + 0.02
    # Malleoli: the ankle ring is wider medio-laterally than antero-posteriorly.
    ank = _ring(sh, -b.shank_length)
    assert np.ptp(ank[:, 2]) > 1.2 * np.ptp(ank[:, 0])
    # A patella in front of the knee.
    pat = thigh(b)[1]
    assert (
        pat.vertices[:, 0].max()
        > th.vertices[:, 0][np.abs(th.vertices[:, 1] + 0.95 * L) < 0.02].max()
    )


def test_foot_arch_height_drops_and_midfoot_widens():
    b = Body(arch_height_mm=60.0)
    f = foot(b)[0]
    x50 = -b.ajc_from_heel + 0.5 * b.foot_length
    v = f.vertices
    sel = np.abs(v[:, 0] - x50) < 1e-9
    assert sel.sum() >= 20
    sole = -b.ankle_height
    assert v[sel, 1].max() - sole == pytest.approx(0.060, abs=1e-6)
    for drop_mm in (4.0, 10.0):
        vd = v + f.arch_delta * drop_mm / 1000.0
        assert vd[sel, 1].max() - sole == pytest.approx(0.060 - drop_mm / 1000.0, abs=1e-6)
        assert np.ptp(vd[sel, 2]) > np.ptp(v[sel, 2]) + 0.5 * drop_mm / 1000.0

    # Plan shape: the ball is wider than the heel, the toes taper.
    def width_at(s):
        x = -b.ajc_from_heel + s * b.foot_length
        xs = np.unique(v[:, 0])
        xi = xs[np.argmin(np.abs(xs - x))]
        return np.ptp(v[v[:, 0] == xi, 2])

    assert width_at(0.72) > 1.3 * width_at(0.15)
    assert width_at(0.97) < 0.8 * width_at(0.72)
    # The medial arch: the plantar surface is lifted medially in the midfoot, not laterally.
    mid = v[sel]
    low = mid[mid[:, 1] < sole + 0.025]
    zc, w = low[:, 2].mean(), np.ptp(low[:, 2])
    medial, lateral = low[low[:, 2] < zc - 0.2 * w], low[low[:, 2] > zc + 0.2 * w]
    assert medial[:, 1].min() > lateral[:, 1].min() + 0.004
