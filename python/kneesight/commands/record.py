"""``kneesight record OUT [--profile P] [--duration S]``: record a RealSense camera's depth."""

from __future__ import annotations

import argparse
import sys

from kneesight.io.live import DEFAULT_PROFILE, PROFILES, record

NAME = "record"
HELP = "record a connected RealSense camera's depth stream to a new .db3 file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("out", metavar="OUT", help="the recording to create (*.db3); never "
                        "overwritten")  # fmt: skip
    parser.add_argument(
        "--profile",
        "-p",
        default=DEFAULT_PROFILE,
        choices=list(PROFILES),
        help="depth mode WIDTHxHEIGHT@FPS (default %(default)s; 848x100@300 is the D435's "
        "high-speed mode)",
    )
    parser.add_argument(
        "--duration",
        "-d",
        type=float,
        default=None,
        metavar="S",
        help="seconds to record (default: until Ctrl-C)",
    )
    parser.add_argument("--serial", default=None, help="camera serial number, if several")
    parser.add_argument(
        "--uncompressed",
        action="store_true",
        help="store raw 16-bit depth instead of PNG: ~1.7x larger files, much less CPU while "
        "recording, ~3x faster to read",
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    until = f"for {args.duration:g} s" if args.duration else "until Ctrl-C"
    print(f"recording {args.profile} depth to {args.out} {until}", file=sys.stderr)

    def progress(frames: int, seconds: float) -> None:
        if frames % 90 == 0:
            print(f"\r{frames} frames, {seconds:.1f} s", end="", file=sys.stderr, flush=True)

    result = record(
        args.out,
        args.profile,
        args.duration,
        args.serial,
        progress,
        compress=not args.uncompressed,
    )
    print(file=sys.stderr)
    how = "stopped by Ctrl-C" if result.stopped == "interrupted" else "done"
    print(
        f"{result.path}: {result.frames} frames over {result.duration_s:.2f} s, "
        f"{result.dropped_frames} dropped ({how})"
    )
    return 0
