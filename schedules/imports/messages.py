"""Files that configure no training run (inference, merge/export, evaluation, quantization) and the trainers
whose lr rule the spec cannot hold: one line saying what the file is, before any format's rules are applied
to it (so a generation config never gets a scheduler format's error).

The field lists are each tool's own: Ultralytics ``ultralytics/cfg/default.yaml`` (the keys its ``args.yaml``
carries), torchtune ``recipes/configs/generation.yaml``, ``eleuther_evaluation.yaml``, ``quantization.yaml``,
LLaMA-Factory ``examples/inference/*.yaml`` and ``examples/merge_lora/*.yaml``.
"""

from __future__ import annotations

from typing import Any

#: Keys only an Ultralytics ``args.yaml`` has together (``ultralytics/cfg/default.yaml``).
ULTRALYTICS_KEYS = frozenset(
    {
        "lr0",
        "lrf",
        "imgsz",
        "warmup_bias_lr",
        "warmup_momentum",
        "close_mosaic",
        "mosaic",
        "nbs",
        "box",
        "cls",
        "dfl",
        "hsv_h",
        "fliplr",
    }
)


def _has_component(data: dict[str, Any]) -> bool:
    return any(isinstance(v, dict) and "_component_" in v for v in data.values())


def is_async_grpo(data: dict[str, Any]) -> bool:
    """torchtune's asynchronous GRPO config (``recipes/configs/dev/*_async_grpo.yaml``): the optimizer sits in
    its ``training`` section, beside ``orchestration``."""
    training = data.get("training")
    return "orchestration" in data and isinstance(training, dict) and isinstance(training.get("optimizer"), dict)


def not_a_schedule(data: dict[str, Any]) -> str | None:
    """One line saying what ``data`` is when it is not a training config the importer reads, else None."""
    keys = set(data)
    if len(keys & ULTRALYTICS_KEYS) >= 3:
        return (
            "is an Ultralytics args.yaml (lr0 = {lr0}, lrf = {lrf}, cos_lr = {cos}, warmup_epochs = {we}): "
            "Ultralytics warms each parameter group from its own start value per iteration (warmup_bias_lr "
            "for biases) towards a target that changes every epoch, and optimizer auto picks its own lr, so "
            "its lr is not one spec curve; it is not imported"
        ).format(lr0=data.get("lr0"), lrf=data.get("lrf"), cos=data.get("cos_lr"), we=data.get("warmup_epochs"))
    if (
        _has_component(data)
        and not isinstance(data.get("optimizer"), dict)
        and "lr_scheduler" not in keys
        and not is_async_grpo(data)
    ):
        if "tasks" in keys:
            kind = "evaluation"
        elif data.get("quantizer"):
            kind = "quantization"
        elif keys & {"prompt", "max_new_tokens", "temperature", "top_k"}:
            kind = "generation"
        else:
            kind = "non-training"
        return (
            f"is a torchtune {kind} config (no optimizer): it runs no training, so there is no learning-rate schedule"
        )
    if "export_dir" in keys and not keys & {"stage", "do_train", "learning_rate"}:
        return (
            "is a LLaMA-Factory export/merge config (export_dir): it merges or exports a model and trains "
            "nothing, so there is no learning-rate schedule"
        )
    if "infer_backend" in keys and not keys & {"stage", "do_train", "learning_rate"}:
        return (
            "is a LLaMA-Factory inference config (infer_backend): it trains nothing, so there is no "
            "learning-rate schedule"
        )
    return None
