"""``kneesight info RECORDING``: what a RealSense recording holds."""

from __future__ import annotations

import argparse

from kneesight.io import open_recording
from kneesight.io.reader import Recording

NAME = "info"
HELP = "print a recording's camera, intrinsics, frame count, frame rate and dropped frames"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("recording", metavar="RECORDING", help="a .db3 or .bag recording")


def describe(rec: Recording) -> list[str]:
    """The report lines of a recording that has been read to the end."""
    i = rec.intrinsics
    lines = [f"recording      {rec.path}"]
    lines += [f"{k:<15}{v}" for k, v in sorted(rec.device_info.items())]
    lines += [
        f"depth stream   {i.width}x{i.height} @ {rec.fps} fps, "
        f"{rec.depth_scale * 1000:g} mm per unit",
        f"intrinsics     fx={i.fx:.3f} fy={i.fy:.3f} ppx={i.ppx:.3f} ppy={i.ppy:.3f} px",
        f"distortion     {i.model} {list(i.coeffs)}",
        f"frames         {rec.frame_count}",
    ]
    if rec.first_timestamp_ms is not None and rec.last_timestamp_ms is not None:
        span = (rec.last_timestamp_ms - rec.first_timestamp_ms) / 1000.0
        measured = (rec.frames_read - 1 + rec.dropped_frames) / span if span > 0 else float("nan")
        lines.append(f"duration       {span:.3f} s (frame timestamps; {measured:.1f} fps)")
    lines.append(
        f"dropped frames {rec.dropped_frames}"
        + (f" in {len(rec.gaps)} gap{'s' if len(rec.gaps) > 1 else ''}" if rec.gaps else "")
    )
    shown = rec.gaps[:20]
    lines += [f"  after frame {after}: {n} missing" for after, n in shown]
    if len(rec.gaps) > len(shown):
        lines.append(f"  ... and {len(rec.gaps) - len(shown)} more gaps")
    return lines


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    with open_recording(args.recording) as rec:
        for _ in rec:
            pass
        print("\n".join(describe(rec)))
    return 0
