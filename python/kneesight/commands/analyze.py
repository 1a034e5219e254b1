"""``kneesight analyze``: a drop-jump recording -> kinematics.csv, summary.json, report.html."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from kneesight.analysis.filtering import DEFAULT_CUTOFF_HZ
from kneesight.errors import RecordingError

NAME = "analyze"
HELP = (
    "Analyse a drop-jump recording: track the leg skeleton, find the landing events, measure "
    "the valgus components and write kinematics.csv, summary.json and report.html to --out."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``kneesight analyze``."""
    p.add_argument("recording", type=Path, help="the trial recording (.db3 or .bag)")
    cal = p.add_mutually_exclusive_group()
    cal.add_argument(
        "--static",
        type=Path,
        metavar="STATIC_RECORDING",
        help="static standing recording of the same subject (sizes the model, static alignment)",
    )
    cal.add_argument(
        "--subject",
        type=Path,
        metavar="FILE",
        help="saved subject calibration instead of --static",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--sex",
        choices=("female", "male"),
        help="selects the FPPA normal range (without it the wider female range is used) and "
        "the thigh's share of stature that sizes the model (without it the two sexes' mean)",
    )
    p.add_argument(
        "--stature",
        type=float,
        metavar="METRES",
        help="standing height (m); needed when the head is out of view (else the model is "
        "sized from the thigh measured in the landing)",
    )
    p.add_argument(
        "--filter-hz",
        type=float,
        default=DEFAULT_CUTOFF_HZ,
        metavar="HZ",
        help=(
            "cutoff of the zero-lag low-pass filter on the kinematics "
            f"(default {DEFAULT_CUTOFF_HZ:g}; 0: none)"
        ),
    )
    p.add_argument(
        "--export",
        metavar="FORMATS",
        help="also export: comma list of c3d, mot, trc, csv, json",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace earlier results in DIR (other files there are never touched)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _check_out(out: Path, overwrite: bool) -> None:
    from kneesight.analysis.result import check_result_dir

    check_result_dir(out, overwrite, name=f"--out {out}")


def run(args: argparse.Namespace) -> int:
    """Run ``kneesight analyze``."""
    from kneesight.analysis.recording import analyze

    _check_out(args.out, args.overwrite)
    if args.export:
        from kneesight.export import parse_formats

        formats = parse_formats(args.export)
    else:
        formats = None
    try:
        result = analyze(
            args.recording,
            static=args.static,
            subject=args.subject,
            sex=args.sex,
            stature_m=args.stature,
            progress=False if args.quiet else None,
            filter_hz=args.filter_hz,
        )
    except (RuntimeError, OSError) as e:  # a reader failing below kneesight's own checks
        raise RecordingError(f"{args.recording}: cannot be read ({e})") from None
    written = result.write(args.out, overwrite=args.overwrite, export=formats)
    if not args.quiet:
        print_summary(result, written)
    return 0


def print_summary(result: object, written: Mapping[str, object]) -> None:
    """A few lines on the terminal: events, flags and where the files are."""
    from kneesight.analysis.result import TrialResult

    assert isinstance(result, TrialResult)
    f = result.frames
    print(f"frames: {f['total']} ({f['tracked']} tracked, {f['dropped']} dropped)")
    print(f"calibration: {result.calibration.get('source')}")
    for k, v in result.events.times.items():
        print(
            f"  {k.removesuffix('_s').replace('_', ' ')}: "
            + (f"{v:.3f} s" if v is not None else "not found")
        )
    if result.flags:
        print("screening flags:")
        for fl in result.flags:
            side = {"l": "left", "r": "right"}.get(fl["side"] or "", "both")
            print(f"  [{side}] {fl['finding']}")
    else:
        print("screening flags: none")
    for w in result.warnings:
        print(f"warning: {w}")
    for name, path in written.items():
        if isinstance(path, list):
            for p in path:
                print(f"{name}: {p}")
        else:
            print(f"{name}: {path}")
