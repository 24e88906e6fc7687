"""Trainers configured by YAML on top of Hugging Face's Trainer: axolotl, LLaMA-Factory (torchtune is
:mod:`schedules.imports.torchtune`).

axolotl (``src/axolotl/core/builders/base.py`` ``_configure_warmup_and_logging`` and
``TrainerBuilderBase`` ``max_steps``; ``src/axolotl/utils/trainer.py`` ``calculate_total_num_steps``;
``src/axolotl/core/trainers/mixins/scheduler.py`` ``SchedulerMixin.create_scheduler``;
``src/axolotl/utils/schedulers.py``, github.com/axolotl-ai-cloud/axolotl):

- ``total_num_steps = ceil(len(train_dataset) × num_epochs / batch_size)`` with
  ``batch_size = micro_batch_size × gradient_accumulation_steps × world_size`` (without sample packing), and
  ``max_steps = cfg.max_steps or total_num_steps``;
- warmup: ``warmup_steps``, else ``int(warmup_ratio × T)``, else ``min(int(0.03 × T), 100)``; 1 becomes 2;
- ``lr_scheduler: one_cycle`` is torch ``OneCycleLR(max_lr=lr, total_steps=T, pct_start=W/T, cos)``;
  ``cosine`` with ``lr_quadratic_warmup`` squares the warmup ``(k/W)**2``; ``cosine_min_lr_ratio`` floors the
  cosine at ``ratio × lr`` and ``cosine_constant_lr_ratio`` ends the decay at ``int(T × ratio)`` and holds;
  everything else is Hugging Face's ``get_scheduler``.

LLaMA-Factory's YAML carries TrainingArguments keys and runs Hugging Face's Trainer.
"""

from __future__ import annotations

import math
from typing import Any

from schedules.errors import SpecError
from schedules.imports import hf
from schedules.imports.common import Budget, Result, fmt_int, get, need_budget, number, text_value


def import_axolotl(cfg: dict[str, Any], b: Budget) -> Result:
    lines: list[str] = []
    lr = get(cfg, "learning_rate", None, low=0)
    if lr is None:
        raise SpecError("learning_rate", "is required by axolotl")
    kind = text_value(cfg, "lr_scheduler", "cosine")
    if "lr_scheduler" not in cfg:
        lines.append("lr_scheduler = cosine (axolotl default)")
    if kind == "rex":
        raise SpecError("lr_scheduler", "rex has no spec family yet", kind)
    max_steps = get(cfg, "max_steps", None, integer=True, low=1)
    if max_steps:
        total = max_steps
        lines.append(f"total_steps = max_steps = {fmt_int(total)}")
    elif b.total_steps is not None:
        total = b.total_steps
        lines.append(f"total_steps = {fmt_int(total)} (supplied)")
    else:
        if cfg.get("sample_packing") in (True, "true"):
            raise need_budget("total_steps (with sample_packing axolotl estimates it from packed lengths; "
                              "read it from the run's log)", "axolotl")
        epochs = get(cfg, "num_epochs", None, low=0)
        if epochs is None:
            epochs = b.epochs if b.epochs is not None else 1
            lines.append(f"num_epochs = {epochs:g}" + (" (supplied)" if b.epochs is not None else " (default)"))
        micro = get(cfg, "micro_batch_size", None, integer=True, low=1) or b.batch_size or 1
        ga = get(cfg, "gradient_accumulation_steps", None, integer=True, low=1) or b.grad_accum or 1
        batch = micro * ga * b.devices
        if b.dataset_size is None:
            if b.steps_per_epoch is not None:
                total = math.ceil(b.steps_per_epoch * epochs)
                lines.append(f"total_steps = ceil({fmt_int(b.steps_per_epoch)} × {epochs:g}) = {fmt_int(total)}")
            else:
                raise need_budget("dataset_size (rows after filtering), or steps_per_epoch, or total_steps",
                                  "axolotl")
        else:
            total = math.ceil(b.dataset_size * epochs / batch)
            lines.append(f"total_steps = ceil({fmt_int(b.dataset_size)} × {epochs:g} / ({micro} × {ga} × "
                         f"{b.devices} devices)) = {fmt_int(total)} (axolotl rounds up)")
    warm_cfg = cfg.get("warmup_steps")
    if warm_cfg is not None:
        warm_raw = number(warm_cfg, "warmup_steps", low=0)
    elif cfg.get("warmup_ratio") is not None:
        ratio = number(cfg["warmup_ratio"], "warmup_ratio", low=0)
        warm_raw = max(int(ratio * total), 0)
        lines.append(f"warmup_steps = int({ratio:g} × {fmt_int(total)}) = {fmt_int(warm_raw)} (axolotl rounds down)")
    else:
        warm_raw = min(int(0.03 * total), 100)
        lines.append(f"warmup_steps = min(int(0.03 × {fmt_int(total)}), 100) = {warm_raw} (axolotl default)")
    if warm_raw == 1:
        warm_raw = 2
        lines.append("warmup_steps 1 becomes 2 (axolotl)")
    warm, w_lines = hf.warmup_updates({"warmup_steps": warm_raw}, total)
    kwargs = hf.scheduler_kwargs(cfg)
    if kind == "one_cycle":
        pct = kwargs.get("pct_start", warm / total)
        extra = set(kwargs) - {"pct_start", "div_factor", "final_div_factor", "three_phase", "anneal_strategy"}
        if extra:
            raise SpecError(f"lr_scheduler_kwargs.{sorted(extra)[0]}", "is not imported for one_cycle")
        schedule = {"type": "one_cycle", "pct_start": number(pct, "lr_scheduler_kwargs.pct_start"),
                    "anneal": kwargs.get("anneal_strategy", "cos")}
        for key in ("div_factor", "final_div_factor"):
            if key in kwargs:
                schedule[key] = number(kwargs[key], f"lr_scheduler_kwargs.{key}")
        if "three_phase" in kwargs:
            schedule["three_phase"] = bool(kwargs["three_phase"])
        lines.append(f"one_cycle: torch OneCycleLR with pct_start = {warm} / {fmt_int(total)} (warmup / total)")
        spec = {"total_steps": total, "lr": lr, "schedule": schedule}
        return Result(spec={**spec, "name": "axolotl one_cycle"}, assumptions=lines)
    if warm != warm_raw:
        lines += w_lines
    quadratic = kind == "cosine" and cfg.get("lr_quadratic_warmup") in (True, "true")
    min_ratio = get(cfg, "cosine_min_lr_ratio", None, low=0) if kind == "cosine" else None
    const_ratio = get(cfg, "cosine_constant_lr_ratio", None, low=0) if kind == "cosine" else None
    if quadratic:
        # axolotl/utils/schedulers.py, _get_cosine_schedule_with_quadratic_warmup_lr_lambda: (t / W) ** 2 for
        # every t < W, so a warmup outlasting the run runs as given (the spec allows it).
        if min_ratio is not None:
            lines.append("cosine_min_lr_ratio ignored: axolotl uses the quadratic warmup scheduler instead")
        spec = {"total_steps": total, "lr": lr, "warmup": {"steps": warm, "shape": "quadratic"},
                "schedule": {"type": "cosine"}}
    elif min_ratio:
        if min_ratio > 1:
            raise SpecError("cosine_min_lr_ratio", "must be between 0 and 1", min_ratio)
        spec = {"total_steps": total, "lr": lr, "warmup": {"steps": warm},
                "schedule": {"type": "cosine", "min_lr": min_ratio * lr}}
        if const_ratio:
            if const_ratio > 1:
                raise SpecError("cosine_constant_lr_ratio", "must be between 0 and 1", const_ratio)
            end = int(total * const_ratio)
            if end - warm < 1:
                raise SpecError("cosine_constant_lr_ratio", "ends the decay before warmup does", const_ratio)
            spec["main_steps"] = end - warm
            lines.append(f"the decay ends at int({fmt_int(total)} × {const_ratio:g}) = {fmt_int(end)} and holds "
                         "the floor after")
    else:
        spec = hf.schedule_spec(kind, lr, total, warm, kwargs, lines)
    spec["name"] = f"axolotl {kind}"
    lines.append("the scheduler steps once per optimizer update (HF Trainer)")
    return Result(spec=spec, assumptions=lines)


def import_llamafactory(cfg: dict[str, Any], b: Budget) -> Result:
    result = hf.import_hf(cfg, b, label="LLaMA-Factory")
    result.assumptions.insert(0, "LLaMA-Factory passes these keys to Hugging Face's Trainer")
    return result

