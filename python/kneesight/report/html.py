"""The report page: pictures first, then metrics, flags, guidance, LESS and data quality."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from kneesight.export.trialdir import Trial
from kneesight.report import advice, plots, sections
from kneesight.report.fmt import References
from kneesight.report.skeleton import Snapshot, snapshots
from kneesight.report.style import CSS, IMAGE_CHECK_JS


def _snapshot_figure(s: Snapshot) -> str:
    if s.uri is not None:
        return (
            f'<figure><img src="{s.uri}" alt="Skeleton over the depth image, {escape(s.title)}">'
            f"<figcaption>{escape(s.title)}</figcaption></figure>"
        )
    return (
        f'<figure><div class="missing"><b>{escape(s.title)}</b>'
        f"<span>No picture: {escape(s.reason)}.</span></div></figure>"
    )


def _card(key: str, value: str, alert: bool = False) -> str:
    cls = "card alert" if alert else "card"
    return (
        f'<div class="{cls}"><div class="k">{escape(key)}</div><div class="v">{value}</div></div>'
    )


def _strip(trial: Trial) -> str:
    flags = trial.summary.get("flags")
    n_flags = len(flags) if isinstance(flags, list) else 0
    ev = trial.events()

    def t(key: str) -> str:
        return f"{ev[key]:.3f}&nbsp;s" if key in ev else '<span class="na">not found</span>'

    tracked, total = int(trial.tracked.sum()), trial.n_frames
    return (
        '<div class="strip">'
        + _card(
            "Screening flags",
            str(n_flags) if trial.tracked.any() else '<span class="na">n/a</span>',
            alert=n_flags > 0,
        )
        + _card("Initial contact", t("initial_contact_s"))
        + _card("Peak knee flexion", t("peak_knee_flexion_s"))
        + _card("Frames tracked", f"{tracked}/{total}", alert=tracked < 0.9 * total)
        + "</div>"
    )


def render(trial: Trial) -> str:
    """The complete self-contained report page of a trial (HTML text).

    Parameters
    ----------
    trial : Trial

    Returns
    -------
    str
        HTML with inline CSS, inline PNG images and no external resources.
    """
    s = trial.summary
    name = trial.directory.resolve().name
    version = s.get("kneesight_version", "")
    recording = s.get("recording")
    rec_name = Path(str(recording)).name if recording else "unknown recording"
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    snaps = "".join(_snapshot_figure(x) for x in snapshots(trial))
    series = plots.time_series_png(trial)
    compare = plots.comparison_png(s)
    compare_html = (
        f'<figure class="wide"><img src="{compare}" alt="Left versus right peaks"></figure>'
        if compare
        else '<p class="na">The analysis reported no per-side peaks to compare.</p>'
    )
    landing = s.get("landing") if isinstance(s.get("landing"), dict) else {}
    if landing.get("kind") == "single-leg" and landing.get("note"):
        compare_html = f'<p class="caption">{escape(str(landing["note"]).capitalize())}.</p>' + (
            compare_html
        )
    refs = References()
    flags_html = sections.flags_section(s, refs, bool(trial.tracked.any()))
    checks_html = sections.checks_table(s, refs)
    metrics_html = sections.metrics_table(s, refs)
    less_html = advice.less_section(s.get("less"), refs)
    legend = (
        '<span class="legend-dot" style="background:var(--left)"></span>left'
        '<span class="legend-dot" style="background:var(--right)"></span>right'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kneesight report: {escape(name)}</title>
<style>{CSS}</style>
<script>{IMAGE_CHECK_JS}</script>
</head><body>
<header class="top"><div><h1>Landing screening report</h1>
<p class="sub">Trial <b>{escape(name)}</b> · {escape(rec_name)} · generated {when}
 · kneesight {escape(str(version))}</p></div>
<div class="badge">Screening information, not a diagnosis</div></header>
{_strip(trial)}
<section id="skeleton"><h2>Knee alignment at landing (front view)</h2>
<div class="snaps">{snaps}</div>
<p class="caption">Fitted hip–knee–ankle skeleton ({legend}) over the depth image as the camera
saw it (nearer is lighter); the subject's right leg is on the left of the picture. The dashed yellow
line joins hip and ankle: a knee falling inside it is moving into valgus ("caving in").</p>
</section>
<section id="timeseries"><h2>Joint angles through the landing</h2>
<figure class="wide"><img src="{series}" alt="Time series of hip and knee angles, FPPA and arch
height, left and right"></figure>
<p class="caption">Positive values: hip internal rotation, hip adduction, knee valgus, knee
flexion, FPPA toward valgus. Grey bands: frames where the skeleton was not tracked (no values
are shown there).</p></section>
<section id="compare"><h2>Left vs right</h2>{compare_html}</section>
<section id="flags"><h2>Screening flags</h2>{flags_html}</section>
<section id="checks"><h2>Measurements against published thresholds</h2>
<p class="caption">Every screening check of the analysis, raised (red, ▲) or not, with the normal
range or threshold it uses and its source.</p>{checks_html}</section>
<section id="guidance"><h2>Guidance</h2>{advice.guidance_section(s)}</section>
<section id="metrics"><h2>All measurements</h2>{metrics_html}</section>
<section id="less"><h2>Landing Error Scoring System (partial)</h2>
<p class="caption">Only the LESS items a lower-body skeleton can score; not a full LESS.</p>
{less_html}</section>
<section id="quality"><h2>Data quality</h2>{advice.quality_section(trial)}</section>
<section id="references"><h2>References</h2>{refs.html() or '<p class="na">None cited.</p>'}
</section>
<footer>kneesight {escape(str(version))} · {escape(str(recording or "recording not named"))}
 · {escape(str(trial.directory.resolve()))}<br>{escape(advice.SCREENING_NOTE)}</footer>
</body></html>
"""


def write_html(trial: Trial, path: str | Path) -> Path:
    """Render the report of ``trial`` and write it to ``path`` (UTF-8).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.write_text(render(trial), encoding="utf-8")
    return path
