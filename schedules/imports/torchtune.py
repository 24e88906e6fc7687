"""torchtune recipe YAML (``recipes/configs/**``) -> spec v1, as its recipe runs it.

Transcribed from github.com/pytorch/torchtune (``recipes/full_finetune_distributed.py``; the other
finetune, LoRA, DPO, QAT and distillation recipes count the same way):

- ``_setup_data``: ``StatefulDistributedSampler(ds, num_replicas=dp_degree)`` (``drop_last`` False: each rank
  gets ``ceil(n / dp_degree)`` examples, the sampler pads by repeating) and ``StatefulDataLoader(...,
  drop_last=True)``: ``len(dataloader) = floor(ceil(n / dp_degree) / batch_size)``; ``dp_degree`` is the
  processes divided by ``tensor_parallel_dim × context_parallel_dim`` (``ParallelDims``), 1 on one device;
- ``setup``: ``steps_per_epoch = len(dataloader) // gradient_accumulation_steps``, capped by
  ``max_steps_per_epoch``; ``num_training_steps = epochs × steps_per_epoch``, which is also the run;
- ``_setup_lr_scheduler``: no ``lr_scheduler`` section returns None ("Using constant learning rate");
- ``torchtune/training/lr_schedulers.py`` ``get_cosine_schedule_with_warmup``: ``step / max(1, W)`` during
  warmup, then ``max(0, 0.5·(1 + cos(π·num_cycles·2·progress)))``: Hugging Face's cosine for
  ``num_cycles = 0.5``; stepped once per optimizer update.

``recipes/ppo_full_finetune_single_device.py`` ``setup``: ``num_steps // batch_size`` PPO steps, each
``ppo_epochs × (batch_size // ppo_batch_size)`` updates, which is also ``num_training_steps``.
``recipes/dev/grpo_full_finetune_distributed.py``: ``num_training_steps = epochs × len(dataloader)``
(no accumulation division, ``num_replicas = world_size``) while the loop steps the scheduler ``ppo_epochs``
times per batch and stops after ``num_steps`` batches.
"""

from __future__ import annotations

from typing import Any

from schedules.errors import SpecError
from schedules.imports import messages, torch_sched
from schedules.imports.common import Budget, Result, fmt_int, get, need_budget

COSINE = "get_cosine_schedule_with_warmup"


def _lr(cfg: dict[str, Any], lines: list[str]) -> float:
    opt = cfg.get("optimizer")
    if not isinstance(opt, dict):
        raise SpecError("optimizer", "must be a mapping with _component_ (the recipe's optimizer)")
    lr = get(opt, "lr", None, "optimizer.lr", low=0)
    if lr is not None:
        return float(lr)
    name = str(opt.get("_component_", "")).rsplit(".", 1)[-1]
    if name not in torch_sched.OPTIMIZER_LR:
        raise SpecError("optimizer.lr", "is required (the optimizer's default lr is not known)", name)
    lines.append(f"optimizer.lr = {torch_sched.OPTIMIZER_LR[name]:g} ({name} default)")
    return torch_sched.OPTIMIZER_LR[name]


def _dp_degree(cfg: dict[str, Any], b: Budget, lines: list[str]) -> int:
    tp = get(cfg, "tensor_parallel_dim", 1, integer=True, low=1)
    cp = get(cfg, "context_parallel_dim", 1, integer=True, low=1)
    if b.devices % (tp * cp):
        raise SpecError(
            "devices",
            f"must be a multiple of tensor_parallel_dim × context_parallel_dim = {tp * cp} "
            "(processes per data-parallel replica); supply devices",
            b.devices,
        )
    dp = b.devices // (tp * cp)
    if tp * cp > 1:
        lines.append(f"dp_degree = {b.devices} devices / ({tp} × {cp}) = {dp}")
    return dp


def _batches(cfg: dict[str, Any], b: Budget, replicas: int, lines: list[str]) -> int:
    """``len(dataloader)`` on one rank."""
    dataset = cfg.get("dataset")
    parts = dataset if isinstance(dataset, list) else [dataset]
    if any(isinstance(p, dict) and str(p.get("packed")).lower() == "true" for p in parts):
        raise need_budget(
            "steps_per_epoch or total_steps (dataset.packed: the loader counts packs of examples, "
            "which depend on their token lengths)",
            "torchtune",
        )
    bs = get(cfg, "batch_size", None, integer=True, low=1) or b.batch_size
    if b.dataset_size is None or bs is None:
        raise need_budget(
            "dataset_size (and batch_size if the config lacks it), or steps_per_epoch, or total_steps", "torchtune"
        )
    per_rank = -(-b.dataset_size // replicas)
    n = per_rank // bs
    lines.append(
        f"batches per epoch = floor(ceil({fmt_int(b.dataset_size)} / {replicas}) / {bs}) = {fmt_int(n)} "
        "(the distributed sampler pads each rank to ceil; the loader drops the last batch)"
    )
    if n < 1:
        raise SpecError("dataset_size", "is smaller than one batch", b.dataset_size)
    return n


def _run_length(cfg: dict[str, Any], b: Budget, lines: list[str]) -> tuple[int, int]:
    """(updates in the run, num_training_steps given to the scheduler)."""
    if cfg.get("ppo_epochs") is not None and cfg.get("grpo_samples") is None:
        num_steps = get(cfg, "num_steps", None, integer=True, low=1)
        bs = get(cfg, "batch_size", None, integer=True, low=1)
        mini = get(cfg, "ppo_batch_size", None, integer=True, low=1)
        ppo_epochs = get(cfg, "ppo_epochs", None, integer=True, low=1)
        if num_steps is None or bs is None or mini is None:
            raise SpecError("num_steps", "the PPO recipe needs num_steps, batch_size and ppo_batch_size")
        if num_steps < bs:
            raise SpecError("num_steps", "must be at least batch_size (the recipe raises otherwise)", num_steps)
        total = (num_steps // bs) * ppo_epochs * (bs // mini)
        lines.append(
            f"PPO: (num_steps // batch_size) × ppo_epochs × (batch_size // ppo_batch_size) = "
            f"({fmt_int(num_steps)} // {bs}) × {ppo_epochs} × ({bs} // {mini}) = {fmt_int(total)} updates"
        )
        return total, total
    epochs = get(cfg, "epochs", None, integer=True, low=1)
    if epochs is None:
        epochs = int(b.epochs) if b.epochs is not None else 1
        lines.append(f"epochs = {epochs}" + (" (supplied)" if b.epochs is not None else " (default)"))
    if b.total_steps is not None:
        lines.append(f"total_steps = {fmt_int(b.total_steps)} (supplied)")
        return b.total_steps, b.total_steps
    if cfg.get("grpo_samples") is not None:
        ppo_epochs = get(cfg, "ppo_epochs", 1, integer=True, low=1)
        num_steps = get(cfg, "num_steps", None, integer=True, low=1)
        batches = b.steps_per_epoch or _batches(cfg, b, b.devices, lines)
        sched_len = epochs * batches
        ran = sched_len if num_steps is None else min(num_steps, sched_len)
        total = ppo_epochs * ran
        lines.append(
            f"GRPO: scheduler length epochs × batches = {fmt_int(sched_len)}; the loop steps it "
            f"{ppo_epochs} × per batch over {fmt_int(ran)} batches = {fmt_int(total)} updates"
        )
        return total, sched_len
    ga = get(cfg, "gradient_accumulation_steps", None, integer=True, low=1) or b.grad_accum or 1
    if b.steps_per_epoch is not None:
        per_epoch = b.steps_per_epoch
        lines.append(f"updates per epoch = {fmt_int(per_epoch)} (supplied)")
    else:
        batches = _batches(cfg, b, _dp_degree(cfg, b, lines), lines)
        per_epoch = batches // ga
        lines.append(
            f"updates per epoch = floor({fmt_int(batches)} / {ga}) = {fmt_int(per_epoch)} "
            "(gradient_accumulation_steps; torchtune rounds down)"
        )
    cap = get(cfg, "max_steps_per_epoch", None, integer=True, low=1)
    if cap is not None and cap < per_epoch:
        per_epoch = cap
        lines.append(f"capped by max_steps_per_epoch = {cap}")
    if per_epoch < 1:
        raise SpecError("gradient_accumulation_steps", "leaves no update in an epoch", ga)
    total = epochs * per_epoch
    lines.append(f"total_steps = {epochs} × {fmt_int(per_epoch)} = {fmt_int(total)}")
    return total, total


def import_torchtune(cfg: dict[str, Any], b: Budget) -> Result:
    """A torchtune recipe config -> spec: its cosine with warmup, or a constant lr without ``lr_scheduler``."""
    lines: list[str] = []
    if messages.is_async_grpo(cfg):
        # torchtune/dev/rl/workers/trainers/training.py sets _lr_scheduler = None and never builds one.
        lr = _lr(cfg["training"], lines)
        if b.total_steps is None:
            raise need_budget(
                "total_steps (the asynchronous GRPO recipe's updates follow the rollouts its workers produce)",
                "torchtune",
            )
        lines += [
            f"total_steps = {fmt_int(b.total_steps)} (supplied)",
            "asynchronous GRPO builds no lr scheduler: the optimizer's lr is constant",
        ]
        return Result(
            spec={
                "name": "torchtune async GRPO",
                "total_steps": b.total_steps,
                "lr": lr,
                "schedule": {"type": "constant"},
            },
            assumptions=lines,
        )
    lr = _lr(cfg, lines)
    sched = cfg.get("lr_scheduler")
    if sched is not None and not isinstance(sched, dict):
        raise SpecError("lr_scheduler", "must be a mapping with _component_")
    if sched is not None:
        component = str(sched.get("_component_", ""))
        if component.rsplit(".", 1)[-1] != COSINE:
            raise SpecError("lr_scheduler._component_", f"only {COSINE} is imported", component)
        cycles = get(sched, "num_cycles", 0.5, "lr_scheduler.num_cycles")
        if cycles != 0.5:
            raise SpecError("lr_scheduler.num_cycles", "only 0.5 (one half cosine) has a spec family", cycles)
        warm = get(sched, "num_warmup_steps", None, "lr_scheduler.num_warmup_steps", integer=True, low=0)
        if warm is None:
            raise SpecError("lr_scheduler.num_warmup_steps", "is required by get_cosine_schedule_with_warmup")
    total, sched_len = _run_length(cfg, b, lines)
    if sched is None:
        lines.append("no lr_scheduler: the recipe keeps the optimizer's lr constant (_setup_lr_scheduler returns None)")
        return Result(
            spec={"name": "torchtune constant", "total_steps": total, "lr": lr, "schedule": {"type": "constant"}},
            assumptions=lines,
        )
    if total > sched_len:
        raise SpecError(
            "ppo_epochs",
            f"the loop steps the scheduler {fmt_int(total)} times, past its "
            f"num_training_steps {fmt_int(sched_len)}, where torchtune's cosine rises again",
        )
    # get_cosine_schedule_with_warmup: current_step / max(1, W) for every step < W, so a warmup outlasting the
    # run (as in torchtune's PPO recipe) runs as given; the spec allows it and the doctor says so.
    spec: dict[str, Any] = {
        "name": "torchtune cosine",
        "total_steps": total,
        "lr": lr,
        "warmup": {"steps": warm},
        "schedule": {"type": "cosine"},
    }
    if sched_len != total:
        spec["main_steps"] = sched_len - warm
    lines.append("the scheduler steps once per optimizer update")
    return Result(spec=spec, assumptions=lines)
