"""What Hugging Face ``Trainer`` runs natively: a spec as ``TrainingArguments`` schedule fields.

Trainer builds its scheduler with ``get_scheduler(lr_scheduler_type, optimizer,
num_warmup_steps=args.get_warmup_steps(T), num_training_steps=T, scheduler_specific_kwargs=
args.lr_scheduler_kwargs)`` and steps it after every optimizer update, where ``T = max_steps`` when
``max_steps > 0`` (transformers 5.23 ``Trainer.set_initial_training_values``). Writing ``max_steps``
therefore pins the schedule's length whatever the dataset length, batch size, devices or gradient
accumulation. Every HF scheduler's warmup rises linearly from 0 (WSD: from ``min_lr_ratio``) and every
group shares one ``learning_rate``, so anything else is refused with the field that decided it; the
Transformers code export (``optimizers=(optimizer, scheduler)``) runs those specs exactly.

Mapping (spec -> ``lr_scheduler_type``):

- constant: ``constant`` (no warmup; HF's ``constant`` ignores warmup) or ``constant_with_warmup``;
- linear: ``linear`` (end_lr 0), ``polynomial`` with ``power 1`` and ``lr_end = end_lr`` (0 < end_lr < lr),
  or ``constant`` (end_lr = lr);
- cosine: ``cosine`` (min_lr 0) or ``cosine_with_min_lr`` with ``min_lr_rate = min_lr / lr``;
- polynomial: ``polynomial`` (``lr_end``, ``power``; HF needs ``lr_end < learning_rate``);
- inverse_sqrt: ``inverse_sqrt`` (``timescale``);
- wsd (linear / cosine / sqrt decay): ``warmup_stable_decay`` (``num_decay_steps``, ``min_lr_ratio``;
  the stable phase is ``T - W - num_decay_steps``);
- cosine_restarts given as ``cycles`` (min_lr 0): ``cosine_with_restarts`` (``num_cycles``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schedules.errors import SpecError
from schedules.export.trainer_common import common_checks, refuse
from schedules.families import wsd_decay_steps
from schedules.spec import Spec

#: The later spec v1 fields Trainer runs as they are: a warmup as long as the run or longer (every HF lambda
#: returns its warmup value before ``num_warmup_steps``) and HF's own restarts (``cycles``).
TRAINER_EXTENSIONS = ("warmup.steps", "schedule.cycles")
#: spec wsd decay shape -> HF ``decay_type``.
WSD_DECAY = {"linear": "linear", "cosine": "cosine", "sqrt": "1-sqrt"}


@dataclass(frozen=True)
class HfPlan:
    """The ``TrainingArguments`` schedule fields for a spec."""

    scheduler: str
    warmup_steps: int
    max_steps: int
    learning_rate: float
    kwargs: dict[str, Any]

    def fields(self) -> dict[str, Any]:
        """The ``TrainingArguments`` keyword arguments, in the order they are written."""
        out: dict[str, Any] = {
            "learning_rate": self.learning_rate,
            "lr_scheduler_type": self.scheduler,
            "warmup_steps": self.warmup_steps,
            "max_steps": self.max_steps,
        }
        if self.kwargs:
            out["lr_scheduler_kwargs"] = dict(self.kwargs)
        return out


def _polynomial_end(spec: Spec, no: Callable[[str, str, Any], SpecError]) -> None:
    """transformers/optimization.py, ``_get_polynomial_decay_schedule_with_warmup_lr_lambda``: the scheduler
    step after the last update divides by ``num_training_steps - num_warmup_steps``, 0 when they are equal."""
    if spec.warmup.steps == spec.total_steps:
        raise no("warmup.steps", "must differ from total_steps for HF polynomial (it divides by total_steps - "
                 "warmup_steps after the last update)", spec.warmup.steps)


def hf_plan(spec: Spec, trainer: str = "Trainer", code_target: str = "Transformers") -> HfPlan:
    """The HF scheduler and its arguments reproducing ``spec`` exactly, or a :class:`SpecError`.

    Raises:
        SpecError: naming the first field Trainer's schedulers cannot express (interval, param_groups,
            momentum, warmup.shape / warmup.start_lr, schedule.type or a schedule parameter).
    """
    def no(field: str, rule: str, value: Any) -> SpecError:
        return refuse(field, rule, value, trainer, code_target)

    if spec.interval != "step":
        raise no("interval", "must be 'step' (Trainer steps the scheduler after every update)", spec.interval)
    common_checks(spec, trainer, code_target)
    w, kind, p = spec.warmup, spec.schedule.type, spec.schedule.as_dict()
    if w.steps and w.shape != "linear":
        raise no("warmup.shape", "must be linear (HF warmups rise in a straight line)", w.shape)
    base = {"warmup_steps": w.steps, "max_steps": spec.total_steps, "learning_rate": spec.lr}
    if kind == "wsd":
        shape = p["shape"]
        if shape not in WSD_DECAY:
            raise no("schedule.shape", "must be one of " + ", ".join(WSD_DECAY) + " (HF WSD decays)", shape)
        if w.steps and w.start_lr != p["min_lr"]:
            raise no("warmup.start_lr", "must equal schedule.min_lr (HF WSD warms up from min_lr_ratio)", w.start_lr)
        kwargs = {"num_decay_steps": wsd_decay_steps(spec.ctx()), "warmup_type": "linear",
                  "decay_type": WSD_DECAY[shape], "min_lr_ratio": p["min_lr"] / spec.lr}
        return HfPlan("warmup_stable_decay", kwargs=kwargs, **base)
    if w.steps and w.start_lr != 0.0:
        raise no("warmup.start_lr", "must be 0 (HF warmups start from 0)", w.start_lr)
    if kind == "constant":
        return HfPlan("constant_with_warmup" if w.steps else "constant", kwargs={}, **base)
    if kind == "linear":
        if p["end_lr"] == 0.0:
            return HfPlan("linear", kwargs={}, **base)
        if p["end_lr"] == spec.lr:
            return HfPlan("constant_with_warmup" if w.steps else "constant", kwargs={}, **base)
        if p["end_lr"] > spec.lr:
            raise no("schedule.end_lr", "must be <= lr (HF linear and polynomial decay downwards)", p["end_lr"])
        _polynomial_end(spec, no)
        return HfPlan("polynomial", kwargs={"lr_end": p["end_lr"], "power": 1.0}, **base)
    if kind == "cosine":
        if p["min_lr"] == 0.0:
            return HfPlan("cosine", kwargs={}, **base)
        return HfPlan("cosine_with_min_lr", kwargs={"min_lr_rate": p["min_lr"] / spec.lr}, **base)
    if kind == "polynomial":
        _polynomial_end(spec, no)
        if not p["end_lr"] < spec.lr:
            raise no("schedule.end_lr", "must be < lr (HF polynomial decays downwards)", p["end_lr"])
        return HfPlan("polynomial", kwargs={"lr_end": p["end_lr"], "power": p["power"]}, **base)
    if kind == "inverse_sqrt":
        return HfPlan("inverse_sqrt", kwargs={"timescale": p["timescale"]}, **base)
    if kind == "cosine_restarts":
        if p["cycles"] is None:
            raise no("schedule.period", "must be null with cycles set (HF's cosine_with_restarts takes a count of "
                     "equal cycles, num_cycles)", p["period"])
        if p["min_lr"] != 0.0:
            raise no("schedule.min_lr", "must be 0 (HF cosine_with_restarts falls to 0)", p["min_lr"])
        return HfPlan("cosine_with_restarts", kwargs={"num_cycles": p["cycles"]}, **base)
    raise no("schedule.type", "must be one of constant, linear, cosine, polynomial, inverse_sqrt, wsd, "
             "cosine_restarts with cycles", kind)
