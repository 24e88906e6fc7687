"""Export a spec as timm ``train.py`` arguments: the schedule keys of an ``args.yaml`` (``--config``).

timm's ``train.py`` reads the YAML with ``yaml.safe_load`` into the argparse defaults, calls
``create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=...)`` with
``updates_per_epoch = ceil(len(loader) / grad_accum_steps)``, trains the ``num_epochs`` it returns, and
calls ``step_update(num_updates)`` after every update (``sched_on_updates: true``) or ``step(epoch + 1)``
after every epoch. Its arguments count **epochs**, so every duration must be a whole number of the
spec's ``steps_per_epoch`` and ``updates_per_epoch`` must equal it (timm has no max-steps field).

Mapping (``warmup_prefix: true``, so the main schedule's clock starts after the linear warmup, as in
the spec; ``warmup_prefix: false`` for a spec whose warmup is overlaid): constant -> ``constant``; cosine ->
``cosine``; linear / polynomial -> ``poly`` (``decay_rate`` is the power, ``min_lr`` the end); step ->
``step``; multistep -> ``multistep`` (timm decays one step before each milestone, so its milestones are one
later); cosine_restarts -> ``cosine`` with ``lr_cycle_mul``, ``lr_cycle_decay`` and ``lr_cycle_limit``
cycles that end exactly at ``total_steps``.
"""

from __future__ import annotations

from typing import Any

from schedules.export.literals import header
from schedules.export.serial import yaml_lines
from schedules.export.trainer_common import common_checks, refuse
from schedules.spec import Spec

TRAINER, CODE = "timm train.py", "timm"
#: An overlaid warmup is timm's own default, ``warmup_prefix: false``.
EXTENSIONS = ("warmup.overlay",)
#: The most restart cycles written out (timm evaluates them in closed form; this only bounds the search).
MAX_CYCLES = 10_000


def _no(field: str, rule: str, value: Any):
    return refuse(field, rule, value, TRAINER, CODE)


def _epochs(steps: int, spe: int, field: str) -> int:
    if steps % spe:
        raise _no(field, f"must be a whole number of epochs of {spe} updates (timm's arguments count epochs)", steps)
    return steps // spe


def _cycles(spec: Spec, spe: int) -> int:
    """How many restart cycles end exactly at the end of the main schedule (timm's get_cycle_length)."""
    p = spec.schedule.as_dict()
    period, mult = p["period"], float(p["period_mult"])
    length = 0.0
    for n in range(1, MAX_CYCLES + 1):
        length = period * n if mult == 1.0 else period * (mult**n - 1) / (mult - 1)
        if length >= spec.main_steps:
            break
    if length != spec.main_steps:
        raise _no("total_steps", "must end a restart cycle (timm trains whole cycles: lr_cycle_limit)",
                  spec.total_steps)
    return n


def timm_fields(spec: Spec) -> dict[str, Any]:
    """The ``args.yaml`` keys for ``spec``, or a :class:`SpecError` naming the field timm cannot express."""
    common_checks(spec, TRAINER, CODE)
    spe = spec.steps_per_epoch
    if spe is None:
        raise _no("steps_per_epoch", "is required (timm's arguments count epochs)", None)
    w, kind, p = spec.warmup, spec.schedule.type, spec.schedule.as_dict()
    if w.steps and w.shape != "linear":
        raise _no("warmup.shape", "must be linear (timm warms up in a straight line)", w.shape)
    _epochs(spec.total_steps, spe, "total_steps")
    warm = _epochs(w.steps, spe, "warmup.steps")
    fields: dict[str, Any] = {
        "lr": spec.lr,
        "sched": None,
        "epochs": spec.main_steps // spe,
        "warmup_epochs": warm,
        "warmup_lr": w.start_lr,
        "warmup_prefix": not w.overlay,
        "cooldown_epochs": 0,
        "min_lr": 0.0,
        "decay_epochs": 90.0,
        "decay_milestones": [90],
        "decay_rate": 0.1,
        "lr_cycle_mul": 1.0,
        "lr_cycle_decay": 1.0,
        "lr_cycle_limit": 1,
        "lr_k_decay": 1.0,
        "lr_noise": None,
        "sched_on_updates": spec.interval == "step",
    }
    if kind == "constant":
        fields["sched"] = "constant"
    elif kind == "cosine":
        fields.update(sched="cosine", min_lr=p["min_lr"])
    elif kind in ("linear", "polynomial"):
        power = 1.0 if kind == "linear" else p["power"]
        fields.update(sched="poly", min_lr=p["end_lr"], decay_rate=power)
    elif kind == "step":
        fields.update(sched="step", decay_epochs=float(_epochs(p["step_size"], spe, "schedule.step_size")),
                      decay_rate=p["gamma"])
    elif kind == "multistep":
        if spec.interval == "epoch":
            milestones = [_epochs(m, spe, "schedule.milestones") + 1 for m in p["milestones"]]
        else:
            milestones = [_epochs(m + 1, spe, "schedule.milestones") for m in p["milestones"]]
        fields.update(sched="multistep", decay_milestones=milestones, decay_rate=p["gamma"])
    elif kind == "cosine_restarts":
        fields.update(sched="cosine", epochs=_epochs(p["period"], spe, "schedule.period"), min_lr=p["min_lr"],
                      lr_cycle_mul=float(p["period_mult"]), lr_cycle_decay=p["peak_decay"],
                      lr_cycle_limit=_cycles(spec, spe))
    else:
        raise _no("schedule.type", "must be one of constant, cosine, linear, polynomial, step, multistep, "
                  "cosine_restarts", kind)
    return fields


def render(spec: Spec) -> str:
    """The schedule keys of a timm ``args.yaml``."""
    fields = timm_fields(spec)
    per = "update (sched_on_updates: true)" if fields["sched_on_updates"] else "epoch"
    return (
        header(spec, "timm args.yaml", python=False)
        + f"# Path: native timm scheduler, sched: {fields['sched']}, warmup_prefix: "
        f"{str(fields['warmup_prefix']).lower()}, stepped once per {per}.\n"
        "# Merge these keys into the args.yaml you pass to train.py --config. timm counts epochs and has no\n"
        f"# max-steps field: this schedule assumes {spec.steps_per_epoch} optimizer updates per epoch, i.e.\n"
        "# ceil(len(loader) / grad_accum_steps) must equal that for your dataset, batch size and devices;\n"
        f"# train.py then trains {spec.total_steps // (spec.steps_per_epoch or 1)} epochs "
        f"({spec.total_steps} updates).\n"
        + yaml_lines(fields)
    )
