"""HTML fragments of the report: metrics table, flags, guidance, LESS and data quality.

Everything from ``summary.json`` is rendered generically (label, value, normal range, source
where given) and escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

from kneesight.export.flatten import Item, flatten, humanize, numeric
from kneesight.export.trialdir import Trial

SIDE_LABEL = {"l": "Left", "r": "Right", "left": "Left", "right": "Right"}
DEGREE_UNITS = ("deg", "degree", "degrees", "°")
SCREENING_NOTE = (
    "This report is screening information, not a diagnosis. It describes how the knees moved "
    "during this landing; a clinician should interpret it together with an examination."
)


def fmt_value(value: Any, units: str = "", missing: str = "not measured") -> str:
    """A value with its units as escaped HTML; missing values read ``missing``."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return f'<span class="na">{escape(missing)}</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    v = numeric(value)
    if v is not None:
        if isinstance(value, int):
            text = str(value)
        else:
            digits = 0 if float(v).is_integer() and abs(v) >= 10 else (2 if abs(v) < 1 else 1)
            text = f"{v:.{digits}f}"
        if units in DEGREE_UNITS:
            return f"{text}°"
        return f"{text}&nbsp;{escape(units)}" if units else text
    if isinstance(value, list):
        return escape(", ".join(str(x) for x in value))
    return escape(str(value))


def fmt_range(normal: Any, units: str = "") -> str:
    """A normal range: ``[lo, hi]`` (either may be null), ``{"female": [...], ...}``, or text."""
    if normal is None:
        return ""
    if isinstance(normal, dict):
        parts = [f"{escape(humanize(str(k)))} {fmt_range(v, units)}" for k, v in normal.items()]
        return "<br>".join(parts)
    if isinstance(normal, list | tuple) and len(normal) == 2:
        lo, hi = (numeric(x) for x in normal)
        unit = "°" if units in DEGREE_UNITS else (f"&nbsp;{escape(units)}" if units else "")
        if lo is not None and hi is not None:
            return f"{lo:g}–{hi:g}{unit}"
        if lo is not None:
            return f"≥&nbsp;{lo:g}{unit}"
        if hi is not None:
            return f"≤&nbsp;{hi:g}{unit}"
        return ""
    return escape(str(normal))


def outside(value: Any, normal: Any) -> bool:
    """True when a numeric value is outside a plain ``[lo, hi]`` range."""
    v = numeric(value)
    if v is None or not isinstance(normal, list | tuple) or len(normal) != 2:
        return False
    lo, hi = (numeric(x) for x in normal)
    return (lo is not None and v < lo) or (hi is not None and v > hi)


def _value_cell(item: Item | None, colspan: int = 1) -> str:
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    if item is None:
        return f'<td class="num"{span}><span class="na">–</span></td>'
    cls = "num out" if outside(item.value, item.normal) else "num"
    return f'<td class="{cls}"{span}>{fmt_value(item.value, item.units)}</td>'


def metrics_table(summary: dict[str, Any]) -> str:
    """The metrics of ``summary["metrics"]`` as a table: metric, left, right, normal, source."""
    items = flatten(summary.get("metrics"))
    rows: dict[tuple[str, ...], dict[str, Item]] = {}
    for it in items:
        if it.path:
            rows.setdefault(it.path, {})[it.side or "-"] = it
    if not rows:
        return '<p class="na">The analysis reported no metrics for this trial.</p>'
    out = [
        '<table class="metrics"><thead><tr><th>Metric</th><th class="num">Left</th>'
        '<th class="num">Right</th><th>Normal range</th><th>Source</th></tr></thead><tbody>'
    ]
    group = None
    for path, by_side in rows.items():
        head, rest = (path[0], path[1:]) if len(path) > 1 else ("", path)
        if head != group:
            group = head
            if head:
                out.append(f'<tr class="group"><th colspan="5">{escape(humanize(head))}</th></tr>')
        any_item = next(iter(by_side.values()))
        label = any_item.label or humanize(".".join(rest))
        cells = (
            _value_cell(by_side["-"], 2)
            if "-" in by_side and len(by_side) == 1
            else _value_cell(by_side.get("l")) + _value_cell(by_side.get("r"))
        )
        normal = next((i.normal for i in by_side.values() if i.normal is not None), None)
        source = next((i.source for i in by_side.values() if i.source), "")
        out.append(
            f"<tr><td>{escape(label)}</td>{cells}<td>{fmt_range(normal, any_item.units)}</td>"
            f'<td class="src">{escape(source)}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def flags_section(summary: dict[str, Any], tracked_any: bool = True) -> str:
    """The screening flags as cards: side, message, value vs threshold, source.

    ``tracked_any=False`` (no frame tracked) says no flag could be evaluated rather than that
    none was raised.
    """
    flags = summary.get("flags")
    if (not isinstance(flags, list) or not flags) and not tracked_any:
        return (
            '<p class="na">No flag could be evaluated: the skeleton was not tracked in any '
            "frame of this recording.</p>"
        )
    if not isinstance(flags, list) or not flags:
        return (
            '<p class="ok-note">No screening flag was raised: the measured values are within '
            "the published thresholds the analysis checks.</p>"
        )
    out = ['<ul class="flags">']
    for f in flags:
        if not isinstance(f, dict):
            out.append(f"<li>{escape(str(f))}</li>")
            continue
        side = SIDE_LABEL.get(str(f.get("side") or "").lower(), "")
        units = str(f.get("units") or "")
        msg = f.get("message") or humanize(str(f.get("id", "flag")))
        value = fmt_value(f.get("value"), units) if "value" in f else ""
        thr = f.get("threshold")
        thr_text = fmt_range(thr, units) if isinstance(thr, list | dict) else fmt_value(thr, units)
        detail = []
        if value:
            detail.append(f"measured <b>{value}</b>")
        if thr is not None:
            detail.append(f"threshold {thr_text}")
        source = f.get("source")
        out.append(
            '<li class="flag">'
            + (f'<span class="side side-{escape(side.lower())}">{side}</span>' if side else "")
            + f'<span class="msg">{escape(str(msg))}</span>'
            + (f'<span class="detail">{" · ".join(detail)}</span>' if detail else "")
            + (f'<span class="src">Source: {escape(str(source))}</span>' if source else "")
            + "</li>"
        )
    out.append("</ul>")
    return "".join(out)


def _text_block(obj: Any) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return f"<p>{escape(obj)}</p>"
    if isinstance(obj, list):
        return "<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in obj) + "</ul>"
    if isinstance(obj, dict):
        return "".join(
            f"<h4>{escape(humanize(str(k)))}</h4>{_text_block(v)}" for k, v in obj.items()
        )
    return f"<p>{escape(str(obj))}</p>"


def _inline(x: Any) -> str:
    if isinstance(x, dict):
        text = x.get("text") or x.get("message") or x.get("title")
        if text is not None:
            rest = {k: v for k, v in x.items() if k not in ("text", "message", "title")}
            extra = "; ".join(f"{humanize(k)}: {v}" for k, v in rest.items() if v)
            return escape(str(text)) + (
                f' <span class="src">({escape(extra)})</span>' if extra else ""
            )
        return _text_block(x)
    return escape(str(x))


def guidance_section(summary: dict[str, Any]) -> str:
    """Guidance texts and the referral, always under the screening note."""
    g = summary.get("guidance")
    out = [f'<p class="screening">{escape(SCREENING_NOTE)}</p>']
    if g is None or g == {} or g == []:
        out.append('<p class="na">The analysis gave no guidance for this trial.</p>')
        return "".join(out)
    if isinstance(g, dict):
        referral = g.get("referral")
        for k, v in g.items():
            if k == "referral":
                continue
            title = "" if k in ("texts", "text") else f"<h4>{escape(humanize(k))}</h4>"
            out.append(title + _text_block(v))
        if referral:
            out.append('<div class="referral"><h4>Referral</h4>' + _text_block(referral) + "</div>")
    else:
        out.append(_text_block(g))
    return "".join(out)


def key_value_table(obj: Any, empty: str, units: bool = True) -> str:
    """Any summary section as a two-column table of flattened keys and values.

    ``units=False`` shows bare values (e.g. LESS item scores, whose names look like angles).
    """
    items = [it for it in flatten(obj) if it.path or it.value is not None]
    if not items:
        return f'<p class="na">{escape(empty)}</p>'
    rows = []
    for it in items:
        label = it.label or humanize(it.key) or "Value"
        if it.side:
            label += f" ({SIDE_LABEL[it.side].lower()})"
        value = fmt_value(it.value, it.units if units else "")
        rows.append(f"<tr><td>{escape(label)}</td><td>{value}</td></tr>")
    return '<table class="kv"><tbody>' + "".join(rows) + "</tbody></table>"


def quality_section(trial: Trial) -> str:
    """Frames tracked and dropped, confidence, calibration, camera and recording."""
    s = trial.summary
    frames = s.get("frames") if isinstance(s.get("frames"), dict) else {}
    conf = trial.table["confidence"][trial.tracked]
    conf = conf[np.isfinite(conf)]
    total = frames.get("total", trial.n_frames)
    tracked = frames.get("tracked", int(trial.tracked.sum()))
    pct = ""
    if numeric(total) and numeric(tracked) is not None:
        pct = f" ({100.0 * float(tracked) / float(total):.0f} %)"
    cam = s.get("camera") if isinstance(s.get("camera"), dict) else {}
    intr = cam.get("intrinsics") if isinstance(cam.get("intrinsics"), dict) else {}
    rows = [
        ("Frames tracked", f"{fmt_value(tracked)} of {fmt_value(total)}{pct}"),
        ("Dropped frames (camera)", fmt_value(frames.get("dropped"), missing="not reported")),
        (
            "Tracking confidence (tracked frames)",
            f"mean {conf.mean():.2f}, minimum {conf.min():.2f}" if conf.size else fmt_value(None),
        ),
        ("Frame rate", fmt_value(trial.fps, "Hz")),
        ("Calibration used", _calibration(s.get("calibration"))),
        ("Recording", fmt_value(s.get("recording"), missing="not named")),
    ]
    if intr:
        rows.append(
            ("Depth stream", f"{fmt_value(intr.get('width'))} × {fmt_value(intr.get('height'))} px")
        )
    rows.append(("kneesight version", fmt_value(s.get("kneesight_version"), missing="unknown")))
    html = '<table class="kv"><tbody>' + "".join(
        f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows
    )
    html += "</tbody></table>"
    dq = s.get("data_quality")
    if dq:
        html += "<h4>Analysis notes</h4>" + key_value_table(dq, "")
    return html


def _calibration(cal: Any) -> str:
    if isinstance(cal, dict):
        return "<br>".join(
            f"{escape(humanize(str(k)))}: {fmt_value(v)}"
            for k, v in cal.items()
            if not isinstance(v, dict | list)
        ) or fmt_value(None, missing="not reported")
    return fmt_value(cal, missing="not reported")
