"""The PyTorch Lightning export, run with the real ``pytorch_lightning``: a LightningModule whose
``configure_optimizers`` returns the snippet's ``lr_scheduler_config``, stepped as Lightning steps it
(after every optimizer step for ``"interval": "step"``, after every epoch for ``"epoch"``), compared with
``schedules.curve`` at every update, for every preset and family. One step spec and one epoch spec also
go through a real ``Trainer.fit``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

import schedules
from schedules.export import export
from tests.engine.test_export_torch import FAMILY_SPECS, drive, exec_snippet, ruff_clean

#: Relative tolerance; the absolute floor ``ATOL_FRACTION * lr * scale`` only matters where the curve is ~0.
RTOL = 1e-9
ATOL_FRACTION = 1e-15


def all_specs() -> dict[str, schedules.Spec]:
    out = {f"preset:{n}": schedules.load_preset(n) for n in schedules.preset_names()}
    out.update({k: schedules.load_spec(v) for k, v in FAMILY_SPECS.items()})
    return out


SPECS = all_specs()


class Model(pl.LightningModule):
    """A tiny regression model whose optimizer and scheduler come from the exported snippet."""

    def __init__(self, snippet: dict, n_groups: int) -> None:
        super().__init__()
        self.snippet = snippet
        self.layers = torch.nn.ModuleList(torch.nn.Linear(2, 1) for _ in range(n_groups))
        self.seen: list[list[float]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum(layer(x) for layer in self.layers)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self(x), y)

    def on_train_batch_start(self, batch: object, batch_idx: int) -> None:
        # The lr this batch's optimizer step will use.
        self.seen.append([g["lr"] for g in self.trainer.optimizers[0].param_groups])

    def configure_optimizers(self) -> dict:
        groups = [{"params": layer.parameters()} for layer in self.layers]
        optimizer = torch.optim.SGD(groups, lr=123.0, momentum=0.5)  # any lr: build_scheduler sets it
        return {"optimizer": optimizer, "lr_scheduler": self.snippet["lr_scheduler_config"](optimizer)}


def module_for(spec: schedules.Spec) -> Model:
    return Model(exec_snippet(export(spec, "lightning")), max(1, len(spec.param_groups)))


def check(spec: schedules.Spec, lrs: np.ndarray) -> float:
    """Assert ``lrs`` equals the curve times each group's scale; return the worst relative error."""
    scales = np.asarray([g.lr_scale for g in spec.param_groups] or [1.0])
    want = schedules.curve(spec)[: len(lrs), None] * scales[None, :]
    atol = ATOL_FRACTION * spec.lr * scales[None, :]
    err = np.abs(lrs - want)
    bad = err > RTOL * np.abs(want) + atol
    assert not bad.any(), (int(np.argmax(bad.any(axis=1))), lrs[bad][:3], want[bad][:3])
    big = np.abs(want) > atol
    return float(np.max(err[big] / np.abs(want[big]), initial=0.0))


@pytest.mark.parametrize("key", sorted(SPECS))
def test_lightning_config_matches_curve(key: str) -> None:
    spec = SPECS[key]
    config = module_for(spec).configure_optimizers()
    optimizer, entry = config["optimizer"], config["lr_scheduler"]
    assert entry["interval"] == spec.interval
    assert entry["frequency"] == 1
    scheduler = entry["scheduler"]
    assert isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler)
    assert scheduler.optimizer is optimizer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notices about SequentialLR internals
        # drive() steps after every update for "step" and after every steps_per_epoch updates for "epoch".
        lrs, moms = drive(spec, optimizer, lambda k: scheduler.step())
    assert check(spec, lrs) <= RTOL
    if spec.momentum is not None:
        assert np.max(np.abs(moms - schedules.momentum_curve(spec))) <= RTOL * spec.momentum.max


TRAINER_SPECS = {
    "step": {"total_steps": 48, "lr": 0.1, "warmup": {"steps": 6, "start_lr": 0.01},
             "schedule": {"type": "cosine", "min_lr": 0.001},
             "param_groups": [{"name": "a", "lr_scale": 0.5}, {"name": "b", "lr_scale": 1.0}]},
    "epoch": {"total_steps": 48, "lr": 0.1, "steps_per_epoch": 8, "interval": "epoch",
              "warmup": {"steps": 8, "start_lr": 0.02}, "schedule": {"type": "step", "step_size": 16, "gamma": 0.5}},
}


@pytest.mark.parametrize("key", sorted(TRAINER_SPECS))
def test_trainer_fit_uses_the_curve(key: str, tmp_path) -> None:
    """Lightning's own loop steps the scheduler: the lr each batch uses equals the curve."""
    spec = schedules.load_spec(TRAINER_SPECS[key])
    spe = spec.steps_per_epoch or 8
    x = torch.randn(spe * 4, 2)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)
    assert len(data) == spe
    model = module_for(spec)
    trainer = pl.Trainer(max_steps=spec.total_steps, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice about dataloader workers
        trainer.fit(model, data)
    lrs = np.asarray(model.seen)
    assert lrs.shape == (spec.total_steps, max(1, len(spec.param_groups)))
    check(spec, lrs)
    assert len(np.unique(lrs[:, 0])) > 3


def test_lightning_snippets_pass_ruff() -> None:
    ruff_clean({k: export(s, "lightning") for k, s in SPECS.items()})


def test_lightning_snippet_names_lightning() -> None:
    text = export(SPECS["preset:bert"], "lightning")
    assert text.startswith("# Generated by lr-schedule-studio for PyTorch Lightning:")
    assert '"interval": "step"' in text
    assert '("interval": "epoch")' in export(SPECS["epoch_cosine"], "lightning")
