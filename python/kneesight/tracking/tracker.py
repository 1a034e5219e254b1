"""The per-frame tracker: depth frames in, fitted leg skeleton and joint angles out."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kneesight import _core
from kneesight.conventions import JOINT_CENTRES, SIDES, per_side_columns
from kneesight.errors import InputError
from kneesight.io.frames import DepthFrame
from kneesight.tracking.calibration import SubjectCalibration
from kneesight.tracking.labframe import LabFrame

COLUMNS: tuple[str, ...] = tuple(per_side_columns())
"""Columns of :attr:`FrameResult.values` (``kneesight.conventions.per_side_columns()``)."""

POSE_PARAMETERS: tuple[str, ...] = tuple(_core.pose_parameter_names())
"""Degrees of freedom of the leg model, in order: pelvis x, y, z (m) and yaw, tilt, obliquity;
per side (left first) hip flexion, adduction, internal rotation, knee flexion, valgus, internal
rotation, ankle dorsiflexion, inversion (rad) and arch height (m)."""

SEGMENTS: tuple[str, ...] = (
    "pelvis",
    "thigh_l",
    "shank_l",
    "foot_l",
    "thigh_r",
    "shank_r",
    "foot_r",
)
"""Order of :attr:`FrameResult.segment_rotations`."""

if len(COLUMNS) != _core.TRACK_VALUES:  # pragma: no cover - a build mismatch
    raise ImportError("kneesight._core and kneesight.conventions disagree on the value columns")


@dataclass(frozen=True)
class FrameResult:
    """What the tracker found in one depth frame.

    Attributes
    ----------
    frame_number : int
        RealSense frame number.
    timestamp_ms : float
        Frame timestamp, ms.
    tracked : bool
        Whether the skeleton was fitted with enough confidence; when False every value is NaN.
    confidence : float
        In [0, 1]: inlier fraction x residual quality x coverage of both legs.
    status : str
        ``tracked``, ``no_subject``, ``too_few_points``, ``poor_fit`` or ``bad_frame``
        (frame size does not match the calibration).
    values : ndarray of float64, shape (36,)
        Aligned with :data:`COLUMNS`: per side (left first) hip flexion, adduction, internal
        rotation, knee flexion, valgus, internal rotation, ankle dorsiflexion, FPPA (deg),
        arch height (mm), then hip, knee and ankle joint centres (lab frame, m). NaN where the
        data do not support a value (leg not seen, a degree of freedom too uncertain).
    dof_sd : dict of str -> float
        Standard deviation of each joint angle from the fit (deg; ``arch_height_mm_<s>`` in
        mm), e.g. ``hip_internal_rotation_r`` and ``knee_valgus_r``, whose trade-off near
        90 deg knee flexion shows here. Empty when not tracked.
    joint_centres_camera : ndarray of float64, shape (6, 3)
        Hip, knee, ankle joint centres of the left then the right leg in the camera frame
        (x right, y down, z forward; m), for drawing over the depth image. NaN when not
        tracked.
    segment_rotations : ndarray of float64, shape (7, 3, 3)
        Segment frames in the lab frame (columns: segment X, Y, Z axes), order
        :data:`SEGMENTS`. The pelvis's is the anatomical pelvis the hip angles are read in:
        the fitted yaw and obliquity, tilted with the lower trunk's lean from the calibrated
        stance (``pose`` holds the fitted ellipsoid's tilt).
    pose : ndarray of float64, shape (24,)
        Model parameters, order :data:`POSE_PARAMETERS`.
    points : int
        Subject points used by the fit.
    rms_mm : float
        RMS distance of the inlier points to the model surface, mm.
    foot_lowest_m : ndarray of float64, shape (2,)
        Height above the floor (lab frame y, m) of the lowest subject points around each foot,
        left then right: the 5th percentile of the points within 5 cm of the foot the tracker
        predicted for this frame. A measurement, not the fitted model: it rises the frame the
        toes leave the ground, where the fitted foot, held by its temporal prior, lags by a
        frame or two. NaN when fewer than 10 points lie there or the frame is not tracked.
    """

    frame_number: int
    timestamp_ms: float
    tracked: bool
    confidence: float
    status: str
    values: np.ndarray
    dof_sd: dict[str, float] = field(default_factory=dict)
    joint_centres_camera: np.ndarray = field(default_factory=lambda: np.full((6, 3), np.nan))
    segment_rotations: np.ndarray = field(default_factory=lambda: np.full((7, 3, 3), np.nan))
    pose: np.ndarray = field(default_factory=lambda: np.full(len(POSE_PARAMETERS), np.nan))
    points: int = 0
    rms_mm: float = float("nan")
    foot_lowest_m: np.ndarray = field(default_factory=lambda: np.full(2, np.nan))

    def value(self, column: str) -> float:
        """One value by column name, e.g. ``result.value("knee_valgus_r")``."""
        try:
            return float(self.values[COLUMNS.index(column)])
        except ValueError:
            raise InputError(f"unknown column {column!r}; see kneesight.tracking.COLUMNS") from None


def _dof_sd(sd: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, s in zip(POSE_PARAMETERS, sd, strict=True):
        if name.startswith("pelvis") or not np.isfinite(s):
            continue
        if name.startswith("arch_height"):
            out[name.replace("arch_height", "arch_height_mm")] = float(s) * 1000.0
        else:
            out[name] = float(np.degrees(s))
    return out


class Tracker:
    """Fits the subject's leg model to every depth frame.

    Parameters
    ----------
    calibration : SubjectCalibration
        From :func:`kneesight.tracking.calibrate_subject` or ``SubjectCalibration.load``.

    Notes
    -----
    Frames are tracked in order; each fit starts from a constant-velocity prediction of the
    previous frames (gaps in frame numbers are allowed). After two untracked frames the tracker
    searches the whole frame for the subject again. The GIL is released while a frame is
    tracked, so decoding the next frame in another thread overlaps with fitting.
    """

    def __init__(self, calibration: SubjectCalibration) -> None:
        if not isinstance(calibration, SubjectCalibration):
            raise InputError(
                f"Tracker needs a SubjectCalibration, got {type(calibration).__name__}"
            )
        self.calibration = calibration
        self._core = _core.CoreTracker(calibration.core)
        self._lab = calibration.lab_frame
        self._clock: tuple[int, float] | None = None
        self._intervals: deque[float] = deque(maxlen=9)
        self._interval: float | None = None

    @property
    def lab_frame(self) -> LabFrame:
        """Camera to lab transform of the session."""
        return self._lab

    def reset(self) -> None:
        """Forget the motion history (e.g. between trials); the next frame re-initialises."""
        self._core.reset()
        self._clock = None

    def _follow_frame_rate(self, frame: DepthFrame) -> None:
        """Tell the core the camera's frame interval (median of the recent ones, from the
        frame numbers and timestamps): below 90 fps the motion between frames is larger."""
        n, t = int(frame.frame_number), float(frame.timestamp_ms)
        last, self._clock = self._clock, (n, t)
        if last is None or n <= last[0] or not np.isfinite(t) or t <= last[1]:
            return
        dt = (t - last[1]) / 1000.0 / (n - last[0])
        if not 1e-4 < dt < 1.0:
            return
        self._intervals.append(dt)
        med = float(np.median(self._intervals))
        if self._interval is None or abs(med / self._interval - 1.0) > 0.05:
            self._interval = med
            self._core.set_frame_interval(med)

    def thigh_length_factor(self) -> float | None:
        """The factor on the calibrated thigh length that the trial's bent-knee frames support.

        A straight leg in quiet standing hardly shows where the knee lies along it, so the
        calibration keeps the thigh near its anthropometric length (women's and men's
        proportions differ by about 3 cm). The tracker keeps the most flexed frames it tracked
        (knee flexion >= 40 deg); this refits them for thigh lengths 0.76-1.24 times the
        calibrated one and returns the best factor, or None with fewer than 8 such frames or
        a best length at the end of that range. Apply it with
        :meth:`SubjectCalibration.with_thigh_scale` and track again.

        Returns
        -------
        float or None
            Dimensionless factor.
        """
        f = self._core.thigh_length_factor()
        return None if f is None else float(f)

    def shank_length_factor(self, thigh_factor: float = 1.0) -> float | None:
        """The factor on the calibrated shank length that the trial's bent-knee frames
        support, with the thighs ``thigh_factor`` times their calibrated length.

        As :meth:`thigh_length_factor`, for the shank (knee to ankle joint centre): measure the
        thigh first and pass its factor; with the knee bent, the knee's place fixes the thigh,
        and the shank reaches from there to the foot on the floor.

        Parameters
        ----------
        thigh_factor : float
            Factor on the calibrated thigh length, 0.75-1.25.

        Returns
        -------
        float or None
            Dimensionless factor, or None with fewer than 8 bent-knee frames or a best length
            at the end of the searched range (0.76-1.24).

        Raises
        ------
        InputError
            ``thigh_factor`` outside 0.75-1.25.
        """
        f = self._core.shank_length_factor(float(thigh_factor))
        return None if f is None else float(f)

    @property
    def thigh_length_frames(self) -> int:
        """Bent-knee frames kept so far for :meth:`thigh_length_factor`."""
        return int(self._core.thigh_length_frames)

    def track(self, frame: DepthFrame) -> FrameResult:
        """Track one frame.

        Parameters
        ----------
        frame : DepthFrame

        Returns
        -------
        FrameResult

        Raises
        ------
        InputError
            ``frame`` is not a DepthFrame or its depth array does not match its intrinsics.
        """
        if not isinstance(frame, DepthFrame):
            raise InputError(f"track() takes a DepthFrame, got {type(frame).__name__}")
        depth = frame.depth
        if not (isinstance(depth, np.ndarray) and depth.dtype == np.uint16 and depth.ndim == 2):
            raise InputError(
                f"frame {frame.frame_number}: depth must be a 2-D uint16 array, got "
                f"{getattr(depth, 'dtype', type(depth))} {getattr(depth, 'shape', '')}"
            )
        self._follow_frame_rate(frame)
        tracked, conf, status, values, pose, sd, rots, npts, rms, lowest = self._core.track(
            depth, frame.intrinsics, float(frame.depth_scale), int(frame.frame_number)
        )
        centres = np.full((6, 3), np.nan)
        if tracked:
            for si, s in enumerate(SIDES):
                for ji, j in enumerate(JOINT_CENTRES):
                    c = [COLUMNS.index(f"{j}_{s}_{a}") for a in "xyz"]
                    centres[3 * si + ji] = values[c]
            centres = self._lab.to_camera(centres)
        return FrameResult(
            frame_number=int(frame.frame_number),
            timestamp_ms=float(frame.timestamp_ms),
            tracked=bool(tracked),
            confidence=float(conf),
            status=str(status),
            values=np.asarray(values, dtype=np.float64),
            dof_sd=_dof_sd(np.asarray(sd)) if tracked else {},
            joint_centres_camera=centres,
            segment_rotations=np.asarray(rots),
            pose=np.asarray(pose),
            points=int(npts),
            rms_mm=float(rms) * 1000.0,
            foot_lowest_m=np.asarray(lowest, dtype=np.float64),
        )

    def track_recording(
        self, recording: str | Path | Iterable[DepthFrame]
    ) -> Iterator[FrameResult]:
        """Track every frame of a recording, in order, one at a time.

        Parameters
        ----------
        recording : str, Path, or iterable of DepthFrame
            A recording path (opened with :func:`kneesight.io.open_recording`), an open
            recording, or any iterable of frames.

        Yields
        ------
        FrameResult
        """
        if isinstance(recording, str | Path):
            from kneesight.io import open_recording  # type: ignore[attr-defined]

            with open_recording(recording) as rec:
                yield from self._frames(rec)
        else:
            yield from self._frames(recording)

    def _frames(self, frames: Iterable[Any]) -> Iterator[FrameResult]:
        for f in frames:
            yield self.track(f)
