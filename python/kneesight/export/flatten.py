"""Flattening the nested ``metrics`` / ``peaks`` of ``summary.json`` into labelled items.

The analysis nests its results (phase, side, quantity); the report, the tidy tables and the
batch summary all need them as rows. This reads any nesting generically:

- a key ``l``/``r`` (or ``left``/``right``) at any depth gives the side of what is below it,
  and so does a column-style name ``<quantity>_l`` / ``<quantity>_r``;
- a dict with a ``value`` key and only describing keys besides (``units``, ``normal`` or
  ``normal_range``/``range``/``reference``, ``source``, ``label``) is one item;
- numbers, booleans, strings and null are items on their own; a list of numbers is one item;
- in a list of dicts, an entry's ``item`` or ``id`` names it (else its index);
- any other dict adds its key to the item's path.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from kneesight.conventions import ANGLES

SIDE_KEYS: dict[str, str] = {"l": "l", "r": "r", "left": "l", "right": "r"}
SIDE_SUFFIX = re.compile(r"^(.+)_([lr])$")
"""Column-style per-side names (``<quantity>_<side>``, :mod:`kneesight.conventions`)."""
NORMAL_KEYS = ("normal", "normal_range", "range", "reference_range", "reference", "norm")
SOURCE_KEYS = ("source", "sources", "citation", "ref")
UNIT_KEYS = ("units", "unit")
LABEL_KEYS = ("label", "name", "title")
ID_KEYS = ("item", "id")
"""Keys naming the entries of a list of dicts (``less.items``): used in place of the index."""
META_KEYS = (*NORMAL_KEYS, *SOURCE_KEYS, *UNIT_KEYS, *LABEL_KEYS, "value")

UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_mm", "mm"),
    ("_m", "m"),
    ("_deg", "deg"),
    ("_s", "s"),
    ("_ms", "ms"),
    ("_pct", "%"),
    ("_percent", "%"),
    ("_hz", "Hz"),
    ("_ratio", ""),
    ("_fraction", ""),
    ("_count", ""),
)


@dataclass(frozen=True)
class Item:
    """One flattened value.

    Attributes
    ----------
    path : tuple of str
        Keys leading to it, sides removed, e.g. ``("initial_contact", "knee_valgus")``.
    side : {"l", "r"} or None
    value : float, int, bool, str, list or None
    units, normal, source, label : str, object, str, str
        Descriptions when the summary gives them (else inferred units, None, "", "").
    """

    path: tuple[str, ...]
    side: str | None
    value: Any
    units: str = ""
    normal: Any = None
    source: str = ""
    label: str = ""

    @property
    def key(self) -> str:
        """Dotted path, e.g. ``initial_contact.knee_valgus``."""
        return ".".join(self.path)


def infer_units(path: tuple[str, ...]) -> str:
    """Units from the keys' names: a unit suffix (``_mm``, ``_s``, ``_ratio`` ...) on any key,
    innermost first, else an angle name of :data:`kneesight.conventions.ANGLES` as the
    innermost key (degrees), else ""."""
    keys = [k.lower() for k in reversed(path)]
    for k in keys:
        for suffix, units in UNIT_SUFFIXES:
            if k.endswith(suffix):
                return units
    k = keys[0] if keys else ""
    if any(k == a or k.startswith(a + "_") or k.endswith("_" + a) for a in ANGLES):
        return "deg"
    return ""


def _first(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def _source_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return "; ".join(str(x) for x in v)
    return str(v)


def _leaf(path: tuple[str, ...], side: str | None, d: dict[str, Any]) -> list[Item]:
    units = _first(d, UNIT_KEYS)
    meta = {
        "units": str(units) if units is not None else infer_units(path),
        "normal": _first(d, NORMAL_KEYS),
        "source": _source_text(_first(d, SOURCE_KEYS)),
        "label": str(_first(d, LABEL_KEYS) or ""),
    }
    value = d["value"]
    if isinstance(value, dict) and any(k in SIDE_KEYS for k in value):
        return [
            Item(path, SIDE_KEYS[k], v, **meta)
            for k, v in value.items()
            if k in SIDE_KEYS and not isinstance(v, dict | list)
        ]
    return [Item(path, side, value, **meta)]


def flatten(obj: Any, path: tuple[str, ...] = (), side: str | None = None) -> list[Item]:
    """Flatten a nested summary section into :class:`Item` s, in document order.

    Parameters
    ----------
    obj : dict, list or scalar
        E.g. ``summary["metrics"]``.
    path : tuple of str
        Prefix of every item's path.
    side : {"l", "r"} or None
        Side inherited from above.

    Returns
    -------
    list of Item
    """
    if isinstance(obj, dict):
        if "value" in obj and all(k in META_KEYS for k in obj):
            return _leaf(path, side, obj)
        items: list[Item] = []
        for k, v in obj.items():
            k = str(k)
            suffixed = SIDE_SUFFIX.match(k)
            if k in SIDE_KEYS:
                items.extend(flatten(v, path, SIDE_KEYS[k]))
            elif suffixed and side is None:  # a column-style name, e.g. knee_valgus_r
                items.extend(flatten(v, (*path, suffixed.group(1)), suffixed.group(2)))
            else:
                items.extend(flatten(v, (*path, k), side))
        return items
    if isinstance(obj, list):
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in obj):
            return [Item(path, side, list(obj), infer_units(path))]
        items = []
        for i, x in enumerate(obj):
            name = _list_key(x)
            if name is None:
                items.extend(flatten(x, (*path, str(i)), side))
            else:
                rest = {k: v for k, v in x.items() if k not in ID_KEYS}
                items.extend(flatten(rest, (*path, name), side))
        return items
    return [Item(path, side, obj, infer_units(path))]


def _list_key(x: Any) -> str | None:
    if isinstance(x, dict):
        for k in ID_KEYS:
            if isinstance(x.get(k), str) and x[k]:
                return str(x[k])
    return None


def numeric(value: Any) -> float | None:
    """``value`` as a finite float, or None (booleans, strings, null, NaN are not numeric)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def humanize(key: str) -> str:
    """Readable label of a key: ``knee_flexion_displacement`` -> ``Knee flexion displacement``."""
    words = key.replace(".", " ").replace("_", " ").split()
    if len(words) > 1 and words[-1].lower() in ("mm", "m", "s", "ms", "deg", "pct", "percent"):
        words = words[:-1]  # the unit is shown beside the value
    replacements = {
        "fppa": "FPPA",
        "less": "LESS",
        "ic": "IC",
        "dof": "DOF",
        "sd": "SD",
        "l": "left",
        "r": "right",
    }
    text = " ".join(replacements.get(w.lower(), w) for w in words)
    return text[:1].upper() + text[1:]
