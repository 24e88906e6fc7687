"""Imports of the non-Hugging-Face formats against each trainer's own scheduler, stepped the way its
training loop does, compared at every update with ``curve(import_config(...).spec)``:

- torch code: the same constructors built from the same arguments, ``sched.step()`` after every update;
- Lightning CLI YAML: the same torch scheduler stepped once per epoch (LightningCLI's default interval);
- timm ``args.yaml``: ``create_scheduler_v2`` from the installed files, ``step(epoch)`` / ``step_update``
  as timm's train.py calls them;
- axolotl, torchtune, nanoGPT: their schedule rules transcribed below from their public sources (cited);
- Keras: ``keras.optimizers.schedules.deserialize`` of the same config; optax: the same functions.
"""

from __future__ import annotations

import math
import os
import textwrap
from functools import partial
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler
from transformers.optimization import get_cosine_schedule_with_warmup

import schedules
from schedules.export import export
from schedules.imports import import_config
from tests.engine.test_export_timm import load_timm_scheduler
from tests.support.parity_helpers import RTOL_CLOSED, RTOL_RECURSIVE, assert_f32, assert_rel, new_optimizer, run_torch
from tests.support.refusals import refusal

# ---- torch code ---------------------------------------------------------------------------------------


def torch_ref(build: Any, lr: float, n: int, momentum: float | None = None) -> np.ndarray:
    opt = new_optimizer(lr, momentum)
    return run_torch(opt, build(opt), n)


TORCH_CASES: dict[str, tuple[str, Any, int]] = {
    "warmup + cosine": (
        """
        import torch
        from torch.optim.lr_scheduler import LinearLR, CosineAnnealingLR, SequentialLR
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
        warmup = LinearLR(optimizer, start_factor=0.01, total_iters=50)
        cosine = CosineAnnealingLR(optimizer, T_max=950, eta_min=1e-5)
        scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[50])
        """,
        lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=50),
                                                lr_scheduler.CosineAnnealingLR(o, T_max=950, eta_min=1e-5)],
                                            milestones=[50]), 3e-4),
    "steplr positional": ("opt = torch.optim.SGD(params, 0.1, momentum=0.9)\nsched = torch.optim.lr_scheduler."
                          "StepLR(opt, 30, gamma=0.5)\n",
                          lambda o: lr_scheduler.StepLR(o, 30, gamma=0.5), 0.1),
    "multistep unsorted": ("from torch.optim import SGD, lr_scheduler\nopt = SGD(model.parameters(), lr=0.1)\n"
                           "s = lr_scheduler.MultiStepLR(opt, milestones=[80, 30], gamma=0.1)\n",
                           lambda o: lr_scheduler.MultiStepLR(o, milestones=[80, 30], gamma=0.1), 0.1),
    "onecycle epochs × steps": ("import torch\nopt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)\n"
                                "s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=4, "
                                "steps_per_epoch=25 * 2)\n",
                                lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, epochs=4, steps_per_epoch=50), 0.01),
    "polynomial holds at 0": ("import torch\nopt = torch.optim.Adam(p)\n"
                              "s = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=40, power=2.0)\n",
                              lambda o: lr_scheduler.PolynomialLR(o, total_iters=40, power=2.0), 1e-3),
    "constant warmup": ("import torch\nopt = torch.optim.SGD(p, lr=0.5)\nw = torch.optim.lr_scheduler.ConstantLR("
                        "opt, factor=0.1, total_iters=10)\nc = torch.optim.lr_scheduler.ExponentialLR(opt, 0.99)\n"
                        "s = torch.optim.lr_scheduler.SequentialLR(opt, schedulers=[w, c], milestones=[10])\n",
                        lambda o: lr_scheduler.SequentialLR(
                            o, [lr_scheduler.ConstantLR(o, factor=0.1, total_iters=10),
                                lr_scheduler.ExponentialLR(o, 0.99)], milestones=[10]), 0.5),
}


@pytest.mark.parametrize("name", TORCH_CASES)
def test_torch_code_matches_torch(name: str, record_property) -> None:
    source, build, lr = TORCH_CASES[name]
    total = {"warmup + cosine": None, "onecycle epochs × steps": None, "polynomial holds at 0": 120}.get(name, 300)
    imported = import_config(textwrap.dedent(source), total_steps=total)
    assert imported.format == "torch"
    n = imported.spec.total_steps
    ref = torch_ref(build, lr, n, 0.9 if "onecycle" in name else None)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, imported.spec.lr, record_property)


@st.composite
def torch_cases(draw: st.DrawFn) -> tuple[str, Any, float, int]:
    lr = draw(st.sampled_from([0.1, 3e-4, 1e-3, 0.05]))
    kind = draw(st.sampled_from(["cos", "step", "multistep", "exp", "poly", "warm_cos", "warm_step", "cyclic",
                                 "restarts", "onecycle"]))
    n = draw(st.integers(20, 400))
    if kind == "cos":
        # T_max shorter than the run too: torch's cosine rises again after T_max.
        t_max, eta = draw(st.integers(1, n + 50)), draw(st.sampled_from([0.0, 1e-6, 1e-5]))
        return (f"CosineAnnealingLR(opt, T_max={t_max}, eta_min={eta})",
                lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=t_max, eta_min=eta), lr, n)
    if kind == "step":
        size, gamma = draw(st.integers(1, n)), draw(st.sampled_from([0.1, 0.5, 0.9]))
        return f"StepLR(opt, {size}, {gamma})", lambda o: lr_scheduler.StepLR(o, size, gamma), lr, n
    if kind == "multistep":
        ms = sorted(draw(st.sets(st.integers(1, n - 1), min_size=1, max_size=4)))
        return (f"MultiStepLR(opt, milestones={ms}, gamma=0.3)",
                lambda o: lr_scheduler.MultiStepLR(o, milestones=ms, gamma=0.3), lr, n)
    if kind == "exp":
        gamma = draw(st.floats(0.9, 1.0))
        return f"ExponentialLR(opt, gamma={gamma!r})", lambda o: lr_scheduler.ExponentialLR(o, gamma), lr, n
    if kind == "poly":
        k, power = draw(st.integers(1, n)), draw(st.sampled_from([0.5, 1.0, 2.0]))
        return (f"PolynomialLR(opt, total_iters={k}, power={power})",
                lambda o: lr_scheduler.PolynomialLR(o, total_iters=k, power=power), lr, n)
    if kind in ("warm_cos", "warm_step"):
        w = draw(st.integers(1, n // 2))
        s = draw(st.sampled_from([0.001, 0.1, 0.5]))
        if kind == "warm_cos":
            t_max = draw(st.integers(1, n - w))
            main_src, main = f"CosineAnnealingLR(opt, T_max={t_max})", partial(lr_scheduler.CosineAnnealingLR,
                                                                                 T_max=t_max)
        else:
            main_src, main = "StepLR(opt, step_size=7, gamma=0.5)", partial(lr_scheduler.StepLR, step_size=7,
                                                                              gamma=0.5)
        return (f"SequentialLR(opt, [LinearLR(opt, start_factor={s}, total_iters={w}), {main_src}], "
                f"milestones=[{w}])",
                lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=s, total_iters=w),
                                                        main(o)], milestones=[w]), lr, n)
    if kind == "cyclic":
        up, mode = draw(st.integers(1, 60)), draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        return (f"CyclicLR(opt, base_lr={lr / 10}, max_lr={lr}, step_size_up={up}, mode='{mode}', gamma=0.999,"
                " cycle_momentum=False)",
                lambda o: lr_scheduler.CyclicLR(o, base_lr=lr / 10, max_lr=lr, step_size_up=up, mode=mode,
                                                gamma=0.999, cycle_momentum=False), lr, n)
    if kind == "restarts":
        t0, mult = draw(st.integers(1, n)), draw(st.sampled_from([1, 2, 3]))
        return (f"CosineAnnealingWarmRestarts(opt, T_0={t0}, T_mult={mult}, eta_min=1e-6)",
                lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=mult, eta_min=1e-6), lr, n)
    pct = draw(st.sampled_from([0.1, 0.25, 0.3, 0.45]))
    n = max(n, 40)
    return (f"OneCycleLR(opt, max_lr={lr}, total_steps={n}, pct_start={pct}, cycle_momentum=False)",
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=lr, total_steps=n, pct_start=pct, cycle_momentum=False),
            lr, n)


@settings(max_examples=150, deadline=None)
@given(case=torch_cases())
def test_hypothesis_torch_code_matches_torch(case: tuple[str, Any, float, int]) -> None:
    call, build, lr, n = case
    source = f"from torch.optim.lr_scheduler import *\nimport torch\nopt = torch.optim.SGD(model.parameters(), " \
             f"lr={lr!r})\nsched = {call}\n"
    source = source.replace("from torch.optim.lr_scheduler import *\n",
                            "from torch.optim.lr_scheduler import (LinearLR, CosineAnnealingLR, StepLR, MultiStepLR,"
                            " ExponentialLR, PolynomialLR, SequentialLR, CyclicLR, CosineAnnealingWarmRestarts, "
                            "OneCycleLR)\n")
    imported = import_config(source, total_steps=n)
    ref = torch_ref(build, lr, n)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, lr)


@pytest.mark.parametrize(("source", "field"), [
    ("opt = torch.optim.SGD(p, lr=0.1)\ns = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.95 ** e)\n",
     "config"),
    ("import torch\nopt = torch.optim.SGD(p, lr=0.1)\ns = torch.optim.lr_scheduler.LambdaLR(opt, f)\n", "LambdaLR"),
    ("import torch\nopt = torch.optim.SGD(p, lr=0.1)\ns = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)\n",
     "ReduceLROnPlateau"),
    ("import torch\nopt = torch.optim.SGD(p, lr=0.1)\ns = torch.optim.lr_scheduler.StepLR(opt, 10)\n", "total_steps"),
])
def test_torch_code_refusals_name_the_field(source: str, field: str) -> None:
    refusal(field, import_config, source, "torch")


# ---- Lightning -------------------------------------------------------------------------------------------


def test_lightning_cli_yaml_steps_per_epoch(record_property) -> None:
    text = textwrap.dedent("""
        trainer:
          max_epochs: 20
        optimizer:
          class_path: torch.optim.SGD
          init_args:
            lr: 1e-1
            momentum: 0.9
        lr_scheduler:
          class_path: torch.optim.lr_scheduler.CosineAnnealingLR
          init_args:
            T_max: 20
            eta_min: 1e-4
        """)
    imported = import_config(text, steps_per_epoch=13)
    assert imported.format == "lightning"
    opt = new_optimizer(0.1, 0.9)
    ref = run_torch(opt, lr_scheduler.CosineAnnealingLR(opt, T_max=20, eta_min=1e-4), 20 * 13, per_epoch=13)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, 0.1, record_property)


def test_lightning_multistep_from_dataset_size(record_property) -> None:
    text = ("trainer: {max_epochs: 9, accumulate_grad_batches: 2}\noptimizer: {class_path: torch.optim.AdamW, "
            "init_args: {lr: 0.002}}\nlr_scheduler: {class_path: torch.optim.lr_scheduler.MultiStepLR, "
            "init_args: {milestones: [3, 6], gamma: 0.5}}\n")
    imported = import_config(text, dataset_size=1000, batch_size=32)
    upe = math.ceil(math.ceil(1000 / 32) / 2)
    opt = new_optimizer(0.002)
    ref = run_torch(opt, lr_scheduler.MultiStepLR(opt, milestones=[3, 6], gamma=0.5), 9 * upe, per_epoch=upe)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, 0.002, record_property)


# ---- timm ------------------------------------------------------------------------------------------------


def timm_ref(cfg: dict[str, Any], upe: int) -> np.ndarray:
    """timm train.py: create_scheduler_v2(**scheduler_kwargs(args), updates_per_epoch) and its stepping."""
    from types import SimpleNamespace

    load_timm_scheduler()
    import timm.scheduler.scheduler_factory as factory

    defaults = dict(sched="cosine", epochs=300, decay_epochs=90, decay_milestones=[90, 180, 270], cooldown_epochs=0,
                    patience_epochs=10, decay_rate=0.1, min_lr=0.0, warmup_lr=1e-5, warmup_epochs=5,
                    warmup_prefix=False, lr_noise=None, lr_noise_pct=0.67, lr_noise_std=1.0, seed=42,
                    lr_cycle_mul=1.0, lr_cycle_decay=0.5, lr_cycle_limit=1, lr_k_decay=1.0, sched_on_updates=False,
                    eval_metric="top1")
    args = SimpleNamespace(**{**defaults, **cfg})
    opt = new_optimizer(cfg["lr"])
    sched, epochs = factory.create_scheduler_v2(opt, **factory.scheduler_kwargs(args), updates_per_epoch=upe)
    out, updates = [], 0
    for epoch in range(epochs):
        for _ in range(upe):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            updates += 1
            sched.step_update(num_updates=updates)
        sched.step(epoch + 1)
    return np.array(out)


TIMM_CASES = {
    "cosine overlaid warmup": {"lr": 0.05, "epochs": 30, "warmup_epochs": 3, "min_lr": 1e-5},
    "cosine prefixed warmup + cooldown": {"lr": 0.05, "epochs": 20, "warmup_epochs": 2, "warmup_prefix": True,
                                          "cooldown_epochs": 3, "min_lr": 1e-5},
    "cosine per update": {"lr": 0.01, "epochs": 6, "warmup_epochs": 1, "sched_on_updates": True},
    "step": {"lr": 0.1, "sched": "step", "epochs": 30, "decay_epochs": 7, "warmup_epochs": 2, "decay_rate": 0.5},
    "multistep one epoch early": {"lr": 0.1, "sched": "multistep", "epochs": 30, "decay_milestones": [10, 20],
                                  "warmup_epochs": 0},
    "poly power = decay_rate": {"lr": 0.1, "sched": "poly", "epochs": 25, "decay_rate": 2.0, "warmup_epochs": 2,
                                "cooldown_epochs": 2, "min_lr": 1e-4},
    "cosine 3 cycles": {"lr": 0.1, "epochs": 10, "lr_cycle_limit": 3, "lr_cycle_decay": 0.5, "warmup_epochs": 0},
}


@pytest.mark.parametrize("name", TIMM_CASES)
def test_timm_args_yaml_matches_create_scheduler_v2(name: str, record_property) -> None:
    import yaml

    cfg = TIMM_CASES[name]
    upe = 7
    imported = import_config(yaml.safe_dump({"batch_size": 16, **cfg}), steps_per_epoch=upe)
    assert imported.format == "timm"
    ref = timm_ref(cfg, upe)
    assert imported.spec.total_steps == ref.size
    assert_rel(schedules.curve(imported.spec), ref, 1e-9, cfg["lr"], record_property)


def test_timm_refuses_noise_and_plateau() -> None:
    refusal("lr_noise", import_config, "sched: cosine\nlr_noise: [0.4, 0.9]\nlr: 0.1\n", steps_per_epoch=10)
    refusal("sched", import_config, "sched: plateau\nlr: 0.1\nwarmup_epochs: 0\n", steps_per_epoch=10)


# ---- axolotl (rules transcribed from github.com/axolotl-ai-cloud/axolotl, cited in the importer) ----------


def axolotl_quadratic(step: int, w: int, total: int) -> float:
    """src/axolotl/utils/schedulers.py _get_cosine_schedule_with_quadratic_warmup_lr_lambda (num_cycles 0.5)."""
    if step < w:
        return (float(step) / float(max(1, w))) ** 2
    progress = float(step - w) / float(max(1, total - w))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))


def axolotl_min_lr(step: int, w: int, total: int, ratio: float) -> float:
    """src/axolotl/utils/schedulers.py _get_cosine_schedule_with_min_lr_lambda."""
    if step < w:
        return float(step) / float(max(1, w))
    progress = float(step - w) / float(max(1, total - w))
    return (1 - ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)) + ratio


def axolotl_constant(step: int, w: int, total: int, ratio: float, const: float) -> float:
    """src/axolotl/utils/schedulers.py _get_cosine_schedule_with_warmup_decay_constant_lr_lambda."""
    if step < w:
        return float(step) / float(max(1, w))
    n_const = int(total * const)
    step = min(step, n_const)
    progress = float(step - w) / float(max(1, n_const - w))
    return max(0, (1 - ratio) * 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress))) + ratio


def lambda_ref(lam: Any, lr: float, total: int) -> np.ndarray:
    opt = new_optimizer(lr)
    return run_torch(opt, lr_scheduler.LambdaLR(opt, lam), total)


def test_axolotl_quadratic_warmup(record_property) -> None:
    text = "base_model: x\nlearning_rate: 2e-4\nmicro_batch_size: 2\ngradient_accumulation_steps: 4\n" \
           "num_epochs: 3\nlr_scheduler: cosine\nlr_quadratic_warmup: true\nwarmup_ratio: 0.05\n"
    imported = import_config(text, dataset_size=1000)
    assert imported.format == "axolotl"
    total = math.ceil(1000 * 3 / 8)
    w = int(0.05 * total)
    assert imported.spec.total_steps == total and imported.spec.warmup.steps == w
    ref = lambda_ref(partial(axolotl_quadratic, w=w, total=total), 2e-4, total)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 2e-4, record_property)


def test_axolotl_min_lr_ratio_and_default_warmup(record_property) -> None:
    text = "base_model: x\nlearning_rate: 1e-4\nmicro_batch_size: 4\nnum_epochs: 2\ncosine_min_lr_ratio: 0.1\n"
    imported = import_config(text, dataset_size=4000, devices=2)
    total = math.ceil(4000 * 2 / (4 * 1 * 2))
    w = min(int(0.03 * total), 100)
    assert imported.spec.warmup.steps == w
    ref = lambda_ref(partial(axolotl_min_lr, w=w, total=total, ratio=0.1), 1e-4, total)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 1e-4, record_property)


def test_axolotl_constant_ratio_holds_the_floor(record_property) -> None:
    text = "base_model: x\nlearning_rate: 1e-4\nmax_steps: 300\nwarmup_steps: 1\ncosine_min_lr_ratio: 0.2\n" \
           "cosine_constant_lr_ratio: 0.7\n"
    imported = import_config(text)
    assert imported.spec.warmup.steps == 2  # axolotl turns 1 into 2
    ref = lambda_ref(partial(axolotl_constant, w=2, total=300, ratio=0.2, const=0.7), 1e-4, 300)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 1e-4, record_property)


def test_axolotl_one_cycle_is_torch_one_cycle(record_property) -> None:
    text = "base_model: x\nlearning_rate: 3e-4\nlr_scheduler: one_cycle\nmax_steps: 400\nwarmup_steps: 60\n"
    imported = import_config(text)
    opt = new_optimizer(3e-4)
    ref = run_torch(opt, lr_scheduler.OneCycleLR(opt, max_lr=3e-4, total_steps=400, pct_start=60 / 400,
                                                 anneal_strategy="cos", cycle_momentum=False), 400)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 3e-4, record_property)


def test_axolotl_linear_goes_through_hf_get_scheduler(record_property) -> None:
    from transformers import get_scheduler

    text = "base_model: x\nlearning_rate: 5e-5\nlr_scheduler: linear\nnum_epochs: 1\nmicro_batch_size: 8\n"
    imported = import_config(text, dataset_size=800)
    total, w = 100, min(int(0.03 * 100), 100)
    opt = new_optimizer(5e-5)
    ref = run_torch(opt, get_scheduler("linear", opt, num_warmup_steps=w, num_training_steps=total), total)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 5e-5, record_property)


# ---- LLaMA-Factory, torchtune -----------------------------------------------------------------------------


def test_llamafactory_yaml_reads_hf_keys(record_property) -> None:
    from transformers import get_scheduler

    text = ("model_name_or_path: x\nstage: sft\nfinetuning_type: lora\nlearning_rate: 1.0e-4\nnum_train_epochs: 3.0\n"
            "per_device_train_batch_size: 2\ngradient_accumulation_steps: 8\nlr_scheduler_type: cosine\n"
            "warmup_ratio: 0.1\n")
    imported = import_config(text, dataset_size=1000)
    assert imported.format == "llamafactory"
    per_epoch = math.ceil(math.ceil(1000 / 2) / 8)
    total = math.ceil(3 * per_epoch)
    w = math.ceil(0.1 * total)
    opt = new_optimizer(1e-4)
    ref = run_torch(opt, get_scheduler("cosine", opt, num_warmup_steps=w, num_training_steps=total), total)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 1e-4, record_property)


def test_torchtune_floors_steps_per_epoch(record_property) -> None:
    text = ("optimizer:\n  _component_: torch.optim.AdamW\n  lr: 2e-5\nlr_scheduler:\n  _component_: "
            "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_warmup_steps: 10\n"
            "epochs: 2\nbatch_size: 4\ngradient_accumulation_steps: 3\nmax_steps_per_epoch: null\n")
    imported = import_config(text, dataset_size=1001)
    assert imported.format == "torchtune"
    total = 2 * ((1001 // 4) // 3)
    # torchtune's get_cosine_schedule_with_warmup has Hugging Face's formula (cosine to 0 after linear warmup).
    opt = new_optimizer(2e-5)
    ref = run_torch(opt, get_cosine_schedule_with_warmup(opt, 10, total), total)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 2e-5, record_property)


# ---- nanoGPT (train.py get_lr, github.com/karpathy/nanoGPT) -----------------------------------------------


def nanogpt_get_lr(it: int, lr: float, warmup: int, decay_iters: int, min_lr: float) -> float:
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    decay_ratio = (it - warmup) / (decay_iters - warmup)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (lr - min_lr)


@pytest.mark.parametrize(("max_iters", "decay_iters", "warmup"), [(5000, 5000, 100), (3000, 2500, 200),
                                                                   (400, 400, 0)])
def test_nanogpt_config_matches_get_lr(max_iters: int, decay_iters: int, warmup: int, record_property) -> None:
    source = (f"out_dir = 'out-shakespeare-char'\nlearning_rate = 1e-3\nmax_iters = {max_iters}\n"
              f"lr_decay_iters = {decay_iters}\nmin_lr = 1e-4\nwarmup_iters = {warmup}\nbeta2 = 0.99\n")
    imported = import_config(source)
    assert imported.format == "nanogpt"
    ref = np.array([nanogpt_get_lr(it, 1e-3, warmup, decay_iters, 1e-4) for it in range(max_iters + 1)])
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 1e-3, record_property)


# ---- Keras, optax ----------------------------------------------------------------------------------------

KERAS_CASES = {
    "CosineDecay warmup": {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.0, "decay_steps": 900,
                                                                    "alpha": 0.1, "warmup_target": 1e-3,
                                                                    "warmup_steps": 100}},
    "CosineDecay plain": {"class_name": "CosineDecay", "config": {"initial_learning_rate": 1e-3, "decay_steps": 500}},
    "ExponentialDecay staircase": {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": 0.1, "decay_steps": 50, "decay_rate": 0.5, "staircase": True}},
    "PiecewiseConstantDecay": {"class_name": "PiecewiseConstantDecay", "config": {
        "boundaries": [100, 200], "values": [1e-2, 1e-3, 1e-4]}},
    "PolynomialDecay": {"class_name": "PolynomialDecay", "config": {"initial_learning_rate": 0.1,
                                                                    "decay_steps": 300, "end_learning_rate": 0.001,
                                                                    "power": 2.0}},
}


@pytest.mark.parametrize("name", KERAS_CASES)
def test_keras_serialized_matches_deserialize(name: str, record_property) -> None:
    import json

    import keras

    cfg = KERAS_CASES[name]
    imported = import_config(json.dumps({"module": "keras.optimizers.schedules", **cfg}), total_steps=400
                             if "Exponential" in name or "Piecewise" in name else None)
    assert imported.format == "keras"
    sched = keras.optimizers.schedules.deserialize({"module": "keras.optimizers.schedules", **cfg})
    n = imported.spec.total_steps
    ref = np.array([float(sched(t)) for t in range(n)])
    assert_f32(schedules.curve(imported.spec), ref, imported.spec.lr, record_property)


OPTAX_CASES = {
    "warmup cosine": "import optax\nsched = optax.warmup_cosine_decay_schedule(init_value=0.0, peak_value=1e-3, "
                     "warmup_steps=50, decay_steps=500, end_value=1e-5)\n",
    "cosine alpha": "import optax\ns = optax.cosine_decay_schedule(1e-2, decay_steps=300, alpha=0.1)\n",
    "exponential begin": "import optax\ns = optax.exponential_decay(0.1, transition_steps=20, decay_rate=0.9, "
                         "transition_begin=30, staircase=True)\n",
    "piecewise": "import optax\ns = optax.piecewise_constant_schedule(0.1, {100: 0.1, 200: 0.1})\n",
    "linear warmup to constant": "import optax\ns = optax.linear_schedule(0.0, 3e-4, transition_steps=100)\n",
}


@pytest.mark.parametrize("name", OPTAX_CASES)
def test_optax_code_matches_optax(name: str, record_property) -> None:
    import optax

    source = OPTAX_CASES[name]
    total = None if name in ("warmup cosine", "cosine alpha") else 300
    imported = import_config(source, total_steps=total)
    assert imported.format == "optax"
    ref_sched = {
        "warmup cosine": lambda: optax.warmup_cosine_decay_schedule(0.0, 1e-3, 50, 500, 1e-5),
        "cosine alpha": lambda: optax.cosine_decay_schedule(1e-2, 300, alpha=0.1),
        "exponential begin": lambda: optax.exponential_decay(0.1, 20, 0.9, transition_begin=30, staircase=True),
        "piecewise": lambda: optax.piecewise_constant_schedule(0.1, {100: 0.1, 200: 0.1}),
        "linear warmup to constant": lambda: optax.linear_schedule(0.0, 3e-4, 100),
    }[name]()
    n = imported.spec.total_steps
    ref = np.array([float(ref_sched(t)) for t in range(n)])
    assert_f32(schedules.curve(imported.spec), ref, imported.spec.lr, record_property)


def test_timm_lr_from_lr_base_scales_with_the_global_batch() -> None:
    """train.py: lr = lr_base × (batch × devices × grad_accum / lr_base_size), square root for ada*/lamb."""
    text = "sched: cosine\nlr_base: 1e-1\nbatch_size: 256\nepochs: 10\nwarmup_epochs: 0\nopt: {}\n"
    assert import_config(text.format("sgd"), steps_per_epoch=5, devices=2).spec.lr == pytest.approx(0.2)
    assert import_config(text.format("adamw"), steps_per_epoch=5, devices=2).spec.lr == pytest.approx(0.1 * 2**0.5)


def test_hf_v4_warmup_ratio_is_read_as_v4_did(record_property) -> None:
    """transformers 5.23 rejects warmup_ratio (TrainingArguments raises TypeError): a v4 config's ratio is
    read with v4's rule, warmup = ceil(T × ratio) when warmup_steps is 0, and the assumption line says so."""
    from transformers import TrainingArguments, get_scheduler

    with pytest.raises(TypeError):
        TrainingArguments(output_dir="/tmp/unused", warmup_ratio=0.1)
    imported = import_config('{"learning_rate": 1e-4, "max_steps": 333, "warmup_ratio": 0.07}')
    w = math.ceil(333 * 0.07)
    assert imported.spec.warmup.steps == w and any("transformers 4" in a for a in imported.assumptions)
    opt = new_optimizer(1e-4)
    ref = run_torch(opt, get_scheduler("linear", opt, num_warmup_steps=w, num_training_steps=333), 333)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 1e-4, record_property)


def test_more_quirks() -> None:
    """axolotl rex is refused by name; torchtune caps updates per epoch; nanoGPT decay_lr False is constant."""
    refusal("lr_scheduler", import_config, "base_model: x\nlearning_rate: 1e-4\nlr_scheduler: rex\nmax_steps: 10\n")
    tune = ("optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\nlr_scheduler: {_component_: "
            "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup, num_warmup_steps: 5}\nepochs: 3\n"
            "batch_size: 2\nmax_steps_per_epoch: 40\n")
    assert import_config(tune, dataset_size=10_000).spec.total_steps == 3 * 40
    flat = import_config("learning_rate = 3e-4\nmax_iters = 99\ndecay_lr = False\n")
    assert flat.spec.total_steps == 100 and flat.spec.schedule.type == "constant"


def test_keras_cosine_decay_restarts_matches_deserialize(record_property) -> None:
    import keras

    cfg = {"module": "keras.optimizers.schedules", "class_name": "CosineDecayRestarts",
           "config": {"initial_learning_rate": 0.1, "first_decay_steps": 40, "t_mul": 2.0, "m_mul": 0.5,
                      "alpha": 0.0}}
    import json

    imported = import_config(json.dumps(cfg), total_steps=280)
    sched = keras.optimizers.schedules.deserialize(cfg)
    ref = np.array([float(sched(t)) for t in range(280)])
    assert_f32(schedules.curve(imported.spec), ref, 0.1, record_property)


def test_cosineannealinglr_shorter_than_the_run_imports_periodic(record_property) -> None:
    """T_max shorter than the run: torch's cosine comes back up (period 2 T_max), the spec's periodic cosine."""
    source = ("import torch\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
              "sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40, eta_min=1e-3)\n")
    imported = import_config(source, total_steps=150)
    spec = imported.spec
    assert (spec.total_steps, spec.main_steps, spec.schedule.get("periodic")) == (150, 40, True)
    assert any("rises again (period 80)" in line for line in imported.assumptions)
    ref = torch_ref(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=40, eta_min=1e-3), 0.1, 150)
    assert_rel(schedules.curve(spec), ref, RTOL_RECURSIVE, 0.1, record_property)
    # Back at the peak at 2 T_max, as in torch; the spec round-trips through JSON and YAML, and the torch
    # export writes CosineAnnealingLR(T_max=40) again.
    assert ref[80] == pytest.approx(0.1) and schedules.curve(spec)[80] == pytest.approx(0.1, rel=1e-12)
    for target in ("json", "yaml", "torch"):
        assert import_config(export(spec, target)).spec == spec
    assert "CosineAnnealingLR(optimizer, T_max=40, eta_min=0.001)" in export(spec, "torch")
    # A run just one step longer than T_max ends at eta_min and needs no rise.
    short = import_config(source, total_steps=41).spec
    assert "periodic" not in short.to_dict()["schedule"] and short.main_steps == 40


def test_lightning_cli_cosine_shorter_than_max_epochs(record_property) -> None:
    text = textwrap.dedent("""
        trainer:
          max_epochs: 30
        optimizer:
          class_path: torch.optim.SGD
          init_args:
            lr: 0.05
        lr_scheduler:
          class_path: torch.optim.lr_scheduler.CosineAnnealingLR
          init_args:
            T_max: 7
            eta_min: 1e-4
        """)
    imported = import_config(text, steps_per_epoch=13)
    assert imported.spec.interval == "epoch" and imported.spec.main_steps == 7 * 13
    opt = new_optimizer(0.05)
    ref = run_torch(opt, lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=1e-4), 30 * 13, per_epoch=13)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, 0.05, record_property)


def test_warmups_longer_than_the_run_import_as_torchtune_and_axolotl_run_them(record_property) -> None:
    """torchtune's PPO-style config (num_warmup_steps past the run) and axolotl's quadratic warmup past the run:
    every update is a warmup step of their own lambdas, the peak is never reached."""
    tune = ("optimizer:\n  _component_: torch.optim.AdamW\n  lr: 2e-5\nlr_scheduler:\n  _component_: "
            "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n  num_warmup_steps: 500\n"
            "epochs: 1\nbatch_size: 4\ngradient_accumulation_steps: 1\n")
    spec = import_config(tune, dataset_size=1000).spec
    assert (spec.total_steps, spec.warmup.steps) == (250, 500)
    opt = new_optimizer(2e-5)
    ref = run_torch(opt, get_cosine_schedule_with_warmup(opt, 500, 250), 250)
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, 2e-5, record_property)
    axo = ("base_model: x\nlearning_rate: 2e-4\nmax_steps: 60\nwarmup_steps: 90\nlr_scheduler: cosine\n"
           "lr_quadratic_warmup: true\n")
    spec = import_config(axo).spec
    assert (spec.total_steps, spec.warmup.steps, spec.warmup.shape) == (60, 90, "quadratic")
    ref = lambda_ref(partial(axolotl_quadratic, w=90, total=60), 2e-4, 60)
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, 2e-4, record_property)
    assert schedules.curve(spec).max() < 2e-4 * (59 / 90) ** 2 * (1 + 1e-12)
