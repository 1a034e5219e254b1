"""Shared fixtures: camera intrinsics and small RealSense recordings written by kneesight."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

import kneesight


def d435_intrinsics(width: int = 848, height: int = 480) -> kneesight.Intrinsics:
    """D435-like depth intrinsics (rectified: Brown-Conrady with zero coefficients)."""
    scale = width / 848
    return kneesight.Intrinsics(
        width, height, 421.7 * scale, 421.7 * scale, 423.9 * scale, 240.6 * (height / 480)
    )


def depth_images(n: int, height: int, width: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` distinct uint16 depth images (mm): a floor-like ramp, a blob, holes and noise."""
    rng = np.random.default_rng(seed)
    v, u = np.mgrid[0:height, 0:width]
    out = []
    for k in range(n):
        z = 2500.0 - 800.0 * v / height
        blob = ((u - width * (0.3 + 0.4 * k / max(n, 1))) / (0.1 * width)) ** 2 + (
            (v - height / 2) / (0.35 * height)
        ) ** 2 < 1
        z[blob] = 1800.0 + 60.0 * np.sin(u[blob] / 7.0)
        z += rng.normal(0.0, 8.0, z.shape)
        z[rng.random(z.shape) < 0.05] = 0.0
        img = np.clip(z, 0, 65535).astype(np.uint16)
        img[0, 0] = k  # a per-frame tag
        out.append(img)
    return out


WriteFn = Callable[..., Path]


@pytest.fixture
def write_recording(tmp_path: Path) -> WriteFn:
    """Write a recording with :class:`kneesight.io.RecordingWriter` and return its path.

    Call as ``write_recording(images, name="rec.db3", intrinsics=None, numbers=None, **kw)``;
    ``numbers`` are the frame numbers (default 1, 2, ...), other keywords go to the writer.
    """
    from kneesight.io import RecordingWriter

    def write(
        images: Sequence[np.ndarray],
        name: str = "rec.db3",
        intrinsics: kneesight.Intrinsics | None = None,
        numbers: Sequence[int] | None = None,
        **kw: object,
    ) -> Path:
        h, w = images[0].shape
        intr = intrinsics or d435_intrinsics(w, h)
        path = tmp_path / name
        with RecordingWriter(path, intr, **kw) as writer:  # type: ignore[arg-type]
            for k, img in enumerate(images):
                writer.write(img, frame_number=None if numbers is None else numbers[k])
        return path

    return write
