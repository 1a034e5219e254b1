"""Tracking accuracy on phantom drop jumps: RMSE per degree of freedom during ground contact.

Each case calibrates the subject from a phantom static trial (same camera), tracks a phantom
drop jump (built-in motion or one driven by a real drop jump from
``../shared/reference-motion/IK``), measures the thigh length in its bent-knee frames and
tracks it again with it (as ``kneesight.analyze`` does), and compares with the phantom's
ground truth over the frames in ground contact (initial contact to take-off, and the second
landing to the end). Each case's second row, and the last pooled row, are the values as
``kneesight analyze`` writes them: low-pass filtered (``kneesight.analysis.filtering``). The
ms/frame column times the first tracking pass.
The phantom's body is not built from the tracker's primitives.

Usage::

    python benchmarks/accuracy.py            # the full table (several minutes)
    python benchmarks/accuracy.py --quick    # two cases
    python benchmarks/accuracy.py --seeds 2  # every case with two noise draws
    python benchmarks/accuracy.py --case d435-2m --series knee_valgus_r
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _common import BASE_CASES, MOT_CASES, Case, case_motion, select_cases
from kneesight.analysis.pipeline import analyze_kinematics
from kneesight.io.frames import DepthFrame
from kneesight.phantom import Body, CameraPlacement, NoiseModel, ValgusProfile, motions, simulate
from kneesight.tracking import COLUMNS, Tracker, calibrate_subject

TARGETS: dict[str, float | None] = {
    "hip_internal_rotation": 3.0,
    "hip_adduction": 2.0,
    "knee_valgus": 2.0,
    "knee_flexion": 2.0,
    "ankle_dorsiflexion": 3.0,
    "fppa": 2.0,
    "arch_height_mm": 1.5,
    "hip_flexion": None,
    "knee_internal_rotation": None,
}
"""Target RMSE per quantity (deg; arch mm); None: reported without a target."""


CASES: list[Case] = [
    *BASE_CASES,
    Case("genu-valgum-8", static_valgus=8.0, valgus="high"),
    *MOT_CASES,
]
QUICK = ("d435-2m", "mot-DJ1")


def _contact(truth: dict, events: dict) -> np.ndarray:
    t = truth["time_s"]
    ic, to, sc = (events.get(k) for k in ("initial_contact_s", "take_off_s", "second_contact_s"))
    m = np.zeros(t.size, bool)
    if ic is not None:
        m |= (t >= ic) & (t <= (to if to is not None else t[-1]))
    if sc is not None:
        m |= t >= sc
    return m if m.any() else np.ones(t.size, bool)


def run_case(case: Case, seed: int = 0) -> dict:
    """Calibrate, track and score one case; returns errors per quantity and timings."""
    body = Body(**case.body)
    cam = CameraPlacement(**case.camera)
    intr = cam.intrinsics
    noise = NoiseModel()
    valgus = ValgusProfile.named(case.valgus, static_knee_valgus=case.static_valgus)
    static = simulate(body, motions.static(duration_s=1.0, valgus=valgus), cam, duration_s=1.0)
    sframes = [DepthFrame(d, n, ts, 0.001, intr) for n, ts, d in static.frames(noise, seed + 1)][
        ::3
    ]
    t0 = time.perf_counter()
    cal = calibrate_subject(sframes, stature_m=body.stature)
    t_cal = time.perf_counter() - t0
    sim = simulate(body, case_motion(case), cam)
    frames = [DepthFrame(d, n, ts, 0.001, intr) for n, ts, d in sim.frames(noise, seed + 2)]
    tracker = Tracker(cal)
    results = []
    t_track = 0.0
    for frame in frames:
        t0 = time.perf_counter()
        results.append(tracker.track(frame))
        t_track += time.perf_counter() - t0
    # as kneesight.analyze does: the thigh length measured in the bent-knee frames, then the
    # trial tracked again with it
    thigh = {"calibrated": cal.segment_lengths_m["thigh_r"], "truth": body.thigh_length}
    factor = tracker.thigh_length_factor()
    thigh["measured"] = thigh["calibrated"] * (factor or 1.0)
    if factor is not None and abs(factor - 1.0) >= 0.01:
        tracker = Tracker(cal.with_thigh_scale(factor))
        results = [tracker.track(frame) for frame in frames]
    vals = np.array([r.values for r in results])
    tracked = np.array([r.tracked for r in results])
    m = _contact(sim.truth, sim.events)
    # what `kneesight analyze` writes: the same values through the analysis (low-pass filtered)
    table = {c: vals[:, i] for i, c in enumerate(COLUMNS)}
    table["frame"] = np.array([f.frame_number for f in frames], dtype=np.float64)
    table["time_s"] = np.array([f.timestamp_ms - frames[0].timestamp_ms for f in frames]) / 1e3
    table["tracked"] = tracked.astype(np.float64)
    table["confidence"] = np.array([r.confidence for r in results])
    filtered = analyze_kinematics(table, fps=cam.fps).table
    errs: dict[str, np.ndarray] = {}
    errs_filtered: dict[str, np.ndarray] = {}
    for q in TARGETS:
        e = [vals[m, COLUMNS.index(f"{q}_{s}")] - sim.truth[f"{q}_{s}"][m] for s in "lr"]
        errs[q] = np.concatenate(e)
        e = [filtered[f"{q}_{s}"][m] - sim.truth[f"{q}_{s}"][m] for s in "lr"]
        errs_filtered[q] = np.concatenate(e)
    static_err = {s: cal.static_knee_valgus_deg[s] - case.static_valgus for s in "lr"}
    return {
        "errs": errs,
        "errs_filtered": errs_filtered,
        "tracked": float(tracked.mean()),
        "tracked_contact": float(tracked[m].mean()),
        "ms_per_frame": 1000.0 * t_track / max(len(results), 1),
        "calibration_s": t_cal,
        "static_valgus_err": static_err,
        "thigh": thigh,
        "results": results,
        "truth": sim.truth,
        "mask": m,
    }


def _rmse(e: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(e)
    if not ok.any():
        return float("nan"), 0.0
    return float(np.sqrt(np.mean(e[ok] ** 2))), float(ok.mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two cases only")
    ap.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="noise draws per case (the pooled RMSE moves by about 0.2 deg between draws)",
    )
    ap.add_argument("--case", action="append", help="run only these cases (by name)")
    ap.add_argument("--series", help="print truth and tracked values of a column per frame")
    args = ap.parse_args(argv)
    cases = select_cases(CASES, args.case, QUICK if args.quick else None)
    if cases is None:
        return 2
    pooled: dict[str, list[np.ndarray]] = {q: [] for q in TARGETS}
    pooled_f: dict[str, list[np.ndarray]] = {q: [] for q in TARGETS}
    qs = list(TARGETS)
    short = {q: q.replace("internal_rotation", "IR").replace("_mm", "") for q in qs}
    head = f"{'case':26}" + "".join(f"{short[q][:13]:>14}" for q in qs) + "  tracked  ms/frame"
    print("RMSE during ground contact (deg; arch height mm); both legs; *NN: % of contact frames")
    print("with a value (NaN where the tracker judged the data insufficient)")
    print(head)
    tracked_all = []
    runs = [(case, seed) for seed in range(0, 7 * args.seeds, 7) for case in cases]
    for case, seed in runs:
        r = run_case(case, seed)
        row = f"{case.name if seed == 0 else f'{case.name} (noise {seed})':26}"
        for q in qs:
            pooled[q].append(r["errs"][q])
            rm, valid = _rmse(r["errs"][q])
            # a value reported in fewer than all contact frames shows its share, e.g. "*93"
            row += f"{rm:10.2f}" + (f" *{min(valid * 100, 99):2.0f}" if valid < 0.995 else "    ")
        row += f"  {r['tracked'] * 100:6.1f}%  {r['ms_per_frame']:7.1f}"
        tracked_all.append(r["tracked"])
        print(row, flush=True)
        row = f"{'  as analysed (filtered)':26}"
        for q in qs:
            pooled_f[q].append(r["errs_filtered"][q])
            row += f"{_rmse(r['errs_filtered'][q])[0]:10.2f}    "
        print(row)
        th = r["thigh"]
        print(
            f"{'':26}thigh length: truth {th['truth']:.3f} m, calibrated {th['calibrated']:.3f},"
            f" measured in the trial {th['measured']:.3f}"
        )
        sv = r["static_valgus_err"]
        if case.static_valgus:
            print(
                f"{'':26}static knee valgus {case.static_valgus:.0f} deg: calibrated "
                f"l {case.static_valgus + sv['l']:.1f}, r {case.static_valgus + sv['r']:.1f}"
            )
        if args.series:
            c = args.series
            res, truth, m = r["results"], r["truth"], r["mask"]
            for i in np.flatnonzero(m)[::2]:
                sd = res[i].dof_sd.get(c, float("nan"))
                print(f"  frame {i:4d} truth {truth[c][i]:8.2f} tracked {res[i].value(c):8.2f} "
                      f"sd {sd:5.1f} conf {res[i].confidence:.2f}")  # fmt: skip
    print()
    print(
        f"{'pooled, as tracked':26}"
        + "".join(f"{_rmse(np.concatenate(pooled[q]))[0]:10.2f}    " for q in qs)
    )
    print(
        f"{'pooled, as analysed':26}"
        + "".join(f"{_rmse(np.concatenate(pooled_f[q]))[0]:10.2f}    " for q in qs)
    )
    print(f"{'target':26}" + "".join(f"{TARGETS[q] or float('nan'):10.2f}    " for q in qs))
    print(f"frames tracked: {100 * np.mean(tracked_all):.1f}% (target >= 99 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
