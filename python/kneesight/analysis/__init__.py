"""Trial analysis: landing events, valgus metrics, partial LESS, screening flags, guidance.

:func:`analyze_kinematics` works on a kinematics table (tracker output or phantom ground truth);
:func:`kneesight.analyze` runs calibration and tracking on a recording first.
"""

from kneesight.analysis.events import EVENT_KEYS, Events, detect_events
from kneesight.analysis.pipeline import analyze_kinematics
from kneesight.analysis.result import TrialResult
from kneesight.analysis.table import (
    KinematicsWriter,
    as_kinematics_table,
    read_kinematics_csv,
    write_kinematics_csv,
)

__all__ = [
    "EVENT_KEYS",
    "Events",
    "KinematicsWriter",
    "TrialResult",
    "analyze_kinematics",
    "as_kinematics_table",
    "detect_events",
    "read_kinematics_csv",
    "write_kinematics_csv",
]
