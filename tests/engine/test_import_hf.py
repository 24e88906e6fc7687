"""Hugging Face imports against transformers' own Trainer: ``set_initial_training_values`` on a real
dataloader (tiny model, tiny dataset) gives the update count, ``Trainer.create_scheduler`` builds the
scheduler from the same TrainingArguments, and the scheduler is stepped once per update (as
``Trainer._inner_training_loop`` does). Every update's lr is compared with ``curve(import_config(...).spec)``.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import transformers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import Trainer, TrainingArguments

import schedules
from schedules import SpecError
from schedules.doctor import diagnose
from schedules.imports import import_config, read_trainer_state
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel
from tests.support.refusals import refusal


class TinyModel(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

    def forward(self, x: Any = None, labels: Any = None) -> dict[str, torch.Tensor]:
        return {"loss": (self.w**2).sum()}


def trainer_curve(cfg: dict[str, Any], dataset_size: int, tmp: str) -> tuple[np.ndarray, int]:
    """(lr of every update, T) from transformers' Trainer for TrainingArguments ``cfg``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = TrainingArguments(output_dir=tmp, report_to=[], use_cpu=True, **cfg)
        data = [{"x": torch.zeros(1)} for _ in range(dataset_size)]
        trainer = Trainer(model=TinyModel(), args=args, train_dataset=data, data_collator=lambda rows: {})
        loader = trainer.get_train_dataloader()
        total = trainer.set_initial_training_values(args, loader)[-1]
        trainer.create_optimizer()
        sched = trainer.create_scheduler(total, trainer.optimizer)
    out = np.empty(total)
    group = trainer.optimizer.param_groups[0]
    for t in range(total):
        out[t] = group["lr"]
        trainer.optimizer.step()
        sched.step()
    return out, total


def check(cfg: dict[str, Any], dataset_size: int, tmp: str, record: Any = None) -> schedules.Spec:
    ref, total = trainer_curve(cfg, dataset_size, tmp)
    imported = import_config(json.dumps(cfg), "hf" if not cfg else None, dataset_size=dataset_size)
    assert imported.format == "hf"
    assert imported.spec.total_steps == total
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, imported.spec.lr, record)
    return imported.spec


FIXED: dict[str, tuple[dict[str, Any], int]] = {
    "defaults (linear, 3 epochs, batch 8)": ({}, 100),
    "ratio rounds up": ({"lr_scheduler_type": "cosine", "warmup_steps": 0.03, "num_train_epochs": 2,
                         "per_device_train_batch_size": 4}, 333),
    "float warmup >= 1 truncates": ({"lr_scheduler_type": "linear", "warmup_steps": 7.9}, 200),
    "grad accum rounds up per epoch": ({"gradient_accumulation_steps": 3, "num_train_epochs": 2.5,
                                        "per_device_train_batch_size": 2, "warmup_steps": 5}, 101),
    "drop_last floors": ({"dataloader_drop_last": True, "per_device_train_batch_size": 7, "warmup_steps": 3}, 100),
    "max_steps wins": ({"max_steps": 57, "num_train_epochs": 100, "warmup_steps": 0.1}, 10),
    "constant ignores warmup": ({"lr_scheduler_type": "constant", "warmup_steps": 10}, 80),
    "constant_with_warmup drops kwargs": ({"lr_scheduler_type": "constant_with_warmup", "warmup_steps": 10,
                                           "lr_scheduler_kwargs": {"whatever": 1}}, 80),
    "cosine_with_restarts 1 cycle": ({"lr_scheduler_type": "cosine_with_restarts", "warmup_steps": 4}, 64),
    "cosine_with_restarts 3 cycles": ({"lr_scheduler_type": "cosine_with_restarts", "warmup_steps": 6,
                                       "lr_scheduler_kwargs": {"num_cycles": 3}, "max_steps": 96}, 10),
    "polynomial default lr_end": ({"lr_scheduler_type": "polynomial", "warmup_steps": 5, "learning_rate": 1e-3},
                                  120),
    "polynomial power 2 as JSON text": ({"lr_scheduler_type": "polynomial", "learning_rate": 1e-3,
                                         "lr_scheduler_kwargs": '{"lr_end": 1e-5, "power": 2.0}'}, 120),
    "inverse_sqrt passes timescale": ({"lr_scheduler_type": "inverse_sqrt", "warmup_steps": 8,
                                       "lr_scheduler_kwargs": {"timescale": 20}}, 120),
    "inverse_sqrt default timescale": ({"lr_scheduler_type": "inverse_sqrt", "warmup_steps": 8}, 120),
    "cosine_with_min_lr rate": ({"lr_scheduler_type": "cosine_with_min_lr", "warmup_steps": 9,
                                 "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}, 150),
    "cosine_with_min_lr absolute": ({"lr_scheduler_type": "cosine_with_min_lr", "warmup_steps": 0.1,
                                     "lr_scheduler_kwargs": {"min_lr": 1e-6}}, 150),
    "cosine_warmup_with_min_lr shifted": ({"lr_scheduler_type": "cosine_warmup_with_min_lr", "warmup_steps": 9,
                                           "lr_scheduler_kwargs": {"min_lr_rate": 0.05}}, 150),
    "cosine_warmup_with_min_lr warmup rate": ({"lr_scheduler_type": "cosine_warmup_with_min_lr",
                                               "warmup_steps": 9,
                                               "lr_scheduler_kwargs": {"min_lr": 1e-6, "warmup_lr_rate": 0.1}}, 150),
    "cosine_warmup_with_min_lr one warmup step": ({"lr_scheduler_type": "cosine_warmup_with_min_lr",
                                                   "warmup_steps": 1,
                                                   "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}, 150),
    "wsd derived stable": ({"lr_scheduler_type": "warmup_stable_decay", "warmup_steps": 10,
                            "lr_scheduler_kwargs": {"num_decay_steps": 30, "min_lr_ratio": 0.1}}, 160),
    "wsd explicit stable, 1-sqrt, cosine warmup": ({"lr_scheduler_type": "warmup_stable_decay", "warmup_steps": 10,
                                                    "lr_scheduler_kwargs": {"num_decay_steps": 20,
                                                                            "num_stable_steps": 40,
                                                                            "decay_type": "1-sqrt",
                                                                            "warmup_type": "cosine"}}, 160),
    # cosine_with_restarts whose cycles do not divide the decay (HF's own formula, cycles of fractional length).
    "cosine_with_restarts 7 cycles over 90": ({"lr_scheduler_type": "cosine_with_restarts", "warmup_steps": 6,
                                               "lr_scheduler_kwargs": {"num_cycles": 7}, "max_steps": 96}, 10),
    "cosine_with_restarts 2.5 cycles": ({"lr_scheduler_type": "cosine_with_restarts", "warmup_steps": 0.1,
                                         "lr_scheduler_kwargs": {"num_cycles": 2.5}, "num_train_epochs": 2}, 333),
    "cosine_with_restarts 0.3 cycles": ({"lr_scheduler_type": "cosine_with_restarts",
                                         "lr_scheduler_kwargs": '{"num_cycles": 0.3}', "max_steps": 211}, 10),
    "cosine_with_restarts 0 cycles holds": ({"lr_scheduler_type": "cosine_with_restarts", "warmup_steps": 5,
                                             "lr_scheduler_kwargs": {"num_cycles": 0}, "max_steps": 50}, 10),
    "cosine_with_restarts cycles shorter than a step": ({"lr_scheduler_type": "cosine_with_restarts",
                                                         "lr_scheduler_kwargs": {"num_cycles": 130.5},
                                                         "max_steps": 100}, 10),
    # A warmup longer than the run: every step is a warmup step, the peak is never reached.
    "warmup longer than the run, linear": ({"lr_scheduler_type": "linear", "warmup_steps": 500}, 100),
    "warmup longer than the run, cosine": ({"lr_scheduler_type": "cosine", "warmup_steps": 40, "max_steps": 25}, 10),
    "warmup as long as the run, cosine": ({"lr_scheduler_type": "cosine", "warmup_steps": 25, "max_steps": 25}, 10),
    "warmup longer than the run, restarts": ({"lr_scheduler_type": "cosine_with_restarts", "warmup_steps": 90,
                                              "lr_scheduler_kwargs": {"num_cycles": 3}, "max_steps": 60}, 10),
    "warmup longer than the run, constant_with_warmup": ({"lr_scheduler_type": "constant_with_warmup",
                                                          "warmup_steps": 300}, 120),
    "warmup longer than the run, inverse_sqrt": ({"lr_scheduler_type": "inverse_sqrt", "warmup_steps": 70,
                                                  "max_steps": 50}, 10),
    "warmup longer than the run, polynomial": ({"lr_scheduler_type": "polynomial", "warmup_steps": 51,
                                                "max_steps": 50, "learning_rate": 1e-3}, 10),
    "warmup longer than the run, cosine_with_min_lr": ({"lr_scheduler_type": "cosine_with_min_lr",
                                                        "warmup_steps": 80, "max_steps": 50,
                                                        "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}, 10),
    "warmup longer than the run, cosine_warmup_with_min_lr": ({"lr_scheduler_type": "cosine_warmup_with_min_lr",
                                                               "warmup_steps": 80, "max_steps": 50,
                                                               "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}, 10),
    "warmup longer than the run, wsd": ({"lr_scheduler_type": "warmup_stable_decay", "warmup_steps": 80,
                                         "max_steps": 50,
                                         "lr_scheduler_kwargs": {"num_decay_steps": 30, "min_lr_ratio": 0.1}}, 10),
}


@pytest.mark.parametrize("name", FIXED)
def test_fixed_quirks_match_trainer(name: str, tmp_path, record_property) -> None:
    cfg, n = FIXED[name]
    check(cfg, n, str(tmp_path), record_property)


HF_TYPES = ["linear", "cosine", "constant", "constant_with_warmup", "polynomial", "inverse_sqrt",
            "cosine_with_min_lr", "cosine_warmup_with_min_lr", "cosine_with_restarts"]


@st.composite
def hf_configs(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    kind = draw(st.sampled_from(HF_TYPES))
    cfg: dict[str, Any] = {"lr_scheduler_type": kind,
                           "learning_rate": draw(st.floats(1e-6, 1e-2)),
                           "per_device_train_batch_size": draw(st.integers(1, 16)),
                           "gradient_accumulation_steps": draw(st.integers(1, 5)),
                           "num_train_epochs": draw(st.sampled_from([1, 2, 3, 0.5, 1.7, 2.25]))}
    warmup = draw(st.sampled_from(("steps", "ratio", "long")))
    if warmup == "steps":
        cfg["warmup_steps"] = draw(st.integers(0, 20))
    elif warmup == "ratio":
        cfg["warmup_steps"] = draw(st.floats(0.0, 0.3))
    else:  # as long as the run or longer, often
        cfg["warmup_steps"] = draw(st.integers(20, 700))
    if draw(st.integers(0, 4)) == 0:
        cfg["max_steps"] = draw(st.integers(30, 200))
    if draw(st.booleans()):
        cfg["dataloader_drop_last"] = True
    if kind in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        cfg["lr_scheduler_kwargs"] = {"min_lr_rate": draw(st.floats(0.0, 0.5))}
        if kind == "cosine_warmup_with_min_lr":
            cfg["warmup_steps"] = draw(st.integers(2, 700))
    if kind == "cosine_with_restarts":
        cycles = draw(st.one_of(st.integers(1, 12), st.floats(0.05, 12.0)))
        cfg["lr_scheduler_kwargs"] = {"num_cycles": cycles}
    if kind == "polynomial":
        cfg["lr_scheduler_kwargs"] = {"lr_end": cfg["learning_rate"] * draw(st.floats(0.0, 0.5)),
                                      "power": draw(st.floats(0.5, 3.0))}
    return cfg, draw(st.integers(60, 600))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(case=hf_configs())
def test_hypothesis_configs_match_trainer(case: tuple[dict[str, Any], int], tmp_path) -> None:
    cfg, n = case
    try:
        import_config(json.dumps(cfg), dataset_size=n)
    except SpecError as exc:
        # Only polynomial with a warmup exactly as long as the run is refused: transformers divides by its
        # decay length, 0, at the scheduler step after the last update.
        assert exc.field == "warmup_steps" and cfg["lr_scheduler_type"] == "polynomial", str(exc)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args = TrainingArguments(output_dir=str(tmp_path), report_to=[], use_cpu=True, **cfg)
            trainer = Trainer(model=TinyModel(), args=args, train_dataset=[{"x": 0}] * n,
                              data_collator=lambda rows: {})
            total = trainer.set_initial_training_values(args, trainer.get_train_dataloader())[-1]
        assert args.get_warmup_steps(total) == total
        return
    check(cfg, n, str(tmp_path))


def test_model_card_matches_trainer(tmp_path) -> None:
    card = """---
license: apache-2.0
---
# my-model

### Training hyperparameters

The following hyperparameters were used during training:
- learning_rate: 2e-05
- train_batch_size: 8
- eval_batch_size: 8
- seed: 42
- gradient_accumulation_steps: 2
- total_train_batch_size: 16
- optimizer: Use adamw_torch_fused with betas=(0.9,0.999) and epsilon=1e-08
- lr_scheduler_type: cosine
- lr_scheduler_warmup_steps: 0.1
- num_epochs: 3

### Training results
"""
    imported = import_config(card, dataset_size=250)
    assert imported.format == "hf"
    ref, total = trainer_curve({"learning_rate": 2e-5, "per_device_train_batch_size": 8,
                                "gradient_accumulation_steps": 2, "lr_scheduler_type": "cosine",
                                "warmup_steps": 0.1, "num_train_epochs": 3}, 250, str(tmp_path))
    assert imported.spec.total_steps == total
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 2e-5)


def test_trainer_state_logged_lrs_lie_on_the_curve(tmp_path) -> None:
    """A real Trainer.train() run writes trainer_state.json; its logged lrs equal the imported curve."""
    cfg = {"learning_rate": 1e-3, "lr_scheduler_type": "cosine", "warmup_steps": 5, "num_train_epochs": 2,
           "per_device_train_batch_size": 4, "logging_steps": 3, "save_strategy": "no"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = TrainingArguments(output_dir=str(tmp_path), report_to=[], use_cpu=True, **cfg)
        data = [{"x": torch.zeros(1)} for _ in range(90)]
        trainer = Trainer(model=TinyModel(), args=args, train_dataset=data,
                          data_collator=lambda rows: {"x": torch.zeros(len(rows), 1)})
        trainer.train()
    trainer.state.save_to_json(str(tmp_path / "trainer_state.json"))
    state = read_trainer_state((tmp_path / "trainer_state.json").read_text(), transformers.__version__)
    imported = import_config(json.dumps({k: v for k, v in cfg.items() if k != "logging_steps"}),
                             total_steps=state.max_steps)
    assert len(state.logged) >= 5
    steps = np.array([s for s, _ in state.logged])
    lrs = np.array([v for _, v in state.logged])
    assert_rel(schedules.curve(imported.spec, steps), lrs, RTOL_CLOSED, 1e-3)
    with pytest.raises(SpecError, match=r"trainer_state\.json logs the lr but not the schedule"):
        import_config((tmp_path / "trainer_state.json").read_text())


@pytest.mark.parametrize(("cfg", "field"), [
    ({"lr_scheduler_type": "reduce_lr_on_plateau"}, "lr_scheduler_type"),
    ({"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"num_cycles": 1.5}}, "lr_scheduler_kwargs.num_cycles"),
    ({"lr_scheduler_type": "cosine", "lr_scheduler_kwargs": {"min_lr": 1e-6}}, "lr_scheduler_kwargs.min_lr"),
    ({"lr_scheduler_type": "cosine_with_min_lr"}, "lr_scheduler_kwargs.min_lr"),
    ({"lr_scheduler_type": "warmup_stable_decay"}, "lr_scheduler_kwargs.num_decay_steps"),
    ({"lr_scheduler_type": "warmup_stable_decay", "lr_scheduler_kwargs": {"num_decay_steps": 5,
                                                                          "warmup_type": "1-sqrt"}},
     "lr_scheduler_kwargs.warmup_type"),
    ({"deepspeed": {"scheduler": {"type": "WarmupLR"}}}, "deepspeed.scheduler"),
    ({"lr_scheduler_type": "cosine_with_restarts", "lr_scheduler_kwargs": {"num_cycles": -2}},
     "lr_scheduler_kwargs.num_cycles"),
    ({"lr_scheduler_type": "polynomial", "warmup_steps": 30, "max_steps": 30}, "warmup_steps"),
])
def test_refusals_name_the_field(cfg: dict[str, Any], field: str) -> None:
    refusal(field, import_config, json.dumps(cfg), fmt="hf", dataset_size=1000)


def test_missing_budget_names_what_to_supply() -> None:
    with pytest.raises(SpecError) as info:
        import_config('{"learning_rate": 1e-4, "num_train_epochs": 3}')
    assert info.value.field == "total_steps"
    assert "dataset_size" in str(info.value) and "steps_per_epoch" in str(info.value)


def test_budget_fills_only_what_the_config_lacks() -> None:
    cfg = '{"learning_rate": 1e-4, "per_device_train_batch_size": 10, "num_train_epochs": 1}'
    # the config's batch size wins over batch_size=99
    assert import_config(cfg, dataset_size=1000, batch_size=99).spec.total_steps == 100
    assert import_config('{"learning_rate": 1e-4, "num_train_epochs": 1}', dataset_size=1000,
                         batch_size=20).spec.total_steps == 50
    assert import_config(cfg, steps_per_epoch=7, epochs=5).spec.total_steps == 7
    assert import_config(cfg, total_steps=321).spec.total_steps == 321


def test_example_assumption_line() -> None:
    imported = import_config('{"warmup_steps": 0.03, "num_train_epochs": 1, "per_device_train_batch_size": 32}',
                             dataset_size=150_016)
    assert "warmup_steps = ceil(0.03 × 4,688) = 141 (a warmup_steps < 1 is a ratio; HF rounds up)" in \
        imported.assumptions


def test_training_args_bin_is_refused_without_loading(tmp_path) -> None:
    import pickle

    blob = pickle.dumps({"learning_rate": 1e-4})
    with pytest.raises(SpecError, match="pickle"):
        import_config(blob)


def test_restarts_that_do_not_divide_the_decay_are_hfs_own_cycles(tmp_path) -> None:
    cfg, n = FIXED["cosine_with_restarts 7 cycles over 90"]
    spec = check(cfg, n, str(tmp_path))
    assert spec.schedule.type == "cosine_restarts" and spec.schedule.get("cycles") == 7.0
    assert spec.schedule.get("period") is None and spec.warmup.steps == 6
    lines = import_config(json.dumps(cfg), dataset_size=n).assumptions
    assert "7 cosine cycles of 12.8571 updates each over the 90-update decay" in " ".join(lines)
    # A count that divides the decay is HF's expression too (bit for bit, and exported back as num_cycles).
    divides = import_config(json.dumps({**cfg, "lr_scheduler_kwargs": {"num_cycles": 3}}), dataset_size=n).spec
    assert divides.schedule.get("cycles") == 3.0 and divides.schedule.get("period") is None


def test_warmup_longer_than_the_run_imports_and_the_doctor_says_so(tmp_path) -> None:
    cfg, n = FIXED["warmup longer than the run, cosine"]
    spec = check(cfg, n, str(tmp_path))
    assert (spec.total_steps, spec.warmup.steps) == (25, 40)
    lines = [d.message for d in diagnose(spec) if d.code == "warmup_outlasts_run"]
    assert lines == ["warmup.steps: 40 >= total_steps 25: training ends during warmup, so the lr never reaches its "
                     "peak 5e-05; the highest lr used is 3e-05 (60.0% of it) at step 24"]
