"""Type stubs of the compiled core (checked against the binary by ``make stubcheck``)."""

from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Background",
    "CalibrationError",
    "CoreCalibration",
    "CoreTracker",
    "InputError",
    "Intrinsics",
    "KneesightError",
    "LabFrame",
    "POSE_PARAMETERS",
    "RecordingError",
    "SubjectSegmenter",
    "THIGH_OF_STATURE",
    "TRACK_VALUES",
    "TrackingError",
    "__version__",
    "calibrate_subject",
    "deproject_depth",
    "estimate_floor",
    "estimate_lab_frame",
    "find_subject",
    "fppa",
    "joint_angles",
    "joint_rotation",
    "learn_background",
    "pose_parameter_names",
]

__version__: str

class KneesightError(Exception): ...
class InputError(KneesightError): ...
class RecordingError(KneesightError): ...
class CalibrationError(KneesightError): ...
class TrackingError(KneesightError): ...

@final
class Intrinsics:
    """Camera intrinsics (pinhole plus a librealsense distortion model)."""

    def __new__(
        cls,
        width: int,
        height: int,
        fx: float,
        fy: float,
        ppx: float,
        ppy: float,
        model: str = "brown_conrady",
        coeffs: list[float] | None = None,
    ) -> Intrinsics: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def fx(self) -> float: ...
    @property
    def fy(self) -> float: ...
    @property
    def ppx(self) -> float: ...
    @property
    def ppy(self) -> float: ...
    @property
    def model(self) -> str: ...
    @property
    def coeffs(self) -> list[float]: ...
    def deproject_pixel(self, u: float, v: float, depth: float) -> tuple[float, float, float]: ...
    def __eq__(self, value: object, /) -> bool: ...

def deproject_depth(
    depth: npt.NDArray[np.uint16], intrinsics: Intrinsics, depth_scale: float
) -> npt.NDArray[np.float32]: ...

# joint-angle conventions (kneesight_core::angles)
def joint_rotation(
    joint: str, side: str, angles_deg: tuple[float, float, float]
) -> npt.NDArray[np.float64]: ...
def joint_angles(
    joint: str, side: str, rotation: npt.NDArray[np.float64]
) -> tuple[float, float, float]: ...
def fppa(
    side: str,
    hip: npt.NDArray[np.float64],
    knee: npt.NDArray[np.float64],
    ankle: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...

# lab frame and segmentation (kneesight_core::labframe, background, segment)
@final
class LabFrame:
    """Camera-to-lab transform: p_lab = rotation @ p_cam + translation (metres)."""

    def __new__(cls, rotation: npt.ArrayLike, translation: npt.ArrayLike) -> LabFrame: ...
    @staticmethod
    def from_floor(
        normal: npt.ArrayLike, offset: float, forward: npt.ArrayLike, origin: npt.ArrayLike
    ) -> LabFrame: ...
    @staticmethod
    def from_dict(d: dict[str, Any]) -> LabFrame: ...
    def to_dict(self) -> dict[str, Any]: ...
    @property
    def rotation(self) -> npt.NDArray[np.float64]: ...
    @property
    def translation(self) -> npt.NDArray[np.float64]: ...
    @property
    def lab_from_camera(self) -> npt.NDArray[np.float64]: ...
    @property
    def camera_position(self) -> npt.NDArray[np.float64]: ...
    def to_lab(self, points: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def to_camera(self, points: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Background:
    """The static scene of a session (floor, walls, box faces and tops), lab frame."""

    @property
    def noise_per_m2(self) -> float: ...
    @property
    def floor(self) -> tuple[npt.NDArray[np.float64], float]: ...
    @property
    def patches(self) -> list[dict[str, Any]]: ...
    @property
    def supports(self) -> list[tuple[float, tuple[float, float], tuple[float, float]]]: ...
    def __len__(self) -> int: ...

@final
class SubjectSegmenter:
    """Segments the subject frame after frame, reusing its buffers."""

    def __new__(
        cls,
        intrinsics: Intrinsics,
        depth_scale: float,
        lab: LabFrame,
        background: Background,
        stride: int = 2,
    ) -> SubjectSegmenter: ...
    def segment(
        self,
        depth: npt.NDArray[np.uint16],
        bounds: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint32]]: ...

def estimate_floor(
    depth: npt.NDArray[np.uint16], intrinsics: Intrinsics, depth_scale: float
) -> tuple[npt.NDArray[np.float64], float]: ...
def estimate_lab_frame(
    frames: list[npt.NDArray[np.uint16]], intrinsics: Intrinsics, depth_scale: float
) -> LabFrame: ...
def learn_background(
    frames: list[npt.NDArray[np.uint16]],
    intrinsics: Intrinsics,
    depth_scale: float,
    lab: LabFrame,
) -> Background: ...
def find_subject(
    depth: npt.NDArray[np.uint16],
    intrinsics: Intrinsics,
    depth_scale: float,
    lab: LabFrame,
    background: Background,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None: ...

# tracking: subject calibration and the per-frame tracker (kneesight_core::{calibrate, tracker})
TRACK_VALUES: int
POSE_PARAMETERS: int
THIGH_OF_STATURE: float

def pose_parameter_names() -> list[str]: ...
def calibrate_subject(
    frames: list[npt.NDArray[np.uint16]],
    intrinsics: Intrinsics,
    depth_scale: float,
    stature_m: float | None = None,
) -> CoreCalibration: ...

@final
class CoreCalibration:
    """A subject calibration made by the core (wrapped by kneesight.tracking)."""

    def to_fields(self) -> dict[str, list[float]]: ...
    def with_thigh_scale(self, factor: float) -> CoreCalibration: ...
    @staticmethod
    def from_fields(fields: dict[str, list[float]]) -> CoreCalibration: ...
    @property
    def stature_m(self) -> float: ...
    @property
    def stature_measured(self) -> bool: ...
    @property
    def static_knee_valgus_deg(self) -> tuple[float, float]: ...
    @property
    def standing_arch_mm(self) -> tuple[float, float]: ...
    @property
    def image_size(self) -> tuple[int, int]: ...
    @property
    def fit_rms_mm(self) -> float: ...
    @property
    def segment_lengths_m(self) -> tuple[tuple[float, float], tuple[float, float]]: ...
    @property
    def lab_rotation(self) -> npt.NDArray[np.float64]: ...
    @property
    def lab_translation(self) -> npt.NDArray[np.float64]: ...

@final
class CoreTracker:
    """The per-frame tracker of the core (wrapped by kneesight.tracking.Tracker)."""

    def __new__(cls, calibration: CoreCalibration) -> CoreTracker: ...
    def reset(self) -> None: ...
    def thigh_length_factor(self) -> float | None: ...
    def shank_length_factor(self, thigh_factor: float) -> float | None: ...
    def set_frame_interval(self, seconds: float) -> None: ...
    @property
    def thigh_length_frames(self) -> int: ...
    def track(
        self,
        depth: npt.NDArray[np.uint16],
        intrinsics: Intrinsics,
        depth_scale: float,
        frame_number: int,
    ) -> tuple[
        bool,
        float,
        str,
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        int,
        float,
        npt.NDArray[np.float64],
    ]: ...
