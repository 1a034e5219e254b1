"""Reading the analysis' nested summary sections generically."""

from __future__ import annotations

from kneesight.export.flatten import flatten, humanize, infer_units


def test_sides_at_any_depth_and_value_dicts():
    items = flatten(
        {
            "initial_contact": {"l": {"knee_flexion": 22.0}, "r": {"knee_flexion": 25.0}},
            "arch_drop_mm": {"value": {"l": 7.0, "r": 9.5}, "normal": [None, 10], "source": "B"},
            "knee_separation_m": {"peak_knee_flexion": 0.09},
        }
    )
    got = {(i.key, i.side): (i.value, i.units) for i in items}
    assert got[("initial_contact.knee_flexion", "r")] == (25.0, "deg")
    assert got[("arch_drop_mm", "l")] == (7.0, "mm")
    assert got[("knee_separation_m.peak_knee_flexion", None)] == (0.09, "m")  # not degrees
    arch = next(i for i in items if i.key == "arch_drop_mm")
    assert arch.normal == [None, 10] and arch.source == "B"


def test_named_list_entries_and_units():
    items = flatten({"items": [{"item": "stance_width", "errors": 1, "value": {"l": 3.0}}]})
    keys = {(i.key, i.side) for i in items}
    assert ("items.stance_width.errors", None) in keys
    assert ("items.stance_width.value", "l") in keys
    assert infer_units(("knee_to_ankle_separation_ratio", "peak_knee_flexion")) == ""
    assert infer_units(("asymmetry", "peak_fppa")) == "deg"
    assert infer_units(("asymmetry", "contact_time_difference_s")) == "s"
    assert humanize("arch_height_loaded_mm") == "Arch height loaded"


def test_column_style_side_suffixes():
    items = flatten({"dof_sd_deg": {"knee_valgus_l": 3.5, "arch_height_mm_r": 9.8}})
    got = {(i.key, i.side): i.units for i in items}
    assert got == {("dof_sd_deg.knee_valgus", "l"): "deg", ("dof_sd_deg.arch_height_mm", "r"): "mm"}
