"""``kneesight summarize DIR... [--out FILE]``: one CSV row per trial and side."""

from __future__ import annotations

import argparse

from kneesight.export import summarize

NAME = "summarize"
HELP = "gather many trials' summary.json into one CSV (one row per trial and side)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("dirs", metavar="DIR", nargs="+", help="trial directories")
    parser.add_argument(
        "--out", "-o", default="kneesight-summary.csv", help="output CSV (default: %(default)s)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    print(summarize(args.dirs, args.out, overwrite=args.overwrite))
    return 0
