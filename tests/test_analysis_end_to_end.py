"""``kneesight analyze`` end to end on rendered phantom recordings (static + drop jump), an
empty scene, and a truncated recording."""

from __future__ import annotations

import csv
import json
import shutil
from typing import Any

import numpy as np
import pytest

from kneesight.cli import main
from kneesight.conventions import KINEMATICS_COLUMNS
from kneesight.io import RecordingWriter, open_recording
from kneesight.phantom import (
    Body,
    CameraPlacement,
    ValgusProfile,
    motions,
    render_trial,
)

FPS = 30


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("phantom")
    body, v = Body(1.70, "female"), ValgusProfile.high()
    cam = CameraPlacement("d435", (848, 480), FPS, distance=2.2, height=0.9, yaw=15.0)
    st = render_trial(body, motions.static(duration_s=1.0, valgus=v), cam, d / "static.db3", seed=1)
    tr = render_trial(body, motions.drop_vertical_jump(valgus=v, recovery_s=0.2), cam,
                      d / "dvj.db3", seed=2, dropped_frames=[20, 21])  # fmt: skip
    return {"dir": d, "static": st.recording, "trial": tr.recording, "truth": tr.truth,
            "events": tr.events, "box_height": tr.metadata["scene"]["box_height_m"]}  # fmt: skip


def test_analyze_writes_the_contract(phantom: dict[str, Any], capsys) -> None:
    out = phantom["dir"] / "out"
    code = main(["analyze", str(phantom["trial"]), "--static", str(phantom["static"]),
                 "--out", str(out), "--quiet", "--sex", "female"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    with (out / "kinematics.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == KINEMATICS_COLUMNS
    with open_recording(phantom["trial"]) as rec:
        numbers = [fr.frame_number for fr in rec]
    assert [int(r[0]) for r in rows[1:]] == numbers  # one row per recorded frame
    assert float(rows[1][1]) == 0.0
    s = json.loads((out / "summary.json").read_text())
    assert s["calibration"]["source"] == "static recording"
    # the sex given sizes the thigh by its own share of stature (a woman's is 0.212, the
    # model's mean of the sexes 0.232: 3.4 cm longer at 1.70 m)
    cal = s["calibration"]
    assert cal["thigh_share_of_stature"].startswith("0.212 (female")
    assert cal["thigh_length_calibrated_m"] == pytest.approx(0.212 * cal["stature_m"], abs=0.008)
    thigh = cal["thigh_length_measured_in_trial_m"] or cal["thigh_length_calibrated_m"]
    # the bent-knee measurement reads a woman's thigh 1-3 cm long
    assert abs(thigh - Body(1.70, "female").thigh_length) < 0.02, cal
    assert s["frames"]["total"] == len(numbers)
    assert s["frames"]["dropped"] == 2 and 20 not in numbers and 21 not in numbers
    assert s["frames"]["tracked"] == sum(r[2] == "1" for r in rows[1:])
    assert s["recording"] == str(phantom["trial"].resolve())
    assert np.asarray(s["camera"]["lab_from_camera"]).shape == (4, 4)
    assert set(s["events"]) == {"initial_contact_s", "peak_knee_flexion_s", "take_off_s",
                                "second_contact_s"}  # fmt: skip
    assert s["kneesight_version"]
    assert (out / "report.html").is_file()
    # a second run refuses to overwrite; --overwrite replaces only the results
    assert main(["analyze", str(phantom["trial"]), "--static", str(phantom["static"]),
                 "--out", str(out), "--quiet"]) == 1  # fmt: skip
    assert "already holds results" in capsys.readouterr().err


def test_empty_scene_reports_nothing_measured(phantom: dict[str, Any], capsys) -> None:
    """A recording with nobody in it: calibrated from the static trial, every frame
    untracked, no event, no flag, every metric null with a reason."""
    with open_recording(phantom["static"]) as rec:
        first = next(iter(rec))
        intr, scale = first.intrinsics, first.depth_scale
    h, w = first.depth.shape
    # the floor seen by the same camera: the static trial's depth with the person removed is
    # not available, so use the farthest depth per column (floor and wall) of the first frame
    floor = np.where(first.depth > 0, first.depth, 0).astype(np.uint16)
    far = np.percentile(np.where(floor > 0, floor, np.nan), 95, axis=0)
    empty = np.tile(np.nan_to_num(far).astype(np.uint16), (h, 1))
    path = phantom["dir"] / "empty.db3"
    with RecordingWriter(path, intr, depth_scale=scale, fps=FPS) as wr:
        for k in range(20):
            wr.write(empty, frame_number=k + 1, timestamp_ms=1000.0 * k / FPS)
    out = phantom["dir"] / "empty_out"
    code = main(["analyze", str(path), "--static", str(phantom["static"]), "--out", str(out),
                 "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    s = json.loads((out / "summary.json").read_text())
    assert s["frames"]["tracked"] == 0
    assert all(v is None for v in s["events"].values())
    assert s["flags"] == []
    assert s["unmeasured"]
    assert any("not tracked in any frame" in w for w in s["warnings"])
    # without a static trial there is nobody to calibrate from: a clear error
    code = main(["analyze", str(path), "--out", str(phantom["dir"] / "o2"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "empty.db3" in err and "Traceback" not in err


def test_truncated_recording_is_an_error_or_a_shorter_trial(phantom: dict[str, Any], capsys):
    cut = phantom["dir"] / "cut.db3"
    shutil.copyfile(phantom["trial"], cut)
    size = cut.stat().st_size
    with cut.open("r+b") as f:
        f.truncate(size // 2)
    out = phantom["dir"] / "cut_out"
    code = main(["analyze", str(cut), "--static", str(phantom["static"]), "--out", str(out),
                 "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 1:
        assert err.startswith("kneesight analyze: error: ") and "cut.db3" in err
    else:
        s = json.loads((out / "summary.json").read_text())
        assert 0 < s["frames"]["total"]


def test_saved_subject_calibration_can_replace_the_static_trial(
    phantom: dict[str, Any], capsys
) -> None:
    from kneesight.tracking import calibrate_subject

    cal_file = phantom["dir"] / "subject.json"
    calibrate_subject(phantom["static"], stature_m=1.70).save(cal_file)
    out = phantom["dir"] / "subject_out"
    code = main(["analyze", str(phantom["trial"]), "--subject", str(cal_file), "--out", str(out),
                 "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text())
    assert s["calibration"]["source"] == "subject file"
    assert s["calibration"]["path"] == str(cal_file.resolve())
    assert "subject calibration" in s["metrics"]["static_alignment"]["source"]
    # a corrupt calibration file is a clear error naming it
    bad = phantom["dir"] / "bad.json"
    bad.write_text("{not json")
    code = main(["analyze", str(phantom["trial"]), "--subject", str(bad), "--out",
                 str(phantom["dir"] / "bad_out"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "bad.json" in err and "Traceback" not in err


KNEE_FLEXION_RMSE_DEG = 8.0
"""Knee flexion error allowed between initial contact and take-off without a static trial
(the head is out of view on the box, so the stature, and with it the segment lengths, are
scaled from the thigh measured in the landing)."""


def test_without_static_the_box_stance_calibrates_the_drop_jump(
    phantom: dict[str, Any], capsys
) -> None:
    """No --static: the subject stands on the 31 cm box for the first 0.5 s; that quiet
    standing calibrates the subject (on the box, facing the camera), and the drop jump is
    tracked: events within 2 frames of the truth, knee flexion close to it in contact."""
    out = phantom["dir"] / "nostatic"
    code = main(["analyze", str(phantom["trial"]), "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text())
    cal = s["calibration"]
    assert cal["source"] == "first quiet second of the trial"
    # only the quiet standing: the subject steps off the box at 0.5 s
    assert 0.25 <= cal["seconds_used"] <= 0.55
    assert "origin" in cal["note"]
    # on the box the head leaves the image (the shoulders do not): the stature comes from
    # the height of the shoulders, and the result says so and how to do better
    assert cal["stature"].startswith("the height of the shoulders"), cal
    assert abs(cal["stature_m"] - 1.70) < 0.03 * 1.70, cal
    assert cal["stature_from_standing_legs_m"] > 0
    assert any("--stature" in w for w in s["warnings"])
    assert s["frames"]["tracked"] >= 0.95 * s["frames"]["total"]
    for key, t_true in phantom["events"].items():
        assert s["events"][key] is not None, (key, s["unmeasured"])
        # within 2 frames (the summary rounds times to 0.1 ms)
        assert abs(s["events"][key] - t_true) <= 2.0 / FPS + 1e-4, (key, s["events"][key], t_true)

    with (out / "kinematics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    truth = phantom["truth"]
    at = {int(f): i for i, f in enumerate(truth["frame"])}
    idx = np.array([at[int(r["frame"])] for r in rows])

    def col(name: str) -> np.ndarray:
        return np.array([float(r[name]) if r[name] else np.nan for r in rows])

    t = truth["time_s"][idx]
    ev = phantom["events"]
    contact = (t >= ev["initial_contact_s"]) & (t <= ev["take_off_s"])
    assert contact.sum() >= 10
    for side in ("l", "r"):
        err = col(f"knee_flexion_{side}")[contact] - truth[f"knee_flexion_{side}"][idx][contact]
        assert np.isfinite(err).all()
        rmse = float(np.sqrt(np.mean(err**2)))
        assert rmse < KNEE_FLEXION_RMSE_DEG, (side, rmse)
    # the lab origin is on the floor below the ankles of the box stance: on the box the ankle
    # joint centres are a box height plus an ankle height above the floor, above the origin
    quiet = t < 0.4
    ankle_y = np.nanmedian(np.fmin(col("ajc_l_y"), col("ajc_r_y"))[quiet])
    true_y = np.median(np.fmin(truth["ajc_l_y"], truth["ajc_r_y"])[idx][quiet])
    assert abs(ankle_y - true_y) < 0.04
    assert true_y > phantom["box_height"]
    mid_x = np.nanmedian((0.5 * (col("ajc_l_x") + col("ajc_r_x")))[quiet])
    assert abs(mid_x) < 0.05


def test_quiet_standing_ends_where_the_subject_starts_to_move() -> None:
    """The motion detector that picks the calibration frames without a static trial: depth
    noise and dropouts are not motion; a body part moving at 0.75 m/s (stepping off a box)
    is."""
    from kneesight.analysis.recording import quiet_frames

    rng = np.random.default_rng(0)
    fps, start = 30.0, 20
    frames = []
    for k in range(60):
        z = 2000.0 + rng.normal(0.0, 12.0, (120, 160))  # mm: D435-like noise at 2 m
        z[rng.random(z.shape) < 0.002] = 0.0  # dropouts
        shift = 25.0 * max(k - start, 0)  # the "subject" starts moving at frame 20
        z[30:90, 60:100] = 1800.0 + shift + rng.normal(0.0, 12.0, (60, 40))
        frames.append(np.clip(z, 0, 65535).astype(np.uint16))
    n = quiet_frames(frames, 0.001, fps)
    assert start - 3 <= n <= start
    assert quiet_frames(frames[:start], 0.001, fps) == start  # still throughout


def test_quiet_standing_at_a_low_resolution_allows_for_its_larger_depth_noise() -> None:
    """A depth mode with half the focal length (424x240) has twice the depth noise: with the
    focal length given the still subject is quiet, and the motion is still found."""
    from kneesight.analysis.recording import quiet_frames

    rng = np.random.default_rng(1)
    fps, start = 90.0, 40
    frames = []
    for k in range(120):
        z = 2000.0 + rng.normal(0.0, 24.0, (60, 106))  # mm: twice the noise of 848x480 at 2 m
        shift = 9.0 * max(k - start, 0)  # 0.8 m/s from frame 40
        z[15:45, 40:60] = 1800.0 + shift + rng.normal(0.0, 24.0, (30, 20))
        frames.append(np.clip(z, 0, 65535).astype(np.uint16))
    assert quiet_frames(frames, 0.001, fps, stride=1) == 0  # noise read as motion at 848x480
    n = quiet_frames(frames, 0.001, fps, stride=1, fx=215.0)
    assert start - 9 <= n <= start


def test_without_static_a_trial_that_starts_moving_is_a_clear_error(
    phantom: dict[str, Any], capsys
) -> None:
    """Without a static trial the start of the trial must hold some quiet standing: a trial
    in which something moves from the first frames is refused with a message naming it."""
    with open_recording(phantom["static"]) as rec:
        first = next(iter(rec))
    base = first.depth.astype(np.float64)
    path = phantom["dir"] / "moving.db3"
    with RecordingWriter(path, first.intrinsics, depth_scale=first.depth_scale, fps=FPS) as wr:
        for k in range(2 * FPS):
            z = base.copy()
            if k >= 3:  # a block sweeping across the image at 1.5 m/s from frame 3
                u0 = 100 + 12 * k
                z[150:400, u0 : u0 + 120] = 1800.0
            wr.write(z.astype(np.uint16), frame_number=k + 1, timestamp_ms=1000.0 * k / FPS)
    code = main(["analyze", str(path), "--out", str(phantom["dir"] / "moving_out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "moving.db3" in err and "quiet standing" in err, err
    assert "--static" in err and "Traceback" not in err
