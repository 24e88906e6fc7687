"""litgpt YAML configs (``config_hub/finetune/**``, ``config_hub/pretrain/**``) -> spec v1, as litgpt runs them.

Transcribed from github.com/Lightning-AI/litgpt (0.5.13):

- ``litgpt/args.py`` ``TrainArgs.gradient_accumulation_iters``: ``A = (global_batch_size // (devices ×
  num_nodes)) // micro_batch_size`` (asserted > 0); ``TrainArgs.warmup_iters``:
  ``min(max_iters, ceil(lr_warmup_fraction × len(train_dataloader)))``, else ``min(max_iters,
  lr_warmup_steps × A)``, else 0.
- finetune (``litgpt/finetune/lora.py`` ``main``/``fit``/``get_lr_scheduler``; ``full.py``, ``adapter.py``,
  ``adapter_v2.py`` are the same): ``steps_per_epoch = len(train_dataloader) // A``,
  ``lr_max_steps = min(epochs × steps_per_epoch, max_steps)``; the scheduler is
  ``SequentialLR([LambdaLR(step / lr_warmup_steps), CosineAnnealingLR(T_max = lr_max_steps −
  lr_warmup_steps)], milestones=[lr_warmup_steps])`` stepped after every optimizer step (``eta_min`` 0:
  ``train.min_lr`` is not used); ``fit`` runs ``epochs × len(train_dataloader)`` micro-batches (the
  iteration counter runs across epochs), so ``floor(epochs × len / A)`` updates, capped by ``max_steps``.
- pretrain (``litgpt/pretrain.py`` ``fit`` and ``get_lr``): ``max_iters = (max_tokens // world_size) //
  (micro_batch_size × max_seq_length)`` micro-batches; the lr is set before every micro-batch ``it`` to
  ``get_lr(lr, it, warmup_iters, max_iters, min_lr)`` (``lr·it/warmup_iters``, then a cosine from ``lr`` to
  ``min_lr`` over ``max_iters − warmup_iters``); the optimizer steps after every ``A``-th micro-batch, so
  update ``k`` uses ``get_lr`` at ``it = (k + 1)·A − 1`` and the run has ``max_iters // A`` updates.
  ``train.max_steps`` only warns there (``validate_args``).
"""

from __future__ import annotations

import math
from typing import Any

from schedules.errors import SpecError
from schedules.imports import torch_sched
from schedules.imports.common import Budget, Result, fmt_int, get, number

#: The train-section keys litgpt's TrainArgs has (``litgpt/args.py``), used to recognise the format.
TRAIN_KEYS = frozenset(
    {
        "global_batch_size",
        "micro_batch_size",
        "lr_warmup_steps",
        "lr_warmup_fraction",
        "max_tokens",
        "max_seq_length",
        "min_lr",
        "save_interval",
        "log_interval",
        "max_norm",
    }
)
#: Data modules whose train_dataloader drops the last batch (``litgpt/data/*.py``: drop_last=True).
DROP_LAST_DATA = ("LitData", "OpenWebText", "TextFiles", "TinyLlama", "TinyStories")


def looks_like_litgpt(data: dict[str, Any]) -> bool:
    """A litgpt CLI config: a ``train`` section with TrainArgs fields, beside litgpt's top-level keys."""
    train = data.get("train")
    if not isinstance(train, dict) or not (set(train) & TRAIN_KEYS):
        return False
    return bool(
        set(data)
        & {
            "checkpoint_dir",
            "out_dir",
            "model_name",
            "model_config",
            "precision",
            "eval",
            "logger_name",
            "tokenizer_dir",
            "initial_checkpoint_dir",
        }
    )


def _world(cfg: dict[str, Any], b: Budget, lines: list[str], pretrain: bool) -> int:
    raw = cfg.get("devices", "auto" if pretrain else 1)
    if "devices" not in cfg:
        lines.append(f"devices = {raw} ({'pretrain' if pretrain else 'finetune'} default)")
    if raw in ("auto", -1, "-1"):
        if not b.devices_given:
            raise SpecError("devices", "is auto in the litgpt config (every GPU of the machine); supply devices")
        devices = b.devices
        lines.append(f"devices = auto: {b.devices} (supplied)")
    else:
        devices = number(raw, "devices", integer=True, low=1)
    nodes = get(cfg, "num_nodes", 1, integer=True, low=1)
    return devices * nodes


def _lr(cfg: dict[str, Any], lines: list[str]) -> float:
    opt = cfg.get("optimizer", "AdamW")
    if isinstance(opt, str):
        name, init = opt.rsplit(".", 1)[-1], {}
    elif isinstance(opt, dict):
        name = str(opt.get("class_path", "")).rsplit(".", 1)[-1]
        init = opt.get("init_args") or {}
        if not isinstance(init, dict):
            raise SpecError("optimizer.init_args", "must be a mapping")
    else:
        raise SpecError("optimizer", "must be an optimizer name or class_path + init_args", opt)
    if init.get("lr") is not None:
        return float(number(init["lr"], "optimizer.init_args.lr", low=0))
    if name not in torch_sched.OPTIMIZER_LR:
        raise SpecError(
            "optimizer.init_args.lr",
            f"is not set and {name or 'the optimizer'} is not a torch optimizer whose default lr is known",
        )
    lr = torch_sched.OPTIMIZER_LR[name]
    lines.append(f"lr = {lr:g} ({name} default)")
    return lr


def _accumulation(train: dict[str, Any], world: int, lines: list[str]) -> tuple[int, int]:
    """(A, micro_batch_size) as ``TrainArgs.gradient_accumulation_iters`` computes them."""
    global_bs = get(train, "global_batch_size", 64, "train.global_batch_size", integer=True, low=1)
    micro = get(train, "micro_batch_size", 4, "train.micro_batch_size", integer=True, low=1)
    for key, default in (("global_batch_size", 64), ("micro_batch_size", 4)):
        if train.get(key) is None:
            lines.append(f"train.{key} = {default} (TrainArgs default)")
    per_rank = global_bs // world
    accum = per_rank // micro
    if accum < 1:
        raise SpecError(
            "train.global_batch_size",
            f"must be at least micro_batch_size × devices ({micro} × {world}); "
            "litgpt asserts gradient_accumulation_iters > 0",
            global_bs,
        )
    lines.append(
        f"gradient accumulation = ({fmt_int(global_bs)} // {world} devices) // {micro} = {accum} "
        "micro-batches per update"
    )
    return accum, micro


def _is_pretrain(cfg: dict[str, Any], train: dict[str, Any]) -> bool:
    if cfg.get("checkpoint_dir") is not None:
        return False
    if set(cfg) & {"model_name", "model_config", "initial_checkpoint_dir"} or train.get("max_tokens") is not None:
        return True
    raise SpecError(
        "checkpoint_dir",
        "is missing and nothing says pretraining (model_name, train.max_tokens): "
        "litgpt finetune needs checkpoint_dir, litgpt pretrain model_name",
    )


def _data_name(cfg: dict[str, Any]) -> str:
    data = cfg.get("data")
    if isinstance(data, dict):
        data = data.get("class_path", "")
    return str(data or "").rsplit(".", 1)[-1]


def _batches(b: Budget, micro: int, world: int, drop_last: bool, lines: list[str]) -> int | None:
    """``len(train_dataloader)`` on one rank: Fabric's DistributedSampler pads to ``ceil(n / world)``."""
    if b.dataset_size is None:
        return None
    per_rank = -(-b.dataset_size // world)
    n = per_rank // micro if drop_last else -(-per_rank // micro)
    how = "floor" if drop_last else "ceil"
    lines.append(
        f"batches per epoch = {how}(ceil({fmt_int(b.dataset_size)} / {world}) / {micro}) = {fmt_int(n)} "
        f"(dataset_size = training rows after the data module's split{'; drop_last' if drop_last else ''})"
    )
    if n < 1:
        raise SpecError("dataset_size", "is smaller than one micro-batch", b.dataset_size)
    return n


def import_litgpt(cfg: dict[str, Any], b: Budget) -> Result:
    """A litgpt finetune or pretrain YAML -> spec, as its ``fit`` loop sets the lr."""
    train = cfg.get("train") or {}
    if not isinstance(train, dict):
        raise SpecError("train", "must be a mapping of TrainArgs fields")
    lines: list[str] = []
    pretrain = _is_pretrain(cfg, train)
    lines.append(
        f"litgpt {'pretrain' if pretrain else 'finetune'} ("
        + ("model_name / max_tokens" if pretrain else "checkpoint_dir")
        + " in the config)"
    )
    lr = _lr(cfg, lines)
    world = _world(cfg, b, lines, pretrain)
    accum, micro = _accumulation(train, world, lines)
    if pretrain:
        spec = _pretrain(train, b, lr, world, accum, micro, lines, _data_name(cfg))
    else:
        spec = _finetune(train, b, lr, world, accum, micro, lines, _data_name(cfg))
    return Result(spec=spec, assumptions=lines)


def _finetune(
    train: dict[str, Any], b: Budget, lr: float, world: int, accum: int, micro: int, lines: list[str], data: str
) -> dict[str, Any]:
    if train.get("lr_warmup_fraction"):
        raise SpecError(
            "train.lr_warmup_fraction",
            "is not supported by litgpt finetune (its validate_args refuses it); use lr_warmup_steps",
        )
    warm = train.get("lr_warmup_steps")
    if warm is None or number(warm, "train.lr_warmup_steps", integer=True, low=0) == 0:
        raise SpecError("train.lr_warmup_steps", "must be >= 1: litgpt finetune's warmup LambdaLR divides by it", warm)
    warm = number(warm, "train.lr_warmup_steps", integer=True, low=1)
    epochs = get(train, "epochs", None, "train.epochs", integer=True, low=1)
    if epochs is None:
        if b.epochs is None:
            raise SpecError(
                "train.epochs", "is required by litgpt finetune (its validate_args); set it or supply epochs"
            )
        epochs = int(b.epochs)
        lines.append(f"train.epochs = {epochs} (supplied)")
    max_steps = get(train, "max_steps", None, "train.max_steps", integer=True, low=1)
    batches = _batches(b, micro, world, data in DROP_LAST_DATA, lines)
    if batches is None:
        if b.steps_per_epoch is None or (epochs > 1 and accum > 1):
            raise SpecError(
                "total_steps",
                "the litgpt config does not give the run's length; supply dataset_size "
                "(training rows after the data module's split)"
                + ("" if epochs > 1 and accum > 1 else ", or steps_per_epoch"),
            )
        per_epoch = b.steps_per_epoch
        run = epochs * per_epoch
        lines.append(f"updates per epoch = {fmt_int(per_epoch)} (supplied)")
    else:
        per_epoch = batches // accum
        run = epochs * batches // accum
    lr_max = epochs * per_epoch if max_steps is None else min(epochs * per_epoch, max_steps)
    if max_steps is not None:
        run = min(run, max_steps)
    lines.append(f"cosine ends at lr_max_steps = min({epochs} × {fmt_int(per_epoch)}, max_steps) = {fmt_int(lr_max)}")
    lines.append(f"total_steps = {fmt_int(run)} (fit runs epochs × batches micro-batches; one update every {accum})")
    if lr_max - warm < 1:
        raise SpecError(
            "train.lr_warmup_steps",
            "must be < lr_max_steps (litgpt's CosineAnnealingLR gets T_max = lr_max_steps − lr_warmup_steps)",
            warm,
            f"lr_max_steps {lr_max}",
        )
    if run > lr_max + 1:
        raise SpecError(
            "train.epochs",
            f"litgpt runs {fmt_int(run)} updates but its CosineAnnealingLR reaches 0 at "
            f"update {fmt_int(lr_max)} and rises again after it, which the spec has no shape for",
            epochs,
        )
    if train.get("min_lr") is not None:
        lines.append("train.min_lr is not used by litgpt finetune (its CosineAnnealingLR ends at 0)")
    lines.append(
        f"warmup lr·step/{warm} (LambdaLR), then CosineAnnealingLR(T_max = {fmt_int(lr_max - warm)}); "
        "stepped once per optimizer update"
    )
    spec: dict[str, Any] = {
        "name": "litgpt finetune",
        "total_steps": run,
        "lr": lr,
        "warmup": {"steps": warm, "shape": "linear", "start_lr": 0.0},
        "schedule": {"type": "cosine", "min_lr": 0.0},
    }
    if run == lr_max + 1:
        # One update more than lr_max_steps (the loop counts micro-batches across epochs): it uses the cosine's
        # end, 0, which a main schedule of T_max steps holds.
        spec["main_steps"] = lr_max - warm
        lines.append(
            f"the last update uses the cosine's end (0): {fmt_int(run)} updates, lr_max_steps {fmt_int(lr_max)}"
        )
    return spec


def _pretrain(
    train: dict[str, Any], b: Budget, lr: float, world: int, accum: int, micro: int, lines: list[str], data: str
) -> dict[str, Any]:
    if train.get("epochs") is not None:
        raise SpecError(
            "train.epochs", "is not supported by litgpt pretrain (its validate_args refuses it); it trains max_tokens"
        )
    max_tokens = get(train, "max_tokens", None, "train.max_tokens", integer=True, low=1)
    if max_tokens is None:
        raise SpecError("train.max_tokens", "is required by litgpt pretrain (its validate_args)")
    seq = get(train, "max_seq_length", None, "train.max_seq_length", integer=True, low=1)
    if seq is None:
        raise SpecError(
            "train.max_seq_length",
            "is not set, so litgpt uses the model's block_size, which the config does not give; set max_seq_length",
        )
    if train.get("max_steps") is not None:
        lines.append("train.max_steps ignored: litgpt pretrain only warns about it and trains max_tokens")
    max_iters = (max_tokens // world) // (micro * seq)
    lines.append(
        f"max_iters = ({fmt_int(max_tokens)} // {world}) // ({micro} × {fmt_int(seq)}) = {fmt_int(max_iters)} "
        "micro-batches"
    )
    if accum > 1:
        raise SpecError(
            "train.global_batch_size",
            f"gives {accum} micro-batches per update, and litgpt pretrain sets "
            "the lr per micro-batch (update k uses get_lr at iteration (k + 1)·A − 1), which falls "
            "between the spec's steps; exact only with global_batch_size = micro_batch_size × devices",
            train.get("global_batch_size"),
        )
    if train.get("lr_warmup_fraction"):
        frac = number(train["lr_warmup_fraction"], "train.lr_warmup_fraction", low=0)
        batches = b.steps_per_epoch
        if batches is None:
            batches = _batches(b, micro, world, data in DROP_LAST_DATA or not data, lines)
        if batches is None:
            raise SpecError(
                "train.lr_warmup_fraction",
                "is a fraction of an epoch's batches; supply steps_per_epoch (or dataset_size in sequences)",
            )
        warm = min(max_iters, math.ceil(frac * batches))
        lines.append(f"warmup = min(max_iters, ceil({frac:g} × {fmt_int(batches)})) = {fmt_int(warm)}")
    elif "lr_warmup_steps" not in train:
        raise SpecError("train.lr_warmup_steps", "is not in the config; set lr_warmup_steps (or lr_warmup_fraction)")
    else:
        steps = get(train, "lr_warmup_steps", 0, "train.lr_warmup_steps", integer=True, low=0)
        warm = min(max_iters, steps * accum)
    total = max_iters // accum
    if total < 1:
        raise SpecError("train.max_tokens", "is less than one micro-batch of tokens", max_tokens)
    min_lr = get(train, "min_lr", 6e-5, "train.min_lr", low=0)
    if train.get("min_lr") is None:
        lines.append("train.min_lr = 6e-05 (TrainArgs default)")
    if warm >= total:
        raise SpecError(
            "train.lr_warmup_steps", "must leave at least one update after warmup", warm, f"total_steps {total}"
        )
    lines.append(
        f"get_lr: lr·it/{fmt_int(warm)} during warmup, then a cosine to min_lr {min_lr:g} over "
        f"{fmt_int(max_iters - warm)} iterations (set before every micro-batch)"
    )
    spec: dict[str, Any] = {
        "name": "litgpt pretrain",
        "total_steps": total,
        "lr": lr,
        "schedule": {"type": "cosine", "min_lr": min_lr},
    }
    if warm:
        spec["warmup"] = {"steps": warm, "shape": "linear", "start_lr": 0.0}
    return spec
