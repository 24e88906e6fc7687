"""Step counts from a training budget: dataset size, batch size, devices, accumulation and epochs.

Pure: no Streamlit. The formula is Hugging Face ``Trainer``'s (transformers 5.x), which most fine-tuning
stacks go through; ``docs/explore-page.md`` states it with an example:

- batches per epoch, per device: ``B = ceil(N / (b * d))``, or ``floor(N / (b * d))`` with drop_last
  (a ``DistributedSampler`` splits the N examples over d devices, each loading batches of b);
- optimizer updates per epoch: ``U = max(ceil(B / a), 1)``: the last, partial accumulation window of an
  epoch still makes an update (``Trainer``: ``len(dl) // a + int(len(dl) % a > 0)``);
- total steps: ``T = ceil(E * U)`` for E epochs (fractions of an epoch allowed);
- warmup from a ratio r: ``W = ceil(r * T)`` (``TrainingArguments.get_warmup_steps``; a ratio is a
  ``warmup_steps`` below 1 in transformers 5, ``warmup_ratio`` before).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from schedules import SpecError
from schedules.params import MAX_STEPS


@dataclass(frozen=True)
class Budget:
    """The step counts a training budget gives (see the module docstring)."""

    batches_per_epoch: int
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int | None


def budget_steps(dataset_size: int, batch_size: int, devices: int = 1, grad_accum: int = 1,
                 epochs: float = 1.0, drop_last: bool = False, warmup_ratio: float | None = None) -> Budget:
    """Steps per epoch, total steps and (from ``warmup_ratio``) warmup steps of a training budget.

    Raises:
        SpecError: a count that is not a positive whole number, an epoch count that is not positive, a
            ratio outside [0, 1), or a budget whose steps fall outside 1 .. 100,000,000 (the field named).

    >>> budget_steps(50_000, 32, devices=2, grad_accum=4, epochs=3, warmup_ratio=0.03)
    Budget(batches_per_epoch=782, steps_per_epoch=196, total_steps=588, warmup_steps=18)
    """
    for name, value in (("dataset_size", dataset_size), ("batch_size", batch_size), ("devices", devices),
                        ("grad_accum", grad_accum)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(name, "must be a whole number >= 1", value)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or not math.isfinite(epochs) or epochs <= 0:
        raise SpecError("epochs", "must be a number > 0", epochs)
    per_step = batch_size * devices
    batches = dataset_size // per_step if drop_last else -(-dataset_size // per_step)
    if batches < 1:
        raise SpecError("dataset_size", "must fill at least one batch with drop_last (>= batch_size * devices)",
                        dataset_size, f"batch_size * devices = {per_step}")
    updates = max(-(-batches // grad_accum), 1)
    total = math.ceil(epochs * updates)
    if total > MAX_STEPS:
        raise SpecError("epochs", f"give more than {MAX_STEPS:,} total steps", total)
    warmup = None
    if warmup_ratio is not None:
        if not (isinstance(warmup_ratio, (int, float)) and 0 <= warmup_ratio < 1):
            raise SpecError("warmup_ratio", "must be >= 0 and < 1", warmup_ratio)
        warmup = math.ceil(warmup_ratio * total)
        if warmup >= total:
            raise SpecError("warmup_ratio", "leaves no step after warmup", warmup_ratio, f"total steps {total}")
    return Budget(batches_per_epoch=batches, steps_per_epoch=updates, total_steps=total, warmup_steps=warmup)
