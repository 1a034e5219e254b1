"""A synthetic analysed trial (kinematics.csv + summary.json) and tests of reading it.

``make_trial_dir`` is shared by the report and export tests: a drop-landing-like table with
dropped frames and an untracked gap, and a hand-written summary in the shape of the analysis.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from kneesight import InputError
from kneesight.conventions import KINEMATICS_COLUMNS, column, joint_centre_columns
from kneesight.export.trialdir import load_trial

FPS = 90.0
EVENTS = {
    "initial_contact_s": 0.5,
    "peak_knee_flexion_s": 0.7,
    "take_off_s": 1.0,
    "second_contact_s": 1.5,
}
DROPPED = (101, 102)  # frame offsets the camera dropped
UNTRACKED = range(20, 24)  # row indices the tracker lost


def _bump(t: np.ndarray, start: float, peak: float, end: float) -> np.ndarray:
    """0 before ``start``, rising smoothly to 1 at ``peak``, back to 0 at ``end``."""
    up = np.clip((t - start) / (peak - start), 0, 1)
    down = np.clip((end - t) / (end - peak), 0, 1)
    return np.where(t < peak, np.sin(up * np.pi / 2) ** 2, np.sin(down * np.pi / 2) ** 2)


def synthetic_table(n_frames: int = 180, valgus_r: float = 14.0) -> dict[str, np.ndarray]:
    """Columns of a plausible drop-landing ``kinematics.csv`` (dict of arrays, NaN untracked)."""
    offsets = np.array([i for i in range(n_frames + len(DROPPED)) if i not in DROPPED])[:n_frames]
    t = offsets / FPS
    land1 = _bump(t, EVENTS["initial_contact_s"], EVENTS["peak_knee_flexion_s"], 1.0)
    land2 = _bump(t, EVENTS["second_contact_s"], 1.7, 2.2)
    load = land1 + 0.6 * land2
    table: dict[str, np.ndarray] = {
        "frame": 1000.0 + offsets,
        "time_s": t,
        "tracked": np.ones(n_frames),
        "confidence": 0.9 - 0.2 * load,
    }
    for side, lat, valgus in (("l", -1.0, 6.0), ("r", 1.0, valgus_r)):
        values = {
            "hip_flexion": 15 + 60 * load,
            "hip_adduction": 2 + 6 * load * valgus / 10,
            "hip_internal_rotation": 3 + 9 * load * valgus / 10,
            "knee_flexion": 12 + 75 * load,
            "knee_valgus": 2 + valgus * load,
            "knee_internal_rotation": 1 + 5 * load,
            "ankle_dorsiflexion": -20 + 45 * land1 + 30 * land2,
            "fppa": 3 + 1.1 * valgus * load,
            "arch_height_mm": 62 - 7 * load,
        }
        for q, v in values.items():
            table[column(q, side)] = v
        hip_y = 0.92 - 0.3 * load
        knee = np.stack([0.05 + 0.15 * load, 0.5 - 0.15 * load, lat * (0.1 - 0.03 * load)], 1)
        centres = {
            "hjc": np.stack([np.zeros_like(t), hip_y, np.full_like(t, lat * 0.1)], 1),
            "kjc": knee,
            "ajc": np.stack(
                [np.zeros_like(t), np.full_like(t, 0.08), np.full_like(t, lat * 0.11)], 1
            ),
        }
        for j, xyz in centres.items():
            for c, v in zip(joint_centre_columns(j, side), xyz.T, strict=True):
                table[c] = v
    for c in KINEMATICS_COLUMNS:
        if c not in ("frame", "time_s", "tracked"):
            table[c][list(UNTRACKED)] = np.nan
    table["tracked"][list(UNTRACKED)] = 0
    return table


def synthetic_summary(recording: str | None = None) -> dict:
    """A hand-written ``summary.json`` in the shape of the analysis output."""

    def m(value, normal=None, source=None, units="deg"):
        d = {"value": value, "units": units}
        if normal is not None:
            d["normal"] = normal
        if source is not None:
            d["source"] = source
        return d

    return {
        "kneesight_version": "0.1.0",
        "recording": recording,
        "calibration": {"source": "static trial", "file": "static.db3"},
        "fps": FPS,
        "camera": {
            "intrinsics": {
                "width": 848,
                "height": 480,
                "fx": 424.0,
                "fy": 424.0,
                "ppx": 424.0,
                "ppy": 240.0,
                "model": "brown_conrady",
                "coeffs": [0, 0, 0, 0, 0],
            },
            "depth_scale": 0.001,
            "lab_from_camera": [
                [0.0, 0.0, -1.0, 2.5],
                [0.0, -1.0, 0.0, 0.6],
                [-1.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1.0],
            ],
        },
        "events": dict(EVENTS),
        "peaks": {
            "l": {
                "knee_flexion": 87.0,
                "knee_valgus": 8.0,
                "hip_internal_rotation": 8.4,
                "hip_adduction": 5.6,
                "fppa": 9.6,
            },
            "r": {
                "knee_flexion": 87.0,
                "knee_valgus": 16.0,
                "hip_internal_rotation": 15.6,
                "hip_adduction": 10.4,
                "fppa": 18.4,
            },
        },
        "metrics": {
            "initial_contact": {
                "l": {"knee_flexion": m(20.0, [30, None], "LESS (Padua et al. 2009)")},
                "r": {"knee_flexion": m(21.0, [30, None], "LESS (Padua et al. 2009)")},
            },
            "peak_knee_flexion": {
                "l": {
                    "fppa": m(9.6, {"female": [7, 13], "male": [3, 8]}, "Herrington & Munro 2010")
                },
                "r": {
                    "fppa": m(18.4, {"female": [7, 13], "male": [3, 8]}, "Herrington & Munro 2010")
                },
            },
            "knee_flexion_displacement": {"l": m(67.0), "r": m(66.0)},
            "knee_to_ankle_separation_ratio": m(0.72, [0.8, None], units=""),
            "arch_drop_mm": {
                "l": m(7.0, [None, 10], "Brody 1982 (proxy)", "mm"),
                "r": m(7.1, [None, 10], "Brody 1982 (proxy)", "mm"),
            },
            "asymmetry": {"fppa_deg": 8.8},
        },
        "less": {
            "partial": True,
            "items": {"knee_flexion_at_contact": 1},
            "score": 1,
            "max_score": 8,
        },
        "flags": [
            {
                "id": "fppa_high",
                "side": "r",
                "value": 18.4,
                "threshold": 13.0,
                "units": "deg",
                "source": "Herrington & Munro 2010",
                "message": "FPPA above the normal drop-jump range",
            },
            {
                "id": "knee_flexion_ic_low",
                "side": "l",
                "value": 20.0,
                "threshold": 30.0,
                "units": "deg",
                "source": "LESS (Padua et al. 2009)",
                "message": "Knee flexion at initial contact below 30 deg",
            },
        ],
        "guidance": {
            "texts": [
                "Strengthen the hip abductors and external rotators: single-leg glute "
                "bridge, side-lying clamshell, then banded lateral step-outs."
            ],
            "referral": "See a physical therapist if pain persists for weeks.",
            "disclaimer": "Screening information, not a diagnosis.",
        },
        "frames": {"total": 180, "tracked": 176, "dropped": 2},
        "data_quality": {"mean_confidence": 0.82, "tracked_fraction": 0.978},
    }


def write_trial_dir(
    directory: Path, table: dict[str, np.ndarray] | None = None, summary: dict | None = None
) -> Path:
    """Write ``kinematics.csv`` and ``summary.json`` into ``directory`` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    table = synthetic_table() if table is None else table
    summary = synthetic_summary() if summary is None else summary
    with (directory / "kinematics.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(KINEMATICS_COLUMNS)
        n = len(table["frame"])
        for i in range(n):
            row = []
            for c in KINEMATICS_COLUMNS:
                v = table[c][i]
                row.append(
                    ""
                    if not np.isfinite(v)
                    else (str(int(v)) if c in ("frame", "tracked") else f"{v:.6f}")
                )
            w.writerow(row)
    (directory / "summary.json").write_text(json.dumps(summary, indent=1))
    return directory


def test_load_trial_reads_columns_and_untracked_frames(tmp_path):
    trial = load_trial(write_trial_dir(tmp_path / "t1"))
    assert trial.n_frames == 180
    assert trial.fps == FPS
    assert not trial.tracked[21] and trial.tracked[30]
    assert np.isnan(trial.series("knee_valgus", "r")[21])
    assert trial.joint_centre("kjc", "l").shape == (180, 3)
    assert trial.events()["take_off_s"] == 1.0


def test_missing_and_malformed_files_are_named(tmp_path):
    with pytest.raises(InputError, match="nowhere"):
        load_trial(tmp_path / "nowhere")
    d = write_trial_dir(tmp_path / "t")
    (d / "summary.json").write_text("{not json")
    with pytest.raises(InputError, match=r"summary\.json.*malformed"):
        load_trial(d)
    (d / "summary.json").unlink()
    with pytest.raises(InputError, match=r"summary\.json.*missing"):
        load_trial(d)
    d = write_trial_dir(tmp_path / "u")
    text = (d / "kinematics.csv").read_text().splitlines()
    (d / "kinematics.csv").write_text("\n".join([text[0], text[1].replace("0.", "x.", 1)]))
    with pytest.raises(InputError, match=r"kinematics\.csv.*line 2"):
        load_trial(d)
    (d / "kinematics.csv").write_text("frame,time_s\n1,0\n")
    with pytest.raises(InputError, match=r"kinematics\.csv.*missing columns"):
        load_trial(d)


def untracked_trial_dir(directory: Path) -> Path:
    """A trial in which nobody was tracked (a person-free recording), events all null."""
    table = synthetic_table()
    for c in KINEMATICS_COLUMNS:
        if c not in ("frame", "time_s"):
            table[c][:] = np.nan
    table["tracked"][:] = 0
    summary = synthetic_summary()
    summary.update(
        events=dict.fromkeys(EVENTS),
        peaks={},
        metrics={},
        less={},
        flags=[],
        guidance={},
        frames={"total": 180, "tracked": 0, "dropped": 2},
    )
    return write_trial_dir(directory, table, summary)
