"""Tracking speed: the whole per-frame path against the SDK's own point cloud.

Renders phantom drop-jump frames (848x480, D435 noise, camera 2 m away, 1 m high), calibrates
the subject from a phantom static trial, then times on the same frames, in order:

- ``Tracker.track(frame)`` (Python API): region of interest from the predicted pose,
  deprojection of that region, segmentation, the articulated fit, joint angles, FPPA, arch
  height, confidence and the result object;
- the compiled tracker alone (``_core.CoreTracker.track``), the same work without the Python
  result object;
- ``rs.pointcloud().calculate(depth_frame)`` of pyrealsense2 on the whole frame.

Frames are tracked in sequence (each fit starts from the previous frames), so a run is one
pass; the pass is repeated on fresh trackers and the per-frame medians reported, with frames
per second and the ratio to the SDK (the target: at most about 4x, i.e. >= 500 frames/s).
Run: ``.venv/bin/python benchmarks/track.py [--frames 90] [--passes 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from _common import sdk_depth_frames
from kneesight import _core
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, motions, simulate
from kneesight.tracking import Tracker, calibrate_subject


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=90, help="frames from the landing on")
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    body, cam = Body(1.75), CameraPlacement("d435", distance=2.0, height=1.0)
    intr = cam.intrinsics
    static = simulate(body, motions.static(duration_s=0.4), cam, duration_s=0.4)
    sframes = [DepthFrame(d, n, t, 0.001, intr) for n, t, d in static.frames(NoiseModel(), 1)]
    cal = calibrate_subject(sframes[::3], stature_m=body.stature)
    sim = simulate(body, motions.drop_vertical_jump(), cam)
    start = max(0, int((sim.events["initial_contact_s"] or 0.0) * cam.fps) - 10)
    frames = [
        DepthFrame(d, n, t, 0.001, intr)
        for i, (n, t, d) in enumerate(sim.frames(NoiseModel(), 2))
        if start <= i < start + args.frames
    ]

    def one_pass(api: bool) -> tuple[list[float], float]:
        tr = Tracker(cal)
        core = _core.CoreTracker(cal.core)
        tr.track(frames[0])  # the first frame learns the scene and initialises
        core.track(frames[0].depth, intr, 0.001, frames[0].frame_number)
        times, tracked = [], 0
        for f in frames[1:]:
            t = time.perf_counter()
            if api:
                tracked += tr.track(f).tracked
            else:
                tracked += core.track(f.depth, intr, 0.001, f.frame_number)[0]
            times.append(time.perf_counter() - t)
        return times, tracked / (len(frames) - 1)

    res = {}
    for api in (True, False):
        runs = [one_pass(api) for _ in range(args.passes)]
        per_frame = [statistics.median(t) for t, _ in runs]
        means = [statistics.mean(t) for t, _ in runs]
        res[api] = (min(per_frame), min(means), runs[0][1])
    sdk_frames, keep = sdk_depth_frames([f.depth for f in frames], frames[0])
    pc = keep[3].pointcloud()
    sdk_times = []
    for _ in range(args.passes):
        for f in sdk_frames:
            t = time.perf_counter()
            pts = pc.calculate(f)
            np.asanyarray(pts.get_vertices())
            sdk_times.append(time.perf_counter() - t)
    sdk = statistics.median(sdk_times)
    print(f"per-frame tracking of {len(frames)} 848x480 drop-landing frames, {args.passes} passes")
    for api, name in ((True, "Tracker.track (Python API)"), (False, "compiled tracker alone")):
        med, mean, tr = res[api]
        print(
            f"  {name:<30} median {1e3 * med:7.3f} ms ({1 / med:6.0f} frames/s), mean "
            f"{1e3 * mean:7.3f} ms, {sdk and med / sdk:5.1f}x the SDK point cloud; "
            f"tracked {100 * tr:.0f} %"
        )
    print(
        f"  {'rs.pointcloud().calculate':<30} median {1e3 * sdk:7.3f} ms ({1 / sdk:6.0f} frames/s)"
    )
    print("  target: whole path <= ~4x the SDK point cloud (>= 500 frames/s on one core)")


if __name__ == "__main__":
    main()
