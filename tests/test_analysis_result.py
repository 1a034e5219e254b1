"""The trial directory contract: kinematics.csv columns, summary.json keys, no overwriting."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from kneesight.analysis import analyze_kinematics, read_kinematics_csv
from kneesight.analysis.events import EVENT_KEYS
from kneesight.conventions import KINEMATICS_COLUMNS, SIDES, per_side_columns
from kneesight.errors import InputError
from test_analysis_events import dvj_table

FPS = 60.0


def _result(gap: slice = slice(130, 140)):
    table, _ = dvj_table(FPS)
    table["tracked"] = np.ones(table["time_s"].size)
    table["confidence"] = np.full(table["time_s"].size, 0.9)
    table["tracked"][gap] = 0.0
    # unfiltered: the written files are compared with the table itself
    return analyze_kinematics(table, fps=FPS, filter_hz=None), table


def test_kinematics_csv_has_the_contract_columns_and_empty_untracked_cells(tmp_path: Path) -> None:
    r, table = _result()
    r.write(tmp_path / "trial", report=False)
    path = tmp_path / "trial" / "kinematics.csv"
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == KINEMATICS_COLUMNS
    assert len(rows) - 1 == table["time_s"].size  # one row per frame
    first_side_col = len(KINEMATICS_COLUMNS) - len(per_side_columns())
    untracked = rows[1 + 135]
    assert untracked[2] == "0"
    assert all(v == "" for v in untracked[first_side_col:])
    tracked = rows[1 + 20]
    assert tracked[2] == "1" and all(v != "" for v in tracked[first_side_col:])
    back = read_kinematics_csv(path)
    np.testing.assert_array_equal(back["frame"], table["frame"])
    np.testing.assert_allclose(back["time_s"], table["time_s"], atol=1e-6)
    ok = table["tracked"] > 0.5
    np.testing.assert_allclose(back["knee_valgus_r"][ok], table["knee_valgus_r"][ok], rtol=1e-6)
    assert np.isnan(back["knee_valgus_r"][~ok]).all()


def test_summary_json_keys(tmp_path: Path) -> None:
    r, _ = _result()
    r.write(tmp_path, report=False)
    s = json.loads((tmp_path / "summary.json").read_text())
    for key in ("events", "peaks", "metrics", "less", "flags", "guidance", "frames",
                "kneesight_version", "calibration", "fps", "data_quality"):  # fmt: skip
        assert key in s, key
    assert set(s["events"]) == set(EVENT_KEYS)
    assert all(isinstance(v, float) for v in s["events"].values())
    assert set(s["peaks"]) == set(SIDES)
    assert "knee_valgus" in s["peaks"]["l"] and "fppa" in s["peaks"]["r"]
    for k in ("initial_contact", "peak_knee_flexion", "knee_flexion_displacement",
              "knee_separation_m", "knee_to_ankle_separation_ratio",
              "medial_knee_displacement_mm", "arch_drop_mm", "static_alignment",
              "dynamic_minus_static", "asymmetry"):  # fmt: skip
        assert k in s["metrics"], k
    assert s["frames"] == {"total": 156, "tracked": 146, "dropped": 0}
    assert s["less"]["partial"] is True
    assert "not a diagnosis" in s["guidance"]["disclaimer"]


def test_refuses_to_overwrite_results_and_keeps_user_files(tmp_path: Path) -> None:
    r, _ = _result()
    notes = tmp_path / "my_notes.txt"
    notes.write_text("recorded by hand")
    r.write(tmp_path, report=False)
    before = (tmp_path / "summary.json").read_text()
    with pytest.raises(InputError, match="already holds results"):
        r.write(tmp_path, report=False)
    assert (tmp_path / "summary.json").read_text() == before
    r.write(tmp_path, report=False, overwrite=True)
    assert notes.read_text() == "recorded by hand"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "kinematics.csv",
        "my_notes.txt",
        "summary.json",
    ]


def test_write_report_and_export(tmp_path: Path) -> None:
    r, _ = _result()
    written = r.write(tmp_path, export=["json"])
    assert (tmp_path / "report.html").is_file()
    assert written["report"] == tmp_path / "report.html"
    assert any(p.suffix == ".json" and p.name != "summary.json" for p in written["export"])
    again = r.write(tmp_path, export=["json"], overwrite=True)  # exports replaced too
    assert again["export"] == written["export"]


def test_bad_tables_are_input_errors_naming_the_problem() -> None:
    table, _ = dvj_table(FPS)
    with pytest.raises(InputError, match="fps"):
        analyze_kinematics(table, fps=0.0)
    broken = {k: v for k, v in table.items() if k != "knee_valgus_r"}
    with pytest.raises(InputError, match="knee_valgus_r"):
        analyze_kinematics(broken, fps=FPS)
    short = dict(table)
    short["fppa_l"] = short["fppa_l"][:-3]
    with pytest.raises(InputError, match="fppa_l"):
        analyze_kinematics(short, fps=FPS)


def test_reading_a_malformed_kinematics_csv_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "kinematics.csv"
    p.write_text(",".join(KINEMATICS_COLUMNS) + "\n1,0.0,1\n")
    with pytest.raises(InputError, match=r"kinematics.csv: line 2"):
        read_kinematics_csv(p)
    p.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing columns"):
        read_kinematics_csv(p)


def test_result_files_get_ordinary_permissions(tmp_path: Path) -> None:
    import os

    r, _ = _result()
    r.write(tmp_path, report=False)
    umask = os.umask(0)
    os.umask(umask)
    for name in ("kinematics.csv", "summary.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
