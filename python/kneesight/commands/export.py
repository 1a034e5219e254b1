"""``kneesight export DIR --format c3d|mot|trc|csv|json``: export an analysed trial."""

from __future__ import annotations

import argparse

from kneesight.export import FORMATS, export

NAME = "export"
HELP = "export an analysed trial directory to C3D, OpenSim (.mot, .trc), CSV or JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("dir", metavar="DIR", help="trial directory written by kneesight analyze")
    parser.add_argument(
        "--format",
        "-f",
        dest="formats",
        action="append",
        required=True,
        metavar="FORMAT",
        help=f"one of {', '.join(FORMATS)}; repeat or give a comma list (c3d,mot)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace export files written before"
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    for path in export(args.dir, args.formats, overwrite=args.overwrite):
        print(path)
    return 0
