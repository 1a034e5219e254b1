"""Hip rotation through a drop vertical jump (D455, 2 m away, 1 m up, 90 fps).

Femoral rotation is the hardest angle to see in depth: a thigh turns about its own axis with
little to show for it. Points of the lower trunk, whose shape and lean the pelvis model does
not follow, pulled the pelvis and read as 2.4-3.3 deg of hip internal rotation during the
landing and in the standing after it (2.9 deg on average in this trial, now 1.8).
"""

from __future__ import annotations

import numpy as np
import pytest

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
    values = np.array(
        [
            tracker.track(DepthFrame(d, n, t, 0.001, intr)).values
            for n, t, d in sim.frames(NoiseModel(), 2)
        ]
    )
    return values, sim.truth, sim.events


def test_hip_rotation_on_the_ground_is_within_target(drop_jump):
    values, truth, ev = drop_jump
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
