"""Phantom recordings play back with the intended intrinsics, frame numbers and count."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kneesight.io
from kneesight.cli import main
from kneesight.errors import RecordingError
from kneesight.phantom import (
    Body,
    CameraPlacement,
    ValgusProfile,
    motions,
    read_truth_csv,
    render_trial,
    truth_paths,
)

CAM = CameraPlacement("d435", (424, 240), 90, distance=2.0, height=1.0, yaw=20.0)


def _play(path):
    """(frame_numbers, intrinsics, depth frames) read back through kneesight.io."""
    with kneesight.io.open_recording(path) as rec:
        frames = list(rec)
    return [f.frame_number for f in frames], frames[0].intrinsics, [f.depth for f in frames]


def _play_sdk(path):
    """The same read back with pyrealsense2 directly (no kneesight code involved)."""
    import pyrealsense2 as rs

    pipe, cfg = rs.pipeline(), rs.config()
    cfg.enable_device_from_file(str(path), repeat_playback=False)
    # Out of real time before the first frame flows: a real-time playback drops the frames
    # a slow consumer misses (the pipeline reuses the resolved device).
    cfg.resolve(pipe).get_device().as_playback().set_real_time(False)
    pipe.start(cfg)
    numbers, depths, intr = [], [], None
    try:
        while True:
            try:
                fs = pipe.wait_for_frames(2000)
            except RuntimeError:
                break
            d = fs.get_depth_frame()
            numbers.append(d.get_frame_number())
            depths.append(np.asanyarray(d.get_data()).copy())
            intr = d.profile.as_video_stream_profile().intrinsics
    finally:
        pipe.stop()
    return numbers, intr, depths


def test_recording_plays_back_with_intrinsics_frame_numbers_and_count(tmp_path):
    out = tmp_path / "dvj.db3"
    trial = render_trial(Body(), motions.drop_vertical_jump(valgus=ValgusProfile.high()), CAM,
                         out, seed=3, dropped_frames=(5, 6, 40), duration_s=1.0)  # fmt: skip
    assert trial.recording == out and out.exists()
    assert (trial.truth_csv, trial.truth_json) == truth_paths(out)
    expect = [n for n in range(1, 92) if n not in (5, 6, 40)]
    assert list(trial.truth["frame"]) == expect
    k = CAM.intrinsics
    for play in (_play, _play_sdk):
        numbers, intr, depths = play(out)
        assert numbers == expect
        assert (intr.width, intr.height) == (424, 240)
        assert intr.fx == pytest.approx(k.fx, abs=1e-3)
        assert intr.ppy == pytest.approx(k.ppy, abs=1e-3)
        assert all(d.dtype == np.uint16 and d.shape == (240, 424) for d in depths)
    # Depth looks like the scene: most pixels valid, the subject nearer than the wall.
    d = depths[-1].astype(float) * 0.001
    assert (d > 0).mean() > 0.8
    assert np.percentile(d[d > 0], 5) < 2.2 < np.percentile(d[d > 0], 95)
    # Truth files round-trip.
    back = read_truth_csv(trial.truth_csv)
    for c in ("frame", "time_s", "knee_flexion_r", "fppa_l", "ajc_r_y"):
        np.testing.assert_allclose(back[c], trial.truth[c], atol=1e-6)
    meta = json.loads(trial.truth_json.read_text())
    assert meta["dropped_frames"] == [5, 6, 40]
    assert meta["frame_count"] == len(expect) and meta["seed"] == 3
    assert meta["camera"]["profile"] == "d435"
    np.testing.assert_allclose(meta["camera"]["lab_from_camera"], CAM.lab_from_camera())
    assert set(meta["events"]) == {"initial_contact_s", "peak_knee_flexion_s", "take_off_s",
                                   "second_contact_s"}  # fmt: skip
    assert meta["body"]["thigh_length"] == pytest.approx(Body().thigh_length)
    assert meta["valgus"] == ValgusProfile.high().to_dict()


def test_noise_free_recording_matches_the_ray_cast(tmp_path):
    from kneesight.phantom import simulate

    body, motion = Body(), motions.static(duration_s=0.1)
    trial = render_trial(body, motion, CAM, tmp_path / "s.db3", noise=False)
    _, _, depths = _play(trial.recording)
    sim = simulate(body, motion, CAM)
    z = sim.true_depth(0)
    expect = np.where(np.isfinite(z), np.rint(z.astype(np.float64) / 0.001), 0)
    np.testing.assert_array_equal(depths[0], expect.astype(np.uint16))


def test_existing_outputs_are_never_overwritten(tmp_path):
    out = tmp_path / "trial.db3"
    out.write_bytes(b"somebody's recording")
    with pytest.raises(RecordingError, match="trial.db3"):
        render_trial(Body(), motions.static(duration_s=0.1), CAM, out)
    assert out.read_bytes() == b"somebody's recording"
    other = tmp_path / "b.db3"
    csv_path, _ = truth_paths(other)
    csv_path.write_text("keep")
    with pytest.raises(RecordingError, match="truth.csv"):
        render_trial(Body(), motions.static(duration_s=0.1), CAM, other)
    assert csv_path.read_text() == "keep" and not other.exists()


def test_cli_refuses_bad_arguments_and_existing_files(tmp_path, capsys):
    out = tmp_path / "x.db3"
    assert main(["phantom", "--motion", "dvj", "--out", str(out), "--resolution", "99"]) == 1
    assert "--resolution" in capsys.readouterr().err
    assert main(["phantom", "--motion", "dvj", "--out", str(out), "--fps", "400"]) == 1
    assert "fps" in capsys.readouterr().err
    assert main(["phantom", "--motion", "dvj", "--out", str(out), "--stature", "9"]) == 1
    assert "stature" in capsys.readouterr().err
    assert main(["phantom", "--out", str(out)]) == 1
    assert "--motion" in capsys.readouterr().err
    out.write_text("x")
    assert main(["phantom", "--motion", "static", "--out", str(out)]) == 1
    assert "x.db3" in capsys.readouterr().err and out.read_text() == "x"


def test_cli_renders_with_preview(tmp_path, capsys):
    out = tmp_path / "cli.db3"
    args = ["phantom", "--motion", "single-leg-landing", "--out", str(out), "--duration", "0.3",
            "--resolution", "424x240", "--fps", "30", "--camera", "d455", "--preview"]  # fmt: skip
    assert main(args) == 0
    png = out.with_name(out.name + ".preview.png")
    assert out.exists() and png.exists() and png.read_bytes()[:4] == b"\x89PNG"
    assert truth_paths(out)[1].exists()
    capsys.readouterr()
    assert main(args) == 1  # outputs exist now
    assert main([*args, "--overwrite"]) == 0


def test_cli_drives_the_phantom_with_a_mot_file(tmp_path, capsys):
    t = np.arange(0.0, 1.0, 0.01)
    names = ["time", "pelvis_ty", "hip_flexion_l", "hip_flexion_r", "knee_angle_l",
             "knee_angle_r", "ankle_angle_l", "ankle_angle_r"]  # fmt: skip
    knee = 30.0 * np.sin(np.pi * t) ** 2
    cols = [t, 0.9 + 0 * t, knee / 2, knee / 2, knee, knee, knee / 2, knee / 2]
    rows = "\n".join("\t".join(f"{v:.6f}" for v in r) for r in np.stack(cols, -1))
    mot = tmp_path / "dip.mot"
    mot.write_text("dip\ninDegrees=yes\nendheader\n" + "\t".join(names) + "\n" + rows + "\n")
    out = tmp_path / "mot.db3"
    args = ["phantom", "--mot", str(mot), "--out", str(out), "--resolution", "424x240",
            "--fps", "30", "--no-noise"]  # fmt: skip
    assert main(args) == 0
    meta = json.loads(truth_paths(out)[1].read_text())
    assert meta["motion"] == "mot:dip.mot" and meta["frame_count"] == 30
    truth = read_truth_csv(truth_paths(out)[0])
    np.testing.assert_allclose(truth["knee_flexion_r"], 30.0 * np.sin(np.pi * truth["time_s"]) ** 2,
                               atol=0.2)  # fmt: skip
    assert main(["phantom", "--motion", "dvj", *args[1:], "--overwrite"]) == 1
    assert "--mot" in capsys.readouterr().err
