"""RealSense recording I/O: reading, writing and live recording of depth streams.

- :func:`open_recording` plays a ``.db3`` / ``.bag`` recording back frame by frame;
- :class:`RecordingWriter` writes depth images into a real RealSense recording;
- :func:`record` records a connected camera (see :data:`PROFILES`);
- :func:`intrinsics_from_rs` / :func:`intrinsics_to_rs` convert intrinsics to and from
  pyrealsense2.
"""

from kneesight.io.frames import DepthFrame
from kneesight.io.intrinsics import intrinsics_from_rs, intrinsics_to_rs
from kneesight.io.live import PROFILES, Profile, RecordResult, record
from kneesight.io.reader import Recording, open_recording
from kneesight.io.writer import RecordingWriter

__all__ = [
    "PROFILES",
    "DepthFrame",
    "Profile",
    "RecordResult",
    "Recording",
    "RecordingWriter",
    "intrinsics_from_rs",
    "intrinsics_to_rs",
    "open_recording",
    "record",
]
