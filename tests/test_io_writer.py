"""RecordingWriter: synthetic depth frames into a real RealSense recording."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pyrealsense2 as rs
import pytest

import kneesight
from conftest import d435_intrinsics, depth_images
from kneesight.errors import InputError, RecordingError
from kneesight.io import RecordingWriter, open_recording


def read_all(path: Path) -> list[kneesight.io.DepthFrame]:
    with open_recording(path) as rec:
        return list(rec)


@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_keeps_pixels_numbers_timestamps_and_camera(
    tmp_path: Path, compress: bool
) -> None:
    intr = kneesight.Intrinsics(
        64, 48, 50.5, 51.25, 31.75, 23.5, "inverse_brown_conrady", [0.1, -0.05, 0.001, 0.002, 0.01]
    )
    images = depth_images(6, 48, 64)
    path = tmp_path / "trial.db3"
    with RecordingWriter(
        path,
        intr,
        depth_scale=0.0001,
        fps=60,
        device_name="lab cam",
        serial="SN42",
        compress=compress,
    ) as w:
        for k, img in enumerate(images):
            w.write(img, frame_number=10 + k, timestamp_ms=1000.0 + 16.5 * k)
    assert path.stat().st_size > 0
    with closing(sqlite3.connect(path)) as con:
        kinds = {t for n, t in con.execute("SELECT name, type FROM topics") if "image/data" in n}
    assert kinds == {"sensor_msgs/msg/CompressedImage" if compress else "sensor_msgs/msg/Image"}
    with open_recording(path) as rec:
        frames = list(rec)
        assert rec.intrinsics == intr
        assert rec.depth_scale == pytest.approx(0.0001)
        assert rec.fps == 60
        assert rec.device_info["name"] == "lab cam"
        assert rec.device_info["serial_number"] == "SN42"
    assert [f.frame_number for f in frames] == list(range(10, 16))
    assert [f.timestamp_ms for f in frames] == pytest.approx([1000.0 + 16.5 * k for k in range(6)])
    for f, img in zip(frames, images, strict=True):
        np.testing.assert_array_equal(f.depth, img)


def test_default_numbers_and_timestamps_follow_fps(write_recording) -> None:
    path = write_recording(depth_images(4, 24, 32), fps=90)
    frames = read_all(path)
    assert [f.frame_number for f in frames] == [1, 2, 3, 4]
    assert [f.timestamp_ms for f in frames] == pytest.approx([0, 1000 / 90, 2000 / 90, 3000 / 90])


def test_skipped_numbers_get_timestamps_of_their_slot(write_recording) -> None:
    path = write_recording(depth_images(3, 24, 32), numbers=[5, 6, 9], fps=100)
    assert [f.timestamp_ms for f in read_all(path)] == pytest.approx([0.0, 10.0, 40.0])


def test_a_reused_buffer_records_each_frame_as_it_was(tmp_path: Path) -> None:
    buf = np.zeros((24, 32), np.uint16)
    with RecordingWriter(tmp_path / "r.db3", d435_intrinsics(32, 24)) as w:
        for k in range(5):
            buf[:] = 1000 + k
            w.write(buf)
    got = [int(f.depth[5, 5]) for f in read_all(tmp_path / "r.db3")]
    assert got == [1000, 1001, 1002, 1003, 1004]


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "mine.db3"
    path.write_bytes(b"a recording somebody made")
    with pytest.raises(RecordingError, match="mine.db3.*exists"):
        RecordingWriter(path, d435_intrinsics(32, 24))
    assert path.read_bytes() == b"a recording somebody made"
    assert list(tmp_path.iterdir()) == [path]


def test_overwrite_replaces_only_once_complete(tmp_path: Path, write_recording) -> None:
    path = write_recording(depth_images(2, 24, 32), name="t.db3")
    old = path.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        with RecordingWriter(path, d435_intrinsics(32, 24), overwrite=True) as w:
            w.write(depth_images(1, 24, 32, seed=9)[0])
            raise KeyboardInterrupt
    assert path.read_bytes() == old, "a failed overwrite must leave the old recording"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db3"]
    new = depth_images(3, 24, 32, seed=5)
    with RecordingWriter(path, d435_intrinsics(32, 24), overwrite=True) as w:
        for img in new:
            w.write(img)
    frames = read_all(path)
    assert len(frames) == 3
    np.testing.assert_array_equal(frames[2].depth, new[2])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db3"]


def test_bag_is_written_only_if_the_sdk_can(tmp_path: Path) -> None:
    path = tmp_path / "old.bag"
    try:
        w = RecordingWriter(path, d435_intrinsics(32, 24))
    except RecordingError as e:
        # pyrealsense2 >= 2.58 records only ROS2 .db3: refused, nothing left behind.
        assert "old.bag" in str(e) and "cannot write" in str(e)
        assert not path.exists() and list(tmp_path.iterdir()) == []
        return
    with w:
        w.write(depth_images(1, 24, 32)[0])
    assert len(read_all(path)) == 1


@pytest.mark.parametrize("name", ["trial.mp4", "trial", "trial.db3.txt"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    with pytest.raises(RecordingError, match="unsupported recording type"):
        RecordingWriter(tmp_path / name, d435_intrinsics(32, 24))
    assert list(tmp_path.iterdir()) == []


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="does not exist"):
        RecordingWriter(tmp_path / "no" / "t.db3", d435_intrinsics(32, 24))


@pytest.mark.parametrize(
    ("depth", "match"),
    [
        (np.zeros((24, 32), np.float32), "uint16"),
        (np.zeros((24, 32, 1), np.uint16), "2-D"),
        (np.zeros((32, 24), np.uint16), r"\(24, 32\)"),
        ([[0] * 32] * 24, "2-D uint16"),
    ],
)
def test_bad_images_are_input_errors(tmp_path: Path, depth: object, match: str) -> None:
    with RecordingWriter(tmp_path / "t.db3", d435_intrinsics(32, 24)) as w:
        with pytest.raises(InputError, match=match):
            w.write(depth)  # type: ignore[arg-type]


def test_frame_numbers_and_timestamps_must_increase(tmp_path: Path) -> None:
    img = depth_images(1, 24, 32)[0]
    with RecordingWriter(tmp_path / "t.db3", d435_intrinsics(32, 24)) as w:
        w.write(img, frame_number=5, timestamp_ms=50.0)
        with pytest.raises(InputError, match="frame_number"):
            w.write(img, frame_number=5)
        with pytest.raises(InputError, match="timestamp_ms"):
            w.write(img, frame_number=6, timestamp_ms=40.0)
        with pytest.raises(InputError, match="timestamp_ms"):
            w.write(img, frame_number=6, timestamp_ms=float("nan"))
        w.write(img)  # still usable: frame 6
    assert [f.frame_number for f in read_all(tmp_path / "t.db3")] == [5, 6]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"depth_scale": 0.0}, "depth_scale"),
        ({"depth_scale": float("nan")}, "depth_scale"),
        ({"fps": 0}, "fps"),
        ({"fps": 29.97}, "fps"),
    ],
)
def test_bad_parameters_are_input_errors(tmp_path: Path, kw: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        RecordingWriter(tmp_path / "t.db3", d435_intrinsics(32, 24), **kw)
    assert list(tmp_path.iterdir()) == []


def test_intrinsics_must_be_kneesight_intrinsics(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="intrinsics"):
        RecordingWriter(tmp_path / "t.db3", rs.intrinsics())  # type: ignore[arg-type]


def test_write_after_close_is_refused(tmp_path: Path) -> None:
    w = RecordingWriter(tmp_path / "t.db3", d435_intrinsics(32, 24))
    w.close()
    w.close()  # idempotent
    with pytest.raises(RecordingError, match="closed"):
        w.write(depth_images(1, 24, 32)[0])
    assert (tmp_path / "t.db3").stat().st_size > 0
