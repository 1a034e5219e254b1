"""Tracking: subject calibration from a static trial and the per-frame leg-skeleton fit.

>>> from kneesight.tracking import calibrate_subject, Tracker
>>> cal = calibrate_subject("static.db3", stature_m=1.78)      # doctest: +SKIP
>>> cal.save("subject.json")                                     # doctest: +SKIP
>>> for r in Tracker(cal).track_recording("drop_jump.db3"):       # doctest: +SKIP
...     print(r.frame_number, r.tracked, r.value("knee_valgus_r"))
"""

from kneesight.tracking.calibration import SubjectCalibration, calibrate_subject
from kneesight.tracking.labframe import LabFrame
from kneesight.tracking.tracker import COLUMNS, POSE_PARAMETERS, SEGMENTS, FrameResult, Tracker

__all__ = [
    "COLUMNS",
    "POSE_PARAMETERS",
    "SEGMENTS",
    "FrameResult",
    "LabFrame",
    "SubjectCalibration",
    "Tracker",
    "calibrate_subject",
]
