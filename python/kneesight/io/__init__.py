"""RealSense recording I/O: reading, writing and live recording of depth streams."""

from kneesight.io.frames import DepthFrame

__all__ = ["DepthFrame"]
