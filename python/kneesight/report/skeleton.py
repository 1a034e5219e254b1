"""The fitted leg skeleton drawn over the depth image (front view) at landing events.

Joint centres (lab frame) are projected into the depth image by
:func:`kneesight.projection.project`. The depth frames are read from the recording in one pass that
stops as soon as the wanted frames are found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kneesight.conventions import JOINT_CENTRES, SIDES
from kneesight.errors import KneesightError
from kneesight.export.trialdir import Trial, as_dict
from kneesight.projection import project
from kneesight.report.plots import EVENT_NAMES, SIDE_COLOURS, plt, png_data_uri

SNAPSHOT_EVENTS: tuple[str, ...] = ("initial_contact_s", "peak_knee_flexion_s")
"""Events at which the skeleton is drawn over the depth image."""


@dataclass(frozen=True)
class Snapshot:
    """One event's picture or the reason there is none.

    Attributes
    ----------
    event : str
        Event key, e.g. ``initial_contact_s``.
    title : str
        Caption, e.g. ``Initial contact (t = 0.500 s, frame 1045)``.
    uri : str or None
        PNG data URI, or None when it could not be drawn.
    reason : str
        Why there is no picture (empty when there is one).
    """

    event: str
    title: str
    uri: str | None
    reason: str = ""


def read_frames(recording: str | Path, wanted: set[int]) -> dict[int, Any]:
    """Read the depth frames with the given frame numbers in one pass.

    Parameters
    ----------
    recording : str or Path
        A RealSense recording readable by :func:`kneesight.io.open_recording`.
    wanted : set of int
        RealSense frame numbers.

    Returns
    -------
    dict of int to DepthFrame
        The frames found (reading stops once all are found or past the largest one).
    """
    from kneesight.io import open_recording

    found: dict[int, Any] = {}
    last = max(wanted)
    with open_recording(recording) as rec:
        for frame in rec:
            n = int(frame.frame_number)
            if n in wanted:
                found[n] = frame
                if len(found) == len(wanted):
                    break
            if n > last:
                break
    return found


def _intrinsics(frame: Any, summary: dict[str, Any]) -> dict[str, float]:
    if frame is not None and getattr(frame, "intrinsics", None) is not None:
        i = frame.intrinsics
        return {"fx": i.fx, "fy": i.fy, "ppx": i.ppx, "ppy": i.ppy}
    i = summary["camera"]["intrinsics"]
    return {k: float(i[k]) for k in ("fx", "fy", "ppx", "ppy")}


def _draw(frame: Any, joints_px: dict[str, np.ndarray], fppa: dict[str, float], label: str) -> str:
    """Depth image with the skeleton, cropped to the legs; PNG data URI."""
    depth = np.asarray(frame.depth_m, dtype=np.float32)
    h, w = depth.shape
    pts = np.concatenate(list(joints_px.values()))
    pts = pts[np.isfinite(pts).all(axis=1)]
    u0, v0 = pts.min(axis=0)
    u1, v1 = pts.max(axis=0)
    leg = max(v1 - v0, 40.0)
    top, bottom = v0 - 0.55 * leg, v1 + 0.3 * leg
    half = max(0.39 * (bottom - top), 0.5 * (u1 - u0) + 0.3 * leg)  # ~0.78 aspect
    cu = 0.5 * (u0 + u1)
    left, right = cu - half, cu + half
    valid = depth > 0
    sub = depth[int(max(top, 0)) : int(min(bottom, h)), int(max(left, 0)) : int(min(right, w))]
    sub_valid = sub[sub > 0]
    near, far = np.percentile(sub_valid, [2, 90]) if sub_valid.size else (0.5, 5.0)
    far = max(far, near + 0.3)
    shade = np.clip((far - depth) / (far - near), 0, 1)  # near bright
    rgb = plt.get_cmap("bone")(0.12 + 0.85 * shade)[..., :3]
    rgb[~valid] = (0.05, 0.05, 0.07)

    fig, ax = plt.subplots(figsize=(4.2, 4.2 * (bottom - top) / (right - left)))
    fig.subplots_adjust(0, 0, 1, 1)
    ax.imshow(rgb, interpolation="nearest", extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_axis_off()
    for side in SIDES:
        hip, knee, ankle = (joints_px[f"{j}_{side}"][0] for j in JOINT_CENTRES)
        c = SIDE_COLOURS[side]
        if np.isfinite([hip, ankle]).all():
            ax.plot(*np.array([hip, ankle]).T, color="#ffd23f", lw=1.6, ls=(0, (4, 3)), alpha=0.95)
        chain = np.array([hip, knee, ankle])
        ax.plot(*chain.T, color="white", lw=5.5, solid_capstyle="round", alpha=0.9)
        ax.plot(*chain.T, color=c, lw=3.2, solid_capstyle="round")
        ax.scatter(
            chain[:, 0], chain[:, 1], s=46, color=c, edgecolor="white", linewidth=1.4, zorder=3
        )
        if np.isfinite(knee).all():
            text = "" if not np.isfinite(fppa.get(side, np.nan)) else f"FPPA {fppa[side]:.0f}°"
            name = "Left" if side == "l" else "Right"
            outward = 1 if knee[0] > cu else -1
            leg_u = np.array([hip[0], knee[0], ankle[0]])
            edge = np.nanmax(leg_u) if outward > 0 else np.nanmin(leg_u)
            ax.annotate(
                f"{name}\n{text}".strip(),
                (edge, knee[1]),
                xytext=(outward * 12, 0),
                textcoords="offset points",
                ha="left" if outward > 0 else "right",
                va="center",
                color="white",
                fontsize=9,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.25", "fc": c, "ec": "none", "alpha": 0.9},
            )
    ax.text(
        0.02,
        0.98,
        label,
        transform=ax.transAxes,
        va="top",
        ha="left",
        color="white",
        fontsize=9.5,
        fontweight="bold",
        bbox={"boxstyle": "round,pad=0.3", "fc": "black", "ec": "none", "alpha": 0.55},
    )
    return png_data_uri(fig, dpi=120)


def snapshots(trial: Trial) -> list[Snapshot]:
    """Skeleton-over-depth pictures at initial contact and peak knee flexion.

    Parameters
    ----------
    trial : Trial

    Returns
    -------
    list of Snapshot
        One per event of :data:`SNAPSHOT_EVENTS`, each with a picture or the reason it has none
        (event not detected, frame untracked, recording unavailable, no camera pose).
    """
    rows: dict[str, int] = {}
    out: dict[str, Snapshot] = {}
    for key in SNAPSHOT_EVENTS:
        name = EVENT_NAMES[key].capitalize()
        t = trial.event(key)
        if t is None:
            out[key] = Snapshot(key, name, None, f"{EVENT_NAMES[key]} was not detected")
            continue
        row = trial.row_at(t)
        if not trial.tracked[row]:
            out[key] = Snapshot(key, name, None, f"the skeleton was not tracked at t = {t:.3f} s")
            continue
        rows[key] = row
    if not rows:
        return [out[k] for k in SNAPSHOT_EVENTS]

    summary = trial.summary
    recording = summary.get("recording")
    camera = as_dict(summary.get("camera"))
    reason = ""
    frames: dict[int, Any] = {}
    wanted = {int(trial.table["frame"][r]) for r in rows.values()}
    if not recording:
        reason = "summary.json names no recording"
    elif not Path(str(recording)).is_file():
        reason = f"the recording {recording} is not available"
    elif "lab_from_camera" not in camera:
        reason = "summary.json has no camera pose (camera.lab_from_camera)"
    else:
        try:
            frames = read_frames(str(recording), wanted)
        except (KneesightError, OSError, RuntimeError, ImportError) as e:
            reason = f"the recording {recording} could not be read ({e})"
    for key, row in rows.items():
        t = float(trial.time_s[row])
        number = int(trial.table["frame"][row])
        title = f"{EVENT_NAMES[key].capitalize()}  ·  t = {t:.3f} s  ·  frame {number}"
        frame = frames.get(number)
        if reason or frame is None:
            why = reason or f"frame {number} is not in the recording {recording}"
            out[key] = Snapshot(key, title, None, why)
            continue
        try:
            intr = _intrinsics(frame, summary)
            joints = {
                f"{j}_{s}": project(
                    trial.joint_centre(j, s)[row : row + 1], camera["lab_from_camera"], intr
                )
                for s in SIDES
                for j in JOINT_CENTRES
            }
            fppa = {s: float(trial.series("fppa", s)[row]) for s in SIDES}
            label = EVENT_NAMES[key].capitalize()
            out[key] = Snapshot(key, title, _draw(frame, joints, fppa, label))
        except (ValueError, KeyError, TypeError) as e:
            out[key] = Snapshot(key, title, None, f"the skeleton could not be projected ({e})")
    return [out[k] for k in SNAPSHOT_EVENTS]
