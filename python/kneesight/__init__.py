"""kneesight: depth-camera 3D biomechanics of jump landings.

Turns Intel RealSense depth frames into a fitted 3D leg skeleton and measures the components of
dynamic knee valgus: femoral internal rotation, hip adduction, knee valgus and flexion, ankle
dorsiflexion and foot arch collapse. Conventions live in :mod:`kneesight.conventions`.
"""

from kneesight._core import Intrinsics
from kneesight._core import __version__ as __version__
from kneesight.analysis.recording import analyze
from kneesight.deproject import deproject
from kneesight.errors import (
    CalibrationError,
    InputError,
    KneesightError,
    RecordingError,
    TrackingError,
)

__all__ = [
    "CalibrationError",
    "InputError",
    "Intrinsics",
    "KneesightError",
    "RecordingError",
    "TrackingError",
    "analyze",
    "deproject",
]
