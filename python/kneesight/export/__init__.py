"""Exports of an analysed trial: C3D, OpenSim (.mot, .trc), tidy CSV and JSON; batch summaries.

``export(out_dir, formats)`` reads ``kinematics.csv`` and ``summary.json`` of a trial directory
and writes the requested files beside them, named after the directory (``<dir>/<dir>.c3d``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from kneesight.errors import InputError
from kneesight.export.c3d import write_c3d
from kneesight.export.opensim import MAX_GAP_S, write_mot, write_trc
from kneesight.export.paths import check_writable
from kneesight.export.summarize import summarize
from kneesight.export.tables import write_json, write_kinematics_long, write_metrics_long
from kneesight.export.trialdir import KINEMATICS_FILE, Trial, load_trial

FORMATS: tuple[str, ...] = ("c3d", "mot", "trc", "csv", "json")
"""Export formats, in the order they are written."""

MOTION_FORMATS: tuple[str, ...] = ("c3d", "mot", "trc")
"""Formats of motion data only: refused for a trial without a single tracked frame."""

_DESCRIPTIONS: dict[str, str] = {
    "c3d": (
        "{stem}.c3d: joint centres LHJC..RAJC (lab frame X anterior, Y up, Z right; mm) and\n"
        "  Plug-in Gait style angle points <S>HipAngles/KneeAngles/AnkleAngles (X flexion,\n"
        "  Y adduction (knee: varus+ = -valgus), Z internal rotation; deg), <S>FPPA, scalar\n"
        "  <S>ArchHeight (mm); events Foot Strike / Foot Off (Left, Right), Peak Knee Flexion.\n"
        "  Untracked or dropped frames are invalid points (residual -1)."
    ),
    "mot": (
        "{stem}.mot: OpenSim coordinates hip_flexion/hip_adduction/hip_rotation/knee_angle/\n"
        "  ankle_angle _r and _l in degrees (Rajagopal / Lai-Uhlrich signs, knee_angle flexion+)."
    ),
    "trc": "{stem}.trc: joint centres as markers RHJC..LAJC, mm, OpenSim ground axes.",
    "csv": (
        "{stem}_kinematics_long.csv: one row per frame and side.\n"
        "{stem}_metrics_long.csv: one row per summary metric and side."
    ),
    "json": "{stem}.json: summary plus column-oriented kinematics (null where untracked).",
}


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """Normalise formats given as ``"c3d,mot"`` or ``["c3d", "trc,csv"]``.

    Returns
    -------
    list of str
        Unique formats in :data:`FORMATS` order.

    Raises
    ------
    InputError
        An unknown or empty format; the message lists the known ones.
    """
    items = [formats] if isinstance(formats, str) else list(formats)
    wanted = set()
    for item in items:
        for f in str(item).split(","):
            f = f.strip().lower().lstrip(".")
            if f not in FORMATS:
                raise InputError(
                    f"unknown export format {f!r}; the formats are {', '.join(FORMATS)}"
                )
            wanted.add(f)
    if not wanted:
        raise InputError(f"no export format given; the formats are {', '.join(FORMATS)}")
    return [f for f in FORMATS if f in wanted]


def _stem(trial: Trial) -> str:
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in trial.directory.resolve().name)
    return name or "trial"


def export(
    out_dir: str | Path, formats: str | Iterable[str], overwrite: bool = False
) -> list[Path]:
    """Export an analysed trial directory to the given formats.

    Parameters
    ----------
    out_dir : str or Path
        Trial directory holding ``kinematics.csv`` and ``summary.json``; the exports are
        written into it.
    formats : str or iterable of str
        Any of ``c3d``, ``mot``, ``trc``, ``csv``, ``json`` (comma lists allowed).
    overwrite : bool
        Replace exports written before; otherwise an existing output file is an error and
        nothing is written.

    Returns
    -------
    list of Path
        The files written, with ``<dir>_export_README.txt`` last: it describes every export
        in the directory and is rewritten by each export.

    Raises
    ------
    InputError
        Unknown format, missing directory, missing or malformed input file, existing output,
        or c3d/mot/trc asked of a trial without any tracked frame.
    """
    wanted = parse_formats(formats)
    trial = load_trial(out_dir)
    d, stem = trial.directory, _stem(trial)
    writers: dict[str, list[tuple[Callable[..., Path], Path]]] = {
        "c3d": [(write_c3d, d / f"{stem}.c3d")],
        "mot": [(write_mot, d / f"{stem}.mot")],
        "trc": [(write_trc, d / f"{stem}.trc")],
        "csv": [
            (write_kinematics_long, d / f"{stem}_kinematics_long.csv"),
            (write_metrics_long, d / f"{stem}_metrics_long.csv"),
        ],
        "json": [(write_json, d / f"{stem}.json")],
    }
    readme = d / f"{stem}_export_README.txt"
    needs_motion = [f for f in wanted if f in MOTION_FORMATS]
    if needs_motion and not trial.tracked.any():
        raise InputError(
            f"{d / KINEMATICS_FILE}: no tracked frame, nothing to write as "
            f"{', '.join(needs_motion)} (csv and json still export the untracked table)"
        )
    jobs = [job for f in wanted for job in writers[f]]
    for _, path in jobs:
        check_writable(path, overwrite)  # fail before writing anything
    written = [fn(trial, path, overwrite=overwrite) for fn, path in jobs]
    # the README describes every export now in the directory (it is regenerated each time)
    present = [f for f in FORMATS if all(p.exists() for _, p in writers[f])]
    version = trial.summary.get("kneesight_version", "")
    lines = [f"Exports of trial {stem} written by kneesight {version}."]
    lines += [_DESCRIPTIONS[f].format(stem=stem) for f in present]
    if "mot" in present or "trc" in present:
        lines.append(
            f"OpenSim files: untracked gaps up to {MAX_GAP_S:g} s are linearly interpolated,\n"
            "  rows in longer gaps and outside the tracked span are omitted\n"
            "  (OpenSim does not accept NaN)."
        )
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*written, readme]


__all__ = ["FORMATS", "export", "load_trial", "parse_formats", "summarize"]
