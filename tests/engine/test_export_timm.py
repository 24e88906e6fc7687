"""The timm export, run with the installed timm schedulers: every preset and family, per update and per
epoch, param groups, compared with ``schedules.curve`` at every update.

``import timm`` runs ``timm/__init__``, which imports the model zoo and needs torchvision. The schedulers
need only torch, so the ``timm`` package is registered as an empty package whose ``__path__`` is the
installed folder: ``timm.scheduler`` and its modules then load from the real files, untouched.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

import schedules
from schedules.export import export, timm_code
from tests.engine.test_export_torch import FAMILY_SPECS, exec_snippet, ruff_clean

#: Relative tolerance; the absolute floor ``ATOL_FRACTION * lr * scale`` only matters where the curve is ~0
#: (a warmup from 0, a decay to 0), where a relative error is meaningless.
RTOL = 1e-9
ATOL_FRACTION = 1e-15


def timm_folder() -> Path:
    """The installed ``timm`` package folder, found without importing it."""
    spec = importlib.util.find_spec("timm")
    assert spec is not None and spec.submodule_search_locations, "timm is not installed"
    return Path(next(iter(spec.submodule_search_locations)))


TIMM_DIR = timm_folder()

def load_timm_scheduler() -> types.ModuleType:
    """``timm.scheduler`` from the installed files, with ``timm`` itself an empty package."""
    if "timm" not in sys.modules or getattr(sys.modules["timm"], "__file__", None) is not None:
        stub = types.ModuleType("timm")
        stub.__path__ = [str(TIMM_DIR)]
        sys.modules["timm"] = stub
    return importlib.import_module("timm.scheduler")


@pytest.fixture(scope="module", autouse=True)
def timm_scheduler() -> Iterator[types.ModuleType]:
    saved = {k: v for k, v in sys.modules.items() if k == "timm" or k.startswith("timm.")}
    module = load_timm_scheduler()
    yield module
    for key in [k for k in sys.modules if k == "timm" or k.startswith("timm.")]:
        del sys.modules[key]
    sys.modules.update(saved)


def all_specs() -> dict[str, schedules.Spec]:
    """Every preset plus every family case; momentum is dropped (timm does not cycle it, see below)."""
    out = {f"preset:{n}": schedules.load_preset(n) for n in schedules.preset_names()}
    out.update({k: schedules.load_spec(v) for k, v in FAMILY_SPECS.items()})
    out.update({
        "epoch_cosine_groups": schedules.load_spec({
            "total_steps": 120, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch",
            "warmup": {"steps": 30, "start_lr": 0.02}, "schedule": {"type": "cosine", "min_lr": 0.005},
            "param_groups": [{"name": "backbone", "lr_scale": 0.25}, {"name": "head", "lr_scale": 1.0}]}),
        "cosine_warmup_from_zero": schedules.load_spec({
            "total_steps": 200, "lr": 3e-4, "warmup": {"steps": 20}, "schedule": {"type": "cosine"}}),
    })
    return {k: (s.replace(momentum=None) if s.momentum is not None else s) for k, s in out.items()}


SPECS = all_specs()


def make_optimizer(spec: schedules.Spec) -> torch.optim.Optimizer:
    """SGD over real parameters, one group per spec param group, built with a wrong lr on purpose."""
    n = max(1, len(spec.param_groups))
    groups = [{"params": [torch.nn.Parameter(torch.ones(3))]} for _ in range(n)]
    return torch.optim.SGD(groups, lr=123.0)


def drive_timm(spec: schedules.Spec, optimizer: torch.optim.Optimizer, scheduler) -> np.ndarray:
    """timm's ``train.py`` loop: per batch, read the lr, step the optimizer, increment ``num_updates`` and
    call ``step_update(num_updates)``; at the end of epoch e (0-based) call ``step(e + 1)``. Both calls are
    always made, as in ``train.py``: the scheduler ignores the one its ``t_in_epochs`` does not use."""
    spe = spec.steps_per_epoch or 7
    lrs = np.empty((spec.total_steps, len(optimizer.param_groups)))
    for t in range(spec.total_steps):
        lrs[t] = [g["lr"] for g in optimizer.param_groups]
        optimizer.step()
        num_updates = t + 1  # train.py: num_updates += 1, then step_update
        scheduler.step_update(num_updates=num_updates)
        if num_updates % spe == 0:
            scheduler.step(num_updates // spe)  # step(epoch + 1) for the epoch just finished
    return lrs


def check(spec: schedules.Spec, lrs: np.ndarray) -> float:
    """Assert ``lrs`` equals the curve times each group's scale; return the worst relative error over the
    points above the absolute floor."""
    scales = np.asarray([g.lr_scale for g in spec.param_groups] or [1.0])
    want = schedules.curve(spec)[:, None] * scales[None, :]
    atol = ATOL_FRACTION * spec.lr * scales[None, :]
    err = np.abs(lrs - want)
    bad = err > RTOL * np.abs(want) + atol
    assert not bad.any(), (int(np.argmax(bad.any(axis=1))), lrs[bad][:3], want[bad][:3])
    big = np.abs(want) > atol
    return float(np.max(err[big] / np.abs(want[big]), initial=0.0))


def run(spec: schedules.Spec) -> np.ndarray:
    namespace = exec_snippet(export(spec, "timm"))
    optimizer = make_optimizer(spec)
    scheduler = namespace["build_scheduler"](optimizer)
    return drive_timm(spec, optimizer, scheduler)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_timm_matches_curve(key: str) -> None:
    spec = SPECS[key]
    worst = check(spec, run(spec))
    assert worst <= RTOL


def test_snippet_schedulers_are_real_timm_classes(timm_scheduler: types.ModuleType) -> None:
    spec = SPECS["preset:gpt_cosine"]
    namespace = exec_snippet(export(spec, "timm"))
    sched = namespace["build_scheduler"](make_optimizer(spec))
    assert type(sched) is timm_scheduler.CosineLRScheduler
    assert sched.__class__.__module__ == "timm.scheduler.cosine_lr"
    closed = exec_snippet(export(SPECS["preset:bert"], "timm"))["build_scheduler"](make_optimizer(SPECS["preset:bert"]))
    assert isinstance(closed, timm_scheduler.scheduler.Scheduler)
    assert sys.modules["timm.scheduler.scheduler"].__file__.startswith(str(TIMM_DIR))


def test_paths_native_where_timm_has_one() -> None:
    native = {k for k, s in SPECS.items() if "# Path: native" in export(s, "timm")}
    for key in ("preset:gpt_cosine", "cosine", "groups_cosine", "epoch_cosine", "epoch_cosine_groups",
                "cosine_warmup_from_zero"):
        assert key in native, key
    for key in ("preset:bert", "preset:noam", "step", "inverse_sqrt", "wsd", "epoch_odd"):
        assert key not in native, key


def test_epoch_stepped_timm_ignores_step_update() -> None:
    """A per-epoch export holds the lr through the epoch even though step_update is called every batch."""
    spec = SPECS["epoch_cosine_groups"]
    lrs = run(spec)
    spe = spec.steps_per_epoch
    assert spe is not None
    held = lrs.reshape(-1, spe, lrs.shape[1])
    assert np.all(held == held[:, :1, :])
    assert not np.all(held[1:, 0, :] == held[:-1, 0, :])


def test_momentum_is_rejected_naming_the_field() -> None:
    for name in schedules.preset_names():
        spec = schedules.load_preset(name)
        if spec.momentum is None:
            continue
        with pytest.raises(schedules.SpecError) as exc:
            export(spec, "timm")
        assert exc.value.field == "momentum"


def test_verified_flag_and_comment() -> None:
    assert timm_code.VERIFIED is True
    for spec in SPECS.values():
        assert "unverified" not in export(spec, "timm").lower()


def test_timm_snippets_pass_ruff() -> None:
    ruff_clean({k: export(s, "timm") for k, s in SPECS.items()})
