"""Export a spec as the schedule keys of a LLaMA-Factory training YAML (HF ``TrainingArguments`` fields).

LLaMA-Factory reads its YAML with OmegaConf and hands the dict to ``HfArgumentParser.parse_dict`` over its
``Seq2SeqTrainingArguments`` subclass (``llamafactory/hparams/parser.py``: ``read_args``, ``_parse_args``);
its trainer builds the scheduler through transformers' ``Trainer.create_scheduler``. So the keys are the
Trainer fields of :func:`schedules.export.trainer_hf.hf_plan`, and the same YAML is read by
``HfArgumentParser(TrainingArguments).parse_yaml_file``. Floats are written so YAML 1.1 reads them as
floats (PyYAML reads ``2e-5`` as a string).
"""

from __future__ import annotations

from schedules.export.hf_args_config import max_steps_note
from schedules.export.literals import header
from schedules.export.serial import yaml_lines
from schedules.export.trainer_hf import TRAINER_EXTENSIONS, hf_plan
from schedules.spec import Spec

#: The later spec v1 fields Trainer runs as they are.
EXTENSIONS = TRAINER_EXTENSIONS


def render(spec: Spec) -> str:
    """The YAML keys to merge into a LLaMA-Factory (or any HfArgumentParser) training config."""
    fields = hf_plan(spec, trainer="LLaMA-Factory (HF Trainer)").fields()
    if fields["lr_scheduler_type"] == "warmup_stable_decay":
        # LLaMA-Factory fills a missing num_stable_steps with (T - W) // 3, not Hugging Face's T - W - decay
        # (src/llamafactory/train/trainer_utils.py create_custom_scheduler), so the export writes it.
        kwargs = fields["lr_scheduler_kwargs"]
        kwargs["num_stable_steps"] = spec.total_steps - spec.warmup.steps - kwargs["num_decay_steps"]
    return (
        header(spec, "LLaMA-Factory YAML", python=False)
        + f"# Path: native Trainer scheduler, lr_scheduler_type: {fields['lr_scheduler_type']}, stepped after every "
        "update.\n"
        "# Merge these keys into your training YAML (read by llamafactory-cli train and\n"
        "# HfArgumentParser.parse_yaml_file); drop num_train_epochs and warmup_ratio if you set them.\n"
        + max_steps_note(spec)
        + yaml_lines(fields)
    )
