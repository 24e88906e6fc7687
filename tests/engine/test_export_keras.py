"""Keras 3 export: every family and preset, exec'd with real Keras (torch backend), equals the engine.

Keras evaluates ``schedule(optimizer.iterations)`` before update t, in float32; the generated
``lr_schedule`` must give ``schedules.curve(spec)`` at every update to within 1e-6 of the lr.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from keras import ops

import schedules
from schedules import SpecError, load_spec
from schedules.export import export
from schedules.export.keras_code import native_gamma
from tests.engine.test_export_keras_optax import FAMILY_SPECS, REFUSABLE, TOL, ruff
from tests.support.spec_strategies import valid_spec_dicts


def build(code: str):
    namespace: dict = {}
    exec(compile(code, "<keras export>", "exec"), namespace)
    return namespace["lr_schedule"]


def evaluate(schedule, n: int) -> np.ndarray:
    """lr_schedule at every update 0..n-1: vectorized when the schedule accepts a vector (built-in
    CosineDecay with warmup branches on a scalar, so it is called step by step)."""
    steps = ops.convert_to_tensor(np.arange(n), dtype="int64")
    try:
        values = np.asarray(ops.convert_to_numpy(schedule(steps)), dtype=np.float64)
        if values.shape == (n,):
            return values
    except RuntimeError:
        pass
    return np.array([float(ops.convert_to_numpy(schedule(ops.convert_to_tensor(t, dtype="int64"))))
                     for t in range(n)])


def optimizer_values(schedule, steps: list[int]) -> np.ndarray:
    """The lr a real Keras optimizer uses at the given update numbers (its iterations counter)."""
    opt = keras.optimizers.SGD(learning_rate=schedule)
    out = []
    for t in steps:
        opt.iterations.assign(t)
        out.append(float(ops.convert_to_numpy(opt.learning_rate)))
    return np.array(out)


def check(spec, code: str) -> float:
    """Assert parity with the engine at every update; return the worst |Δ| / lr."""
    schedule = build(code)
    n = spec.total_steps
    got = evaluate(schedule, n)
    want = schedules.curve(spec)
    scale = max(spec.lr, spec.warmup.start_lr)
    worst = float(np.max(np.abs(got - want))) / scale
    assert worst <= TOL, f"worst |Δ|/lr {worst:.3g} at step {int(np.argmax(np.abs(got - want)))}"
    sample = sorted({0, n - 1, spec.warmup.steps, min(n - 1, spec.warmup.steps + 1), n // 2, n // 3})
    assert np.array_equal(optimizer_values(schedule, sample), got[sample])
    return worst


@pytest.mark.parametrize("name", sorted(FAMILY_SPECS))
def test_family_parity(name: str) -> None:
    spec = load_spec(FAMILY_SPECS[name])
    check(spec, export(spec, "keras"))


@pytest.mark.parametrize("name", schedules.preset_names())
def test_preset_parity(name: str) -> None:
    spec = schedules.load_preset(name)
    worst = check(spec, export(spec, "keras"))
    print(f"{name}: worst |Δ|/lr {worst:.3g}")


def test_snippets_pass_ruff() -> None:
    snippets = {n: export(load_spec(d), "keras") for n, d in FAMILY_SPECS.items()}
    snippets.update({f"preset_{n}": export(schedules.load_preset(n), "keras") for n in schedules.preset_names()})
    ruff(snippets)


def test_paths_named_and_native_where_exact() -> None:
    native = {
        "cosine-none": "CosineDecay", "cosine-linear": "CosineDecay", "linear-none": "PolynomialDecay",
        "polynomial-square": "PolynomialDecay", "exponential-half": "ExponentialDecay",
        "exponential-stair": "ExponentialDecay", "cosine-epoch": "CosineDecay",
    }
    for name, cls in native.items():
        code = export(load_spec(FAMILY_SPECS[name]), "keras")
        assert f"keras.optimizers.schedules.{cls}(" in code, name
        assert f"# Path: built-in keras.optimizers.schedules.{cls}" in code
    for name in ("exponential-none", "polynomial-sqrt", "wsd-linear", "one_cycle-3", "cosine-cosine"):
        code = export(load_spec(FAMILY_SPECS[name]), "keras")
        assert "# Path: closed form" in code and "class SpecSchedule(" in code, name


def test_native_gamma_rule() -> None:
    assert native_gamma(0.5) and native_gamma(1.0) and native_gamma(0.9)
    assert not native_gamma(0.999)


def test_epoch_interval_comment_and_wrap() -> None:
    code = export(load_spec(FAMILY_SPECS["cosine-epoch"]), "keras")
    assert "class PerEpoch(" in code and "(step // steps_per_epoch) * steps_per_epoch" in code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(valid_spec_dicts(max_steps=400))
def test_generated_specs_parity(data: dict) -> None:
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
        return
    try:
        code = export(spec, "keras")
    except SpecError as exc:
        assert exc.field in REFUSABLE, str(exc)
        return
    check(spec, code)
