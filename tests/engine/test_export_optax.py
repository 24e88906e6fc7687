"""optax export: every family and preset, exec'd with real jax + optax on CPU, equals the engine.

optax evaluates ``schedule(count)`` before update t (count = t, int32) in float32; the generated
``lr_schedule`` must give ``schedules.curve(spec)`` at every update to within 1e-6 of the lr.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import HealthCheck, assume, given, settings

import schedules
from schedules import SpecError, load_spec
from schedules.export import export
from tests.engine.test_export_keras_optax import FAMILY_SPECS, REFUSABLE, TOL, ruff
from tests.support.spec_strategies import valid_spec_dicts


def build(code: str, name: str = "lr_schedule"):
    namespace: dict = {}
    exec(compile(code, "<optax export>", "exec"), namespace)
    return namespace[name]


def evaluate(schedule, n: int) -> np.ndarray:
    """lr_schedule at every update count 0..n-1, as one vectorized call (constant_schedule ignores the
    count and returns a scalar, hence the broadcast)."""
    values = np.asarray(schedule(jnp.arange(n, dtype=jnp.int32)), dtype=np.float64)
    return np.array(np.broadcast_to(values, (n,)))


def optimizer_values(schedule, steps: list[int]) -> np.ndarray:
    """The lr optax.sgd applies at the given updates: -update / grad with grad 1, count set to t."""
    opt = optax.sgd(learning_rate=schedule)
    params = jnp.zeros(())
    state = opt.init(params)
    out = []
    for t in steps:
        state_t = jax.tree_util.tree_map(
            lambda leaf, t=t: jnp.asarray(t, dtype=leaf.dtype) if getattr(leaf, "dtype", None) == jnp.int32 else leaf,
            state,
        )
        updates, _ = opt.update(jnp.ones(()), state_t, params)
        out.append(-float(updates))
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
    per_step = np.array([float(schedule(jnp.asarray(t, dtype=jnp.int32))) for t in sample])
    # XLA's vectorized cos and pow may differ from the scalar ones by a few ulps, so each scalar call is
    # held to the engine directly.
    assert np.max(np.abs(per_step - want[sample])) <= TOL * scale
    assert np.max(np.abs(optimizer_values(schedule, sample) - want[sample])) <= TOL * scale
    if spec.momentum is not None:
        momentum = np.asarray(build(code, "momentum_schedule")(jnp.arange(n, dtype=jnp.int32)), dtype=np.float64)
        assert np.max(np.abs(momentum - schedules.momentum_curve(spec))) <= TOL * spec.momentum.max
    return worst


@pytest.mark.parametrize("name", sorted(FAMILY_SPECS))
def test_family_parity(name: str) -> None:
    spec = load_spec(FAMILY_SPECS[name])
    check(spec, export(spec, "optax"))


@pytest.mark.parametrize("name", schedules.preset_names())
def test_preset_parity(name: str) -> None:
    spec = schedules.load_preset(name)
    worst = check(spec, export(spec, "optax"))
    print(f"{name}: worst |Δ|/lr {worst:.3g}")


def test_snippets_pass_ruff() -> None:
    snippets = {n: export(load_spec(d), "optax") for n, d in FAMILY_SPECS.items()}
    snippets.update({f"preset_{n}": export(schedules.load_preset(n), "optax") for n in schedules.preset_names()})
    ruff(snippets)


def test_paths_named_and_native_where_exact() -> None:
    native = {
        "cosine-none": "optax.cosine_decay_schedule", "cosine-linear": "optax.warmup_cosine_decay_schedule",
        "linear-none": "optax.linear_schedule", "constant-none": "optax.constant_schedule",
        "polynomial-square": "optax.polynomial_schedule", "exponential-half": "optax.exponential_decay",
        "exponential-stair": "optax.exponential_decay", "multistep-none": "optax.piecewise_constant_schedule",
        "step-none": "optax.piecewise_constant_schedule", "linear-linear": "optax.join_schedules",
        "multistep-constant": "optax.join_schedules", "cosine-epoch": "optax.warmup_cosine_decay_schedule",
    }
    for name, fn in native.items():
        code = export(load_spec(FAMILY_SPECS[name]), "optax")
        assert f"{fn}(" in code, name
        assert "# Path: built-in optax." in code, name
    for name in ("exponential-none", "polynomial-sqrt", "wsd-linear", "one_cycle-3", "cosine-cosine", "sgdr"):
        spec = schedules.load_preset(name) if name == "sgdr" else load_spec(FAMILY_SPECS[name])
        code = export(spec, "optax")
        assert "# Path: closed form" in code and "def lr_schedule(count):" in code, name


def test_epoch_interval_comment_and_wrap() -> None:
    code = export(load_spec(FAMILY_SPECS["cosine-epoch"]), "optax")
    assert "per_update((count // 128) * 128)" in code and "(count // steps_per_epoch) * steps_per_epoch" in code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(valid_spec_dicts(max_steps=400))
def test_generated_specs_parity(data: dict) -> None:
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
        return
    try:
        code = export(spec, "optax")
    except SpecError as exc:
        assert exc.field in REFUSABLE, str(exc)
        return
    check(spec, code)


MOMENTUM_SPECS = {
    "one_cycle": {"schedule": {"type": "one_cycle"}},
    "one_cycle-3-linear-warm": {"warmup": {"steps": 100}, "schedule": {"type": "one_cycle", "three_phase": True,
                                                                      "anneal": "linear", "pct_start": 0.25}},
    "cyclic": {"schedule": {"type": "cyclic", "step_size": 300, "min_lr": 0.001}},
    "cyclic-tri2-warm": {"warmup": {"steps": 150, "shape": "cosine", "start_lr": 1e-4},
                         "schedule": {"type": "cyclic", "mode": "triangular2", "step_size": 300,
                                      "step_size_down": 200}},
    "cyclic-exp-epoch": {"steps_per_epoch": 128, "interval": "epoch",
                         "schedule": {"type": "cyclic", "mode": "exp_range", "step_size": 256, "gamma": 0.999}},
}


def momentum_spec(name: str):
    if name == "preset":
        return schedules.load_preset("one_cycle")
    return load_spec({"total_steps": 2000, "lr": 0.05, "momentum": {"base": 0.8, "max": 0.95},
                      **MOMENTUM_SPECS[name]})


@pytest.mark.parametrize("name", [*MOMENTUM_SPECS, "preset"])
def test_momentum_schedule_drives_the_optimizer(name: str) -> None:
    """The exported momentum_schedule equals the engine's momentum curve, and an inject_hyperparams SGD
    stepped like a training loop applies both schedules: each update is -lr_t * v_t with v_t = g + m_t v_(t-1)."""
    spec = momentum_spec(name)
    code = export(spec, "optax")
    assert "def momentum_schedule(count):" in code and "inject_hyperparams(optax.sgd)" in code
    namespace = {name: build(code, name) for name in ("lr_schedule", "momentum_schedule")}
    n = spec.total_steps
    want_m, want_lr = schedules.momentum_curve(spec), schedules.curve(spec)
    got_m = np.asarray(namespace["momentum_schedule"](jnp.arange(n, dtype=jnp.int32)), dtype=np.float64)
    assert np.max(np.abs(got_m - want_m)) <= TOL * spec.momentum.max

    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=namespace["lr_schedule"],
                                              momentum=namespace["momentum_schedule"])
    params = jnp.zeros(())
    step = jax.jit(lambda state: opt.update(jnp.ones(()), state, params))
    state = opt.init(params)
    used_m, used_lr, updates = [], [], []
    for _ in range(n):
        update, state = step(state)
        used_m.append(float(state.hyperparams["momentum"]))
        used_lr.append(float(state.hyperparams["learning_rate"]))
        updates.append(-float(update))
    assert np.max(np.abs(np.array(used_m) - want_m)) <= TOL * spec.momentum.max
    assert np.max(np.abs(np.array(used_lr) - want_lr)) <= TOL * max(spec.lr, spec.warmup.start_lr)
    trace, want_updates = 0.0, np.empty(n)
    for t in range(n):
        trace = 1.0 + want_m[t] * trace
        want_updates[t] = want_lr[t] * trace
    assert np.max(np.abs(np.array(updates) - want_updates) / want_updates.max()) <= 1e-5


def test_momentum_snippets_pass_ruff() -> None:
    ruff({f"momentum_{n}": export(momentum_spec(n), "optax") for n in [*MOMENTUM_SPECS, "preset"]})
