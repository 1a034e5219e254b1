"""The public contract end to end: ``kneesight.analyze`` as a lab runs it, against the truth.

Where ``accuracy.py`` and ``events.py`` give the tracker the subject's stature, this runs
``kneesight.analyze(recording, static)`` exactly as ``kneesight analyze RECORDING [--static
STATIC]`` does: no stature, no sex. The stature is measured from the top of the head when it
is in view, else from the legs (see the README); the default phantom camera aims at knee to hip
height, so for most bodies the head leaves the image. Each case renders a phantom recording
(and a static recording for some) with ``kneesight.phantom.render_trial`` into the cache
(default ``/tmp/kneesight-bench-analyze``; renders are reused until the phantom's source
changes), analyses it, and prints: the stature read against the truth, frames tracked, RMSE
during ground contact per quantity (from
the analysed, low-pass filtered kinematics a lab reads in ``kinematics.csv``), and the event
errors in frames (detected - truth; + late). Pooled at the end.

Usage::

    python benchmarks/analyze.py                   # every case (about 10 minutes)
    python benchmarks/analyze.py --case b-female-1.62-1.8m-yaw25
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from _common import Case, case_motion, phantom_key, select_cases
from kneesight import analyze
from kneesight.analysis.events import EVENT_KEYS
from kneesight.analysis.pipeline import analyze_kinematics
from kneesight.phantom import Body, CameraPlacement, ValgusProfile, motions, render_trial
from kneesight.phantom.trial import truth_paths

QUANTITIES = (
    "hip_internal_rotation",
    "hip_adduction",
    "knee_valgus",
    "knee_flexion",
    "ankle_dorsiflexion",
    "fppa",
    "arch_height_mm",
    "hip_flexion",
)
ASYMMETRY = ("fppa", "knee_valgus", "hip_adduction", "hip_internal_rotation")
"""Components of the left/right asymmetry flag."""
SHORT = {"initial_contact_s": "IC", "peak_knee_flexion_s": "PKF", "take_off_s": "TO",
         "second_contact_s": "SC"}  # fmt: skip


@dataclass
class Trial(Case):
    """A benchmark case (see ``_common.Case``) as a lab records it: with a static trial or
    none, and the frames the camera drops."""

    static: bool = True
    dropped: tuple[int, ...] = ()


TRIALS: list[Trial] = [
    Trial("a-d435-2m", seed=41),
    Trial(
        "b-female-1.62-1.8m-yaw25",
        body={"stature": 1.62, "sex": "female", "build": "slim"},
        camera={"distance": 1.8, "yaw": 25.0},
        valgus="high",
        static=False,
        seed=42,
    ),
    Trial(
        "c-mot-DJ2-male-1.82-d455-2.6m",
        body={"stature": 1.82, "build": "athletic"},
        camera={"profile": "d455", "distance": 2.6, "yaw": -15.0, "height": 1.2},
        motion="mot:DJ2_ik.mot",
        seed=43,
    ),
    Trial(
        "d-mot-DJAsym1-heavy-low-camera",
        body={"stature": 1.70, "build": "heavy"},
        camera={"distance": 2.2, "height": 0.8},
        motion="mot:DJAsym1_ik.mot",
        seed=44,
    ),
    Trial(
        "e-male-1.95-d455-3m-60fps",
        body={"stature": 1.95},
        camera={"profile": "d455", "distance": 3.0, "fps": 60, "yaw": 10.0},
        static=False,
        seed=45,
    ),
    Trial(
        "f-female-1.75-d415-genu-valgum",
        body={"stature": 1.75, "sex": "female", "build": "athletic"},
        camera={"profile": "d415", "distance": 2.3, "height": 1.3},
        valgus="high",
        static_valgus=6.0,
        seed=46,
    ),
    Trial(
        "g-mot-DJ1-female-1.58-30fps",
        body={"stature": 1.58, "sex": "female"},
        camera={"fps": 30},
        motion="mot:DJ1_ik.mot",
        static=False,
        seed=47,
    ),
    Trial(
        "h-male-1.78-stiff-dropped-frames",
        body={"stature": 1.78},
        camera={"distance": 2.4},
        dvj={"knee_flexion_at_contact": 20.0},
        static=False,
        dropped=(40, 41, 95, 150, 151, 152),
        seed=48,
    ),
]


def _truth(rec: Path) -> tuple[dict[str, np.ndarray], dict]:
    """The ground-truth table and events written beside a phantom recording."""
    tcsv, tjson = truth_paths(rec)
    with tcsv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    table = {c: np.array([float(r[c]) if r[c] else np.nan for r in rows]) for c in rows[0]}
    return table, json.loads(tjson.read_text())["events"]


def run(t: Trial, cache: Path) -> dict:
    """Render (or reuse) and analyse one trial; returns its errors."""
    d = cache / f"phantom-{phantom_key()}" / t.name
    d.mkdir(parents=True, exist_ok=True)
    body = Body(**t.body)
    cam = CameraPlacement(**t.camera)
    rec = d / "trial.db3"
    if not all(p.exists() for p in (rec, *truth_paths(rec))):
        render_trial(
            body, case_motion(t), cam, rec, seed=t.seed, dropped_frames=t.dropped, overwrite=True
        )
    static = None
    if t.static:
        static = d / "static.db3"
        if not all(p.exists() for p in (static, *truth_paths(static))):
            valgus = ValgusProfile.named("neutral", static_knee_valgus=t.static_valgus)
            still = motions.static(duration_s=2.0, valgus=valgus)
            render_trial(body, still, cam, static, seed=t.seed + 100, overwrite=True)
    truth, events = _truth(rec)
    res = analyze(rec, static=static)
    tab = res.table
    rows = {int(f): i for i, f in enumerate(truth["frame"])}
    idx = np.array([rows[int(f)] for f in tab["frame"]])
    tt = truth["time_s"][idx]
    ic, to = events.get("initial_contact_s"), events.get("take_off_s")
    contact = np.zeros(tt.size, bool)
    if ic is not None:
        contact = (tt >= ic) & (tt <= (to if to is not None else tt[-1]))
    errs = {
        q: np.concatenate([(tab[f"{q}_{s}"] - truth[f"{q}_{s}"][idx])[contact] for s in "lr"])
        for q in QUANTITIES
    }
    # the left-right differences of the peaks, measured and as the truth gives them (the basis
    # of the asymmetry flag's measurement margin)
    full = {
        **truth,
        "tracked": np.ones(truth["frame"].size),
        "confidence": np.ones(truth["frame"].size),
    }
    true_asym = analyze_kinematics(full, fps=res.fps, filter_hz=0).metrics["asymmetry"]
    asym = {}
    for q in ASYMMETRY:
        got, want = res.metrics["asymmetry"].get(f"peak_{q}"), true_asym.get(f"peak_{q}")
        asym[q] = np.nan if got is None or want is None else got - want
    ev = {}
    for k in EVENT_KEYS:
        det, true = res.events.times.get(k), events.get(k)
        ev[k] = None if det is None or true is None else (det - true) * res.fps
    return {
        "stature": (float(res.calibration["stature_m"]), body.stature),
        "tracked": res.frames["tracked"] / max(res.frames["total"], 1),
        "errs": errs,
        "events": ev,
        "missed": [k for k in EVENT_KEYS if events.get(k) is not None and ev[k] is None],
        "asymmetry": asym,
    }


def _rms(e: np.ndarray) -> float:
    e = e[np.isfinite(e)]
    return float(np.sqrt(np.mean(e**2))) if e.size else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", help="run only these cases (by name)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/kneesight-bench-analyze"))
    args = ap.parse_args(argv)
    chosen = select_cases(list(TRIALS), args.case, None)
    if chosen is None:
        return 2
    head = " ".join(f"{q[:8]:>8}" for q in QUANTITIES)
    print("kneesight.analyze(recording, static) without stature or sex; RMSE in ground contact")
    print(f"{'case':34}{'stature':>14} {'tracked':>8} {head}   events (frames, + late)")
    pooled: dict[str, list[np.ndarray]] = {q: [] for q in QUANTITIES}
    ev_all: dict[str, list[float | None]] = {k: [] for k in EVENT_KEYS}
    st_err = []
    asym: dict[str, list[float]] = {q: [] for q in ASYMMETRY}
    for t in chosen:
        r = run(t, args.cache)
        for q in ASYMMETRY:
            asym[q].append(r["asymmetry"][q])
        got, true = r["stature"]
        st_err.append(got / true - 1.0)
        for q in QUANTITIES:
            pooled[q].append(r["errs"][q])
        for k in EVENT_KEYS:
            if k in r["events"]:
                ev_all[k].append(r["events"][k])
        evs = " ".join(
            f"{SHORT[k]} {v:+.0f}" if v is not None else f"{SHORT[k]} -"
            for k, v in r["events"].items()
        )
        vals = " ".join(f"{_rms(r['errs'][q]):8.2f}" for q in QUANTITIES)
        print(
            f"{t.name:34}{got:6.2f}/{true:4.2f} m {100 * r['tracked']:7.1f}% {vals}   {evs}",
            flush=True,
        )
    print("\npooled RMSE in ground contact (deg; arch in mm):")
    print("  " + " | ".join(f"{q} {_rms(np.concatenate(pooled[q])):.2f}" for q in QUANTITIES))
    print("RMS error of the measured left-right difference of the peaks (deg; the asymmetry")
    print("flag's measurement margin in calibration/screening_thresholds.json rests on these):")
    print("  " + " | ".join(f"{q} {_rms(np.array(asym[q])):.2f}" for q in ASYMMETRY))
    st = 100 * np.abs(np.array(st_err))
    print(f"stature error: mean {st.mean():.1f} %, max {st.max():.1f} %")
    for k, v in ev_all.items():
        found = [x for x in v if x is not None]
        if not v:
            continue
        within = 100 * np.mean([abs(x) <= 1.0 + 1e-6 for x in found]) if found else float("nan")
        print(
            f"  {SHORT[k]:4} within 1 frame {within:5.1f}%  mean|e| "
            f"{np.mean(np.abs(found)) if found else float('nan'):.2f}  missed "
            f"{len(v) - len(found)}/{len(v)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
