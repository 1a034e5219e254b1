"""Deprojection speed: kneesight against the RealSense SDK, Open3D and plain numpy.

Writes 848x480 depth frames of a standing body on a floor into a ``.db3`` recording with
:class:`kneesight.io.RecordingWriter`, reads them back, and times on the very same frames:

- ``kneesight.deproject(frame)`` (Rust core, ray table, output written in place),
- ``rs.pointcloud().calculate(depth_frame)`` plus its vertices as an (N, 3) numpy view,
- Open3D's legacy ``PointCloud.create_from_depth_image`` plus ``np.asarray(points)``,
- plain numpy with precomputed rays.

Times are medians per frame over many repetitions; ratios are to kneesight in the same run.
Also prints the write rate and the playback decode rate (frames per second) of recordings
stored as 16-bit PNG (the SDK's default) and as raw z16.
Run: ``.venv/bin/python benchmarks/deproject.py [--frames 40] [--reps 300]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import open3d as o3d
import pyrealsense2 as rs

import kneesight
from kneesight.io import RecordingWriter, open_recording

W, H, FPS, SCALE = 848, 480, 90, 0.001
INTR = kneesight.Intrinsics(W, H, 421.7, 421.7, 423.9, 240.6)  # D435 848x480, rectified


def body_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    """Depth (mm) of a floor, a back wall and a person-sized blob (trunk and two legs) that
    squats over the frames, with D435-like noise and dropouts."""
    rng = np.random.default_rng(seed)
    v, u = np.mgrid[0:H, 0:W].astype(np.float32)
    frames = []
    for k in range(n):
        z = np.where(v > 300, 2600.0 - 2.2 * (v - 300), 3500.0)  # floor below the wall
        squat = 40.0 * np.sin(np.pi * k / max(n - 1, 1))
        trunk = ((u - 424) / 70) ** 2 + ((v - 150 - squat) / 110) ** 2 < 1
        legs = (np.abs(np.abs(u - 424) - 38) < 22) & (v > 220 + squat) & (v < 430)
        person = trunk | legs
        z[person] = 2000.0 - 80.0 * np.cos((u[person] - 424) / 60)
        z += rng.normal(0.0, 0.0045 * (z / 1000.0) ** 2 * 1000.0, z.shape)
        z[rng.random(z.shape) < 0.03] = 0.0
        z[:, :40] = 0.0  # the invalid band on the left of a D4xx depth image
        frames.append(np.clip(z, 0, 65535).astype(np.uint16))
    return frames


def median_ms(fn: Callable[[int], object], reps: int) -> float:
    fn(0)
    times = []
    for r in range(reps):
        t = time.perf_counter()
        fn(r)
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def sdk_frames(path: Path, n: int, k: int) -> tuple[list[Any], float, float]:
    """The first k of n SDK depth frames (kept), the SDK's depth scale and its playback rate
    over all n frames (frames/s, no copies)."""
    cfg = rs.config()
    cfg.enable_device_from_file(str(path), repeat_playback=False)
    pipe = rs.pipeline()
    cfg.resolve(pipe).get_device().as_playback().set_real_time(False)
    profile = pipe.start(cfg)
    scale = profile.get_device().first_depth_sensor().get_depth_scale()
    kept = []
    t = time.perf_counter()
    for i in range(n):
        d = pipe.wait_for_frames(5000).get_depth_frame()
        if i < k:
            d.keep()
            kept.append(d)
    rate = n / (time.perf_counter() - t)
    pipe.stop()
    return kept, scale, rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40, help="frames in the recording")
    ap.add_argument("--reps", type=int, default=300, help="repetitions of the fast methods")
    ap.add_argument("--o3d-reps", type=int, default=30, help="repetitions of Open3D")
    args = ap.parse_args()
    images = body_frames(args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        rates: dict[str, tuple[float, float, float, float]] = {}
        for compress in (True, False):
            path = Path(tmp) / f"bench-{'png' if compress else 'raw'}.db3"
            t = time.perf_counter()
            with RecordingWriter(path, INTR, depth_scale=SCALE, fps=FPS, compress=compress) as w:
                for img in images:
                    w.write(img)
            write_rate = len(images) / (time.perf_counter() - t)
            t = time.perf_counter()
            with open_recording(path) as rec:
                frames = list(rec)
            read_rate = len(frames) / (time.perf_counter() - t)
            k = min(8, len(frames))
            sdk_kept, sdk_scale, sdk_rate = sdk_frames(path, len(frames), k)
            size_mb = path.stat().st_size / 1e6
            rates["16-bit PNG (default)" if compress else "raw z16"] = (
                size_mb,
                write_rate,
                read_rate,
                sdk_rate,
            )

    n = len(frames)
    same = n == len(images) and all(
        np.array_equal(f.depth, i) for f, i in zip(frames, images, strict=True)
    )
    if not same:
        raise SystemExit("the recording did not give back the frames written")
    pc = rs.pointcloud()
    o3d_intr = o3d.camera.PinholeCameraIntrinsic(W, H, INTR.fx, INTR.fy, INTR.ppx, INTR.ppy)
    f32 = np.float32
    v, u = np.mgrid[0:H, 0:W].astype(f32)
    rx = (u - f32(INTR.ppx)) / f32(INTR.fx)  # pinhole rays at unit depth
    ry = (v - f32(INTR.ppy)) / f32(INTR.fy)

    def sdk_vertices(r: int) -> np.ndarray:
        pts = pc.calculate(sdk_kept[r % k])
        return np.asanyarray(pts.get_vertices()).view(np.float32).reshape(-1, 3)

    def numpy_points(r: int) -> np.ndarray:
        z = frames[r % n].depth.astype(np.float32) * np.float32(SCALE)
        out = np.empty((H, W, 3), np.float32)
        np.multiply(rx, z, out=out[..., 0])
        np.multiply(ry, z, out=out[..., 1])
        out[..., 2] = z
        return out.reshape(-1, 3)

    def open3d_points(r: int) -> np.ndarray:
        img = o3d.geometry.Image(frames[r % n].depth)
        cloud = o3d.geometry.PointCloud.create_from_depth_image(
            img, o3d_intr, depth_scale=1.0 / SCALE, depth_trunc=1e3
        )
        return np.asarray(cloud.points)

    # Same frames, same answers (Open3D keeps only valid pixels, in float64).
    ours = kneesight.deproject(frames[0])
    diff_sdk = float(np.abs(ours - sdk_vertices(0).copy()).max())
    diff_np = float(np.abs(ours - numpy_points(0)).max())
    valid = frames[0].depth.reshape(-1) > 0
    diff_o3d = float(np.abs(ours[valid] - open3d_points(0)).max())

    times = {
        "kneesight.deproject": median_ms(lambda r: kneesight.deproject(frames[r % n]), args.reps),
        "rs.pointcloud + numpy view": median_ms(sdk_vertices, args.reps),
        "numpy (precomputed rays)": median_ms(numpy_points, args.reps),
        "Open3D create_from_depth_image": median_ms(open3d_points, args.o3d_reps),
    }
    ks = times["kneesight.deproject"]
    print(f"deprojection of {W}x{H} depth, {n} recorded frames, median ms per frame")
    for name, ms in times.items():
        print(f"  {name:<32} {ms:8.3f} ms   {ms / ks:7.1f} x kneesight")
    print(
        f"  max |kneesight - SDK| = {diff_sdk:.2g} m, - numpy = {diff_np:.2g} m, "
        f"- Open3D = {diff_o3d:.2g} m (SDK depth scale {sdk_scale:.6g})"
    )
    sdk_ratio = times["rs.pointcloud + numpy view"] / ks
    o3d_ratio = times["Open3D create_from_depth_image"] / ks
    print(
        f"  targets: at least as fast as the SDK -> {sdk_ratio:.2f}x "
        f"({'met' if sdk_ratio >= 1 else 'NOT met'}); >= 8x faster than Open3D -> "
        f"{o3d_ratio:.0f}x ({'met' if o3d_ratio >= 8 else 'NOT met'})"
    )
    print(f"recordings of {n} frames: write and decode rates, frames/s")
    print(f"  {'storage':<22}{'MB':>7}{'write':>9}{'open_recording':>16}{'SDK, no copy':>14}")
    for name, (mb, wr, rd, sdk) in rates.items():
        print(f"  {name:<22}{mb:7.1f}{wr:9.1f}{rd:16.1f}{sdk:14.1f}")


if __name__ == "__main__":
    main()
