"""The per-frame kinematics table and its CSV file (``kinematics.csv``).

A kinematics table is a plain ``dict`` of column name -> 1-D float64 array, all of the same
length N (frames), with the columns of :data:`kneesight.conventions.KINEMATICS_COLUMNS`. Values
are NaN where the tracker did not fit the skeleton (``tracked == 0``) or a quantity is not
supported; in the CSV those cells are empty.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

import numpy as np

from kneesight.conventions import (
    KINEMATICS_COLUMNS,
    per_side_columns,
)
from kneesight.errors import InputError

Table = dict[str, np.ndarray]
"""Column name -> float64 array of shape (N,)."""

PER_SIDE = tuple(per_side_columns())


def _cell(value: float, fmt: str = ".7g") -> str:
    v = float(value)
    return format(v, fmt) if math.isfinite(v) else ""


def table_length(table: Mapping[str, np.ndarray]) -> int:
    """Number of frames N of a table (length of its ``time_s`` column)."""
    if "time_s" not in table:
        raise InputError("kinematics table: missing column 'time_s'")
    return int(np.asarray(table["time_s"]).shape[0])


def as_kinematics_table(table: Mapping[str, np.ndarray]) -> Table:
    """Check a table and complete it to exactly :data:`KINEMATICS_COLUMNS`.

    Works on tracker output and on the phantom's ground truth alike: a table without
    ``tracked``/``confidence`` (ground truth) is taken as tracked with confidence 1 where its
    values are finite; a missing ``frame`` column becomes 0..N-1.

    Parameters
    ----------
    table : mapping of str to array_like, each of shape (N,)
        Must hold ``time_s`` and the per-side columns of
        :func:`kneesight.conventions.per_side_columns`.

    Returns
    -------
    dict of str to ndarray of float64, shape (N,)
        Exactly the columns of ``KINEMATICS_COLUMNS`` (copies); per-side values NaN where
        ``tracked`` is 0.

    Raises
    ------
    InputError
        A required column is missing or the columns differ in length.
    """
    n = table_length(table)
    missing = [c for c in PER_SIDE if c not in table]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(f"kinematics table: missing columns {shown}")
    out: Table = {}
    for c in KINEMATICS_COLUMNS:
        if c in table:
            a = np.asarray(table[c], dtype=np.float64).reshape(-1).copy()
            if a.shape[0] != n:
                raise InputError(
                    f"kinematics table: column {c!r} has {a.shape[0]} values, 'time_s' has {n}"
                )
            out[c] = a
    if "frame" not in out:
        out["frame"] = np.arange(n, dtype=np.float64)
    if "tracked" not in out:
        any_value = np.zeros(n, dtype=bool)
        for c in PER_SIDE:
            any_value |= np.isfinite(out[c])
        out["tracked"] = any_value.astype(np.float64)
    if "confidence" not in out:
        out["confidence"] = np.where(out["tracked"] > 0.5, 1.0, 0.0)
    untracked = ~(out["tracked"] > 0.5)
    for c in PER_SIDE:
        out[c][untracked] = np.nan
    return {c: out[c] for c in KINEMATICS_COLUMNS}


class KinematicsWriter:
    """Write ``kinematics.csv`` one row at a time (nothing but the open file is kept).

    Parameters
    ----------
    stream : text file opened for writing with ``newline=""``.

    Examples
    --------
    >>> with open(path, "w", newline="") as f:  # doctest: +SKIP
    ...     w = KinematicsWriter(f)
    ...     w.write_row(frame=1, time_s=0.0, tracked=True, confidence=0.9, values=values)
    """

    def __init__(self, stream: TextIO) -> None:
        self._w = csv.writer(stream, lineterminator="\n")
        self._w.writerow(KINEMATICS_COLUMNS)
        self.rows = 0

    def write_row(
        self,
        *,
        frame: int,
        time_s: float,
        tracked: bool,
        confidence: float,
        values: Iterable[float],
    ) -> None:
        """Append one frame.

        Parameters
        ----------
        frame : int
            RealSense frame number.
        time_s : float
            Seconds from the first frame.
        tracked : bool
            Whether the skeleton was fitted; when False every per-side cell is left empty.
        confidence : float
            Fit confidence in [0, 1] (empty when not finite).
        values : iterable of float, length ``len(per_side_columns())``
            Per-side values in column order (degrees, mm, metres); NaN gives an empty cell.
        """
        vals = list(values)
        if len(vals) != len(PER_SIDE):
            raise InputError(
                f"kinematics row of frame {frame}: {len(vals)} values, expected {len(PER_SIDE)}"
            )
        cells = [str(int(frame)), _cell(time_s, ".6f"), "1" if tracked else "0"]
        cells.append(_cell(confidence, ".4f"))
        cells.extend(_cell(v) if tracked else "" for v in vals)
        self._w.writerow(cells)
        self.rows += 1


def write_kinematics_csv(path: str | Path, table: Mapping[str, np.ndarray]) -> Path:
    """Write a whole kinematics table to ``path`` (see :func:`as_kinematics_table`)."""
    t = as_kinematics_table(table)
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as f:
        w = KinematicsWriter(f)
        per_side = np.stack([t[c] for c in PER_SIDE], axis=1)
        for i in range(table_length(t)):
            w.write_row(
                frame=int(t["frame"][i]),
                time_s=float(t["time_s"][i]),
                tracked=bool(t["tracked"][i] > 0.5),
                confidence=float(t["confidence"][i]),
                values=per_side[i],
            )
    return p


def read_kinematics_csv(path: str | Path) -> Table:
    """Read ``kinematics.csv`` into a table (empty cells -> NaN).

    The one parser of the file: :func:`kneesight.export.trialdir.load_trial` reads it through
    here too.

    Parameters
    ----------
    path : str or Path
        A ``kinematics.csv`` written by ``kneesight analyze`` (or :func:`write_kinematics_csv`).

    Returns
    -------
    dict of str to ndarray of float64, shape (N,)
        The columns of :data:`KINEMATICS_COLUMNS` (other columns of the file are ignored).

    Raises
    ------
    InputError
        The file is missing, not a CSV, lacks contract columns or has a malformed row (the
        message names the file and line).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: kinematics file not found")
    try:
        with p.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            first = next(reader, None)
            if first is None:
                raise InputError(f"{p}: empty file, expected a header row")
            header = [h.strip() for h in first]
            missing = [c for c in KINEMATICS_COLUMNS if c not in header]
            if missing:
                shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
                raise InputError(f"{p}: not a kinematics.csv, missing columns {shown}")
            rows = []
            for line_no, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise InputError(
                        f"{p}: line {line_no} has {len(row)} fields, expected {len(header)}"
                    )
                try:
                    rows.append([float(v) if v.strip() else math.nan for v in row])
                except ValueError as e:
                    raise InputError(f"{p}: line {line_no}: {e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not a text CSV file ({e})") from None
    data = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(header))
    return {c: data[:, header.index(c)].copy() for c in KINEMATICS_COLUMNS}
