"""Hip rotation through a drop vertical jump (D455, 2 m away, 1 m up, 90 fps).

Femoral rotation is the hardest angle to see in depth: a thigh turns about its own axis with
little to show for it. Points of the lower trunk, whose shape and lean the pelvis model does
not follow, pulled the pelvis and read as 2.4-3.3 deg of hip internal rotation during the
landing and in the standing after it (2.9 deg on average in this trial, now 1.8).
"""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.analysis.events import detect_events
from kneesight.conventions import FOOT_LOWEST, SIDES, column, per_side_columns
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, motions, simulate
from kneesight.tracking import COLUMNS, Tracker, calibrate_subject


@pytest.fixture(scope="module")
def drop_jump():
    body = Body(1.75)
    cam = CameraPlacement("d455", distance=2.0, height=1.0, fps=90)
    intr = cam.intrinsics
    static = simulate(body, motions.static(duration_s=1.0), cam, duration_s=1.0)
    sframes = [DepthFrame(d, n, t, 0.001, intr) for n, t, d in static.frames(NoiseModel(), 1)]
    cal = calibrate_subject(sframes[::3], stature_m=body.stature)
    sim = simulate(body, motions.drop_vertical_jump(recovery_s=1.0), cam)
    tracker = Tracker(cal)
    results = [
        tracker.track(DepthFrame(d, n, t, 0.001, intr)) for n, t, d in sim.frames(NoiseModel(), 2)
    ]
    values = np.array([r.values for r in results])
    lowest = np.array([r.foot_lowest_m for r in results])
    return values, sim.truth, sim.events, lowest


def test_hip_rotation_on_the_ground_is_within_target(drop_jump):
    values, truth, ev, _ = drop_jump
    t = truth["time_s"]
    # ground contact: the first landing to take-off, and the second landing on
    on_ground = ((t >= ev["initial_contact_s"]) & (t <= ev["take_off_s"])) | (
        t >= ev["second_contact_s"]
    )
    err = np.concatenate(
        [
            values[on_ground, COLUMNS.index(f"hip_internal_rotation_{s}")]
            - truth[f"hip_internal_rotation_{s}"][on_ground]
            for s in ("l", "r")
        ]
    )
    assert np.isfinite(err).mean() > 0.99
    # with the lower trunk's points (trunk cut 0.2): mean 2.86 deg, RMS 3.04; now 1.76 and 2.08
    assert abs(np.nanmean(err)) < 2.3, np.nanmean(err)
    assert np.sqrt(np.nanmean(err**2)) < 2.5, np.sqrt(np.nanmean(err**2))


def test_measured_feet_place_the_events_within_one_frame(drop_jump):
    """The lowest points the tracker measures around each foot lie on the floor in ground
    contact and leave it with the toes: touch-downs and take-off within one frame."""
    values, truth, ev, lowest = drop_jump
    t = truth["time_s"]
    stance = (t > ev["initial_contact_s"] + 0.05) & (t < ev["take_off_s"] - 0.05)
    flight = np.abs(t - 0.5 * (ev["take_off_s"] + ev["second_contact_s"])) < 0.03
    assert np.all(lowest[stance] < 0.05), lowest[stance].max()
    assert np.all(lowest[flight] > 0.1), lowest[flight].min()
    table = {"time_s": t, **{c: values[:, COLUMNS.index(c)] for c in per_side_columns()}}
    for i, s in enumerate(SIDES):
        table[column(FOOT_LOWEST, s)] = lowest[:, i]
    found = detect_events(table, 90.0)
    for k in ("initial_contact_s", "take_off_s", "second_contact_s"):
        assert "lowest points" in found.method[k], found.method[k]
        assert abs(found.times[k] - ev[k]) * 90.0 <= 1.0 + 1e-6, (k, found.times[k], ev[k])


def test_hip_flexion_follows_the_pelvis_tilting_with_the_trunk(drop_jump):
    """Depth barely shows the pelvis's tilt; the hip angles are read in a pelvis tilted with
    the lower trunk's lean from the calibrated stance. The phantom's pelvis tilts forward by
    up to 10 deg in the landing: a pelvis held level reads hip flexion 10 deg low at the
    deepest landing (RMSE 5.9 deg over contact; 0.9 deg as tracked)."""
    values, truth, ev, _ = drop_jump
    t = truth["time_s"]
    contact = (t >= ev["initial_contact_s"]) & (t <= ev["take_off_s"])
    for s in SIDES:
        err = (
            values[contact, COLUMNS.index(f"hip_flexion_{s}")] - truth[f"hip_flexion_{s}"][contact]
        )
        assert np.isfinite(err).mean() > 0.99
        assert np.sqrt(np.nanmean(err**2)) < 3.5, np.sqrt(np.nanmean(err**2))
