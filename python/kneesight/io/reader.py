"""Reading RealSense recordings frame by frame through the SDK's playback.

Playback runs as fast as frames are consumed (not in real time), so every recorded depth frame
is delivered, in order. For ``.db3`` files the number of depth frames is read from the file's
index first: reading stops as soon as the last one arrives, and a recording that stops early
(a corrupted or truncated frame) is reported instead of silently yielding fewer frames.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from kneesight._core import Intrinsics
from kneesight.errors import RecordingError
from kneesight.io._sdk import check_readable, classify, rs, sdk_reason
from kneesight.io.frames import DepthFrame
from kneesight.io.intrinsics import intrinsics_from_rs

POLL_MS = 100
"""Wait for the next frame in slices this long (keeps Ctrl-C responsive)."""
END_GRACE_S = 0.3
"""After the SDK reports the end of the file, wait this long for frames still in flight."""
STALL_S = 20.0
"""No frame for this long while the SDK still reports playing: the recording is unreadable."""


def db3_depth_frame_count(path: Path, stream_index: int = 0) -> int | None:
    """Number of depth frames in a ROS2 ``.db3`` recording, from its message table.

    Returns None when the file is not a rosbag2 database or has no depth image topic.
    """
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = con.execute(
            "SELECT t.name, COUNT(m.id) FROM topics t LEFT JOIN messages m ON m.topic_id = t.id "
            "GROUP BY t.id"
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    topic = re.compile(rf"/Depth_{int(stream_index)}/image/data(/|$)")
    counts = [int(n) for name, n in rows if topic.search(str(name))]
    return sum(counts) if counts else None


class Recording:
    """An open RealSense recording: iterate it once for its depth frames.

    Use :func:`open_recording`. Frames are decoded one at a time (the recording is never held
    in memory) and each ``DepthFrame.depth`` is a private copy.

    Attributes
    ----------
    path : Path
    intrinsics : Intrinsics
        Depth stream intrinsics.
    depth_scale : float
        Metres per depth unit.
    fps : int
        Nominal frame rate of the depth stream.
    device_info : dict of str to str
        Camera information stored in the file (``name``, ``serial_number``, ...).
    frame_count : int or None
        Depth frames in the file: known on opening a ``.db3``; for a ``.bag`` known once the
        recording has been read to the end.
    gaps : list of (int, int)
        ``(frame number before the gap, number of missing frames)`` for every jump in the frame
        numbers seen so far (complete after reading to the end): frames the camera dropped.
    dropped_frames : int
        Total missing frames in ``gaps``.
    frames_read : int
        Frames yielded so far.
    first_timestamp_ms, last_timestamp_ms : float or None
        Timestamps of the first and of the latest frame read.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = check_readable(path)
        self.gaps: list[tuple[int, int]] = []
        self.frames_read = 0
        self.first_timestamp_ms: float | None = None
        self.last_timestamp_ms: float | None = None
        self._last_number: int | None = None
        self._iterated = False
        self._pipe: Any = None
        self._playback: Any = None
        sdk = rs()
        try:
            profile = self._resolve_and_start(sdk)
        except RuntimeError as e:
            reason = sdk_reason(e)
            raise RecordingError(f"{self.path}: {classify(reason)} ({reason})") from None
        try:
            self._describe(sdk, profile)
        except RuntimeError as e:
            self.close()
            reason = sdk_reason(e)
            raise RecordingError(f"{self.path}: unreadable stream description ({reason})") from None
        except BaseException:
            self.close()
            raise

    def _resolve_and_start(self, sdk: Any) -> Any:
        cfg = sdk.config()
        cfg.enable_device_from_file(str(self.path), repeat_playback=False)
        cfg.enable_stream(sdk.stream.depth)
        pipe = sdk.pipeline()
        try:
            resolved = cfg.resolve(pipe)
        except RuntimeError as e:
            if "resolve requests" in str(e).lower() or "couldn't resolve" in str(e).lower():
                raise RecordingError(f"{self.path}: {self._no_depth_message(sdk)}") from None
            raise
        # Switch playback out of real time before any frame flows (real-time playback drops
        # frames the consumer is too slow for); the pipeline reuses the resolved device.
        resolved.get_device().as_playback().set_real_time(False)
        profile = pipe.start(cfg)
        self._pipe = pipe
        self._playback = profile.get_device().as_playback()
        if self._playback.is_real_time():  # not the resolved device after all
            self._playback.set_real_time(False)
        return profile

    def _no_depth_message(self, sdk: Any) -> str:
        """Describe a recording whose streams include no depth."""
        cfg = sdk.config()
        cfg.enable_device_from_file(str(self.path), repeat_playback=False)
        try:
            dev = cfg.resolve(sdk.pipeline()).get_device()
            streams = [
                f"{p.stream_name()} {p.format()}".replace("format.", "")
                for s in dev.query_sensors()
                for p in s.get_stream_profiles()
            ]
        except RuntimeError as e:
            return f"{classify(sdk_reason(e))} ({sdk_reason(e)})"
        held = ", ".join(streams) if streams else "no stream at all"
        return f"the recording has no depth stream (it holds {held})"

    def _describe(self, sdk: Any, profile: Any) -> None:
        stream = profile.get_stream(sdk.stream.depth).as_video_stream_profile()
        if stream.format() != sdk.format.z16:
            raise RecordingError(
                f"{self.path}: the depth stream is {stream.format()}, not 16-bit depth (z16)"
            )
        self.intrinsics: Intrinsics = intrinsics_from_rs(stream.get_intrinsics())
        self.fps = int(stream.fps())
        dev = profile.get_device()
        self.device_info: dict[str, str] = {
            name: dev.get_info(ci)
            for name, ci in sdk.camera_info.__members__.items()
            if dev.supports(ci)
        }
        self.depth_scale = self._find_depth_scale(sdk, dev, stream)
        self.frame_count: int | None = (
            db3_depth_frame_count(self.path, stream.stream_index())
            if self.path.suffix.lower() == ".db3"
            else None
        )
        self._expected = self.frame_count

    def _find_depth_scale(self, sdk: Any, dev: Any, stream: Any) -> float:
        for sensor in dev.query_sensors():
            if any(p.unique_id() == stream.unique_id() for p in sensor.get_stream_profiles()):
                if sensor.supports(sdk.option.depth_units):
                    # Stored as float32: keep the shortest decimal that round-trips (0.001).
                    return float(str(np.float32(sensor.get_option(sdk.option.depth_units))))
        raise RecordingError(
            f"{self.path}: the depth sensor stored no depth units; cannot convert to metres"
        )

    @property
    def dropped_frames(self) -> int:
        """Frames missing between the first and the last frame number seen so far."""
        return sum(n for _, n in self.gaps)

    def __len__(self) -> int:
        if self.frame_count is None:
            raise TypeError(f"{self.path}: the frame count of a .bag is known only after reading")
        return self.frame_count

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[DepthFrame]:
        if self._iterated:
            raise RecordingError(
                f"{self.path}: a recording is read in a single pass; open it again to re-read"
            )
        self._iterated = True
        return self._frames()

    def _frames(self) -> Iterator[DepthFrame]:
        while True:
            fs = self._next_frameset()
            if fs is None:
                break
            try:
                frame = self._to_frame(fs)
            except RuntimeError as e:
                raise RecordingError(
                    f"{self.path}: frame after {self._last_number} is unreadable: {sdk_reason(e)}"
                ) from None
            yield frame
        self._finish()

    def _next_frameset(self) -> Any:
        """The next frameset, or None at the end of the file."""
        if self._expected is not None and self.frames_read >= self._expected:
            return None
        if self._pipe is None:
            raise RecordingError(f"{self.path}: the recording was closed; open it again to read")
        idle_since = time.monotonic()
        stopped_since: float | None = None
        stopped = rs().playback_status.stopped
        while True:
            try:
                ok, fs = self._pipe.try_wait_for_frames(POLL_MS)
            except RuntimeError as e:
                raise RecordingError(
                    f"{self.path}: reading failed after frame {self._last_number}: {sdk_reason(e)}"
                ) from None
            if ok:
                return fs
            now = time.monotonic()
            if self._playback.current_status() == stopped:
                stopped_since = now if stopped_since is None else stopped_since
                if now - stopped_since >= END_GRACE_S:
                    return None
            elif now - idle_since > STALL_S:
                raise RecordingError(
                    f"{self.path}: playback stalled after frame {self._last_number} "
                    f"(no frame for {STALL_S:.0f} s)"
                )

    def _to_frame(self, fs: Any) -> DepthFrame:
        df = fs.get_depth_frame()
        number = int(df.get_frame_number())
        # The SDK recycles frame buffers: copy the pixels out.
        depth = np.array(np.asanyarray(df.get_data()), dtype=np.uint16, copy=True)
        last = self._last_number
        if last is not None and number > last + 1:
            self.gaps.append((last, number - last - 1))
        self._last_number = number
        self.frames_read += 1
        ts = float(df.get_timestamp())
        if self.first_timestamp_ms is None:
            self.first_timestamp_ms = ts
        self.last_timestamp_ms = ts
        return DepthFrame(
            depth=depth,
            frame_number=number,
            timestamp_ms=ts,
            depth_scale=self.depth_scale,
            intrinsics=self.intrinsics,
        )

    def _finish(self) -> None:
        """End of the file: check nothing is missing and release the file."""
        self._until_stopped()
        self.close()
        if self._expected is not None and self.frames_read < self._expected:
            raise RecordingError(
                f"{self.path}: the recording is truncated or corrupted: playback stopped after "
                f"frame {self._last_number} ({self.frames_read} of {self._expected} depth "
                "frames could be decoded)"
            )
        self.frame_count = self.frames_read

    def _until_stopped(self) -> None:
        """Let the playback reach the end of the file by itself before the pipeline is stopped
        (stopping it while its thread still dispatches can crash the SDK), for at most
        ``END_GRACE_S``; frames still arriving are dropped (all expected ones were read)."""
        if self._pipe is None or self._playback is None:
            return
        stopped = rs().playback_status.stopped
        deadline = time.monotonic() + END_GRACE_S
        try:
            while self._playback.current_status() != stopped and time.monotonic() < deadline:
                self._pipe.try_wait_for_frames(10)
        except RuntimeError:
            pass

    def close(self) -> None:
        """Stop playback and release the file (idempotent)."""
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            try:
                pipe.stop()
            except RuntimeError:
                pass

    def __enter__(self) -> Recording:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        i = self.intrinsics
        return (
            f"Recording({str(self.path)!r}, {i.width}x{i.height} @ {self.fps} fps, "
            f"{self.frame_count if self.frame_count is not None else '?'} frames)"
        )


def open_recording(path: str | Path) -> Recording:
    """Open a RealSense recording (``.db3`` or ``.bag``) for reading its depth frames.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Recording
        A context manager; iterate it once for :class:`DepthFrame` objects, every frame in
        order.

    Raises
    ------
    RecordingError
        Missing file, unsupported extension, not a RealSense recording, truncated or corrupted
        recording (also raised at the end of iteration when frames could not be decoded), no
        depth stream.

    Examples
    --------
    >>> with open_recording("trial.db3") as rec:  # doctest: +SKIP
    ...     for frame in rec:
    ...         points = kneesight.deproject(frame)
    """
    return Recording(path)
