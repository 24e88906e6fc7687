"""The nanoGPT config export, run through nanoGPT's own ``get_lr`` and training-loop bounds, transcribed
from karpathy/nanoGPT ``train.py`` (commit e2221318e607eb5ee0669d6b7641af25a2111545: ``get_lr`` and the
``while True`` loop that sets the lr, updates, increments ``iter_num`` and stops once
``iter_num > max_iters``). The exported config is read with ``ast`` literals only, as data."""

from __future__ import annotations

import ast
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import schedules
from schedules import SpecError
from schedules.export import export
from schedules.export.spec_line import find_spec_line
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel
from tests.support.trainer_specs import specs, unknown_kind, unknown_shape


def read_config(text: str) -> dict:
    """``key = literal`` lines of a config file (ast literals only; anything else fails the test)."""
    out = {}
    for node in ast.parse(text).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def nanogpt_lrs(cfg: dict) -> np.ndarray:
    """The lr of every iteration nanoGPT's train.py runs with ``cfg`` (its defaults for absent keys)."""
    learning_rate = cfg.get("learning_rate", 6e-4)
    max_iters = cfg.get("max_iters", 600000)
    decay_lr = cfg.get("decay_lr", True)
    warmup_iters = cfg.get("warmup_iters", 2000)
    lr_decay_iters = cfg.get("lr_decay_iters", 600000)
    min_lr = cfg.get("min_lr", 6e-5)

    def get_lr(it: int) -> float:
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        if it > lr_decay_iters:
            return min_lr
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return min_lr + coeff * (learning_rate - min_lr)

    out = []
    iter_num = 0
    while True:
        out.append(get_lr(iter_num) if decay_lr else learning_rate)
        iter_num += 1
        if iter_num > max_iters:
            break
    return np.asarray(out)


def nano_start(lr: float, warm: int) -> float:
    return lr / (warm + 1)


CASES = {
    "cosine": {"total_steps": 300, "lr": 6e-4, "warmup": {"steps": 30, "start_lr": nano_start(6e-4, 30)},
               "schedule": {"type": "cosine", "min_lr": 6e-5}},
    "cosine_nowarm": {"total_steps": 200, "lr": 0.01, "schedule": {"type": "cosine"}},
    "constant": {"total_steps": 50, "lr": 0.01, "schedule": {"type": "constant"}},
    "constant_warm": {"total_steps": 50, "lr": 0.01, "warmup": {"steps": 9, "start_lr": nano_start(0.01, 9)},
                      "schedule": {"type": "constant"}},
    "gpt_nanogpt_start": {**schedules.load_preset("gpt_cosine").to_dict(),
                          "warmup": {"steps": 2000, "start_lr": nano_start(3e-4, 2000)}},
}
REFUSED = {
    "start0": ({"total_steps": 50, "lr": 0.1, "warmup": {"steps": 5}, "schedule": {"type": "cosine"}},
               "warmup.start_lr"),
    "linear": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "linear"}}, "schedule.type"),
    "epoch": ({"total_steps": 50, "lr": 0.1, "steps_per_epoch": 5, "interval": "epoch",
               "schedule": {"type": "cosine"}}, "interval"),
    "groups": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "cosine"}, "param_groups": [{"name": "a"}]},
               "param_groups"),
    "shape": ({"total_steps": 50, "lr": 0.1, "warmup": {"steps": 5, "shape": "cosine"},
               "schedule": {"type": "cosine"}}, "warmup.shape"),
}
SPECS = specs(CASES)


def check(spec: schedules.Spec) -> float:
    text = export(spec, "nanogpt")
    assert schedules.loads_spec(find_spec_line(text)) == spec
    lrs = nanogpt_lrs(read_config(text))
    assert lrs.shape == (spec.total_steps,)
    return assert_rel(lrs, schedules.curve(spec), RTOL_CLOSED, spec.lr)


@pytest.mark.parametrize("name", list(SPECS))
def test_nanogpt_runs_the_export(name: str) -> None:
    spec = SPECS[name]
    try:
        export(spec, "nanogpt")
    except SpecError as exc:
        # Presets: none starts its warmup at lr / (W + 1), and most are not a cosine.
        assert name.startswith("preset:") and exc.field in ("warmup.start_lr", "schedule.type", "momentum",
                                                            "interval"), exc
        return
    check(spec)


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_naming_the_field(name: str) -> None:
    data, field = REFUSED[name]
    with pytest.raises(SpecError) as err:
        export(schedules.load_spec(data), "nanogpt")
    assert err.value.field == field and "Python code export" in str(err.value)


def test_unknown_shapes_and_kinds_are_refused() -> None:
    base = SPECS["cosine"]
    for spec, field in ((unknown_shape(base), "warmup.shape"), (unknown_kind(base), "schedule.type")):
        with pytest.raises(SpecError) as err:
            export(spec, "nanogpt")
        assert err.value.field == field


@st.composite
def nanogpt_specs(draw: st.DrawFn) -> dict:
    total = draw(st.integers(2, 3000))
    lr = draw(st.floats(1e-6, 1.0))
    warm = draw(st.integers(0, total - 1))
    kind = draw(st.sampled_from(("cosine", "constant")))
    sched = {"type": kind}
    if kind == "cosine":
        sched["min_lr"] = draw(st.floats(0.0, lr))
    data = {"total_steps": total, "lr": lr, "schedule": sched}
    if warm:
        data["warmup"] = {"steps": warm, "start_lr": nano_start(lr, warm)}
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(nanogpt_specs())
def test_generated_specs_run(data: dict) -> None:
    try:
        spec = schedules.load_spec(data)
    except SpecError:
        assume(False)
        return
    check(spec)
