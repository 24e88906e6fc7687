"""schedules.stats: the numbers beside the plot, checked against direct NumPy on engine curves."""

from __future__ import annotations

import numpy as np
import pytest

import schedules
from schedules.stats import Summary, summarize


def spec_and_curve(data: dict) -> tuple[schedules.Spec, np.ndarray]:
    spec = schedules.load_spec(data)
    return spec, schedules.curve(spec)


def test_linear_by_hand():
    spec, lr = spec_and_curve({"total_steps": 4, "lr": 1.0, "schedule": {"type": "linear"}})
    assert summarize(spec, lr) == Summary(
        peak=1.0, peak_step=0, final=0.25, mean=0.625, at_step=None, at_value=None, steps_above_90=1
    )


def test_warmup_peak_is_the_first_step_at_the_max():
    spec, lr = spec_and_curve(
        {"total_steps": 100, "lr": 2.0, "warmup": {"steps": 10}, "schedule": {"type": "constant"}}
    )
    s = summarize(spec, lr)
    assert (s.peak, s.peak_step, s.final) == (2.0, 10, 2.0)
    # Warmup reaches 0.9 * peak at t = 9 (linear: 2 * 9 / 10 = 1.8), then 90 steps at the peak.
    assert s.steps_above_90 == 91


def test_first_of_several_peaks():
    spec, lr = spec_and_curve(
        {"total_steps": 5000, "lr": 1.0, "schedule": {"type": "cosine_restarts", "period": 1000}}
    )
    s = summarize(spec, lr)
    assert s.peak == 1.0 and s.peak_step == 0
    assert np.count_nonzero(lr == 1.0) == 5


@pytest.mark.parametrize("name", schedules.preset_names())
def test_presets_match_numpy(name):
    spec = schedules.load_preset(name)
    lr = schedules.curve(spec)
    s = summarize(spec, lr, at_step=spec.total_steps // 3)
    assert s.peak == lr.max()
    assert lr[s.peak_step] == s.peak and np.all(lr[: s.peak_step] < s.peak)
    assert s.final == lr[-1]
    assert s.mean == pytest.approx(lr.sum() / spec.total_steps, rel=1e-12)
    assert s.at_step == spec.total_steps // 3 and s.at_value == lr[spec.total_steps // 3]
    assert s.steps_above_90 == int((lr >= 0.9 * lr.max()).sum())
    assert 1 <= s.steps_above_90 <= spec.total_steps


def test_one_cycle_time_near_peak():
    spec, lr = spec_and_curve({"total_steps": 1000, "lr": 1.0, "schedule": {"type": "one_cycle"}})
    s = summarize(spec, lr)
    assert s.peak_step == 299  # torch OneCycleLR peaks at pct_start * D - 1
    assert 0 < s.steps_above_90 < 300


@pytest.mark.parametrize(("asked", "read"), [(-5, 0), (0, 0), (42, 42), (99, 99), (100, 99), (10**9, 99)])
def test_at_step_is_clamped_into_range(asked, read):
    spec, lr = spec_and_curve({"total_steps": 100, "lr": 1.0, "schedule": {"type": "linear"}})
    s = summarize(spec, lr, at_step=asked)
    assert s.at_step == read
    assert s.at_value == lr[read]


def test_group_curve_is_accepted():
    spec = schedules.load_spec({
        "total_steps": 50, "lr": 1.0, "schedule": {"type": "linear"},
        "param_groups": [{"name": "head", "lr_scale": 10.0}],
    })
    s = summarize(spec, schedules.group_curves(spec)["head"])
    assert s.peak == 10.0


def test_curve_of_the_wrong_length_is_refused():
    spec, lr = spec_and_curve({"total_steps": 100, "lr": 1.0, "schedule": {"type": "linear"}})
    with pytest.raises(ValueError, match="one lr per step"):
        summarize(spec, lr[:-1])


def test_accepts_a_dict_spec():
    data = {"total_steps": 10, "lr": 0.5, "schedule": {"type": "constant"}}
    assert summarize(data, schedules.curve(data)).mean == 0.5
