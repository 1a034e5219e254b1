"""The tracker on bad input: empty frames, no person, heavy holes, mismatched intrinsics.

No crash, frames flagged untracked with NaN values, and tracking recovers afterwards.
"""

from __future__ import annotations

import numpy as np
import pytest

from kneesight import Intrinsics
from kneesight.errors import InputError
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, motions, simulate
from kneesight.tracking import COLUMNS, Tracker, calibrate_subject


@pytest.fixture(scope="module")
def setup():
    body, cam = Body(1.75), CameraPlacement("d435", fps=30)
    intr = cam.intrinsics
    static = simulate(body, motions.static(duration_s=0.6), cam, duration_s=0.6)
    frames = [DepthFrame(d, n, t, 0.001, intr) for n, t, d in static.frames(NoiseModel(), 3)]
    cal = calibrate_subject(frames[::2], stature_m=1.75)
    return cal, frames, intr, static.truth


def untracked(r) -> bool:
    return (not r.tracked) and np.isnan(r.values).all() and not r.dof_sd


def test_bad_frames_are_flagged_and_tracking_recovers(setup):
    cal, frames, intr, truth = setup
    tr = Tracker(cal)
    good = frames[0]
    r = tr.track(good)
    assert r.tracked and r.status == "tracked"
    h, w = good.depth.shape
    empty = DepthFrame(np.zeros((h, w), np.uint16), 100, 0.0, 0.001, intr)
    r = tr.track(empty)
    assert untracked(r) and r.status in ("no_subject", "too_few_points")
    # heavy holes: 92 % of the pixels dropped
    rng = np.random.default_rng(0)
    holes = good.depth.copy()
    holes[rng.random(holes.shape) < 0.92] = 0
    tr.track(DepthFrame(holes, 101, 0.0, 0.001, intr))  # may or may not track; must not crash
    # a frame without the person: the subject's pixels replaced by the wall far behind
    nobody = good.depth.copy()
    nobody[(nobody > 0) & (nobody < 2600)] = 4000
    r = tr.track(DepthFrame(nobody, 102, 0.0, 0.001, intr))
    assert untracked(r)
    # random garbage
    junk = rng.integers(0, 65535, size=(h, w), dtype=np.uint16)
    assert untracked(tr.track(DepthFrame(junk, 103, 0.0, 0.001, intr)))
    # frames from a camera mode the calibration was not made for
    small = Intrinsics(640, 480, 380.0, 380.0, 320.0, 240.0)
    r = tr.track(DepthFrame(np.full((480, 640), 2000, np.uint16), 104, 0.0, 0.001, small))
    assert untracked(r) and r.status == "bad_frame"
    # the person is back: tracking recovers within a few frames
    later = [tr.track(f) for f in frames[1:6]]
    assert sum(r.tracked for r in later) >= 4
    last = later[-1]
    kf = last.value("knee_flexion_r")
    assert abs(kf - truth["knee_flexion_r"][5]) < 8.0


def test_malformed_arguments_raise_input_errors(setup):
    cal, frames, intr, _ = setup
    tr = Tracker(cal)
    with pytest.raises(InputError):
        tr.track(frames[0].depth)  # type: ignore[arg-type]
    bad = DepthFrame(frames[0].depth.astype(np.float32), 1, 0.0, 0.001, intr)
    with pytest.raises(InputError):
        tr.track(bad)
    wrong_shape = DepthFrame(np.zeros((100, 100), np.uint16), 1, 0.0, 0.001, intr)
    with pytest.raises(InputError, match="frame 1"):
        tr.track(wrong_shape)
    with pytest.raises(InputError):
        Tracker("not a calibration")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        tr.track(DepthFrame(frames[0].depth, 1, 0.0, 0.0, intr))  # depth scale 0


def test_track_recording_streams_results_and_columns_match_conventions(setup):
    cal, frames, _, _ = setup
    out = list(Tracker(cal).track_recording(frames[:4]))
    assert [r.frame_number for r in out] == [f.frame_number for f in frames[:4]]
    assert all(r.values.shape == (len(COLUMNS),) for r in out)
    assert out[-1].value("hjc_r_y") > 0.7
