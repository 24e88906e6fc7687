"""Trainers configured by YAML on top of Hugging Face's Trainer or their own loop: axolotl, LLaMA-Factory
(its Trainer-based configs and its v1 loop). torchtune is :mod:`schedules.imports.torchtune`.

Every rule below is transcribed from the trainer's own source and cited next to the code that applies it
(github.com/axolotl-ai-cloud/axolotl at 067b021c, github.com/hiyouga/LLaMA-Factory at ff6d4d12,
github.com/huggingface/datasets at b7cb10b0 for the splits both use). In short:

axolotl: ``T = max_steps``, else ``ceil(train_rows × num_epochs / batch)`` with ``batch = batch_size`` (or
``micro_batch_size × gradient_accumulation_steps``) × the data-parallel world; ``train_rows`` is what is left
after ``val_set_size`` (and ``dataset_shard_num``) take their part; the warmup default is computed from
``min(the data's steps, max_steps)``; warmup ``int(ratio × that)`` or ``min(int(0.03 × that), 100)``, 1
becomes 2; ``one_cycle``, ``lr_quadratic_warmup``, ``cosine_min_lr_ratio`` and ``cosine_constant_lr_ratio``
are axolotl's own schedulers, every other ``lr_scheduler`` is Hugging Face's ``get_scheduler``; ReLoRA's
jagged restarts and ``rex`` are refused by name.

LLaMA-Factory: the YAML's TrainingArguments keys run Hugging Face's Trainer on the rows left after
``max_samples`` (per dataset) and ``val_size``; packed runs (``stage: pt`` by default, ``packing``) are counted
in packed sequences, so their length is asked for; ``warmup_stable_decay`` gets LLaMA-Factory's stable and
decay lengths. LLaMA-Factory v1 (``USE_V1=1``) runs its own loop: a constant lr without
``lr_scheduler_config``.

"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from schedules.errors import SpecError
from schedules.imports import hf
from schedules.imports.common import Budget, Result, flag, fmt_int, get, need_budget, number, text_value

# ---- which trainer wrote the file, and files that train nothing ------------------------------------------

#: Keys only axolotl's schema has (``src/axolotl/utils/schemas/config.py`` AxolotlInputConfig).
AXOLOTL_KEYS = frozenset(
    {
        "base_model",
        "base_model_config",
        "datasets",
        "num_epochs",
        "sequence_len",
        "sample_packing",
        "pad_to_sequence_len",
        "adapter",
        "lora_r",
        "lora_target_linear",
        "lora_target_modules",
        "val_set_size",
        "lr_quadratic_warmup",
        "cosine_min_lr_ratio",
        "cosine_constant_lr_ratio",
        "dataset_prepared_path",
        "load_in_8bit",
        "load_in_4bit",
        "special_tokens",
        "jagged_restart_steps",
        "relora",
        "relora_steps",
        "evals_per_epoch",
        "saves_per_epoch",
        "flash_attention",
        "wandb_project",
        "chat_template",
        "rl",
        "plugins",
        "lr_scheduler",
    }
)
#: Keys only LLaMA-Factory's Trainer-based arguments have (``src/llamafactory/hparams/*.py``).
LLAMAFACTORY_KEYS = frozenset(
    {
        "stage",
        "finetuning_type",
        "lora_target",
        "lora_rank",
        "template",
        "dataset_dir",
        "max_samples",
        "tokenized_path",
        "plot_loss",
        "mix_strategy",
        "packing",
        "neat_packing",
    }
)
#: Keys only LLaMA-Factory v1's arguments have (``src/llamafactory/v1/config/*.py``); axolotl shares its
#: ``micro_batch_size``.
LLAMAFACTORY_V1_KEYS = frozenset(
    {
        "model",
        "model_class",
        "train_dataset",
        "init_config",
        "peft_config",
        "kernel_config",
        "quant_config",
        "sample_backend",
        "dist_config",
        "optim_config",
        "lr_scheduler_config",
        "batching_strategy",
        "batching_workers",
        "global_batch_size",
        "cp_size",
        "cp_mode",
        "dp_size",
        "mp_replicate_size",
        "mp_shard_size",
        "save_ckpt_as_hf",
        "custom_chat_template",
        "enable_activation_checkpointing",
    }
)
LABELS = {"axolotl": "axolotl", "llamafactory": "LLaMA-Factory", "llamafactory_v1": "LLaMA-Factory v1"}
#: What makes a LLaMA-Factory file a training one (its inference and export files share the model keys).
_TRAINING_KEYS = frozenset(
    {
        "stage",
        "do_train",
        "dataset",
        "learning_rate",
        "num_train_epochs",
        "max_steps",
        "per_device_train_batch_size",
        "lr_scheduler_type",
    }
)


def check_training(cfg: dict[str, Any]) -> None:
    """Raise one line saying what a file that trains nothing is (launcher, DeepSpeed, inference, export,
    evaluation configs), rather than the error of a format it is not."""
    keys = set(cfg)
    what = None
    if {"compute_environment", "distributed_type"} <= keys:
        what = (
            "is an accelerate launcher config (accelerate launch --config_file): it sets no learning rate; "
            "import the training config it launches"
        )
    elif {"gpu", "gpu_count"} <= keys and keys & {"provider", "project_name"}:
        # src/axolotl/cli/cloud/__init__.py: the file `axolotl train --cloud` reads beside the training config.
        what = (
            "is an axolotl cloud launcher config (axolotl train --cloud): it sets no learning rate; import the "
            "training config it runs"
        )
    elif "zero_optimization" in keys:
        sched = cfg.get("scheduler")
        what = (
            f"is a DeepSpeed config whose scheduler ({sched.get('type', '?')}) replaces the trainer's; "
            "DeepSpeed schedulers are not imported"
            if isinstance(sched, dict)
            else "is a DeepSpeed config with no scheduler section: the trainer's own schedule runs; import the "
            "training config that names it"
        )
    elif "export_dir" in keys and not flag(cfg, "do_train", False):
        what = (
            "is a LLaMA-Factory export config (llamafactory-cli export merges or quantizes a model): it trains nothing"
        )
    elif "task" in keys and keys & {"n_shot", "lang", "task_dir"} and not keys & _TRAINING_KEYS:
        what = "is a LLaMA-Factory evaluation config (llamafactory-cli eval): it trains nothing"
    elif keys & {"infer_backend", "template"} and "model_name_or_path" in keys and not keys & _TRAINING_KEYS:
        what = "is a LLaMA-Factory inference config (llamafactory-cli chat / webchat / api): it trains nothing"
    elif "model" in keys and keys & (LLAMAFACTORY_V1_KEYS - {"model"}) and "train_dataset" not in keys:
        peft = cfg.get("peft_config")
        export = isinstance(peft, dict) and "export_dir" in peft
        what = (
            "is a LLaMA-Factory v1 export config (peft_config.export_dir): it trains nothing"
            if export
            else "is a LLaMA-Factory v1 config without train_dataset: it trains nothing"
        )
    if what is not None:
        raise SpecError("config", what)


def detect_trainer(cfg: dict[str, Any]) -> str | None:
    """``axolotl``, ``llamafactory`` or ``llamafactory_v1`` when the keys say so (None when none of them
    fits); a file that trains nothing, or keys two of them fit equally, raise one line."""
    check_training(cfg)
    hits = _hits(cfg)
    if not hits:
        if "micro_batch_size" in cfg:
            raise SpecError(
                "format",
                "micro_batch_size is a key of both axolotl and LLaMA-Factory v1 and no other "
                "key tells them apart; choose the format (axolotl or llamafactory_v1)",
            )
        return None
    ranked = sorted(hits.items(), key=lambda kv: -len(kv[1]))
    if len(ranked) > 1 and len(ranked[0][1]) == len(ranked[1][1]):
        (a, ka), (b, kb) = ranked[:2]
        raise SpecError(
            "format",
            f"the keys fit {LABELS[a]} ({', '.join(ka)}) and {LABELS[b]} ({', '.join(kb)}) "
            f"equally; choose the format ({a} or {b})",
        )
    return ranked[0][0]


def _hits(cfg: dict[str, Any]) -> dict[str, list[str]]:
    keys = set(cfg)
    found = {"axolotl": AXOLOTL_KEYS, "llamafactory": LLAMAFACTORY_KEYS, "llamafactory_v1": LLAMAFACTORY_V1_KEYS}
    return {fmt: sorted(keys & own) for fmt, own in found.items() if keys & own}


def _format_line(fmt: str, cfg: dict[str, Any]) -> str:
    """The assumption line saying which trainer's rules are applied and which keys are its own."""
    own = _hits(cfg).get(fmt, [])
    others = [f"{LABELS[f]} ({', '.join(k[:3])})" for f, k in _hits(cfg).items() if f != fmt]
    why = f"its own keys {', '.join(own[:4])}" if own else "the format chosen"
    return f"read as {LABELS[fmt]}: {why}" + (f"; also seen: {', '.join(others)}" if others else "")


# ---- the rows a run trains on ---------------------------------------------------------------------------


def split_size(value: Any, field: str, *, fraction_only: bool = False) -> int | float:
    """The ``test_size`` the trainer passes (see :func:`eval_split`); a fraction outside (0, 1) is refused
    whatever the dataset's length."""
    v = number(value, field, low=0)
    test_size: int | float = float(v) if fraction_only or v <= 1 else int(v)
    if isinstance(test_size, float) and not 0 < test_size < 1:
        raise SpecError(
            field,
            "must be a fraction below 1"
            + ("" if fraction_only else " or a count above 1")
            + " (datasets' train_test_split refuses it)",
            value,
        )
    return test_size


def eval_split(rows: int, value: Any, field: str, lines: list[str], *, fraction_only: bool = False) -> int:
    """The rows left for training once ``Dataset.train_test_split(test_size=...)`` takes the eval part.

    axolotl (``src/axolotl/utils/data/sft.py`` ``_handle_train_dataset_split``) and LLaMA-Factory
    (``src/llamafactory/data/data_utils.py`` ``split_dataset``, line 114) pass ``int(v)`` when ``v > 1`` and the
    float otherwise; axolotl's preference-data path passes the float as it is (``fraction_only``;
    ``src/axolotl/utils/data/rl.py`` ``_load_datasets``, line 63). datasets' ``Dataset.train_test_split``
    (``src/datasets/arrow_dataset.py``, lines 5116-5185) takes ``ceil(v × n)`` rows for a float in (0, 1)
    and ``v`` rows for a whole number in (0, n), and refuses anything else or an empty training part.
    """
    v = number(value, field, low=0)
    test_size = split_size(value, field, fraction_only=fraction_only)
    if isinstance(test_size, float):
        n_test = math.ceil(test_size * rows)
        rule = f"ceil({test_size:g} × {fmt_int(rows)}) = {fmt_int(n_test)}"
    else:
        if test_size >= rows:
            raise SpecError(
                field,
                "must be smaller than the dataset (datasets' train_test_split refuses it)",
                value,
                f"dataset_size {rows}",
            )
        n_test = test_size
        rule = fmt_int(n_test) + ("" if float(v).is_integer() else f" (int({v:g}))")
    if rows - n_test == 0:
        raise SpecError(field, "leaves no training rows", value, f"dataset_size {rows}")
    lines.append(
        f"training rows = {fmt_int(rows)} − {rule} = {fmt_int(rows - n_test)} ({field} takes its eval split "
        "out of dataset_size)"
    )
    return rows - n_test


# ---- axolotl ---------------------------------------------------------------------------------------------

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
    lines = [_format_line("axolotl", cfg)]
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
        if const_ratio:
            if const_ratio > 1:
                raise SpecError("cosine_constant_lr_ratio", "must be between 0 and 1", const_ratio)
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


# ---- LLaMA-Factory ---------------------------------------------------------------------------------------

LLAMAFACTORY_DATA = "dataset_size (the rows of the dataset(s) as loaded, before max_samples and val_size)"
#: Megatron settings: such a file runs under USE_MCA or USE_MEGATRON_BRIDGE (``src/llamafactory/hparams/
#: parser.py`` ``get_train_args``), whose Megatron scheduler replaces the Trainer's.
MEGATRON_KEYS = ("tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size")


def import_llamafactory(cfg: dict[str, Any], b: Budget) -> Result:
    """A LLaMA-Factory training YAML -> spec: Hugging Face's Trainer on the rows LLaMA-Factory keeps."""
    check_training(cfg)
    lines = [_format_line("llamafactory", cfg)]
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
    lines = [_format_line("llamafactory_v1", cfg)]
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

