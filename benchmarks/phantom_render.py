"""Phantom rendering speed: a drop vertical jump at 848x480, 90 fps (the issue's target).

Prints the time per frame of each stage (posing, ray casting, noise, writing) and the total.
Run: ``.venv/bin/python benchmarks/phantom_render.py [--camera d435] [--resolution 848x480]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from kneesight.io import RecordingWriter
from kneesight.phantom import (
    Body,
    CameraPlacement,
    NoiseModel,
    Scene,
    ValgusProfile,
    motions,
    simulate,
)
from kneesight.phantom.motion import SIDES
from kneesight.phantom.noise import apply_noise, depth_rms
from kneesight.phantom.render import DepthRenderer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--camera", default="d435")
    ap.add_argument("--resolution", default="848x480")
    ap.add_argument("--fps", type=int, default=90)
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.split("x"))
    cam = CameraPlacement(args.camera, (w, h), args.fps, distance=2.0, height=1.0, yaw=15.0)
    t0 = time.perf_counter()
    sim = simulate(Body(), motions.drop_vertical_jump(valgus=ValgusProfile.high()), cam)
    t_sim = time.perf_counter() - t0
    n = sim.rows.size
    renderer = DepthRenderer(cam, sim.scene)
    rng = np.random.default_rng(0)
    model = NoiseModel()
    k = cam.intrinsics
    stages = {"pose": 0.0, "raycast": 0.0, "noise": 0.0}
    frames = []
    for i in sim.rows:
        a = time.perf_counter()
        drop = tuple(sim.sample.arch_drop_mm[s][i] / 1000.0 for s in SIDES)
        v = sim.skin.posed(sim.placement.pose, int(i), drop)  # type: ignore[arg-type]
        b = time.perf_counter()
        z = renderer.depth(v, sim.skin.faces)
        c = time.perf_counter()
        frames.append(apply_noise(z, k.fx, cam.baseline, 0.001, rng, model))
        d = time.perf_counter()
        stages["pose"] += b - a
        stages["raycast"] += c - b
        stages["noise"] += d - c
    with tempfile.TemporaryDirectory() as tmp:
        a = time.perf_counter()
        with RecordingWriter(Path(tmp) / "bench.db3", k, fps=cam.fps) as wr:
            for j, depth in zip(sim.rows, frames, strict=True):
                wr.write(depth, frame_number=int(sim.frame_numbers[j]),
                         timestamp_ms=1000.0 * float(sim.times[j]))  # fmt: skip
        write = time.perf_counter() - a
    total = t_sim + sum(stages.values()) + write
    print(f"phantom drop vertical jump: {n} frames, {w}x{h} @ {cam.fps} fps "
          f"({sim.skin.faces.shape[0]} body triangles)")  # fmt: skip
    print(f"  motion + placement + truth: {t_sim * 1000:8.1f} ms total")
    for name, sec in stages.items():
        print(f"  {name:<8} {sec / n * 1000:8.2f} ms/frame")
    print(f"  write    {write / n * 1000:8.2f} ms/frame  (pyrealsense2 recorder, PNG-compressed)")
    print(f"  total    {total:8.2f} s  ({total / n * 1000:.1f} ms/frame, "
          f"{n / total:.1f} frames/s)")  # fmt: skip


def noise_check() -> None:
    """Depth RMS error on a fronto-parallel wall against Intel's formula."""
    print("depth noise on a flat wall (RMS of rendered minus true depth):")
    for profile in ("d415", "d435", "d455"):
        for z in (1.0, 2.0, 3.0):
            cam = CameraPlacement(profile, (848, 480), 30, distance=z, height=1.3, pitch=0.0)
            true = DepthRenderer(cam, Scene(wall_x=0.0, wall_height=3.0)).depth()
            k = cam.intrinsics
            rng = np.random.default_rng(0)
            err = []
            for _ in range(5):
                d = apply_noise(true, k.fx, cam.baseline, 0.001, rng, NoiseModel())
                win = d[160:320, 300:548].astype(float) * 0.001
                err.append(win[win > 0] - z)
            rms = float(np.sqrt(np.mean(np.concatenate(err) ** 2)))
            formula = float(depth_rms(z, k.fx, cam.baseline))
            print(f"  {profile} z={z:.0f} m: {rms * 1000:6.2f} mm  formula {formula * 1000:6.2f} mm"
                  f"  ({(rms / formula - 1) * 100:+.1f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
    noise_check()
