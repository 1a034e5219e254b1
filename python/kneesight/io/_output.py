"""Where a new recording is written, so that no existing file is ever destroyed by accident.

A new file name is reserved by creating it exclusively (so two writers cannot race for it). When
the caller explicitly allows overwriting an existing file, the new recording is written under a
hidden sibling name and only replaces the old file once it is complete: a failed or interrupted
write leaves the old recording untouched.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kneesight.errors import RecordingError

WRITE_SUFFIXES: tuple[str, ...] = (".db3", ".bag")
"""Extensions a writer accepts (whether the SDK writes ``.bag`` depends on its version)."""


class OutputFile:
    """A reserved output path for a recording.

    Parameters
    ----------
    path : str or Path
        The recording to create.
    overwrite : bool
        Replace an existing file (only once the new recording is complete).

    Attributes
    ----------
    path : Path
        The final name.
    write_path : Path
        The name the SDK writes to (``path`` itself, or a hidden sibling when overwriting).
    """

    def __init__(self, path: str | Path, overwrite: bool) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in WRITE_SUFFIXES:
            raise RecordingError(
                f"{self.path}: unsupported recording type {self.path.suffix or '(none)'!r}; "
                "name the file *.db3 (ROS2 rosbag2, what the RealSense SDK records)"
            )
        if not self.path.parent.is_dir():
            raise RecordingError(f"{self.path}: directory {self.path.parent} does not exist")
        if self.path.is_dir():
            raise RecordingError(f"{self.path}: is a directory")
        self._temporary = False
        if self.path.exists():
            if not overwrite:
                raise RecordingError(
                    f"{self.path}: the file exists; refusing to overwrite it "
                    "(pass overwrite=True to replace it)"
                )
            token = secrets.token_hex(4)
            self.write_path = self.path.with_name(
                f".{self.path.stem}.partial-{token}{self.path.suffix}"
            )
            self._temporary = True
        else:
            self.write_path = self.path
        self._reserve(self.write_path)

    @staticmethod
    def _reserve(p: Path) -> None:
        try:
            fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise RecordingError(
                f"{p}: the file appeared while preparing to write it; refusing to overwrite it"
            ) from None
        except OSError as e:
            raise RecordingError(f"{p}: cannot create the file: {e.strerror}") from None
        os.close(fd)

    def check_written(self) -> int:
        """Size in bytes of the written file; RecordingError if it is missing or empty."""
        p = self.write_path
        if not p.is_file():
            raise RecordingError(f"{self.path}: the SDK did not write the recording")
        size = p.stat().st_size
        if size == 0:
            raise RecordingError(f"{self.path}: the SDK wrote an empty file")
        return size

    def commit(self) -> None:
        """Put the complete recording in place (replacing the old file when overwriting)."""
        self.check_written()
        if self._temporary:
            os.replace(self.write_path, self.path)
            self.write_path = self.path
            self._temporary = False

    def discard(self) -> None:
        """Delete what this writer made (the reserved file or hidden partial file: nobody
        else's, since the name was created exclusively) and the SDK's SQLite side files."""
        p = self.write_path
        for q in (p, *(Path(str(p) + side) for side in ("-journal", "-wal", "-shm"))):
            try:
                q.unlink(missing_ok=True)
            except OSError:
                pass

    @property
    def replaces_existing(self) -> bool:
        """Whether the recording is written aside and will replace an existing file."""
        return self._temporary
