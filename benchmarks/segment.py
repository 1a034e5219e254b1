"""Subject segmentation speed: the per-frame hot path against the SDK's own point cloud.

Renders phantom drop-jump frames (848x480, D435 noise, camera 2.2 m away, 1 m high), finds the
lab frame and background once, then times per frame, on the same frames:

- ``SubjectSegmenter.segment(depth, bounds)`` through the Python binding (ROI of the subject's
  box at stride 2: deprojection, floor/background/flying-pixel removal, connected blobs, and
  the numpy output),
- ``rs.pointcloud().calculate(depth_frame)`` of pyrealsense2 on the whole frame,
- ``kneesight.deproject`` of the whole frame,

and prints medians, the ratio, the ROI size and the point counts. It also times the once-per-
session steps (lab frame, background, ``find_subject``).
Run: ``.venv/bin/python benchmarks/segment.py [--frames 40] [--yaw 0]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from _common import sdk_depth_frames
from kneesight import deproject, scene
from kneesight.io._sdk import rs
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, motions, simulate
from kneesight.phantom.noise import apply_noise


def median_ms(fn, items, repeat: int) -> float:
    """Median over items of the best-of-``repeat`` time of ``fn(item)``, milliseconds."""
    times = []
    for it in items:
        best = min(_timed(fn, it) for _ in range(repeat))
        times.append(best)
    return 1000.0 * statistics.median(times)


def _timed(fn, it) -> float:
    t = time.perf_counter()
    fn(it)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--yaw", type=float, default=0.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cam = CameraPlacement("d435", (848, 480), 90, distance=2.2, height=1.0, yaw=args.yaw)
    sim = simulate(Body(1.75, "male"), motions.drop_vertical_jump(), cam)
    k = cam.intrinsics
    rng = np.random.default_rng(0)

    def render(i: int) -> DepthFrame:
        z = sim.true_depth(int(i))
        d = apply_noise(z, k.fx, cam.baseline, 0.001, rng, NoiseModel())
        return DepthFrame(d, int(i), 0.0, 0.001, k)

    contact = sim.events["initial_contact_s"] or 0.9
    first = int(round(contact * cam.fps))
    learn = [render(i) for i in range(0, 25, 5)]
    frames = [render(i) for i in range(first, first + args.frames)]

    t = time.perf_counter()
    lab = scene.estimate_lab_frame(learn)
    t_lab = time.perf_counter() - t
    t = time.perf_counter()
    bg = scene.learn_background(learn, lab)
    t_bg = time.perf_counter() - t
    t = time.perf_counter()
    bounds = scene.find_subject(frames[0], lab, bg)
    t_find = time.perf_counter() - t
    if bounds is None:
        raise SystemExit("no subject found in the landing frame")

    seg = scene.SubjectSegmenter(k, 0.001, lab, bg, 2)
    counts = [len(seg.segment(f.depth, bounds)[1]) for f in frames]
    ms_seg = median_ms(lambda f: seg.segment(f.depth, bounds), frames, args.repeat)
    ms_deproject = median_ms(deproject, frames, args.repeat)
    sdk_list, keep = sdk_depth_frames([f.depth for f in frames], frames[0])
    pc = rs().pointcloud()
    ms_sdk = median_ms(pc.calculate, sdk_list, args.repeat)
    del keep

    lo, hi = bounds
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])  # fmt: skip
    cam_pts = lab.to_camera(corners)
    u = cam_pts[:, 0] / cam_pts[:, 2] * k.fx + k.ppx
    v = cam_pts[:, 1] / cam_pts[:, 2] * k.fy + k.ppy
    roi_w = int(min(u.max(), k.width) - max(u.min(), 0))
    roi_h = int(min(v.max(), k.height) - max(v.min(), 0))

    print(f"camera d435 848x480, 2.2 m, 1.0 m high, yaw {args.yaw:g} deg; "
          f"{len(frames)} landing frames, best of {args.repeat}, median over frames")  # fmt: skip
    print(f"  once per session: lab frame {1000 * t_lab:.0f} ms ({len(learn)} frames), "
          f"background {1000 * t_bg:.0f} ms ({len(bg)} patches), find_subject "
          f"{1000 * t_find:.1f} ms")  # fmt: skip
    print(f"  ROI {roi_w}x{roi_h} px at stride 2, {statistics.median(counts):.0f} subject points")
    print(f"  segment_subject (Python binding)   {ms_seg:7.3f} ms/frame")
    print(f"  rs.pointcloud().calculate (SDK)    {ms_sdk:7.3f} ms/frame")
    print(f"  kneesight.deproject (whole frame)  {ms_deproject:7.3f} ms/frame")
    print(f"  ratio segment / SDK point cloud    {ms_seg / ms_sdk:7.2f}")


if __name__ == "__main__":
    main()
