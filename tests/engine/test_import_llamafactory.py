"""LLaMA-Factory imports against LLaMA-Factory's own path: its data rules transcribed from
github.com/hiyouga/LLaMA-Factory at ff6d4d12 (cited at each step), then transformers' real ``Trainer``
(``set_initial_training_values`` on a dataloader of the rows LLaMA-Factory keeps) and its
``create_scheduler`` after LLaMA-Factory's ``create_custom_scheduler`` (transcribed), stepped once per update.
LLaMA-Factory v1's loop is checked the same way with the torch objects it builds (``DistributedSampler``,
``DataLoader``, ``LambdaLR``). Every update's lr is compared with ``curve(import_config(...).spec)``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, DistributedSampler
from transformers import Trainer, TrainingArguments

import schedules
from schedules import SpecError
from schedules.export import export
from schedules.imports import detect, import_config
from tests.engine.test_import_axolotl import TrainerRefuses, datasets_train_rows
from tests.engine.test_import_hf import TinyModel
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel, new_optimizer, run_torch
from tests.support.trainer_runs import tmp_output_dir

#: The TrainingArguments keys the fixtures use (LLaMA-Factory hands them to HfArgumentParser as they are).
HF_KEYS = (
    "learning_rate",
    "num_train_epochs",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "lr_scheduler_type",
    "lr_scheduler_kwargs",
    "warmup_steps",
    "max_steps",
)


def llamafactory_rows(cfg: dict[str, Any], sizes: list[int]) -> int:
    """The training rows LLaMA-Factory builds from datasets of ``sizes`` rows."""
    packed = cfg.get("packing", cfg.get("stage", "sft") == "pt")  # hparams/parser.py line 645
    if packed and not cfg.get("max_steps"):
        raise TrainerRefuses("packed: counted in packed sequences")
    cap = cfg.get("max_samples")
    kept = [min(cap, n) if cap is not None else n for n in sizes]  # data/loader.py lines 157-159
    rows = sum(kept)  # data/data_utils.py merge_dataset, concat
    val = float(cfg.get("val_size", 0.0))
    if val > 1e-6:  # data/data_utils.py split_dataset, lines 111-115
        rows = datasets_train_rows(rows, int(val) if val > 1 else val)
    return rows


def llamafactory_lrs(cfg: dict[str, Any], sizes: list[int], world: int = 1) -> np.ndarray:
    """The lr of every update of LLaMA-Factory's Trainer (one device; ``world`` scales the per-device batch
    the way the Trainer's dataloader length does on ``world`` ranks)."""
    rows = llamafactory_rows(cfg, sizes)
    kwargs = {k: cfg[k] for k in HF_KEYS if k in cfg}
    if "warmup_ratio" in cfg:  # transformers 5 reads warmup_steps < 1 as the ratio v4's warmup_ratio was
        kwargs.setdefault("warmup_steps", cfg["warmup_ratio"])
    kwargs["per_device_train_batch_size"] = kwargs.get("per_device_train_batch_size", 8) * world
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = TrainingArguments(output_dir=tmp_output_dir(), report_to=[], use_cpu=True, **kwargs)
        trainer = Trainer(
            model=TinyModel(), args=args, train_dataset=[{"x": torch.zeros(1)}] * rows, data_collator=lambda batch: {}
        )
        total = trainer.set_initial_training_values(args, trainer.get_train_dataloader())[-1]
        trainer.create_optimizer()
        create_custom_scheduler(args, total)
        sched = trainer.create_scheduler(total, trainer.optimizer)
    return run_torch(trainer.optimizer, sched, total)


def create_custom_scheduler(args: Any, total: int) -> None:
    """src/llamafactory/train/trainer_utils.py create_custom_scheduler, lines 556-570."""
    if args.lr_scheduler_type == "warmup_stable_decay":
        remaining = total - args.get_warmup_steps(total)
        stable = remaining // 3
        kwargs = args.lr_scheduler_kwargs or {}
        for key, value in {"num_stable_steps": stable, "num_decay_steps": remaining - stable}.items():
            if key not in kwargs:
                kwargs[key] = value
        args.lr_scheduler_kwargs = kwargs


BASE = {
    "stage": "sft",
    "do_train": True,
    "finetuning_type": "lora",
    "learning_rate": 1e-4,
    "per_device_train_batch_size": 2,
    "gradient_accumulation_steps": 8,
    "num_train_epochs": 3.0,
    "lr_scheduler_type": "cosine",
    "warmup_ratio": 0.1,
}


def check(cfg: dict[str, Any], sizes: list[int], world: int = 1, record: Any = None) -> Any:
    names = ",".join(f"d{i}" for i in range(len(sizes)))
    imported = import_config(yaml.safe_dump({"dataset": names, **cfg}), dataset_size=sum(sizes), devices=world)
    assert imported.format == "llamafactory"
    ref = llamafactory_lrs(cfg, sizes, world)
    assert imported.spec.total_steps == ref.size
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, cfg["learning_rate"], record)
    return imported


# ---- max_samples caps each dataset before the run is counted ----------------------------------------------


def test_max_samples_caps_the_dataset(record_property) -> None:
    imported = check({**BASE, "max_samples": 1000}, [52_002], 1, record_property)
    assert imported.spec.total_steps == 3 * math.ceil(math.ceil(1000 / 2) / 8)
    assert any("min(max_samples 1,000, dataset_size 52,002)" in line for line in imported.assumptions)


def test_max_samples_over_several_datasets(record_property) -> None:
    check({**BASE, "max_samples": 1000}, [91, 500], 1, record_property)  # no dataset reaches the cap
    with pytest.raises(SpecError) as info:
        import_config(
            yaml.safe_dump({"dataset": "identity,alpaca_en_demo", **BASE, "max_samples": 1000}), dataset_size=1091
        )
    assert info.value.field == "max_samples" and "each of the 2 datasets" in str(info.value)
    with pytest.raises(SpecError) as info:
        import_config(yaml.safe_dump({"dataset": "a,b", **BASE, "mix_strategy": "interleave_under"}), dataset_size=1091)
    assert info.value.field == "mix_strategy"


@pytest.mark.parametrize("val", [0.1, 0.05, 200, 1.5])
def test_val_size_takes_the_eval_split_first(val: float, record_property) -> None:
    imported = check({**BASE, "max_samples": 5000, "val_size": val}, [7001], 1, record_property)
    assert any("val_size takes its eval split" in line for line in imported.assumptions)


def test_val_size_datasets_refuses_is_refused() -> None:
    with pytest.raises(TrainerRefuses):
        llamafactory_rows({**BASE, "val_size": 1.0}, [100])
    with pytest.raises(SpecError) as info:
        import_config(yaml.safe_dump({**BASE, "val_size": 1.0}), dataset_size=100)
    assert info.value.field == "val_size"


# ---- packing: the run is in packed sequences ---------------------------------------------------------------


def test_stage_pt_packs_by_default_so_the_length_is_asked_for() -> None:
    cfg = {**BASE, "stage": "pt"}
    with pytest.raises(SpecError) as info:
        import_config(yaml.safe_dump(cfg), dataset_size=10_000)
    assert info.value.field == "total_steps" and "stage pt packs by default" in str(info.value)
    with pytest.raises(TrainerRefuses):
        llamafactory_rows(cfg, [10_000])
    packed = import_config(yaml.safe_dump(cfg), steps_per_epoch=40)
    assert packed.spec.total_steps == 3 * 40
    with pytest.raises(SpecError) as info:
        import_config(yaml.safe_dump({**BASE, "packing": True}), dataset_size=10_000)
    assert "packing is on" in str(info.value)


def test_stage_pt_without_packing_counts_examples(record_property) -> None:
    check({**BASE, "stage": "pt", "packing": False}, [3000], 1, record_property)


# ---- warmup_stable_decay: LLaMA-Factory's stable and decay lengths ----------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_decay_steps": 40},
        {"num_stable_steps": 10, "num_decay_steps": 40},
        {"min_lr_ratio": 0.1, "decay_type": "linear"},
    ],
)
def test_warmup_stable_decay_gets_llamafactorys_lengths(kwargs: dict[str, Any], record_property) -> None:
    cfg = {**BASE, "lr_scheduler_type": "warmup_stable_decay", "lr_scheduler_kwargs": kwargs}
    imported = check(cfg, [2000], 1, record_property)
    if "num_stable_steps" not in kwargs:
        assert any("LLaMA-Factory sets num_stable_steps" in line for line in imported.assumptions)


def test_warmup_stable_decay_with_only_decay_is_not_hugging_faces_default() -> None:
    """Hugging Face alone would hold for T - W - decay updates; LLaMA-Factory holds for (T - W) // 3."""
    cfg = {**BASE, "lr_scheduler_type": "warmup_stable_decay", "lr_scheduler_kwargs": {"num_decay_steps": 40}}
    lf = import_config(yaml.safe_dump(cfg), dataset_size=2000)
    plain = import_config(yaml.safe_dump(cfg), "hf", dataset_size=2000)
    assert not np.allclose(schedules.curve(lf.spec), schedules.curve(plain.spec))


def test_the_llamafactory_export_of_a_wsd_spec_runs_as_the_spec_in_llamafactory(record_property) -> None:
    spec = schedules.load_spec(
        {
            "total_steps": 300,
            "lr": 2e-4,
            "warmup": {"steps": 20},
            "schedule": {"type": "wsd", "shape": "linear", "decay_steps": 60},
        }
    )
    fields = yaml.safe_load(export(spec, "llamafactory"))
    ref = llamafactory_lrs({**fields, "stage": "sft"}, [10])
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, 2e-4, record_property)


# ---- files that train nothing, and what LLaMA-Factory runs elsewhere --------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "what"),
    [
        ("model_name_or_path: x\ntemplate: qwen3\ninfer_backend: huggingface\n", "config", "inference config"),
        (
            "model_name_or_path: x\nadapter_name_or_path: y\ntemplate: qwen3\nexport_dir: out\nexport_size: 5\n",
            "config",
            "export",
        ),
        ("model: x\npeft_config: {name: lora, export_dir: out}\n", "config", "v1 export config"),
        ("task: mmlu_test\nlang: en\nn_shot: 5\nmodel_name_or_path: x\ntemplate: fewshot\n", "config", "evaluation"),
        (
            "stage: sft\ndo_predict: true\nfinetuning_type: lora\neval_dataset: a\npredict_with_generate: true\n",
            "do_predict",
            "trains nothing",
        ),
        ("stage: sft\ndo_train: false\nlearning_rate: 1e-4\n", "do_train", "false"),
        ("stage: ppo\ndo_train: true\nlearning_rate: 1e-5\nmax_steps: 10\n", "stage", "PPO"),
        (
            "stage: sft\ndo_train: true\nlearning_rate: 1e-5\ntensor_model_parallel_size: 4\n",
            "tensor_model_parallel_size",
            "Megatron",
        ),
    ],
)
def test_what_is_not_a_trainer_run_says_so(text: str, field: str, what: str) -> None:
    with pytest.raises(SpecError) as info:
        import_config(text, dataset_size=100)
    assert info.value.field == field and what in str(info.value)


# ---- LLaMA-Factory v1: its own loop, a constant lr -----------------------------------------------------------


def v1_lrs(cfg: dict[str, Any], rows: int, world: int = 1) -> np.ndarray:
    """src/llamafactory/v1/core/base_trainer.py (lines 81-85, 215-224) with the torch objects of
    v1/core/utils/batching.py BatchGenerator (lines 158-256), normal batching."""
    lr = cfg.get("learning_rate", 1e-4)
    if cfg.get("max_steps"):
        total = cfg["max_steps"]
    else:
        dp = world // cfg.get("cp_size", 1)
        micro = cfg.get("micro_batch_size", 1)
        gbs = cfg.get("global_batch_size")
        num_micro = 1 if gbs is None else gbs // dp // micro
        sampler = DistributedSampler(range(rows), num_replicas=dp, rank=0, shuffle=True, drop_last=True)
        loader = DataLoader(range(rows), batch_size=micro * num_micro, sampler=sampler, drop_last=True)
        total = cfg.get("num_train_epochs", 3) * len(loader)
    opt = new_optimizer(lr)
    return run_torch(opt, torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda x: 1.0), total)


V1 = {
    "model": "Qwen/Qwen3-0.6B",
    "model_class": "llm",
    "train_dataset": "data/v1_sft_demo.yaml",
    "dist_config": {"name": "fsdp2"},
    "micro_batch_size": 2,
    "cutoff_len": 2048,
    "learning_rate": 1e-4,
}


@pytest.mark.parametrize(
    ("extra", "rows", "world"),
    [
        ({"max_steps": 10}, 1, 1),
        ({}, 1001, 1),
        ({}, 1001, 4),
        ({"global_batch_size": 16, "num_train_epochs": 2}, 5000, 4),
        ({"cp_size": 2, "num_train_epochs": 1}, 777, 8),
    ],
)
def test_v1_is_a_constant_lr_over_its_own_count(extra: dict[str, Any], rows: int, world: int, record_property) -> None:
    cfg = {**V1, **extra}
    imported = import_config(yaml.safe_dump(cfg), dataset_size=rows, devices=world)
    assert imported.format == "llamafactory_v1" and imported.spec.schedule.type == "constant"
    assert imported.assumptions[0].startswith("read as LLaMA-Factory v1")
    ref = v1_lrs(cfg, rows, world)
    assert imported.spec.total_steps == ref.size
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, cfg["learning_rate"], record_property)


def test_v1_scheduler_plugin_and_other_batching_are_refused_or_asked() -> None:
    with pytest.raises(SpecError) as info:
        import_config(yaml.safe_dump({**V1, "lr_scheduler_config": {"name": "cosine"}, "max_steps": 10}))
    assert info.value.field == "lr_scheduler_config"
    with pytest.raises(SpecError) as info:
        import_config(yaml.safe_dump({**V1, "batching_strategy": "dynamic_batching"}), dataset_size=100)
    assert info.value.field == "total_steps" and "dynamic_batching" in str(info.value)


def test_v1_and_axolotl_are_told_apart_or_the_format_is_asked() -> None:
    assert detect(yaml.safe_dump({**V1, "max_steps": 10})) == "llamafactory_v1"
    axolotl = {"base_model": "x", "micro_batch_size": 2, "num_epochs": 1, "learning_rate": 1e-4}
    assert detect(yaml.safe_dump(axolotl)) == "axolotl"
    with pytest.raises(SpecError) as info:
        detect(yaml.safe_dump({"micro_batch_size": 2, "learning_rate": 1e-4, "train_dataset": "x", "base_model": "y"}))
    assert info.value.field == "format" and "equally" in str(info.value)
    forced = import_config(
        yaml.safe_dump({"micro_batch_size": 2, "learning_rate": 1e-4, "max_steps": 10}), "llamafactory_v1"
    )
    assert forced.spec.schedule.type == "constant" and forced.spec.total_steps == 10


# ---- the same rules for every config: equal to LLaMA-Factory's curve, or one line naming the field -------

LF = st.fixed_dictionaries(
    {
        "learning_rate": st.sampled_from([1e-4, 5e-5]),
        "per_device_train_batch_size": st.integers(1, 8),
        "gradient_accumulation_steps": st.integers(1, 8),
        "num_train_epochs": st.sampled_from([1.0, 2.0, 3.0, 0.5]),
    },
    optional={
        "max_samples": st.integers(1, 3000),
        "val_size": st.sampled_from([0.0, 0.05, 0.1, 1.0, 10, 2.5]),
        "lr_scheduler_type": st.sampled_from(["cosine", "linear", "warmup_stable_decay", "constant_with_warmup"]),
        "warmup_ratio": st.sampled_from([0.0, 0.03, 0.1]),
        "max_steps": st.integers(1, 400),
        "stage": st.sampled_from(["sft", "dpo", "pt"]),
        "packing": st.booleans(),
    },
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=LF, sizes=st.lists(st.integers(1, 4000), min_size=1, max_size=3))
def test_every_config_is_llamafactorys_curve_or_one_line(cfg: dict[str, Any], sizes: list[int]) -> None:
    cfg = {"do_train": True, "stage": "sft", **cfg}
    try:
        check(cfg, sizes)
    except SpecError as exc:
        assert "\n" not in str(exc) and exc.field
