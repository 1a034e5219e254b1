"""Published anthropometric tables shipped in ``calibration/`` (segment proportions, girths).

The tables live in ``calibration/anthropometry/de_leva_1996.json`` with their sources; this
module only loads them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from kneesight.errors import CalibrationError

SEXES: tuple[str, str] = ("female", "male")
"""Sexes with published segment proportions."""


def calibration_dir() -> Path:
    """The repository's ``calibration/`` directory (shipped camera profiles and tables)."""
    return Path(__file__).resolve().parents[3] / "calibration"


def load_json(relative: str) -> dict[str, Any]:
    """Load a JSON file under ``calibration/``.

    Raises
    ------
    CalibrationError
        The file is missing or not valid JSON (the message names the file).
    """
    path = calibration_dir() / relative
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError as e:
        raise CalibrationError(f"calibration table not found: {path}") from e
    except json.JSONDecodeError as e:
        raise CalibrationError(f"calibration table {path} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise CalibrationError(f"calibration table {path} must hold a JSON object")
    return data


@cache
def de_leva() -> dict[str, Any]:
    """The de Leva (1996) segment table with breadths, girths and foot proportions."""
    return load_json("anthropometry/de_leva_1996.json")


def segment_ratio(segment: str, sex: str) -> float:
    """Segment length divided by stature for the mean adult of ``sex`` (de Leva 1996).

    Parameters
    ----------
    segment : str
        A segment of the table (``"thigh"``, ``"shank"``, ``"foot"``, ``"trunk"``, ...).
    sex : {"female", "male"}
    """
    table = de_leva()
    try:
        length = float(table["segments"][segment]["length_mm"][sex])
        stature = float(table["reference_stature_mm"][sex])
    except KeyError as e:
        raise CalibrationError(f"de Leva table has no {segment!r} length for {sex!r}") from e
    return length / stature
