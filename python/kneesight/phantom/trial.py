"""Render a phantom trial: a RealSense recording plus its ground truth."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kneesight.errors import InputError, RecordingError
from kneesight.phantom.body import Body
from kneesight.phantom.camera import CameraPlacement
from kneesight.phantom.ground import Placement, detect_events, place
from kneesight.phantom.motion import SIDES, Motion, MotionSample
from kneesight.phantom.noise import NoiseModel, apply_noise
from kneesight.phantom.pose import Skeleton, Skin
from kneesight.phantom.preview import contact_sheet
from kneesight.phantom.render import DepthRenderer
from kneesight.phantom.scene import Scene
from kneesight.phantom.truth import truth_table, write_truth_csv, write_truth_json

DEPTH_SCALE = 0.001
FIRST_FRAME_NUMBER = 1


def truth_paths(out_path: str | Path) -> tuple[Path, Path]:
    """``(<out>.truth.csv, <out>.truth.json)`` beside the recording ``<out>``."""
    p = Path(out_path)
    return p.with_name(p.name + ".truth.csv"), p.with_name(p.name + ".truth.json")


@dataclass
class Simulation:
    """A motion placed in the lab and sampled at the camera's frame times (nothing rendered).

    Attributes
    ----------
    body, motion, camera, scene : the inputs
    times : ndarray, shape (N,)
        Seconds from the first frame, one per camera frame (including dropped ones).
    frame_numbers : ndarray of int, shape (N,)
        RealSense frame number of every camera frame.
    rows : ndarray of int, shape (M,)
        Indices of the frames that are written (not dropped).
    sample : MotionSample
    placement : Placement
    skin : Skin
    truth : dict of str -> ndarray, shape (M,)
        Ground-truth table of the written frames.
    events : dict of str -> float or None
    """

    body: Body
    motion: Motion
    camera: CameraPlacement
    scene: Scene
    times: np.ndarray
    frame_numbers: np.ndarray
    rows: np.ndarray
    sample: MotionSample
    placement: Placement
    skin: Skin
    truth: dict[str, np.ndarray]
    events: dict[str, float | None]
    _renderer: DepthRenderer | None = field(default=None, repr=False)

    def true_depth(self, index: int) -> np.ndarray:
        """Noise-free depth in metres of camera frame ``index``, shape (H, W), inf = no hit."""
        if self._renderer is None:
            self._renderer = DepthRenderer(self.camera, self.scene)
        drop = tuple(self.sample.arch_drop_mm[s][index] / 1000.0 for s in SIDES)
        verts = self.skin.posed(self.placement.pose, index, drop)  # type: ignore[arg-type]
        return self._renderer.depth(verts, self.skin.faces)

    def frames(
        self, noise: NoiseModel | None, seed: int = 0
    ) -> Iterator[tuple[int, float, np.ndarray]]:
        """Yield ``(frame_number, timestamp_ms, depth uint16 (H, W))`` of the written frames."""
        rng = np.random.default_rng(seed)
        fx = self.camera.intrinsics.fx
        for i in self.rows:
            z = self.true_depth(int(i))
            depth = apply_noise(z, fx, self.camera.baseline, DEPTH_SCALE, rng, noise)
            yield int(self.frame_numbers[i]), 1000.0 * float(self.times[i]), depth


def simulate(
    body: Body,
    motion: Motion,
    camera: CameraPlacement,
    *,
    duration_s: float | None = None,
    dropped_frames: Iterable[int] = (),
) -> Simulation:
    """Place ``motion`` for ``body`` in the lab at ``camera``'s frame rate.

    Parameters
    ----------
    body : Body
    motion : Motion
    camera : CameraPlacement
    duration_s : float, optional
        Keep only the first ``duration_s`` seconds (for fast tests).
    dropped_frames : iterable of int
        RealSense frame numbers (first frame is 1) to leave out of the recording.
    """
    if not isinstance(body, Body):
        raise InputError(f"body must be a kneesight.phantom.Body, got {type(body).__name__}")
    if not isinstance(motion, Motion):
        raise InputError(f"motion must be a kneesight.phantom Motion, got {type(motion).__name__}")
    if not isinstance(camera, CameraPlacement):
        raise InputError(f"camera must be a CameraPlacement, got {type(camera).__name__}")
    dur = motion.duration_s
    if duration_s is not None:
        if not (isinstance(duration_s, int | float) and 0 < duration_s):
            raise InputError(f"duration_s must be a positive number, got {duration_s!r}")
        dur = min(dur, float(duration_s))
    n = int(math.floor(dur * camera.fps + 1e-9)) + 1
    if n < 2:
        raise InputError(f"duration_s = {dur} s gives fewer than 2 frames at {camera.fps} fps")
    times = np.arange(n) / camera.fps
    numbers = FIRST_FRAME_NUMBER + np.arange(n)
    dropped = sorted({int(f) for f in dropped_frames})
    bad = [f for f in dropped if not (numbers[0] < f <= numbers[-1])]
    if bad:
        raise InputError(
            f"dropped_frames {bad} must be frame numbers in ({numbers[0]}, {numbers[-1]}] "
            "(the first frame cannot be dropped)"
        )
    rows = np.flatnonzero(~np.isin(numbers, dropped))
    sample = motion.sample(times)
    skeleton = Skeleton(body)
    skin = Skin(skeleton)
    placement = place(skeleton, skin, sample)
    box_h = motion.box_height if motion.box_height else placement.box_height
    front = placement.box_front_x if placement.box_front_x is not None else motion.box_front_x
    scene = Scene(box_height=box_h, box_front_x=front)
    truth = truth_table(rows, numbers[rows], body, sample, placement)
    knee = {s: sample.angles[f"knee_{s}"][:, 0] for s in SIDES}
    events = detect_events(times, placement.support, knee)
    return Simulation(body, motion, camera, scene, times, numbers, rows, sample, placement, skin,
                      truth, events)  # fmt: skip


@dataclass
class PhantomTrial:
    """A rendered phantom trial.

    Attributes
    ----------
    recording : Path
        The RealSense recording.
    truth_csv, truth_json : Path
        Ground truth beside it (``<recording>.truth.csv`` / ``.truth.json``).
    truth : dict of str -> ndarray
        The ground-truth table (columns of :data:`kneesight.conventions.GROUND_TRUTH_COLUMNS`).
    events : dict of str -> float or None
        Seconds from the first frame.
    metadata : dict
        The content of ``truth_json``.
    preview : Path or None
        The PNG contact sheet (``<recording>.preview.png``) when asked for.
    """

    recording: Path
    truth_csv: Path
    truth_json: Path
    truth: dict[str, np.ndarray]
    events: dict[str, float | None]
    metadata: dict[str, Any]
    preview: Path | None = None


def render_trial(
    body: Body,
    motion: Motion,
    camera: CameraPlacement,
    out_path: str | Path,
    *,
    noise: bool | NoiseModel = True,
    seed: int = 0,
    dropped_frames: Iterable[int] = (),
    overwrite: bool = False,
    duration_s: float | None = None,
    preview: bool = False,
) -> PhantomTrial:
    """Render a phantom trial into a RealSense recording with ground truth beside it.

    Parameters
    ----------
    body : Body
    motion : Motion
        From :mod:`kneesight.phantom.motions`.
    camera : CameraPlacement
    out_path : str or Path
        Recording to write (``.db3``); ground truth goes to ``<out>.truth.csv/.json``.
    noise : bool or NoiseModel
        True: the default D4xx noise model (with the camera's minimum depth); False: exact
        depth (quantised only).
    seed : int
        Seed of the noise.
    dropped_frames : iterable of int
        Frame numbers (first is 1) left out, as a camera dropping frames would.
    overwrite : bool
        Replace existing outputs; otherwise an existing file is an error.
    duration_s : float, optional
        Render only the first seconds of the motion (fast tests).
    preview : bool
        Also write a PNG contact sheet of 12 recorded depth frames, ``<out>.preview.png``.

    Raises
    ------
    RecordingError
        An output exists and ``overwrite`` is False (the message names it).
    InputError
        Bad arguments (the message names the parameter).
    """
    out = Path(out_path)
    csv_path, json_path = truth_paths(out)
    png = out.with_name(out.name + ".preview.png") if preview else None
    if not overwrite:
        for p in (out, csv_path, json_path, *([png] if png else [])):
            if p.exists():
                raise RecordingError(f"{p} exists; pass overwrite=True (--overwrite) to replace it")
    if not out.parent.is_dir():
        raise InputError(f"out_path: directory {out.parent} does not exist")
    from kneesight.io import RecordingWriter

    if isinstance(noise, NoiseModel):
        model: NoiseModel | None = noise
    else:
        model = NoiseModel(min_z=camera.min_z) if noise else None
    sim = simulate(body, motion, camera, duration_s=duration_s, dropped_frames=dropped_frames)
    serial = f"PHANTOM{int(seed) % 10**8:08d}"
    keep = set(np.linspace(0, sim.rows.size - 1, 12).round().astype(int).tolist())
    kept: list[tuple[int, np.ndarray]] = []
    with RecordingWriter(out, camera.intrinsics, depth_scale=DEPTH_SCALE, fps=camera.fps,
                         device_name="kneesight phantom", serial=serial,
                         overwrite=overwrite) as writer:  # fmt: skip
        for k, (number, stamp, depth) in enumerate(sim.frames(model, seed)):
            writer.write(depth, frame_number=number, timestamp_ms=stamp)
            if png is not None and k in keep:
                kept.append((number, depth))
    write_truth_csv(csv_path, sim.truth)
    meta = metadata(sim, model, seed)
    write_truth_json(json_path, meta)
    if png is not None:
        contact_sheet(kept, png, depth_scale=DEPTH_SCALE, overwrite=overwrite,
                      title=f"{motion.name}: {out.name}")  # fmt: skip
    return PhantomTrial(out, csv_path, json_path, sim.truth, sim.events, meta, png)


def metadata(sim: Simulation, model: NoiseModel | None, seed: int) -> dict[str, Any]:
    """The truth JSON content of a simulation."""
    dropped = sorted(set(sim.frame_numbers.tolist()) - set(sim.truth["frame"].tolist()))
    cam = sim.camera.to_dict()
    cam["noise"] = None if model is None else model.to_dict()
    cam["depth_scale"] = DEPTH_SCALE
    return {
        "motion": sim.motion.name,
        "motion_params": sim.motion.params,
        "fps": sim.camera.fps,
        "frame_count": int(sim.rows.size),
        "first_frame_number": int(sim.frame_numbers[0]),
        "dropped_frames": dropped,
        "seed": int(seed),
        "events": sim.events,
        "body": sim.body.sizes(),
        "valgus": sim.motion.valgus.to_dict(),
        "camera": cam,
        "scene": sim.scene.to_dict(),
        "lab_frame": "origin on the floor at the landing spot, Y up, X anterior, Z right",
    }
