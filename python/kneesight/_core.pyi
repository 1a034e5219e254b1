"""Type stubs of the compiled core (checked against the binary by ``make stubcheck``)."""

from typing import final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CalibrationError",
    "InputError",
    "Intrinsics",
    "KneesightError",
    "RecordingError",
    "TrackingError",
    "__version__",
    "deproject_depth",
    "fppa",
    "joint_angles",
    "joint_rotation",
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
