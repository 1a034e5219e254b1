"""Analyse a recording: subject calibration, tracking (streamed), then the trial analysis.

Depth frames are never kept: the tracker consumes them one at a time and only the small
per-frame kinematics rows (about 50 numbers a frame) are collected.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from kneesight._core import THIGH_OF_STATURE
from kneesight.analysis.filtering import DEFAULT_CUTOFF_HZ, design
from kneesight.analysis.pipeline import analyze_kinematics
from kneesight.analysis.result import TrialResult
from kneesight.analysis.shoulders import stature_from_shoulders
from kneesight.analysis.table import PER_SIDE, Table
from kneesight.conventions import FOOT_LOWEST, SIDES, column
from kneesight.errors import (
    CalibrationError,
    InputError,
    KneesightError,
    RecordingError,
    TrackingError,
)
from kneesight.projection import in_image

Progress = Callable[[int, int | None], None]
"""``progress(frames_done, frames_total_or_None)``."""

QUIET_MAX_S = 1.0
"""Without a static trial, at most the first second of the trial calibrates the subject ..."""
QUIET_MIN_S = 0.15
"""... and only the quiet standing before the subject starts to move, at least this long."""
MOTION_LAG_S = 0.1
"""Motion is a depth change between frames this far apart ..."""
MOTION_CHANGE_M = (0.05, 0.02)
"""... larger than 5 cm or 0.02 z^2 m (about 5 sigma of a D435's depth noise at depth z in its
848x480 mode; the z^2 term grows as the focal length shrinks, see :data:`MOTION_FX_PX`) ..."""
MOTION_FX_PX = 425.0
"""Focal length (pixels) the z^2 term of :data:`MOTION_CHANGE_M` is for (a D435 at 848x480):
depth noise is a disparity error in pixels, so at a lower resolution (424x240: half the focal
length) the same depth changes by twice as much."""
MOTION_FRACTION = (2.0, 0.004, 0.02)
"""... in more than twice the fraction of pixels that change so in the stillest frames of the
first two seconds, plus 0.4 % of the pixels, or in more than 2 % of the pixels (when something
moves throughout, the stillest frames move too)."""
CALIBRATION_SOURCES = ("static recording", "subject file", "first quiet second of the trial")


def _need_file(path: str | Path, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise RecordingError(f"{p}: {what} not found")
    if not p.is_file():
        raise RecordingError(f"{p}: {what} is not a file")
    return p.resolve()


def _progress_bar(progress: Progress | bool | None, total: int | None, desc: str) -> Any:
    """A callable ``update(done)`` and a ``close()``; tqdm on a terminal unless disabled."""
    if callable(progress):
        cb = progress

        class _Cb:
            def __init__(self) -> None:
                self.n = 0

            def update(self, k: int = 1) -> None:
                self.n += k
                cb(self.n, total)

            def close(self) -> None:
                pass

        return _Cb()
    enabled = progress is True or (progress is None and sys.stderr.isatty())
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="frame", disable=not enabled, leave=False)


def _recording_info(path: Path) -> dict[str, Any]:
    """fps, intrinsics, depth scale and frame count of a recording (without reading frames;
    dropped frames are counted later from the gaps in the frame numbers)."""
    from kneesight.io import open_recording

    with open_recording(path) as rec:
        info: dict[str, Any] = {
            "fps": float(rec.fps),
            "intrinsics": rec.intrinsics,
            "depth_scale": float(rec.depth_scale),
            "n_frames": None,
        }
        try:
            info["n_frames"] = len(rec)  # type: ignore[arg-type]
        except TypeError:
            pass
    return info


def _track(
    tracker: Any, path: Path, progress: Progress | bool | None, total: int | None, desc: str
) -> tuple[Table, dict[str, list[float]], dict[str, int]]:
    """Track a recording frame by frame into a kinematics table, per-DOF SDs, status counts."""
    frames: list[int] = []
    stamps: list[float] = []
    tracked: list[float] = []
    conf: list[float] = []
    values: list[np.ndarray] = []
    lowest: list[np.ndarray] = []
    dof_sd: dict[str, list[float]] = {}
    status: dict[str, int] = {}
    bar = _progress_bar(progress, total, desc)
    try:
        for fr in _guarded(tracker.track_recording(path), path, frames):
            frames.append(int(fr.frame_number))
            stamps.append(float(fr.timestamp_ms))
            ok = bool(fr.tracked)
            tracked.append(1.0 if ok else 0.0)
            conf.append(float(fr.confidence) if fr.confidence is not None else np.nan)
            v = np.asarray(fr.values, dtype=np.float64).reshape(-1)
            if v.size != len(PER_SIDE):
                raise InputError(
                    f"{path}: tracker gave {v.size} values for frame {fr.frame_number}, "
                    f"expected {len(PER_SIDE)}"
                )
            values.append(v if ok else np.full(len(PER_SIDE), np.nan))
            low = getattr(fr, "foot_lowest_m", None)
            low = np.asarray(low, dtype=np.float64).reshape(-1) if low is not None else None
            lowest.append(low if ok and low is not None and low.size == 2 else np.full(2, np.nan))
            st = str(getattr(fr, "status", "tracked" if ok else "untracked"))
            status[st] = status.get(st, 0) + 1
            for k, sd in (getattr(fr, "dof_sd", None) or {}).items():
                if ok and sd is not None and np.isfinite(sd):
                    dof_sd.setdefault(k, []).append(float(sd))
            bar.update(1)
    finally:
        bar.close()
    if not frames:
        raise RecordingError(f"{path}: the recording holds no depth frame")
    vals = np.stack(values) if values else np.empty((0, len(PER_SIDE)))
    t_ms = np.asarray(stamps)
    table: Table = {
        "frame": np.asarray(frames, dtype=np.float64),
        "time_s": (t_ms - t_ms[0]) / 1000.0,
        "tracked": np.asarray(tracked),
        "confidence": np.asarray(conf),
    }
    for i, c in enumerate(PER_SIDE):
        table[c] = vals[:, i].copy()
    low = np.stack(lowest)
    for i, s in enumerate(SIDES):
        table[column(FOOT_LOWEST, s)] = low[:, i].copy()
    return table, dof_sd, status


def _guarded(results: Iterator[Any], path: Path, done: list[int]) -> Iterator[Any]:
    """Pass tracker results through; an internal failure of the compiled core (a Rust panic,
    which is not an ``Exception``) becomes a :class:`TrackingError` naming the recording and
    the frame instead of a crash."""
    it = iter(results)
    while True:
        try:
            fr = next(it)
        except StopIteration:
            return
        except Exception:
            raise
        except BaseException as e:  # pyo3's PanicException derives from BaseException
            if type(e).__name__ != "PanicException":
                raise
            where = f"after frame {done[-1]}" if done else "at the first frame"
            raise TrackingError(f"{path}: internal tracker failure {where} ({e})") from None
        yield fr


def _first_frames(path: Path, n: float) -> Iterator[Any]:
    from kneesight.io import open_recording

    with open_recording(path) as rec:
        yield from islice(iter(rec), max(int(round(n)), 1))


def moving_fraction(
    depths: list[np.ndarray],
    depth_scale: float,
    lag: int,
    stride: int = 4,
    fx: float | None = None,
) -> np.ndarray:
    """Fraction of pixels whose depth changes by more than the motion threshold
    (:data:`MOTION_CHANGE_M`) between frame ``i`` and frame ``i + lag``.

    Parameters
    ----------
    depths : list of ndarray, each of shape (H, W), uint16
        Depth frames.
    depth_scale : float
        Metres per depth unit.
    lag : int
        Frames between the compared frames (>= 1).
    stride : int
        Every ``stride``-th pixel in each direction is used.
    fx : float, optional
        Focal length of the frames, pixels (before the stride); the noise allowance grows
        as it shrinks (:data:`MOTION_FX_PX`). Default: :data:`MOTION_FX_PX`.

    Returns
    -------
    ndarray, shape (max(len(depths) - lag, 0),)
        The fraction in [0, 1] for each frame pair ``(i, i + lag)``.
    """
    zs = [
        np.asarray(d)[::stride, ::stride].astype(np.float32) * np.float32(depth_scale)
        for d in depths
    ]
    out = np.zeros(max(len(zs) - lag, 0))
    lo, k = MOTION_CHANGE_M
    if fx is not None:
        if not (np.isfinite(fx) and fx > 0):
            raise InputError(f"fx must be a positive focal length in pixels, got {fx}")
        k *= MOTION_FX_PX / float(fx)
    for i in range(out.size):
        a, b = zs[i], zs[i + lag]
        ok = (a > 0) & (b > 0)
        moved = ok & (np.abs(b - a) > np.maximum(lo, k * a * a))
        out[i] = moved.sum() / max(int(ok.sum()), 1)
    return out


def quiet_frames(
    depths: list[np.ndarray],
    depth_scale: float,
    fps: float,
    stride: int = 4,
    fx: float | None = None,
) -> int:
    """How many leading frames show the subject standing still (before they start to move).

    The frames should span about two seconds: the stillest tenth of them sets the level of
    change that noise and flying pixels cause (:data:`MOTION_FRACTION`).

    Parameters
    ----------
    depths : list of ndarray, each of shape (H, W), uint16
        The first frames of the trial.
    depth_scale : float
        Metres per depth unit.
    fps : float
        Frame rate, Hz.
    stride : int
        Every ``stride``-th pixel in each direction is used.
    fx : float, optional
        Focal length of the full-resolution frames, pixels (see :func:`moving_fraction`).

    Returns
    -------
    int
        Number of frames from the first one during which nothing moved (``len(depths)`` when
        the subject stands still throughout).
    """
    lag = max(1, int(round(MOTION_LAG_S * fps)))
    frac = moving_fraction(depths, depth_scale, lag, stride, fx)
    if frac.size == 0:
        return len(depths)
    times, plus, most = MOTION_FRACTION
    limit = min(times * float(np.percentile(frac, 10)) + plus, most)
    moving = np.flatnonzero(frac > limit)
    # pair (i, i + lag) changed: the motion began after frame i
    return int(moving[0]) if moving.size else len(depths)


def _calibrate_from_trial(
    rec: Path, fps: float, stature_m: float | None
) -> tuple[Any, dict[str, Any]]:
    """Calibrate the subject from the quiet standing at the start of the trial.

    The quiet standing is the frames before the subject starts to move (:func:`quiet_frames`),
    at most :data:`QUIET_MAX_S` and at least :data:`QUIET_MIN_S` long. The subject may stand on
    the floor or on a box or platform (a drop jump): the calibration finds the support under
    them, and the lab origin is on the floor below the ankles in that stance.
    """
    from kneesight import tracking
    from kneesight.tracking.calibration import MAX_FRAMES

    n_max = max(int(round(QUIET_MAX_S * fps)), 1)
    frames: list[Any] = []  # the first second, whole
    small: list[np.ndarray] = []  # two seconds, every 4th pixel: to see when motion starts
    for f in _first_frames(rec, 2.0 * fps):
        if len(frames) < n_max:
            frames.append(f)
        small.append(np.ascontiguousarray(f.depth[::4, ::4]))
    if not frames:
        raise RecordingError(f"{rec}: the recording holds no depth frame")
    n_quiet = quiet_frames(
        small, float(frames[0].depth_scale), fps, stride=1, fx=float(frames[0].intrinsics.fx)
    )
    n_use = min(n_quiet, n_max)
    seconds = n_use / fps
    if seconds < QUIET_MIN_S:
        raise CalibrationError(
            f"{rec}: no static recording given and the subject moves from t = "
            f"{seconds:.2f} s: the start of the trial holds less than {QUIET_MIN_S:g} s of "
            "quiet standing to calibrate from; record a static standing trial and pass --static"
        )
    used = frames[:n_use]
    step = max(1, -(-len(used) // MAX_FRAMES))  # spread over the whole quiet stretch
    try:
        try:
            cal = tracking.calibrate_subject(used[::step], stature_m=stature_m)
        except CalibrationError:
            # a slow start of the movement (a countermovement on the box) can pass for quiet
            # standing: the shortest stretch the calibration accepts, from the first frame
            n_min = max(int(round(QUIET_MIN_S * fps)), 1)
            if n_use <= n_min:
                raise
            cal = tracking.calibrate_subject(frames[:n_min], stature_m=stature_m)
            used = frames[:n_min]
            seconds = n_min / fps
    except CalibrationError as e:
        raise CalibrationError(
            f"{rec}: no static recording given and the quiet standing at the start of the "
            f"trial (t = 0-{seconds:.2f} s) cannot calibrate the subject ({e}); record a static "
            "standing trial and pass --static"
        ) from None
    t0 = float(used[0].timestamp_ms)
    t1 = float(used[-1].timestamp_ms)
    info = {
        "source": CALIBRATION_SOURCES[2],
        "path": str(rec),
        "seconds_used": round((t1 - t0) / 1000.0 + 1.0 / fps, 3),
        "frames_used": [int(used[0].frame_number), int(used[-1].frame_number)],
        "note": (
            f"no static trial: the subject model was sized from the first "
            f"{(t1 - t0) / 1000.0 + 1.0 / fps:.2f} s of the trial (quiet standing before the "
            "subject starts to move); the lab origin is on the floor below the ankles in that "
            "stance (below the box when the trial starts on one)"
        ),
    }
    return cal, info


def analyze(
    recording: str | Path,
    static: str | Path | None = None,
    subject: str | Path | None = None,
    *,
    sex: str | None = None,
    stature_m: float | None = None,
    progress: Progress | bool | None = None,
    filter_hz: float | None = DEFAULT_CUTOFF_HZ,
) -> TrialResult:
    """Analyse a drop-jump recording.

    Parameters
    ----------
    recording : str or Path
        The trial (``.db3`` or ``.bag``).
    static : str or Path, optional
        A static standing recording of the same subject: calibrates the subject model and gives
        the static alignment.
    subject : str or Path, optional
        A saved subject calibration (``SubjectCalibration.save``) instead of ``static``.
        With neither, the quiet standing at the start of the trial (at most its first second,
        before the subject starts to move; on the floor or on the box) calibrates the subject,
        and the result says so.
    sex : {"female", "male"}, optional
        Selects the FPPA normal range (the wider female range when not given) and sizes the
        model's thigh by that sex's share of stature (de Leva 1996: 0.212 in women, 0.243 in
        men; the mean of the two when not given); a saved ``subject`` calibration keeps its
        own.
    stature_m : float, optional
        Standing height, helps size the model.
    progress : callable, bool or None
        ``progress(done, total)``, True/False for a tqdm bar, None for a bar on a terminal.
    filter_hz : float or None
        Cutoff (Hz) of the zero-lag low-pass filter on the per-side kinematics (default 12 Hz,
        unless the frame rate is too low for it; see :mod:`kneesight.analysis.filtering`); None
        or 0 keeps them as tracked.

    Returns
    -------
    TrialResult

    Notes
    -----
    The trial is tracked, then the thigh length is measured in its bent-knee frames (quiet
    standing hardly shows where the knee lies along a straight leg) and, when it differs from
    the calibration's by 1 % or more, the trial is read and tracked again with it; the
    calibration entry of the result gives both lengths. Memory stays constant in the trial's
    length (the kept bent-knee frames are at most 24 sets of subject points).

    Raises
    ------
    RecordingError
        A recording is missing, corrupt or truncated (the message names it).
    CalibrationError
        The subject cannot be calibrated (e.g. nobody stands in the static recording).
    InputError
        Both ``static`` and ``subject`` given, or another bad argument.
    """
    if static is not None and subject is not None:
        raise InputError("give either a static recording or a subject calibration, not both")
    rec = _need_file(recording, "recording")
    sub = _need_file(subject, "subject calibration file") if subject is not None else None
    st = _need_file(static, "static recording") if static is not None else None
    from kneesight import tracking

    info = _recording_info(rec)
    fps = info["fps"]
    if filter_hz and filter_hz != DEFAULT_CUTOFF_HZ:
        design(float(filter_hz), float(fps))  # a cutoff this frame rate cannot carry: say so now
    static_table: Table | None = None
    shoulders: tuple[float, float] | None = None
    if sub is not None:
        cal = tracking.SubjectCalibration.load(sub)
        cal_info: dict[str, Any] = {"source": "subject file", "path": str(sub)}
    else:
        if st is not None:

            def measure(s: float | None) -> tuple[Any, dict[str, Any]]:
                info = {"source": "static recording", "path": str(st)}
                return tracking.calibrate_subject(st, stature_m=s), info

        else:

            def measure(s: float | None) -> tuple[Any, dict[str, Any]]:
                return _calibrate_from_trial(rec, fps, s)

        given_sex = sex

        def calibrate(s: float | None) -> tuple[Any, dict[str, Any]]:
            # the sex given sizes the thigh by its own share of stature, whatever the stature
            c, info = measure(s)
            return (c if given_sex is None else _thigh_of_sex(c, given_sex)), info

        try:
            cal, cal_info = calibrate(stature_m)
        except CalibrationError as e:
            # a model sized from the standing legs (the head out of view) can miss a short or
            # tall subject by so much that the fit fails: sized from the shoulders it may not
            shoulders = (
                None if stature_m is not None else _shoulder_stature(st or rec, None, 0.5, fps)
            )
            if shoulders is None:
                raise
            try:
                cal, cal_info = calibrate(shoulders[0])
            except CalibrationError:
                raise e from None
    if sub is None:
        cal_info.update(_stature_info(cal, stature_m))
        if shoulders is not None:
            cal_info["stature"] = STATURE_FROM_SHOULDERS
            cal_info["shoulder_height_m"] = round(shoulders[1], 3)
        if cal_info["stature"] == STATURE_FROM_LEGS:
            # the head out of view: the shoulders usually are not
            path = st if st is not None else rec
            seconds = 2.0 if st is not None else float(cal_info["seconds_used"])
            found = _shoulder_stature(path, cal.lab_frame, seconds, fps)
            if found is not None:
                cal_info["stature_from_standing_legs_m"] = cal_info["stature_m"]
                cal, _ = calibrate(found[0])
                cal_info["stature_m"] = round(float(cal.stature_m), 3)
                cal_info["stature"] = STATURE_FROM_SHOULDERS
                cal_info["shoulder_height_m"] = round(found[1], 3)
    if sub is None and sex is not None:
        cal_info["thigh_share_of_stature"] = f"{thigh_share(sex):.3f} ({sex}, de Leva 1996)"
    sex = sex or _calibration_sex(cal)
    given = None
    if subject is not None:
        kv = getattr(cal, "static_knee_valgus_deg", None)
        if isinstance(kv, dict) and kv:
            given = {s: {"knee_valgus": round(float(kv[s]), 2)} for s in ("l", "r") if s in kv}
    tracker = tracking.Tracker(cal)
    table, dof_sd, status = _track(tracker, rec, progress, info["n_frames"], "tracking")
    # the knee's place along the thigh shows in the bent-knee frames: measure the thigh there
    # and track again with it
    factor = tracker.thigh_length_factor()
    thigh = cal.segment_lengths_m
    if factor is not None and cal_info.get("stature") == STATURE_FROM_LEGS:
        # the head out of view, the stature estimated from straight legs is little better than
        # a mean adult's: size the model from the thigh and shank measured in the trial, twice
        # at most (a model far off the subject's size measures them less well)
        cal_info["stature_from_standing_legs_m"] = cal_info["stature_m"]
        for _ in range(STATURE_UPDATES):
            if factor is None:
                break
            thigh_m = 0.5 * (thigh["thigh_l"] + thigh["thigh_r"]) * factor
            shank_f = tracker.shank_length_factor(factor)
            if shank_f is None:
                stature = thigh_stature(thigh_m, sex)
            else:
                shank_m = 0.5 * (thigh["shank_l"] + thigh["shank_r"]) * shank_f
                stature = leg_stature(thigh_m, shank_m, sex)
                cal_info["shank_length_measured_in_trial_m"] = round(shank_m, 4)
            if abs(stature / float(cal.stature_m) - 1.0) < STATURE_SETTLED:
                break
            cal, _ = calibrate(stature)
            cal_info["stature_m"] = round(float(cal.stature_m), 3)
            cal_info["stature"] = STATURE_FROM_THIGH
            tracker = tracking.Tracker(cal)
            table, dof_sd, status = _track(
                tracker, rec, progress, info["n_frames"], "tracking (stature from the thigh)"
            )
            factor = tracker.thigh_length_factor()
            thigh = cal.segment_lengths_m
    cal_info["thigh_length_calibrated_m"] = round(0.5 * (thigh["thigh_l"] + thigh["thigh_r"]), 4)
    cal_info["thigh_length_bent_knee_frames"] = tracker.thigh_length_frames
    cal_info["thigh_length_measured_in_trial_m"] = None
    if factor is not None and abs(factor - 1.0) >= THIGH_REFIT_MIN:
        cal = cal.with_thigh_scale(factor)
        thigh = cal.segment_lengths_m
        cal_info["thigh_length_measured_in_trial_m"] = round(
            0.5 * (thigh["thigh_l"] + thigh["thigh_r"]), 4
        )
        tracker = tracking.Tracker(cal)
        table, dof_sd, status = _track(
            tracker, rec, progress, info["n_frames"], "tracking (thigh length measured)"
        )
    if static is not None:
        st_info = _recording_info(Path(cal_info["path"]))
        static_table, _, _ = _track(
            tracking.Tracker(cal), Path(cal_info["path"]), progress, st_info["n_frames"], "static"
        )
    result = analyze_kinematics(
        table,
        fps=fps,
        static=static_table,
        calibration_info=cal_info,
        sex=sex,
        static_alignment_given=given,
        filter_hz=filter_hz,
    )
    result.recording = str(rec)
    result.camera = _camera(info, tracker)
    result.data_quality["frame_status"] = status
    result.data_quality["dof_sd_deg"] = {
        k: round(float(np.median(v)), 2) for k, v in sorted(dof_sd.items()) if v
    }
    if cal_info.get("stature") == STATURE_FROM_LEGS:
        result.warnings.append(
            f"{cal_info['path']}: the head is out of view in the calibration frames: the "
            f"stature ({cal_info['stature_m']:.2f} m) and with it the segment lengths were "
            "estimated from the legs; pass the subject's stature (--stature) for accurate "
            "joint angles"
        )
    elif cal_info.get("stature") in (STATURE_FROM_THIGH, STATURE_FROM_SHOULDERS):
        how = (
            "estimated from the height of the shoulders"
            if cal_info["stature"] == STATURE_FROM_SHOULDERS
            else "scaled from the leg lengths measured in the landing"
        )
        result.warnings.append(
            f"{cal_info['path']}: the head is out of view in the calibration frames: the "
            f"stature ({cal_info['stature_m']:.2f} m) and with it the segment lengths were "
            f"{how}; pass the subject's stature (--stature) for accurate joint angles"
        )
    placement = camera_placement_warning(result.camera["lab_from_camera"])
    if placement:
        result.warnings.append(f"{rec}: {placement}")
    intr = result.camera["intrinsics"]
    mode = depth_mode_warning(int(intr["width"]), int(intr["height"]))
    if mode:
        result.warnings.append(f"{rec}: {mode}")
    if result.frames["tracked"] == 0:
        result.warnings.append(
            f"{rec}: the skeleton was not tracked in any frame (no person found?): nothing "
            "could be measured"
        )
    return result


THIGH_REFIT_MIN = 0.01
"""A trial re-tracked with the thigh length it measured when that differs from the
calibration's by at least this fraction."""

STATURE_FROM_LEGS = (
    "estimated from the standing legs (the head is out of view; little better than a mean "
    "adult's 1.75 m)"
)
STATURE_FROM_SHOULDERS = (
    "the height of the shoulders standing divided by their share of stature (0.818, Drillis & "
    "Contini 1966; the head is out of view in the calibration frames)"
)
STATURE_FROM_THIGH = (
    "the thigh and shank lengths measured in the trial's bent-knee frames divided by their "
    "share of stature (de Leva 1996; the head is out of view in the calibration frames)"
)
STATURE_UPDATES = 2
"""Most times the stature is taken again from the thigh measured with a model of the last."""
STATURE_SETTLED = 0.015
"""A stature from the thigh this close to the model's (relative) is kept."""


def leg_stature(thigh_m: float, shank_m: float, sex: str | None) -> float:
    """Stature (m) of a subject whose thigh (hip to knee joint centre) and shank (knee to
    ankle) are ``thigh_m`` and ``shank_m`` long.

    Their sum's share of stature for de Leva's (1996) mean adult of ``sex`` (0.462 in women,
    0.492 in men; their mean when ``sex`` is None), within 1.2-2.2 m. The shank's share is the
    same in both sexes and the thigh's is not, so the leg's spread between the sexes is half
    the thigh's (6 % against 14 %): without ``sex`` the estimate is within about 3 %, where
    the thigh's alone is within 7 %.
    """
    from kneesight.phantom.anthropometry import segment_ratio

    sexes = (sex,) if sex in ("female", "male") else ("female", "male")
    share = float(np.mean([segment_ratio("thigh", x) + segment_ratio("shank", x) for x in sexes]))
    return float(np.clip((thigh_m + shank_m) / share, 1.2, 2.2))


def _thigh_of_sex(cal: Any, sex: str) -> Any:
    """``cal`` with its thigh at the share of stature of ``sex`` (:func:`thigh_share`) instead
    of the model's mean of the sexes: the bent-knee frames of a trial correct the thigh only
    partly (a 1.68 m woman's phantom thigh read 0.388 m against 0.357; sized by her sex it
    read 0.355, and her ankle dorsiflexion came to 8.2 deg RMSE in contact against 12.1)."""
    return cal.with_thigh_scale(thigh_share(sex) / THIGH_OF_STATURE)


def thigh_share(sex: str | None) -> float:
    """The thigh's (hip to knee joint centre) share of stature of de Leva's (1996) mean adult
    of ``sex``: 0.212 in women, 0.243 in men, their mean when ``sex`` is None."""
    from kneesight.phantom.anthropometry import segment_ratio

    sexes = (sex,) if sex in ("female", "male") else ("female", "male")
    return float(np.mean([segment_ratio("thigh", x) for x in sexes]))


def thigh_stature(thigh_m: float, sex: str | None) -> float:
    """Stature (m) of a subject whose thigh (hip to knee joint centre) is ``thigh_m`` long:
    by :func:`thigh_share` of ``sex``, within 1.2-2.2 m."""
    return float(np.clip(thigh_m / thigh_share(sex), 1.2, 2.2))


def _shoulder_stature(
    path: Path, lab: Any, seconds: float, fps: float
) -> tuple[float, float] | None:
    """Stature and shoulder height (m) from the standing at the start of ``path`` (the first
    ``seconds``, at most 10 frames of it), in the lab frame ``lab`` (None: the floor's, X
    toward the camera); None when the shoulders are not seen (see
    :mod:`kneesight.analysis.shoulders`)."""
    from kneesight import _core

    frames = list(_first_frames(path, max(int(round(seconds * fps)), 1)))
    if not frames:
        return None
    step = max(1, -(-len(frames) // 10))
    used = frames[::step]
    f0 = used[0]
    try:
        if lab is None:
            lab = _core.estimate_lab_frame(
                [f.depth for f in used], f0.intrinsics, float(f0.depth_scale)
            )
        bg = _core.learn_background(
            [f.depth for f in used], f0.intrinsics, float(f0.depth_scale), lab
        )
        seg = _core.SubjectSegmenter(f0.intrinsics, float(f0.depth_scale), lab, bg)
        points = [np.asarray(seg.segment(f.depth)[0]) for f in used]
    except KneesightError:
        return None
    i = f0.intrinsics
    intr = {k: float(getattr(i, k)) for k in ("fx", "fy", "ppx", "ppy", "width", "height")}
    pose = lab.lab_from_camera
    return stature_from_shoulders(points, bg.supports, lambda q: in_image(q, pose, intr))


def _stature_info(cal: Any, given: float | None) -> dict[str, Any]:
    """The stature the model was sized from, and where it came from."""
    if given is not None:
        how = "given"
    elif bool(getattr(cal, "stature_measured", False)):
        how = "measured from the points (top of the head)"
    else:
        how = STATURE_FROM_LEGS
    return {"stature_m": round(float(cal.stature_m), 3), "stature": how}


def _calibration_sex(cal: Any) -> str | None:
    s = getattr(cal, "sex", None)
    return s if s in ("female", "male") else None


MAX_CAMERA_AZIMUTH_DEG = 35.0
"""Farthest the camera may stand from straight in front of the athlete before the analysis
warns, deg: the placement guidance is 30 deg, with room for the facing direction's estimate."""


def camera_placement_warning(lab_from_camera: Any) -> str | None:
    """A warning when the camera stands too far to the athlete's side, else None.

    Parameters
    ----------
    lab_from_camera : array-like, shape (4, 4)
        Pose of the camera in the lab frame (X the way the athlete faces, Y up, Z to the
        athlete's right; metres).

    Returns
    -------
    str or None
        Names the camera's azimuth from the athlete's front (deg) and which side, when beyond
        :data:`MAX_CAMERA_AZIMUTH_DEG`.
    """
    pos = np.asarray(lab_from_camera, dtype=np.float64)[:3, 3]
    az = float(np.degrees(np.arctan2(pos[2], pos[0])))
    if not np.isfinite(az) or abs(az) <= MAX_CAMERA_AZIMUTH_DEG:
        return None
    side = "right" if az > 0 else "left"
    return (
        f"the camera stands {abs(az):.0f} deg to the athlete's {side} of straight in front "
        "(place it within 30 deg): hip rotation and knee valgus are read less reliably from "
        "the side (on a phantom drop jump at 50 deg, RMSE 20 and 15 deg)"
    )


MIN_DEPTH_MODE = (848, 480)
"""The smallest depth mode (width, height, pixels) the tracking is validated at."""


def depth_mode_warning(width: int, height: int) -> str | None:
    """A warning when the depth mode is smaller than :data:`MIN_DEPTH_MODE`, else None.

    Parameters
    ----------
    width, height : int
        The recording's depth mode, pixels.

    Returns
    -------
    str or None
        Names the mode and what smaller modes were measured to do.
    """
    if width >= MIN_DEPTH_MODE[0] and height >= MIN_DEPTH_MODE[1]:
        return None
    return (
        f"the depth mode {width}x{height} is smaller than {MIN_DEPTH_MODE[0]}x"
        f"{MIN_DEPTH_MODE[1]}, the smallest kneesight is validated at: fewer pixels fall on "
        "the legs and feet (on a phantom drop jump 2 m away, 640x360 read hip internal "
        "rotation and ankle dorsiflexion with 3.5 and 6.4 deg RMSE with the stature given, "
        "424x240 was not tracked usefully); record at 848x480 or 1280x720"
    )


def _camera(info: dict[str, Any], tracker: Any) -> dict[str, Any]:
    i = info["intrinsics"]
    intr = {
        k: getattr(i, k) for k in ("width", "height", "fx", "fy", "ppx", "ppy", "model", "coeffs")
    }
    out: dict[str, Any] = {"intrinsics": intr, "depth_scale": info["depth_scale"]}
    out["lab_from_camera"] = tracker.lab_frame.lab_from_camera.tolist()
    return out
