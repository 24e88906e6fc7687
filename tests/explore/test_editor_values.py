"""ui.explore.editor_values: the editor's widget values and specs convert both ways; bad text names its field."""

from __future__ import annotations

import pytest

from schedules import FAMILIES, SpecError, load_preset, load_spec, preset_names
from ui.explore import editor_values, keys


@pytest.mark.parametrize("name", preset_names())
def test_widget_values_rebuild_the_same_spec(name: str):
    spec = load_preset(name)
    assert editor_values.build_spec(editor_values.widget_values(spec)) == (spec, None)


def test_lr_text_accepts_scientific_notation():
    assert editor_values.parse_lr("3e-4", "lr") == 3e-4
    assert editor_values.parse_lr(" 1E-7 ", "lr") == 1e-7
    assert editor_values.parse_lr("0.000_3", "lr") == 3e-4
    assert editor_values.format_lr(3e-5) == "3e-05" and editor_values.format_lr(10.0) == "10"
    for bad in ("abc", "", "nan", "inf", "1e400"):
        with pytest.raises(SpecError, match=r"^lr: "):
            editor_values.parse_lr(bad, "lr")


def test_milestones_text():
    assert editor_values.parse_int_list("1000, 2000;3e3", "m") == [1000, 2000, 3000]
    with pytest.raises(SpecError, match="whole numbers"):
        editor_values.parse_int_list("100, x", "schedule.milestones")
    with pytest.raises(SpecError, match="at least one"):
        editor_values.parse_int_list(" , ", "schedule.milestones")
    with pytest.raises(SpecError, match="whole numbers"):
        editor_values.parse_int_list("1.5", "schedule.milestones")


def test_param_groups_text():
    assert editor_values.parse_groups("body=0.1, head=1") == [
        {"name": "body", "lr_scale": 0.1}, {"name": "head", "lr_scale": 1.0}]
    assert editor_values.parse_groups("  ") == []
    with pytest.raises(SpecError, match="name=lr_scale"):
        editor_values.parse_groups("body")


def test_a_bad_field_is_reported_not_raised():
    values = editor_values.widget_values(load_preset("bert"))
    spec, error = editor_values.build_spec({**values, keys.K_LR: "fast"})
    assert spec is None and error.field == "lr"
    spec, error = editor_values.build_spec({**values, keys.K_WARMUP_SHAPE: "exponential"})
    assert spec is None and str(error).startswith("warmup.start_lr: must be > 0 for an exponential warmup")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_switching_family_gives_a_valid_spec(family: str):
    # A short run: step counts from the registry defaults are fitted into its main schedule.
    base = load_spec({"total_steps": 300, "lr": 0.01, "warmup": {"steps": 20}, "schedule": {"type": "constant"}})
    values = {**editor_values.widget_values(base), keys.K_FAMILY: family, **editor_values.family_values(family, base)}
    spec, error = editor_values.build_spec(values)
    assert error is None, error
    assert spec.schedule.type == family


def test_nullable_parameters_are_derived_when_empty():
    base = load_preset("noam")
    values = {**editor_values.widget_values(base), keys.param_key("inverse_sqrt", "timescale"): None}
    spec, _ = editor_values.build_spec(values)
    assert spec.schedule.get("timescale") == base.warmup.steps
