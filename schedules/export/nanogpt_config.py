"""Export a spec as a nanoGPT config file (``config/*.py``: ``key = value`` lines read by configurator.py).

nanoGPT's ``train.py`` (karpathy/nanoGPT, ``get_lr``) sets every group's lr before each iteration to
``learning_rate`` when ``decay_lr`` is False, else to::

    it < warmup_iters:    learning_rate * (it + 1) / (warmup_iters + 1)
    it > lr_decay_iters:  min_lr
    otherwise:            min_lr + 0.5 * (1 + cos(pi * (it - warmup_iters) / (lr_decay_iters - warmup_iters)))
                                 * (learning_rate - min_lr)

and runs iterations ``0 .. max_iters`` (``max_iters + 1`` updates: it stops once ``iter_num > max_iters``).
So a spec of T steps is ``max_iters = T - 1`` and ``lr_decay_iters = W + main_steps`` (``T`` unless the
spec gives ``main_steps``: the cosine reaches min_lr exactly where the spec's does). Its warmup is linear from
``learning_rate / (warmup_iters + 1)``: a spec warmup must start there (``start_lr = lr / (W + 1)``) to be
expressed. cosine and constant (``min_lr = learning_rate``, or ``decay_lr = False`` without warmup) only;
everything else is refused naming the field (the Python code export computes any spec per iteration).
"""

from __future__ import annotations

import math
from typing import Any

from schedules.export.literals import header, integer, num
from schedules.export.trainer_common import common_checks, refuse
from schedules.spec import Spec

TRAINER, CODE = "nanoGPT", "Python"
#: An explicit schedule length is nanoGPT's own ``lr_decay_iters`` (= warmup_iters + main_steps).
EXTENSIONS = ("main_steps",)
#: How close start_lr must be to lr / (W + 1) (relative): a start typed in as that quotient rounds within it.
START_RTOL = 1e-12


def _no(field: str, rule: str, value: Any):
    return refuse(field, rule, value, TRAINER, CODE)


def nanogpt_fields(spec: Spec) -> dict[str, Any]:
    """The config's ``key = value`` pairs, or a :class:`SpecError` naming the field nanoGPT cannot express."""
    common_checks(spec, TRAINER, CODE)
    if spec.interval != "step":
        raise _no("interval", "must be 'step' (get_lr sets the lr every iteration)", spec.interval)
    w, kind, p = spec.warmup, spec.schedule.type, spec.schedule.as_dict()
    if w.steps:
        if w.shape != "linear":
            raise _no("warmup.shape", "must be linear (get_lr warms up in a straight line)", w.shape)
        start = spec.lr / (w.steps + 1)
        if not math.isclose(w.start_lr, start, rel_tol=START_RTOL, abs_tol=0.0):
            raise _no("warmup.start_lr", f"must be lr / (warmup.steps + 1) = {start!r} (get_lr's warmup starts at "
                      "learning_rate * 1 / (warmup_iters + 1))", w.start_lr)
    if kind == "cosine":
        floor = p["min_lr"]
    elif kind == "constant":
        floor = spec.lr
    else:
        raise _no("schedule.type", "must be cosine or constant (get_lr is a warmup and a cosine)", kind)
    fields: dict[str, Any] = {"learning_rate": spec.lr, "decay_lr": bool(w.steps) or kind != "constant"}
    if fields["decay_lr"]:
        # The cosine reaches min_lr main_steps updates after the warmup (the rest of the run unless given).
        fields.update(warmup_iters=w.steps, lr_decay_iters=w.steps + spec.main_steps, min_lr=floor)
    fields["max_iters"] = spec.total_steps - 1
    return fields


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return integer(value)
    return num(value)


def render(spec: Spec) -> str:
    """A nanoGPT ``config/*.py`` with the spec's learning-rate keys."""
    fields = nanogpt_fields(spec)
    body = "".join(f"{key} = {_literal(value)}\n" for key, value in fields.items())
    return (
        header(spec, "nanoGPT")
        + "# Path: nanoGPT's own get_lr (linear warmup from learning_rate / (warmup_iters + 1), cosine to min_lr).\n"
        "# Put these lines in your config/*.py (or pass them as --key=value). nanoGPT counts iterations,\n"
        f"# not epochs: it runs iterations 0..max_iters, so max_iters = {spec.total_steps - 1} gives the spec's "
        f"{spec.total_steps} updates\n"
        "# whatever your dataset length (one iteration = gradient_accumulation_steps micro-batches).\n\n"
        + body
    )
