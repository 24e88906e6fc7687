"""The PyTorch export, run with the real torch: every preset and family, per update and per epoch,
param groups and momentum, compared with ``schedules.curve`` at every update."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import schedules
from schedules.export import export
from schedules.export.spec_line import find_spec_line

ROOT = Path(__file__).resolve().parents[2]
RUFF = ROOT / ".venv" / "bin" / "ruff"
RTOL = 1e-9

#: One spec per family (and the cases that switch paths), small enough to step in full.
FAMILY_SPECS = {
    "constant": {"total_steps": 50, "lr": 0.1, "schedule": {"type": "constant"}},
    "linear": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 10, "start_lr": 0.01},
               "schedule": {"type": "linear", "end_lr": 0.001}},
    "cosine": {"total_steps": 80, "lr": 0.2, "warmup": {"steps": 10}, "schedule": {"type": "cosine", "min_lr": 0.01}},
    "polynomial": {"total_steps": 70, "lr": 0.1, "schedule": {"type": "polynomial", "power": 2.0}},
    "exponential": {"total_steps": 60, "lr": 0.1, "schedule": {"type": "exponential", "gamma": 0.95}},
    "step": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 6, "shape": "constant", "start_lr": 0.02},
             "schedule": {"type": "step", "step_size": 12, "gamma": 0.5}},
    "multistep": {"total_steps": 60, "lr": 0.1, "schedule": {"type": "multistep", "milestones": [10, 25, 40]}},
    "inverse_sqrt": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 8}, "schedule": {"type": "inverse_sqrt"}},
    "cosine_restarts": {"total_steps": 90, "lr": 0.1, "schedule": {"type": "cosine_restarts", "period": 10,
                                                                     "period_mult": 2, "min_lr": 0.001}},
    "cosine_restarts_decay": {"total_steps": 90, "lr": 0.1, "warmup": {"steps": 5, "shape": "cosine"},
                              "schedule": {"type": "cosine_restarts", "period": 10, "period_mult": 1.5,
                                           "peak_decay": 0.7}},
    "wsd": {"total_steps": 80, "lr": 0.1, "warmup": {"steps": 8}, "schedule": {"type": "wsd", "decay_steps": 20}},
    "wsd_exp": {"total_steps": 80, "lr": 0.1, "schedule": {"type": "wsd", "shape": "exponential", "min_lr": 0.01}},
    "cyclic": {"total_steps": 70, "lr": 0.1, "schedule": {"type": "cyclic", "mode": "triangular2", "min_lr": 0.01,
                                                          "step_size": 8, "step_size_down": 12},
               "momentum": {"base": 0.8, "max": 0.9}},
    "cyclic_exp": {"total_steps": 70, "lr": 0.1, "schedule": {"type": "cyclic", "mode": "exp_range", "gamma": 0.99,
                                                              "step_size": 5}},
    "one_cycle": {"total_steps": 100, "lr": 0.1, "schedule": {"type": "one_cycle", "three_phase": True,
                                                              "anneal": "linear"},
                  "momentum": {"base": 0.85, "max": 0.95}},
    "one_cycle_warmup": {"total_steps": 100, "lr": 0.1, "warmup": {"steps": 10, "shape": "exponential",
                                                                    "start_lr": 0.001},
                         "schedule": {"type": "one_cycle"}},
    "groups_cosine": {"total_steps": 50, "lr": 0.1, "schedule": {"type": "cosine", "min_lr": 0.01},
                      "param_groups": [{"name": "backbone", "lr_scale": 0.1}, {"name": "head", "lr_scale": 2.0}]},
    "epoch_cosine": {"total_steps": 100, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch",
                     "warmup": {"steps": 20, "start_lr": 0.01}, "schedule": {"type": "cosine"}},
    "epoch_odd": {"total_steps": 95, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch",
                  "warmup": {"steps": 15}, "schedule": {"type": "step", "step_size": 25}},
}


def all_specs() -> dict[str, schedules.Spec]:
    """Every preset plus every family case."""
    out = {f"preset:{n}": schedules.load_preset(n) for n in schedules.preset_names()}
    out.update({k: schedules.load_spec(v) for k, v in FAMILY_SPECS.items()})
    return out


SPECS = all_specs()


def make_optimizer(spec: schedules.Spec) -> torch.optim.Optimizer:
    """SGD with momentum, one group per spec param group, built with a wrong lr on purpose."""
    n = max(1, len(spec.param_groups))
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))]} for _ in range(n)]
    return torch.optim.SGD(groups, lr=123.0, momentum=0.5)


def expected(spec: schedules.Spec) -> np.ndarray:
    scales = [g.lr_scale for g in spec.param_groups] or [1.0]
    return schedules.curve(spec)[:, None] * np.asarray(scales)[None, :]


def max_rel(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


def drive(spec: schedules.Spec, optimizer, step) -> tuple[np.ndarray, np.ndarray]:
    """Run the training loop: record every update's group lrs (and momentum), then step per update or
    per epoch with ``step(k)`` (k = updates done so far)."""
    spe = spec.steps_per_epoch or 1
    lrs = np.empty((spec.total_steps, len(optimizer.param_groups)))
    moms = np.empty(spec.total_steps)
    for t in range(spec.total_steps):
        lrs[t] = [g["lr"] for g in optimizer.param_groups]
        moms[t] = optimizer.param_groups[0].get("momentum", np.nan)
        optimizer.step()
        if spec.interval == "step" or (t + 1) % spe == 0:
            step(t + 1)
    return lrs, moms


def exec_snippet(text: str) -> dict:
    namespace: dict = {}
    exec(compile(text, "<snippet>", "exec"), namespace)
    return namespace


def run_torch_like(spec: schedules.Spec, text: str) -> tuple[np.ndarray, np.ndarray]:
    namespace = exec_snippet(text)
    optimizer = make_optimizer(spec)
    scheduler = namespace["build_scheduler"](optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notices about SequentialLR internals
        return drive(spec, optimizer, lambda k: scheduler.step())


def ruff_clean(texts: dict[str, str]) -> None:
    """Every snippet passes ``ruff check`` with the project's config."""
    failures = {}
    for name, text in texts.items():
        res = subprocess.run([str(RUFF), "check", "--stdin-filename", "snippet.py", "-"], input=text,
                             capture_output=True, text=True, cwd=ROOT)
        if res.returncode:
            failures[name] = res.stdout[-800:]
    assert not failures, failures


@pytest.mark.parametrize("key", sorted(SPECS))
def test_torch_matches_curve(key: str) -> None:
    spec = SPECS[key]
    text = export(spec, "torch")
    lrs, moms = run_torch_like(spec, text)
    assert max_rel(lrs, expected(spec)) <= RTOL
    if spec.momentum is not None:
        assert max_rel(moms, schedules.momentum_curve(spec)) <= RTOL


def test_paths_native_where_torch_has_one() -> None:
    native = {k for k in SPECS if "# Path: native" in export(SPECS[k], "torch")}
    for key in ("preset:one_cycle", "preset:sgdr", "preset:resnet50_step", "preset:clr_triangular", "polynomial",
                "multistep", "cyclic", "one_cycle", "step", "epoch_cosine", "linear"):
        assert key in native, key
    for key in ("preset:bert", "inverse_sqrt", "wsd", "cosine_restarts_decay", "one_cycle_warmup", "epoch_odd",
                "groups_cosine"):
        assert key not in native, key
        assert "LambdaLR" in export(SPECS[key], "torch")


def test_momentum_without_native_path_names_the_field() -> None:
    spec = dict(FAMILY_SPECS["one_cycle"], warmup={"steps": 10})
    with pytest.raises(schedules.SpecError) as exc:
        export(spec, "torch")
    assert exc.value.field == "warmup.steps"
    odd = {"total_steps": 2000, "lr": 0.1, "steps_per_epoch": 391, "interval": "epoch",
           "schedule": {"type": "cyclic", "step_size": 1000}, "momentum": {"base": 0.8, "max": 0.9}}
    with pytest.raises(schedules.SpecError, match=r"schedule.step_size: must be a whole number of epochs "
                       r"\(steps_per_epoch 391\) to export per-epoch stepping \(got 1000\)"):
        export(odd, "torch")


def test_torch_snippets_pass_ruff() -> None:
    ruff_clean({k: export(s, "torch") for k, s in SPECS.items()})


HOSTILE = [
    "'''; __import__('os').system('echo pwned'); '''",
    '"""\\\\ \\" \\\\\\\\',
    "\\\\x41\\u0041 # -*- coding: utf-7 -*- +AAo-import os",
    "naïve 学习率 🚀 \u202eevil\u200b",
    "x" * 80,
]


def hostile_spec(name: str) -> schedules.Spec:
    return schedules.load_spec({
        "name": name, "total_steps": 30, "lr": 0.1, "warmup": {"steps": 3},
        "schedule": {"type": "cosine", "min_lr": 0.001},
        "param_groups": [{"name": name, "lr_scale": 0.5}, {"name": name[:20] + "2", "lr_scale": 1.0}],
    })


@pytest.mark.parametrize("target", ["torch", "python", "transformers", "timm", "lightning"])
def test_hostile_names_stay_inert(target: str) -> None:
    texts = {}
    for i, name in enumerate(HOSTILE):
        text = export(hostile_spec(name), target)
        for line in text.splitlines()[:2]:
            assert "coding" not in line  # never a source-encoding declaration
        tree_names = compile(text, "<snippet>", "exec").co_names
        assert "__import__" not in tree_names and "system" not in tree_names
        if target in ("torch", "python"):
            namespace = exec_snippet(text)
            if target == "torch":
                assert len(namespace["GROUP_NAMES"]) == 2
        texts[f"{target}{i}"] = text
    ruff_clean(texts)


#: Specs using the later spec v1 fields this export writes: (spec, whether a native torch scheduler runs it).
EXTENDED = {
    "periodic cosine (CosineAnnealingLR past T_max)": (
        {"total_steps": 130, "lr": 0.1, "main_steps": 30, "schedule": {"type": "cosine", "min_lr": 0.01,
                                                                        "periodic": True}}, True),
    "periodic cosine after a warmup, per epoch": (
        {"total_steps": 200, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch", "warmup": {"steps": 20,
         "start_lr": 0.01}, "main_steps": 50, "schedule": {"type": "cosine", "periodic": True}}, True),
    "cosine held past a short main_steps": (
        {"total_steps": 90, "lr": 0.1, "main_steps": 40, "schedule": {"type": "cosine", "min_lr": 0.01}}, False),
    "cosine stopped before its end": (
        {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 10, "start_lr": 0.01}, "main_steps": 200,
         "schedule": {"type": "cosine"}}, True),
    "linear held past a short main_steps": (
        {"total_steps": 80, "lr": 0.1, "main_steps": 30, "schedule": {"type": "linear", "end_lr": 0.01}}, True),
    "one_cycle shorter than the run": (
        {"total_steps": 90, "lr": 0.1, "main_steps": 60, "schedule": {"type": "one_cycle"}}, False),
    "restarts in 3.5 cycles": (
        {"total_steps": 97, "lr": 0.1, "warmup": {"steps": 7}, "schedule": {"type": "cosine_restarts", "cycles": 3.5,
                                                                           "min_lr": 0.001}}, False),
    "restarts in 7 cycles to 0": (
        {"total_steps": 100, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "cosine_restarts",
                                                                               "cycles": 7}}, False),
    "warmup outlasting the run": (
        {"total_steps": 40, "lr": 0.1, "warmup": {"steps": 55, "start_lr": 0.01}, "schedule": {"type": "cosine"}},
        True),
    "warmup from 0 outlasting the run": (
        {"total_steps": 40, "lr": 0.1, "warmup": {"steps": 40}, "schedule": {"type": "linear"}}, False),
}


def within(lrs: np.ndarray, spec: schedules.Spec) -> bool:
    """Every update's lr within RTOL of the curve (absolute floor 1e-15 lr where the curve is ~0)."""
    want = expected(spec)
    return bool(np.all(np.abs(lrs - want) <= RTOL * np.abs(want) + 1e-15 * spec.lr))


@pytest.mark.parametrize("key", sorted(EXTENDED))
def test_extended_specs_match_curve(key: str) -> None:
    data, native = EXTENDED[key]
    spec = schedules.load_spec(data)
    for target in ("torch", "lightning"):  # Lightning's export builds the same scheduler
        text = export(spec, target)
        assert within(run_torch_like(spec, text)[0], spec), target
        assert schedules.loads_spec(find_spec_line(text)) == spec
    assert ("# Path: native" in export(spec, "torch")) == native
