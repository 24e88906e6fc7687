"""Export a spec as a Lightning CLI YAML: ``optimizer`` and ``lr_scheduler`` (``class_path`` / ``init_args``)
plus ``trainer.max_epochs``.

``LightningCLI`` instantiates the ``lr_scheduler`` class on the configured optimizer and its
``configure_optimizers`` returns ``[optimizer], [lr_scheduler]``, which Lightning steps once per **epoch**
(its default ``interval``). So the spec must be per-epoch with every duration a whole number of epochs;
the init_args count epochs. A nested scheduler (``SequentialLR`` for a warmup) needs the optimizer, which
the CLI passes to the top-level class only, so specs with a warmup are refused, as are per-update
stepping, param groups and momentum: the Lightning code export (``configure_optimizers``) runs them.

Mapping: constant -> ``ConstantLR(factor=1, total_iters=0)``; linear -> ``LinearLR``; cosine ->
``CosineAnnealingLR``; polynomial with end_lr 0 -> ``PolynomialLR``; step -> ``StepLR``; multistep ->
``MultiStepLR``; cosine_restarts (integer period_mult, no peak decay) -> ``CosineAnnealingWarmRestarts``.
"""

from __future__ import annotations

from typing import Any

from schedules.export.literals import header
from schedules.export.serial import yaml_lines
from schedules.export.trainer_common import common_checks, refuse
from schedules.spec import Spec

TRAINER, CODE = "the Lightning CLI", "Lightning"
SCHED = "torch.optim.lr_scheduler."


def _no(field: str, rule: str, value: Any):
    return refuse(field, rule, value, TRAINER, CODE)


def _epochs(steps: int, spe: int, field: str) -> int:
    if steps % spe:
        raise _no(field, f"must be a whole number of epochs of {spe} updates (the scheduler steps once per epoch)",
                  steps)
    return steps // spe


def scheduler(spec: Spec) -> tuple[str, dict[str, Any]]:
    """(class name in torch.optim.lr_scheduler, init_args) for the main schedule, in epochs."""
    spe = spec.steps_per_epoch or 1
    kind, p = spec.schedule.type, spec.schedule.as_dict()
    d = _epochs(spec.main_steps, spe, "total_steps")
    if kind == "constant":
        return "ConstantLR", {"factor": 1.0, "total_iters": 0}
    if kind == "linear":
        return "LinearLR", {"start_factor": 1.0, "end_factor": p["end_lr"] / spec.lr, "total_iters": d}
    if kind == "cosine":
        return "CosineAnnealingLR", {"T_max": d, "eta_min": p["min_lr"]}
    if kind == "polynomial":
        if p["end_lr"] != 0.0:
            raise _no("schedule.end_lr", "must be 0 (torch PolynomialLR decays to 0)", p["end_lr"])
        return "PolynomialLR", {"total_iters": d, "power": p["power"]}
    if kind == "step":
        return "StepLR", {"step_size": _epochs(p["step_size"], spe, "schedule.step_size"), "gamma": p["gamma"]}
    if kind == "multistep":
        return "MultiStepLR", {"milestones": [_epochs(m, spe, "schedule.milestones") for m in p["milestones"]],
                               "gamma": p["gamma"]}
    if kind == "cosine_restarts":
        if p["peak_decay"] != 1.0:
            raise _no("schedule.peak_decay", "must be 1 (CosineAnnealingWarmRestarts keeps its peak)", p["peak_decay"])
        if not float(p["period_mult"]).is_integer():
            raise _no("schedule.period_mult", "must be a whole number (CosineAnnealingWarmRestarts T_mult)",
                      p["period_mult"])
        return "CosineAnnealingWarmRestarts", {"T_0": _epochs(p["period"], spe, "schedule.period"),
                                               "T_mult": int(p["period_mult"]), "eta_min": p["min_lr"]}
    raise _no("schedule.type", "must be one of constant, linear, cosine, polynomial, step, multistep, "
              "cosine_restarts", kind)


def cli_config(spec: Spec) -> dict[str, Any]:
    """The Lightning CLI config keys, or a :class:`SpecError` naming the field the CLI cannot express."""
    common_checks(spec, TRAINER, CODE)
    if spec.interval != "epoch":
        raise _no("interval", "must be 'epoch' (the CLI's lr_scheduler is stepped once per epoch)", spec.interval)
    if spec.warmup.steps:
        raise _no("warmup.steps", "must be 0 (a SequentialLR warmup cannot be configured: its inner schedulers need "
                  "the optimizer)", spec.warmup.steps)
    spe = spec.steps_per_epoch or 1
    epochs = _epochs(spec.total_steps, spe, "total_steps")
    name, init_args = scheduler(spec)
    return {
        "trainer": {"max_epochs": epochs},
        "optimizer": {"class_path": "torch.optim.SGD", "init_args": {"lr": spec.lr}},
        "lr_scheduler": {"class_path": SCHED + name, "init_args": init_args},
    }


def render(spec: Spec) -> str:
    """The Lightning CLI YAML (``--config``) keys for the optimizer's lr, the scheduler and max_epochs."""
    config = cli_config(spec)
    return (
        header(spec, "Lightning CLI YAML", python=False)
        + f"# Path: native torch scheduler, {config['lr_scheduler']['class_path'].rsplit('.', 1)[1]}, which the CLI "
        "steps once per epoch.\n"
        "# Merge into the YAML you pass to `fit --config`; keep lr in your optimizer's init_args if you change\n"
        f"# its class. max_epochs = {config['trainer']['max_epochs']} fixes the run length "
        f"({spec.steps_per_epoch} updates per epoch assumed;\n"
        "# Lightning takes the epoch length from your dataloader).\n"
        + yaml_lines(config)
    )
