"""Trainers configured by YAML on top of Hugging Face's Trainer or their own loop: which one wrote a file
(axolotl, LLaMA-Factory, LLaMA-Factory v1), files that train nothing, and the eval split both take out of the
data (github.com/huggingface/datasets at b7cb10b0). Each trainer's rules: :mod:`schedules.imports.axolotl`,
:mod:`schedules.imports.llamafactory`; torchtune is :mod:`schedules.imports.torchtune`.
"""

from __future__ import annotations

import math
from typing import Any

from schedules.errors import SpecError
from schedules.imports.common import flag, fmt_int, number

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


def format_line(fmt: str, cfg: dict[str, Any]) -> str:
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
