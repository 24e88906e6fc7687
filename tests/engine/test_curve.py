"""Curve values at the boundaries that matter: warmup end, decay points, cycle ends, epochs, past the end."""

from __future__ import annotations

import math

import numpy as np
import pytest

from schedules import SpecError, curve, group_curves, load_spec, momentum_curve, reduce_blocks, warmup_target
from schedules.curve import BLOCK


def spec(kind: str, total: int = 1000, lr: float = 0.1, warmup: dict | None = None, **params):
    data = {"total_steps": total, "lr": lr, "schedule": {"type": kind, **params}}
    if warmup:
        data["warmup"] = warmup
    return load_spec(data)


def test_linear_warmup_reaches_the_peak_at_w_like_hugging_face() -> None:
    s = spec("cosine", warmup={"steps": 100})
    lr = curve(s)
    assert lr[0] == 0.0
    assert lr[99] == pytest.approx(0.1 * 99 / 100, rel=1e-15)
    assert lr[100] == 0.1
    assert np.all(np.diff(lr[:101]) > 0)


@pytest.mark.parametrize("shape", ["linear", "cosine", "exponential", "constant"])
def test_warmup_shapes_start_at_start_lr_and_hand_over_to_the_main_schedule(shape: str) -> None:
    s = spec("linear", warmup={"steps": 50, "shape": shape, "start_lr": 1e-4})
    lr = curve(s)
    assert lr[0] == pytest.approx(1e-4, rel=1e-14)
    assert lr[50] == 0.1
    if shape == "constant":
        assert np.all(lr[:50] == 1e-4)
    else:
        assert np.all(np.diff(lr[:51]) > 0)
    if shape == "cosine":
        assert lr[25] == pytest.approx(1e-4 + (0.1 - 1e-4) / 2, rel=1e-12)
    if shape == "exponential":
        assert lr[25] == pytest.approx(math.sqrt(1e-4 * 0.1), rel=1e-12)


def test_warmup_targets_the_main_schedules_first_value() -> None:
    cyc = spec("cyclic", min_lr=0.01, step_size=100, warmup={"steps": 10})
    assert warmup_target(cyc) == 0.01
    assert curve(cyc)[10] == 0.01
    oc = spec("one_cycle", warmup={"steps": 10})
    assert curve(oc)[10] == pytest.approx(0.1 / 25, rel=1e-15)


def test_cosine_ends_at_min_lr_and_clamps_past_the_end() -> None:
    s = spec("cosine", total=1000, min_lr=0.01)
    lr = curve(s)
    assert lr[0] == 0.1
    assert lr[500] == pytest.approx(0.055, rel=1e-14)
    assert lr[999] == pytest.approx(0.01 + 0.09 * 0.5 * (1 + math.cos(math.pi * 999 / 1000)), rel=1e-14)
    past = curve(s, [1000, 1500, 5000])
    np.testing.assert_array_equal(past, 0.01)


def test_linear_and_polynomial_end_values() -> None:
    lin = curve(spec("linear", total=4, lr=1.0))
    assert lin.tolist() == [1.0, 0.75, 0.5, 0.25]
    poly = curve(spec("polynomial", total=4, lr=1.0, power=2.0, end_lr=0.1))
    np.testing.assert_allclose(poly, [0.9 * (1 - t / 4) ** 2 + 0.1 for t in range(4)], rtol=1e-15)
    assert curve(spec("polynomial", total=4, lr=1.0, end_lr=0.1), [10])[0] == pytest.approx(0.1)


def test_step_and_multistep_decay_at_the_boundary_like_torch() -> None:
    st = curve(spec("step", step_size=100, gamma=0.5))
    assert st[99] == 0.1 and st[100] == 0.05 and st[200] == 0.025
    ms = curve(spec("multistep", milestones=[300, 600], gamma=0.1))
    assert ms[299] == 0.1 and ms[300] == pytest.approx(0.01) and ms[600] == pytest.approx(0.001)


def test_exponential_smooth_and_staircase() -> None:
    smooth = curve(spec("exponential", gamma=0.5, decay_steps=100))
    assert smooth[50] == pytest.approx(0.1 * 0.5**0.5, rel=1e-15)
    stair = curve(spec("exponential", gamma=0.5, decay_steps=100, staircase=True))
    assert stair[99] == 0.1 and stair[100] == 0.05


def test_inverse_sqrt_is_noam_after_warmup() -> None:
    s = spec("inverse_sqrt", total=10000, warmup={"steps": 400})
    lr = curve(s)
    t = np.arange(400, 10000)
    np.testing.assert_allclose(lr[400:], 0.1 * np.sqrt(400 / t), rtol=1e-14)


def test_cosine_restarts_restart_exactly_on_cycle_starts() -> None:
    s = spec("cosine_restarts", total=1500, period=100, period_mult=2, min_lr=0.0)
    lr = curve(s)
    for start in (0, 100, 300, 700):
        assert lr[start] == 0.1
    assert lr[699] < 1e-5
    decayed = curve(spec("cosine_restarts", total=1000, period=100, peak_decay=0.5))
    assert decayed[0] == 0.1 and decayed[100] == 0.05 and decayed[200] == 0.025


def test_restart_boundary_where_a_log_estimate_misplaces_the_cycle() -> None:
    # period 1, mult 3: cycles start at 0, 1, 4, 13, 40, 121, 364; a float log puts 121 in the wrong cycle.
    s = spec("cosine_restarts", total=1200, period=1, period_mult=3)
    lr = curve(s)
    for start in (0, 1, 4, 13, 40, 121, 364, 1093):
        assert lr[start] == 0.1, start


@pytest.mark.parametrize("shape", ["linear", "cosine", "sqrt"])
def test_wsd_holds_the_peak_then_decays_to_min_lr(shape: str) -> None:
    s = spec("wsd", total=1000, decay_steps=200, shape=shape, min_lr=0.001)
    lr = curve(s)
    assert np.all(lr[:801] == 0.1)
    assert np.all(np.diff(lr[800:]) < 0)
    assert curve(s, [1000, 2000]).tolist() == [0.001, 0.001]


def test_wsd_exponential_halves_every_half_life_and_floors() -> None:
    s = spec("wsd", total=1000, decay_steps=500, shape="exponential", half_life=100, min_lr=0.01)
    lr = curve(s)
    assert lr[600] == pytest.approx(0.05, rel=1e-15)
    assert lr[700] == pytest.approx(0.025, rel=1e-15)
    assert lr[999] == 0.01


def test_cyclic_triangle() -> None:
    s = spec("cyclic", total=1000, min_lr=0.01, step_size=100)
    lr = curve(s)
    assert lr[0] == 0.01 and lr[100] == pytest.approx(0.1) and lr[200] == pytest.approx(0.01)
    tri2 = curve(spec("cyclic", total=1000, min_lr=0.0, step_size=100, mode="triangular2"))
    assert tri2[300] == pytest.approx(0.05)
    asym = curve(spec("cyclic", total=1000, min_lr=0.0, step_size=100, step_size_down=300))
    assert asym[100] == pytest.approx(0.1) and asym[250] == pytest.approx(0.05) and asym[400] == 0.0


def test_one_cycle_matches_the_documented_torch_values() -> None:
    lr = curve(spec("one_cycle", total=1000, lr=0.1))
    assert lr[0] == pytest.approx(0.004, rel=1e-15)
    assert int(np.argmax(lr)) == 299 and lr[299] == 0.1
    assert lr[999] == pytest.approx(4e-7, rel=1e-12)
    assert curve(spec("one_cycle", total=1000, lr=0.1), [1000, 5000]).tolist() == [lr[999], lr[999]]


def test_one_cycle_momentum_is_inverse_to_the_lr() -> None:
    s = load_spec({"total_steps": 1000, "lr": 0.1, "schedule": {"type": "one_cycle"},
                   "momentum": {"base": 0.85, "max": 0.95}})
    mom = momentum_curve(s)
    assert mom[0] == 0.95 and mom[299] == pytest.approx(0.85) and mom[999] == pytest.approx(0.95)
    with pytest.raises(SpecError, match=r"^momentum: "):
        momentum_curve(spec("cosine"))


def test_epoch_interval_holds_each_epochs_first_value() -> None:
    per_step = spec("cosine", total=1000, warmup={"steps": 100})
    per_epoch = load_spec({**per_step.to_dict(), "steps_per_epoch": 50, "interval": "epoch"})
    a, b = curve(per_step), curve(per_epoch)
    expected = a[(np.arange(1000) // 50) * 50]
    np.testing.assert_array_equal(b, expected)
    np.testing.assert_array_equal(curve(per_epoch, [0, 49, 50, 999]), expected[[0, 49, 50, 999]])


def test_epoch_interval_with_a_partial_last_epoch() -> None:
    s = load_spec({"total_steps": 105, "lr": 1.0, "steps_per_epoch": 50, "interval": "epoch",
                   "schedule": {"type": "linear"}})
    lr = curve(s)
    assert lr.shape == (105,)
    assert lr[100] == lr[104] == pytest.approx(1 - 100 / 105)


def test_parallel_blocks_equal_a_direct_evaluation() -> None:
    n = 3 * BLOCK * 8 + 17
    s = spec("cyclic", total=n, min_lr=0.001, step_size=777, warmup={"steps": BLOCK + 5, "shape": "cosine"})
    full = curve(s)
    rng = np.random.default_rng(0)
    steps = np.concatenate([rng.integers(0, n, 2000), [0, BLOCK - 1, BLOCK, BLOCK + 5, n - 1]])
    np.testing.assert_array_equal(full[steps], curve(s, steps))


def test_reduced_blocks_run_in_parallel_and_equal_the_curve() -> None:
    n = 3 * BLOCK * 8 + 17  # past PARALLEL_FROM: a formula family's blocks go to the thread pool
    s = spec("cyclic", total=n, min_lr=0.001, step_size=777, warmup={"steps": BLOCK + 5, "shape": "cosine"})
    sums = reduce_blocks(s, lambda lo, values: (lo, float(values.sum()), len(values)), 10_000)
    assert [lo for lo, _, _ in sums] == list(range(0, n, 10_000)) and sum(k for *_, k in sums) == n
    full = curve(s)
    assert [total for _, total, _ in sums] == [float(full[lo:lo + 10_000].sum()) for lo in range(0, n, 10_000)]


def test_reduce_blocks_validates_its_block_and_range() -> None:
    s = spec("cosine")
    with pytest.raises(SpecError, match=r"^block: must be >= 1"):
        reduce_blocks(s, lambda lo, values: lo, 0)
    with pytest.raises(SpecError, match=r"^steps: must lie within 0 \.\. 1000"):
        reduce_blocks(s, lambda lo, values: lo, 10, 5, 1001)
    assert reduce_blocks(s, lambda lo, values: lo, 10, 7, 7) == []


def test_steps_are_validated() -> None:
    s = spec("cosine")
    with pytest.raises(SpecError, match=r"^steps: must be >= 0"):
        curve(s, [-1])
    with pytest.raises(SpecError, match=r"^steps: must be whole numbers"):
        curve(s, [1.5])
    with pytest.raises(SpecError, match=r"^steps: must be whole numbers"):
        curve(s, ["a"])
    assert curve(s, np.array([], dtype=int)).shape == (0,)
    assert curve(s, 5).shape == ()


def test_param_groups_scale_the_curve() -> None:
    s = load_spec({"total_steps": 100, "lr": 0.1, "schedule": {"type": "cosine"},
                   "param_groups": [{"name": "backbone", "lr_scale": 0.1}, {"name": "head"}]})
    groups = group_curves(s)
    np.testing.assert_array_equal(groups["backbone"], curve(s) * 0.1)
    np.testing.assert_array_equal(groups["head"], curve(s))
    assert list(group_curves(spec("cosine"))) == ["lr"]


def test_curve_accepts_a_plain_dict() -> None:
    assert curve({"total_steps": 2, "lr": 1.0, "schedule": {"type": "constant"}}).tolist() == [1.0, 1.0]


def test_triangular2_past_a_thousand_cycles_stays_finite() -> None:
    s = spec("cyclic", total=5000, lr=1.0, min_lr=0.0, step_size=1, mode="triangular2")
    lr = curve(s)
    assert np.all(np.isfinite(lr)) and lr[1] == 1.0 and lr[3] == 0.5 and lr[4001] == 0.0
    assert lr[2 * 1074 + 1] == 2.0**-1074
