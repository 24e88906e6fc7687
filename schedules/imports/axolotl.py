"""axolotl YAML -> spec: the run length, batch, eval split and warmup axolotl computes, then its own schedulers
or Hugging Face's ``get_scheduler`` (github.com/axolotl-ai-cloud/axolotl at 067b021c; each rule cited next to
the code that applies it).

``T = max_steps``, else ``ceil(train_rows × num_epochs / batch)`` with ``batch = batch_size`` (or
``micro_batch_size × gradient_accumulation_steps``) × the data-parallel world; ``train_rows`` is what is left
after ``val_set_size`` (and ``dataset_shard_num``) take their part; the warmup default is computed from
``min(the data's steps, max_steps)``; warmup ``int(ratio × that)`` or ``min(int(0.03 × that), 100)``, 1
becomes 2; ``one_cycle``, ``lr_quadratic_warmup``, ``cosine_min_lr_ratio`` and ``cosine_constant_lr_ratio``
are axolotl's own schedulers; ReLoRA's jagged restarts and ``rex`` are refused by name.
"""

from __future__ import annotations

import math
from typing import Any

from schedules.errors import SpecError
from schedules.imports import hf
from schedules.imports.common import Budget, Result, flag, fmt_int, get, need_budget, number, text_value
from schedules.imports.yaml_trainers import check_training, eval_split, format_line

#: axolotl's field and the one line saying why it is refused.
AXOLOTL_REFUSED = {
    # src/axolotl/core/trainers/mixins/scheduler.py SchedulerMixin.create_scheduler (lines 134-150): the
    # schedule is wrapped in JaggedLRRestartScheduler (src/axolotl/utils/schedulers.py), which scales every
    # step by a re-warmup after each restart; spec v1 has no field for it.
    "jagged_restart_steps": "axolotl wraps the schedule in its JaggedLRRestartScheduler (the lr drops and re-warms "
    "every jagged_restart_steps updates), which spec v1 cannot express; not imported",
    # Before axolotl 0.12 (commit 7b68dfaf, "jagged lr restart scheduler") ReLoRA restarts were configured by
    # relora_steps / relora_warmup_steps / relora_anneal_steps and run by ReLoRAScheduler, the same shape.
    "relora_steps": "older axolotl restarts the lr every relora_steps updates (its ReLoRAScheduler), which spec v1 "
    "cannot express; not imported",
}
#: What axolotl's dataset_size is: without ``sample_packing`` axolotl counts these rows.
AXOLOTL_DATA = (
    "dataset_size (the rows axolotl keeps after its sequence_len filter, before val_set_size takes its split)"
)


def import_axolotl(cfg: dict[str, Any], b: Budget) -> Result:
    """An axolotl YAML -> spec, as its ``SchedulerMixin.create_scheduler`` builds the schedule."""
    check_training(cfg)
    lines = [format_line("axolotl", cfg)]
    for field, why in AXOLOTL_REFUSED.items():
        if cfg.get(field):
            raise SpecError(field, why, cfg[field])
    lr = get(cfg, "learning_rate", None, low=0)
    if lr is None:
        raise SpecError("learning_rate", "is required by axolotl")
    kind = text_value(cfg, "lr_scheduler", "cosine")
    if "lr_scheduler" not in cfg:
        lines.append("lr_scheduler = cosine (axolotl default)")
    if kind == "rex":
        raise SpecError("lr_scheduler", "rex has no spec family yet", kind)
    _axolotl_deepspeed(cfg, lines)
    total, basis = _axolotl_length(cfg, b, lines)
    warm_raw = _axolotl_warmup(cfg, basis, lines)
    warm, w_lines = hf.warmup_updates({"warmup_steps": warm_raw}, total)
    kwargs = hf.scheduler_kwargs(cfg)
    if kind == "one_cycle":
        pct = kwargs.get("pct_start", warm / total)
        extra = set(kwargs) - {"pct_start", "div_factor", "final_div_factor", "three_phase", "anneal_strategy"}
        if extra:
            raise SpecError(f"lr_scheduler_kwargs.{sorted(extra)[0]}", "is not imported for one_cycle")
        schedule = {
            "type": "one_cycle",
            "pct_start": number(pct, "lr_scheduler_kwargs.pct_start"),
            "anneal": kwargs.get("anneal_strategy", "cos"),
        }
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
        spec = {
            "total_steps": total,
            "lr": lr,
            "warmup": {"steps": warm, "shape": "quadratic"},
            "schedule": {"type": "cosine"},
        }
    elif min_ratio:
        if min_ratio > 1:
            raise SpecError("cosine_min_lr_ratio", "must be between 0 and 1", min_ratio)
        spec = {
            "total_steps": total,
            "lr": lr,
            "warmup": {"steps": warm},
            "schedule": {"type": "cosine", "min_lr": min_ratio * lr},
        }
        if const_ratio and const_ratio > 1:
            raise SpecError("cosine_constant_lr_ratio", "must be between 0 and 1", const_ratio)
        # A warmup outlasting the run leaves the decay no step: the constant ratio changes nothing.
        if const_ratio and warm < total:
            end = int(total * const_ratio)
            if end - warm < 1:
                raise SpecError("cosine_constant_lr_ratio", "ends the decay before warmup does", const_ratio)
            spec["main_steps"] = end - warm
            lines.append(
                f"the decay ends at int({fmt_int(total)} × {const_ratio:g}) = {fmt_int(end)} and holds the floor after"
            )
    else:
        spec = hf.schedule_spec(kind, lr, total, warm, kwargs, lines)
    spec["name"] = f"axolotl {kind}"
    lines.append("the scheduler steps once per optimizer update (HF Trainer)")
    return Result(spec=spec, assumptions=lines)


def _axolotl_deepspeed(cfg: dict[str, Any], lines: list[str]) -> None:
    """A DeepSpeed ``scheduler`` section replaces the Trainer's scheduler (transformers' ``deepspeed_init``)."""
    ds = cfg.get("deepspeed")
    if isinstance(ds, dict) and ds.get("scheduler"):
        raise SpecError("deepspeed.scheduler", "replaces axolotl's scheduler; DeepSpeed schedulers are not imported")
    if isinstance(ds, str) and ds:
        lines.append(
            f"deepspeed: {ds[:60]} is read as having no scheduler section (none of axolotl's "
            "deepspeed_configs has one; one would replace axolotl's scheduler)"
        )


def _axolotl_length(cfg: dict[str, Any], b: Budget, lines: list[str]) -> tuple[int, int | None]:
    """``(T, basis)``: the updates the Trainer runs and the ``total_num_steps`` axolotl computes the warmup
    from (None when axolotl has none).

    ``src/axolotl/core/builders/base.py`` ``_set_base_training_args`` (line 677) gives the Trainer
    ``max_steps = cfg.max_steps or total_num_steps``; ``total_num_steps`` is, per path:
    ``src/axolotl/utils/data/sft.py`` ``_prepare_standard_dataset`` (lines 115-120):
    ``min(calculate_total_num_steps(...), max_steps)`` when max_steps is set, else the count itself;
    ``_prepare_streaming_dataset`` (lines 125-173): ``max_steps`` for streamed or pretraining data;
    ``src/axolotl/common/datasets.py`` ``load_preference_datasets`` (lines 120-124):
    ``ceil(rows × num_epochs / batch_size)`` for preference data (not capped by max_steps), nothing for GRPO
    and EBFT.
    """
    max_steps = get(cfg, "max_steps", None, integer=True, low=0) or None
    rl = str(cfg.get("rl") or "").lower() or None
    explicit_warmup = cfg.get("warmup_steps") is not None
    if rl is None and (flag(cfg, "streaming", False) or cfg.get("pretraining_dataset")):
        if max_steps is None:
            raise SpecError(
                "max_steps",
                "is required: axolotl streams this data (streaming / pretraining_dataset), "
                "so max_steps is the run's length",
            )
        lines.append(
            f"total_steps = max_steps = {fmt_int(max_steps)}, and the warmup is computed from it (streamed "
            "data: axolotl counts no steps of its own)"
        )
        return max_steps, max_steps
    if rl in ("grpo", "ebft"):
        total = max_steps or b.total_steps
        if total is None:
            raise need_budget(
                f"total_steps (axolotl's {rl} trainer counts its own steps from its generation "
                "batches; read it from the run's log)",
                "axolotl",
            )
        lines.append(
            f"total_steps = {fmt_int(total)}"
            + (" = max_steps" if max_steps else " (supplied)")
            + f"; axolotl gives {rl} no step count, so a warmup_ratio is Hugging Face's ceil(ratio × total)"
        )
        return total, None
    if max_steps is not None:
        lines.append(f"total_steps = max_steps = {fmt_int(max_steps)}")
        if explicit_warmup:
            if b.dataset_size is not None:
                _axolotl_rows(cfg, b.dataset_size, rl, [])  # a split datasets refuses stops the run all the same
            return max_steps, max_steps
        data = _axolotl_data_steps(
            cfg, b, lines, rl, "(axolotl computes the warmup from min(the data's steps, max_steps))"
        )
        basis = data if rl else min(data, max_steps)
        lines.append(
            f"the warmup is computed from {fmt_int(basis)} = "
            + (
                f"the data's {fmt_int(data)} steps (axolotl's preference-data count ignores max_steps)"
                if rl
                else f"min({fmt_int(data)} steps of data, max_steps {fmt_int(max_steps)}) (axolotl)"
            )
        )
        return max_steps, basis
    if b.total_steps is not None:
        lines.append(f"total_steps = {fmt_int(b.total_steps)} (supplied)")
        return b.total_steps, b.total_steps
    data = _axolotl_data_steps(cfg, b, lines, rl, "", name="total_steps")
    return data, data


def _axolotl_data_steps(
    cfg: dict[str, Any], b: Budget, lines: list[str], rl: str | None, why: str, name: str = "steps of data"
) -> int:
    """axolotl's ``calculate_total_num_steps`` (``src/axolotl/utils/trainer.py``, lines 401-524).

    Without sample packing ``ceil(len(train_dataset) × num_epochs / cfg.batch_size)`` (line 521); with it the
    multipack sampler's updates per epoch, ``floor(updates × num_epochs)``, less ``ceil(num_epochs)`` with
    ``dataloader_drop_last`` (lines 494-503), which only the run's log tells.
    """
    epochs = get(cfg, "num_epochs", None, low=0)
    if epochs is None:
        epochs = float(b.epochs) if b.epochs is not None else 1.0
        lines.append(f"num_epochs = {epochs:g}" + (" (supplied)" if b.epochs is not None else " (axolotl default)"))
    epochs = float(epochs)  # the schema's num_epochs is a float
    if rl is None and flag(cfg, "sample_packing", False):
        if b.steps_per_epoch is None or cfg.get("sample_packing_eff_est") is not None:
            raise need_budget(
                "total_steps, or steps_per_epoch (with sample_packing axolotl counts packed batches; "
                "read them from the run's log) " + why,
                "axolotl",
            )
        steps = math.floor(b.steps_per_epoch * epochs)
        rule = f"floor({fmt_int(b.steps_per_epoch)} packed updates × {epochs:g})"
        if flag(cfg, "dataloader_drop_last", False):
            steps -= math.ceil(epochs)
            rule += f" − ceil({epochs:g}) (dataloader_drop_last)"
        lines.append(f"{name} = {rule} = {fmt_int(steps)} (axolotl's multipack count)")
        return steps
    batch = _axolotl_batch(cfg, b, lines)
    if b.dataset_size is None:
        if b.steps_per_epoch is not None and epochs == 1:
            lines.append(f"{name} = {fmt_int(b.steps_per_epoch)} (supplied steps_per_epoch, one epoch)")
            return b.steps_per_epoch
        if b.steps_per_epoch is not None:
            raise SpecError(
                "steps_per_epoch",
                "axolotl counts ceil(rows × num_epochs / batch) over all epochs at "
                "once, which updates per epoch do not give; supply dataset_size",
                b.steps_per_epoch,
            )
        raise need_budget(f"{AXOLOTL_DATA}, or total_steps {why}".rstrip(), "axolotl")
    rows = _axolotl_rows(cfg, b.dataset_size, rl, lines)
    steps = math.ceil(rows * epochs / batch)
    lines.append(f"{name} = ceil({fmt_int(rows)} × {epochs:g} / {batch}) = {fmt_int(steps)} (axolotl rounds up)")
    return steps


def _axolotl_batch(cfg: dict[str, Any], b: Budget, lines: list[str]) -> int:
    """``cfg.batch_size`` as axolotl's ``normalize_config`` leaves it (``src/axolotl/utils/config/__init__.py``,
    lines 199-230): ``batch_size or micro_batch_size × gradient_accumulation_steps``, times the data-parallel
    world ``world_size // context_parallel_size // tensor_parallel_size`` under DDP or FSDP (DDP unless
    ``ddp: false``). With ``batch_size`` set, ``gradient_accumulation_steps or batch_size // micro_batch_size``
    (line 202) decides how each update is split, not how many there are: ``calculate_total_num_steps`` divides
    by ``batch_size`` itself.
    """
    micro = get(cfg, "micro_batch_size", None, integer=True, low=1)
    ga = get(cfg, "gradient_accumulation_steps", None, integer=True, low=1)
    given = get(cfg, "batch_size", None, integer=True, low=1)
    if given is not None and ga is not None:
        # src/axolotl/utils/schemas/validation.py check_gas_bsz
        raise SpecError("batch_size", "axolotl accepts only one of gradient_accumulation_steps and batch_size", given)
    if given is not None:
        per_rank = given
        lines.append(
            f"batch = batch_size {given} (axolotl counts the run's updates in batch_size examples, "
            "whatever gradient_accumulation_steps it derives)"
        )
    else:
        if micro is None:
            micro = b.batch_size or 1
            lines.append(f"micro_batch_size = {micro}" + (" (supplied)" if b.batch_size else " (axolotl default)"))
        if ga is None:
            ga = b.grad_accum or 1
            lines.append(
                f"gradient_accumulation_steps = {ga}"
                + (
                    " (supplied)"
                    if b.grad_accum
                    else " (axolotl's default; its schema wants two of micro_batch_size, "
                    "gradient_accumulation_steps, batch_size)"
                )
            )
        per_rank = micro * ga
    world = 1
    if b.devices > 1 and (cfg.get("fsdp") or cfg.get("fsdp_config") or cfg.get("ddp") is not False):
        cp = get(cfg, "context_parallel_size", None, integer=True, low=1) or 1
        tp = get(cfg, "tensor_parallel_size", None, integer=True, low=1) or 1
        world = b.devices // cp // tp
        if world < 1:
            raise SpecError("devices", "must be at least context_parallel_size × tensor_parallel_size", b.devices)
        if cp > 1 or tp > 1:
            lines.append(
                f"data-parallel ranks = {b.devices} devices // context_parallel_size {cp} // "
                f"tensor_parallel_size {tp} = {world}"
            )
    if world > 1:
        lines.append(f"batch = {per_rank} × {world} ranks = {per_rank * world} examples per update")
    return per_rank * world


def _axolotl_rows(cfg: dict[str, Any], rows: int, rl: str | None, lines: list[str]) -> int:
    """The training rows out of ``dataset_size``: ``dataset_shard_num`` keeps one contiguous shard
    (``src/axolotl/utils/data/sft.py`` ``_apply_dataset_sharding``; datasets ``Dataset.shard``, lines
    5247-5320: ``n // k`` rows, one more for the first ``n % k`` shards), then ``val_set_size`` takes the eval
    split (:func:`eval_split`); ``test_datasets`` replace that split."""
    shards = get(cfg, "dataset_shard_num", None, integer=True, low=1)
    index = get(cfg, "dataset_shard_idx", None, integer=True, low=0)
    if rl is None and shards and index is not None:
        if index >= shards:
            raise SpecError("dataset_shard_idx", "must be below dataset_shard_num", index)
        kept = rows // shards + (1 if index < rows % shards else 0)
        lines.append(f"rows = {fmt_int(kept)} (shard {index} of {shards}: dataset_shard_num)")
        rows = kept
    split = cfg.get("val_set_size")
    if split is not None and number(split, "val_set_size", low=0) and not cfg.get("test_datasets"):
        rows = eval_split(rows, split, "val_set_size", lines, fraction_only=rl is not None)
    return rows


def _axolotl_warmup(cfg: dict[str, Any], basis: int | None, lines: list[str]) -> int | float:
    """The ``warmup_steps`` axolotl hands the Trainer (``src/axolotl/core/builders/base.py``
    ``_configure_warmup_and_logging``, lines 235-268): ``warmup_steps`` as given; else ``int(warmup_ratio ×
    basis)``; else ``min(int(0.03 × basis), 100)``; with no basis the ratio (default 0.03) itself, which
    transformers reads as ``ceil(T × ratio)``; 1 becomes 2."""
    if cfg.get("warmup_steps") is not None:
        warm: int | float = number(cfg["warmup_steps"], "warmup_steps", integer=True, low=0)
    elif cfg.get("warmup_ratio") is not None:
        ratio = number(cfg["warmup_ratio"], "warmup_ratio", low=0)
        if basis:
            warm = max(int(ratio * basis), 0)
            lines.append(f"warmup_steps = int({ratio:g} × {fmt_int(basis)}) = {fmt_int(warm)} (axolotl rounds down)")
        else:
            warm = ratio
    elif basis:
        warm = min(int(0.03 * basis), 100)
        lines.append(f"warmup_steps = min(int(0.03 × {fmt_int(basis)}), 100) = {warm} (axolotl default)")
    else:
        warm = 0.03
        lines.append("warmup ratio 0.03 (axolotl default without a step count)")
    if warm == 1:
        warm = 2
        lines.append("warmup_steps 1 becomes 2 (axolotl)")
    return warm
