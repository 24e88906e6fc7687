"""The range test math (sweep, smoothing, stop rule, driver) and the suggestion rules on curves with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from schedules import SpecError, load_preset, load_spec
from schedules.finder import (
    RULES,
    FinderError,
    lr_sweep,
    run_range_test,
    smooth,
    spec_from_suggestion,
    stop_index,
    suggest,
)
from tests.support.refusals import refusal

N = 400
LOG_LO, LOG_HI = -6.0, 1.0
STEP = (LOG_HI - LOG_LO) / (N - 1)  # decades between sweep points


def grid() -> tuple[np.ndarray, np.ndarray]:
    lrs = lr_sweep(10**LOG_LO, 10**LOG_HI, N)
    return lrs, np.log10(lrs)


def by_rule(sugs):
    return {s.rule: s for s in sugs}


def tanh_bowl(x: np.ndarray, x0: float, x1: float) -> np.ndarray:
    """Falls fastest at x0 (slope -2 per decade), bottoms out, then explodes after x1."""
    return 2.0 - np.tanh(2.0 * (x - x0)) + np.exp(4.0 * (x - x1))


def brute_valley(y: np.ndarray) -> int:
    """fastai's valley index, by its O(n^2) definition, as an independent reference."""
    n = len(y)
    lds = [1] * n
    for i in range(1, n):
        for j in range(i):
            if y[i] < y[j]:
                lds[i] = max(lds[i], lds[j] + 1)
    end = max(range(n), key=lambda i: (lds[i], -i))
    start = max(end - lds[end], 0)
    span = end - start
    return start + int(span / 3) + int(span / 6)


# --- sweep, smoothing, stop rule -------------------------------------------------------------------------------


def test_exponential_sweep_hits_both_ends_with_a_constant_ratio() -> None:
    lrs = lr_sweep(1e-7, 10.0, 100)
    assert lrs[0] == 1e-7 and lrs[-1] == 10.0
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, (10.0 / 1e-7) ** (1 / 99), rtol=1e-12)
    np.testing.assert_allclose(lrs[50], 1e-7 * (1e8) ** (50 / 99), rtol=1e-14)


def test_linear_sweep_has_constant_steps() -> None:
    lrs = lr_sweep(0.01, 1.0, 100, "linear")
    np.testing.assert_allclose(np.diff(lrs), 0.99 / 99, rtol=1e-9)
    assert lrs[0] == 0.01 and lrs[-1] == 1.0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0.0, 1.0, 10, "exp"), "start_lr"),
        ((1.0, 0.5, 10, "exp"), "end_lr"),
        ((1e-3, 1.0, 1, "exp"), "num_iter"),
        ((1e-3, 1.0, 10, "cubic"), "mode"),
        ((1e-3, math.inf, 10, "exp"), "end_lr"),
        ((1e-3, 1.0, 2.5, "exp"), "num_iter"),
    ],
)
def test_sweep_rejects_bad_settings_naming_the_field(args, field) -> None:
    with pytest.raises(FinderError) as err:
        lr_sweep(*args)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


def test_smooth_is_the_debiased_ema() -> None:
    losses = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    beta = 0.9
    avg, expected = 0.0, []
    for i, v in enumerate(losses):
        avg = beta * avg + (1 - beta) * v
        expected.append(avg / (1 - beta ** (i + 1)))
    np.testing.assert_allclose(smooth(losses, beta), expected, rtol=1e-15)
    assert smooth(losses, beta)[0] == 3.0  # the bias correction makes the first value the first loss
    np.testing.assert_array_equal(smooth(losses, 0.0), losses)


@pytest.mark.parametrize("beta", [1.0, -0.1, math.nan, True, "0.9"])
def test_smooth_rejects_beta_outside_zero_one(beta) -> None:
    with pytest.raises(FinderError) as err:
        smooth([1.0, 2.0], beta)
    assert err.value.field == "beta"


def test_stop_index_flags_k_times_the_best_or_non_finite() -> None:
    assert stop_index([4.0, 2.0, 3.0, 7.9, 8.1, 9.0], k=4) == 4
    assert stop_index([4.0, 2.0, 3.0, 7.9], k=4) is None
    assert stop_index([4.0, 2.0, math.nan, 1.0], k=4) == 2
    assert stop_index([1.0, 4.5], k=4) == 1
    assert stop_index([-1.0, -50.0, 3.0], k=4) is None  # a ratio of negative losses means nothing
    with pytest.raises(FinderError):
        stop_index([1.0], k=1.0)


# --- driver -----------------------------------------------------------------------------------------------------


def test_driver_stops_when_the_loss_diverges() -> None:
    calls: list[tuple[int, int]] = []
    result = run_range_test(
        lambda lr: 1.0 + (lr / 0.1) ** 2, 1e-4, 10.0, 100, on_progress=lambda d, n: calls.append((d, n))
    )
    assert result.stopped_reason == "diverged"
    m = len(result.lrs)
    assert 10 < m < 100
    assert result.smoothed[-1] > 4 * result.smoothed[:-1].min()
    assert np.all(result.smoothed[:-1] <= 4 * np.minimum.accumulate(result.smoothed[:-1]))
    np.testing.assert_allclose(result.smoothed, smooth(result.losses, 0.98))
    np.testing.assert_array_equal(result.lrs, lr_sweep(1e-4, 10.0, 100)[:m])
    assert calls == [(i, 100) for i in range(1, m + 1)]


def test_driver_stops_on_a_non_finite_loss_and_keeps_only_finite_points() -> None:
    result = run_range_test(lambda lr: math.nan if lr > 0.5 else 1.0, 1e-3, 10.0, 50, k=1e9)
    assert result.stopped_reason == "non-finite"
    assert np.all(np.isfinite(result.losses)) and result.lrs[-1] <= 0.5
    assert len(result.lrs) == len(result.losses) == len(result.smoothed)


def test_driver_completes_on_a_flat_loss_and_rejects_non_numbers() -> None:
    result = run_range_test(lambda lr: 2.0, 1e-3, 1.0, 30)
    assert result.stopped_reason == "completed" and len(result.lrs) == 30
    with pytest.raises(FinderError) as err:
        run_range_test(lambda lr: "loss", 1e-3, 1.0, 30)
    assert err.value.field == "step_fn"


# --- suggestion rules on known curves ----------------------------------------------------------------------------


def test_steepest_descent_is_at_the_inflection_of_a_smooth_curve() -> None:
    lrs, x = grid()
    loss = 2.0 - np.tanh(2.0 * (x + 2.0))  # falls fastest at lr = 1e-2
    s = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0))
    assert abs(math.log10(s["steepest"].lr) - (-2.0)) <= STEP
    assert s["steepest"].min_lr is None


def test_steepest_on_log_spacing_is_the_same_for_a_linear_sweep() -> None:
    lrs = lr_sweep(1e-3, 1.0, 300, "linear")
    loss = 2.0 - np.tanh(3.0 * (np.log10(lrs) + 1.0))  # steepest per decade at 0.1
    s = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0))
    assert abs(s["steepest"].lr - 0.1) <= (1.0 - 1e-3) / 299 * 1.01


def test_minimum_and_clr_bounds_on_a_parabola() -> None:
    lrs, x = grid()
    loss = (x + 1.5) ** 2 + 1.0  # lowest at lr = 10 ** -1.5
    s = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0, clr_divisor=3.0))
    i = int(np.argmin(loss))
    assert s["minimum"].index == i and s["minimum"].lr == pytest.approx(lrs[i] / 10, rel=1e-12)
    assert abs(math.log10(lrs[i]) + 1.5) <= STEP
    assert s["clr_bounds"].lr == lrs[i] and s["clr_bounds"].min_lr == pytest.approx(lrs[i] / 3, rel=1e-12)


def test_valley_is_half_way_down_the_longest_fall() -> None:
    lrs = lr_sweep(1e-5, 1.0, 100)
    loss = np.concatenate([np.full(10, 3.0), np.linspace(2.9, 1.0, 61), np.linspace(1.1, 5.0, 29)])
    s = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0))
    assert s["valley"].index == brute_valley(loss)
    assert 30 <= s["valley"].index <= 50  # the fall spans points 10..70


def test_valley_matches_the_quadratic_definition_on_random_curves() -> None:
    rng = np.random.default_rng(7)
    lrs = lr_sweep(1e-6, 1.0, 120)
    for _ in range(20):
        loss = np.cumsum(rng.normal(-0.01, 0.1, 120)) + 5.0
        s = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0))
        assert s["valley"].index == brute_valley(loss)


def test_trimming_indexes_into_the_untrimmed_arrays() -> None:
    lrs, x = grid()
    loss = (x + 1.5) ** 2 + 1.0
    full = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0))
    trimmed = by_rule(suggest(lrs, loss, beta=0.0, skip_start=37, skip_end=11))
    assert full["minimum"].index == trimmed["minimum"].index
    assert [s.rule for s in suggest(lrs, loss)] == list(RULES)


def test_a_noise_spike_in_the_trimmed_start_is_not_picked() -> None:
    lrs, x = grid()
    loss = tanh_bowl(x, -3.0, 0.0)
    loss[3] = 0.0  # one bad batch before learning starts
    unprotected = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0))
    assert unprotected["steepest"].index in (2, 3)  # the spike wins when nothing protects against it
    s = by_rule(suggest(lrs, loss, beta=0.0, skip_start=10, skip_end=5))
    assert abs(math.log10(s["steepest"].lr) + 3.0) <= 2 * STEP


def test_a_noise_spike_mid_curve_is_smoothed_away() -> None:
    lrs, x = grid()
    loss = tanh_bowl(x, -3.0, 0.0)
    true_min = lrs[int(np.argmin(loss))]
    spike = int(np.searchsorted(x, -2.0))
    loss[spike] *= 0.5  # one lucky batch: half the loss, far below the true minimum (about 1.0)
    raw = by_rule(suggest(lrs, loss, beta=0.0, skip_start=0, skip_end=0))
    assert raw["minimum"].index == spike
    s = by_rule(suggest(lrs, loss, beta=0.9, skip_start=10, skip_end=5))
    assert s["minimum"].index != spike
    assert 1 / 2 <= s["clr_bounds"].lr / true_min <= 2
    assert 1 / 2 <= s["steepest"].lr / 1e-3 <= 2


def test_rules_stay_near_the_truth_under_multiplicative_noise() -> None:
    lrs, x = grid()
    rng = np.random.default_rng(0)
    clean = tanh_bowl(x, -3.0, 0.0)
    noisy = clean * np.exp(rng.normal(0.0, 0.05, N))
    s = by_rule(suggest(lrs, noisy, beta=0.9, skip_start=10, skip_end=5))
    assert 1 / 2 <= s["steepest"].lr / 1e-3 <= 2
    assert 1 / 3 <= s["clr_bounds"].lr / lrs[int(np.argmin(clean))] <= 3
    assert s["clr_bounds"].lr > s["valley"].lr > lrs[10]


def test_suggestions_are_deterministic() -> None:
    lrs, x = grid()
    loss = tanh_bowl(x, -3.0, 0.0) + 0.01 * np.sin(37 * x)
    assert suggest(lrs, loss) == suggest(lrs.copy(), loss.copy())


# --- validation ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lrs", "losses", "kwargs", "field"),
    [
        ([1e-3, 1e-2, 1e-1, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1, 1], {"skip_start": 1, "skip_end": 1}, "skip_start"),
        ([1e-3, 1e-2, 1e-1, 1.0, 2.0, 3.0], [1, 1, math.nan, 1, 1, 1], {}, "losses"),
        ([1e-3, 1e-2, 1e-3, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1, 1], {}, "lrs"),
        ([1e-3, 1e-2, 1e-2, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1, 1], {}, "lrs"),
        ([0.0, 1e-2, 1e-1, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1, 1], {}, "lrs"),
        ([1e-3, 1e-2, 1e-1, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1], {}, "losses"),
        ([1e-3, 1e-2, 1e-1, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1, 1], {"beta": 1.0}, "beta"),
        ([1e-3, 1e-2, 1e-1, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1, 1], {"skip_end": -1}, "skip_end"),
        ([1e-3, 1e-2, 1e-1, 1.0, 2.0, 3.0], [1, 1, 1, 1, 1, 1], {"clr_divisor": 1.0}, "clr_divisor"),
        ([1e-3, 1e-2, 1e-1, 1.0, 2.0, 3.0], ["a", 1, 1, 1, 1, 1], {}, "lrs"),
    ],
)
def test_suggest_rejects_bad_input_naming_the_field(lrs, losses, kwargs, field) -> None:
    kwargs = {"skip_start": 0, "skip_end": 0, **kwargs}
    assert isinstance(refusal(field, suggest, lrs, losses, error=FinderError, **kwargs), ValueError)


# --- sending a suggestion to a schedule ---------------------------------------------------------------------------


def test_spec_from_suggestion_keeps_the_run_and_scales_the_floor() -> None:
    base = load_preset("gpt_cosine")
    spec = spec_from_suggestion(base, "cosine", 0.01, None, name="from the range test")
    assert spec.lr == 0.01 and spec.total_steps == base.total_steps and spec.warmup == base.warmup
    ratio = base.schedule.get("min_lr") / base.lr
    assert spec.schedule.get("min_lr") == pytest.approx(0.01 * ratio, rel=1e-12)
    assert load_spec(spec.to_json()) == spec


def test_spec_from_suggestion_sets_cyclic_bounds_and_drops_warmup_for_self_warming_families() -> None:
    base = load_preset("gpt_cosine")
    cyc = spec_from_suggestion(base, "cyclic", 0.4, 0.1)
    assert cyc.lr == 0.4 and cyc.schedule.get("min_lr") == 0.1 and cyc.warmup.steps == 0
    one = spec_from_suggestion(base, "one_cycle", 0.4, None)
    assert one.lr == 0.4 and one.family.name == "one_cycle" and one.warmup.steps == 0


def test_spec_from_suggestion_reports_an_impossible_schedule() -> None:
    base = load_preset("gpt_cosine")
    with pytest.raises(SpecError) as err:
        spec_from_suggestion(base, "cosine", 500.0)
    assert err.value.field == "lr"
    with pytest.raises(SpecError) as err:
        spec_from_suggestion(base, "no_such_family", 0.1)
    assert err.value.field.startswith("schedule")
