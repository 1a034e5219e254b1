"""``kneesight phantom`` options that shape the motion (drop jump knee flexion at contact, force
plates)."""

from __future__ import annotations

import json

import numpy as np

from kneesight.cli import main
from kneesight.phantom import read_truth_csv, truth_paths


def _render_dvj(out, *extra: str) -> tuple[dict, dict]:
    args = ["phantom", "--motion", "dvj", "--out", str(out), "--resolution", "424x240",
            "--fps", "90", "--no-noise", "--duration", "1.0", *extra]  # fmt: skip
    assert main(args) == 0
    csv_path, json_path = truth_paths(out)
    return read_truth_csv(csv_path), json.loads(json_path.read_text())


def test_dvj_knee_flexion_at_contact_reaches_the_truth(tmp_path, capsys):
    truth, meta = _render_dvj(tmp_path / "stiff.db3", "--knee-flexion-at-contact", "18")
    assert meta["motion_params"]["knee_flexion_at_contact"] == 18.0
    ic = meta["events"]["initial_contact_s"]
    row = int(np.argmin(np.abs(truth["time_s"] - ic)))
    for side in ("l", "r"):
        assert abs(truth[f"knee_flexion_{side}"][row] - 18.0) < 4.0
    _, default = _render_dvj(tmp_path / "soft.db3")
    assert default["motion_params"]["knee_flexion_at_contact"] == 33.0


def test_knee_flexion_at_contact_is_refused_outside_dvj_or_range(tmp_path, capsys):
    out = tmp_path / "x.db3"
    base = ["phantom", "--out", str(out), "--knee-flexion-at-contact"]
    assert main([*base, "25", "--motion", "squat"]) == 1
    assert "--knee-flexion-at-contact applies only to --motion dvj" in capsys.readouterr().err
    assert main([*base, "70", "--motion", "dvj"]) == 1
    assert "knee_flexion_at_contact = 70.0 is outside" in capsys.readouterr().err
    assert not out.exists()


def test_force_plates_are_refused_without_a_mot_file(tmp_path, capsys):
    out = tmp_path / "x.db3"
    assert main(["phantom", "--out", str(out), "--motion", "dvj", "--grf", "f.mot"]) == 1
    assert "--grf applies only with --mot" in capsys.readouterr().err
    assert not out.exists()
