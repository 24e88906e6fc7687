"""ui.explore.closeup: the warmup close-up's window and numbers, checked against sums of ``schedules.curve``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings

import schedules
from schedules import SpecError, load_preset, load_spec
from tests.support.spec_strategies import valid_spec_dicts
from ui.common.curves import analyze, no_warmup_twin
from ui.explore.closeup import closeup_steps, closeup_window, reach_steps, warmup_numbers


def expected(spec, twin, scale: float = 1.0) -> dict:
    base = schedules.curve(spec)
    lr = base * scale
    twin_lr = schedules.curve(twin) * scale
    # A group's curve is the base curve scaled: the same steps reach each share of its peak (read on the
    # base curve, so float rounding of the scaled copy cannot move a tie).
    return {
        "given_up": float(np.sum(twin_lr) - np.sum(lr)),
        "pct": float(100 * (np.sum(twin_lr) - np.sum(lr)) / np.sum(lr)),
        # A difference of two sums: its rounding is relative to the sums, not to the (maybe tiny) difference.
        "sums": float(np.sum(np.abs(twin_lr)) + np.sum(np.abs(lr))),
        "sum": float(np.sum(lr)),
        "reach": {f: int(np.flatnonzero(base >= base.max() * (f / 100))[0]) for f in (50, 90, 100)},
        "lr0": float(lr[0]), "lr1": float(lr[1]),
    }


def check(numbers, want) -> None:
    assert numbers.given_up == pytest.approx(want["given_up"], rel=1e-9, abs=1e-13 * want["sums"])
    assert numbers.given_up_pct == pytest.approx(want["pct"], rel=1e-9, abs=1e-11 * want["sums"] / want["sum"])
    assert numbers.reach == want["reach"]
    assert (numbers.lr0, numbers.lr1) == (pytest.approx(want["lr0"], rel=1e-15), pytest.approx(want["lr1"], rel=1e-15))


def test_default_schedule_numbers_equal_the_curve_sums():
    spec = load_preset("gpt_cosine")
    twin = no_warmup_twin(spec)
    numbers = warmup_numbers(spec, twin)["lr"]
    check(numbers, expected(spec, twin))
    # A linear 2000-step warmup from 0: half the peak at step 1000, 90% at 1800, the peak at 2000.
    assert numbers.reach == {50: 1000, 90: 1800, 100: 2000}
    assert numbers.lr0 == 0.0 and numbers.lr1 == pytest.approx(3e-4 / 2000)
    assert numbers.given_up > 0


@pytest.mark.parametrize("name", ["gpt_cosine", "bert", "noam", "one_cycle", "minicpm_wsd"])
def test_from_cached_summaries_equals_from_full_curves(name: str):
    spec = load_preset(name)
    twin = no_warmup_twin(spec)
    full = warmup_numbers(spec, twin)
    fast = warmup_numbers(spec, twin, (analyze(spec).summary, analyze(twin).summary if twin else None))
    for group in full:
        assert fast[group].reach == full[group].reach
        assert fast[group].given_up == pytest.approx(full[group].given_up, rel=1e-9, abs=1e-15)
        assert (fast[group].lr0, fast[group].lr1) == (full[group].lr0, full[group].lr1)


def test_per_param_group_numbers_scale_with_the_group():
    spec = load_spec({"total_steps": 20_000, "lr": 1e-3, "warmup": {"steps": 500, "shape": "cosine"},
                      "schedule": {"type": "linear"}, "param_groups": [{"name": "backbone", "lr_scale": 0.1},
                                                                       {"name": "head", "lr_scale": 1.0}]})
    twin = no_warmup_twin(spec)
    numbers = warmup_numbers(spec, twin)
    assert list(numbers) == ["backbone", "head"]
    check(numbers["backbone"], expected(spec, twin, 0.1))
    check(numbers["head"], expected(spec, twin, 1.0))


def test_no_warmup_gives_nothing_up():
    spec = load_spec({"total_steps": 100, "lr": 0.1, "schedule": {"type": "cosine"}})
    numbers = warmup_numbers(spec, None)["lr"]
    assert numbers.given_up == 0 and numbers.reach == {50: 0, 90: 0, 100: 0}


def test_window_spans_three_warmups_at_least_fifty_steps():
    assert closeup_window(2000, 250_000) == 6000
    assert closeup_window(5, 250_000) == 50
    assert closeup_window(5, 30) == 30
    assert closeup_window(400_000, 1_000_000) == 1_000_000


def test_long_windows_keep_the_warmup_corner():
    steps = closeup_steps(3_000_000, (1_000_000,))
    assert steps[0] == 0 and steps[-1] == 2_999_999 and len(steps) <= 1510
    assert {999_999, 1_000_000, 1_000_001} <= set(steps.tolist())
    assert np.all(np.diff(steps) > 0)
    assert closeup_steps(60).tolist() == list(range(60))


def test_reach_steps_of_a_plain_array():
    assert reach_steps(np.array([0.0, 0.5, 0.9, 1.0, 0.2])) == {50: 1, 90: 2, 100: 3}


@settings(max_examples=40, deadline=None)
@given(valid_spec_dicts())
def test_any_spec_numbers_match_its_curves(data: dict):
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
    assume(spec.total_steps <= 200_000 and spec.total_steps > 1)
    twin = no_warmup_twin(spec)
    assume(twin is not None and schedules.curve(spec).max() > 0)
    numbers = warmup_numbers(spec, twin)
    group = spec.param_groups[0] if spec.param_groups else None
    check(numbers[group.name if group else "lr"], expected(spec, twin, group.lr_scale if group else 1.0))
