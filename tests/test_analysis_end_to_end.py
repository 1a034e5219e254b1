"""``kneesight analyze`` end to end on rendered phantom recordings (static + drop jump), an
empty scene, and a truncated recording."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

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
def phantom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("phantom")
    body, v = Body(1.70, "female"), ValgusProfile.high()
    cam = CameraPlacement("d435", (848, 480), FPS, distance=2.2, height=0.9, yaw=15.0)
    st = render_trial(body, motions.static(duration_s=1.0, valgus=v), cam, d / "static.db3", seed=1)
    tr = render_trial(body, motions.drop_vertical_jump(valgus=v, recovery_s=0.2), cam,
                      d / "dvj.db3", seed=2, dropped_frames=[20, 21])  # fmt: skip
    return {"dir": d, "static": st.recording, "trial": tr.recording}


def test_analyze_writes_the_contract(phantom: dict[str, Path], capsys) -> None:
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


def test_empty_scene_reports_nothing_measured(phantom: dict[str, Path], capsys) -> None:
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


def test_truncated_recording_is_an_error_or_a_shorter_trial(phantom: dict[str, Path], capsys):
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
    phantom: dict[str, Path], capsys
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
