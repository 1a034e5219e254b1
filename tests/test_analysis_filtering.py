"""The zero-lag low-pass filter on the kinematics: its cutoff, what it leaves alone (gaps,
short runs, dropped frames), the noise it removes from a landing, and how analysis reports it."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.analysis.filtering import MIN_RUN, design, lowpass_series, lowpass_table
from kneesight.analysis.pipeline import analyze_kinematics
from kneesight.errors import InputError
from kneesight.phantom import Body, CameraPlacement, motions, simulate

FPS = 90.0


def _gain(freq: float, cutoff: float, fps: float = FPS) -> float:
    t = np.arange(int(20 * fps)) / fps
    x = np.sin(2 * np.pi * freq * t)
    b, a = design(cutoff, fps)
    y = lowpass_series(x, b, a)
    mid = slice(len(t) // 4, 3 * len(t) // 4)  # away from the ends
    return float(np.std(y[mid]) / np.std(x[mid]))


@pytest.mark.parametrize("fps", [60.0, 90.0, 200.0])
def test_the_whole_filter_is_minus_3_db_at_its_cutoff(fps: float) -> None:
    assert _gain(12.0, 12.0, fps) == pytest.approx(2**-0.5, abs=0.02)
    assert _gain(2.0, 12.0, fps) > 0.99  # a landing's own motion passes
    assert _gain(min(35.0, 0.45 * fps), 12.0, fps) < 0.15  # frame-to-frame jitter does not


def test_no_lag() -> None:
    t = np.arange(900) / FPS
    x = np.sin(2 * np.pi * 3.0 * t)
    b, a = design(12.0, FPS)
    y = lowpass_series(x, b, a)
    lag = np.argmax(np.correlate(y[200:700], x[190:710], mode="valid")) - 10
    assert lag == 0


def test_gaps_and_short_runs_are_left_alone() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    x[50:60] = np.nan
    x[100 : 100 + MIN_RUN - 1] = rng.normal(size=MIN_RUN - 1)
    x[99] = np.nan
    x[100 + MIN_RUN - 1] = np.nan
    b, a = design(12.0, FPS)
    y = lowpass_series(x, b, a)
    assert np.array_equal(np.isnan(y), np.isnan(x))  # nothing filled in
    short = slice(100, 100 + MIN_RUN - 1)
    assert np.array_equal(y[short], x[short])
    assert np.std(y[:50]) < 0.8 * np.std(x[:50])  # the long runs are filtered


def test_a_dropped_frame_ends_a_run() -> None:
    # a step across a gap in the frame numbers stays a step: nothing is smeared across it
    frame = np.concatenate([np.arange(0, 40), np.arange(45, 85)]).astype(float)
    x = np.where(frame < 42, 0.0, 10.0)
    table = {"frame": frame, "knee_flexion_l": x}
    out, _ = lowpass_table(table, FPS, 12.0)
    assert np.allclose(out["knee_flexion_l"], x, atol=1e-9)


def test_bad_cutoffs_are_clear_errors() -> None:
    with pytest.raises(InputError, match="Nyquist"):
        design(40.0, 60.0)
    with pytest.raises(InputError, match="Nyquist"):
        design(100.0, 90.0)  # above the frame rate itself
    with pytest.raises(InputError, match="positive"):
        design(-5.0, 90.0)
    with pytest.raises(InputError, match="frame rate"):
        design(12.0, 0.0)


def _landing_truth() -> dict[str, np.ndarray]:
    body, cam = Body(1.75), CameraPlacement("d435", distance=2.0, height=1.0)
    return simulate(body, motions.drop_vertical_jump(), cam).truth


def test_filtering_removes_most_tracking_jitter_from_a_landing() -> None:
    truth = _landing_truth()
    rng = np.random.default_rng(3)
    cols = ["knee_flexion_l", "knee_valgus_r", "hip_internal_rotation_l", "ankle_dorsiflexion_r"]
    noisy = {k: np.asarray(v, dtype=float) for k, v in truth.items()}
    for c in cols:
        noisy[c] = noisy[c] + rng.normal(0.0, 2.0, size=noisy[c].shape)
    out, info = lowpass_table(noisy, FPS, 12.0)
    assert info["cutoff_hz"] == 12.0
    for c in cols:
        before = np.sqrt(np.mean((noisy[c] - truth[c]) ** 2))
        after = np.sqrt(np.mean((out[c] - truth[c]) ** 2))
        assert after < 0.6 * before, c


def test_analysis_reports_the_filter_and_detects_events_before_it() -> None:
    truth = _landing_truth()
    filtered = analyze_kinematics(truth, fps=FPS)
    raw = analyze_kinematics(truth, fps=FPS, filter_hz=None)
    assert filtered.summary()["filter"]["cutoff_hz"] == 12.0
    assert raw.summary()["filter"]["cutoff_hz"] is None
    assert filtered.events.times == raw.events.times
    for c, tol in (("knee_flexion_l", 1.0), ("kjc_r_x", 0.01)):
        assert np.array_equal(raw.table[c], np.asarray(truth[c], dtype=float))
        # the smooth truth hardly changes (deg, m; the knee moves off the box abruptly)
        assert np.nanmax(np.abs(filtered.table[c] - raw.table[c])) < tol


def test_a_phase_start_ends_a_run() -> None:
    # touch-down: the knee angle jumps at the impact and bends fast from then on; the flight
    # before it is not pulled towards the landing, and the value at contact stays the tracked one
    n, ic = 120, 60
    x = np.where(np.arange(n) < ic, 20.0, 30.0 + 3.0 * (np.arange(n) - ic))
    table = {"frame": np.arange(n, dtype=float), "knee_flexion_r": x}
    split, _ = lowpass_table(table, FPS, 12.0, phase_starts=[ic])
    across, _ = lowpass_table(table, FPS, 12.0)
    assert split["knee_flexion_r"][ic] == pytest.approx(30.0, abs=0.05)
    assert np.allclose(split["knee_flexion_r"][:ic], 20.0)
    assert abs(across["knee_flexion_r"][ic] - 30.0) > 2.0  # one filter across the impact smears


def test_too_low_a_frame_rate_for_the_default_cutoff_is_left_unfiltered() -> None:
    truth = _landing_truth()
    r = analyze_kinematics(truth, fps=20.0)  # 12 Hz is above the Nyquist frequency of 20 fps
    assert r.summary()["filter"]["cutoff_hz"] is None
    assert "cannot carry" in r.summary()["filter"]["method"]
    with pytest.raises(InputError, match="Nyquist"):
        analyze_kinematics(truth, fps=20.0, filter_hz=11.0)
