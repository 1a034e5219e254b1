"""Reading a trial directory written by ``kneesight analyze``: ``kinematics.csv`` and
``summary.json``.

Both the report and the exports read a trial through :func:`load_trial`, so a missing or malformed
file is reported once, the same way, naming the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kneesight.analysis.table import read_kinematics_csv, table_length
from kneesight.conventions import FRAME_COLUMNS, column, joint_centre_columns
from kneesight.errors import InputError

KINEMATICS_FILE = "kinematics.csv"
SUMMARY_FILE = "summary.json"

EVENT_KEYS: tuple[str, ...] = (
    "initial_contact_s",
    "peak_knee_flexion_s",
    "take_off_s",
    "second_contact_s",
)
"""Landing events of ``summary.json`` (seconds from the first frame, null when absent)."""


@dataclass(frozen=True)
class Trial:
    """One analysed trial.

    Attributes
    ----------
    directory : Path
        The trial directory.
    table : dict of str to ndarray of float64, shape (N,)
        Every column of ``kinematics.csv`` (N frames); NaN where the CSV cell is empty.
    summary : dict
        The parsed ``summary.json``.
    """

    directory: Path
    table: dict[str, np.ndarray]
    summary: dict[str, Any]

    @property
    def n_frames(self) -> int:
        """Number of rows of ``kinematics.csv``."""
        return int(self.table["frame"].shape[0])

    @property
    def time_s(self) -> np.ndarray:
        """Seconds from the first frame, shape (N,)."""
        return self.table["time_s"]

    @property
    def tracked(self) -> np.ndarray:
        """True where the tracker fitted the skeleton, bool, shape (N,)."""
        return np.nan_to_num(self.table["tracked"], nan=0.0) > 0.5

    def series(self, quantity: str, side: str) -> np.ndarray:
        """A per-side quantity (degrees or mm), shape (N,), NaN where untracked."""
        return self.table[column(quantity, side)]

    def joint_centre(self, joint: str, side: str) -> np.ndarray:
        """A joint centre in the lab frame, metres, shape (N, 3), NaN where untracked."""
        return np.stack([self.table[c] for c in joint_centre_columns(joint, side)], axis=1)

    @property
    def fps(self) -> float:
        """Frame rate in Hz: ``summary["fps"]`` if given, else from the frame numbers and times."""
        fps = self.summary.get("fps")
        if isinstance(fps, int | float) and math.isfinite(fps) and fps > 0:
            return float(fps)
        t, f = self.time_s, self.table["frame"]
        ok = np.isfinite(t) & np.isfinite(f)
        if ok.sum() >= 2 and t[ok][-1] > t[ok][0]:
            return float((f[ok][-1] - f[ok][0]) / (t[ok][-1] - t[ok][0]))
        raise InputError(
            f"{self.directory / SUMMARY_FILE}: no 'fps' and too few frames in "
            f"{KINEMATICS_FILE} to derive the frame rate"
        )

    def event(self, key: str) -> float | None:
        """An event time in seconds from ``summary["events"]``, or None when absent."""
        events = self.summary.get("events")
        value = events.get(key) if isinstance(events, dict) else None
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
        return None

    def events(self) -> dict[str, float]:
        """The landing events present, ``{key: seconds}`` in :data:`EVENT_KEYS` order."""
        out = {}
        for k in EVENT_KEYS:
            v = self.event(k)
            if v is not None:
                out[k] = v
        return out

    def row_at(self, time_s: float) -> int:
        """Index of the row whose ``time_s`` is nearest to ``time_s``."""
        t = np.where(np.isfinite(self.time_s), self.time_s, np.inf)
        return int(np.argmin(np.abs(t - time_s)))


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a dict, else an empty dict (for optional summary sections)."""
    return value if isinstance(value, dict) else {}


def read_kinematics(path: Path) -> dict[str, np.ndarray]:
    """Parse a trial's ``kinematics.csv`` into float64 columns, shape (N,), NaN for empty cells.

    :func:`kneesight.analysis.table.read_kinematics_csv` parses the file; a trial also needs at
    least one row and finite ``frame`` / ``time_s`` values.
    """
    if not path.is_file():
        raise InputError(f"{path}: missing (expected the {KINEMATICS_FILE} of kneesight analyze)")
    table = read_kinematics_csv(path)
    if table_length(table) == 0:
        raise InputError(f"{path}: no data rows")
    for required in FRAME_COLUMNS:
        if not np.isfinite(table[required]).all():
            raise InputError(f"{path}: malformed, empty or non-finite '{required}' values")
    return table


def read_summary(path: Path) -> dict[str, Any]:
    """Parse a ``summary.json`` (InputError naming the file when missing or malformed)."""
    if not path.is_file():
        raise InputError(f"{path}: missing (expected the {SUMMARY_FILE} of kneesight analyze)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: malformed JSON ({e})") from None
    if not isinstance(summary, dict):
        raise InputError(f"{path}: malformed, expected a JSON object at the top level")
    return summary


def load_trial(directory: str | Path) -> Trial:
    """Read a trial directory written by ``kneesight analyze``.

    Parameters
    ----------
    directory : str or Path
        Directory holding ``kinematics.csv`` and ``summary.json``.

    Returns
    -------
    Trial

    Raises
    ------
    InputError
        The directory or one of the files is missing or malformed (the message names it).
    """
    d = Path(directory)
    if not d.is_dir():
        raise InputError(f"{d}: trial directory not found")
    table = read_kinematics(d / KINEMATICS_FILE)
    summary = read_summary(d / SUMMARY_FILE)
    return Trial(directory=d, table=table, summary=summary)
