"""``kneesight info``: what a recording holds."""

from __future__ import annotations

from pathlib import Path

import pytest

import kneesight
from conftest import depth_images
from kneesight.cli import main


def test_info_prints_camera_stream_frames_and_gaps(
    write_recording, capsys: pytest.CaptureFixture[str]
) -> None:
    intr = kneesight.Intrinsics(64, 48, 40.25, 40.5, 32.125, 23.75)
    path = write_recording(
        depth_images(6, 48, 64), intrinsics=intr, numbers=[1, 2, 5, 6, 7, 10], fps=90, serial="SN9"
    )
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "kneesight phantom" in out and "SN9" in out
    assert "64x48 @ 90 fps, 1 mm per unit" in out
    assert "fx=40.250 fy=40.500 ppx=32.125 ppy=23.750" in out
    assert "brown_conrady" in out
    assert "frames         6" in out
    assert "dropped frames 4 in 2 gaps" in out
    assert "after frame 2: 2 missing" in out and "after frame 7: 2 missing" in out
    assert "0.100 s" in out and "90.0 fps" in out


def test_info_on_a_bad_file_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "x.db3"
    p.write_text("not a recording")
    assert main(["info", str(p)]) == 1
    err = capsys.readouterr().err
    assert "x.db3: the file is not a RealSense recording" in err
    assert "Traceback" not in err
