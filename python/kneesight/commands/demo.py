"""``kneesight demo``: render a phantom static trial and drop vertical jump, analyse, report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kneesight.errors import InputError

NAME = "demo"
HELP = (
    "Render a phantom athlete's static trial and drop vertical jump (with marked dynamic knee "
    "valgus) into a new directory, analyse them and write the report."
)
DEFAULT_DIR = "kneesight-demo"
DEMO_FPS = 60
"""Frame rate of the demo recordings (a D435 depth mode) - keeps the demo to a few minutes."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``kneesight demo``."""
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"a new directory for the demo (default ./{DEFAULT_DIR}; never overwritten: a "
        "numbered suffix is added when it exists)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")


def fresh_directory(base: Path) -> Path:
    """``base`` if it does not exist, else ``base-2``, ``base-3``, ... (the first free one)."""
    if not base.exists():
        return base
    for k in range(2, 10_000):
        cand = base.with_name(f"{base.name}-{k}")
        if not cand.exists():
            return cand
    raise InputError(f"{base}: no free demo directory name (tried up to -9999)")


def run(args: argparse.Namespace) -> int:
    """Run ``kneesight demo``."""
    from kneesight.analysis.recording import analyze
    from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, render_trial

    out = fresh_directory((args.out or Path.cwd() / DEFAULT_DIR).expanduser().absolute())
    out.mkdir(parents=True)
    say = (lambda *a: None) if args.quiet else print
    say(f"kneesight demo in {out}")
    body = Body(1.68, "female")
    # moderately high dynamic valgus, no structural valgus at rest
    valgus = ValgusProfile.high(static_knee_valgus=2.0)
    camera = CameraPlacement("d435", (848, 480), DEMO_FPS, distance=2.2, height=0.9, yaw=15.0)
    t0 = time.perf_counter()
    static = render_trial(
        body, motions.static(duration_s=2.0, valgus=valgus), camera, out / "static.db3", seed=1
    )
    say(f"rendered {static.recording.name} ({time.perf_counter() - t0:.0f} s)")
    t1 = time.perf_counter()
    trial = render_trial(
        body,
        motions.drop_vertical_jump(valgus=valgus, recovery_s=0.4),
        camera,
        out / "drop_vertical_jump.db3",
        seed=2,
    )
    say(f"rendered {trial.recording.name} ({time.perf_counter() - t1:.0f} s)")
    t2 = time.perf_counter()
    result = analyze(
        trial.recording,
        static=static.recording,
        sex="female",
        stature_m=1.68,
        progress=False if args.quiet else None,
    )
    written = result.write(out / "analysis")
    say(f"analysed ({time.perf_counter() - t2:.0f} s)")
    if not args.quiet:
        from kneesight.commands.analyze import print_summary

        print_summary(result, {k: v for k, v in written.items() if k != "report"})
    report = written.get("report")
    print(f"report: {report}" if report else f"results (no report): {out / 'analysis'}")
    return 0
