"""Helpers shared by the benchmarks (run as scripts: ``from _common import ...``)."""

from __future__ import annotations

import functools
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kneesight.io._sdk import rs
from kneesight.io.frames import DepthFrame
from kneesight.io.intrinsics import intrinsics_to_rs
from kneesight.phantom import ValgusProfile, motions
from kneesight.phantom.mot import from_mot

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference-motion" / "IK"
"""Real drop-jump joint angles (OpenSim .mot) that drive the phantom in some cases."""


@dataclass
class Case:
    """A phantom trial of the accuracy and events benchmarks: body, camera placement, valgus
    profile, motion (``"dvj"`` or ``"mot:<file in REFERENCE>"``), drop-jump parameters, seed."""

    name: str
    body: dict = field(default_factory=dict)
    camera: dict = field(default_factory=dict)
    valgus: str = "neutral"
    static_valgus: float = 0.0
    motion: str = "dvj"
    dvj: dict = field(default_factory=dict)
    seed: int = 0


BASE_CASES: list[Case] = [
    Case("d435-2m"),
    Case("d455-2m", camera={"profile": "d455"}),
    Case("d435-2m-yaw30", camera={"yaw": 30.0}),
    Case("d435-2.5m-high", camera={"distance": 2.5, "height": 1.4}),
    Case("d435-1.6m-yaw-20", camera={"distance": 1.6, "yaw": -20.0}),
    Case(
        "female-slim-high-valgus",
        body={"stature": 1.62, "sex": "female", "build": "slim"},
        valgus="high",
    ),
    Case("tall-athletic", body={"stature": 1.90, "build": "athletic"}, camera={"distance": 2.3}),
]
"""Built-in drop jumps both the accuracy and the events benchmarks run: cameras, bodies."""

MOT_CASES: list[Case] = [
    Case("mot-DJ1", motion="mot:DJ1_ik.mot"),
    Case("mot-DJ2-d455-yaw20", motion="mot:DJ2_ik.mot", camera={"profile": "d455", "yaw": 20.0}),
]
"""Drop jumps driven by the reference IK that both benchmarks run."""


@functools.cache
def phantom_key() -> str:
    """A short hash of the phantom's source as imported: renders cached under it are redone
    when the phantom changes (a cache keyed by the case name alone silently reused stale
    renders)."""
    h = hashlib.sha1()
    for f in sorted(Path(motions.__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


def select_cases(
    cases: list[Case], names: list[str] | None, quick: tuple[str, ...] | None
) -> list[Case] | None:
    """The cases named (all, or the ``quick`` ones when given), or None after saying which exist."""
    wanted = set(names or (quick if quick else [c.name for c in cases]))
    chosen = [c for c in cases if c.name in wanted]
    if not chosen:
        print(f"no such case; known: {[c.name for c in cases]}", file=sys.stderr)
        return None
    return chosen


def case_motion(case: Case) -> object:
    """The phantom motion of ``case`` (exits with a message when the reference file is absent)."""
    valgus = ValgusProfile.named(case.valgus, static_knee_valgus=case.static_valgus)
    if case.motion == "dvj":
        return motions.drop_vertical_jump(valgus=valgus, **case.dvj)
    path = REFERENCE / case.motion.split(":", 1)[1]
    if not path.exists():
        raise SystemExit(f"{path} not found (the benchmark reads ../shared/reference-motion)")
    # the trial's force plates time its contacts (as the laboratory did)
    grf = REFERENCE.parent / "ID" / path.name.replace("_ik.mot", "_grf.mot")
    return from_mot(path, valgus=valgus, grf=grf if grf.exists() else None)


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
