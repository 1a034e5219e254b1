"""Live recording: no camera, Ctrl-C, unplugging, never overwriting.

There is no camera on the test machines: the recording loop is driven through a software
device (the SDK's stand-in for a camera) that a thread feeds with frames like a camera would.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import numpy as np
import pyrealsense2 as rs
import pytest

from conftest import d435_intrinsics
from kneesight.cli import main
from kneesight.errors import InputError, RecordingError
from kneesight.io import open_recording
from kneesight.io.intrinsics import intrinsics_to_rs
from kneesight.io.live import PROFILES, Profile, record, record_device

camera_connected = len(rs.context().query_devices()) > 0
no_camera = pytest.mark.skipif(camera_connected, reason="a RealSense camera is connected")

W, H, FPS = 64, 48, 90


class FakeCamera:
    """A software device streaming depth frames from a thread until stopped (or 'unplugged')."""

    def __init__(self, n_frames: int = 10_000, skip: tuple[int, ...] = ()) -> None:
        self.device = rs.software_device()
        self.device.register_info(rs.camera_info.name, "Intel RealSense D435 (software)")
        self.device.register_info(rs.camera_info.serial_number, "000001")
        self.sensor = self.device.add_sensor("Stereo Module")
        vs = rs.video_stream()
        vs.type, vs.index, vs.uid = rs.stream.depth, 0, 0
        vs.width, vs.height, vs.fps, vs.bpp, vs.fmt = W, H, FPS, 2, rs.format.z16
        vs.intrinsics = intrinsics_to_rs(d435_intrinsics(W, H))
        self.profile = self.sensor.add_video_stream(vs).as_video_stream_profile()
        self.sensor.add_read_only_option(rs.option.depth_units, 0.001)
        self.n_frames, self.skip = n_frames, skip
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        # Like a camera, produce frames only once the sensor streams (opened, then started).
        while not self.sensor.get_active_streams():
            if self.stop.wait(0.005):
                return
        time.sleep(0.1)
        for k in range(1, self.n_frames + 1):
            if self.stop.is_set():
                return
            if k in self.skip:
                continue
            f = rs.software_video_frame()
            f.pixels = np.full((H, W), 1000 + k, np.uint16)
            f.bpp, f.stride, f.timestamp, f.frame_number = 2, 2 * W, k * 1000 / FPS, k
            f.domain, f.profile = rs.timestamp_domain.hardware_clock, self.profile
            self.sensor.on_video_frame(f)
            time.sleep(1 / FPS)

    def __enter__(self) -> FakeCamera:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


PROFILE = Profile(W, H, FPS)


def frames_in(path: Path) -> list[int]:
    with open_recording(path) as rec:
        return [f.frame_number for f in rec]


@no_camera
def test_no_camera_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no RealSense camera connected"):
        record(tmp_path / "t.db3", duration_s=1.0)
    assert list(tmp_path.iterdir()) == []


@no_camera
def test_cli_record_without_camera(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", str(tmp_path / "t.db3"), "--duration", "1"]) == 1
    assert "no RealSense camera connected" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_profiles_and_their_validation(tmp_path: Path) -> None:
    assert (PROFILES["848x480@90"].width, PROFILES["848x480@90"].fps) == (848, 90)
    assert (PROFILES["848x100@300"].height, PROFILES["848x100@300"].fps) == (100, 300)
    with pytest.raises(InputError, match="848x480@90"):
        record(tmp_path / "t.db3", profile="4k@1000")
    with pytest.raises(InputError, match="duration_s"):
        record(tmp_path / "t.db3", duration_s=-1.0)


def test_records_for_the_requested_duration(tmp_path: Path) -> None:
    path = tmp_path / "live.db3"
    with FakeCamera(skip=(7, 8)) as cam:
        result = record_device(cam.device, path, PROFILE, duration_s=0.4)
    assert result.stopped == "duration" and result.path == path
    assert result.dropped_frames == 2
    got = frames_in(path)
    assert len(got) == result.frames >= 10
    assert 7 not in got and 8 not in got and got == sorted(got)


def test_ctrl_c_keeps_what_was_captured(tmp_path: Path) -> None:
    path = tmp_path / "live.db3"

    def press_ctrl_c(frames: int, seconds: float) -> None:
        if frames == 15:
            signal.raise_signal(signal.SIGINT)

    with FakeCamera() as cam:
        result = record_device(cam.device, path, PROFILE, progress=press_ctrl_c)
    assert result.stopped == "interrupted"
    assert result.frames >= 15
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert len(frames_in(path)) == result.frames


def test_unplugged_camera_keeps_what_was_captured(tmp_path: Path) -> None:
    path = tmp_path / "live.db3"
    with FakeCamera(n_frames=20) as cam:  # the camera goes silent after 20 frames
        with pytest.raises(RecordingError, match=r"stopped sending frames.*20 frames.*kept in"):
            record_device(cam.device, path, PROFILE, stall_s=0.5)
    assert frames_in(path) == list(range(1, 21))


def test_camera_without_the_profile(tmp_path: Path) -> None:
    with FakeCamera(n_frames=0) as cam:
        with pytest.raises(RecordingError, match="no 848x100 depth stream at 300 fps"):
            record_device(cam.device, tmp_path / "t.db3", PROFILES["848x100@300"])
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "earlier.db3"
    path.write_bytes(b"yesterday's trial")
    with FakeCamera(n_frames=0) as cam:
        with pytest.raises(RecordingError, match=r"earlier\.db3: the file exists"):
            record_device(cam.device, path, PROFILE, duration_s=0.2)
    assert path.read_bytes() == b"yesterday's trial"
