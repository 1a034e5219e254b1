"""Tracking the fall from the box of a drop jump at full frame rate.

Stepping off, the feet leave the box's top while the legs fall past its front edge. A foot
held on the box's top as long as it is within a few centimetres of it stays caught there,
frame after frame, while the leg falls away: the tracked ankles lagged 5 cm behind the falling
body and caught up just before the landing, which then came out a frame early. The box lets go
of a foot once the points around the foot reach below its top.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest

from kneesight.analysis.events import detect_events
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, motions, simulate
from kneesight.tracking import COLUMNS, Tracker, calibrate_subject


@pytest.fixture(scope="module")
def fall():
    body, cam = Body(1.75), CameraPlacement("d455", fps=90)
    intr = cam.intrinsics
    static = simulate(body, motions.static(duration_s=0.3), cam, duration_s=0.3)
    sframes = [DepthFrame(d, n, t, 0.001, intr) for n, t, d in static.frames(NoiseModel(), 1)]
    cal = calibrate_subject(sframes, stature_m=body.stature)
    sim = simulate(body, motions.drop_vertical_jump(), cam)
    fps = float(cam.fps)
    ic = round(sim.events["initial_contact_s"] * fps)
    frames = list(islice(sim.frames(NoiseModel(), 2), ic + 30))
    tracker = Tracker(cal)
    values = np.array(
        [tracker.track(DepthFrame(d, n, t, 0.001, intr)).values for n, t, d in frames]
    )
    return values, sim.truth, ic, fps


def test_the_ankles_follow_the_fall_from_the_box(fall):
    values, truth, ic, _ = fall
    falling = slice(ic - 10, ic)
    for s in ("l", "r"):
        err = values[falling, COLUMNS.index(f"ajc_{s}_y")] - truth[f"ajc_{s}_y"][falling]
        assert np.isfinite(err).all()
        # was 4-6 cm behind the falling leg 5-6 frames before the landing
        assert np.max(np.abs(err)) < 0.025, (s, np.round(1000 * err))


def test_the_landing_is_found_at_its_frame(fall):
    values, truth, ic, fps = fall
    n = values.shape[0]
    table = {"time_s": truth["time_s"][:n]}
    for c in COLUMNS:
        table[c] = values[:, COLUMNS.index(c)]
    ev = detect_events(table, fps)
    assert ev.frames["initial_contact_s"] is not None, ev.reasons
    assert abs(ev.frames["initial_contact_s"] - ic) <= 1
