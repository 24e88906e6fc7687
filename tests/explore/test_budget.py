"""ui.explore.budget: step counts from a training budget, as Hugging Face Trainer counts them (checked against the
installed transformers' own code path where it is a pure function)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedules import SpecError
from ui.explore.budget import budget_steps


def test_worked_example_from_the_docs():
    b = budget_steps(50_000, 32, devices=2, grad_accum=4, epochs=3, warmup_ratio=0.03)
    assert (b.batches_per_epoch, b.steps_per_epoch, b.total_steps, b.warmup_steps) == (782, 196, 588, 18)


def test_drop_last_and_fractional_epochs():
    assert budget_steps(1000, 64, drop_last=True).batches_per_epoch == 15
    assert budget_steps(1000, 64).batches_per_epoch == 16
    assert budget_steps(1000, 64, epochs=2.5).total_steps == 40
    assert budget_steps(10, 64, grad_accum=8).steps_per_epoch == 1  # at least one update per epoch


def test_warmup_ratio_matches_transformers_rounding():
    from transformers import TrainingArguments

    for ratio in (0.01, 0.03, 0.1, 0.333):
        b = budget_steps(12_345, 16, grad_accum=3, epochs=2, warmup_ratio=ratio)
        args = TrainingArguments(output_dir="unused", warmup_steps=ratio, report_to=[])
        assert b.warmup_steps == args.get_warmup_steps(b.total_steps) == math.ceil(ratio * b.total_steps)


@given(st.integers(1, 10**7), st.integers(1, 512), st.integers(1, 64), st.integers(1, 64),
       st.floats(0.05, 50), st.booleans())
def test_formula(n: int, batch: int, devices: int, accum: int, epochs: float, drop_last: bool):
    per = batch * devices
    batches = n // per if drop_last else math.ceil(n / per)
    if batches < 1:
        with pytest.raises(SpecError, match=r"^dataset_size"):
            budget_steps(n, batch, devices, accum, epochs, drop_last)
        return
    # Trainer: len(dl) // a + int(len(dl) % a > 0), at least 1; max_steps = ceil(epochs * that)
    updates = max(batches // accum + int(batches % accum > 0), 1)
    b = budget_steps(n, batch, devices, accum, epochs, drop_last)
    assert (b.steps_per_epoch, b.total_steps) == (updates, math.ceil(epochs * updates))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"dataset_size": 0, "batch_size": 8}, "dataset_size"),
        ({"dataset_size": 100, "batch_size": 8, "devices": 0}, "devices"),
        ({"dataset_size": 100, "batch_size": 8, "epochs": 0}, "epochs"),
        ({"dataset_size": 100, "batch_size": 8, "epochs": float("nan")}, "epochs"),
        ({"dataset_size": 100, "batch_size": 8, "warmup_ratio": 1.0}, "warmup_ratio"),
        ({"dataset_size": 10**12, "batch_size": 1, "epochs": 1000}, "epochs"),
        ({"dataset_size": 3, "batch_size": 8, "drop_last": True}, "dataset_size"),
    ],
)
def test_bad_budgets_name_the_field(kwargs: dict, field: str):
    with pytest.raises(SpecError) as info:
        budget_steps(**kwargs)
    assert info.value.field == field and "\n" not in str(info.value)
