"""Output paths of the exports: never overwrite a file unless asked to."""

from __future__ import annotations

from pathlib import Path

from kneesight.errors import InputError


def check_writable(path: str | Path, overwrite: bool) -> Path:
    """Check that ``path`` may be written.

    Parameters
    ----------
    path : str or Path
        Output file.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        ``path`` exists and ``overwrite`` is False, or its directory does not exist.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise InputError(f"{p}: exists; refusing to overwrite it (use --overwrite)")
    if p.exists() and p.is_dir():
        raise InputError(f"{p}: is a directory, expected a file path")
    if not p.parent.is_dir():
        raise InputError(f"{p.parent}: output directory not found")
    return p
