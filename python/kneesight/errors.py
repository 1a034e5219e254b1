"""The kneesight exception hierarchy.

Every error kneesight raises on purpose is a :class:`KneesightError`:

- :class:`InputError` (also a ``ValueError``-like misuse): a bad argument, array shape or dtype,
  parameter or intrinsics.
- :class:`RecordingError`: a recording is missing, not a recording, truncated, corrupted, has no
  depth stream, or no camera is there to record from.
- :class:`CalibrationError`: a lab or subject calibration cannot be made or loaded.
- :class:`TrackingError`: the tracker cannot proceed at all.

The classes are defined in the compiled core so that Rust errors map onto them directly.
"""

from kneesight._core import (
    CalibrationError,
    InputError,
    KneesightError,
    RecordingError,
    TrackingError,
)

__all__ = [
    "CalibrationError",
    "InputError",
    "KneesightError",
    "RecordingError",
    "TrackingError",
]
