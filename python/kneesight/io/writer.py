"""Writing depth images into a real RealSense recording (a software device plus the SDK's
recorder), e.g. the phantom's synthetic trials; the result plays back in the SDK and the
RealSense Viewer like a camera's recording."""

from __future__ import annotations

import math
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from kneesight._core import Intrinsics
from kneesight.errors import InputError, RecordingError
from kneesight.io._output import OutputFile
from kneesight.io._sdk import rs, sdk_reason, sdk_version
from kneesight.io.intrinsics import intrinsics_to_rs

ACCEPT_TIMEOUT_MS = 5000
"""How long the recorder may take to accept one frame before writing is declared failed."""


def check_depth_scale(depth_scale: float, name: str = "depth_scale") -> float:
    """``depth_scale`` as a float in metres per unit; InputError unless finite and in (0, 1)."""
    try:
        s = float(depth_scale)
    except (TypeError, ValueError):
        raise InputError(
            f"{name} must be a number of metres per unit, got {depth_scale!r}"
        ) from None
    if not (math.isfinite(s) and 0.0 < s < 1.0):
        raise InputError(f"{name} must be metres per depth unit in (0, 1), got {depth_scale!r}")
    return s


class RecordingWriter:
    """Write uint16 depth images into a RealSense ``.db3`` recording.

    Parameters
    ----------
    path : str or Path
        The recording to create. ``.db3`` (ROS2 rosbag2, what pyrealsense2 2.58+ writes); a
        ``.bag`` name is passed to the SDK, and an SDK that records only ``.db3`` refuses it
        with a RecordingError.
    intrinsics : Intrinsics
        Depth stream intrinsics; every image must be ``intrinsics.height x intrinsics.width``.
    depth_scale : float, default 0.001
        Metres per depth unit, stored as the sensor's depth units.
    fps : int, default 90
        Nominal stream rate; default timestamps advance ``1000 / fps`` ms per frame number.
    device_name, serial : str
        Camera name and serial number stored in the recording.
    overwrite : bool, default False
        Replace an existing file (only once the new recording is complete). Without it an
        existing file is never touched.
    compress : bool, default True
        Store frames as 16-bit PNG (the SDK's default). False stores raw z16: files about
        1.7x larger, but written several times faster and decoded about 3x faster.

    Raises
    ------
    InputError
        Bad intrinsics, depth scale or fps.
    RecordingError
        The file exists (and ``overwrite`` is False), cannot be created, or the SDK cannot
        write this format.

    Examples
    --------
    >>> with RecordingWriter("trial.db3", intrinsics) as w:  # doctest: +SKIP
    ...     for depth in images:
    ...         w.write(depth)
    """

    def __init__(
        self,
        path: str | Path,
        intrinsics: Intrinsics,
        depth_scale: float = 0.001,
        fps: int = 90,
        device_name: str = "kneesight phantom",
        serial: str = "KS00000001",
        overwrite: bool = False,
        *,
        compress: bool = True,
    ) -> None:
        if not isinstance(intrinsics, Intrinsics):
            raise InputError(
                f"intrinsics: expected kneesight.Intrinsics, got {type(intrinsics).__name__}"
            )
        if isinstance(fps, bool) or not isinstance(fps, int | np.integer) or not 1 <= fps <= 1000:
            raise InputError(f"fps must be an integer frame rate in 1..1000, got {fps!r}")
        self.path = Path(path)
        self.intrinsics = intrinsics
        self.depth_scale = check_depth_scale(depth_scale)
        self.fps = int(fps)
        self.compress = bool(compress)
        self.frames_written = 0
        self._last: int | None = None
        self._last_ts = -math.inf
        out = OutputFile(self.path, overwrite)
        self._out: OutputFile | None = out
        self._sdk: dict[str, Any] = {}
        try:
            self._open(out.write_path, str(device_name), str(serial))
        except RuntimeError as e:
            self._release(quiet=True)
            out.discard()
            raise RecordingError(
                f"{self.path}: cannot set up the recording: {sdk_reason(e)}"
            ) from None
        except BaseException:
            self._release(quiet=True)
            out.discard()
            raise

    def _open(self, write_path: Path, device_name: str, serial: str) -> None:
        sdk = rs()
        i = self.intrinsics
        dev = sdk.software_device()
        dev.register_info(sdk.camera_info.name, device_name)
        dev.register_info(sdk.camera_info.serial_number, serial)
        sw_sensor = dev.add_sensor("Stereo Module")
        stream = sdk.video_stream()
        stream.type = sdk.stream.depth
        stream.index = 0
        stream.uid = 0
        stream.width, stream.height = i.width, i.height
        stream.fps = self.fps
        stream.bpp = 2
        stream.fmt = sdk.format.z16
        stream.intrinsics = intrinsics_to_rs(i)
        profile = sw_sensor.add_video_stream(stream).as_video_stream_profile()
        sw_sensor.add_read_only_option(sdk.option.depth_units, self.depth_scale)
        self._sdk.update(device=dev, sw_sensor=sw_sensor, profile=profile)
        try:
            recorder = sdk.recorder(str(write_path), dev, self.compress)
        except RuntimeError as e:
            raise RecordingError(
                f"{self.path}: pyrealsense2 {sdk_version()} cannot write this recording: "
                f"{sdk_reason(e)}"
            ) from None
        sensor = recorder.query_sensors()[0]
        queue = sdk.frame_queue(8)
        self._sdk.update(recorder=recorder, sensor=sensor, queue=queue)
        rec_profile = next(
            p for p in sensor.get_stream_profiles() if p.stream_type() == sdk.stream.depth
        )
        try:
            sensor.open(rec_profile)
            sensor.start(queue)
        except RuntimeError as e:
            raise RecordingError(f"{self.path}: cannot start recording: {sdk_reason(e)}") from None
        self._sdk["started"] = True

    def write(
        self,
        depth: np.ndarray,
        frame_number: int | None = None,
        timestamp_ms: float | None = None,
    ) -> None:
        """Append one depth image.

        Parameters
        ----------
        depth : ndarray of uint16, shape (H, W)
            Depth in device units (0 = no data).
        frame_number : int, optional
            Strictly increasing; default the previous number + 1 (starting at 1). Skipped
            numbers are what dropped frames look like.
        timestamp_ms : float, optional
            Milliseconds, not decreasing; default 0 for the first frame, then the previous
            timestamp plus ``1000 / fps`` per frame number step.

        Raises
        ------
        InputError
            Wrong dtype or shape, a frame number not above the last, a bad timestamp.
        RecordingError
            The writer is closed, or the SDK did not accept the frame.
        """
        if "started" not in self._sdk:
            raise RecordingError(f"{self.path}: the writer is closed")
        i = self.intrinsics
        if not isinstance(depth, np.ndarray) or depth.dtype != np.uint16 or depth.ndim != 2:
            desc = (
                f"an array of dtype {depth.dtype} and shape {depth.shape}"
                if isinstance(depth, np.ndarray)
                else type(depth).__name__
            )
            raise InputError(f"depth must be a 2-D uint16 array, got {desc}")
        if depth.shape != (i.height, i.width):
            raise InputError(
                f"depth has shape {depth.shape} but the intrinsics describe "
                f"(H, W) = ({i.height}, {i.width})"
            )
        if frame_number is not None:
            number = int(frame_number)
        else:
            number = 1 if self._last is None else self._last + 1
        if number < 0 or (self._last is not None and number <= self._last):
            raise InputError(
                f"frame_number must increase (and be >= 0): got {number} after {self._last}"
            )
        if timestamp_ms is not None:
            ts = float(timestamp_ms)
        elif self._last is None:
            ts = 0.0
        else:
            ts = self._last_ts + (number - self._last) * 1000.0 / self.fps
        if not math.isfinite(ts) or ts < self._last_ts:
            raise InputError(
                f"timestamp_ms of frame {number} must be finite and not decrease: got {ts} "
                f"after {self._last_ts}"
            )
        sdk = rs()
        frame = sdk.software_video_frame()
        frame.pixels = np.ascontiguousarray(depth)
        frame.bpp = 2
        frame.stride = 2 * i.width
        frame.timestamp = ts
        frame.domain = sdk.timestamp_domain.hardware_clock
        frame.frame_number = number
        frame.profile = self._sdk["profile"]
        try:
            self._sdk["sw_sensor"].on_video_frame(frame)
            self._sdk["queue"].wait_for_frame(ACCEPT_TIMEOUT_MS)
        except RuntimeError as e:
            raise RecordingError(
                f"{self.path}: frame {number} was not recorded: {sdk_reason(e)}"
            ) from None
        self._last, self._last_ts = number, ts
        self.frames_written += 1

    def _release(self, quiet: bool = False) -> None:
        """Stop the sensor and drop every SDK object, which makes the recorder finish the file.
        With ``quiet`` (cleaning up after another error) SDK errors are not raised."""
        sensor = self._sdk.get("sensor")
        started = self._sdk.pop("started", False)
        try:
            if sensor is not None and started:
                sensor.stop()
                sensor.close()
        except RuntimeError:
            if not quiet:
                raise
        finally:
            self._sdk.clear()

    def close(self) -> None:
        """Finish the recording and check it was written (a non-empty file); idempotent.

        Raises
        ------
        RecordingError
            The SDK did not produce the file.
        """
        self._finish(commit=True)

    def _finish(self, commit: bool) -> None:
        if self._out is None:
            return
        out, self._out = self._out, None
        try:
            self._release(quiet=not commit)
        except RuntimeError as e:
            if out.replaces_existing:
                out.discard()
            raise RecordingError(
                f"{self.path}: closing the recording failed: {sdk_reason(e)}"
            ) from None
        if commit:
            out.commit()
        else:
            out.discard()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On an exception a new file keeps the frames written so far; an overwrite is abandoned
        # and the old recording stays in place.
        if exc_type is None or self._out is None or not self._out.replaces_existing:
            self.close()
        else:
            self._finish(commit=False)

    def __repr__(self) -> str:
        state = "closed" if self._out is None else "open"
        return f"RecordingWriter({str(self.path)!r}, {self.frames_written} frames, {state})"
