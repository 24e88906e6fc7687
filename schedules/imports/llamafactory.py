"""LLaMA-Factory YAML -> spec (github.com/hiyouga/LLaMA-Factory at ff6d4d12; each rule cited next to the code
that applies it).

The YAML's TrainingArguments keys run Hugging Face's Trainer on the rows left after ``max_samples`` (per
dataset) and ``val_size``; packed runs (``stage: pt`` by default, ``packing``) are counted in packed sequences,
so their length is asked for; ``warmup_stable_decay`` gets LLaMA-Factory's stable and decay lengths.
LLaMA-Factory v1 (``USE_V1=1``) runs its own loop: a constant lr without ``lr_scheduler_config``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from schedules.errors import SpecError
from schedules.imports import hf
from schedules.imports.common import Budget, Result, flag, fmt_int, get, need_budget, text_value
from schedules.imports.yaml_trainers import check_training, eval_split, format_line, split_size

LLAMAFACTORY_DATA = "dataset_size (the rows of the dataset(s) as loaded, before max_samples and val_size)"
#: Megatron settings: such a file runs under USE_MCA or USE_MEGATRON_BRIDGE (``src/llamafactory/hparams/
#: parser.py`` ``get_train_args``), whose Megatron scheduler replaces the Trainer's.
MEGATRON_KEYS = ("tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size")


def import_llamafactory(cfg: dict[str, Any], b: Budget) -> Result:
    """A LLaMA-Factory training YAML -> spec: Hugging Face's Trainer on the rows LLaMA-Factory keeps."""
    check_training(cfg)
    lines = [format_line("llamafactory", cfg)]
    for key in MEGATRON_KEYS:
        if key in cfg:
            raise SpecError(
                key,
                "is a Megatron setting: LLaMA-Factory runs this file under USE_MCA or "
                "USE_MEGATRON_BRIDGE, whose Megatron scheduler is not imported",
            )
    stage = text_value(cfg, "stage", "sft")
    if stage == "ppo":
        # src/llamafactory/train/ppo/trainer.py CustomPPOTrainer: TRL's PPO loop steps the scheduler itself.
        raise SpecError(
            "stage", "ppo runs TRL's PPO loop (its own step count and scheduler steps); not imported", stage
        )
    # Every workflow (src/llamafactory/train/*/workflow.py) calls trainer.train() only under do_train.
    if cfg.get("do_train") is None:
        predicts = [key for key in ("do_predict", "do_eval") if flag(cfg, key, False)]
        if predicts:
            raise SpecError(
                predicts[0], "is set without do_train: this LLaMA-Factory file evaluates or predicts and trains nothing"
            )
        lines.append(
            "do_train is not set: read as the training config it belongs to (LLaMA-Factory trains only "
            "with do_train: true)"
        )
    elif not flag(cfg, "do_train", False):
        raise SpecError("do_train", "is false: LLaMA-Factory trains nothing with this file")
    budget = _llamafactory_budget(cfg, b, stage, lines)
    cfg = _llamafactory_wsd(cfg, budget, lines)
    result = hf.import_hf(cfg, budget, label="LLaMA-Factory")
    lines.append("LLaMA-Factory passes these keys to Hugging Face's Trainer")
    return Result(spec=result.spec, assumptions=lines + result.assumptions)


def _llamafactory_budget(cfg: dict[str, Any], b: Budget, stage: str, lines: list[str]) -> Budget:
    """The budget the Trainer counts: ``dataset_size`` becomes the training rows LLaMA-Factory keeps.

    ``stage: pt`` packs unless ``packing: false`` (``src/llamafactory/hparams/parser.py`` line 645: ``packing
    if not None else stage == "pt"``; ``neat_packing`` turns it on, ``hparams/data_args.py`` line 185): the
    rows are then packed sequences of ``cutoff_len`` tokens, which only the run's log counts.
    """
    packing = flag(cfg, "packing", stage == "pt") or flag(cfg, "neat_packing", False)
    streaming = flag(cfg, "streaming", False)
    if get(cfg, "max_steps", -1, integer=True) > 0 or b.total_steps is not None:
        if b.dataset_size is not None and not streaming:
            _llamafactory_rows(cfg, b.dataset_size, [])  # a split datasets refuses stops the run all the same
        return b
    if streaming:
        raise SpecError("max_steps", "is required with streaming: the Trainer cannot count an iterable dataset")
    if packing:
        if b.steps_per_epoch is not None:
            return b
        why = "stage pt packs by default" if stage == "pt" and cfg.get("packing") is None else "packing is on"
        raise need_budget(
            f"steps_per_epoch or total_steps ({why}: the run is counted in packed sequences of "
            "cutoff_len tokens, not examples; the run's log gives the count)",
            "LLaMA-Factory",
        )
    if b.steps_per_epoch is not None:
        return b
    if b.dataset_size is None:
        raise need_budget(f"{LLAMAFACTORY_DATA}, or steps_per_epoch, or total_steps", "LLaMA-Factory")
    rows, unknown = _llamafactory_rows(cfg, b.dataset_size, lines)
    if unknown is not None:
        raise unknown
    return replace(b, dataset_size=rows)


def _llamafactory_rows(cfg: dict[str, Any], rows: int, lines: list[str]) -> tuple[int, SpecError | None]:
    """The training rows out of ``dataset_size``, or why they cannot be known from it.

    ``src/llamafactory/data/loader.py`` ``_load_single_dataset`` (lines 157-159) truncates each dataset to
    ``max_samples``; ``merge_dataset`` (``data/data_utils.py``, line 51) concatenates them (``mix_strategy:
    concat``); ``split_dataset`` (line 85) takes ``val_size`` out (:func:`eval_split`).
    """
    val = get(cfg, "val_size", 0.0, low=0)
    splits = val > 1e-6 and cfg.get("eval_dataset") is None
    if splits:
        split_size(cfg["val_size"], "val_size")
    names = cfg.get("dataset")
    names = [n for n in names.split(",") if n.strip()] if isinstance(names, str) else names
    count = len(names) if isinstance(names, list) and names else 1
    mix = text_value(cfg, "mix_strategy", "concat")
    if count > 1 and mix != "concat":
        return rows, SpecError(
            "mix_strategy",
            "interleaving draws a number of rows that depends on each dataset's "
            "size; supply steps_per_epoch or total_steps",
            mix,
        )
    cap = get(cfg, "max_samples", None, integer=True, low=1)
    if cap is not None:
        if count == 1:
            kept = min(cap, rows)
            lines.append(
                f"training rows = min(max_samples {fmt_int(cap)}, dataset_size {fmt_int(rows)}) = "
                f"{fmt_int(kept)} (LLaMA-Factory truncates the dataset to max_samples)"
            )
            rows = kept
        elif rows <= cap:
            lines.append(f"max_samples {fmt_int(cap)} caps none of the {count} datasets ({fmt_int(rows)} rows in all)")
        else:
            unknown = SpecError(
                "max_samples",
                f"caps each of the {count} datasets separately, so their total does "
                "not give the rows trained on; supply steps_per_epoch or total_steps",
                cap,
                f"dataset_size {rows}",
            )
            test_size = split_size(cfg["val_size"], "val_size") if splits else 0.0
            if isinstance(test_size, int) and test_size >= min(cap, rows):
                # The capped rows lie between min(cap, rows) and min(count × cap, rows): a count at or above
                # the lower end may leave no training rows, and datasets then refuses the split.
                if test_size >= min(count * cap, rows):
                    raise SpecError(
                        "val_size",
                        "must be smaller than the rows max_samples leaves",
                        test_size,
                        f"at most {min(count * cap, rows)}",
                    )
                raise unknown
            return rows, unknown
    if splits:
        rows = eval_split(rows, cfg["val_size"], "val_size", lines)
    return rows, None


def _llamafactory_wsd(cfg: dict[str, Any], b: Budget, lines: list[str]) -> dict[str, Any]:
    """``warmup_stable_decay`` with LLaMA-Factory's defaults (``src/llamafactory/train/trainer_utils.py``
    ``create_custom_scheduler``, lines 556-570): of the ``T - W`` updates after warmup, ``num_stable_steps =
    (T - W) // 3`` and ``num_decay_steps`` the rest, each only where lr_scheduler_kwargs lacks it."""
    kind = str(cfg.get("lr_scheduler_type") or "").removeprefix("SchedulerType.").lower()
    if kind != "warmup_stable_decay":
        return cfg
    total, _ = hf.total_updates(cfg, b, "LLaMA-Factory")
    warm, _ = hf.warmup_updates(cfg, total)
    kwargs = dict(hf.scheduler_kwargs(cfg))
    remaining = total - warm
    defaults = {"num_stable_steps": remaining // 3, "num_decay_steps": remaining - remaining // 3}
    filled = [f"{key} = {fmt_int(value)}" for key, value in defaults.items() if key not in kwargs]
    for key, value in defaults.items():
        kwargs.setdefault(key, value)
    if filled:
        lines.append(
            f"warmup_stable_decay: LLaMA-Factory sets {' and '.join(filled)} (stable = "
            f"{fmt_int(remaining)} updates after warmup // 3, decay = the rest)"
        )
    return {**cfg, "lr_scheduler_kwargs": kwargs}


def import_llamafactory_v1(cfg: dict[str, Any], b: Budget) -> Result:
    """A LLaMA-Factory v1 YAML (``USE_V1=1``) -> spec, as its own loop runs it.

    ``src/llamafactory/v1/core/base_trainer.py``: ``num_training_steps = max_steps`` when > 0, else
    ``num_train_epochs × len(train_batch_generator)`` (lines 81-85); ``_init_lr_scheduler`` (lines 215-224)
    builds ``LambdaLR(optimizer, lambda x: 1.0)`` without ``lr_scheduler_config`` and otherwise looks the
    name up in ``LRSchedulerPlugin``, which registers no scheduler
    (``v1/plugins/trainer_plugins/lr_scheduler.py``), so such a run stops. ``fit`` steps it once per update.
    """
    check_training(cfg)
    lines = [format_line("llamafactory_v1", cfg)]
    sched = cfg.get("lr_scheduler_config")
    if sched is not None:
        raise SpecError(
            "lr_scheduler_config",
            "names a scheduler plugin, and LLaMA-Factory v1 registers none (its "
            "LRSchedulerPlugin is empty, so the run stops); not imported",
            sched.get("name") if isinstance(sched, dict) else sched,
        )
    lr = get(cfg, "learning_rate", None, low=0)
    if lr is None:
        lr = 1e-4
        lines.append("learning_rate = 0.0001 (LLaMA-Factory v1 default)")
    total = _v1_length(cfg, b, lines)
    lines.append(
        "constant lr: without lr_scheduler_config LLaMA-Factory v1 steps LambdaLR(lambda x: 1.0) once per "
        "update, with no warmup"
    )
    spec = {"name": "LLaMA-Factory v1 constant", "total_steps": total, "lr": lr, "schedule": {"type": "constant"}}
    return Result(spec=spec, assumptions=lines)


def _v1_length(cfg: dict[str, Any], b: Budget, lines: list[str]) -> int:
    """v1's ``num_training_steps``. ``len(BatchGenerator)`` with the normal strategy
    (``v1/core/utils/batching.py`` ``BatchGenerator``, lines 158-256) is the length of a dataloader over a
    ``StatefulDistributedSampler(drop_last=True)`` in batches of ``micro_batch_size × num_micro_batch``
    with ``drop_last``: ``floor(floor(rows / dp) / (micro × num_micro))``, ``num_micro = global_batch_size //
    dp // micro`` (1 without global_batch_size); ``dp = dp_size``, default ``devices // cp_size``."""
    max_steps = get(cfg, "max_steps", None, integer=True)
    if max_steps is not None and max_steps > 0:
        lines.append(f"total_steps = max_steps = {fmt_int(max_steps)}")
        return max_steps
    if b.total_steps is not None:
        lines.append(f"total_steps = {fmt_int(b.total_steps)} (supplied)")
        return b.total_steps
    epochs = get(cfg, "num_train_epochs", None, integer=True, low=0)
    if epochs is None:
        epochs = int(b.epochs) if b.epochs is not None else 3
        lines.append(f"num_train_epochs = {epochs}" + (" (supplied)" if b.epochs is not None else " (v1 default)"))
    strategy = text_value(cfg, "batching_strategy", "normal")
    if strategy != "normal" and b.steps_per_epoch is None:
        raise need_budget(
            f"total_steps or steps_per_epoch (batching_strategy {strategy} counts its own batches)", "LLaMA-Factory v1"
        )
    if b.steps_per_epoch is not None:
        per_epoch = b.steps_per_epoch
        lines.append(f"updates per epoch = {fmt_int(per_epoch)} (supplied)")
    else:
        if b.dataset_size is None:
            raise need_budget(
                "dataset_size (the rows of train_dataset), or steps_per_epoch, or total_steps", "LLaMA-Factory v1"
            )
        micro = get(cfg, "micro_batch_size", 1, integer=True, low=1)
        cp = get(cfg, "cp_size", 1, integer=True, low=1)
        dp = get(cfg, "dp_size", None, integer=True, low=1) or b.devices // cp
        if dp < 1:
            raise SpecError("devices", "must be at least cp_size", b.devices)
        gbs = get(cfg, "global_batch_size", None, integer=True, low=1)
        if gbs is not None and gbs % (dp * micro):
            raise SpecError(
                "global_batch_size",
                "must be divisible by data-parallel size × micro_batch_size",
                gbs,
                f"{dp} × {micro}",
            )
        num_micro = 1 if gbs is None else gbs // dp // micro
        per_epoch = b.dataset_size // dp // (micro * num_micro)
        lines.append(
            f"updates per epoch = floor(floor({fmt_int(b.dataset_size)} / {dp} ranks) / ({micro} × "
            f"{num_micro})) = {fmt_int(per_epoch)} (v1 drops the last partial batch)"
        )
    total = epochs * per_epoch
    if total < 1:
        raise SpecError("dataset_size", "gives no full batch, so LLaMA-Factory v1 runs no update", b.dataset_size)
    lines.append(f"total_steps = {epochs} × {fmt_int(per_epoch)} = {fmt_int(total)}")
    return total
