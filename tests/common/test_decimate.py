"""ui.common.decimate: a few thousand points that keep every extreme of a 10M-step curve."""

from __future__ import annotations

import numpy as np
import pytest

import schedules
from ui.common.decimate import decimate, decimate_indices


def check_shape(x: np.ndarray, y: np.ndarray, xs: np.ndarray, ys: np.ndarray, max_points: int) -> None:
    assert len(xs) == len(ys) <= max_points
    assert np.all(np.diff(xs) > 0)
    assert xs[0] == x[0] and xs[-1] == x[-1]
    assert ys[0] == y[0] and ys[-1] == y[-1]
    # Every kept point is a real point of the input.
    idx = np.searchsorted(x, xs)
    assert np.array_equal(x[idx], xs) and np.array_equal(y[idx], ys)


def test_short_input_is_returned_as_is():
    x, y = np.arange(4000), np.linspace(1.0, 0.0, 4000)
    xs, ys = decimate(x, y)
    assert xs is x and ys is y


@pytest.mark.parametrize("n", [4001, 4003, 9999, 123_457, 1_000_000])
@pytest.mark.parametrize("max_points", [4, 5, 100, 4000])
def test_extremes_and_bounds_on_noise(n, max_points):
    rng = np.random.default_rng(n + max_points)
    x = np.arange(n) * 3 + 7
    y = rng.standard_normal(n)
    xs, ys = decimate(x, y, max_points)
    check_shape(x, y, xs, ys, max_points)
    assert ys.max() == y.max() and ys.min() == y.min()
    assert xs[np.argmax(ys)] == x[np.argmax(y)]


def test_every_cycle_peak_and_trough_of_a_10m_step_cyclic_schedule():
    half = 7919  # prime: cycles never line up with bucket edges
    spec = schedules.load_spec({
        "total_steps": 10_000_000, "lr": 0.01,
        "schedule": {"type": "cyclic", "min_lr": 0.001, "step_size": half},
    })
    y = schedules.curve(spec)
    x = np.arange(len(y))
    xs, ys = decimate(x, y)
    check_shape(x, y, xs, ys, 4000)
    kept = dict(zip(xs.tolist(), ys.tolist(), strict=True))
    n_cycles = len(y) // (2 * half)
    assert n_cycles > 600
    for k in range(n_cycles):
        lo, hi = 2 * half * k, 2 * half * (k + 1)
        top = lo + int(np.argmax(y[lo:hi]))
        bottom = lo + int(np.argmin(y[lo:hi]))
        assert kept.get(top) == y[top], f"cycle {k}: peak at step {top} lost"
        assert kept.get(bottom) == y[bottom], f"cycle {k}: trough at step {bottom} lost"


def test_step_schedule_keeps_every_drop():
    spec = schedules.load_spec({
        "total_steps": 2_000_000, "lr": 1.0, "schedule": {"type": "step", "step_size": 250_000, "gamma": 0.5},
    })
    y = schedules.curve(spec)
    _, ys = decimate(np.arange(len(y)), y, 1000)
    assert sorted(set(ys.tolist())) == sorted(set(y.tolist()))
    assert len(set(ys.tolist())) == 8


def test_float_x_axis_in_epochs():
    y = np.sin(np.linspace(0, 40 * np.pi, 50_001))
    x = np.arange(len(y)) / 391.0
    xs, ys = decimate(x, y, 500)
    check_shape(x, y, xs, ys, 500)
    assert ys.max() == y.max() and ys.min() == y.min()


def test_bad_arguments():
    with pytest.raises(ValueError, match="same length"):
        decimate(np.arange(10), np.arange(11))
    with pytest.raises(ValueError, match="same length"):
        decimate(np.zeros((2, 5)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="max_points"):
        decimate(np.arange(10), np.arange(10), 3)


def test_indices_are_the_steps_decimate_keeps():
    y = np.sin(np.arange(100_003) / 77.0) * np.linspace(1, 2, 100_003)
    keep = decimate_indices(y, 1000)
    xs, ys = decimate(np.arange(len(y)), y, 1000)
    assert np.array_equal(keep, xs) and np.array_equal(y[keep], ys)
    assert decimate_indices(y[:1000], 1000) is None
