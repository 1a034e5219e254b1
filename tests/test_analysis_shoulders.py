"""The stature from the shoulders when the head is out of view: on synthetic standing clouds,
and through ``analyze`` on a phantom whose head the camera cuts off."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight import analyze
from kneesight.analysis.shoulders import (
    SHOULDER_OF_STATURE,
    shoulder_height,
    stature_from_shoulders,
)
from kneesight.phantom import Body, CameraPlacement, motions, render_trial


def _box(rng: np.random.Generator, y: tuple[float, float], width: float, n: int) -> np.ndarray:
    """``n`` points of a block ``width`` wide (lab Z) between heights ``y``."""
    return np.column_stack(
        [
            rng.uniform(-0.1, 0.1, n),
            rng.uniform(y[0], y[1], n),
            rng.uniform(-width / 2, width / 2, n),
        ]
    )


def _standing(
    stature: float, feet: float = 0.0, top: float | None = None, arms_up: bool = False
) -> np.ndarray:
    """A standing subject's points: legs, trunk with arms (0.45 m wide) up to the shoulders
    (0.818 of stature above the feet), neck and head above; cut at ``top`` (the image's edge)."""
    rng = np.random.default_rng(1)
    sh = feet + SHOULDER_OF_STATURE * stature
    parts = [
        _box(rng, (feet, feet + 0.85), 0.3, 6000),
        _box(rng, (feet + 0.85, sh), 0.45, 8000),
        _box(rng, (sh, feet + stature), 0.14, 2000),
    ]
    if arms_up:
        parts.append(_box(rng, (sh, sh + 0.5), 0.6, 2000))
    p = np.concatenate(parts)
    return p[p[:, 1] <= top] if top is not None else p


def test_the_shoulders_give_the_stature_with_the_head_cut_off() -> None:
    # the image ends 10 cm above the shoulders of a 1.75 m subject (1.53 m): no head top
    pts = _standing(1.75, top=1.53)
    assert shoulder_height(pts) == pytest.approx(SHOULDER_OF_STATURE * 1.75, abs=0.021)
    got = stature_from_shoulders([pts[::2], pts[1::2]])
    assert got is not None
    assert got[0] == pytest.approx(1.75, rel=0.015)
    # on a 0.3 m box: the shoulders are measured from the feet
    got = stature_from_shoulders([_standing(1.62, feet=0.3, top=1.75)])
    assert got is not None and got[0] == pytest.approx(1.62, rel=0.015)
    # ... from the box's top when the soles' points are lost in its noise band
    soles_lost = _standing(1.62, feet=0.3, top=1.75)
    soles_lost = soles_lost[soles_lost[:, 1] > 0.4]
    boxed = [(0.3, (-0.5, 0.5), (-0.4, 0.4))]
    got = stature_from_shoulders([soles_lost], boxed)
    assert got is not None and got[0] == pytest.approx(1.62, rel=0.015)
    assert stature_from_shoulders([soles_lost])[0] < 0.95 * 1.62  # type: ignore[index]


def test_no_stature_without_the_neck_in_view_or_with_the_arms_up() -> None:
    # the image ends at the shoulders: the widest top could be the chest anywhere
    assert shoulder_height(_standing(1.75, top=1.45)) is None
    assert shoulder_height(_standing(1.75, arms_up=True)) is None
    assert stature_from_shoulders([]) is None
    assert shoulder_height(np.zeros((10, 3))) is None


def test_shoulders_and_feet_count_only_where_the_image_shows_them() -> None:
    # the top of the image crossing the shoulders on a slant (a camera 1.4 m away, turned 35
    # deg to the subject): above the trunk only the top of the far shoulder shows, narrow like
    # a neck (band widths as measured on such a phantom trial)
    rng = np.random.default_rng(2)
    trunk = _box(rng, (0.85, 1.44), 0.5, 8000)
    far = _box(rng, (1.44, 1.54), 0.09, 600)
    far[:, 2] -= 0.2
    cut = np.concatenate([trunk, far])
    assert shoulder_height(cut) == pytest.approx(1.44, abs=0.021)  # taken for the shoulders

    def slant(q: np.ndarray) -> np.ndarray:
        return q[:, 1] <= np.where(q[:, 2] < -0.1, 1.56, 1.44)

    assert shoulder_height(cut, slant) is None
    # the real shoulders, the neck and the trunk's full width in the image still count
    top = _standing(1.75, top=1.53)
    assert shoulder_height(top, lambda q: q[:, 1] <= 1.53) == pytest.approx(1.43, abs=0.021)
    # the bottom of the image 0.3 m above the floor: the lowest points are not the feet (the
    # stature would read 17 % short)
    legs_cut = top[top[:, 1] >= 0.3]
    short = stature_from_shoulders([legs_cut])
    assert short is not None and short[0] < 0.85 * 1.75
    assert stature_from_shoulders([legs_cut], in_view=lambda q: q[:, 1] >= 0.3) is None
    assert stature_from_shoulders([top], in_view=lambda q: q[:, 1] >= -0.1)[0] == (  # type: ignore[index]
        pytest.approx(1.75, rel=0.015)
    )


def test_analyze_sizes_the_model_from_the_shoulders(tmp_path) -> None:
    # a 1.68 m woman at 2 m, the camera 1 m up aimed at 0.65 m: the image ends 1.69 m up and
    # cuts off the top of her head in the static trial
    body = Body(1.68, "female")
    cam = CameraPlacement("d435", (848, 480), 60, distance=2.0)
    st = render_trial(body, motions.static(duration_s=1.0), cam, tmp_path / "st.db3", seed=5)
    dvj = motions.drop_vertical_jump(recovery_s=0.3)
    tr = render_trial(body, dvj, cam, tmp_path / "dvj.db3", seed=6, duration_s=1.2)
    res = analyze(tr.recording, static=st.recording)
    cal = res.calibration
    assert cal["stature"].startswith("the height of the shoulders"), cal
    assert cal["stature_from_standing_legs_m"] > 1.72
    assert cal["stature_m"] == pytest.approx(1.68, rel=0.03), cal
    assert any("shoulders" in w and "--stature" in w for w in res.warnings)
