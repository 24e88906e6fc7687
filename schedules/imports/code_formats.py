"""Python sources: torch scheduler code, nanoGPT config files and optax schedule code, read by
:mod:`schedules.imports.pysafe` (parsed, never run)."""

from __future__ import annotations

from typing import Any

from schedules.errors import SpecError
from schedules.imports import torch_sched
from schedules.imports.common import Budget, Result, fmt_int, number
from schedules.imports.pysafe import Call, evaluate

_SCHED_NAMES = [*torch_sched.SIGNATURES, *torch_sched.REFUSED]
TORCH_KNOWN: dict[str, str] = {}
for _name in _SCHED_NAMES:
    for _prefix in ("torch.optim.lr_scheduler.", "lr_scheduler.", ""):
        TORCH_KNOWN[_prefix + _name] = _name
for _name in torch_sched.OPTIMIZER_LR:
    for _prefix in ("torch.optim.", "optim.", ""):
        TORCH_KNOWN[_prefix + _name] = "optim:" + _name

#: nanoGPT train.py's defaults for the names that set the lr (github.com/karpathy/nanoGPT, train.py).
NANOGPT_DEFAULTS = {"learning_rate": 6e-4, "max_iters": 600000, "warmup_iters": 2000, "lr_decay_iters": 600000,
                    "min_lr": 6e-5, "decay_lr": True}
NANOGPT_KEYS = ("max_iters", "lr_decay_iters", "warmup_iters", "decay_lr", "min_lr")


def optimizer_lr(calls: list[Call], lines: list[str]) -> float | None:
    opts = [c for c in calls if c.name.startswith("optim:")]
    if not opts:
        return None
    if len({(c.line) for c in opts}) > 1:
        raise SpecError("optimizer", "more than one optimizer constructor (lines "
                        + ", ".join(str(c.line) for c in opts) + "): keep the one the scheduler wraps")
    call = opts[0]
    kind = call.name.split(":", 1)[1]
    value = call.kwargs.get("lr", call.args[1] if len(call.args) > 1 else None)
    if value is None:
        value = torch_sched.OPTIMIZER_LR[kind]
        lines.append(f"lr = {value:g} ({kind} default)")
    return float(number(value, f"{kind}.lr", low=0))


def import_torch(source: str, b: Budget) -> Result:
    ev = evaluate(source, TORCH_KNOWN)
    lines: list[str] = []
    lr = optimizer_lr(ev.calls, lines)
    scheds = [c for c in ev.calls if not c.name.startswith("optim:")]
    for c in scheds:
        if c.short in ("SequentialLR", "ChainedScheduler"):
            for value in [*c.args, *c.kwargs.values()]:
                for item in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(item, Call):
                        item.used = True
    top = [c for c in scheds if not c.used]
    if not top:
        raise SpecError("lr_scheduler", "no torch.optim.lr_scheduler constructor found in the code")
    if len(top) > 1:
        raise SpecError("lr_scheduler", "more than one scheduler (lines " + ", ".join(str(c.line) for c in top)
                        + "): keep the one the training loop steps")
    total = b.total_steps
    if total is None and b.steps_per_epoch is not None and b.epochs is not None:
        total = int(b.steps_per_epoch * b.epochs)
        lines.append(f"total_steps = {fmt_int(b.steps_per_epoch)} × {b.epochs:g} = {fmt_int(total)}")
    spec = torch_sched.to_spec(top[0], lr, total, 1, lines)
    spec = torch_sched.finish(spec, 1, lines)
    spec["name"] = f"PyTorch {top[0].short}"
    lines.append("scheduler.step() after every optimizer.step() (the documented loop)")
    return Result(spec=spec, assumptions=lines)


def looks_like_nanogpt(source: str) -> bool:
    try:
        ev = evaluate(source, TORCH_KNOWN)
    except SpecError:
        return False
    return not ev.calls and any(k in ev.env for k in NANOGPT_KEYS)


def refuse_nanogpt_eval(source: str) -> None:
    """A nanoGPT evaluation config (``config/eval_gpt2*.py``: ``eval_only = True``) runs no update: train.py
    breaks out of its loop after the first evaluation (``if iter_num == 0 and eval_only: break``)."""
    try:
        ev = evaluate(source, TORCH_KNOWN)
    except SpecError:
        return
    if ev.env.get("eval_only") is True and not ev.calls:
        raise SpecError("eval_only", "this is a nanoGPT evaluation config (eval_only = True): train.py stops after "
                        "the first evaluation, before any update, so there is no learning-rate schedule")


def import_nanogpt(source: str, b: Budget) -> Result:
    """nanoGPT's ``get_lr(it)`` (train.py, karpathy/nanoGPT, master since December 2024):

    ``lr·(it+1)/(W+1)`` for ``it < W``; ``min_lr`` for ``it > lr_decay_iters``; else
    ``min_lr + 0.5(1 + cos(π (it − W)/(lr_decay_iters − W)))·(lr − min_lr)``; the loop runs
    ``it = 0 … max_iters`` (``max_iters + 1`` iterations); ``decay_lr = False`` keeps ``lr``.
    """
    ev = evaluate(source, TORCH_KNOWN)
    lines: list[str] = []
    v: dict[str, Any] = {}
    for key, default in NANOGPT_DEFAULTS.items():
        if key in ev.env:
            raw = ev.env[key]
            v[key] = raw if key == "decay_lr" else number(raw, key, integer=key.endswith("iters"), low=0)
        else:
            v[key] = default
            lines.append(f"{key} = {default:g} (train.py default)" if key != "decay_lr"
                         else "decay_lr = True (train.py default)")
    if not isinstance(v["decay_lr"], bool):
        raise SpecError("decay_lr", "must be True or False", v["decay_lr"])
    lr, warm, decay_end, floor = float(v["learning_rate"]), v["warmup_iters"], v["lr_decay_iters"], float(v["min_lr"])
    total = v["max_iters"] + 1
    lines.append(f"total_steps = max_iters + 1 = {fmt_int(total)} (the loop runs iterations 0 … max_iters)")
    if not v["decay_lr"]:
        return Result(spec={"name": "nanoGPT constant", "total_steps": total, "lr": lr,
                            "schedule": {"type": "constant"}}, assumptions=lines)
    if warm >= total:
        raise SpecError("warmup_iters", "must be <= max_iters", warm)
    if decay_end <= warm:
        raise SpecError("lr_decay_iters", "must be > warmup_iters", decay_end)
    spec: dict[str, Any] = {"name": "nanoGPT cosine", "total_steps": total, "lr": lr,
                            "schedule": {"type": "cosine", "min_lr": floor}}
    if warm:
        spec["warmup"] = {"steps": warm, "start_lr": lr / (warm + 1)}
        lines.append(f"warmup lr·(it+1)/(warmup_iters+1): starts at lr/{warm + 1}")
    if decay_end - warm != total - warm:
        spec["main_steps"] = decay_end - warm
        if decay_end < total:
            lines.append(f"min_lr holds from iteration {fmt_int(decay_end)} to the end")
    return Result(spec=spec, assumptions=lines)
