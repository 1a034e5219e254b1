"""The HTML report: content from the analysis, skeleton projection, and a real browser render."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import kneesight
from kneesight import InputError, projection
from kneesight.io.frames import DepthFrame
from kneesight.report import skeleton, write_report
from test_export_trial import synthetic_summary, write_trial_dir

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def chromium(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is missing: run scripts/system-deps.sh --test"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)


def fake_depth_frame(trial_dir: Path, frame_number: int, row: int) -> DepthFrame:
    """A depth image of a wall at 4 m with the legs' joint centres drawn as near discs."""
    from kneesight.export.trialdir import load_trial

    trial = load_trial(trial_dir)
    s = trial.summary
    intr = s["camera"]["intrinsics"]
    depth = np.full((intr["height"], intr["width"]), 4000, np.uint16)
    depth[:, :40] = 0  # a no-data band, as at the image edge
    vv, uu = np.mgrid[0 : intr["height"], 0 : intr["width"]]
    for side in ("l", "r"):
        for j in ("hjc", "kjc", "ajc"):
            ((u, v),) = projection.project(
                trial.joint_centre(j, side)[row : row + 1], s["camera"]["lab_from_camera"], intr
            )
            depth[(uu - u) ** 2 + (vv - v) ** 2 < 15**2] = 2500
    return DepthFrame(
        depth,
        frame_number,
        frame_number * 11.1,
        0.001,
        kneesight.Intrinsics(
            intr["width"], intr["height"], intr["fx"], intr["fy"], intr["ppx"], intr["ppy"]
        ),
    )


@pytest.fixture
def trial_with_frames(tmp_path, monkeypatch):
    """A trial whose recording exists and whose frames come from ``fake_depth_frame``."""
    rec = tmp_path / "trial.db3"
    rec.write_bytes(b"stand-in: frames are served by the patched reader")
    d = write_trial_dir(tmp_path / "dvj01", summary=synthetic_summary(str(rec)))
    from kneesight.export.trialdir import load_trial

    trial = load_trial(d)
    frames = {int(trial.table["frame"][r]): r for r in range(trial.n_frames)}

    def read_frames(recording, wanted):
        assert Path(recording) == rec
        return {n: fake_depth_frame(d, n, frames[n]) for n in wanted}

    monkeypatch.setattr(skeleton, "read_frames", read_frames)
    return d


def test_projection_matches_the_pinhole_model():
    lab_from_camera = synthetic_summary()["camera"]["lab_from_camera"]
    intr = {"fx": 400.0, "fy": 410.0, "ppx": 420.0, "ppy": 240.0}
    # camera at x=2.5, y=0.6 looking along -X: a lab point 2 m in front, 0.3 m to the subject's
    # right (lab +Z) and 0.2 m up appears left of centre (image x = -lab Z) and above centre
    uv = projection.project(np.array([[0.5, 0.8, 0.3], [3.0, 0.6, 0.0]]), lab_from_camera, intr)
    assert uv[0] == pytest.approx([420 - 400 * 0.3 / 2.0, 240 - 410 * 0.2 / 2.0])
    assert np.isnan(uv[1]).all()  # behind the camera


def test_report_content_comes_from_the_analysis(tmp_path):
    d = write_trial_dir(tmp_path / "dvj01")
    html = write_report(d).read_text()
    assert "Screening information, not a diagnosis" in html
    assert "Herrington &amp; Munro 2010" in html and "7–13°" in html  # range + source
    assert "18.4°" in html and "FPPA above the normal drop-jump range" in html
    assert "See a physical therapist if pain persists for weeks." in html  # referral
    assert "single-leg glute bridge" in html
    assert "176 of 180" in html and "static trial" in html  # data quality, calibration
    assert "No picture: summary.json names no recording" in html
    assert not re.search(r"(src|href)=\"(https?:|file:|//)", html)  # self-contained


def test_report_of_a_missing_file_names_it(tmp_path):
    d = write_trial_dir(tmp_path / "t")
    (d / "kinematics.csv").unlink()
    with pytest.raises(InputError, match=r"kinematics\.csv"):
        write_report(d)


def test_unreadable_recording_is_said_in_place_of_the_picture(tmp_path):
    bad = tmp_path / "broken.db3"
    bad.write_bytes(b"not a recording")
    d = write_trial_dir(tmp_path / "t", summary=synthetic_summary(str(bad)))
    html = write_report(d).read_text()
    assert html.count('class="missing"') == 2
    assert "broken.db3" in html


def test_report_renders_in_headless_chromium_with_every_image(trial_with_frames):
    path = write_report(trial_with_frames)
    html = path.read_text()
    n_img = html.count("<img ")
    assert n_img == 4  # two skeleton pictures, time series, left/right comparison
    dom = chromium("--dump-dom", path.resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'data-image-count="{n_img}"' in dom.stdout
    assert f'data-images-ok="{n_img}"' in dom.stdout
    assert 'data-images-loaded="all"' in dom.stdout
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-synthetic.png"
    res = chromium(f"--screenshot={shot}", "--window-size=1280,2400", path.resolve().as_uri())
    assert res.returncode == 0 and shot.stat().st_size > 50_000
    shutil.copy(path, ARTIFACTS / "report-synthetic.html")


def test_image_check_catches_a_broken_image(tmp_path):
    d = write_trial_dir(tmp_path / "t")
    path = write_report(d)
    html = path.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1)
    path.write_text(html)
    dom = chromium("--dump-dom", path.resolve().as_uri())
    assert 'data-images-loaded="missing"' in dom.stdout


def test_person_free_trial_reports_what_could_not_be_measured(tmp_path):
    from test_export_trial import untracked_trial_dir

    html = write_report(untracked_trial_dir(tmp_path / "empty")).read_text()
    assert "0/180" in html
    assert "initial contact was not detected" in html
    assert "The analysis reported no metrics" in html
    assert "No flag could be evaluated" in html
    text = re.sub(r'src="data:[^"]*"', "", html)
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)


def test_report_survives_unexpected_summary_shapes(tmp_path):
    s = synthetic_summary()
    s.update(
        events=[0.5],
        peaks=["odd"],
        metrics={"x": {"l": [1, 2], "r": {"y": None}}},
        checks=["not a dict", {"side": "r"}],
        flags=[{"id": "f"}, "text flag"],
        guidance="Do the exercises.",
        less=[1, 2],
        camera={"lab_from_camera": "identity"},
        frames=None,
        data_quality="good",
        calibration=None,
        event_details=3,
        unmeasured=[],
    )
    html = write_report(write_trial_dir(tmp_path / "odd", summary=s)).read_text()
    assert "Do the exercises." in html and "text flag" in html
    assert html.count('class="missing"') == 2  # events unreadable: no pictures, said so
