"""open_recording: every frame of a RealSense recording, in order, and clear errors."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pyrealsense2 as rs
import pytest

from conftest import d435_intrinsics, depth_images
from kneesight.errors import RecordingError
from kneesight.io import DepthFrame, intrinsics_to_rs, open_recording


def test_every_frame_in_order_with_a_slow_reader(write_recording) -> None:
    images = depth_images(60, 48, 64)
    path = write_recording(images)
    with open_recording(path) as rec:
        assert len(rec) == 60
        frames = []
        for f in rec:
            frames.append(f)
            time.sleep(0.003)  # slower than the file decodes: nothing may be skipped
    assert [f.frame_number for f in frames] == list(range(1, 61))
    # Frames kept past the next read still hold their own pixels (the SDK recycles buffers).
    for f, img in zip(frames, images, strict=True):
        assert isinstance(f, DepthFrame)
        assert f.depth.dtype == np.uint16 and f.depth.shape == (48, 64)
        np.testing.assert_array_equal(f.depth, img)
    assert rec.frame_count == 60 and rec.frames_read == 60
    assert rec.gaps == [] and rec.dropped_frames == 0


def test_frame_attributes_describe_the_stream(write_recording) -> None:
    intr = d435_intrinsics(64, 48)
    path = write_recording(depth_images(3, 48, 64), intrinsics=intr, fps=30, depth_scale=0.00025)
    with open_recording(path) as rec:
        assert (rec.path, rec.fps, rec.intrinsics) == (path, 30, intr)
        assert rec.depth_scale == pytest.approx(0.00025, rel=1e-6)
        assert rec.device_info["name"] == "kneesight phantom"
        f = next(iter(rec))
    assert f.intrinsics == intr and f.depth_scale == rec.depth_scale
    assert f.depth_m[10, 10] == pytest.approx(f.depth[10, 10] * 0.00025, rel=1e-6)


def test_gaps_report_dropped_frames(write_recording) -> None:
    numbers = [3, 4, 5, 9, 10, 12]
    path = write_recording(depth_images(6, 24, 32), numbers=numbers)
    with open_recording(path) as rec:
        got = [f.frame_number for f in rec]
    assert got == numbers
    assert rec.gaps == [(5, 3), (10, 1)] and rec.dropped_frames == 4


def test_single_pass(write_recording) -> None:
    path = write_recording(depth_images(3, 24, 32))
    with open_recording(path) as rec:
        assert len(list(rec)) == 3
        with pytest.raises(RecordingError, match="single pass"):
            iter(rec)


def test_stopping_early_releases_the_file(write_recording) -> None:
    path = write_recording(depth_images(20, 24, 32))
    for _ in range(2):
        with open_recording(path) as rec:
            first = next(iter(rec))
        assert first.frame_number == 1
    with open_recording(path) as rec:
        assert len(list(rec)) == 20
    with open_recording(path) as rec:
        frames = iter(rec)
        next(frames)
    with pytest.raises(RecordingError, match="closed"):
        next(frames)


# --- bad input: one test each, all RecordingErrors naming the file and the problem ---------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"nope\.db3: the file does not exist"):
        open_recording(tmp_path / "nope.db3")


def test_text_file(tmp_path: Path) -> None:
    p = tmp_path / "notes.db3"
    p.write_text("frame 1: knee 12 deg\n")
    with pytest.raises(RecordingError, match=r"notes\.db3: the file is not a RealSense recording"):
        open_recording(p)


def test_random_bytes_renamed(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for name in ("noise.db3", "noise.bag"):
        p = tmp_path / name
        p.write_bytes(rng.bytes(50_000))
        with pytest.raises(RecordingError, match=rf"{name}: the file is not a RealSense recording"):
            open_recording(p)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.db3").touch()
    with pytest.raises(RecordingError, match=r"empty\.db3: the file is empty"):
        open_recording(tmp_path / "empty.db3")


def test_truncated_recording(write_recording) -> None:
    path = write_recording(depth_images(30, 48, 64))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(RecordingError, match=r"rec\.db3: the recording is truncated or corrupted"):
        with open_recording(path) as rec:
            list(rec)


def test_corrupted_frame_inside_a_valid_file(write_recording) -> None:
    path = write_recording(depth_images(30, 48, 64))
    with sqlite3.connect(path) as con:
        (mid, blob) = con.execute(
            "SELECT m.id, m.data FROM messages m JOIN topics t ON t.id = m.topic_id "
            "WHERE t.name LIKE '%Depth_0/image/data%' ORDER BY m.timestamp LIMIT 1 OFFSET 12"
        ).fetchone()
        bad = bytearray(blob)
        start = bytes(bad).index(b"IDAT") + 8
        bad[start:] = bytes(b ^ 0x5A for b in bad[start:])
        con.execute("UPDATE messages SET data = ? WHERE id = ?", (bytes(bad), mid))
    con.close()
    got = []
    with pytest.raises(RecordingError, match=r"rec\.db3: the recording is truncated or corrupted"):
        with open_recording(path) as rec:
            for f in rec:
                got.append(f.frame_number)
    assert got == list(range(1, len(got) + 1)) and len(got) <= 12


def test_recording_without_depth(tmp_path: Path) -> None:
    path = tmp_path / "ir_only.db3"
    dev = rs.software_device()
    sensor = dev.add_sensor("Stereo Module")
    vs = rs.video_stream()
    vs.type, vs.index, vs.uid = rs.stream.infrared, 1, 1
    vs.width, vs.height, vs.fps, vs.bpp, vs.fmt = 32, 24, 30, 1, rs.format.y8
    vs.intrinsics = intrinsics_to_rs(d435_intrinsics(32, 24))
    profile = sensor.add_video_stream(vs).as_video_stream_profile()
    recorder = rs.recorder(str(path), dev)
    rec_sensor = recorder.query_sensors()[0]
    queue = rs.frame_queue(4)
    rec_sensor.open(rec_sensor.get_stream_profiles()[0])
    rec_sensor.start(queue)
    for k in range(3):
        f = rs.software_video_frame()
        f.pixels = np.full((24, 32), 100 + k, np.uint8)
        f.bpp, f.stride, f.timestamp, f.frame_number = 1, 32, k * 33.3, k + 1
        f.domain, f.profile = rs.timestamp_domain.hardware_clock, profile
        sensor.on_video_frame(f)
        queue.wait_for_frame(2000)
    rec_sensor.stop()
    rec_sensor.close()
    del rec_sensor, recorder, queue, sensor, dev
    assert path.stat().st_size > 0
    with pytest.raises(RecordingError, match=r"ir_only\.db3: the recording has no depth stream"):
        open_recording(path)


@pytest.mark.parametrize("name", ["trial.mp4", "trial.png", "trial"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"\x00" * 100)
    with pytest.raises(RecordingError, match="unsupported recording type"):
        open_recording(tmp_path / name)


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.db3").mkdir()
    with pytest.raises(RecordingError, match=r"dir\.db3: not a file"):
        open_recording(tmp_path / "dir.db3")
