"""The result of analysing one trial and the directory it is written to.

``TrialResult.write(dir)`` writes ``kinematics.csv`` and ``summary.json`` (the public contract
read by the report, the exports and external tools), then the report. It never overwrites an
earlier trial's results unless asked, and never touches other files in the directory.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kneesight.analysis.events import EVENT_KEYS, Events
from kneesight.analysis.table import Table, write_kinematics_csv
from kneesight.errors import InputError

KINEMATICS_FILE = "kinematics.csv"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
RESULT_FILES: tuple[str, ...] = (KINEMATICS_FILE, SUMMARY_FILE, REPORT_FILE)
"""Files ``write`` creates (exports add their own)."""


def _version() -> str:
    from kneesight import __version__

    return str(__version__)


def check_result_dir(out_dir: Path, overwrite: bool, name: str | None = None) -> None:
    """Refuse an output directory that is a file, or holds results without ``overwrite``.

    Parameters
    ----------
    out_dir : Path
        Where :data:`RESULT_FILES` are to be written.
    overwrite : bool
        Earlier results may be replaced (other files there are never touched).
    name : str, optional
        How the messages name the directory (default: the path itself).

    Raises
    ------
    InputError
        The message names the directory and the results it already holds.
    """
    what = str(out_dir) if name is None else name
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{what}: output path exists and is not a directory")
    existing = [f for f in RESULT_FILES if (out_dir / f).exists()]
    if existing and not overwrite:
        raise InputError(
            f"{what}: already holds results ({', '.join(existing)}); choose a new directory "
            "or pass --overwrite to replace them"
        )


@dataclass
class TrialResult:
    """One analysed trial.

    Attributes
    ----------
    table : dict of str to ndarray of float64, shape (N,)
        Per-frame kinematics, columns of :data:`kneesight.conventions.KINEMATICS_COLUMNS`,
        low-pass filtered as ``filtering`` says.
    fps : float
        Frame rate, Hz.
    events : Events
        Landing events (seconds from the first frame).
    peaks, metrics, less : dict
        As written to ``summary.json``.
    checks : list of dict
        Every screening check, fired or not; ``flags`` holds the fired ones.
    flags : list of dict
    guidance : dict
    frames : dict
        ``total``, ``tracked``, ``dropped``.
    calibration : dict
        Which subject calibration was used (``source``: "static recording", "subject file" or
        "first quiet second of the trial"), with details.
    unmeasured : dict of str to str
        ``summary.json`` path -> why that value is null.
    filtering : dict
        The low-pass filter applied to ``table`` (``cutoff_hz`` null when none); see
        :mod:`kneesight.analysis.filtering`.
    landing : dict
        ``legs`` that landed (``["l", "r"]``, or one side), ``kind`` ("double-leg" or
        "single-leg") and a ``note`` saying what a single-leg landing leaves out (else None);
        see :mod:`kneesight.analysis.legs`.
    """

    table: Table
    fps: float
    events: Events
    peaks: dict[str, Any]
    metrics: dict[str, Any]
    less: dict[str, Any]
    checks: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    guidance: dict[str, Any]
    frames: dict[str, int]
    calibration: dict[str, Any]
    unmeasured: dict[str, str] = field(default_factory=dict)
    sex: str | None = None
    recording: str | None = None
    camera: dict[str, Any] | None = None
    data_quality: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    filtering: dict[str, Any] = field(default_factory=dict)
    landing: dict[str, Any] = field(
        default_factory=lambda: {"legs": ["l", "r"], "kind": "double-leg", "note": None}
    )

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content (JSON-serialisable dict)."""
        events = {k: self.events.times.get(k) for k in EVENT_KEYS}
        events = {k: (round(v, 4) if v is not None else None) for k, v in events.items()}
        return {
            "kneesight_version": _version(),
            "recording": self.recording,
            "fps": self.fps,
            "frames": self.frames,
            "calibration": self.calibration,
            "sex": self.sex,
            "events": events,
            "landing": self.landing,
            "event_details": {
                "method": self.events.method,
                "foot_contact_s": self.events.contact_s,
                "reasons": self.events.reasons,
            },
            "peaks": self.peaks,
            "metrics": self.metrics,
            "less": self.less,
            "flags": self.flags,
            "checks": self.checks,
            "guidance": self.guidance,
            "unmeasured": self.unmeasured,
            "camera": self.camera,
            "data_quality": self.data_quality,
            "filter": self.filtering,
            "warnings": self.warnings,
        }

    def write(
        self,
        out_dir: str | Path,
        *,
        overwrite: bool = False,
        report: bool = True,
        export: list[str] | None = None,
    ) -> dict[str, Path | list[Path]]:
        """Write the trial directory.

        Parameters
        ----------
        out_dir : str or Path
            Created when missing.
        overwrite : bool
            Replace an earlier ``kinematics.csv`` / ``summary.json`` / ``report.html`` there.
            Other files in the directory are never touched.
        report : bool
            Also write ``report.html`` (needs :mod:`kneesight.report`).
        export : list of str, optional
            Export formats passed to :func:`kneesight.export.export`.

        Returns
        -------
        dict of str to Path or list of Path
            What was written (``kinematics``, ``summary``, ``report``, ``export``).

        Raises
        ------
        InputError
            ``out_dir`` is a file, or holds earlier results and ``overwrite`` is False.
        """
        d = Path(out_dir)
        check_result_dir(d, overwrite)
        d.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path | list[Path]] = {}
        written["kinematics"] = _atomic(
            d / KINEMATICS_FILE, lambda p: write_kinematics_csv(p, self.table)
        )
        text = json.dumps(_jsonable(self.summary()), indent=2, allow_nan=False) + "\n"
        written["summary"] = _atomic(
            d / SUMMARY_FILE, lambda p: p.write_text(text, encoding="utf-8")
        )
        if report:
            try:
                from kneesight.report import write_report
            except ImportError:
                self.warnings.append("report.html not written: kneesight.report is not available")
            else:
                written["report"] = Path(write_report(d))
        if export:
            try:
                from kneesight.export import export as do_export
            except ImportError as e:
                raise InputError(f"--export: kneesight.export is not available ({e})") from None
            written["export"] = do_export(d, export, overwrite=overwrite)
        return written


def _atomic(path: Path, write: Any) -> Path:
    """Write through a hidden temporary file beside ``path``, then rename it into place (a
    reader never sees half a file; the file gets the usual permissions of new files)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _jsonable(x: Any) -> Any:
    """Replace numpy scalars/arrays and non-finite floats (-> None) for strict JSON."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    if isinstance(x, Path):
        return str(x)
    return x
