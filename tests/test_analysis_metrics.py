"""Peaks, landing metrics and the partial LESS on kinematics tables with known values."""

from __future__ import annotations

import numpy as np
import pytest

from kneesight.analysis import analyze_kinematics
from kneesight.conventions import SIDES, per_side_columns
from test_analysis_events import dvj_table


def test_peaks_are_maxima_between_contact_and_take_off() -> None:
    table, truth = dvj_table(90.0, peak={"knee_valgus": 9.0, "hip_internal_rotation": 11.0})
    # a larger value outside the landing (in the second landing) must not count
    late = table["time_s"] > truth["second_contact_s"] + 0.05
    table["knee_valgus_r"][late] = 40.0
    r = analyze_kinematics(table, fps=90.0)
    for s in SIDES:
        assert r.peaks[s]["knee_valgus"] == pytest.approx(9.0, abs=0.05)
        assert r.peaks[s]["hip_internal_rotation"] == pytest.approx(11.0, abs=0.05)
        assert r.peaks[s]["knee_flexion"] == pytest.approx(90.0, abs=0.1)


def test_metrics_at_events_and_displacements() -> None:
    fps = 90.0
    table, truth = dvj_table(fps, medial_mm=40.0, arch_drop_mm=12.0)
    # unfiltered: the values are read at exact frames of a table with sharp corners
    r = analyze_kinematics(table, fps=fps, filter_hz=None)
    t = table["time_s"]
    ic = int(np.argmin(np.abs(t - truth["initial_contact_s"])))
    pk = int(np.argmin(np.abs(t - truth["peak_knee_flexion_s"])))
    m = r.metrics
    for s in SIDES:
        assert m["initial_contact"][s]["knee_flexion"] == pytest.approx(
            table[f"knee_flexion_{s}"][ic], abs=0.01
        )
        # read at the detected peak, placed by the shape of the top (within a frame of the
        # corner of this synthetic peak, 0.2 deg below it)
        pk_found = r.events.frames["peak_knee_flexion_s"]
        assert abs(pk_found - pk) <= 1
        assert m["peak_knee_flexion"][s]["knee_flexion"] == pytest.approx(
            table[f"knee_flexion_{s}"][pk_found], abs=0.01
        )
        assert m["peak_knee_flexion"][s]["knee_flexion"] == pytest.approx(90.0, abs=0.3)
        # knee flexion displacement: maximum minus the value at contact
        assert m["knee_flexion_displacement"][s] == pytest.approx(
            90.0 - table[f"knee_flexion_{s}"][ic], abs=0.05
        )
        # each knee moves 40 mm medially relative to its ankle from contact to peak loading
        load_ic = (table[f"knee_flexion_{s}"][ic] - 15.0) / 75.0
        assert m["medial_knee_displacement_mm"][s] == pytest.approx(40.0 * (1 - load_ic), abs=0.2)
        assert m["arch_drop_mm"][s] == pytest.approx(12.0, abs=0.3)
    ks = abs(table["kjc_r_z"][pk] - table["kjc_l_z"][pk])
    assert m["knee_separation_m"]["peak_knee_flexion"] == pytest.approx(ks, abs=1e-3)
    assert m["ankle_separation_m"]["peak_knee_flexion"] == pytest.approx(0.22, abs=1e-3)
    assert m["knee_to_ankle_separation_ratio"]["peak_knee_flexion"] == pytest.approx(
        ks / 0.22, abs=2e-3
    )


def test_asymmetry_and_static_alignment() -> None:
    fps = 60.0
    table, _ = dvj_table(fps, peak={"knee_valgus": 4.0})
    table["knee_valgus_l"] = table["knee_valgus_l"] + 7.0 * (table["knee_valgus_l"] > 0.1)
    static, _ = dvj_table(fps, static_valgus=3.0)
    n = static["time_s"].size
    for c in per_side_columns():  # standing still: constant pose
        static[c] = np.full(n, static[c][0])
    r = analyze_kinematics(table, fps=fps, static=static)
    assert r.metrics["asymmetry"]["peak_knee_valgus"] == pytest.approx(7.0, abs=0.1)
    assert r.metrics["static_alignment"]["r"]["knee_valgus"] == pytest.approx(3.0, abs=0.01)
    assert r.metrics["dynamic_minus_static"]["r"]["knee_valgus"] == pytest.approx(1.0, abs=0.1)
    ids = {(f["id"], f.get("component")) for f in r.flags}
    assert ("left_right_asymmetry", "knee_valgus") in ids


def test_partial_less_is_marked_partial_and_scores_stiff_landing() -> None:
    table, _ = dvj_table(60.0)
    for s in SIDES:  # a stiff landing: little knee or hip flexion
        table[f"knee_flexion_{s}"] = 0.4 * table[f"knee_flexion_{s}"]
        table[f"hip_flexion_{s}"] = 0.4 * table[f"hip_flexion_{s}"]
    r = analyze_kinematics(table, fps=60.0)
    less = r.less
    assert less["partial"] is True
    assert less["not_scored"]
    items = {i["item"]: i for i in less["items"]}
    assert items["knee_flexion_at_initial_contact"]["errors"] == 1
    assert items["knee_flexion_displacement"]["errors"] == 1
    assert items["joint_displacement_soft_average_stiff"]["errors"] == 2
    assert less["score"] == sum(i["errors"] for i in less["items"] if i["scored"])


def test_untracked_landing_gives_null_metrics_with_reasons() -> None:
    table, truth = dvj_table(60.0)
    for c in per_side_columns():
        table[c][:] = np.nan
    r = analyze_kinematics(table, fps=60.0)
    assert all(v is None for v in r.events.times.values())
    assert all(v is None for s in SIDES for v in r.peaks[s].values())
    assert r.metrics["knee_flexion_displacement"]["r"] is None
    assert "peaks.r.knee_valgus" in r.unmeasured
    assert "metrics.arch_drop_mm.l" in r.unmeasured
    assert r.flags == []  # no finding invented
    assert all(c.get("not_evaluated") for c in r.checks)
