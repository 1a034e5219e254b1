"""Access to pyrealsense2 and translation of its errors into kneesight's.

The SDK reports every failure as a ``RuntimeError`` whose text carries the reason after a long
preamble; :func:`sdk_reason` keeps the reason and :func:`classify` says what it means for a
recording file.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

from kneesight.errors import RecordingError

READ_SUFFIXES: tuple[str, ...] = (".db3", ".bag")
"""Recording formats the SDK plays back: ROS2 rosbag2 (SQLite) and ROS1 rosbag."""


def rs() -> ModuleType:
    """The ``pyrealsense2`` module, or a RecordingError saying it is missing."""
    try:
        import pyrealsense2  # type: ignore[import-untyped]
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise RecordingError(
            f"pyrealsense2 (the RealSense SDK) cannot be imported: {e}; "
            "install it with `pip install pyrealsense2`"
        ) from None
    return pyrealsense2


def sdk_version() -> str:
    """Version of the installed pyrealsense2."""
    return str(getattr(rs(), "__version__", "unknown"))


def sdk_reason(err: BaseException) -> str:
    """The informative part of an SDK error message."""
    text = str(err).strip()
    m = re.search(r"Reason:\s*(.*)$", text, flags=re.S)
    return (m.group(1) if m else text).strip()


def classify(reason: str) -> str:
    """A plain statement of what an SDK failure to open a recording means."""
    low = reason.lower()
    if "does not exist" in low:
        return "the file does not exist"
    if "malformed" in low or "truncat" in low or "unexpected end" in low:
        return "the recording is truncated or corrupted"
    if (
        "not a database" in low
        or "version line" in low
        or "no such table" in low
        or "ros reader" in low
        or "invalid" in low
    ):
        return "the file is not a RealSense recording"
    return "the recording cannot be read"


def check_readable(path: str | Path) -> Path:
    """Check that ``path`` names an existing file with a playable extension.

    Raises
    ------
    RecordingError
        Missing file, a directory, or an extension other than ``.db3`` / ``.bag``.
    """
    p = Path(path)
    if p.suffix.lower() not in READ_SUFFIXES:
        raise RecordingError(
            f"{p}: unsupported recording type {p.suffix or '(no extension)'!r}; "
            f"RealSense recordings end in {' or '.join(READ_SUFFIXES)}"
        )
    if not p.exists():
        raise RecordingError(f"{p}: the file does not exist")
    if not p.is_file():
        raise RecordingError(f"{p}: not a file")
    if p.stat().st_size == 0:
        raise RecordingError(f"{p}: the file is empty (a recording that was never written)")
    return p
