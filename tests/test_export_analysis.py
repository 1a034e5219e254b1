"""Exports of a trial analysed by kneesight.analysis from phantom ground truth: the values, rate
and events of the analysis come back out of the C3D, .mot, .trc and the batch summary."""

from __future__ import annotations

import csv

import ezc3d
import numpy as np
import pytest

from kneesight.analysis.pipeline import analyze_kinematics
from kneesight.export import export, summarize
from kneesight.export.trialdir import load_trial
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, simulate
from test_export import read_mot, read_trc


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("analysed")
    cam = CameraPlacement("d435", distance=2.5, height=1.0, yaw=0)
    dirs = []
    for name, valgus in (("high", ValgusProfile.high()), ("neutral", None)):
        sim = simulate(Body(1.70, "female"), motions.drop_vertical_jump(valgus=valgus), cam,
                       dropped_frames=[30, 31, 32])  # fmt: skip
        # unfiltered: the exports are compared with the truth values themselves
        result = analyze_kinematics(sim.truth, fps=cam.fps, sex="female", filter_hz=None)
        d = tmp / name
        result.write(d, report=False)
        dirs.append((d, sim))
    return dirs


def test_c3d_of_an_analysed_trial_round_trips(analysed):
    d, sim = analysed[0]
    trial = load_trial(d)
    export(d, "c3d")
    c = ezc3d.c3d(str(d / "high.c3d"))
    labels = c["parameters"]["POINT"]["LABELS"]["value"]
    assert c["parameters"]["POINT"]["RATE"]["value"][0] == pytest.approx(90.0)
    pts = c["data"]["points"]
    # frame numbers start at 1 and 3 frames were dropped: C3D frame k is frame number k + 1
    assert pts.shape[2] == int(sim.truth["frame"][-1])
    for row in (10, 120, 200):
        k = int(sim.truth["frame"][row]) - 1
        kn = pts[:3, labels.index("LKneeAngles"), k]
        assert kn[0] == pytest.approx(sim.truth["knee_flexion_l"][row], abs=1e-3)
        assert kn[1] == pytest.approx(-sim.truth["knee_valgus_l"][row], abs=1e-3)
        hip = pts[:3, labels.index("RHJC"), k]
        assert np.allclose(hip / 1000, [sim.truth[f"hjc_r_{a}"][row] for a in "xyz"], atol=1e-6)
    assert np.isnan(pts[0, labels.index("RKJC"), 30])  # frame number 31 was dropped
    ev = c["parameters"]["EVENT"]
    t = ev["TIMES"]["value"][0] * 60 + ev["TIMES"]["value"][1]
    labels_ev, contexts = np.array(ev["LABELS"]["value"]), np.array(ev["CONTEXTS"]["value"])
    left = sorted(t[(labels_ev == "Foot Strike") & (contexts == "Left")])
    own = trial.summary["event_details"]["foot_contact_s"]["l"]
    assert left[0] == pytest.approx(own, abs=1e-4)  # the left foot's own contact
    assert left[0] == pytest.approx(trial.event("initial_contact_s"), abs=1.0 / 90)


def test_opensim_files_of_an_analysed_trial(analysed):
    d, sim = analysed[0]
    export(d, "mot,trc")
    header, names, data = read_mot(d / "high.mot")
    assert int(header["nRows"]) == data.shape[0] == int(sim.truth["frame"][-1])  # gap filled
    row = 150
    i = int(sim.truth["frame"][row]) - 1
    assert data[i, 0] == pytest.approx(sim.truth["time_s"][row], abs=1e-6)
    for name, q in (
        ("knee_angle_r", "knee_flexion_r"),
        ("hip_rotation_l", "hip_internal_rotation_l"),
        ("hip_adduction_r", "hip_adduction_r"),
        ("ankle_angle_l", "ankle_dorsiflexion_l"),
    ):
        assert data[i, names.index(name)] == pytest.approx(sim.truth[q][row], abs=1e-4)
    meta, markers, _, trc = read_trc(d / "high.trc")
    assert int(meta["NumFrames"]) == trc.shape[0] and meta["Units"] == "mm"
    m = markers.index("RAJC")
    assert np.allclose(trc[i, 2 + 3 * m : 5 + 3 * m] / 1000,
                       [sim.truth[f"ajc_r_{a}"][row] for a in "xyz"], atol=1e-5)  # fmt: skip


def test_summary_csv_of_analysed_trials(analysed, tmp_path):
    out = summarize([d for d, _ in analysed], tmp_path / "batch.csv")
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["trial"], r["side"]) for r in rows] == [
        ("high", "left"),
        ("high", "right"),
        ("neutral", "left"),
        ("neutral", "right"),
    ]
    high, neutral = rows[1], rows[3]
    assert float(high["peaks.fppa"]) > float(neutral["peaks.fppa"])
    assert "fppa_above_normal" in high["flags"] and "fppa_above_normal" not in neutral["flags"]
    assert high["initial_contact_s"] != "" and high["frames_dropped"] == "3"
    assert "less.items.knee_flexion_displacement.errors" in rows[0]
    assert not any("criterion" in k for k in rows[0])
