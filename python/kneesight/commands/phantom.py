"""``kneesight phantom``: render a synthetic athlete's trial into a RealSense recording."""

from __future__ import annotations

import argparse
import time

from kneesight.errors import InputError
from kneesight.phantom.motion import Motion
from kneesight.phantom.valgus import ValgusProfile

NAME = "phantom"
HELP = "render a synthetic athlete's landing or squat into a RealSense recording with truth"

MOTIONS: tuple[str, ...] = ("static", "squat", "single-leg-squat", "single-leg-landing", "dvj")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("--motion", choices=MOTIONS, help="the task to perform (or --mot)")
    parser.add_argument("--mot", metavar="FILE", help="drive the phantom with an OpenSim .mot")
    parser.add_argument(
        "--grf",
        metavar="FILE",
        help="with --mot: the trial's ground reaction forces (OpenSim .mot); they time the "
        "floor contacts (vertical force above 20 N)",
    )
    parser.add_argument("--out", required=True, metavar="PATH", help="recording to write (.db3)")
    g = parser.add_argument_group("camera")
    g.add_argument("--camera", default="d435", help="d415, d435 or d455 (default d435)")
    g.add_argument("--resolution", default="848x480", help="depth mode WxH (default 848x480)")
    g.add_argument("--fps", type=int, default=90, help="frame rate (default 90)")
    g.add_argument("--distance", type=float, default=2.0, help="horizontal distance, m")
    g.add_argument("--height", type=float, default=1.0, help="camera height, m")
    g.add_argument("--yaw", type=float, default=0.0, help="azimuth from +X, deg (+: right)")
    g.add_argument("--pitch", type=float, default=None, help="downward tilt, deg (default: aim)")
    b = parser.add_argument_group("athlete")
    b.add_argument("--stature", type=float, default=1.75, help="height, m (default 1.75)")
    b.add_argument("--sex", default="male", choices=("male", "female"))
    b.add_argument("--build", default="average", help="slim, average, athletic or heavy")
    b.add_argument("--valgus", default="neutral", choices=("neutral", "high"))
    b.add_argument("--static-valgus", type=float, default=0.0, metavar="DEG",
                   help="knee valgus at rest, deg (genu valgum +, varum -)")  # fmt: skip
    b.add_argument("--side", default="r", choices=("l", "r"), help="stance leg of 1-leg tasks")
    b.add_argument(
        "--knee-flexion-at-contact",
        type=float,
        default=None,
        metavar="DEG",
        help="dvj: knee flexion at initial contact, deg (default 33; below 30 is stiff)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="render only the first S seconds (static: the trial length)",
    )
    parser.add_argument("--seed", type=int, default=0, help="noise seed")
    parser.add_argument("--no-noise", action="store_true", help="exact depth, no sensor noise")
    parser.add_argument("--drop-frames", default="", metavar="N,N",
                        help="frame numbers to drop (first frame is 1)")  # fmt: skip
    parser.add_argument("--preview", action="store_true", help="write <out>.preview.png")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def _motion(args: argparse.Namespace, valgus: ValgusProfile) -> Motion:
    from kneesight.phantom import motions

    kic = args.knee_flexion_at_contact
    if kic is not None and args.motion != "dvj":
        raise InputError("--knee-flexion-at-contact applies only to --motion dvj")
    if args.mot:
        if args.motion:
            raise InputError("give either --motion or --mot, not both")
        return motions.from_mot(args.mot, valgus=valgus, grf=args.grf)
    if args.grf:
        raise InputError("--grf applies only with --mot")
    if args.motion is None:
        raise InputError("--motion (or --mot) is required")
    if args.motion == "static":
        return motions.static(valgus=valgus, duration_s=args.duration or 3.0)
    if args.motion == "squat":
        return motions.squat(valgus=valgus)
    if args.motion == "single-leg-squat":
        return motions.single_leg_squat(side=args.side, valgus=valgus)
    if args.motion == "single-leg-landing":
        return motions.single_leg_landing(side=args.side, valgus=valgus)
    if kic is None:
        return motions.drop_vertical_jump(valgus=valgus)
    return motions.drop_vertical_jump(valgus=valgus, knee_flexion_at_contact=kic)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from kneesight.phantom import Body, CameraPlacement, render_trial

    try:
        w, h = (int(v) for v in args.resolution.lower().split("x"))
    except ValueError as e:
        raise InputError(f"--resolution must look like 848x480, got {args.resolution!r}") from e
    try:
        dropped = [int(v) for v in args.drop_frames.split(",") if v.strip()]
    except ValueError as e:
        raise InputError(f"--drop-frames must be comma-separated integers: {e}") from e
    valgus = ValgusProfile.named(args.valgus, static_knee_valgus=args.static_valgus)
    body = Body(args.stature, args.sex, args.build)
    camera = CameraPlacement(args.camera, (w, h), args.fps, args.distance, args.height, args.yaw,
                             args.pitch)  # fmt: skip
    motion = _motion(args, valgus)
    t0 = time.perf_counter()
    trial = render_trial(body, motion, camera, args.out, noise=not args.no_noise, seed=args.seed,
                         dropped_frames=dropped, overwrite=args.overwrite,
                         duration_s=args.duration, preview=args.preview)  # fmt: skip
    dt = time.perf_counter() - t0
    n = trial.metadata["frame_count"]
    print(f"{trial.recording}: {n} frames of {motion.name} in {dt:.1f} s")
    print(f"{trial.truth_csv}")
    print(f"{trial.truth_json}")
    if trial.preview:
        print(f"{trial.preview}")
    events = {k: v for k, v in trial.events.items() if v is not None}
    if events:
        print("events: " + ", ".join(f"{k} {v:.3f}" for k, v in events.items()))
    return 0
