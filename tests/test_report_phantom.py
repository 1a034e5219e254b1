"""The report of a rendered phantom drop jump: the analysis output, the real recording read back,
the skeleton projected onto the knees, and every image loaded in headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import kneesight.io
from kneesight import projection
from kneesight.export.trialdir import load_trial
from kneesight.report import skeleton, write_report
from test_report import ARTIFACTS, chromium

if not hasattr(kneesight.io, "RecordingWriter") or not hasattr(kneesight.io, "open_recording"):
    pytest.skip("kneesight.io has no recording writer/reader yet", allow_module_level=True)

from kneesight.analysis.pipeline import analyze_kinematics  # noqa: E402
from kneesight.phantom import (  # noqa: E402
    Body,
    CameraPlacement,
    ValgusProfile,
    motions,
    render_trial,
)


@pytest.fixture(scope="module")
def phantom_trial(tmp_path_factory):
    """A high-valgus drop landing rendered from a camera 15 deg off-axis, analysed from truth."""
    tmp = tmp_path_factory.mktemp("phantom")
    cam = CameraPlacement("d435", distance=2.5, height=1.0, yaw=15)
    motion = motions.drop_vertical_jump(valgus=ValgusProfile.high())
    tr = render_trial(Body(1.70, "female"), motion, cam, tmp / "dvj.db3", duration_s=1.45,
                      dropped_frames=[40, 41])  # fmt: skip
    result = analyze_kinematics(tr.truth, fps=cam.fps, sex="female", dropped=2)
    intr = cam.intrinsics
    result.camera = {
        "intrinsics": {
            k: getattr(intr, k)
            for k in ("width", "height", "fx", "fy", "ppx", "ppy", "model", "coeffs")
        },  # fmt: skip
        "depth_scale": 0.001,
        "lab_from_camera": cam.lab_from_camera().tolist(),
    }
    result.recording = str(tr.recording.resolve())
    out = tmp / "dvj01"
    result.write(out, report=False)
    return out, tr


def test_skeleton_lands_on_the_knees_in_the_recorded_depth(phantom_trial):
    d, _ = phantom_trial
    trial = load_trial(d)
    lab_from_camera = trial.summary["camera"]["lab_from_camera"]
    cam_from_lab = np.linalg.inv(np.asarray(lab_from_camera))
    for key in skeleton.SNAPSHOT_EVENTS:
        row = trial.row_at(trial.event(key))
        number = int(trial.table["frame"][row])
        (frame,) = skeleton.read_frames(trial.summary["recording"], {number}).values()
        assert frame.frame_number == number
        intr = trial.summary["camera"]["intrinsics"]
        depth = frame.depth_m
        for side in ("l", "r"):
            knee = trial.joint_centre("kjc", side)[row]
            ((u, v),) = projection.project(knee[None], lab_from_camera, intr)
            z_centre = (cam_from_lab[:3, :3] @ knee + cam_from_lab[:3, 3])[2]
            patch = depth[int(v) - 3 : int(v) + 4, int(u) - 3 : int(u) + 4]
            surface = np.median(patch[patch > 0])
            # the knee's front surface lies a few cm in front of its joint centre
            assert 0.0 < z_centre - surface < 0.12, (key, side, z_centre, surface)


def test_phantom_report_renders_with_every_image(phantom_trial):
    d, tr = phantom_trial
    html = write_report(d).read_text()
    assert "No picture" not in html
    assert html.count("<img ") == 4
    assert "Herrington" in html and "Souza" in html  # sources of the fired flags
    assert "FPPA" in html and "physical therapist" in html
    dom = chromium("--dump-dom", (d / "report.html").resolve().as_uri())
    assert 'data-images-loaded="all"' in dom.stdout and 'data-image-count="4"' in dom.stdout
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    res = chromium(f"--screenshot={shot}", "--window-size=1280,2400",
                   (d / "report.html").resolve().as_uri())  # fmt: skip
    assert res.returncode == 0 and shot.stat().st_size > 100_000
    shutil.copy(d / "report.html", ARTIFACTS / "report-phantom.html")


def test_moved_recording_is_said_in_place_of_the_picture(phantom_trial, tmp_path):
    d, _ = phantom_trial
    copy = tmp_path / "moved"
    shutil.copytree(d, copy, ignore=shutil.ignore_patterns("report.html"))
    s = (copy / "summary.json").read_text().replace("dvj.db3", "gone.db3")
    (copy / "summary.json").write_text(s)
    html = write_report(copy).read_text()
    assert html.count("is not available") == 2 and html.count("<img ") == 2
    assert Path(str(load_trial(copy).summary["recording"])).name == "gone.db3"
