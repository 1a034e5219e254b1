"""Subject calibration from a static standing trial, saved as JSON and reused across trials.

The file format is described by ``calibration/schemas/subject_calibration.schema.json``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kneesight import _core
from kneesight.errors import CalibrationError, InputError, RecordingError
from kneesight.io.frames import DepthFrame
from kneesight.tracking.labframe import LabFrame

FORMAT = "kneesight-subject-calibration"
VERSION = 1
MAX_FRAMES = 30
"""Most frames a calibration uses (spread over the first seconds of the static trial)."""
FRAMES_PER_SECOND_USED = 10.0


class SubjectCalibration:
    """A subject model sized from a static standing trial, with the session's lab frame.

    Made by :func:`calibrate_subject` or :meth:`load`; hand it to
    :class:`kneesight.tracking.Tracker`.

    Attributes
    ----------
    stature_m : float
        Standing height, metres (measured from the points, or as given).
    stature_measured : bool
        Whether the stature was measured from the depth data.
    static_knee_valgus_deg : dict of {"l", "r"} -> float
        Knee valgus at rest (positive valgus / genu valgum, negative varus), degrees.
    standing_arch_height_mm : dict of {"l", "r"} -> float
        Arch height while standing, mm (dorsal height at 50 % of foot length).
    segment_lengths_m : dict of str -> float
        ``thigh_l``, ``shank_l``, ``thigh_r``, ``shank_r``: joint centre to joint centre.
    lab_frame : LabFrame
        Camera to lab transform of the session.
    image_size : tuple of int
        (width, height) of the depth frames it applies to.
    fit_rms_mm : float
        RMS distance of the subject's points to the fitted model in the static trial, mm.
    """

    def __init__(self, core: _core.CoreCalibration, source: str = "") -> None:
        self._core = core
        self.source = source

    @property
    def core(self) -> _core.CoreCalibration:
        """The compiled calibration (for :class:`kneesight.tracking.Tracker`)."""
        return self._core

    @property
    def stature_m(self) -> float:
        return float(self._core.stature_m)

    @property
    def stature_measured(self) -> bool:
        return bool(self._core.stature_measured)

    @property
    def static_knee_valgus_deg(self) -> dict[str, float]:
        left, right = self._core.static_knee_valgus_deg
        return {"l": float(left), "r": float(right)}

    @property
    def standing_arch_height_mm(self) -> dict[str, float]:
        left, right = self._core.standing_arch_mm
        return {"l": float(left), "r": float(right)}

    @property
    def segment_lengths_m(self) -> dict[str, float]:
        (tl, sl), (tr, sr) = self._core.segment_lengths_m
        return {"thigh_l": tl, "shank_l": sl, "thigh_r": tr, "shank_r": sr}

    @property
    def lab_frame(self) -> LabFrame:
        return LabFrame(np.array(self._core.lab_rotation), np.array(self._core.lab_translation))

    @property
    def image_size(self) -> tuple[int, int]:
        w, h = self._core.image_size
        return int(w), int(h)

    @property
    def fit_rms_mm(self) -> float:
        return float(self._core.fit_rms_mm)

    def with_thigh_scale(self, factor: float) -> SubjectCalibration:
        """The same calibration with both thighs ``factor`` times as long.

        Parameters
        ----------
        factor : float
            Within 0.75-1.25, e.g. from :meth:`kneesight.tracking.Tracker.thigh_length_factor`.

        Raises
        ------
        InputError
            ``factor`` outside 0.75-1.25.
        """
        if not isinstance(factor, int | float) or not np.isfinite(factor):
            raise InputError(f"thigh length factor must be a number, got {factor!r}")
        return SubjectCalibration(self._core.with_thigh_scale(float(factor)), self.source)

    def __repr__(self) -> str:
        v = self.static_knee_valgus_deg
        return (
            f"SubjectCalibration(stature_m={self.stature_m:.3f}, static_knee_valgus_deg="
            f"(l={v['l']:.1f}, r={v['r']:.1f}), image_size={self.image_size})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the calibration (see the schema)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": self.source,
            "units": "metres, degrees where named _deg, depth units per depth_scale",
            "fields": {k: list(v) for k, v in self._core.to_fields().items()},
        }

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the calibration as JSON.

        Parameters
        ----------
        path : str or Path
            Output file (``.json``).
        overwrite : bool
            Replace an existing file; otherwise an existing file is an error.

        Returns
        -------
        Path
            The written file.

        Raises
        ------
        CalibrationError
            The file exists and ``overwrite`` is False, or its directory does not exist.
        """
        p = Path(path).expanduser()
        if p.exists() and not overwrite:
            raise CalibrationError(f"{p} exists; pass overwrite=True to replace it")
        if not p.parent.is_dir():
            raise CalibrationError(f"{p}: directory {p.parent} does not exist")
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        os.replace(tmp, p)
        return p

    @classmethod
    def load(cls, path: str | Path) -> SubjectCalibration:
        """Read a calibration written by :meth:`save`.

        Raises
        ------
        CalibrationError
            The file is missing, not JSON, of another format or version, or a field is missing
            or implausible (the message names the file and the field).
        """
        p = Path(path).expanduser()
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CalibrationError(f"{p}: subject calibration file not found") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CalibrationError(f"{p}: not a subject calibration JSON file ({e})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise CalibrationError(f"{p}: field 'format' must be {FORMAT!r}")
        if doc.get("version") != VERSION:
            raise CalibrationError(
                f"{p}: field 'version' is {doc.get('version')!r}; this kneesight reads version "
                f"{VERSION}"
            )
        fields = doc.get("fields")
        if not isinstance(fields, dict):
            raise CalibrationError(f"{p}: field 'fields' must be an object of number lists")
        clean: dict[str, list[float]] = {}
        for k, v in fields.items():
            if not isinstance(v, list) or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in v
            ):
                raise CalibrationError(f"{p}: field {k!r} must be a list of numbers")
            clean[str(k)] = [float(x) for x in v]
        try:
            core = _core.CoreCalibration.from_fields(clean)
        except CalibrationError as e:
            raise CalibrationError(f"{p}: {e}") from None
        return cls(core, source=str(doc.get("source", "")))


def _frames_of(source: Iterable[DepthFrame] | str | Path) -> list[DepthFrame]:
    """Up to MAX_FRAMES frames, about FRAMES_PER_SECOND_USED a second, from the start."""
    if isinstance(source, str | Path):
        from kneesight.io import open_recording  # type: ignore[attr-defined]

        with open_recording(source) as rec:
            fps = float(getattr(rec, "fps", 30.0) or 30.0)
            return _take(iter(rec), fps)
    return _take(iter(source), None)


def _take(it: Iterable[Any], fps: float | None) -> list[DepthFrame]:
    out: list[DepthFrame] = []
    step = max(1, round(fps / FRAMES_PER_SECOND_USED)) if fps else 1
    for i, f in enumerate(it):
        if not isinstance(f, DepthFrame):
            raise InputError(
                f"calibrate_subject: frames must be DepthFrame objects, got {type(f).__name__} "
                f"at position {i}"
            )
        if i % step == 0:
            out.append(f)
            if len(out) >= MAX_FRAMES:
                break
    return out


def calibrate_subject(
    frames: Iterable[DepthFrame] | str | Path, *, stature_m: float | None = None
) -> SubjectCalibration:
    """Calibrate a subject from a few seconds of quiet standing.

    Finds the floor and the direction the subject faces (the lab frame), learns the
    background, sizes the segment shapes from the data (starting from anthropometric
    proportions of the stature), and measures the static knee alignment and standing arch.

    Parameters
    ----------
    frames : iterable of DepthFrame, or str or Path
        Frames of the static trial, or a recording (its first ~3 s are used).
    stature_m : float, optional
        Standing height in metres. Measured from the points when the head is in view: each
        frame's highest point on a surface (flying pixels left out) plus the cap of the skull
        a camera below the head cannot see. Otherwise estimated from the legs
        (``stature_measured`` is False): a weak estimate (leg segment lengths are poorly
        observable in quiet standing; on phantoms of 1.62-1.92 m it stayed within 1.59-1.75
        m), so pass the stature when the camera frames only the legs.

    Returns
    -------
    SubjectCalibration

    Raises
    ------
    CalibrationError
        No floor, no standing person, or a model that does not fit the subject.
    RecordingError
        The recording cannot be read.
    InputError
        Bad arguments (frames of different sizes, a nonsense stature).
    """
    if stature_m is not None and not (
        isinstance(stature_m, int | float) and math.isfinite(stature_m) and 1.0 <= stature_m <= 2.3
    ):
        raise InputError(f"stature_m must be a height in metres within 1.0-2.3, got {stature_m!r}")
    source = str(frames) if isinstance(frames, str | Path) else "frames"
    fr = _frames_of(frames)
    if not fr:
        raise CalibrationError(f"{source}: no depth frames to calibrate from")
    first = fr[0]
    for f in fr[1:]:
        if f.intrinsics != first.intrinsics or f.depth_scale != first.depth_scale:
            raise InputError(
                f"{source}: frame {f.frame_number} has other intrinsics or depth scale than "
                f"frame {first.frame_number}"
            )
    try:
        core = _core.calibrate_subject(
            [np.ascontiguousarray(f.depth, dtype=np.uint16) for f in fr],
            first.intrinsics,
            float(first.depth_scale),
            None if stature_m is None else float(stature_m),
        )
    except CalibrationError as e:
        raise CalibrationError(f"{source}: {e}") from None
    except RecordingError:
        raise
    return SubjectCalibration(core, source=source)
