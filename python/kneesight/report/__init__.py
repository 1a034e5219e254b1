"""The trial report: a self-contained ``report.html`` (inline CSS and PNG images, no network).

``write_report(out_dir)`` reads ``kinematics.csv`` and ``summary.json`` of a trial directory and
writes ``report.html`` beside them: the fitted skeleton over the depth image at initial contact
and peak knee flexion, time series of the valgus components, a left/right comparison, the metrics
with their normal ranges and sources, flags, guidance and referral, and data quality.
"""

from __future__ import annotations

from pathlib import Path

from kneesight.export.trialdir import load_trial
from kneesight.report.html import write_html

REPORT_FILE = "report.html"


def write_report(out_dir: str | Path) -> Path:
    """Write ``report.html`` into an analysed trial directory.

    Parameters
    ----------
    out_dir : str or Path
        Trial directory holding ``kinematics.csv`` and ``summary.json``.

    Returns
    -------
    Path
        The report file (an earlier report of the same directory is replaced: it is derived
        from the trial's files, never recorded data).

    Raises
    ------
    InputError
        The directory or one of its files is missing or malformed (the message names it).
    """
    trial = load_trial(out_dir)
    return write_html(trial, trial.directory / REPORT_FILE)


__all__ = ["REPORT_FILE", "write_report"]
