"""Known poses recovered from phantom recordings: two bodies, two camera placements.

The phantom's body is not built from the tracker's primitives (muscle bulges, patella, real
foot), and its depth carries D4xx noise. Tolerances are RMSE (both legs) over the frames of a
squat: knee flexion over the whole descent to about 100 deg; the frontal and transverse angles
and FPPA up to 75 deg of knee flexion. Deeper, hip adduction seen from a yawed camera degrades
(up to ~20 deg off at 100 deg of flexion), and FPPA is ill-conditioned by definition.
"""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, ValgusProfile, motions, simulate
from kneesight.tracking import COLUMNS, Tracker, calibrate_subject

TOLERANCE_DEG = {
    "knee_flexion": 5.0,
    "hip_adduction": 4.0,
    "knee_valgus": 4.0,
    "hip_internal_rotation": 8.0,
    "fppa": 4.0,
}


def frames(sim, cam, seed):
    intr = cam.intrinsics
    return [DepthFrame(d, k, t, 0.001, intr) for k, t, d in sim.frames(NoiseModel(), seed)]


CASES = [
    (Body(1.80, "male", "athletic"), CameraPlacement("d435", fps=30, distance=2.0, height=1.0)),
    (
        Body(1.88, "male", "average"),
        CameraPlacement("d455", fps=30, distance=2.5, height=1.2, yaw=-10.0),
    ),
]


@pytest.mark.parametrize(
    "body,cam", CASES, ids=["athletic-1.80-d435-front", "average-1.88-d455-2.5m-yaw-10"]
)
def test_squat_poses_are_recovered(body, cam):
    static = simulate(body, motions.static(duration_s=0.5), cam, duration_s=0.5)
    cal = calibrate_subject(frames(static, cam, 1)[::2], stature_m=body.stature)
    sim = simulate(body, motions.squat(reps=1, valgus=ValgusProfile.high()), cam, duration_s=1.7)
    tracker = Tracker(cal)
    res = [tracker.track(f) for f in frames(sim, cam, 2)]
    tracked = np.array([r.tracked for r in res])
    assert tracked.mean() >= 0.95
    vals = np.array([r.values for r in res])
    assert np.nanmax(sim.truth["knee_flexion_r"]) > 90.0
    moderate = sim.truth["knee_flexion_r"] < 75.0
    for q, tol in TOLERANCE_DEG.items():
        m = tracked if q == "knee_flexion" else tracked & moderate
        e = np.concatenate(
            [vals[m, COLUMNS.index(f"{q}_{s}")] - sim.truth[f"{q}_{s}"][m] for s in "lr"]
        )
        assert np.isfinite(e).mean() > 0.9, q
        rmse = float(np.sqrt(np.nanmean(e**2)))
        assert rmse < tol, f"{q}: RMSE {rmse:.2f} deg >= {tol}"
    # joint centres in the lab frame: the same floor and facing as the phantom's lab; the
    # origins differ by where the calibration put it (between the static ankles), so 6 cm
    for c in ("kjc_r_x", "kjc_r_y", "kjc_r_z", "ajc_l_y"):
        e = vals[tracked, COLUMNS.index(c)] - sim.truth[c][tracked]
        assert np.sqrt(np.nanmean(e**2)) < 0.06, c
    # uncertainty is reported for the hard degrees of freedom
    r = res[-1]
    assert {"hip_internal_rotation_r", "knee_valgus_r"} <= set(r.dof_sd)
    assert r.joint_centres_camera.shape == (6, 3) and np.isfinite(r.joint_centres_camera).all()
