"""Warnings on a valid spec that is probably not what its author meant.

A spec that loads is well formed; :func:`diagnose` looks for the known silent mistakes on top of that
(each is a real, recurring report from practitioners): an lr of 0 on the first update, a warmup that eats
most of the run (or outlasts it), a floor equal to the peak, CLR cycles of the wrong length, a one-cycle tail that is
effectively zero, and a schedule sized in epochs but stepped per update (or the reverse).

Every :class:`Diagnosis` is one line that names the field, the value and why it matters. Pure: NumPy and
the standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules.curve import curve
from schedules.spec import Spec, load_spec

#: A warmup longer than this fraction of training leaves little time at the peak.
LONG_WARMUP_FRACTION = 0.25
#: The CLR paper's guidance: a half cycle (step_size) of 2 to 10 epochs.
CLR_EPOCHS = (2, 10)
#: One-cycle's final lr below ``lr / TINY_FINAL_RATIO`` is flagged. torch's default factors give
#: lr / 2.5e5 (25 x 1e4), the reference recipe, so the bar sits one decade further: past it the last
#: phase of training runs at an lr that no longer moves float32 weights.
TINY_FINAL_RATIO = 1e6
#: An epoch count is rarely above this; a step duration this small that is also shorter than one
#: epoch was most likely typed in epochs.
EPOCH_COUNT_MAX = 1000
#: Schedule parameters that place events (decays, restarts, cycle turns) in steps. ``timescale`` and
#: ``half_life`` are rates, legitimately small, and are left out.
EVENT_PARAMS = ("step_size", "step_size_down", "milestones", "period", "decay_steps")


@dataclass(frozen=True)
class Diagnosis:
    """One warning: a stable ``code`` for tests and styling, and a one-line ``message`` with the reason."""

    code: str
    message: str


def diagnose(spec: Spec | Any) -> list[Diagnosis]:
    """Warnings for ``spec`` (a :class:`Spec` or anything :func:`load_spec` accepts), in a stable order.

    Codes and rules:

    - ``zero_first_lr``: the lr used by update 0 is 0, so the first update does nothing.
    - ``warmup_outlasts_run``: ``warmup.steps >= total_steps``: the run ends during the warmup, so the lr
      never reaches its peak; the line says the highest lr actually used and where (or, for a warmup from
      above the peak, that the main schedule never runs).
    - ``long_warmup``: ``total_steps / 4 < warmup.steps < total_steps``.
    - ``no_decay``: a floor (``min_lr``/``end_lr``) equal to ``lr``, or ``gamma == 1`` for step,
      multistep and exponential: the schedule never decays (cyclic never moves).
    - ``cyclic_step_size``: cyclic with ``steps_per_epoch`` known and step_size (or step_size_down)
      outside 2-10 epochs, the CLR paper's guidance.
    - ``one_cycle_tiny_final``: one-cycle's final lr ``lr / div_factor / final_div_factor`` is below
      ``lr / 1e6`` (see :data:`TINY_FINAL_RATIO`).
    - ``epoch_warmup_short``: interval "epoch" with ``0 < warmup.steps < steps_per_epoch``: the lr only
      changes at epoch starts, so the whole first epoch runs at start_lr and the warmup never shows.
    - ``sized_in_epochs``: a duration that looks like an epoch count. Rule: ``total_steps <
      steps_per_epoch`` (training shorter than one epoch); or, with ``steps_per_epoch > 1``, an event
      parameter (:data:`EVENT_PARAMS`, cyclic's own rule aside) whose largest value is below one epoch
      and at most 1000; with interval "epoch" a warmup is also checked, as long as it spans an epoch.
    - ``not_whole_epochs``: interval "epoch" and a duration of at least one epoch that is not a whole
      number of epochs: the change it places only takes effect at the next epoch start.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    found: list[Diagnosis] = []
    found += _zero_first_lr(spec)
    found += _long_warmup(spec)
    found += _no_decay(spec)
    found += _cyclic_step_size(spec)
    found += _one_cycle_tiny_final(spec)
    found += _epoch_warmup_short(spec)
    found += _units(spec)
    return found


def _zero_first_lr(spec: Spec) -> list[Diagnosis]:
    first = float(curve(spec, np.zeros(1, dtype=np.int64))[0])
    if first != 0.0:
        return []
    if spec.warmup.steps:
        fix = "give warmup.start_lr a small value (e.g. lr / 100) or count warmup from step 1"
    else:
        fix = "raise the schedule's starting value above 0"
    return [Diagnosis("zero_first_lr", f"lr is 0 at step 0: the first update is wasted; {fix}")]


def _long_warmup(spec: Spec) -> list[Diagnosis]:
    w, total = spec.warmup.steps, spec.total_steps
    if spec.warmup_outlasts_run:
        lrs = curve(spec)
        top = int(np.argmax(lrs))
        head = f"warmup.steps: {w} >= total_steps {total}: training ends during warmup"
        if lrs[top] < spec.lr:
            # Rounded down, so a value just short of the peak never reads as 100%.
            share = math.floor(lrs[top] / spec.lr * 1000) / 10
            what = (f"so the lr never reaches its peak {spec.lr:g}; the highest lr used is {lrs[top]:.6g} "
                    f"({share:.1f}% of it) at step {top}")
        else:  # a warmup that starts above the peak
            what = f"so the main schedule never runs; the lr ends at {lrs[-1]:.6g} (peak {spec.lr:g})"
        return [Diagnosis("warmup_outlasts_run", f"{head}, {what}")]
    if w <= LONG_WARMUP_FRACTION * total:
        return []
    return [Diagnosis(
        "long_warmup",
        f"warmup.steps: {w} is {w / total:.0%} of total_steps {total}; a warmup over a quarter of "
        "training leaves little time at the peak (5-10% is usual)",
    )]


def _no_decay(spec: Spec) -> list[Diagnosis]:
    params = spec.schedule.as_dict()
    kind = spec.schedule.type
    for floor in ("min_lr", "end_lr"):
        if floor in params and params[floor] >= spec.lr:
            effect = "the lr never moves" if kind == "cyclic" else "the schedule never decays"
            return [Diagnosis(
                "no_decay", f"schedule.{floor}: {params[floor]:g} is not below lr {spec.lr:g}; {effect}",
            )]
    if kind in ("step", "multistep", "exponential") and params["gamma"] >= 1.0:
        return [Diagnosis("no_decay", "schedule.gamma: 1 keeps the lr at its peak; the schedule never decays")]
    return []


def _cyclic_step_size(spec: Spec) -> list[Diagnosis]:
    spe = spec.steps_per_epoch
    if spec.schedule.type != "cyclic" or spe is None:
        return []
    lo, hi = CLR_EPOCHS
    found = []
    for name in ("step_size", "step_size_down"):
        value = spec.schedule.get(name)
        if value is None:
            continue
        epochs = value / spe
        if not lo <= epochs <= hi:
            found.append(Diagnosis(
                "cyclic_step_size",
                f"schedule.{name}: {value} steps is {epochs:.3g} epochs ({spe} steps each); CLR advises "
                f"{lo}-{hi} epochs per half cycle ({lo * spe}-{hi * spe} steps)",
            ))
    return found


def _one_cycle_tiny_final(spec: Spec) -> list[Diagnosis]:
    if spec.schedule.type != "one_cycle":
        return []
    ratio = spec.schedule.get("div_factor") * spec.schedule.get("final_div_factor")
    if ratio <= TINY_FINAL_RATIO:
        return []
    return [Diagnosis(
        "one_cycle_tiny_final",
        f"schedule.final_div_factor: the final lr is lr / {ratio:.3g} = {spec.lr / ratio:.3g} (it divides "
        "the starting lr lr / div_factor, not lr); the last steps barely train",
    )]


def _epoch_warmup_short(spec: Spec) -> list[Diagnosis]:
    w, spe = spec.warmup.steps, spec.steps_per_epoch
    if spec.interval != "epoch" or spe is None or not 0 < w < spe:
        return []
    return [Diagnosis(
        "epoch_warmup_short",
        f"warmup.steps: {w} is shorter than one epoch ({spe} steps) while the lr is stepped per epoch; "
        "the first epoch runs at start_lr and then jumps to the peak, so the warmup has no effect",
    )]


def _durations(spec: Spec) -> list[tuple[str, list[int]]]:
    """(field path, values) of every event-placing duration of the spec, in steps."""
    params = spec.schedule.as_dict()
    out = []
    for name in EVENT_PARAMS:
        value = params.get(name)
        if value is None:
            continue
        out.append((f"schedule.{name}", list(value) if isinstance(value, tuple) else [int(value)]))
    return out


def _fmt(values: list[int]) -> str:
    return str(values[0]) if len(values) == 1 else "[" + ", ".join(map(str, values)) + "]"


def _units(spec: Spec) -> list[Diagnosis]:
    spe = spec.steps_per_epoch
    if spe is None:
        return []
    found = []
    total = spec.total_steps
    if total < spe:
        found.append(Diagnosis(
            "sized_in_epochs",
            f"total_steps: {total} is less than one epoch ({spe} steps); if that is an epoch count, "
            f"{total} epochs is {total * spe} steps",
        ))
    durations = [] if spec.schedule.type == "cyclic" else _durations(spec)
    per_epoch = spec.interval == "epoch"
    if per_epoch and spec.warmup.steps >= spe:
        durations.insert(0, ("warmup.steps", [spec.warmup.steps]))
    if spe == 1:
        return found
    for path, values in durations:
        biggest = max(values)
        if biggest < spe and biggest <= EPOCH_COUNT_MAX:
            how = "per epoch" if per_epoch else "per step"
            found.append(Diagnosis(
                "sized_in_epochs",
                f"{path}: {_fmt(values)} is shorter than one epoch ({spe} steps) and stepped {how}; durations "
                f"count steps, so if these are epochs write {_fmt([v * spe for v in values])}",
            ))
        elif per_epoch and any(v % spe for v in values):
            found.append(Diagnosis(
                "not_whole_epochs",
                f"{path}: {_fmt(values)} is not a whole number of epochs ({spe} steps each); stepped per "
                "epoch, it only takes effect at the next epoch start",
            ))
    return found
