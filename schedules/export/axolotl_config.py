"""Export a spec as the schedule keys of an axolotl YAML config.

axolotl turns its config into transformers ``TrainingArguments`` (``axolotl/core/builders/base.py``:
``_configure_warmup_and_logging`` passes ``warmup_steps`` as given, except that 1 becomes 2, and
without it falls back to ``min(int(0.03 T), 100)``; ``_configure_scheduler`` passes ``lr_scheduler``
(default ``cosine``) as ``lr_scheduler_type`` and ``lr_scheduler_kwargs``; ``_set_base_training_args``
passes ``learning_rate`` and ``max_steps = cfg.max_steps or total_num_steps``), and its trainer
(``axolotl/core/trainers/mixins/scheduler.py``) uses its own schedulers only for ``one_cycle`` / ``rex``,
``lr_quadratic_warmup`` or ``cosine_min_lr_ratio`` with ``cosine``; otherwise transformers'
``Trainer.create_scheduler``. So the export writes the Trainer plan of
:func:`schedules.export.trainer_hf.hf_plan` under axolotl's names, every warmup explicitly (0 included,
never the 3 % default) and ``lr_quadratic_warmup: false``.
"""

from __future__ import annotations

from typing import Any

from schedules.export.hf_args_config import max_steps_note
from schedules.export.literals import header
from schedules.export.serial import yaml_lines
from schedules.export.trainer_common import refuse
from schedules.export.trainer_hf import TRAINER_EXTENSIONS, hf_plan
from schedules.spec import Spec

#: The later spec v1 fields Trainer runs as they are.
EXTENSIONS = TRAINER_EXTENSIONS

TRAINER = "axolotl"


def axolotl_fields(spec: Spec) -> dict[str, Any]:
    """The axolotl config keys, or a :class:`SpecError` naming the field axolotl cannot express."""
    plan = hf_plan(spec, trainer=TRAINER)
    if plan.warmup_steps == 1:
        raise refuse("warmup.steps", "must not be 1 (axolotl turns warmup_steps 1 into 2)", 1, TRAINER,
                     "Transformers")
    fields: dict[str, Any] = {
        "learning_rate": plan.learning_rate,
        "lr_scheduler": plan.scheduler,
        "warmup_steps": plan.warmup_steps,
        "max_steps": plan.max_steps,
        "lr_quadratic_warmup": False,
    }
    if plan.kwargs:
        fields["lr_scheduler_kwargs"] = dict(plan.kwargs)
    return fields


def render(spec: Spec) -> str:
    """The schedule keys to merge into an axolotl config."""
    fields = axolotl_fields(spec)
    return (
        header(spec, "axolotl YAML", python=False)
        + f"# Path: transformers scheduler {fields['lr_scheduler']} through axolotl's Trainer, stepped after every "
        "update.\n"
        "# Merge these keys into your axolotl config; remove warmup_ratio, cosine_min_lr_ratio and\n"
        "# cosine_constant_lr_ratio if you set them (they would switch axolotl to its own schedulers).\n"
        + max_steps_note(spec)
        + yaml_lines(fields)
    )
