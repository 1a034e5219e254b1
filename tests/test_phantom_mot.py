"""Driving the phantom with an OpenSim .mot file (generated here, with real-looking timing)."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.errors import InputError
from kneesight.joint_angles import joint_angles
from kneesight.phantom import Body, CameraPlacement, motions, simulate
from kneesight.phantom.mot import read_mot

TAKE_OFF, LANDING = 1.0, 1.4


def _hop(body: Body) -> dict[str, np.ndarray]:
    """A countermovement hop at 100 Hz: stand, dip, take off, 0.4 s flight, land, stand."""
    t = np.round(np.arange(0.0, 2.2, 0.01), 4)
    knee = np.interp(t, [0, 0.5, 0.85, TAKE_OFF, LANDING, 1.6, 2.2], [5, 5, 60, 5, 10, 50, 8])
    ty_stance = 0.05 + (body.thigh_length + body.shank_length) * np.cos(np.radians(knee / 2))
    ty = ty_stance.copy()
    fl = (t > TAKE_OFF) & (t < LANDING)
    i0, i1 = np.flatnonzero(fl)[[0, -1]]
    a, b = ty_stance[i0 - 1], ty_stance[i1 + 1]
    tt = t[fl] - t[i0 - 1]
    T = t[i1 + 1] - t[i0 - 1]
    v0 = (b - a + 0.5 * 9.81 * T * T) / T
    ty[fl] = a + v0 * tt - 0.5 * 9.81 * tt * tt
    cols = {"time": t, "pelvis_tilt": 0 * t, "pelvis_list": 0 * t, "pelvis_rotation": 0 * t,
            "pelvis_tx": 0.3 + 0 * t, "pelvis_ty": ty, "pelvis_tz": -0.2 + 0 * t}  # fmt: skip
    for s in "lr":
        cols[f"hip_flexion_{s}"] = knee / 2
        cols[f"hip_adduction_{s}"] = 0 * t
        cols[f"hip_rotation_{s}"] = 0 * t
        cols[f"knee_angle_{s}"] = knee
        cols[f"ankle_angle_{s}"] = knee / 2
    return cols


def _write(path, cols, degrees: bool) -> None:
    names = list(cols)
    data = np.stack([cols[n] for n in names], -1)
    if not degrees:
        rot = [k for k, n in enumerate(names) if n != "time" and not n.startswith("pelvis_t")]
        data[:, rot] = np.radians(data[:, rot])
    flag = "yes" if degrees else "no"
    head = (
        f"Coordinates\nversion=1\nnRows={len(data)}\nnColumns={len(names)}\n"
        f"inDegrees={flag}\n\nUnits are S.I. units\nendheader\n"
    )
    rows = "\n".join("\t".join(f"{v:.8f}" for v in r) for r in data)
    path.write_text(head + "\t".join(names) + "\n" + rows + "\n")


@pytest.mark.parametrize("degrees", [True, False])
def test_mot_drives_the_body_with_real_timing(tmp_path, degrees):
    body = Body()
    cols = _hop(body)
    path = tmp_path / "hop.mot"
    _write(path, cols, degrees)
    motion = motions.from_mot(path)
    assert motion.duration_s == pytest.approx(2.19)
    sim = simulate(body, motion, CameraPlacement("d435", (424, 240), 90))
    tr = sim.truth
    assert len(tr["frame"]) == int(2.19 * 90) + 1
    # Angles are the file's, resampled at the camera's frame times.
    expect = np.interp(tr["time_s"], cols["time"], cols["knee_angle_r"])
    np.testing.assert_allclose(tr["knee_flexion_r"], expect, atol=1e-3)
    # Events come from the feet's height.
    ev = sim.events
    # (lift-off shows once the feet clear the floor by the contact tolerance, 5 cm)
    assert ev["take_off_s"] == pytest.approx(TAKE_OFF, abs=0.04)
    assert ev["initial_contact_s"] == pytest.approx(LANDING, abs=0.04)
    assert ev["peak_knee_flexion_s"] == pytest.approx(1.6, abs=0.03)
    assert ev["second_contact_s"] is None
    # Feet on the floor while standing, none below it ever.
    for s in "lr":
        low = sim.skin.lowest_foot_point(sim.placement.pose, s)
        assert low.min() > -1e-6
        standing = tr["time_s"] < 0.5
        np.testing.assert_allclose(low[standing], 0.0, atol=1e-6)
        assert low.max() > 0.1  # the hop leaves the floor
    # The flight phase is found where the file's pelvis rises.
    air = ~np.isfinite(sim.placement.support["r"])
    t_air = sim.times[air]
    assert t_air.min() == pytest.approx(TAKE_OFF, abs=0.04)
    assert t_air.max() == pytest.approx(LANDING, abs=0.04)
    # Centred on the lab origin where the feet stand.
    mid = 0.5 * (tr["ajc_l_x"][0] + tr["ajc_r_x"][0]), 0.5 * (tr["ajc_l_z"][0] + tr["ajc_r_z"][0])
    assert abs(mid[0]) < 1e-6 and abs(mid[1]) < 1e-6


def test_landing_after_a_drop_is_initial_contact(tmp_path):
    body = Body()
    cols = _hop(body)
    # Start the file at the top of the hop: the first contact is then a landing.
    keep = cols["time"] >= 1.2
    cols = {k: v[keep] for k, v in cols.items()}
    cols["time"] = cols["time"] - cols["time"][0]
    path = tmp_path / "land.mot"
    _write(path, cols, True)
    sim = simulate(body, motions.from_mot(path), CameraPlacement("d435", (424, 240), 60))
    assert sim.events["initial_contact_s"] == pytest.approx(LANDING - 1.2, abs=0.04)
    assert sim.events["peak_knee_flexion_s"] == pytest.approx(1.6 - 1.2, abs=0.04)


def test_bad_mot_files_are_named(tmp_path):
    p = tmp_path / "bad.mot"
    p.write_text("no header here\n1 2 3\n")
    with pytest.raises(InputError, match="bad.mot"):
        read_mot(p)
    p2 = tmp_path / "short.mot"
    _write(p2, {"time": np.arange(5) * 0.01, "knee_angle_r": np.zeros(5)}, True)
    with pytest.raises(InputError, match="hip_flexion"):
        motions.from_mot(p2)
    with pytest.raises(InputError, match="missing.mot"):
        motions.from_mot(tmp_path / "missing.mot")


def test_supported_feet_stay_level_when_the_shank_leans(tmp_path):
    """Hip rotation in a deep knee bend leans the shank sideways; the foot on the floor stays
    level (the file's subtalar angle, an oblique-axis coordinate, does not stand it on edge)."""
    body = Body()
    cols = _hop(body)
    cols["hip_rotation_r"] = 0.5 * cols["knee_angle_r"]  # 30 deg internal at the deepest dip
    cols["hip_adduction_l"] = -0.3 * cols["knee_angle_l"]
    for s in "lr":
        cols[f"subtalar_angle_{s}"] = -35.0 + 0 * cols["time"]
    path = tmp_path / "lean.mot"
    _write(path, cols, True)
    sim = simulate(body, motions.from_mot(path), CameraPlacement("d435", (424, 240), 90))
    pose, tr = sim.placement.pose, sim.truth
    deep = sim.rows[np.argmin(np.abs(tr["time_s"] - 0.85))]
    for s in "lr":
        shank, _ = pose.segment(f"shank_{s}")
        foot, _ = pose.segment(f"foot_{s}")
        up = shank[deep][:, 1]  # the shank's long axis in the lab
        sideways = np.degrees(np.arctan2(abs(up[2]), up[1]))  # in the lab frontal plane
        assert sideways > 10.0  # hip rotation / abduction in the knee bend leans it sideways
        on_floor = np.isfinite(sim.placement.support[s])
        roll = np.degrees(np.arcsin(foot[sim.rows][:, 1, 2]))  # foot Z (lateral) against up
        assert np.abs(roll[on_floor[sim.rows]]).max() < 3.0
        # The truth's ankle angles are the posed foot's.
        k = np.flatnonzero(sim.rows == deep)[0]
        want = joint_angles("ankle", s, shank[deep].T @ foot[deep])
        assert tr[f"ankle_dorsiflexion_{s}"][k] == pytest.approx(want[0], abs=1e-6)


def _write_grf(path, t: np.ndarray, on: np.ndarray) -> None:
    """An OpenSim external-loads file: two plates sharing 700 N while ``on``."""
    force = np.where(on, 350.0, 0.0)
    names = ["time"] + [f"ground_force_{k}_{a}" for k in (1, 2) for a in ("vx", "vy", "vz")]
    cols = [t] + [force if a == "vy" else 0 * t for _ in (1, 2) for a in ("vx", "vy", "vz")]
    head = f"ExternalLoads\nversion=1\nnRows={t.size}\nnColumns={len(names)}\nendheader\n"
    rows = "\n".join("\t".join(f"{v:.6f}" for v in r) for r in np.stack(cols, -1))
    path.write_text(head + "\t".join(names) + "\n" + rows + "\n")


def test_force_plates_time_the_contacts(tmp_path):
    body = Body()
    cols = _hop(body)
    _write(tmp_path / "hop.mot", cols, True)
    # the plates see the feet leave 20 ms after the file's pelvis starts its flight and meet
    # the floor 20 ms before it ends
    off, on = TAKE_OFF + 0.02, LANDING - 0.02
    t = np.round(np.arange(0.0, 2.2, 0.001), 4)  # plates sampled at 1 kHz
    _write_grf(tmp_path / "hop_grf.mot", t, (t < off) | (t >= on))
    cam = CameraPlacement("d435", (424, 240), 90)
    frame = 1.0 / 90
    motion = motions.from_mot(tmp_path / "hop.mot", grf=tmp_path / "hop_grf.mot")
    assert motion.params["grf"].endswith("hop_grf.mot")
    sim = simulate(body, motion, cam)
    ev = sim.events
    # the first frame in the air, the first back on the floor
    assert off - 0.001 <= ev["take_off_s"] < off + frame
    assert on - 0.001 <= ev["initial_contact_s"] < on + frame
    air = ~np.isfinite(sim.placement.support["r"])
    np.testing.assert_array_equal(air, (sim.times >= off - 0.001) & (sim.times < on - 0.001))
    # on the floor in contact, never below it, up in the air
    for s in "lr":
        low = sim.skin.lowest_foot_point(sim.placement.pose, s)
        assert low.min() > -1e-6
        np.testing.assert_allclose(low[~air], 0.0, atol=1e-6)
        assert low[air].max() > 0.1


def test_bad_force_plate_files_are_named(tmp_path):
    cols = _hop(Body())
    _write(tmp_path / "hop.mot", cols, True)
    _write(tmp_path / "noforce.mot", {"time": cols["time"], "x": 0 * cols["time"]}, True)
    with pytest.raises(InputError, match="noforce.mot.*_vy"):
        motions.from_mot(tmp_path / "hop.mot", grf=tmp_path / "noforce.mot")
    with pytest.raises(InputError, match="absent.mot"):
        motions.from_mot(tmp_path / "hop.mot", grf=tmp_path / "absent.mot")
