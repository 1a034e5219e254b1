"""Single-leg landings: the leg held up is left out of the landing's findings (peaks, metrics,
flags, left/right asymmetry, LESS), and the summary and report say which leg landed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kneesight.analysis import analyze_kinematics
from kneesight.analysis.legs import landing_legs, without_side
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, simulate

FPS = 60
CAM = CameraPlacement(fps=FPS)


def _truth(motion) -> dict:
    return simulate(Body(1.70, "female"), motion, CAM).truth


@pytest.mark.parametrize("side", ["l", "r"])
def test_single_leg_landing_reports_only_the_landing_leg(side: str, tmp_path: Path) -> None:
    other = "l" if side == "r" else "r"
    r = analyze_kinematics(
        _truth(motions.single_leg_landing(side=side, valgus=ValgusProfile.high())),
        fps=FPS,
        sex="female",
    )
    assert r.landing["legs"] == [side] and r.landing["kind"] == "single-leg"
    assert f"on the {'left' if side == 'l' else 'right'} leg" in r.landing["note"]
    # the landing leg is measured and screened; the other one is not
    assert r.peaks[side]["knee_flexion"] is not None and r.peaks[side]["knee_flexion"] > 40.0
    assert all(v is None for v in r.peaks[other].values())
    assert r.metrics["knee_flexion_displacement"][other] is None
    assert r.metrics["knee_flexion_displacement"][side] is not None
    assert all(f["side"] in (side, None) for f in r.flags), r.flags
    assert not any(f["id"] == "left_right_asymmetry" for f in r.flags)
    assert all(v is None for v in r.metrics["asymmetry"].values())
    # the high-valgus lander is still flagged on its landing leg
    assert ("fppa_above_normal", side) in {(f["id"], f["side"]) for f in r.flags}
    # every null says why
    why = r.unmeasured[f"peaks.{other}.knee_flexion"]
    assert "did not land" in why
    assert r.unmeasured["metrics.asymmetry.peak_fppa"] == why
    assert r.less["score"] is None and r.less["items"] == []
    assert "double-leg" in r.less["note"]
    assert r.summary()["landing"]["legs"] == [side]
    # the kinematics of the raised leg are still reported frame by frame
    assert (r.table[f"knee_flexion_{other}"] == r.table[f"knee_flexion_{other}"]).any()
    # the report says which leg landed
    html = Path(r.write(tmp_path / "trial")["report"]).read_text(encoding="utf-8")
    assert "Single-leg landing on the" in html


def test_drop_jump_lands_on_both_legs() -> None:
    truth = _truth(motions.drop_vertical_jump())
    r = analyze_kinematics(truth, fps=FPS, sex="female")
    assert r.landing == {"legs": ["l", "r"], "kind": "double-leg", "note": None}
    assert all(r.peaks[s]["knee_flexion"] is not None for s in "lr")
    assert r.less["items"]


def test_landing_legs_without_a_landing_keeps_both() -> None:
    truth = _truth(motions.squat())
    r = analyze_kinematics(truth, fps=FPS)
    assert r.landing["legs"] == ["l", "r"]
    assert landing_legs(truth, r.events) == ("l", "r")


def test_without_side_blanks_only_that_side() -> None:
    truth = _truth(motions.static(duration_s=0.2))
    out = without_side(truth, "l")
    assert all(v != v for v in out["knee_flexion_l"])  # NaN
    assert all(v != v for v in out["ajc_l_y"])
    assert (out["knee_flexion_r"] == truth["knee_flexion_r"]).all()
    assert (out["time_s"] == truth["time_s"]).all()
