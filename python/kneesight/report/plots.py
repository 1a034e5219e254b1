"""Report figures (matplotlib, Agg backend) as inline PNG data URIs.

- :func:`time_series_png`: left and right time series of the valgus components with the landing
  events marked and the untracked frames shaded;
- :func:`comparison_png`: left/right comparison of the peaks of the summary.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kneesight.export.flatten import Item, flatten, humanize, numeric  # noqa: E402
from kneesight.export.trialdir import Trial  # noqa: E402

SIDE_COLOURS = {"l": "#1f6fb4", "r": "#d1432b"}
SIDE_NAMES = {"l": "Left", "r": "Right"}

TIME_SERIES: tuple[tuple[str, str, str], ...] = (
    ("hip_internal_rotation", "Hip internal rotation", "deg"),
    ("hip_adduction", "Hip adduction", "deg"),
    ("knee_valgus", "Knee valgus (abduction)", "deg"),
    ("knee_flexion", "Knee flexion", "deg"),
    ("fppa", "Frontal-plane projection angle (FPPA)", "deg"),
    ("arch_height_mm", "Arch height", "mm"),
)
"""Quantity, title and units of each time-series panel, in reading order."""

EVENT_STYLE: dict[str, tuple[str, str]] = {
    "initial_contact_s": ("IC", "#2b2b2b"),
    "peak_knee_flexion_s": ("PKF", "#7a3db8"),
    "take_off_s": ("TO", "#2b8a3e"),
    "second_contact_s": ("SC", "#8a6d2b"),
}
"""Short label and colour of each landing event line."""

VALGUS_WORDS = ("adduction", "rotation", "valgus", "fppa", "projection")
"""Words of a peak's label that put it among the valgus components of the comparison chart."""

EVENT_NAMES = {
    "initial_contact_s": "initial contact",
    "peak_knee_flexion_s": "peak knee flexion",
    "take_off_s": "take-off",
    "second_contact_s": "second contact",
}

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.grid": True,
        "grid.color": "#e3e6ea",
        "grid.linewidth": 0.7,
        "axes.edgecolor": "#9aa3ad",
        "xtick.color": "#4a525a",
        "ytick.color": "#4a525a",
        "axes.labelcolor": "#333a41",
    }
)


def png_data_uri(fig: Figure, dpi: int = 110) -> str:
    """Render a figure to a ``data:image/png;base64,...`` URI and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _untracked_spans(t: np.ndarray, tracked: np.ndarray) -> list[tuple[float, float]]:
    """Time spans (start, end) of runs of untracked rows, half a frame wide at each end."""
    spans = []
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    i = 0
    while i < t.size:
        if tracked[i]:
            i += 1
            continue
        j = i
        while j + 1 < t.size and not tracked[j + 1]:
            j += 1
        spans.append((t[i] - dt / 2, t[j] + dt / 2))
        i = j + 1
    return spans


def time_series_png(trial: Trial) -> str:
    """Left and right time series of the valgus components with landing events marked.

    Parameters
    ----------
    trial : Trial

    Returns
    -------
    str
        PNG data URI of a 3 x 2 panel figure (hip internal rotation, hip adduction, knee valgus,
        knee flexion, FPPA, arch height).
    """
    t = trial.time_s
    events = trial.events()
    spans = _untracked_spans(t, trial.tracked)
    fig, axes = plt.subplots(3, 2, figsize=(11, 8.2), sharex=True, layout="constrained")
    for ax, (quantity, title, units) in zip(axes.flat, TIME_SERIES, strict=True):
        for a, b in spans:
            ax.axvspan(a, b, color="#d5d9de", alpha=0.6, lw=0)
        any_data = False
        for side in ("l", "r"):
            y = trial.series(quantity, side)
            if np.isfinite(y).any():
                any_data = True
            # left drawn wider underneath: equal left and right values stay visible as two
            ax.plot(t, y, color=SIDE_COLOURS[side], lw=3.2 if side == "l" else 1.5,
                    label=SIDE_NAMES[side])  # fmt: skip
        if not any_data:
            ax.set_yticks([])
            ax.text(
                0.5,
                0.5,
                "not measured",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#7a828a",
                fontsize=11,
            )
        span = float(t[-1] - t[0]) or 1.0
        previous, level = -np.inf, 0
        for key, time in sorted(events.items(), key=lambda kv: kv[1]):
            label, colour = EVENT_STYLE[key]
            ax.axvline(time, color=colour, lw=1.0, ls="--", alpha=0.85)
            level = level + 1 if time - previous < 0.05 * span else 0  # stagger close labels
            previous = time
            ax.annotate(
                label,
                (time, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2 - 9 * level),
                textcoords="offset points",
                va="top",
                ha="left",
                fontsize=7.5,
                color=colour,
                fontweight="bold",
            )
        ax.set_title(title)
        ax.set_ylabel("mm" if units == "mm" else "degrees")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    handles: list[Any] = [plt.Line2D([], [], color=SIDE_COLOURS[s], lw=2) for s in ("l", "r")]
    labels = [SIDE_NAMES[s] for s in ("l", "r")]
    if spans:
        handles.append(plt.Rectangle((0, 0), 1, 1, color="#d5d9de"))
        labels.append("not tracked")
    for key in events:
        short, colour = EVENT_STYLE[key]
        handles.append(plt.Line2D([], [], color=colour, lw=1, ls="--"))
        labels.append(f"{short}: {EVENT_NAMES[key]}")
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    return png_data_uri(fig)


def side_pairs(items: list[Item]) -> list[tuple[str, str, float | None, float | None]]:
    """Numeric per-side items paired by key: (label, units, left, right), document order."""
    pairs: dict[str, dict[str, Any]] = {}
    for it in items:
        v = numeric(it.value)
        if it.side is None or v is None:
            continue
        p = pairs.setdefault(it.key, {"label": it.label or humanize(it.key), "units": it.units})
        p[it.side] = v
    return [(p["label"], p["units"], p.get("l"), p.get("r")) for p in pairs.values()]


def comparison_png(summary: dict[str, Any]) -> str | None:
    """Left/right comparison of the per-side peaks in ``summary["peaks"]``.

    Parameters
    ----------
    summary : dict
        Parsed ``summary.json``.

    Returns
    -------
    str or None
        PNG data URI of a horizontal grouped bar chart (angles in degrees; other units in their
        own panel), or None when the summary has no numeric per-side peaks.
    """
    pairs = side_pairs(flatten(summary.get("peaks")))
    if not pairs:
        return None
    angles = [p for p in pairs if p[1] in ("deg", "")]
    valgus = [p for p in angles if any(w in p[0].lower() for w in VALGUS_WORDS)]
    sagittal = [p for p in angles if p not in valgus]
    other = [p for p in pairs if p[1] not in ("deg", "")]
    groups = [
        (kind, title, rows)
        for kind, title, rows in (
            ("deg", "Valgus components (frontal and transverse plane)", valgus),
            ("deg", "Sagittal plane", sagittal),
            ("other", "Other", other),
        )
        if rows
    ]
    heights = [max(1.2, 0.42 * len(g[2]) + 0.7) for g in groups]
    fig, axes = plt.subplots(
        len(groups),
        1,
        figsize=(11, sum(heights) + 0.5),
        layout="constrained",
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, (kind, title, rows) in zip(axes[:, 0], groups, strict=True):
        y = np.arange(len(rows))[::-1].astype(float)
        for k, side in enumerate(("l", "r")):
            vals = [r[2 + k] for r in rows]
            pos = y + (0.2 if side == "l" else -0.2)
            ax.barh(
                pos,
                [np.nan if v is None else v for v in vals],
                height=0.38,
                color=SIDE_COLOURS[side],
                label=SIDE_NAMES[side],
            )
            for yy, v, r in zip(pos, vals, rows, strict=True):
                text = (
                    "n/a"
                    if v is None
                    else f"{v:.1f}" + ("°" if r[1] in ("deg", "") else f" {r[1]}")
                )
                ax.annotate(
                    text,
                    (0 if v is None else max(v, 0), yy),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                )
        ax.set_yticks(y, [r[0] + ("" if r[1] in ("deg", "") else f" ({r[1]})") for r in rows])
        ax.axvline(0, color="#9aa3ad", lw=0.8)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("degrees" if kind == "deg" else "value")
        ax.margins(x=0.15)
        ax.set_title(title)
    fig.suptitle("Peaks during the first landing, left vs right", x=0.01, ha="left",
                 fontweight="bold", fontsize=11)  # fmt: skip
    axes[0, 0].legend(loc="lower right", frameon=False)
    return png_data_uri(fig)
