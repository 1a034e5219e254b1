"""Landing events through the tracker: frames off the phantom's truth, per event.

Each case renders a phantom static trial and a landing trial (built-in drop vertical jump with
valgus variants, or real drop jumps driven by ``../shared/reference-motion/IK``, their
contacts timed by the trials' force plates in ``ID``), calibrates the subject from the static
trial, tracks the trial (twice, as ``kneesight analyze`` does: again with the thigh length
measured in its bent-knee frames), runs the event detector on the tracked kinematics table
(and, for reference, on the phantom's exact joint centres) and prints the error in frames
(detected - truth; positive = late) of initial contact (IC), peak knee flexion (PKF),
take-off (TO) and second contact (SC), per case and pooled.

Renders (15-30 s per trial) are cached under ``--cache`` (default
``/tmp/kneesight-bench-events``, per version of the phantom's source); tracked tables are
cached per build of the tracker (keyed by the compiled core's size and modification time), so
re-running after a detector change takes seconds.

Usage::

    python benchmarks/events.py               # every case
    python benchmarks/events.py --quick       # three cases
    python benchmarks/events.py --case mot-DJ1 --case d435-2m
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import kneesight._core as core
from _common import BASE_CASES, MOT_CASES, Case, case_motion, phantom_key, select_cases
from kneesight.analysis.events import EVENT_KEYS, detect_events
from kneesight.analysis.recording import THIGH_REFIT_MIN
from kneesight.conventions import FOOT_LOWEST, SIDES, column, per_side_columns
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, ValgusProfile, motions, simulate
from kneesight.tracking import COLUMNS, Tracker, calibrate_subject

SHORT = {"initial_contact_s": "IC", "peak_knee_flexion_s": "PKF", "take_off_s": "TO",
         "second_contact_s": "SC"}  # fmt: skip


CASES: list[Case] = [
    *BASE_CASES,
    Case("d435-3m-low", camera={"distance": 3.0, "height": 0.7}, seed=3),
    Case(
        "stiff-45cm-box",
        dvj={"box_height": 0.45, "knee_flexion_at_contact": 15.0, "peak_knee_flexion": 75.0},
        camera={"yaw": 15.0},
    ),  # fmt: skip
    Case("d435-60fps", camera={"fps": 60}, seed=5),
    *MOT_CASES,
    Case(
        "mot-DJAsym1-2.4m",
        motion="mot:DJAsym1_ik.mot",
        camera={"distance": 2.4, "yaw": -10.0},
        valgus="high",
    ),  # fmt: skip
    Case(
        "mot-DJ1-female-3m",
        motion="mot:DJ1_ik.mot",
        camera={"distance": 3.0},
        body={"stature": 1.66, "sex": "female"},
        seed=7,
    ),  # fmt: skip
    Case("d455-3m-yaw-30", camera={"profile": "d455", "distance": 3.0, "yaw": -30.0}, seed=11),
    Case(
        "short-female-high-valgus",
        body={"stature": 1.55, "sex": "female"},
        camera={"distance": 1.8, "height": 1.2},
        valgus="high",
        seed=12,
    ),
    Case(
        "heavy-male-d455-2.2m",
        body={"stature": 1.80, "build": "heavy"},
        camera={"profile": "d455", "distance": 2.2, "yaw": 10.0},
        seed=13,
    ),
    Case(
        "soft-25cm-box-yaw25",
        dvj={"box_height": 0.25, "knee_flexion_at_contact": 40.0, "peak_knee_flexion": 110.0},
        camera={"yaw": 25.0},
        seed=14,
    ),
    Case("mot-DJ2-2m", motion="mot:DJ2_ik.mot", seed=15),
    Case(
        "mot-DJAsym1-d455-yaw-25",
        motion="mot:DJAsym1_ik.mot",
        camera={"profile": "d455", "yaw": -25.0},
        seed=16,
    ),
    Case(
        "mot-DJ1-60fps-tall",
        motion="mot:DJ1_ik.mot",
        camera={"fps": 60, "distance": 2.4},
        body={"stature": 1.88},
        seed=17,
    ),
    Case(
        "mot-DJ2-1.7m-high",
        motion="mot:DJ2_ik.mot",
        camera={"distance": 1.7, "height": 1.5},
        body={"stature": 1.70, "sex": "female", "build": "slim"},
        seed=18,
    ),
    Case("d455-30fps-2.5m", camera={"profile": "d455", "fps": 30, "distance": 2.5}, seed=19),
    Case("mot-DJ2-30fps", motion="mot:DJ2_ik.mot", camera={"fps": 30}, seed=20),
]
QUICK = ("d435-2m", "mot-DJ1", "mot-DJ2-d455-yaw20")


def render(case: Case, cache: Path) -> Path:
    """Render the static and the landing trial of ``case`` once; returns the cache folder."""
    d = cache / f"phantom-{phantom_key()}" / case.name
    if (d / "meta.json").exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    body = Body(**case.body)
    cam = CameraPlacement(**case.camera)
    noise = NoiseModel()
    valgus = ValgusProfile.named(case.valgus, static_knee_valgus=case.static_valgus)
    static = simulate(body, motions.static(duration_s=1.0, valgus=valgus), cam, duration_s=1.0)
    sf = list(static.frames(noise, case.seed + 1))[::3]
    np.save(d / "static.npy", np.stack([x for _, _, x in sf]))
    sim = simulate(body, case_motion(case), cam)
    tf = list(sim.frames(noise, case.seed + 2))
    np.save(d / "trial.npy", np.stack([x for _, _, x in tf]))
    truth = {k: np.asarray(v, dtype=np.float64) for k, v in sim.truth.items()}
    np.savez(d / "truth.npz", **truth)
    meta = {
        "stature": body.stature,
        "fps": cam.fps,
        "events": sim.events,
        "static": [[n, ts] for n, ts, _ in sf],
        "trial": [[n, ts] for n, ts, _ in tf],
    }
    (d / "meta.json").write_text(json.dumps(meta))
    print(f"  rendered {case.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return d


def _build_key() -> str:
    st = Path(core.__file__).stat()
    return f"{st.st_size}-{int(st.st_mtime)}"


def tracked_table(case: Case, cache: Path) -> tuple[dict[str, np.ndarray], dict, float]:
    """Kinematics table of the tracked trial (cached per tracker build), meta, ms/frame."""
    d = render(case, cache)
    meta = json.loads((d / "meta.json").read_text())
    f = d / f"tracked-{_build_key()}-thigh.npz"
    if f.exists():
        z = np.load(f)
        return {k: z[k] for k in z.files}, meta, float("nan")
    intr = CameraPlacement(**case.camera).intrinsics
    sd = np.load(d / "static.npy", mmap_mode="r")
    sframes = [DepthFrame(np.array(sd[i]), n, ts, 0.001, intr)
               for i, (n, ts) in enumerate(meta["static"])]  # fmt: skip
    cal = calibrate_subject(sframes, stature_m=meta["stature"])
    td = np.load(d / "trial.npy", mmap_mode="r")

    def track(tracker: Tracker) -> list:
        return [tracker.track(DepthFrame(np.array(td[i]), n, ts, 0.001, intr))
                for i, (n, ts) in enumerate(meta["trial"])]  # fmt: skip

    tracker = Tracker(cal)
    t0 = time.perf_counter()
    res = track(tracker)
    ms = 1000.0 * (time.perf_counter() - t0) / max(len(res), 1)
    # as kneesight.analyze does: the thigh length measured in the bent-knee frames, then the
    # trial tracked again with it
    factor = tracker.thigh_length_factor()
    if factor is not None and abs(factor - 1.0) >= THIGH_REFIT_MIN:
        res = track(Tracker(cal.with_thigh_scale(factor)))
    ts = np.array([ts for _, ts in meta["trial"]])
    table = {
        "frame": np.array([n for n, _ in meta["trial"]], dtype=np.float64),
        "time_s": (ts - ts[0]) / 1000.0,
        "tracked": np.array([1.0 if r.tracked else 0.0 for r in res]),
    }
    for c in per_side_columns():
        i = COLUMNS.index(c)
        table[c] = np.array([r.values[i] if r.tracked else np.nan for r in res], dtype=float)
    for i, s in enumerate(SIDES):
        table[column(FOOT_LOWEST, s)] = np.array(
            [r.foot_lowest_m[i] if r.tracked else np.nan for r in res], dtype=float
        )
    np.savez(f, **table)
    return table, meta, ms


def truth_table(case: Case, cache: Path) -> dict[str, np.ndarray]:
    z = np.load(render(case, cache) / "truth.npz")
    return {k: z[k] for k in z.files}


def errors(table: dict[str, np.ndarray], fps: float, truth: dict) -> dict[str, float | None]:
    """Detected minus true event time in frames (NaN: one of them absent but not both)."""
    ev = detect_events(table, fps)
    out: dict[str, float | None] = {}
    for k in EVENT_KEYS:
        a, b = ev.times[k], truth.get(k)
        if a is None and b is None:
            out[k] = None
        elif a is None or b is None:
            out[k] = float("nan")
        else:
            out[k] = (a - b) * fps
    return out


def _cell(e: float | None) -> str:
    if e is None:
        return f"{'-':>7}"
    if not np.isfinite(e):
        return f"{'MISS':>7}"
    return f"{e:+7.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three cases only")
    ap.add_argument("--case", action="append", help="run only these cases (by name)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/kneesight-bench-events"))
    ap.add_argument("--render-only", action="store_true", help="fill the render cache and stop")
    args = ap.parse_args(argv)
    cases = select_cases(CASES, args.case, QUICK if args.quick else None)
    if cases is None:
        return 2
    if args.render_only:
        for c in cases:
            render(c, args.cache)
        return 0
    print("Event error in frames (detected - truth; + late); MISS: one side absent; -: both")
    print(f"tracker build {_build_key()} (size-mtime of {Path(core.__file__).name})")
    head = "".join(f"{SHORT[k]:>7}" for k in EVENT_KEYS)
    print(f"{'case':26}{'fps':>4}  tracked:{head}   truth table:{head}")
    pooled: dict[str, dict[str, list[float]]] = {"tracked": {}, "truth": {}}
    for case in cases:
        table, meta, _ = tracked_table(case, args.cache)
        fps = float(meta["fps"])
        row = f"{case.name:26}{fps:4.0f}          "
        for src, tab in (("tracked", table), ("truth", truth_table(case, args.cache))):
            e = errors(tab, fps, meta["events"])
            row += "".join(_cell(e[k]) for k in EVENT_KEYS) + (
                "               " * (src == "tracked")
            )
            for k, v in e.items():
                if v is not None:
                    pooled[src].setdefault(k, []).append(v)
        print(row, flush=True)
    print()
    for src in ("tracked", "truth"):
        print(f"pooled ({src} table)")
        for k in EVENT_KEYS:
            v = np.asarray(pooled[src].get(k, []), dtype=float)
            ok = v[np.isfinite(v)]
            if not v.size:
                continue
            within = np.mean(np.abs(ok) <= 1.0 + 1e-6) * ok.size / v.size if ok.size else 0.0
            mean = np.mean(np.abs(ok)) if ok.size else np.nan
            top = np.max(np.abs(ok)) if ok.size else np.nan
            bias = np.mean(ok) if ok.size else np.nan
            print(
                f"  {SHORT[k]:4} mean|e| {mean:5.2f}  max|e| {top:5.2f}  bias {bias:+5.2f}  "
                f"within 1 frame {100 * within:5.1f}%  missed {v.size - ok.size}/{v.size}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
