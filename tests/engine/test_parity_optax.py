"""The engine's curves equal optax schedules (optax 0.2.8, JAX defaults: float32).

optax's ``scale_by_schedule`` uses ``schedule(count)`` with count starting at 0 and incremented after the
update, so update k uses ``schedule(k)`` (checked on a real transform below). Schedules are evaluated on
``jnp.arange(total)`` under ``jit`` (``vmap`` over the steps, since some schedules broadcast their own
boundary arrays against the step). optax computes in float32: ``|engine - optax| <= 1e-6 * lr`` at every step.
Decay factors are chosen exactly representable in float32 where they are raised to large powers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import schedules
from tests.support.parity_helpers import assert_f32, make_spec

LR = 0.1
GAMMA = 1 - 2**-10  # exact in float32


def optax_curve(schedule: Callable[[Any], Any], n: int) -> np.ndarray:
    """``schedule(count)`` for count = 0..n-1 (int32), jitted and vectorized over the counts."""
    out = jax.jit(jax.vmap(schedule))(jnp.arange(n, dtype=jnp.int32))
    assert out.dtype == jnp.float32
    return np.asarray(out, dtype=np.float64)


def warm(w: int, start: float, main: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A linear warmup from ``start`` to LR over ``w`` steps, then ``main`` on its own clock."""
    return optax.join_schedules([optax.linear_schedule(start, LR, w), main], [w])


def sgdr(period: int, mult: int, decay: float, min_lr: float, total: int) -> Callable[[Any], Any]:
    """``sgdr_schedule`` cycles of length period * mult**i with peak LR * decay**i, enough to cover ``total``."""
    kwargs, covered, i = [], 0, 0
    while covered < total:
        length = period * mult**i
        peak = LR * decay**i
        kwargs.append({"init_value": peak, "peak_value": peak, "warmup_steps": 0, "decay_steps": length,
                       "end_value": min_lr})
        covered += length
        i += 1
    return optax.sgdr_schedule(kwargs)


def wsd(w: int, start: float, stable: int, decay_part: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Warmup, hold LR for ``stable`` steps, then ``decay_part``."""
    return optax.join_schedules(
        [optax.linear_schedule(start, LR, w), optax.constant_schedule(LR), decay_part], [w, w + stable]
    )


def one_cycle_pct(pct: float, total: int, phase_end: float) -> float:
    """optax puts a boundary at ``int(pct' * (total - 1))``; choose pct' so it is torch's ``phase_end`` step."""
    return (phase_end + 0.5) / (total - 1)


# (id, total, spec kwargs, optax schedule)
CASES: list[tuple[str, int, dict[str, Any], Callable[[Any], Any]]] = [
    ("constant_schedule", 2000, {"family": "constant"}, optax.constant_schedule(LR)),
    ("warmup_constant_schedule-W300", 2000, {"family": "constant", "warmup": 300, "start_lr": 1e-3},
     optax.warmup_constant_schedule(1e-3, LR, 300)),
    ("linear_schedule-to0", 3000, {"family": "linear"}, optax.linear_schedule(LR, 0.0, 3000)),
    ("join-linear-to1e-3-W250", 3000, {"family": "linear", "end_lr": 1e-3, "warmup": 250, "start_lr": 0.0},
     warm(250, 0.0, optax.linear_schedule(LR, 1e-3, 2750))),
    ("cosine_decay_schedule-alpha0", 3000, {"family": "cosine"}, optax.cosine_decay_schedule(LR, 3000)),
    ("cosine_decay_schedule-alpha0.1", 1237, {"family": "cosine", "min_lr": 0.1 * LR},
     optax.cosine_decay_schedule(LR, 1237, alpha=0.1)),
    ("warmup_cosine_decay-W500-end1e-4", 4000, {"family": "cosine", "min_lr": 1e-4, "warmup": 500, "start_lr": 1e-5},
     optax.warmup_cosine_decay_schedule(1e-5, LR, 500, 4000, end_value=1e-4)),
    ("warmup_cosine_decay-W1-from0", 2000, {"family": "cosine", "warmup": 1},
     optax.warmup_cosine_decay_schedule(0.0, LR, 1, 2000)),
    ("polynomial_schedule-p2-end0", 3000, {"family": "polynomial", "power": 2.0},
     optax.polynomial_schedule(LR, 0.0, 2.0, 3000)),
    ("polynomial_schedule-p0.5-end1e-6-W200", 2500,
     {"family": "polynomial", "power": 0.5, "end_lr": 1e-6, "warmup": 200, "start_lr": 1e-4},
     warm(200, 1e-4, optax.polynomial_schedule(LR, 1e-6, 0.5, 2300))),
    ("exponential_decay-every-step", 3000, {"family": "exponential", "gamma": GAMMA},
     optax.exponential_decay(LR, 1, GAMMA)),
    ("exponential_decay-smooth-37.5", 3000, {"family": "exponential", "gamma": 0.5, "decay_steps": 37.5},
     optax.exponential_decay(LR, 37.5, 0.5)),
    ("exponential_decay-staircase-100", 3000, {"family": "exponential", "gamma": 0.5, "decay_steps": 100,
                                               "staircase": True},
     optax.exponential_decay(LR, 100, 0.5, staircase=True)),
    ("warmup_exponential_decay-W300", 3000, {"family": "exponential", "gamma": GAMMA, "warmup": 300,
                                             "start_lr": 1e-3},
     optax.warmup_exponential_decay_schedule(1e-3, LR, 300, 1, GAMMA)),
    ("piecewise_constant-multistep", 3000, {"family": "multistep", "milestones": [1000, 2500], "gamma": 0.1},
     optax.piecewise_constant_schedule(LR, {1000: 0.1, 2500: 0.1})),
    ("piecewise_constant-multistep-1-2-7-W50", 500,
     {"family": "multistep", "milestones": [1, 2, 7], "gamma": 0.5, "warmup": 50, "start_lr": 0.0},
     warm(50, 0.0, optax.piecewise_constant_schedule(LR, {1: 0.5, 2: 0.5, 7: 0.5}))),
    ("piecewise_constant-step500", 3000, {"family": "step", "step_size": 500, "gamma": 0.5},
     optax.piecewise_constant_schedule(LR, {k: 0.5 for k in range(500, 3000, 500)})),
    ("sgdr-P500-m1", 3000, {"family": "cosine_restarts", "period": 500}, sgdr(500, 1, 1.0, 0.0, 3000)),
    ("sgdr-P100-m2-decay0.5-min1e-4", 3100,
     {"family": "cosine_restarts", "period": 100, "period_mult": 2.0, "peak_decay": 0.5, "min_lr": 1e-4},
     sgdr(100, 2, 0.5, 1e-4, 3100)),
    ("sgdr-P250-m2-decay0.7-W300", 3300,
     {"family": "cosine_restarts", "period": 250, "period_mult": 2.0, "peak_decay": 0.7, "warmup": 300,
      "start_lr": 1e-3},
     warm(300, 1e-3, sgdr(250, 2, 0.7, 0.0, 3000))),
    ("join-wsd-linear", 3000, {"family": "wsd", "shape": "linear", "decay_steps": 600, "warmup": 200,
                               "start_lr": 0.0},
     wsd(200, 0.0, 2200, optax.linear_schedule(LR, 0.0, 600))),
    ("join-wsd-cosine-min1e-3", 3000, {"family": "wsd", "shape": "cosine", "decay_steps": 500, "min_lr": 1e-3,
                                       "warmup": 100, "start_lr": 1e-4},
     wsd(100, 1e-4, 2400, optax.cosine_decay_schedule(LR, 500, alpha=1e-3 / LR))),
    # torch OneCycleLR peaks at pct * D - 1 and ends at D - 1; optax's onecycle boundaries are int(pct' * T)
    # and T, so T = D - 1 and a pct' that lands on the same steps give the same curve (pct * D whole).
    ("cosine_onecycle-D1000-pct0.3", 1000, {"family": "one_cycle"},
     optax.cosine_onecycle_schedule(999, LR, one_cycle_pct(0.3, 1000, 299))),
    ("cosine_onecycle-D3000-pct0.25-div10-final100", 3000,
     {"family": "one_cycle", "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0},
     optax.cosine_onecycle_schedule(2999, LR, one_cycle_pct(0.25, 3000, 749), 10.0, 100.0)),
    # three_phase with linear anneal is optax's linear_onecycle: initial -> peak -> initial -> initial / final.
    ("linear_onecycle-3phase-D2000-pct0.2", 2000,
     {"family": "one_cycle", "three_phase": True, "anneal": "linear", "pct_start": 0.2},
     optax.linear_onecycle_schedule(1999, LR, one_cycle_pct(0.2, 2000, 399), one_cycle_pct(0.4, 2000, 798))),
]


@pytest.mark.parametrize(("total", "kw", "schedule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_schedule_matches_curve(total: int, kw: dict[str, Any], schedule: Callable[[Any], Any],
                                record_property) -> None:
    kw = dict(kw)
    spec = make_spec(total, LR, kw.pop("family"), **kw)
    assert_f32(schedules.curve(spec), optax_curve(schedule, total), LR, record_property)


def test_one_cycle_boundaries_land_on_torch_steps() -> None:
    """The chosen pct' puts optax's peak exactly on torch's peak step (pct * D - 1)."""
    values = optax_curve(optax.cosine_onecycle_schedule(999, LR, one_cycle_pct(0.3, 1000, 299)), 1000)
    assert int(np.argmax(values)) == 299 == int(np.argmax(schedules.curve(make_spec(1000, LR, "one_cycle"))))


def test_scale_by_schedule_uses_schedule_at_the_update_count(record_property) -> None:
    """A real optax transform: update k is scaled by schedule(k)."""
    schedule = optax.warmup_cosine_decay_schedule(1e-5, LR, 50, 400, end_value=1e-4)
    spec = make_spec(400, LR, "cosine", warmup=50, start_lr=1e-5, min_lr=1e-4)
    tx = optax.scale_by_schedule(schedule)
    params = jnp.zeros(1)
    state = tx.init(params)
    update = jax.jit(tx.update)
    used = np.empty(400)
    for k in range(400):
        updates, state = update(jnp.ones(1), state, params)
        used[k] = float(updates[0])
    assert np.array_equal(used, optax_curve(schedule, 400))
    assert_f32(schedules.curve(spec), used, LR, record_property)
