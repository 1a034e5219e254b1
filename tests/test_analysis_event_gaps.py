"""An event next to dropped frames cannot be timed to a frame, and the result says so."""

from __future__ import annotations

import numpy as np

from kneesight.analysis import analyze_kinematics
from kneesight.phantom import Body, CameraPlacement, motions, simulate

FPS = 60


def _truth(motion) -> dict:
    return simulate(Body(1.70, "female"), motion, CameraPlacement(fps=FPS)).truth


def test_an_event_next_to_dropped_frames_says_it_cannot_be_timed_to_a_frame() -> None:
    truth = _truth(motions.drop_vertical_jump())
    t = truth["time_s"]
    ic = int(np.argmin(np.abs(t - 0.9)))  # the phantom's drop jump lands at 0.9 s
    keep = np.ones(t.size, dtype=bool)
    keep[ic - 2 : ic + 3] = False  # five frames lost around the touch-down
    r = analyze_kinematics({k: np.asarray(v)[keep] for k, v in truth.items()}, fps=FPS)
    notes = [w for w in r.warnings if "dropped frame" in w]
    assert len(notes) == 1 and notes[0].startswith("initial contact") and "5 dropped" in notes[0]
    assert r.summary()["warnings"] == r.warnings
    # no gap, no note
    assert not [w for w in analyze_kinematics(truth, fps=FPS).warnings if "dropped" in w]
