"""Quiet standing seen from a camera mounted high (1.4 m up, 2.5 m away), as on a tall tripod.

Seen from above, a straight leg slides freely along its own axis and a foot can meet the hold
on its ball by pointing its toes. The holds relax while the pelvis rises (a push-off), and the
trunk cut is raised for a foot on its toes: a model that floated a little read as rising and
as pointing its toes, which let it float further, and the quietly standing legs rose 5-17 cm
on pointed toes (ankle dorsiflexion -30 to -60 deg) and fell back, over and over. Standing
quietly on the floor (half a second on it, or since tracking began, knees straight, no
push-off) the feet stand flat.
"""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, motions, simulate
from kneesight.tracking import COLUMNS, Tracker, calibrate_subject


@pytest.fixture(scope="module")
def standing():
    body, cam = Body(1.75), CameraPlacement("d435", distance=2.5, height=1.4, fps=90)
    intr = cam.intrinsics
    sim = simulate(body, motions.static(duration_s=1.5), cam, duration_s=1.5)
    frames = [DepthFrame(d, n, t, 0.001, intr) for n, t, d in sim.frames(NoiseModel(), 1)]
    cal = calibrate_subject(frames[:45:3], stature_m=body.stature)
    tracker = Tracker(cal)
    values = np.array([tracker.track(f).values for f in frames])
    return values, sim.truth


def test_standing_legs_stay_on_the_floor(standing):
    values, truth = standing
    # standing on the floor since tracking began: the feet stand flat within the first frames
    # (they floated 4-6 cm on pointed toes for the first half second, until it counted as quiet)
    settled = slice(30, None)
    for s in ("l", "r"):
        err = values[settled, COLUMNS.index(f"ajc_{s}_y")] - truth[f"ajc_{s}_y"][settled]
        assert np.isfinite(err).all()
        # the ankles rose 5-17 cm above the floor and fell back
        assert np.max(np.abs(err)) < 0.025, (s, np.round(1000 * err))


def test_standing_feet_are_not_pointed(standing):
    values, truth = standing
    settled = slice(30, None)
    for s in ("l", "r"):
        c = f"ankle_dorsiflexion_{s}"
        err = values[settled, COLUMNS.index(c)] - truth[c][settled]
        err = err[np.isfinite(err)]
        assert err.size > 0.9 * (values.shape[0] - 30)
        # was -60 to +50 deg off, 24 deg RMS
        assert np.sqrt(np.mean(err**2)) < 5.0, (s, np.round(err))
