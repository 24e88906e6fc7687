"""The engine's curves equal Keras 3 learning-rate schedules (keras 3.15, torch backend).

A Keras optimizer uses ``schedule(iterations)`` for update k with iterations = k (it increments after the
update), so update k's lr is ``schedule(k)``; ``test_optimizer_uses_schedule_at_its_iteration_count`` checks
that on a real SGD optimizer. Keras computes in float32 (a Python float lr becomes a float32 tensor), so
the comparison is ``|engine - keras| <= 1e-6 * lr`` at every step.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"  # must precede the first keras import

from typing import Any

import keras
import numpy as np
import pytest
import torch
from keras.optimizers import schedules as ks

import schedules
from tests.support.parity_helpers import assert_f32, make_spec

LR = 0.1


def per_step(schedule: ks.LearningRateSchedule, n: int) -> np.ndarray:
    """``schedule(step)`` called once per step with an int32 step, as the optimizer calls it.

    Not one call on a tensor of all steps: torch's vectorized ``pow`` can differ from the scalar one by an
    ulp (ExponentialDecay, PolynomialDecay with fractional exponents), PiecewiseConstantDecay accumulates
    into a scalar in place, and CosineDecay's warmup mode branches with ``ops.cond`` on a scalar.
    """
    return np.array([float(schedule(torch.tensor(k, dtype=torch.int32))) for k in range(n)])


def test_backend_is_torch_and_schedules_compute_in_float32() -> None:
    assert keras.backend.backend() == "torch"
    assert ks.CosineDecay(LR, 100)(torch.tensor(3)).dtype == torch.float32


def piecewise_for_multistep(lr: float, milestones: list[int], gamma: float) -> ks.PiecewiseConstantDecay:
    """MultiStepLR-style drops at u == m: Keras keeps the old value at the boundary step, so b = m - 1."""
    return ks.PiecewiseConstantDecay([m - 1 for m in milestones], [lr * gamma**k for k in range(len(milestones) + 1)])


# (id, total, spec kwargs, schedule factory).
CASES: list[tuple[str, int, dict[str, Any], Any]] = [
    ("CosineDecay-alpha0", 2000, {"family": "cosine"}, lambda: ks.CosineDecay(LR, 2000)),
    ("CosineDecay-alpha0.1", 2000, {"family": "cosine", "min_lr": 0.1 * LR}, lambda: ks.CosineDecay(LR, 2000, 0.1)),
    ("CosineDecay-alpha0.01-odd", 1237, {"family": "cosine", "min_lr": 0.01 * LR},
     lambda: ks.CosineDecay(LR, 1237, alpha=0.01)),
    # gamma = 1 - 2**-10 is exact in float32, so Keras decays by the same factor as the float64 engine.
    ("ExponentialDecay-every-step", 2000, {"family": "exponential", "gamma": 1 - 2**-10},
     lambda: ks.ExponentialDecay(LR, 1, 1 - 2**-10)),
    # gamma = 0.999 is rounded to float32 by Keras (0.99900001287...); raised to the power of a few thousand
    # steps, that rounding alone moves the lr by several 1e-6 * lr, so the spec carries the value Keras uses.
    ("ExponentialDecay-every-step-f32-gamma", 2000, {"family": "exponential", "gamma": float(np.float32(0.999))},
     lambda: ks.ExponentialDecay(LR, 1, 0.999)),
    ("ExponentialDecay-smooth-37.5", 2000, {"family": "exponential", "gamma": 0.9, "decay_steps": 37.5},
     lambda: ks.ExponentialDecay(LR, 37.5, 0.9)),
    ("ExponentialDecay-staircase-100", 2000, {"family": "exponential", "gamma": 0.5, "decay_steps": 100,
                                              "staircase": True},
     lambda: ks.ExponentialDecay(LR, 100, 0.5, staircase=True)),
    ("ExponentialDecay-staircase-333", 2500, {"family": "exponential", "gamma": 0.7, "decay_steps": 333,
                                              "staircase": True},
     lambda: ks.ExponentialDecay(LR, 333, 0.7, staircase=True)),
    ("PolynomialDecay-p1-end1e-4", 2000, {"family": "polynomial", "end_lr": 1e-4},
     lambda: ks.PolynomialDecay(LR, 2000)),
    ("PolynomialDecay-p2-end0", 2000, {"family": "polynomial", "power": 2.0},
     lambda: ks.PolynomialDecay(LR, 2000, end_learning_rate=0.0, power=2.0)),
    ("PolynomialDecay-p0.5-end1e-6", 2500, {"family": "polynomial", "power": 0.5, "end_lr": 1e-6},
     lambda: ks.PolynomialDecay(LR, 2500, end_learning_rate=1e-6, power=0.5)),
    ("PiecewiseConstantDecay-multistep", 2000, {"family": "multistep", "milestones": [800, 1500], "gamma": 0.1},
     lambda: piecewise_for_multistep(LR, [800, 1500], 0.1)),
    ("PiecewiseConstantDecay-multistep-1-2-7", 500, {"family": "multistep", "milestones": [1, 2, 7], "gamma": 0.5},
     lambda: piecewise_for_multistep(LR, [1, 2, 7], 0.5)),
    ("PiecewiseConstantDecay-step500", 2000, {"family": "step", "step_size": 500, "gamma": 0.5},
     lambda: piecewise_for_multistep(LR, list(range(500, 2000, 500)), 0.5)),
    ("PiecewiseConstantDecay-constant-warmup", 2000,
     {"family": "constant", "warmup": 400, "start_lr": 0.25 * LR, "warmup_shape": "constant"},
     lambda: ks.PiecewiseConstantDecay([399], [0.25 * LR, LR])),
]

BY_ID = {c[0]: c for c in CASES}


def spec_for(total: int, kw: dict[str, Any]) -> schedules.Spec:
    kw = dict(kw)
    return make_spec(total, LR, kw.pop("family"), **kw)


@pytest.mark.parametrize(("total", "kw", "factory"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_schedule_matches_curve(total: int, kw: dict[str, Any], factory: Any, record_property) -> None:
    spec = spec_for(total, kw)
    assert_f32(schedules.curve(spec), per_step(factory(), total), LR, record_property)


WARMUP = [
    # (id, total, warmup W, start lr, alpha); CosineDecay(start, D, alpha, warmup_target=lr, warmup_steps=W).
    ("W500-from1e-5-alpha0", 2500, 500, 1e-5, 0.0),
    ("W300-from0-alpha0.1", 2000, 300, 0.0, 0.1),
    ("W1-from1e-3-alpha0.01", 1000, 1, 1e-3, 0.01),
    ("W999-from1e-4-alpha0", 1000, 999, 1e-4, 0.0),
]


@pytest.mark.parametrize(("total", "w", "start", "alpha"), [c[1:] for c in WARMUP], ids=[c[0] for c in WARMUP])
def test_cosine_decay_with_warmup_target_matches_curve(total: int, w: int, start: float, alpha: float,
                                                       record_property) -> None:
    spec = make_spec(total, LR, "cosine", warmup=w, start_lr=start, min_lr=alpha * LR)
    schedule = ks.CosineDecay(start, total - w, alpha=alpha, warmup_target=LR, warmup_steps=w)
    assert_f32(schedules.curve(spec), per_step(schedule, total), LR, record_property)


@pytest.mark.parametrize("case_id", ["CosineDecay-alpha0.1", "ExponentialDecay-staircase-100",
                                     "PiecewiseConstantDecay-multistep-1-2-7"])
def test_optimizer_uses_schedule_at_its_iteration_count(case_id: str, record_property) -> None:
    """A real SGD optimizer: the lr in effect for update k is schedule(k) (iterations increments after)."""
    _, total, kw, factory = BY_ID[case_id]
    n = min(total, 600)
    var = keras.Variable(np.zeros(1, dtype="float32"))
    opt = keras.optimizers.SGD(learning_rate=factory())
    opt.build([var])
    used = np.empty(n)
    for k in range(n):
        assert int(opt.iterations) == k
        used[k] = float(opt.learning_rate)
        opt.apply_gradients([(keras.ops.zeros((1,)), var)])
    assert np.array_equal(used, per_step(factory(), n))
    assert_f32(schedules.curve(spec_for(total, kw))[:n], used, LR, record_property)


def test_piecewise_boundary_is_one_step_late() -> None:
    """Boundaries equal to the milestones keep the old value one step too long, exactly at each milestone."""
    milestones = [300, 700]
    spec = make_spec(1000, LR, "multistep", milestones=milestones, gamma=0.1)
    naive = ks.PiecewiseConstantDecay(milestones, [LR, LR * 0.1, LR * 0.01])
    off = np.flatnonzero(np.abs(schedules.curve(spec) - per_step(naive, 1000)) > 1e-6 * LR)
    assert off.tolist() == milestones
