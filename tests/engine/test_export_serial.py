"""JSON and YAML export: PyYAML's safe_load and load_spec read them back to exactly the spec."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings

import schedules
from schedules import SpecError, load_spec, loads_spec
from schedules.export import export
from schedules.export.serial import yaml_float, yaml_string
from schedules.export.spec_line import PREFIX, find_spec_line
from tests.support.spec_strategies import valid_spec_dicts

HOSTILE = [
    'quote " and \' and \\ backslash',
    "key: value # not a comment",
    "- list: [1, 2] {a: b} & *alias !tag % @ `",
    "null",
    "true",
    "1e-05",
    "日本語 ☃ 🚀 e\u0301",
    "\u2028line sep\u2029 \x85 nel \ufeff bom \x7f del",
    "\ud800 lone surrogate",
    "   leading and trailing   ",
]


@pytest.mark.parametrize("name", schedules.preset_names())
def test_presets_round_trip(name: str) -> None:
    spec = schedules.load_preset(name)
    assert json.loads(export(spec, "json")) == spec.to_dict()
    assert export(spec, "json") == spec.to_json() + "\n"
    assert yaml.safe_load(export(spec, "yaml")) == spec.to_dict()
    assert load_spec(yaml.safe_load(export(spec, "yaml"))) == spec


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_round_trip(name: str) -> None:
    spec = load_spec({"name": name, "total_steps": 100, "lr": 1e-5,
                      "schedule": {"type": "multistep", "milestones": [10, 50]},
                      "param_groups": [{"name": name, "lr_scale": 0.5}, {"name": "x: y"}]})
    text = export(spec, "yaml")
    assert yaml.safe_load(text) == spec.to_dict()
    # Data lines stay short; the spec line carries the whole spec (names escaped) on purpose.
    assert all(len(line) < 400 for line in text.splitlines() if not line.startswith(PREFIX))
    assert loads_spec(find_spec_line(text)) == spec
    assert text.count("\n") == export(load_spec({**spec.to_dict(), "name": "plain",
                                                "param_groups": [{"name": "a"}, {"name": "b"}]}), "yaml").count("\n")


@pytest.mark.parametrize("value", [0.0, 1.0, 1e-05, 2.5e-07, 1e+20, 123456789.125, 5e-324, 1.7976931348623157e308])
def test_floats_resolve_as_floats(value: float) -> None:
    loaded = yaml.safe_load(yaml_float(value))
    assert isinstance(loaded, float) and loaded == value


def test_strings_are_quoted_scalars() -> None:
    for text in HOSTILE:
        assert yaml.safe_load(yaml_string(text)) == text


def test_unknown_serial_target() -> None:
    from schedules.export.serial import render

    with pytest.raises(SpecError) as err:
        render(schedules.load_preset("bert"), "toml")
    assert err.value.field == "target"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(valid_spec_dicts(max_steps=5000))
def test_generated_specs_round_trip(data: dict) -> None:
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
        return
    assert yaml.safe_load(export(spec, "yaml")) == spec.to_dict()
    assert load_spec(export(spec, "json")) == spec
