"""Type stubs of the compiled core (checked against the binary by ``make stubcheck``)."""

from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Background",
    "CalibrationError",
    "InputError",
    "Intrinsics",
    "KneesightError",
    "LabFrame",
    "RecordingError",
    "SubjectSegmenter",
    "TrackingError",
    "__version__",
    "deproject_depth",
    "estimate_floor",
    "estimate_lab_frame",
    "find_subject",
    "fppa",
    "joint_angles",
    "joint_rotation",
    "learn_background",
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
