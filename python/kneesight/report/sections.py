"""HTML of the measurement sections: screening checks, all metrics, and flags.

Everything comes from ``summary.json`` and is rendered generically: a check is shown with its
value(s), normal range or threshold and source as the analysis gives them; metrics are walked
with :func:`kneesight.export.flatten.flatten`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from kneesight.export.flatten import Item, flatten, humanize, numeric
from kneesight.export.trialdir import as_dict
from kneesight.report.fmt import (
    SIDE_LABEL,
    References,
    fmt_range,
    fmt_threshold,
    fmt_value,
    outside,
)


def _check_range(c: dict[str, Any]) -> str:
    units = str(c.get("units") or "")
    rng = c.get("normal_range", c.get("normal"))
    if rng is not None:
        text = fmt_range(rng, units)
        return text + (f" ({escape(str(c['sex']))})" if c.get("sex") else "")
    return fmt_threshold(c.get("comparison"), c.get("threshold"), units)


def _check_cell(c: dict[str, Any] | None, colspan: int = 1) -> str:
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    if c is None:
        return f'<td class="num"{span}><span class="na">–</span></td>'
    missing = str(c.get("not_evaluated") or "not measured")
    cls = "num out" if c.get("fired") else "num"
    mark = ' <span class="mark" title="flag raised">▲</span>' if c.get("fired") else ""
    return f'<td class="{cls}"{span}>{fmt_value(c.get("value"), str(c.get("units") or ""), missing)}{mark}</td>'  # noqa: E501


def checks_table(summary: dict[str, Any], refs: References) -> str:
    """Every screening check (fired or not): value per side beside its normal range and source.

    Parameters
    ----------
    summary : dict
        Parsed ``summary.json``; uses ``checks`` (else the fired ``flags``).
    refs : References
        Collects the cited sources.
    """
    checks = summary.get("checks")
    if not isinstance(checks, list) or not checks:
        flags = summary.get("flags")
        checks = flags if isinstance(flags, list) else []
    rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for c in checks:
        if not isinstance(c, dict):
            continue
        key = (str(c.get("id", "")), str(c.get("quantity") or c.get("id") or ""))
        side = str(c.get("side") or "").lower()[:1] or "-"
        rows.setdefault(key, {})[side] = c
    if not rows:
        return '<p class="na">The analysis reported no screening checks.</p>'
    out = [
        '<table class="checks"><thead><tr><th>Measure</th><th class="num">Left</th>'
        '<th class="num">Right</th><th>Normal</th><th>Source</th></tr></thead><tbody>'
    ]
    for (cid, quantity), by_side in rows.items():
        first = next(iter(by_side.values()))
        note = first.get("note")
        label = escape(quantity[:1].upper() + quantity[1:]) if quantity else escape(humanize(cid))
        if note:
            label += f'<div class="note">{escape(str(note))}</div>'
        if set(by_side) <= {"-"}:
            cells = _check_cell(by_side["-"], 2)
        else:
            cells = _check_cell(by_side.get("l")) + _check_cell(by_side.get("r"))
        out.append(
            f"<tr><td>{label}</td>{cells}<td>{_check_range(first)}</td>"
            f'<td class="src">{refs.cite(first.get("source"))}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _value_cell(item: Item | None, reason: str, colspan: int = 1) -> str:
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    if item is None:
        return f'<td class="num"{span}><span class="na">–</span></td>'
    cls = "num out" if outside(item.value, item.normal) else "num"
    return f'<td class="{cls}"{span}>{fmt_value(item.value, item.units, reason)}</td>'


def _reason(unmeasured: dict[str, Any], section: str, path: tuple[str, ...]) -> str:
    """Why a value is null, from ``summary["unmeasured"]`` (longest matching prefix)."""
    for n in range(len(path), 0, -1):
        r = unmeasured.get(".".join((section, *path[:n])))
        if r:
            return f"not measured: {r}"
    return "not measured"


def metrics_table(
    summary: dict[str, Any],
    refs: References,
    section: str = "metrics",
    only_sided: bool = False,
) -> str:
    """All values of ``summary[section]`` as a table: measure, left, right, normal, source.

    Nested keys become group headings; a ``l``/``r`` level becomes the Left/Right columns;
    a group whose values are all null collapses to one row saying why. The normal and source
    columns are left out when no value has either. ``only_sided`` keeps per-side values only.
    """
    unmeasured = as_dict(summary.get("unmeasured"))
    rows: dict[tuple[str, ...], dict[str, Item]] = {}
    for it in flatten(summary.get(section)):
        if it.path and (it.side or not only_sided):
            rows.setdefault(it.path, {})[it.side or "-"] = it
    if not rows:
        return '<p class="na">The analysis reported no metrics for this trial.</p>'
    ref_cols = any(i.normal is not None or i.source for b in rows.values() for i in b.values())
    n_cols = 5 if ref_cols else 3
    ref_head = "<th>Normal</th><th>Source</th>" if ref_cols else ""
    ref_empty = "<td></td><td></td>" if ref_cols else ""
    groups: dict[str, list[tuple[tuple[str, ...], dict[str, Item]]]] = {}
    for path, by_side in rows.items():
        head = path[0] if len(path) > 1 else ""
        groups.setdefault(head, []).append((path, by_side))
    out = [
        '<table class="metrics"><thead><tr><th>Measure</th><th class="num">Left</th>'
        f'<th class="num">Right</th>{ref_head}</tr></thead><tbody>'
    ]
    for head, members in groups.items():
        all_null = all(i.value is None for _, b in members for i in b.values())
        if head and all_null:
            why = _reason(unmeasured, section, (head,))
            out.append(
                f'<tr><td>{escape(humanize(head))}</td><td class="num" colspan="2">'
                f'<span class="na">{escape(why)}</span></td>{ref_empty}</tr>'
            )
            continue
        if head:
            out.append(
                f'<tr class="group"><th colspan="{n_cols}">{escape(humanize(head))}</th></tr>'
            )
        for path, by_side in members:
            any_item = next(iter(by_side.values()))
            rest = path[1:] if head else path
            label = any_item.label or humanize(".".join(rest))
            why = _reason(unmeasured, section, path)
            if set(by_side) == {"-"}:
                cells = _value_cell(by_side["-"], why, 2)
            else:
                cells = _value_cell(by_side.get("l"), why) + _value_cell(by_side.get("r"), why)
            normal = next((i.normal for i in by_side.values() if i.normal is not None), None)
            source = next((i.source for i in by_side.values() if i.source), "")
            indent = ' class="sub"' if head else ""
            tail = ""
            if ref_cols:
                tail = f"<td>{fmt_range(normal, any_item.units)}</td>"
                tail += f'<td class="src">{refs.cite(source)}</td>'

            out.append(f"<tr><td{indent}>{escape(label)}</td>{cells}{tail}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def flags_section(summary: dict[str, Any], refs: References, tracked_any: bool = True) -> str:
    """The screening flags as cards: side, finding, value vs threshold, source.

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
            out.append(f'<li class="flag"><span class="msg">{escape(str(f))}</span></li>')
            continue
        side = SIDE_LABEL.get(str(f.get("side") or "").lower(), "")
        units = str(f.get("units") or "")
        msg = f.get("finding") or f.get("message") or humanize(str(f.get("id", "flag")))
        detail = []
        if numeric(f.get("value")) is not None:
            detail.append(f"measured <b>{fmt_value(f.get('value'), units)}</b>")
        normal = _check_range(f)
        if normal:
            detail.append(f"normal {normal}")
        cite = refs.cite(f.get("source"))
        badge = f'<span class="side side-{side.lower()}">{side}</span>' if side else ""
        out.append(
            f'<li class="flag">{badge}<span class="msg">{escape(str(msg))}</span>'
            + (f'<span class="detail">{" · ".join(detail)}</span>' if detail else "")
            + (f'<span class="src">Source: {cite}</span>' if cite else "")
            + "</li>"
        )
    out.append("</ul>")
    return "".join(out)
