"""A short athlete close to the camera: the head is out of view on the box, so the stature
cannot be measured. Standing legs barely show their length: the estimate stays near a mean
adult's 1.75 m (1.78 m here, for 1.58 m), and with a model that much too big the landing read
knee flexion 10.8, FPPA 23.6 and hip rotation 8.6 deg RMS off in contact, and raised valgus
flags on this neutral lander. The thigh and shank measured in the landing now size the model
(by their share of stature, which differs little between women and men)."""

from __future__ import annotations

import csv
import json
from typing import Any

import numpy as np
import pytest

from kneesight.analysis.recording import leg_stature, thigh_stature
from kneesight.cli import main
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, render_trial

FPS = 60
BODY = Body(1.58, "female", "slim")


@pytest.fixture(scope="module")
def close_short(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("close")
    cam = CameraPlacement("d435", (848, 480), FPS, distance=1.6)
    tr = render_trial(
        BODY,
        motions.drop_vertical_jump(valgus=ValgusProfile.neutral(), recovery_s=0.3),
        cam,
        d / "dvj.db3",
        seed=3,
    )
    return {"dir": d, "trial": tr.recording, "truth": tr.truth, "events": tr.events}


def _rmse(rows: list[dict[str, str]], truth: dict, q: str, contact: np.ndarray) -> float:
    err = []
    for s in ("l", "r"):
        v = np.array([float(r[f"{q}_{s}"]) if r[f"{q}_{s}"] else np.nan for r in rows])
        err.append(v[contact] - truth[f"{q}_{s}"][contact])
    e = np.concatenate(err)
    assert np.isfinite(e).all()
    return float(np.sqrt(np.mean(e**2)))


def test_the_legs_measured_in_the_landing_size_the_model(
    close_short: dict[str, Any], capsys
) -> None:
    out = close_short["dir"] / "out"
    code = main(["analyze", str(close_short["trial"]), "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text())
    cal = s["calibration"]
    assert cal["stature"].startswith("the thigh and shank lengths measured in the trial")
    assert cal["shank_length_measured_in_trial_m"] > 0
    # the standing legs read a mean adult; the legs measured get within 5 %
    assert cal["stature_from_standing_legs_m"] > 1.08 * BODY.stature
    assert abs(cal["stature_m"] - BODY.stature) < 0.05 * BODY.stature, cal
    assert any("--stature" in w for w in s["warnings"])
    # a neutral lander: no valgus finding
    assert not {f["id"] for f in s["flags"]} & {
        "fppa_above_normal",
        "hip_internal_rotation_excessive",
        "left_right_asymmetry",
    }, s["flags"]
    for key, t_true in close_short["events"].items():
        assert s["events"][key] is not None, (key, s["unmeasured"])
        assert abs(s["events"][key] - t_true) <= 2.0 / FPS + 1e-4, (key, s["events"][key], t_true)
    with (out / "kinematics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    truth = close_short["truth"]
    assert [int(r["frame"]) for r in rows] == [int(f) for f in truth["frame"]]
    t = truth["time_s"]
    ev = close_short["events"]
    contact = (t >= ev["initial_contact_s"]) & (t <= ev["take_off_s"])
    assert contact.sum() >= 20
    assert _rmse(rows, truth, "knee_flexion", contact) < 4.0
    assert _rmse(rows, truth, "hip_internal_rotation", contact) < 6.0
    assert _rmse(rows, truth, "fppa", contact) < 5.0


def test_thigh_stature_uses_the_published_share() -> None:
    # de Leva (1996): thigh 368.5 mm of 1735 mm in women, 422.2 of 1741 in men
    assert thigh_stature(0.3685, "female") == pytest.approx(1.735)
    assert thigh_stature(0.4222, "male") == pytest.approx(1.741)
    assert thigh_stature(0.39, "male") < thigh_stature(0.39, None) < thigh_stature(0.39, "female")
    assert thigh_stature(0.1, None) == 1.2 and thigh_stature(0.9, "male") == 2.2


def test_leg_stature_uses_the_published_shares_and_barely_depends_on_sex() -> None:
    # de Leva (1996): thigh and shank 368.5 + 432.3 mm of 1735 mm in women, 422.2 + 434.0 of
    # 1741 in men
    assert leg_stature(0.3685, 0.4323, "female") == pytest.approx(1.735)
    assert leg_stature(0.4222, 0.4340, "male") == pytest.approx(1.741)
    # without the sex, a man's legs read 3 % tall and a woman's 3 % short (the thigh alone:
    # 7 %)
    assert leg_stature(0.4222, 0.4340, None) / 1.741 == pytest.approx(1.032, abs=0.003)
    assert leg_stature(0.3685, 0.4323, None) / 1.735 == pytest.approx(0.969, abs=0.003)
    assert thigh_stature(0.4222, None) / 1.741 > 1.06
    assert leg_stature(0.1, 0.1, None) == 1.2 and leg_stature(0.6, 0.6, "male") == 2.2
