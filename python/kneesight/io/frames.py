"""The depth frame record that every reader yields and every writer takes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneesight._core import Intrinsics


@dataclass(frozen=True)
class DepthFrame:
    """One depth frame.

    Attributes
    ----------
    depth : ndarray of uint16, shape (H, W)
        Raw depth in device units (0 = no data).
    frame_number : int
        The RealSense frame number (gaps mean dropped frames).
    timestamp_ms : float
        Frame timestamp in milliseconds, as recorded.
    depth_scale : float
        Metres per depth unit (0.001 on D4xx, 0.0001 on D405).
    intrinsics : Intrinsics
        Depth stream intrinsics.
    """

    depth: np.ndarray
    frame_number: int
    timestamp_ms: float
    depth_scale: float
    intrinsics: Intrinsics

    @property
    def depth_m(self) -> np.ndarray:
        """Depth in metres, float32, shape (H, W); 0 where there is no data."""
        return self.depth.astype(np.float32) * np.float32(self.depth_scale)
