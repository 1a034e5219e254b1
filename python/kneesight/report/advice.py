"""HTML of the guidance, referral, partial LESS and data-quality sections."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

from kneesight.export.flatten import flatten, humanize, numeric
from kneesight.export.trialdir import Trial, as_dict
from kneesight.report.fmt import SIDE_LABEL, References, fmt_value
from kneesight.report.sections import metrics_table

SCREENING_NOTE = (
    "This report is screening information, not a diagnosis. It describes how the knees moved "
    "during this landing; a clinician should interpret it together with an examination."
)


def _entry(x: Any) -> str:
    """One guidance entry: a ``{title, text, because}`` dict, a string, or anything else."""
    if isinstance(x, dict) and ("text" in x or "title" in x):
        title = f"<h4>{escape(str(x['title']))}</h4>" if x.get("title") else ""
        text = f"<p>{escape(str(x['text']))}</p>" if x.get("text") else ""
        because = x.get("because")
        why = ""
        if isinstance(because, list) and because:
            why = (
                '<p class="why">Because of: '
                + ", ".join(escape(humanize(str(b))) for b in because)
                + "</p>"
            )
        return f'<div class="advice">{title}{text}{why}</div>'
    if isinstance(x, str):
        return f"<p>{escape(x)}</p>"
    if isinstance(x, list):
        return "".join(_entry(e) for e in x)
    if isinstance(x, dict):
        return "".join(f"<h4>{escape(humanize(str(k)))}</h4>{_entry(v)}" for k, v in x.items())
    return f"<p>{escape(str(x))}</p>"


def guidance_section(summary: dict[str, Any]) -> str:
    """Guidance and referral from the analysis, under the screening (not a diagnosis) note."""
    g = summary.get("guidance")
    disclaimer = g.get("disclaimer") if isinstance(g, dict) else None
    out = [f'<p class="screening">{escape(str(disclaimer or SCREENING_NOTE))}</p>']
    if not g:
        out.append('<p class="na">The analysis gave no guidance for this trial.</p>')
        return "".join(out)
    if not isinstance(g, dict):
        return "".join([*out, _entry(g)])
    for k, v in g.items():
        if k in ("referral", "disclaimer"):
            continue
        title = "" if k in ("items", "texts", "text") else f"<h4>{escape(humanize(k))}</h4>"
        out.append(title + _entry(v))
    referral = g.get("referral")
    titled = isinstance(referral, list) and all(isinstance(r, dict) and r.get("title")
                                                for r in referral)  # fmt: skip
    out.append('<div class="referral">' + ("" if titled and referral else "<h3>Referral</h3>"))
    out.append(_entry(referral) if referral else "<p>No referral follows from this trial.</p>")
    out.append("</div>")
    return "".join(out)


def less_section(less: Any, refs: References) -> str:
    """The partial LESS: scored items (errors / max, value, criterion), total, unscored items."""
    if not less:
        return '<p class="na">No LESS items were scored for this trial.</p>'
    items = less.get("items") if isinstance(less, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        rows = "".join(
            f"<tr><td>{escape(humanize(it.key) or 'Value')}</td><td>{fmt_value(it.value)}</td></tr>"
            for it in flatten(less)
        )
        return f'<table class="kv"><tbody>{rows}</tbody></table>'
    out = []
    if less.get("note"):
        out.append(f'<p class="caption">{escape(str(less["note"]))}</p>')
    if items:
        out.append(
            '<table class="less"><thead><tr><th>Item</th><th class="num">Errors</th>'
            "<th>Measured</th><th>Criterion</th></tr></thead><tbody>"
        )
    for i in items:
        errors, mx = i.get("errors"), i.get("max")
        score = (
            '<span class="na">not scored</span>'
            if errors is None or i.get("scored") is False
            else f"{fmt_value(errors)}" + (f"/{fmt_value(mx)}" if mx is not None else "")
        )
        cls = "num out" if numeric(errors) else "num"
        name = i.get("item") or i.get("id") or i.get("name") or "item"
        out.append(
            f'<tr><td>{escape(humanize(str(name)))}</td><td class="{cls}">{score}</td>'
            f"<td>{_less_value(i.get('value'))}</td>"
            f'<td class="src">{escape(str(i.get("criterion") or ""))}</td></tr>'
        )
    if items:
        out.append("</tbody></table>")
    if less.get("score") is not None:
        total = f"{fmt_value(less.get('score'))}"
        if less.get("max_score") is not None:
            total += f" of {fmt_value(less.get('max_score'))}"
        out.append(f'<p class="total">Partial LESS errors: <b>{total}</b></p>')
    not_scored = less.get("not_scored")
    if isinstance(not_scored, dict) and not_scored:
        lis = "".join(
            f"<li>{escape(humanize(str(k)))}: {escape(str(v))}</li>" for k, v in not_scored.items()
        )
        out.append(f'<p class="caption">Not scored here:</p><ul class="small">{lis}</ul>')
    if less.get("source"):
        out.append(f'<p class="src">Source: {refs.cite(less["source"])}</p>')
    return "".join(out)


def _less_value(v: Any) -> str:
    if isinstance(v, dict):
        parts = []
        for it in flatten(v):
            label = humanize(it.key) if it.path else ""
            if it.side:
                label = (label + " " if label else "") + SIDE_LABEL[it.side].lower()
            parts.append(f"{escape(label)} {fmt_value(it.value, it.units)}".strip())
        return "<br>".join(parts)
    return fmt_value(v)


def _calibration(cal: Any) -> str:
    if isinstance(cal, dict):
        parts = [
            f"{escape(humanize(str(k)))}: {fmt_value(v)}"
            for k, v in cal.items()
            if not isinstance(v, dict | list)
        ]
        return "<br>".join(parts) or fmt_value(None, missing="not reported")
    return fmt_value(cal, missing="not reported")


def _filter(info: object) -> str:
    """The filter entry of a summary (older summaries have none)."""
    d = as_dict(info)
    if not d:
        return "not recorded"
    if d.get("cutoff_hz") is None:
        return "none: values as tracked"
    return f"{fmt_value(d['cutoff_hz'], 'Hz')} cutoff; {escape(str(d.get('method', '')))}"


def quality_section(trial: Trial) -> str:
    """Frames tracked and dropped, confidence, calibration, event methods, warnings."""
    s = trial.summary
    frames = as_dict(s.get("frames"))
    conf = trial.table["confidence"][trial.tracked]
    conf = conf[np.isfinite(conf)]
    total = frames.get("total", trial.n_frames)
    tracked = frames.get("tracked", int(trial.tracked.sum()))
    pct = ""
    if numeric(total) and numeric(tracked) is not None:
        pct = f" ({100.0 * float(tracked) / float(total):.0f} %)"
    intr = as_dict(as_dict(s.get("camera")).get("intrinsics"))
    rows = [
        ("Frames tracked", f"{fmt_value(tracked)} of {fmt_value(total)}{pct}"),
        ("Dropped frames (camera)", fmt_value(frames.get("dropped"), missing="not reported")),
        (
            "Tracking confidence (tracked frames)",
            f"mean {conf.mean():.2f}, minimum {conf.min():.2f}" if conf.size else fmt_value(None),
        ),
        ("Frame rate", fmt_value(trial.fps, "Hz")),
        ("Calibration used", _calibration(s.get("calibration"))),
        ("Low-pass filter", _filter(s.get("filter"))),
    ]
    if intr:
        size = f"{fmt_value(intr.get('width'))} × {fmt_value(intr.get('height'))} px"
        rows.append(("Depth stream", size))
    details = as_dict(s.get("event_details"))
    method = as_dict(details.get("method"))
    reasons = as_dict(details.get("reasons"))
    for key in (*method, *(k for k in reasons if k not in method)):
        text = method.get(key) or f"not found: {reasons.get(key)}"
        rows.append((f"{humanize(key)}: found by", escape(str(text))))
    rows.append(("Recording", fmt_value(s.get("recording"), missing="not named")))
    rows.append(("kneesight version", fmt_value(s.get("kneesight_version"), missing="unknown")))
    html = '<table class="kv"><tbody>' + "".join(
        f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows
    )
    dq = s.get("data_quality")
    dq_items = flatten(dq) if dq else []
    for it in dq_items:
        if it.path and it.side is None:
            value = fmt_value(it.value, it.units)
            html += f"<tr><td>{escape(humanize(it.key))}</td><td>{value}</td></tr>"
    html += "</tbody></table>"
    if any(it.side for it in dq_items):
        html += "<h4>Per side</h4>" + metrics_table(
            {"data_quality": dq}, References(), "data_quality", only_sided=True
        )
    warnings = s.get("warnings")
    if isinstance(warnings, list) and warnings:
        lis = "".join(f"<li>{escape(str(w))}</li>" for w in warnings)
        html += f'<h4>Warnings</h4><ul class="warnings">{lis}</ul>'
    return html
