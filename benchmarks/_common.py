"""Helpers shared by the benchmarks (run as scripts: ``from _common import ...``)."""

from __future__ import annotations

import numpy as np

from kneesight.io._sdk import rs
from kneesight.io.frames import DepthFrame
from kneesight.io.intrinsics import intrinsics_to_rs


def sdk_depth_frames(depths: list[np.ndarray], frame: DepthFrame) -> tuple[list, object]:
    """The depth images as pyrealsense2 depth frames of a software device at 90 fps.

    Parameters
    ----------
    depths : list of ndarray of uint16, shape (H, W)
        Depth images in the units of ``frame.depth_scale``.
    frame : DepthFrame
        Any frame of the same camera (intrinsics and depth scale).

    Returns
    -------
    frames : list of pyrealsense2.depth_frame
    keep : tuple
        The device, sensor, queue and the pyrealsense2 module: keep it alive while the frames
        are used.
    """
    sdk = rs()
    k = frame.intrinsics
    dev = sdk.software_device()
    sensor = dev.add_sensor("Stereo Module")
    stream = sdk.video_stream()
    stream.type, stream.index, stream.uid = sdk.stream.depth, 0, 0
    stream.width, stream.height, stream.fps, stream.bpp = k.width, k.height, 90, 2
    stream.fmt = sdk.format.z16
    stream.intrinsics = intrinsics_to_rs(k)
    profile = sensor.add_video_stream(stream).as_video_stream_profile()
    sensor.add_read_only_option(sdk.option.depth_units, frame.depth_scale)
    queue = sdk.frame_queue(len(depths) + 1, keep_frames=True)
    sensor.open(profile)
    sensor.start(queue)
    out = []
    for n, d in enumerate(depths):
        f = sdk.software_video_frame()
        f.pixels = np.ascontiguousarray(d)
        f.bpp, f.stride = 2, 2 * k.width
        f.timestamp, f.frame_number = n * 1000.0 / 90, n + 1
        f.domain = sdk.timestamp_domain.hardware_clock
        f.profile = profile
        sensor.on_video_frame(f)
        out.append(queue.wait_for_frame(1000).as_depth_frame())
    return out, (dev, sensor, queue, sdk)
