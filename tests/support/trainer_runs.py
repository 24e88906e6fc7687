"""Run the real trainers' schedulers from exported configs, stepped the way each trainer steps them."""

from __future__ import annotations

import tempfile
import warnings
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset


class TinyDataset(Dataset):
    """Eight (x, y) pairs for a one-layer regression model."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": torch.full((2,), float(i)), "labels": torch.tensor(float(i))}


class TinyModel(torch.nn.Module):
    """A linear model returning the loss the way HF models do (``{"loss": ...}``)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        out = self.linear(x).squeeze(-1)
        loss = torch.nn.functional.mse_loss(out, labels) if labels is not None else out.sum()
        return {"loss": loss, "logits": out}


def hf_trainer_lrs(args: Any, n: int | None = None) -> tuple[np.ndarray, int]:
    """(lr of each update, num_training_steps) from ``Trainer`` built on ``args`` (a TrainingArguments).

    Trainer's own path: ``set_initial_training_values`` gives ``max_steps`` (``args.max_steps`` when > 0),
    ``create_optimizer_and_scheduler(num_training_steps=max_steps)`` builds AdamW and the scheduler
    (``get_scheduler`` with ``args.get_warmup_steps``), and the training loop calls
    ``optimizer.step(); lr_scheduler.step()`` once per update.
    """
    from transformers import Trainer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = Trainer(model=TinyModel(), args=args, train_dataset=TinyDataset())
        loader = trainer.get_train_dataloader()
        max_steps = trainer.set_initial_training_values(args, loader)[-1]
        trainer.create_optimizer_and_scheduler(num_training_steps=max_steps)
    opt, sched = trainer.optimizer, trainer.lr_scheduler
    steps = max_steps if n is None else n
    out = np.empty(steps)
    group = opt.param_groups[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(steps):
            out[t] = group["lr"]
            if t < 3:
                # Trainer's loop runs optimizer.step() before lr_scheduler.step(); the update itself never
                # writes the lr, and AdamW's step on every one of 250k updates only costs time.
                opt.step()
            sched.step()
    return out, max_steps


#: One directory per test process holding every Trainer output_dir; removed when the process ends.
_OUTPUT_ROOT = tempfile.TemporaryDirectory(prefix="trainer-out-")


def tmp_output_dir() -> str:
    """A fresh directory for Trainer's output_dir (nothing is written to it by these tests)."""
    return tempfile.mkdtemp(dir=_OUTPUT_ROOT.name)


def timm_train_lrs(scheduler_module: Any, fields: dict[str, Any], updates_per_epoch: int) -> tuple[np.ndarray, int]:
    """(lr of each update, epochs trained) as timm's train.py runs the scheduler from its args.

    train.py: ``create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=...)`` returns
    the scheduler and the number of epochs to train; each update reads the group lr, ``optimizer.step()``,
    ``num_updates += 1``, ``lr_scheduler.step_update(num_updates=num_updates)``; each epoch ends with
    ``lr_scheduler.step(epoch + 1)``.
    """
    from argparse import Namespace

    from timm.scheduler.scheduler_factory import scheduler_kwargs

    args = Namespace(**fields)
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=args.lr, momentum=0.9)
    sched, epochs = scheduler_module.create_scheduler_v2(opt, **scheduler_kwargs(args),
                                                         updates_per_epoch=updates_per_epoch)
    out = np.empty(int(epochs) * updates_per_epoch)
    group, num_updates = opt.param_groups[0], 0
    for epoch in range(int(epochs)):
        for _ in range(updates_per_epoch):
            out[num_updates] = group["lr"]
            num_updates += 1
            sched.step_update(num_updates=num_updates)
        sched.step(epoch + 1)
    return out, int(epochs)


def lightning_cli_lrs(config_path: str, root: str, steps_per_epoch: int) -> tuple[np.ndarray, int]:
    """(lr of each update, max_epochs) from ``LightningCLI`` reading the exported YAML with ``--config``.

    The CLI instantiates the optimizer and the ``lr_scheduler`` class_path and patches the model's
    ``configure_optimizers`` to return ``[optimizer], [lr_scheduler]``; Lightning steps such a scheduler
    once per epoch (its default ``interval``), after the epoch's updates.
    """
    import pytorch_lightning as pl
    from pytorch_lightning.cli import LightningCLI

    class CliModel(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cli = LightningCLI(CliModel, run=False, save_config_callback=None,
                           args=["--config", config_path, "--trainer.default_root_dir", root,
                                 "--trainer.logger", "false", "--trainer.enable_checkpointing", "false",
                                 "--trainer.accelerator", "cpu", "--trainer.enable_progress_bar", "false"])
        optimizers, schedulers = cli.model.configure_optimizers()
    (opt,), (sched,) = optimizers, schedulers
    epochs = int(cli.trainer.max_epochs)
    out = np.empty(epochs * steps_per_epoch)
    group = opt.param_groups[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(epochs):
            out[epoch * steps_per_epoch:(epoch + 1) * steps_per_epoch] = group["lr"]  # every update of the epoch
            opt.step()
            sched.step()
    return out, epochs


def class_path_lrs(config: dict[str, Any], steps_per_epoch: int) -> np.ndarray:
    """The same stepping with the ``lr_scheduler`` class_path / init_args instantiated directly (no CLI)."""
    import importlib

    module, name = config["lr_scheduler"]["class_path"].rsplit(".", 1)
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], **config["optimizer"]["init_args"])
    sched = getattr(importlib.import_module(module), name)(opt, **config["lr_scheduler"]["init_args"])
    epochs = int(config["trainer"]["max_epochs"])
    out = np.empty(epochs * steps_per_epoch)
    for epoch in range(epochs):
        out[epoch * steps_per_epoch:(epoch + 1) * steps_per_epoch] = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    return out
