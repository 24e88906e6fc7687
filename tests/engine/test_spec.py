"""Spec v1 parsing: every rule rejects with a message naming the field, the rule and the value."""

from __future__ import annotations

import json

import numpy as np
import pytest

import schedules
from schedules import FAMILIES, SpecError, load_spec, loads_spec

BASE = {"version": 1, "total_steps": 10000, "lr": 3e-4, "schedule": {"type": "cosine", "min_lr": 3e-5}}


def with_(**changes) -> dict:
    data = json.loads(json.dumps(BASE))
    data.update(changes)
    return data


def error_of(data) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(data)
    return info.value


def test_message_names_field_rule_and_value() -> None:
    exc = error_of(with_(schedule={"type": "cosine", "min_lr": 1e-3}))
    assert str(exc) == "schedule.min_lr: must be <= lr (got 0.001, lr 0.0003)"
    assert exc.field == "schedule.min_lr"
    assert isinstance(exc, ValueError)


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        (with_(version=2), "version", "must be 1"),
        (with_(extra=1), "extra", "is not a known field"),
        (with_(total_steps=0), "total_steps", ">= 1"),
        (with_(total_steps=100_000_001), "total_steps", "<= 100000000"),
        (with_(total_steps=10.5), "total_steps", "whole number"),
        (with_(total_steps="10"), "total_steps", "whole number"),
        (with_(lr=0), "lr", "> 0"),
        (with_(lr=-1.0), "lr", "> 0"),
        (with_(lr=float("nan")), "lr", "finite"),
        (with_(lr=True), "lr", "must be a number"),
        (with_(warmup={"steps": -1}), "warmup.steps", ">= 0"),
        (with_(warmup={"steps": 10, "shape": "sigmoid"}), "warmup.shape", "one of"),
        (with_(warmup={"steps": 10, "shape": "exponential"}), "warmup.start_lr", "> 0"),
        (with_(warmup={"steps": 10, "speed": 1}), "warmup.speed", "not a known field"),
        (with_(warmup=5), "warmup", "must be an object"),
        (with_(schedule={"type": "cosine", "min_lr": 1e-3}), "schedule.min_lr", "must be <= lr"),
        (with_(schedule={"type": "cosine", "eta_min": 0}), "schedule.eta_min", "not a known field"),
        (with_(schedule={"type": "warp"}), "schedule.type", "must be one of"),
        (with_(schedule=None), "schedule", "must be an object"),
        (with_(schedule={"type": "multistep", "milestones": [300, 200]}), "schedule.milestones", "increasing"),
        (with_(schedule={"type": "multistep", "milestones": [0, 200]}), "schedule.milestones[0]", ">= 1"),
        (with_(schedule={"type": "multistep", "milestones": [10000]}), "schedule.milestones", "length"),
        (with_(schedule={"type": "step", "step_size": 0}), "schedule.step_size", ">= 1"),
        (with_(schedule={"type": "step", "step_size": 100, "gamma": 1.5}), "schedule.gamma", "<= 1"),
        (with_(schedule={"type": "exponential", "gamma": 0}), "schedule.gamma", "> 0"),
        (with_(schedule={"type": "wsd", "decay_steps": 10, "decay_fraction": 0.1}), "schedule.decay_steps", "not both"),
        (with_(schedule={"type": "one_cycle", "pct_start": 1e-5}), "schedule.pct_start", "pct_start * length > 1"),
        (with_(schedule={"type": "one_cycle", "pct_start": 0.6, "three_phase": True}), "schedule.pct_start", "< 0.5"),
        (with_(schedule={"type": "one_cycle", "anneal": "tanh"}), "schedule.anneal", "one of"),
        (with_(schedule={"type": "one_cycle", "three_phase": "yes"}), "schedule.three_phase", "true or false"),
        (with_(schedule={"type": "cyclic", "min_lr": 1e-3}), "schedule.min_lr", "<= lr"),
        (with_(interval="epoch"), "interval", "steps_per_epoch"),
        (with_(interval="batch"), "interval", "one of"),
        (with_(steps_per_epoch=0), "steps_per_epoch", ">= 1"),
        (with_(momentum={"base": 0.9, "max": 0.95}), "momentum", "only scheduled by cyclic and one_cycle"),
        (with_(param_groups=[{"name": "a"}, {"name": "a"}]), "param_groups[1].name", "unique"),
        (with_(param_groups=[{"name": "a", "lr_scale": 0}]), "param_groups[0].lr_scale", "> 0"),
        (with_(param_groups=[{"name": "a", "scale": 1}]), "param_groups[0].scale", "not a known field"),
        (with_(name="x" * 81), "name", "at most 80"),
        (with_(name="a\nb"), "name", "control characters"),
    ],
)
def test_each_rule(data: dict, field: str, fragment: str) -> None:
    exc = error_of(data)
    assert exc.field == field, str(exc)
    assert fragment in str(exc)
    assert "\n" not in str(exc)


def test_momentum_base_above_max() -> None:
    data = with_(schedule={"type": "one_cycle"}, momentum={"base": 0.96, "max": 0.95})
    assert error_of(data).field == "momentum.base"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"total_steps": 10, "lr": NaN, "schedule": {"type": "constant"}}', "lr: must be finite (got NaN)"),
        ('{"total_steps": 10, "lr": 0.1, "schedule": {"type": "constant"}', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("x" * 70_000, "at most 64 KB"),
    ],
)
def test_bad_json_text(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        loads_spec(text)
    assert fragment in str(info.value)


def test_binary_and_paths(tmp_path) -> None:
    with pytest.raises(SpecError, match="UTF-8"):
        load_spec(b"\xff\xfe\x00")
    with pytest.raises(SpecError, match="readable"):
        load_spec(tmp_path / "missing.json")
    good = tmp_path / "s.json"
    good.write_text(json.dumps(BASE))
    assert load_spec(good) == load_spec(str(good)) == load_spec(BASE)


def test_defaults_are_written_out() -> None:
    spec = load_spec({"total_steps": 1000, "lr": 0.1, "schedule": {"type": "one_cycle"}})
    data = spec.to_dict()
    assert data["warmup"] == {"steps": 0, "shape": "linear", "start_lr": 0.0}
    assert data["schedule"] == {
        "type": "one_cycle", "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4,
        "anneal": "cos", "three_phase": False,
    }
    assert data["interval"] == "step" and data["param_groups"] == [] and data["momentum"] is None
    assert load_spec(data) == spec
    assert hash(spec) == hash(load_spec(data))


def test_every_family_loads_with_its_defaults() -> None:
    for name, family in FAMILIES.items():
        spec = load_spec({"total_steps": 20000, "lr": 0.1, "schedule": {"type": name}})
        assert set(spec.schedule.as_dict()) == {p.name for p in family.params}


def test_derived_defaults_are_resolved() -> None:
    noam = load_spec({"total_steps": 100, "lr": 1.0, "warmup": {"steps": 10}, "schedule": {"type": "inverse_sqrt"}})
    assert noam.schedule.get("timescale") == 10
    bare = load_spec({"total_steps": 100, "lr": 1.0, "schedule": {"type": "inverse_sqrt"}})
    assert bare.schedule.get("timescale") == 10_000
    wsd = load_spec({"total_steps": 1000, "lr": 1.0, "schedule": {"type": "wsd", "shape": "exponential"}})
    assert wsd.schedule.get("decay_fraction") == 0.1 and wsd.schedule.get("half_life") == 20.0


def test_whole_floats_are_accepted_for_counts() -> None:
    spec = load_spec(with_(total_steps=1e4, warmup={"steps": 5e2}))
    assert spec.total_steps == 10000 and isinstance(spec.total_steps, int) and spec.warmup.steps == 500


def test_replace_revalidates() -> None:
    spec = load_spec(BASE)
    assert spec.replace(total_steps=20000).total_steps == 20000
    with pytest.raises(SpecError, match=r"^lr: "):
        spec.replace(lr=-1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"total_steps": 10, "lr": 0.1, "schedule": {"type": "step", "step_size": 2, "gamma": NaN}}',
         "schedule.gamma: must be finite (got NaN)"),
        ('{"total_steps": 10, "lr": Infinity, "schedule": {"type": "constant"}}', "lr: must be finite (got Infinity)"),
        ('{"total_steps": 10, "lr": 0.1, "warmup": {"steps": 2, "start_lr": -Infinity}, '
         '"schedule": {"type": "constant"}}',
         "warmup.start_lr: must be finite (got -Infinity)"),
        ('{"total_steps": 10, "lr": 0.1, "schedule": {"type": "multistep", "milestones": [2, NaN]}}',
         "schedule.milestones[1]: must be finite (got NaN)"),
        ('{"total_steps": 10, "lr": 0.1, "schedule": {"type": "constant"}, "param_groups": [{"name": "a", '
         '"lr_scale": Infinity}]}', "param_groups[0].lr_scale: must be finite (got Infinity)"),
        ('NaN', "spec: must be finite (got NaN)"),
    ],
)
def test_nan_and_infinity_name_their_field(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        loads_spec(text)
    assert str(info.value) == message


def test_nan_in_a_file_names_its_field(tmp_path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"total_steps": 10, "lr": 0.1, "schedule": {"type": "cyclic", "gamma": NaN}}')
    with pytest.raises(SpecError, match=r"^schedule\.gamma: must be finite"):
        load_spec(path)


def test_deeply_shared_lists_are_checked_once() -> None:
    # A list referenced many times over (as YAML aliases build) is visited once, not exponentially often.
    from schedules.spec import check_finite

    inner: list = [1.0] * 10
    for _ in range(60):
        inner = [inner] * 10
    check_finite({"a": inner})
    with pytest.raises(SpecError, match="must be finite"):
        check_finite({"a": inner, "b": [float("nan")]})


@pytest.mark.parametrize("bad", [{"schedule": {"type": []}}, {"schedule": {"type": {}}},
                                 {"warmup": {"steps": 1, "shape": ["linear"]}}])
def test_unhashable_choices_are_refused_by_field(bad: dict):
    data = {"total_steps": 100, "lr": 0.1, "schedule": {"type": "cosine"}} | bad
    with pytest.raises(SpecError, match=r"^(schedule\.type|warmup\.shape): must be one of"):
        load_spec(data)


# ---- Later spec v1 fields: cosine.periodic, cosine_restarts.cycles, a warmup that outlasts the run ----------


def test_specs_without_the_later_fields_read_and_write_as_before() -> None:
    cosine = load_spec({"total_steps": 100, "lr": 0.1, "schedule": {"type": "cosine"}}).to_dict()
    assert cosine["schedule"] == {"type": "cosine", "min_lr": 0.0}
    restarts = load_spec({"total_steps": 100, "lr": 0.1, "schedule": {"type": "cosine_restarts", "period": 30}})
    assert restarts.to_dict()["schedule"] == {"type": "cosine_restarts", "period": 30, "period_mult": 1.0,
                                              "peak_decay": 1.0, "min_lr": 0.0}
    assert load_spec({"total_steps": 5000, "lr": 0.1, "schedule": {"type": "cosine_restarts"}}).schedule.get(
        "period") == 1000
    assert restarts.extensions == () and load_spec(BASE).extensions == ()


def test_cycles_are_hugging_faces_restarts_and_round_trip() -> None:
    data = {"total_steps": 110, "lr": 0.5, "warmup": {"steps": 10}, "schedule": {"type": "cosine_restarts",
                                                                                 "cycles": 2.5}}
    spec = load_spec(data)
    assert spec.to_dict()["schedule"] == {"type": "cosine_restarts", "period": None, "period_mult": 1.0,
                                          "peak_decay": 1.0, "min_lr": 0.0, "cycles": 2.5}
    assert load_spec(spec.to_dict()) == spec and spec.extensions == ("schedule.cycles",)
    lr = schedules.curve(spec)
    # Cycles of 40 updates: back at the peak at u = 40 and 80; the run ends half way into the third cycle.
    assert lr[10] == lr[50] == lr[90] == 0.5 and lr[30] == pytest.approx(0.25)
    assert lr[-1] == pytest.approx(0.5 * 0.5 * (1 + np.cos(np.pi * 0.475)))


@pytest.mark.parametrize(("schedule", "field"), [
    ({"type": "cosine_restarts", "cycles": 2.5, "period": 40}, "schedule.period"),
    ({"type": "cosine_restarts", "cycles": 2.5, "period_mult": 2}, "schedule.period_mult"),
    ({"type": "cosine_restarts", "cycles": 2.5, "peak_decay": 0.5}, "schedule.peak_decay"),
    ({"type": "cosine_restarts", "cycles": 0}, "schedule.cycles"),
    ({"type": "cosine_restarts", "cycles": "3"}, "schedule.cycles"),
    ({"type": "cosine", "periodic": 1}, "schedule.periodic"),
])
def test_later_fields_are_validated(schedule: dict, field: str) -> None:
    exc = error_of({"total_steps": 100, "lr": 0.1, "schedule": schedule})
    assert exc.field == field and "\n" not in str(exc)


def test_periodic_cosine_rises_past_its_length_and_round_trips() -> None:
    spec = load_spec({"total_steps": 100, "lr": 0.1, "main_steps": 20,
                      "schedule": {"type": "cosine", "min_lr": 0.01, "periodic": True}})
    lr = schedules.curve(spec)
    assert lr[20] == lr[60] == pytest.approx(0.01) and lr[40] == lr[80] == 0.1 and lr[30] == lr[10]
    assert load_spec(spec.to_dict()) == spec and spec.extensions == ("main_steps", "schedule.periodic")
    clamped = load_spec({**spec.to_dict(), "schedule": {"type": "cosine", "min_lr": 0.01}})
    assert np.all(schedules.curve(clamped)[20:] == pytest.approx(0.01))
    # Within its length (the run ends by u = D) it is the plain cosine and uses nothing new.
    short = load_spec({"total_steps": 21, "lr": 0.1, "main_steps": 20, "schedule": {"type": "cosine",
                                                                                   "periodic": True}})
    assert short.extensions == ("main_steps",)


def test_a_warmup_may_outlast_the_run() -> None:
    spec = load_spec(with_(warmup={"steps": 12000}))
    assert spec.warmup_outlasts_run and spec.main_steps == 1 and spec.extensions == ("warmup.steps",)
    lr = schedules.curve(spec)
    np.testing.assert_array_equal(lr, 3e-4 * (np.arange(10000) / 12000))
    assert load_spec(spec.to_dict()) == spec


def test_an_unknown_key_with_a_line_break_is_named_on_one_line():
    data = json.loads('{"version": 1, "total_steps": 1, "lr": 1.0, "schedule": {"type": "constant"}, "0\\n": null}')
    with pytest.raises(SpecError) as caught:
        load_spec(data)
    assert str(caught.value).startswith("0\\n: is not a known field") and "\n" not in str(caught.value)
