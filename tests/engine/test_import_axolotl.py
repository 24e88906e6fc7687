"""axolotl imports against a transcription of axolotl's own pipeline, run on the real torch and transformers
objects it builds, compared at every update with ``curve(import_config(...).spec)``.

axolotl is not installed; :func:`axolotl_lrs` transcribes, from github.com/axolotl-ai-cloud/axolotl at
067b021c (file and line cited at each step), what happens between the YAML and the lr of every update:
pydantic defaults, ``normalize_config``, the val split, ``calculate_total_num_steps``, ``min`` with
``max_steps``, ``_configure_warmup_and_logging`` and ``SchedulerMixin.create_scheduler``. The parts that are
transformers' (``TrainingArguments.get_warmup_steps``, ``get_scheduler``) and torch's (``LambdaLR``,
``OneCycleLR``) are the installed objects themselves. datasets is not installed: its ``train_test_split``
row count is transcribed in :func:`datasets_train_rows`.
"""

from __future__ import annotations

import math
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler
from transformers import TrainingArguments, get_scheduler

import schedules
from schedules import SpecError
from schedules.imports import detect, import_config
from tests.engine.test_import_formats import axolotl_constant, axolotl_min_lr, axolotl_quadratic
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel, new_optimizer, run_torch


class TrainerRefuses(Exception):
    """axolotl (or datasets) raises before training: the config runs nothing."""


def datasets_train_rows(n: int, test_size: int | float) -> int:
    """datasets ``Dataset.train_test_split`` (src/datasets/arrow_dataset.py at b7cb10b0, lines 5116-5185):
    the train part's row count, or the ValueError it raises."""
    if (isinstance(test_size, int) and (test_size >= n or test_size <= 0)) or (
        isinstance(test_size, float) and (test_size <= 0 or test_size >= 1)
    ):
        raise TrainerRefuses(f"test_size={test_size}")
    n_test = math.ceil(test_size * n) if isinstance(test_size, float) else float(test_size)
    n_train = int(n - n_test)
    if n_train == 0:
        raise TrainerRefuses("empty train split")
    return n_train


def axolotl_steps_and_warmup(
    raw: dict[str, Any], rows: int, world: int = 1, packed_per_epoch: int | None = None
) -> tuple[int, int | float]:
    """(the Trainer's max_steps, the warmup_steps axolotl passes it); ``packed_per_epoch`` is the multipack
    sampler's updates per epoch (``data_loader_len``) of a sample-packed run."""
    cfg = {
        "micro_batch_size": 1,
        "gradient_accumulation_steps": 1,
        "num_epochs": 1.0,
        "val_set_size": 0.0,
        **{k: v for k, v in raw.items() if v is not None},
    }  # schemas/training.py defaults, model_dump(exclude_none)
    if raw.get("gradient_accumulation_steps") and raw.get("batch_size"):
        raise TrainerRefuses("check_gas_bsz")  # schemas/validation.py line 275
    # utils/config/__init__.py normalize_config, lines 202-230
    ga = cfg["gradient_accumulation_steps"] or cfg["batch_size"] // cfg["micro_batch_size"]
    batch_size = cfg.get("batch_size") or cfg["micro_batch_size"] * ga
    if world != 1:
        batch_size *= world // (cfg.get("context_parallel_size") or 1) // (cfg.get("tensor_parallel_size") or 1)
    epochs = float(cfg["num_epochs"])
    val = float(cfg["val_set_size"])
    if cfg.get("rl") in ("grpo", "ebft"):
        total_num_steps = None  # common/datasets.py lines 120-124
    elif not cfg.get("rl") and (cfg.get("streaming") or cfg.get("pretraining_dataset")):
        total_num_steps = cfg.get("max_steps") or -1  # utils/data/sft.py _prepare_streaming_dataset, line 172
    elif cfg.get("rl"):
        # utils/data/rl.py line 63: the raw float; common/datasets.py lines 120-124
        if val:
            rows = datasets_train_rows(rows, val)
        data_steps = math.ceil(rows * epochs / batch_size)
        total_num_steps = data_steps
    else:
        # utils/data/sft.py _handle_train_dataset_split, lines 440-447
        split = int(val) if val > 1 else float(val)
        if split:
            rows = datasets_train_rows(rows, split)
        if cfg.get("sample_packing"):  # utils/trainer.py lines 494-503
            data_steps = math.floor(max(1, packed_per_epoch) * epochs)
            if cfg.get("dataloader_drop_last"):
                data_steps -= math.ceil(epochs)
        else:
            data_steps = math.ceil(rows * epochs / batch_size)  # utils/trainer.py line 521
        max_steps = cfg.get("max_steps")
        total_num_steps = min(data_steps, max_steps) if max_steps else data_steps  # utils/data/sft.py 115-120
    # core/builders/base.py _configure_warmup_and_logging, lines 238-257
    warmup_steps: int | float = 0
    warmup_ratio = 0.0
    if cfg.get("warmup_steps") is not None:
        warmup_steps = cfg["warmup_steps"]
    elif cfg.get("warmup_ratio") is not None:
        if total_num_steps:
            warmup_steps = max(int(cfg["warmup_ratio"] * total_num_steps), 0)
        else:
            warmup_ratio = cfg["warmup_ratio"]
    elif total_num_steps:
        warmup_steps = min(int(0.03 * total_num_steps), 100)
    else:
        warmup_ratio = 0.03
    if warmup_ratio > 0.0 and warmup_steps == 0:
        warmup_steps = warmup_ratio
    if warmup_steps == 1:
        warmup_steps = 2
    return cfg.get("max_steps") or total_num_steps, warmup_steps  # base.py line 677


def axolotl_schedule_lrs(raw: dict[str, Any], total: int, warmup_steps: int | float) -> np.ndarray:
    """``SchedulerMixin.create_scheduler`` (core/trainers/mixins/scheduler.py, lines 27-131), stepped once per
    update as Trainer's loop does."""
    lr = float(raw["learning_rate"])
    kind = raw.get("lr_scheduler") or "cosine"  # core/builders/base.py _configure_scheduler, lines 280-290
    kwargs = raw.get("lr_scheduler_kwargs") or {}
    warm = TrainingArguments.get_warmup_steps(SimpleNamespace(warmup_steps=warmup_steps), total)
    quadratic = kind == "cosine" and raw.get("lr_quadratic_warmup") is True
    min_ratio = raw.get("cosine_min_lr_ratio") if kind == "cosine" else None
    const_ratio = raw.get("cosine_constant_lr_ratio")
    opt = new_optimizer(lr)
    if kind == "one_cycle":
        extra = {"pct_start": warm / total, "anneal_strategy": "cos"}
        sched: Any = lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=total, cycle_momentum=False, **{**extra, **kwargs}
        )
    elif quadratic:
        sched = lr_scheduler.LambdaLR(opt, partial(axolotl_quadratic, w=warm, total=total))
    elif min_ratio and const_ratio:
        sched = lr_scheduler.LambdaLR(
            opt, partial(axolotl_constant, w=warm, total=total, ratio=min_ratio, const=const_ratio)
        )
    elif min_ratio:
        sched = lr_scheduler.LambdaLR(opt, partial(axolotl_min_lr, w=warm, total=total, ratio=min_ratio))
    else:
        sched = get_scheduler(
            kind, opt, num_warmup_steps=warm, num_training_steps=total, scheduler_specific_kwargs=kwargs
        )
    return run_torch(opt, sched, total)


def axolotl_lrs(raw: dict[str, Any], rows: int, world: int = 1, packed_per_epoch: int | None = None) -> np.ndarray:
    """The lr of every update axolotl runs for the YAML mapping ``raw`` on ``rows`` prepared rows."""
    total, warmup_steps = axolotl_steps_and_warmup(raw, rows, world, packed_per_epoch)
    return axolotl_schedule_lrs(raw, total, warmup_steps)


def check(raw: dict[str, Any], rows: int, world: int = 1, record: Any = None) -> Any:
    imported = import_config(yaml.safe_dump({"base_model": "x", **raw}), dataset_size=rows, devices=world)
    assert imported.format == "axolotl"
    ref = axolotl_lrs(raw, rows, world)
    assert imported.spec.total_steps == ref.size
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, float(raw["learning_rate"]), record)
    return imported


# ---- batch_size: axolotl counts the run in batch_size examples --------------------------------------------


@pytest.mark.parametrize("world", [1, 4])
def test_batch_size_without_gradient_accumulation_counts_batch_size(world: int, record_property) -> None:
    raw = {"learning_rate": 2e-4, "micro_batch_size": 2, "batch_size": 16, "num_epochs": 2, "warmup_ratio": 0.05}
    imported = check(raw, 5000, world, record_property)
    assert imported.spec.total_steps == math.ceil(5000 * 2.0 / (16 * world))  # not 5000 × 2 / (2 × world)
    assert any("batch_size 16" in line for line in imported.assumptions)


def test_batch_size_and_gradient_accumulation_together_are_refused_like_axolotl() -> None:
    with pytest.raises(SpecError) as info:
        import_config(
            "base_model: x\nlearning_rate: 1e-4\nbatch_size: 8\ngradient_accumulation_steps: 2\n", dataset_size=100
        )
    assert info.value.field == "batch_size"
    with pytest.raises(TrainerRefuses):
        axolotl_steps_and_warmup({"batch_size": 8, "gradient_accumulation_steps": 2}, 100)


def test_context_and_tensor_parallel_shrink_the_data_parallel_world(record_property) -> None:
    raw = {
        "learning_rate": 1e-4,
        "micro_batch_size": 1,
        "gradient_accumulation_steps": 2,
        "context_parallel_size": 2,
        "tensor_parallel_size": 2,
        "warmup_steps": 5,
    }
    imported = check(raw, 999, 8, record_property)
    assert imported.spec.total_steps == math.ceil(999 / (2 * 2))


# ---- ReLoRA: jagged restarts are refused by name, never dropped -------------------------------------------


@pytest.mark.parametrize("field", ["jagged_restart_steps", "relora_steps"])
def test_relora_restarts_are_refused_naming_the_field(field: str) -> None:
    text = (
        f"base_model: x\nlearning_rate: 2e-4\nmicro_batch_size: 4\ngradient_accumulation_steps: 4\n"
        f"relora: true\n{field}: 150\njagged_restart_warmup_steps: 10\nmax_steps: 1000\n"
    )
    with pytest.raises(SpecError) as info:
        import_config(text, dataset_size=10_000)
    assert info.value.field == field and "\n" not in str(info.value)


def test_jagged_restart_steps_zero_is_no_wrapper(record_property) -> None:
    """scheduler.py line 134 tests ``if self.args.jagged_restart_steps``: 0 or null wraps nothing."""
    check(
        {
            "learning_rate": 1e-4,
            "micro_batch_size": 2,
            "gradient_accumulation_steps": 1,
            "warmup_steps": 3,
            "jagged_restart_steps": 0,
        },
        300,
        1,
        record_property,
    )


# ---- max_steps and a shorter dataset ------------------------------------------------------------------------


@pytest.mark.parametrize("warmup", [{}, {"warmup_ratio": 0.05}])
def test_max_steps_warmup_comes_from_the_shorter_data(warmup: dict[str, Any], record_property) -> None:
    raw = {"learning_rate": 1e-4, "micro_batch_size": 1, "gradient_accumulation_steps": 1, "max_steps": 4000, **warmup}
    imported = check(raw, 2000, 1, record_property)
    assert imported.spec.total_steps == 4000
    expected = int(0.05 * 2000) if warmup else min(int(0.03 * 2000), 100)
    assert imported.spec.warmup.steps == expected  # not the 100 that max_steps alone gives
    assert any("min(2,000 steps of data, max_steps 4,000)" in line for line in imported.assumptions)


def test_max_steps_without_the_data_asks_for_it_unless_the_warmup_is_given() -> None:
    base = "base_model: x\nlearning_rate: 1e-4\nmicro_batch_size: 2\ngradient_accumulation_steps: 2\nmax_steps: 500\n"
    with pytest.raises(SpecError) as info:
        import_config(base)
    assert info.value.field == "total_steps" and "dataset_size" in str(info.value)
    assert import_config(base + "warmup_steps: 20\n").spec.warmup.steps == 20


def test_preference_data_warmup_is_not_capped_by_max_steps(record_property) -> None:
    """common/datasets.py lines 120-124: ceil(rows × epochs / batch), no min with max_steps."""
    raw = {
        "learning_rate": 5e-6,
        "rl": "dpo",
        "micro_batch_size": 2,
        "gradient_accumulation_steps": 4,
        "max_steps": 200,
        "warmup_ratio": 0.1,
    }
    imported = check(raw, 4000, 1, record_property)
    assert imported.spec.warmup.steps == int(0.1 * 500)  # SFT would take int(0.1 × min(500, 200))


def test_grpo_has_no_step_count_so_the_ratio_is_hugging_faces() -> None:
    text = (
        "base_model: x\nlearning_rate: 1e-6\nrl: grpo\nmax_steps: 300\nwarmup_ratio: 0.1\n"
        "micro_batch_size: 4\ngradient_accumulation_steps: 2\n"
    )
    imported = import_config(text)
    assert imported.spec.warmup.steps == math.ceil(300 * 0.1)
    opt = new_optimizer(1e-6)
    ref = run_torch(opt, get_scheduler("cosine", opt, num_warmup_steps=30, num_training_steps=300), 300)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 1e-6)
    with pytest.raises(SpecError) as info:
        import_config(text.replace("max_steps: 300\n", ""))
    assert info.value.field == "total_steps"


def test_streamed_data_needs_max_steps_and_warms_up_from_it() -> None:
    text = (
        "base_model: x\nlearning_rate: 3e-4\npretraining_dataset: [{path: x}]\nmicro_batch_size: 1\n"
        "gradient_accumulation_steps: 1\nmax_steps: 5000\n"
    )
    assert import_config(text).spec.warmup.steps == min(int(0.03 * 5000), 100)
    with pytest.raises(SpecError) as info:
        import_config(text.replace("max_steps: 5000\n", ""), dataset_size=10)
    assert info.value.field == "max_steps"


def test_sample_packing_counts_packed_updates_from_the_log() -> None:
    """utils/trainer.py lines 494-503: floor(updates per epoch × num_epochs), less ceil(epochs) with drop_last."""
    text = (
        "base_model: x\nlearning_rate: 1e-4\nsample_packing: true\nnum_epochs: 2.5\nmicro_batch_size: 1\n"
        "gradient_accumulation_steps: 4\n"
    )
    for extra in ("", "dataloader_drop_last: true\n", "max_steps: 70\nwarmup_ratio: 0.1\n"):
        imported = import_config(text + extra, steps_per_epoch=41)
        raw = yaml.safe_load(text + extra)
        ref = axolotl_lrs(raw, 0, packed_per_epoch=41)
        assert imported.spec.total_steps == ref.size
        assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 1e-4)
    with pytest.raises(SpecError) as info:
        import_config(text, dataset_size=5000)
    assert info.value.field == "total_steps" and "sample_packing" in str(info.value)


def test_steps_per_epoch_over_several_epochs_is_not_axolotls_count() -> None:
    text = "base_model: x\nlearning_rate: 1e-4\nnum_epochs: 3\nmicro_batch_size: 4\ngradient_accumulation_steps: 1\n"
    with pytest.raises(SpecError) as info:
        import_config(text, steps_per_epoch=3)
    assert info.value.field == "steps_per_epoch"
    # ceil(10 × 3 / 4) = 8 updates, while 3 epochs of ceil(10 / 4) = 3 would be 9.
    assert import_config(text, dataset_size=10).spec.total_steps == 8


# ---- val_set_size: the eval split comes out of dataset_size ----------------------------------------------


@pytest.mark.parametrize("val", [0.05, 0.1, 100, 1.5, 0.001])
def test_val_set_size_split_rounds_as_datasets_does(val: float, record_property) -> None:
    raw = {
        "learning_rate": 1e-4,
        "micro_batch_size": 2,
        "gradient_accumulation_steps": 4,
        "num_epochs": 3,
        "val_set_size": val,
    }
    imported = check(raw, 2001, 1, record_property)
    split = int(val) if val > 1 else float(val)
    rows = 2001 - (math.ceil(split * 2001) if isinstance(split, float) else split)
    assert imported.spec.total_steps == math.ceil(rows * 3 / 8)
    assert any("val_set_size takes its eval split out of dataset_size" in line for line in imported.assumptions)


@pytest.mark.parametrize(("val", "rl"), [(1.0, None), (5000, None), (100, "dpo")])
def test_val_set_size_that_datasets_refuses_is_refused(val: float, rl: str | None) -> None:
    raw = {
        "learning_rate": 1e-4,
        "micro_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "val_set_size": val,
        **({"rl": rl} if rl else {}),
    }
    with pytest.raises(TrainerRefuses):
        axolotl_steps_and_warmup(raw, 2000)
    with pytest.raises(SpecError) as info:
        import_config(yaml.safe_dump({"base_model": "x", **raw}), dataset_size=2000)
    assert info.value.field == "val_set_size"


def test_test_datasets_replace_the_split() -> None:
    text = (
        "base_model: x\nlearning_rate: 1e-4\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\n"
        "val_set_size: 0.1\ntest_datasets: [{path: y}]\n"
    )
    assert import_config(text, dataset_size=100).spec.total_steps == 100


def test_dataset_shard_keeps_one_contiguous_shard() -> None:
    """datasets Dataset.shard (arrow_dataset.py lines 5309-5312): n // k rows, one more for index < n % k."""
    text = (
        "base_model: x\nlearning_rate: 1e-4\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\n"
        "dataset_shard_num: 4\ndataset_shard_idx: {}\n"
    )
    assert [import_config(text.format(i), dataset_size=10).spec.total_steps for i in range(4)] == [3, 3, 2, 2]


# ---- the same rules for every config: equal to axolotl's curve, or one line naming the field -------------

RAW = st.fixed_dictionaries(
    {"learning_rate": st.sampled_from([1e-4, 2e-5, 3e-4]), "micro_batch_size": st.integers(1, 8)},
    optional={
        "gradient_accumulation_steps": st.integers(1, 8),
        "num_epochs": st.sampled_from([1, 2, 3, 0.5, 1.5]),
        "max_steps": st.integers(1, 3000),
        "warmup_steps": st.integers(0, 150),
        "warmup_ratio": st.sampled_from([0.0, 0.01, 0.03, 0.1, 0.2]),
        "val_set_size": st.sampled_from([0.0, 0.01, 0.05, 0.5, 1.0, 2, 10, 150.5]),
        "lr_scheduler": st.sampled_from(["cosine", "linear", "constant_with_warmup", "one_cycle"]),
        "cosine_min_lr_ratio": st.sampled_from([0.1, 0.5]),
        "lr_quadratic_warmup": st.booleans(),
        "rl": st.sampled_from(["dpo", "kto"]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=RAW,
    rows=st.integers(1, 20_000),
    world=st.sampled_from([1, 2, 8]),
    batch=st.one_of(st.none(), st.integers(1, 64)),
)
def test_every_config_is_axolotls_curve_or_one_line(
    raw: dict[str, Any], rows: int, world: int, batch: int | None
) -> None:
    if batch is not None and "gradient_accumulation_steps" not in raw:
        raw = {**raw, "batch_size": batch}
    elif "gradient_accumulation_steps" not in raw:
        raw = {**raw, "gradient_accumulation_steps": 1}
    try:
        imported = import_config(yaml.safe_dump({"base_model": "x", **raw}), dataset_size=rows, devices=world)
    except SpecError as exc:
        assert "\n" not in str(exc) and exc.field
        return
    ref = axolotl_lrs(raw, rows, world)  # raises TrainerRefuses if axolotl would not run it: a third outcome
    assert imported.spec.total_steps == ref.size
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, float(raw["learning_rate"]))


@pytest.mark.parametrize(
    "extra",
    [
        {"lr_quadratic_warmup": True},
        {"cosine_min_lr_ratio": 0.1},
        {"cosine_min_lr_ratio": 0.1, "cosine_constant_lr_ratio": 0.5},
        {"lr_scheduler": "linear"},
    ],
    ids=["quadratic", "min_lr_ratio", "constant_lr_ratio", "hf_linear"],
)
def test_a_warmup_outlasting_the_run_is_run_as_given(extra: dict[str, Any], record_property) -> None:
    # 1,000 rows / 8 per update = 125 updates, warmup 300: axolotl's own lambdas and HF's return the warmup
    # value at every step, so the lr climbs to 125/300 of the peak and the run ends.
    raw = {"learning_rate": 3e-4, "micro_batch_size": 8, "gradient_accumulation_steps": 1, "num_epochs": 1,
           "warmup_steps": 300, **extra}
    imported = check(raw, 1000, 1, record_property)
    assert imported.spec.warmup_outlasts_run and schedules.curve(imported.spec).max() < 3e-4 * 125 / 300 * 1.01


# ---- detection: axolotl and LLaMA-Factory v1 share micro_batch_size ----------------------------------------


def test_detection_says_which_keys_decided_it() -> None:
    imported = import_config(
        "base_model: x\nlearning_rate: 1e-4\nmicro_batch_size: 2\nmax_steps: 10\nwarmup_steps: 2\n"
    )
    assert imported.format == "axolotl" and imported.assumptions[0].startswith("read as axolotl: its own keys")
    with pytest.raises(SpecError) as info:
        detect("micro_batch_size: 2\nlearning_rate: 1e-4\nmax_steps: 10\n")
    assert info.value.field == "format" and "llamafactory_v1" in str(info.value)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("provider: modal\nproject_name: x\ngpu: h100\ngpu_count: 1\n", "cloud launcher"),
        ("compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nnum_processes: 8\n", "accelerate launcher"),
        ('{"train_batch_size": "auto", "zero_optimization": {"stage": 3}}', "no scheduler section"),
        ('{"zero_optimization": {"stage": 2}, "scheduler": {"type": "WarmupLR", "params": {}}}', "WarmupLR"),
    ],
)
def test_launcher_files_say_what_they_are(text: str, what: str) -> None:
    with pytest.raises(SpecError) as info:
        import_config(text)
    assert info.value.field == "config" and what in str(info.value)
