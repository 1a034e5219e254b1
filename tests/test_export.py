"""Exports round-trip through their readers with the values intact."""

from __future__ import annotations

import csv
import json

import ezc3d
import numpy as np
import pytest

from kneesight import InputError
from kneesight.cli import main
from kneesight.export import export, parse_formats, summarize
from kneesight.export.opensim import MAX_GAP_S
from kneesight.export.trialdir import load_trial
from test_export_trial import DROPPED, EVENTS, FPS, UNTRACKED, synthetic_summary, write_trial_dir


@pytest.fixture
def trial_dir(tmp_path):
    return write_trial_dir(tmp_path / "dvj01")


def grid_index(trial, row):
    """Slot of a kinematics row on the uniform grid (rows after the dropped frames shift)."""
    return int(round(trial.time_s[row] * FPS))


def test_c3d_round_trip_values_rate_events(trial_dir):
    trial = load_trial(trial_dir)
    (path,) = [p for p in export(trial_dir, "c3d") if p.suffix == ".c3d"]
    c = ezc3d.c3d(str(path))
    pt = c["parameters"]["POINT"]
    assert pt["RATE"]["value"][0] == pytest.approx(FPS)
    assert pt["UNITS"]["value"] == ["mm"]
    assert pt["ANGLE_UNITS"]["value"] == ["deg"]
    labels = pt["LABELS"]["value"]
    assert {"RKJC", "LHJC", "RHipAngles", "LKneeAngles", "RAnkleAngles"} <= set(labels)
    assert "RKneeAngles" in pt["ANGLES"]["value"]
    data = c["data"]["points"]
    # one C3D frame per camera frame: the dropped frames are there as invalid points
    assert data.shape[2] == trial.n_frames + len(DROPPED)
    row = 150  # after the dropped frames
    k = grid_index(trial, row)
    knee = data[:3, labels.index("RKJC"), k]
    assert np.allclose(knee, trial.joint_centre("kjc", "r")[row] * 1000, atol=1e-3)
    hip = data[:3, labels.index("LHipAngles"), k]
    expect = [
        trial.series(q, "l")[row] for q in ("hip_flexion", "hip_adduction", "hip_internal_rotation")
    ]
    assert np.allclose(hip, expect, atol=1e-4)
    kn = data[:3, labels.index("RKneeAngles"), k]
    assert kn[0] == pytest.approx(trial.series("knee_flexion", "r")[row], abs=1e-4)
    assert kn[1] == pytest.approx(-trial.series("knee_valgus", "r")[row], abs=1e-4)  # varus+
    res = c["data"]["meta_points"]["residuals"][0]
    assert res[labels.index("RKJC"), grid_index(trial, UNTRACKED[0])] < 0
    assert res[labels.index("RKJC"), DROPPED[0]] < 0
    assert res[labels.index("RKJC"), k] >= 0
    ev = c["parameters"]["EVENT"]
    times = ev["TIMES"]["value"]
    seconds = times[0] * 60 + times[1]
    got = sorted(
        zip(ev["LABELS"]["value"], ev["CONTEXTS"]["value"], np.round(seconds, 6), strict=True)
    )
    assert ("Foot Strike", "Left", EVENTS["initial_contact_s"]) in got
    assert ("Foot Strike", "Right", EVENTS["second_contact_s"]) in got
    assert ("Foot Off", "Right", EVENTS["take_off_s"]) in got
    assert ("Peak Knee Flexion", "General", EVENTS["peak_knee_flexion_s"]) in got


def read_mot(path):
    lines = path.read_text().splitlines()
    end = lines.index("endheader")
    header = dict(line.split("=", 1) for line in lines[:end] if "=" in line)
    names = lines[end + 1].split("\t")
    data = np.array([[float(v) for v in line.split("\t")] for line in lines[end + 2 :]])
    return header, names, data


def test_mot_has_opensim_names_signs_and_no_nan(trial_dir):
    trial = load_trial(trial_dir)
    export(trial_dir, ["mot"])
    header, names, data = read_mot(trial_dir / "dvj01.mot")
    assert header["inDegrees"] == "yes"
    assert int(header["nRows"]) == data.shape[0]
    assert int(header["nColumns"]) == len(names) == data.shape[1]
    assert names[:6] == [
        "time",
        "hip_flexion_r",
        "hip_adduction_r",
        "hip_rotation_r",
        "knee_angle_r",
        "ankle_angle_r",
    ]
    assert "knee_angle_l" in names
    assert np.isfinite(data).all()
    # short gaps (dropped frames, 4 untracked frames) are interpolated: every grid slot is there
    assert len(UNTRACKED) <= MAX_GAP_S * FPS
    assert data.shape[0] == trial.n_frames + len(DROPPED)
    row = 150
    i = int(np.argmin(np.abs(data[:, 0] - trial.time_s[row])))
    assert data[i, 0] == pytest.approx(trial.time_s[row], abs=1e-6)
    for name, q in (
        ("knee_angle_r", "knee_flexion"),
        ("hip_rotation_l", "hip_internal_rotation"),
        ("ankle_angle_l", "ankle_dorsiflexion"),
    ):
        side = name[-1]
        assert data[i, names.index(name)] == pytest.approx(trial.series(q, side)[row], abs=1e-5)
    gap = grid_index(trial, UNTRACKED[1])
    before, after = grid_index(trial, UNTRACKED[0] - 1), grid_index(trial, UNTRACKED[-1] + 1)
    col = names.index("knee_angle_r")
    assert (
        min(data[before, col], data[after, col])
        <= data[gap, col]
        <= max(data[before, col], data[after, col])
    )
    assert "interpolated" in (trial_dir / "dvj01.mot").read_text()


def test_long_gaps_are_omitted_from_opensim_files(tmp_path):
    from test_export_trial import synthetic_table

    table = synthetic_table()
    for c in table:
        if c not in ("frame", "time_s", "tracked"):
            table[c][60:90] = np.nan
    table["tracked"][60:90] = 0
    d = write_trial_dir(tmp_path / "gappy", table=table)
    export(d, "mot,trc")
    _, _, data = read_mot(d / "gappy.mot")
    assert np.isfinite(data).all()
    t = table["time_s"]
    assert not np.any((data[:, 0] > t[60] - 1e-6) & (data[:, 0] < t[89] + 1e-6))
    assert data.shape[0] == 180 + len(DROPPED) - 30


def read_trc(path):
    lines = path.read_text().splitlines()
    assert lines[0].startswith("PathFileType\t4\t(X/Y/Z)")
    keys = lines[1].split("\t")
    vals = lines[2].split("\t")
    meta = dict(zip(keys, vals, strict=True))
    markers = [m for m in lines[3].split("\t")[2:] if m]
    comps = lines[4].split("\t")[2:]
    data = np.array([[float(v) for v in line.split("\t")] for line in lines[6:] if line])
    return meta, markers, comps, data


def test_trc_header_markers_and_values(trial_dir):
    trial = load_trial(trial_dir)
    export(trial_dir, "trc")
    meta, markers, comps, data = read_trc(trial_dir / "dvj01.trc")
    assert float(meta["DataRate"]) == FPS and float(meta["CameraRate"]) == FPS
    assert meta["Units"] == "mm"
    assert int(meta["NumMarkers"]) == len(markers) == 6
    assert int(meta["NumFrames"]) == data.shape[0]
    assert comps[:3] == ["X1", "Y1", "Z1"] and comps[-1] == "Z6"
    assert data.shape[1] == 2 + 3 * 6
    row = 150
    i = int(np.argmin(np.abs(data[:, 1] - trial.time_s[row])))
    assert data[i, 0] == grid_index(trial, row) + 1  # Frame# is 1-based
    m = markers.index("LKJC")
    assert np.allclose(
        data[i, 2 + 3 * m : 5 + 3 * m], trial.joint_centre("kjc", "l")[row] * 1000, atol=1e-3
    )


def test_csv_and_json_exports(trial_dir):
    trial = load_trial(trial_dir)
    paths = export(trial_dir, "csv,json")
    names = {p.name for p in paths}
    assert {
        "dvj01_kinematics_long.csv",
        "dvj01_metrics_long.csv",
        "dvj01.json",
        "dvj01_export_README.txt",
    } == names
    with (trial_dir / "dvj01_kinematics_long.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * trial.n_frames
    r = [x for x in rows if x["side"] == "right"][150]
    assert float(r["knee_valgus"]) == pytest.approx(trial.series("knee_valgus", "r")[150], 1e-5)
    assert float(r["kjc_z"]) == pytest.approx(trial.joint_centre("kjc", "r")[150, 2], 1e-5)
    untracked = [x for x in rows if x["side"] == "left"][UNTRACKED[0]]
    assert untracked["tracked"] == "0" and untracked["knee_valgus"] == ""
    with (trial_dir / "dvj01_metrics_long.csv").open() as f:
        metrics = list(csv.DictReader(f))
    fppa = [x for x in metrics if x["metric"] == "peak_knee_flexion.fppa" and x["side"] == "right"]
    assert float(fppa[0]["value"]) == 18.4 and fppa[0]["source"] == "Herrington & Munro 2010"
    doc = json.loads((trial_dir / "dvj01.json").read_text())
    assert doc["summary"]["events"] == EVENTS
    assert doc["kinematics"]["data"]["knee_valgus_r"][UNTRACKED[0]] is None
    assert doc["kinematics"]["units"]["arch_height_mm_l"] == "mm"


def test_export_refuses_to_overwrite_and_unknown_format(trial_dir):
    export(trial_dir, "json")
    with pytest.raises(InputError, match="exists"):
        export(trial_dir, "json")
    export(trial_dir, "json", overwrite=True)
    with pytest.raises(InputError, match="c3d, mot, trc, csv, json"):
        parse_formats("c3d,xls")
    with pytest.raises(InputError, match=r"kinematics\.csv"):
        (trial_dir / "kinematics.csv").unlink()
        export(trial_dir, "c3d")


def test_cli_export_and_summarize(tmp_path, capsys):
    a = write_trial_dir(tmp_path / "a")
    s = synthetic_summary()
    s["flags"] = []
    s["landing"] = {"legs": ["r"], "kind": "single-leg", "note": "single-leg landing"}
    b = write_trial_dir(tmp_path / "b", summary=s)
    assert main(["export", str(a), "--format", "c3d", "--format", "mot,trc"]) == 0
    assert (a / "a.c3d").is_file() and (a / "a.mot").is_file() and (a / "a.trc").is_file()
    assert main(["export", str(a), "--format", "xlsx"]) == 1
    assert "c3d, mot, trc, csv, json" in capsys.readouterr().err
    out = tmp_path / "all.csv"
    assert main(["summarize", str(a), str(b), "--out", str(out)]) == 0
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["trial"], r["side"]) for r in rows] == [
        ("a", "left"),
        ("a", "right"),
        ("b", "left"),
        ("b", "right"),
    ]
    assert float(rows[1]["peaks.knee_valgus"]) == 16.0
    assert float(rows[0]["metrics.initial_contact.knee_flexion"]) == 20.0
    assert rows[1]["flags"] == "fppa_high" and rows[3]["flag_count"] == "0"
    assert rows[0]["frames_dropped"] == "2"
    # which legs landed: unknown for a summary without it, the raised leg of a single-leg landing
    assert [(r["landing"], r["landed"]) for r in rows] == [
        ("", ""),
        ("", ""),
        ("single-leg", "0"),
        ("single-leg", "1"),
    ]
    assert main(["summarize", str(a), "--out", str(out)]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["summarize", str(a), "--out", str(out), "--overwrite"]) == 0
    (b / "summary.json").write_text("[]")
    with pytest.raises(InputError, match=r"b/summary\.json"):
        summarize([a, b], tmp_path / "x.csv")


def test_person_free_trial_refuses_motion_formats_but_exports_tables(tmp_path):
    from test_export_trial import untracked_trial_dir

    d = untracked_trial_dir(tmp_path / "empty")
    with pytest.raises(InputError, match=r"kinematics\.csv: no tracked frame.*c3d, mot"):
        export(d, "c3d,mot,csv")
    assert not list(d.glob("empty*"))  # nothing half-written
    paths = export(d, "csv,json")
    doc = json.loads((d / "empty.json").read_text())
    assert all(v is None for v in doc["kinematics"]["data"]["knee_valgus_r"])
    assert len(paths) == 4


def test_exports_in_separate_runs_share_one_readme(trial_dir):
    export(trial_dir, "c3d")
    export(trial_dir, "mot")
    text = (trial_dir / "dvj01_export_README.txt").read_text()
    assert "dvj01.c3d" in text and "dvj01.mot" in text and "interpolated" in text


def test_c3d_foot_strike_uses_each_foot_contact_when_given(tmp_path):
    s = synthetic_summary()
    s["event_details"] = {"foot_contact_s": {"l": 0.49, "r": 0.52}}
    d = write_trial_dir(tmp_path / "asym", summary=s)
    export(d, "c3d")
    ev = ezc3d.c3d(str(d / "asym.c3d"))["parameters"]["EVENT"]
    t = ev["TIMES"]["value"][0] * 60 + ev["TIMES"]["value"][1]
    strikes = {
        (c, round(float(x), 6))
        for lab, c, x in zip(ev["LABELS"]["value"], ev["CONTEXTS"]["value"], t, strict=True)
        if lab == "Foot Strike"
    }
    assert strikes == {("Left", 0.49), ("Right", 0.52), ("Left", 1.5), ("Right", 1.5)}
