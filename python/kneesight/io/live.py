"""Recording a connected RealSense camera's depth stream to a file.

The SDK's recorder wraps the camera; frames are written as they arrive. Whatever ends the
recording (the requested duration, Ctrl-C, the camera being unplugged, an error) the sensor is
stopped and the recorder closed in a ``finally`` block, so the frames captured so far are kept
in a readable file. An existing file is never overwritten.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kneesight.errors import InputError, RecordingError
from kneesight.io._output import OutputFile
from kneesight.io._sdk import rs, sdk_reason

POLL_MS = 100
"""Wait for frames in slices this long, so Ctrl-C is handled promptly."""
STALL_S = 2.0
"""No frame for this long means the camera is gone (unplugged or failed)."""


@dataclass(frozen=True)
class Profile:
    """A depth stream mode: size in pixels and frame rate."""

    width: int
    height: int
    fps: int
    note: str = ""

    @property
    def name(self) -> str:
        """``"<width>x<height>@<fps>"``, the key in :data:`PROFILES`."""
        return f"{self.width}x{self.height}@{self.fps}"


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(848, 480, 90, "default: D4xx optimal depth resolution at its top full-frame rate"),
        Profile(848, 480, 60, "as the default at 60 fps (lighter on USB and disk)"),
        Profile(848, 480, 30, "as the default at 30 fps (USB 2 connections)"),
        Profile(640, 480, 90, "VGA at 90 fps"),
        Profile(1280, 720, 30, "full D4xx depth resolution, 30 fps"),
        Profile(848, 100, 300, "D435 high-speed mode: a 100-row band of the image at 300 fps"),
    )
}
"""Depth modes that :func:`record` offers, by name."""

DEFAULT_PROFILE = "848x480@90"


@dataclass(frozen=True)
class RecordResult:
    """What :func:`record` captured.

    Attributes
    ----------
    path : Path
    frames : int
        Depth frames received (and recorded).
    dropped_frames : int
        Frames missing from the frame-number sequence (dropped by the camera or USB).
    duration_s : float
        From the first to the last frame, by the frame timestamps.
    stopped : str
        ``"duration"`` (the requested duration elapsed) or ``"interrupted"`` (Ctrl-C).
    """

    path: Path
    frames: int
    dropped_frames: int
    duration_s: float
    stopped: str


def _profile(profile: str | Profile) -> Profile:
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[str(profile)]
    except KeyError:
        raise InputError(f"profile {profile!r} is not one of {', '.join(PROFILES)}") from None


def record(
    path: str | Path,
    profile: str | Profile = DEFAULT_PROFILE,
    duration_s: float | None = None,
    serial: str | None = None,
    progress: Callable[[int, float], None] | None = None,
    *,
    compress: bool = True,
) -> RecordResult:
    """Record a connected RealSense camera's depth stream to ``path``.

    Parameters
    ----------
    path : str or Path
        A new ``.db3`` file (an existing file is never overwritten).
    profile : str or Profile, default "848x480@90"
        A key of :data:`PROFILES` (e.g. ``"848x100@300"``, the D435's 300 fps mode).
    duration_s : float, optional
        Seconds to record; default until Ctrl-C.
    serial : str, optional
        Serial number of the camera to use when several are connected.
    progress : callable (frames, seconds), optional
        Called after every frame with the frame count and the seconds since the first frame.
    compress : bool, default True
        Store frames as 16-bit PNG (the SDK's default, smaller files). False stores raw z16:
        about 1.7x larger files, but far less CPU while recording (use it if frames drop at
        high frame rates) and about 3x faster reading.

    Returns
    -------
    RecordResult

    Raises
    ------
    InputError
        Unknown profile, bad duration.
    RecordingError
        No camera connected, no camera with that serial, the camera does not offer the
        profile, the file exists, or the camera stopped sending frames (the frames received
        until then are kept in the file, and the message says so).
    """
    prof = _profile(profile)
    if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
        raise InputError(f"duration_s must be a positive number of seconds, got {duration_s!r}")
    sdk = rs()
    try:
        devices = list(sdk.context().query_devices())
    except RuntimeError as e:
        raise RecordingError(f"cannot list RealSense cameras: {sdk_reason(e)}") from None
    if not devices:
        raise RecordingError(
            "no RealSense camera connected (check the USB 3 cable and port, and that no other "
            "program holds the camera)"
        )
    if serial is not None:
        sn = sdk.camera_info.serial_number
        found = [d for d in devices if d.supports(sn) and d.get_info(sn) == str(serial)]
        if not found:
            have = [d.get_info(sn) for d in devices if d.supports(sn)]
            raise RecordingError(f"no RealSense camera with serial {serial} (connected: {have})")
        devices = found
    return record_device(devices[0], path, prof, duration_s, progress, compress=compress)


def _depth_stream(sensors: list[Any], prof: Profile, sdk: Any) -> tuple[Any, Any] | None:
    for sensor in sensors:
        for p in sensor.get_stream_profiles():
            if p.stream_type() != sdk.stream.depth or p.format() != sdk.format.z16:
                continue
            v = p.as_video_stream_profile()
            if (v.width(), v.height(), v.fps()) == (prof.width, prof.height, prof.fps):
                return sensor, p
    return None


def record_device(
    device: Any,
    path: str | Path,
    profile: Profile,
    duration_s: float | None = None,
    progress: Callable[[int, float], None] | None = None,
    stall_s: float = STALL_S,
    compress: bool = True,
) -> RecordResult:
    """Record the depth stream of one SDK device; see :func:`record` (which finds the camera).

    ``device`` is a ``pyrealsense2.device`` (a camera, or a software device fed by the caller).
    """
    sdk = rs()
    out = OutputFile(path, overwrite=False)
    held: dict[str, Any] = {}
    started = False
    frames, dropped, last_number = 0, 0, None
    first_ts = last_ts = 0.0
    stopped, lost = "interrupted", False
    try:
        try:
            held["recorder"] = sdk.recorder(str(out.write_path), device, bool(compress))
        except RuntimeError as e:
            raise RecordingError(
                f"{out.path}: cannot record to this file: {sdk_reason(e)}"
            ) from None
        found = _depth_stream(held["recorder"].query_sensors(), profile, sdk)
        if found is None:
            raise RecordingError(
                f"the camera offers no {profile.width}x{profile.height} depth stream at "
                f"{profile.fps} fps"
            )
        sensor, stream = found
        held["sensor"] = sensor
        held["queue"] = queue = sdk.frame_queue(max(2 * profile.fps, 64))
        sensor.open(stream)
        sensor.start(queue)
        started = True
        t0 = last_arrival = time.monotonic()
        try:
            while True:
                ok, f = queue.try_wait_for_frame(POLL_MS)
                now = time.monotonic()
                if not ok:
                    if now - last_arrival > stall_s:
                        lost = True
                        break
                    continue
                number, ts = int(f.get_frame_number()), float(f.get_timestamp())
                del f
                if frames == 0:
                    t0, first_ts = now, ts
                elif last_number is not None and number > last_number + 1:
                    dropped += number - last_number - 1
                frames, last_number, last_ts, last_arrival = frames + 1, number, ts, now
                if progress is not None:
                    progress(frames, now - t0)
                if duration_s is not None and now - t0 >= duration_s:
                    stopped = "duration"
                    break
        except KeyboardInterrupt:
            stopped = "interrupted"
    except RuntimeError as e:
        raise RecordingError(f"{out.path}: recording failed: {sdk_reason(e)}") from None
    finally:
        with _sigint_deferred():
            _stop(held, started)
            if frames == 0:
                out.discard()
    if frames == 0:
        raise RecordingError(
            f"{out.path}: the camera sent no frame within {stall_s:g} s; nothing was recorded"
        )
    out.commit()
    result = RecordResult(out.path, frames, dropped, (last_ts - first_ts) / 1000.0, stopped)
    if lost:
        raise RecordingError(
            f"the camera stopped sending frames (unplugged?) after {frames} frames; the "
            f"{frames} frames recorded are kept in {out.path}"
        )
    return result


def _stop(held: dict[str, Any], started: bool) -> None:
    """Stop the sensor and drop every SDK object: the recorder then finishes the file."""
    sensor = held.get("sensor")
    try:
        if sensor is not None and started:
            sensor.stop()
            sensor.close()
    except RuntimeError:
        pass  # an unplugged camera cannot be stopped; the recorder still closes the file
    finally:
        held.clear()


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ignore Ctrl-C while the recording is being closed (a second Ctrl-C must not leave a
    half-written file); only possible in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
