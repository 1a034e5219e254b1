"""The lab frame of a session as seen from the camera (see :mod:`kneesight.conventions`).

One type serves the scene estimate and the tracker: :class:`kneesight._core.LabFrame`, the rigid
transform ``p_lab = R p_cam + t`` with ``rotation`` (3, 3) (rows: lab X anterior, Y up, Z right
in camera coordinates), ``translation`` (3,) (the camera centre in the lab frame, metres),
``lab_from_camera`` (4, 4), ``camera_position``, ``to_lab(points (N, 3))`` and
``to_camera(points (N, 3))``.
"""

from kneesight._core import LabFrame

__all__ = ["LabFrame"]
