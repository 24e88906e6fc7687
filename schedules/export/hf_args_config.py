"""Export a spec as Hugging Face ``TrainingArguments`` fields: a ``TrainingArguments(...)`` call.

The schedule fields come from :func:`schedules.export.trainer_hf.hf_plan`; ``max_steps`` fixes the
schedule's length in optimizer updates, so Trainer does not derive it from the dataset. Specs Trainer's own
schedulers cannot run are refused naming the field (the Transformers code export runs them).
"""

from __future__ import annotations

import json
from typing import Any

from schedules.export.literals import header, integer, num
from schedules.export.trainer_hf import TRAINER_EXTENSIONS, hf_plan
from schedules.spec import Spec

#: The later spec v1 fields Trainer runs as they are.
EXTENSIONS = TRAINER_EXTENSIONS


def py_literal(value: Any) -> str:
    """A Python literal for a plan value: numbers via :func:`num` / :func:`integer`, names via ``repr``."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return integer(value)
    if isinstance(value, float):
        return num(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


def max_steps_note(spec: Spec, prefix: str = "# ") -> str:
    """Comment lines saying why ``max_steps`` is written (and what it is in epochs, when known)."""
    epochs = ""
    if spec.steps_per_epoch:
        epochs = f" ({spec.total_steps / spec.steps_per_epoch:g} epochs of {spec.steps_per_epoch} updates)"
    return (
        f"{prefix}max_steps = {spec.total_steps} optimizer updates{epochs} fixes the schedule's length: the trainer\n"
        f"{prefix}would otherwise derive it from the dataset length, batch size, devices and gradient accumulation\n"
        f"{prefix}(ceil(len(dataloader) / gradient_accumulation_steps) x num_train_epochs), which the spec cannot\n"
        f"{prefix}know.\n"
    )


def render(spec: Spec) -> str:
    """``training_args = TrainingArguments(...)`` with the spec's schedule fields."""
    fields = hf_plan(spec).fields()
    args = "".join(f"    {key}={py_literal(value)},\n" for key, value in fields.items())
    return (
        header(spec, "HF TrainingArguments")
        + "# Path: native Trainer scheduler, lr_scheduler_type="
        + py_literal(fields["lr_scheduler_type"]) + ", stepped after every update.\n"
        + max_steps_note(spec)
        + "\nfrom transformers import TrainingArguments\n\n"
        "training_args = TrainingArguments(\n"
        '    output_dir="trainer_output",  # and the rest of your arguments\n'
        + args + ")\n"
    )
