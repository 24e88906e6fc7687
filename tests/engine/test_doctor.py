"""schedules.doctor: each warning fires on the mistake it describes and stays quiet otherwise."""

from __future__ import annotations

import pytest

import schedules
from schedules.doctor import Diagnosis, diagnose


def codes(spec: dict | schedules.Spec) -> list[str]:
    return [d.code for d in diagnose(spec)]


def base(**changes) -> dict:
    """A clean spec: no warmup, cosine to 10% of the peak, nothing for the doctor to say."""
    spec = {"total_steps": 10_000, "lr": 1e-3, "schedule": {"type": "cosine", "min_lr": 1e-4}}
    spec.update(changes)
    return spec


# Every preset's warnings, reviewed one by one: the language-model presets warm up from lr 0 (as HF,
# nanoGPT and the papers do), so their first update is wasted; the others are clean.
PRESET_CODES = {
    "bert": ["zero_first_lr"],
    "clr_triangular": [],
    "gpt_cosine": ["zero_first_lr"],
    "minicpm_wsd": ["zero_first_lr"],
    "noam": ["zero_first_lr"],
    "one_cycle": [],
    "resnet50_step": [],
    "sgdr": [],
}


def test_every_preset_is_reviewed():
    assert sorted(PRESET_CODES) == schedules.preset_names()


@pytest.mark.parametrize("name", sorted(PRESET_CODES))
def test_preset_diagnoses(name):
    assert codes(schedules.load_preset(name)) == PRESET_CODES[name]


def test_clean_spec_has_no_diagnoses():
    assert diagnose(base()) == []


def test_messages_are_single_lines_naming_a_reason():
    specs = [
        base(warmup={"steps": 4000}),
        base(schedule={"type": "cosine", "min_lr": 1e-3}),
        base(steps_per_epoch=100, schedule={"type": "step", "step_size": 30}),
        base(steps_per_epoch=100, interval="epoch", warmup={"steps": 50, "start_lr": 1e-5}),
    ]
    found = [d for s in specs for d in diagnose(s)]
    assert len(found) >= 5
    for d in found:
        assert isinstance(d, Diagnosis)
        assert "\n" not in d.message
        assert ":" in d.message and len(d.message) < 240


def test_accepts_json_text():
    assert codes(schedules.load_spec(base()).to_json()) == []


# zero_first_lr


def test_zero_first_lr_from_warmup():
    spec = base(warmup={"steps": 100, "start_lr": 0.0})
    assert codes(spec) == ["zero_first_lr"]
    assert "start_lr" in diagnose(spec)[0].message


def test_zero_first_lr_quiet_with_nonzero_start():
    assert codes(base(warmup={"steps": 100, "start_lr": 1e-6})) == []


def test_zero_first_lr_from_cyclic_floor():
    spec = base(steps_per_epoch=500, schedule={"type": "cyclic", "min_lr": 0.0, "step_size": 2000})
    assert codes(spec) == ["zero_first_lr"]


# long_warmup


def test_long_warmup_fires_past_a_quarter():
    found = diagnose(base(warmup={"steps": 2501, "start_lr": 1e-5}))
    assert [d.code for d in found] == ["long_warmup"]
    assert "2501" in found[0].message and "10000" in found[0].message


def test_long_warmup_quiet_at_a_quarter():
    assert codes(base(warmup={"steps": 2500, "start_lr": 1e-5})) == []


# warmup_outlasts_run


@pytest.mark.parametrize(("warmup", "top", "share"), [
    # linear from 1e-5: 1e-5 + (1e-3 - 1e-5) * 9999 / 12000 at the last update
    ({"steps": 12000, "start_lr": 1e-5}, "0.000834918", "83.4%"),
    # as long as the run: the last update is one warmup step short of the peak (rounded down, never 100%)
    ({"steps": 10000, "start_lr": 0.0}, "0.0009999", "99.9%"),
])
def test_a_warmup_that_outlasts_the_run_says_the_peak_is_never_reached(warmup, top, share):
    found = diagnose(base(warmup=warmup))
    assert [d.code for d in found if d.code != "zero_first_lr"] == ["warmup_outlasts_run"]
    message = next(d.message for d in found if d.code == "warmup_outlasts_run")
    assert message == (f"warmup.steps: {warmup['steps']} >= total_steps 10000: training ends during warmup, so the "
                       f"lr never reaches its peak 0.001; the highest lr used is {top} ({share} of it) at step 9999")


def test_a_warmup_from_above_the_peak_that_outlasts_the_run():
    found = diagnose(base(warmup={"steps": 20000, "shape": "constant", "start_lr": 0.002}))
    assert [d.message for d in found] == ["warmup.steps: 20000 >= total_steps 10000: training ends during warmup, "
                                          "so the main schedule never runs; the lr ends at 0.002 (peak 0.001)"]


# no_decay


@pytest.mark.parametrize(
    "schedule",
    [
        {"type": "cosine", "min_lr": 1e-3},
        {"type": "linear", "end_lr": 1e-3},
        {"type": "polynomial", "end_lr": 1e-3},
        {"type": "wsd", "min_lr": 1e-3},
        {"type": "cosine_restarts", "period": 1000, "min_lr": 1e-3},
        {"type": "step", "step_size": 3000, "gamma": 1.0},
        {"type": "multistep", "milestones": [3000, 6000], "gamma": 1.0},
        {"type": "exponential", "gamma": 1.0},
    ],
)
def test_no_decay(schedule):
    assert codes(base(schedule=schedule)) == ["no_decay"]


@pytest.mark.parametrize(
    "schedule",
    [
        {"type": "linear", "end_lr": 0.9e-3},
        {"type": "step", "step_size": 3000, "gamma": 0.5},
        {"type": "exponential", "gamma": 0.9999},
        {"type": "constant"},
    ],
)
def test_no_decay_quiet_when_it_decays(schedule):
    assert codes(base(schedule=schedule)) == []


def test_no_decay_cyclic_says_it_never_moves():
    found = diagnose(base(schedule={"type": "cyclic", "min_lr": 1e-3, "step_size": 1000}))
    assert [d.code for d in found] == ["no_decay"]
    assert "never moves" in found[0].message


# cyclic_step_size


@pytest.mark.parametrize(("step_size", "fires"), [(999, True), (1000, False), (5000, False), (5001, True)])
def test_cyclic_step_size_two_to_ten_epochs(step_size, fires):
    spec = base(steps_per_epoch=500, schedule={"type": "cyclic", "min_lr": 1e-4, "step_size": step_size})
    assert codes(spec) == (["cyclic_step_size"] if fires else [])


def test_cyclic_step_size_checks_the_way_down_too():
    spec = base(
        steps_per_epoch=500,
        schedule={"type": "cyclic", "min_lr": 1e-4, "step_size": 2000, "step_size_down": 400},
    )
    found = diagnose(spec)
    assert [d.code for d in found] == ["cyclic_step_size"]
    assert found[0].message.startswith("schedule.step_size_down:")


def test_cyclic_step_size_needs_steps_per_epoch():
    assert codes(base(schedule={"type": "cyclic", "min_lr": 1e-4, "step_size": 10})) == []


# one_cycle_tiny_final


def test_one_cycle_tiny_final_fires_beyond_a_millionth():
    spec = base(schedule={"type": "one_cycle", "div_factor": 100.0, "final_div_factor": 1e5})
    found = diagnose(spec)
    assert [d.code for d in found] == ["one_cycle_tiny_final"]
    assert "1e+07" in found[0].message


def test_one_cycle_torch_defaults_are_quiet():
    assert codes(base(schedule={"type": "one_cycle"})) == []


# epoch_warmup_short


def test_epoch_warmup_short_fires():
    spec = base(steps_per_epoch=1000, interval="epoch", warmup={"steps": 500, "start_lr": 1e-5})
    assert codes(spec) == ["epoch_warmup_short"]


def test_epoch_warmup_of_whole_epochs_is_quiet():
    spec = base(steps_per_epoch=1000, interval="epoch", warmup={"steps": 2000, "start_lr": 1e-5})
    assert codes(spec) == []


def test_short_warmup_stepped_per_step_is_quiet():
    assert codes(base(steps_per_epoch=1000, warmup={"steps": 500, "start_lr": 1e-5})) == []


# sized_in_epochs / not_whole_epochs


def test_total_steps_shorter_than_an_epoch():
    found = diagnose(base(total_steps=90, steps_per_epoch=5005, schedule={"type": "cosine", "min_lr": 1e-4}))
    assert [d.code for d in found] == ["sized_in_epochs"]
    assert "450450" in found[0].message


def test_milestones_in_epochs_stepped_per_step():
    spec = base(total_steps=450_450, steps_per_epoch=5005,
                schedule={"type": "multistep", "milestones": [30, 60, 80]})
    found = diagnose(spec)
    assert [d.code for d in found] == ["sized_in_epochs"]
    assert "[150150, 300300, 400400]" in found[0].message


@pytest.mark.parametrize(
    "schedule",
    [
        {"type": "step", "step_size": 30},
        {"type": "cosine_restarts", "period": 10, "min_lr": 0.0},
        {"type": "wsd", "decay_steps": 10},
    ],
)
def test_epoch_counts_in_step_params(schedule):
    assert codes(base(steps_per_epoch=391, schedule=schedule)) == ["sized_in_epochs"]


def test_step_durations_longer_than_an_epoch_are_quiet():
    assert codes(base(steps_per_epoch=391, schedule={"type": "step", "step_size": 3910})) == []


def test_large_sub_epoch_durations_are_not_epoch_counts():
    # 2000 steps is under one 5005-step epoch but far above any epoch count.
    spec = base(total_steps=100_000, steps_per_epoch=5005, schedule={"type": "step", "step_size": 2000})
    assert codes(spec) == []


def test_without_steps_per_epoch_nothing_looks_like_epochs():
    assert codes(base(schedule={"type": "step", "step_size": 30})) == []


def test_epoch_stepping_with_epoch_counts():
    spec = base(steps_per_epoch=100, interval="epoch", schedule={"type": "multistep", "milestones": [30, 60]})
    found = diagnose(spec)
    assert [d.code for d in found] == ["sized_in_epochs"]
    assert "per epoch" in found[0].message


def test_epoch_stepping_with_partial_epochs():
    spec = base(steps_per_epoch=500, interval="epoch", schedule={"type": "step", "step_size": 1250})
    found = diagnose(spec)
    assert [d.code for d in found] == ["not_whole_epochs"]
    assert found[0].message.startswith("schedule.step_size: 1250")


def test_epoch_stepping_with_partial_epoch_warmup():
    spec = base(steps_per_epoch=500, interval="epoch", warmup={"steps": 1250, "start_lr": 1e-5})
    assert codes(spec) == ["not_whole_epochs"]


def test_epoch_stepping_with_whole_epochs_is_quiet():
    spec = base(steps_per_epoch=500, interval="epoch", schedule={"type": "multistep", "milestones": [3000, 6000]})
    assert codes(spec) == []
