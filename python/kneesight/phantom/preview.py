"""A PNG contact sheet of depth frames a person can look at."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kneesight.errors import RecordingError


def contact_sheet(
    frames: Sequence[tuple[int, np.ndarray]],
    path: str | Path,
    *,
    depth_scale: float = 0.001,
    columns: int = 4,
    overwrite: bool = False,
    title: str | None = None,
) -> Path:
    """Write depth frames as a colour-mapped grid with their frame numbers.

    Parameters
    ----------
    frames : sequence of (frame_number, depth)
        ``depth`` is uint16 of shape (H, W) in depth units (0 = no data, drawn black).
    path : str or Path
        PNG to write.
    depth_scale : float
        Metres per depth unit.
    columns : int
        Tiles per row.
    overwrite : bool
        Replace an existing file.
    title : str, optional

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = Path(path)
    if p.exists() and not overwrite:
        raise RecordingError(f"{p} exists; pass overwrite to replace it")
    if not frames:
        raise RecordingError(f"no frames to draw into {p}")
    valid = np.concatenate([d[d > 0].ravel()[::97] for _, d in frames]).astype(float) * depth_scale
    lo, hi = np.percentile(valid, [1, 99]) if valid.size else (0.0, 1.0)
    cols = max(1, min(columns, len(frames)))
    rows = -(-len(frames) // cols)
    h, w = frames[0][1].shape
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows * h / w + 0.4),
                             squeeze=False)  # fmt: skip
    cmap = matplotlib.colormaps["turbo"].with_extremes(bad="black")
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (number, depth) in zip(axes.ravel(), frames, strict=False):
        m = np.ma.masked_equal(depth, 0).astype(float) * depth_scale
        ax.imshow(m, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(f"frame {number}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return p
