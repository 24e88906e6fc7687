"""The built-in range-test task: a NumPy MLP on scikit-learn's digits, checked for correct gradients,
reproducibility, real learning, and a sweep that reaches a minimum and then diverges."""

from __future__ import annotations

import numpy as np
import pytest

from schedules.finder import run_range_test, suggest
from tasks.digits_mlp import MLP, load_digits_split, make_step_fn


def test_split_is_fixed_and_standardized() -> None:
    data = load_digits_split()
    assert data.x_train.shape == (1437, 64) and data.x_test.shape == (360, 64)
    assert set(np.unique(data.y_train)) == set(range(10))
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-12)
    stds = data.x_train.std(axis=0)
    assert np.all((np.abs(stds - 1.0) < 1e-9) | (stds == 0.0))


def test_backprop_matches_finite_differences() -> None:
    data = load_digits_split()
    model = MLP(64, 16, 10, seed=3)
    x, y = data.x_train[:20], data.y_train[:20]
    _, grads = model.loss_and_grads(x, y)
    rng = np.random.default_rng(0)
    eps = 1e-6
    for name, param in model.params.items():
        for _ in range(5):
            idx = tuple(rng.integers(0, s) for s in param.shape)
            old = param[idx]
            param[idx] = old + eps
            up, _ = model.loss_and_grads(x, y)
            param[idx] = old - eps
            down, _ = model.loss_and_grads(x, y)
            param[idx] = old
            assert grads[name][idx] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)


def test_sgd_with_momentum_is_torch_sgd() -> None:
    model = MLP(2, 2, 2, seed=0, momentum=0.5)
    w0 = model.params["b2"].copy()
    g = {"b2": np.array([1.0, -2.0])}
    model.sgd_step(g, 0.1)
    model.sgd_step(g, 0.1)
    # buf1 = g, buf2 = 0.5 g + g: two updates move by lr * (g + 1.5 g)
    np.testing.assert_allclose(model.params["b2"], w0 - 0.1 * 2.5 * g["b2"], rtol=1e-15)


def test_step_fn_is_reproducible_and_learns() -> None:
    a, b = make_step_fn(seed=5), make_step_fn(seed=5)
    losses_a = [a(0.05) for _ in range(200)]
    losses_b = [b(0.05) for _ in range(200)]
    assert losses_a == losses_b
    assert np.mean(losses_a[-20:]) < 0.5 * np.mean(losses_a[:20])
    data = load_digits_split()
    assert a.model.accuracy(data.x_test, data.y_test) > 0.85
    assert make_step_fn(seed=6)(0.05) != losses_a[0]


def test_sweep_reaches_a_minimum_then_diverges() -> None:
    result = run_range_test(make_step_fn(seed=0, batch_size=32, hidden=64), 1e-5, 10.0, 150)
    assert result.stopped_reason in ("diverged", "non-finite")
    assert len(result.lrs) < 150
    s = result.smoothed
    i_min = int(np.argmin(s))
    assert s[i_min] < 0.6 * s[0]  # it learned before it blew up
    assert 10 < i_min < len(s) - 1
    sugs = {x.rule: x for x in suggest(result.lrs, result.losses)}
    assert 1e-4 < sugs["steepest"].lr < 1.0
    assert sugs["clr_bounds"].min_lr < sugs["clr_bounds"].lr < result.lrs[-1]


@pytest.mark.parametrize(("kwargs", "word"), [({"batch_size": 0}, "batch_size"), ({"hidden": 2.5}, "hidden")])
def test_step_fn_rejects_bad_sizes(kwargs, word) -> None:
    with pytest.raises(ValueError, match=word):
        make_step_fn(**kwargs)
