"""torch.optim.lr_scheduler constructors (from Python code or a Lightning YAML) -> spec v1.

Each constructor's signature and defaults are torch 2.13's; the mapped spec family's formula is that
class's closed form (``docs/spec.md``). ``scale`` converts scheduler steps to optimizer updates: 1 when the
scheduler steps after every update, the updates per epoch when it steps once per epoch (Lightning's
default interval), in which case the spec holds each value for a whole epoch (``interval: epoch``).
"""

from __future__ import annotations

from typing import Any

from schedules.errors import SpecError
from schedules.imports.common import fmt_int, number
from schedules.imports.pysafe import Call, bind_args

SIGNATURES: dict[str, tuple[tuple[str, Any], ...]] = {
    "LinearLR": (("start_factor", 1.0 / 3), ("end_factor", 1.0), ("total_iters", 5), ("last_epoch", -1)),
    "ConstantLR": (("factor", 1.0 / 3), ("total_iters", 5), ("last_epoch", -1)),
    "CosineAnnealingLR": (("T_max", None), ("eta_min", 0.0), ("last_epoch", -1)),
    "StepLR": (("step_size", None), ("gamma", 0.1), ("last_epoch", -1)),
    "MultiStepLR": (("milestones", None), ("gamma", 0.1), ("last_epoch", -1)),
    "ExponentialLR": (("gamma", None), ("last_epoch", -1)),
    "PolynomialLR": (("total_iters", 5), ("power", 1.0), ("last_epoch", -1)),
    "OneCycleLR": (("max_lr", None), ("total_steps", None), ("epochs", None), ("steps_per_epoch", None),
                   ("pct_start", 0.3), ("anneal_strategy", "cos"), ("cycle_momentum", True),
                   ("base_momentum", 0.85), ("max_momentum", 0.95), ("div_factor", 25.0),
                   ("final_div_factor", 1e4), ("three_phase", False), ("last_epoch", -1)),
    "CyclicLR": (("base_lr", None), ("max_lr", None), ("step_size_up", 2000), ("step_size_down", None),
                 ("mode", "triangular"), ("gamma", 1.0), ("scale_fn", None), ("scale_mode", "cycle"),
                 ("cycle_momentum", True), ("base_momentum", 0.8), ("max_momentum", 0.9), ("last_epoch", -1)),
    "CosineAnnealingWarmRestarts": (("T_0", None), ("T_mult", 1), ("eta_min", 0.0), ("last_epoch", -1)),
    "SequentialLR": (("schedulers", None), ("milestones", None), ("last_epoch", -1)),
}
REFUSED = {
    "LambdaLR": "its lr_lambda is arbitrary Python, which the importer never runs",
    "MultiplicativeLR": "its lr_lambda is arbitrary Python, which the importer never runs",
    "ReduceLROnPlateau": "depends on a validation metric during training, so no curve exists in advance",
    "ChainedScheduler": "multiplies several schedulers together; the spec has no product",
    "SWALR": "is not a spec family",
}
REQUIRED = {"CosineAnnealingLR": ("T_max",), "StepLR": ("step_size",), "MultiStepLR": ("milestones",),
            "ExponentialLR": ("gamma",), "OneCycleLR": ("max_lr",), "CyclicLR": ("base_lr", "max_lr"),
            "CosineAnnealingWarmRestarts": ("T_0",), "SequentialLR": ("schedulers", "milestones")}
#: torch 2.13 optimizer default lrs (lr is the second positional argument of each).
OPTIMIZER_LR = {"SGD": 1e-3, "Adam": 1e-3, "AdamW": 1e-3, "RMSprop": 1e-2, "Adagrad": 1e-2, "Adadelta": 1.0,
                "Adamax": 2e-3, "NAdam": 2e-3, "RAdam": 1e-3, "Adafactor": 1e-2, "ASGD": 1e-2, "Rprop": 1e-2,
                "SparseAdam": 1e-3, "LBFGS": 1.0}


def scheduler_args(call: Call) -> dict[str, Any]:
    """The scheduler's arguments after the optimizer, by name, defaults filled in."""
    if call.short in REFUSED:
        raise SpecError(call.short, REFUSED[call.short])
    if call.short not in SIGNATURES:
        raise SpecError("lr_scheduler", "is not a known torch.optim.lr_scheduler class", call.short)
    positional = call.args[1:] if call.args else []
    trimmed = Call(call.name, positional, {k: v for k, v in call.kwargs.items() if k != "optimizer"}, call.line)
    args = bind_args(trimmed, SIGNATURES[call.short], REQUIRED.get(call.short, ()))
    if args.get("last_epoch", -1) != -1:
        raise SpecError(f"{call.short}.last_epoch", "must be -1 (a resumed scheduler starts mid-curve)",
                        args["last_epoch"])
    return args


def _n(value: Any, path: str, *, low: float = 1) -> int:
    return number(value, path, integer=True, low=low)


def _f(value: Any, path: str) -> float:
    return float(number(value, path))


def to_spec(call: Call, lr: float | None, total: int | None, scale: int, lines: list[str]) -> dict[str, Any]:
    """The spec of one top-level scheduler. ``total`` is the run length in scheduler steps (None: ask or
    derive from the scheduler); ``lr`` the optimizer's lr (None: not found)."""
    name = call.short
    args = scheduler_args(call)
    if name == "SequentialLR":
        return _sequential(call, args, lr, total, scale, lines)
    spec = _single(call, args, lr, total, scale, lines, offset=0)
    return spec


def _need_lr(lr: float | None, name: str) -> float:
    if lr is None:
        raise SpecError("optimizer", f"{name} scales the optimizer's lr; no optimizer lr was found (give "
                        "lr= to the optimizer)")
    return lr


def _need_total(total: int | None, name: str) -> int:
    if total is None:
        raise SpecError("total_steps", f"{name} does not end by itself; supply total_steps (scheduler steps in the "
                        "run)")
    return total


def _single(call: Call, a: dict[str, Any], lr: float | None, total: int | None, scale: int, lines: list[str],
            offset: int) -> dict[str, Any]:
    n = call.short
    p = f"{n}."
    if n == "CosineAnnealingLR":
        t_max = _n(a["T_max"], p + "T_max")
        run = total if total is not None else t_max
        schedule: dict[str, Any] = {"type": "cosine", "min_lr": _f(a["eta_min"], p + "eta_min")}
        if run > t_max + 1:
            # torch/optim/lr_scheduler.py, CosineAnnealingLR: its closed form eta_min + (base_lr - eta_min) *
            # (1 + cos(pi * last_epoch / T_max)) / 2 holds for every step (get_lr's recursion follows it), so
            # past T_max the lr rises back to base_lr at 2 * T_max: the spec's periodic cosine.
            schedule["periodic"] = True
            lines.append(f"CosineAnnealingLR: the lr reaches eta_min at T_max = {fmt_int(t_max)} scheduler steps, "
                         f"then rises again (period {fmt_int(2 * t_max)}) until the run ends at {fmt_int(run)}")
        spec = {"lr": _need_lr(lr, n), "schedule": schedule, "_length": t_max, "_run": run}
        if total is None:
            lines.append(f"total_steps = T_max = {fmt_int(t_max)} scheduler steps")
        return spec
    if n == "LinearLR":
        s, e, k = _f(a["start_factor"], p + "start_factor"), _f(a["end_factor"], p + "end_factor"), \
            _n(a["total_iters"], p + "total_iters")
        base = _need_lr(lr, n)
        if e == 1.0 and s <= 1.0:
            run = _need_total(total, n)
            return {"lr": base, "warmup": {"steps": k, "start_lr": base * s}, "schedule": {"type": "constant"},
                    "_run": run, "_warm": k}
        if s == 1.0 and e < 1.0:
            return {"lr": base, "schedule": {"type": "linear", "end_lr": base * e}, "_length": k,
                    "_run": total if total is not None else k}
        raise SpecError(p + "start_factor", "LinearLR imports as a warmup (end_factor 1) or a decay "
                        "(start_factor 1)", s)
    if n == "ConstantLR":
        f, k = _f(a["factor"], p + "factor"), _n(a["total_iters"], p + "total_iters")
        base = _need_lr(lr, n)
        return {"lr": base, "warmup": {"steps": k, "shape": "constant", "start_lr": base * f},
                "schedule": {"type": "constant"}, "_run": _need_total(total, n), "_warm": k}
    if n == "StepLR":
        return {"lr": _need_lr(lr, n), "schedule": {"type": "step", "step_size": _n(a["step_size"], p + "step_size"),
                                                   "gamma": _f(a["gamma"], p + "gamma")},
                "_run": _need_total(total, n)}
    if n == "MultiStepLR":
        raw = a["milestones"]
        if not isinstance(raw, (list, tuple)) or not raw:
            raise SpecError(p + "milestones", "must be a list of whole numbers", raw)
        ms = sorted(_n(m, p + "milestones", low=1) for m in raw)
        if len(set(ms)) != len(ms):
            raise SpecError(p + "milestones", "repeats a milestone (torch then applies gamma twice there)", raw)
        return {"lr": _need_lr(lr, n), "schedule": {"type": "multistep", "milestones": ms,
                                                    "gamma": _f(a["gamma"], p + "gamma")},
                "_run": _need_total(total, n)}
    if n == "ExponentialLR":
        return {"lr": _need_lr(lr, n), "schedule": {"type": "exponential", "gamma": _f(a["gamma"], p + "gamma"),
                                                    "decay_steps": 1.0},
                "_run": _need_total(total, n)}
    if n == "PolynomialLR":
        k = _n(a["total_iters"], p + "total_iters")
        return {"lr": _need_lr(lr, n), "schedule": {"type": "polynomial", "end_lr": 0.0,
                                                    "power": _f(a["power"], p + "power")},
                "_length": k, "_run": total if total is not None else k}
    if n == "OneCycleLR":
        if a["total_steps"] is not None:
            steps = _n(a["total_steps"], p + "total_steps")
        elif a["epochs"] is not None and a["steps_per_epoch"] is not None:
            steps = _n(a["epochs"], p + "epochs") * _n(a["steps_per_epoch"], p + "steps_per_epoch")
            lines.append(f"OneCycleLR total_steps = epochs × steps_per_epoch = {fmt_int(steps)}")
        else:
            raise SpecError(p + "total_steps", "OneCycleLR needs total_steps, or epochs and steps_per_epoch")
        run = total if total is not None else steps
        if run > steps:
            raise SpecError(p + "total_steps", "OneCycleLR raises an error when stepped past total_steps", steps,
                            f"run {fmt_int(run)}")
        spec: dict[str, Any] = {
            "lr": _f(a["max_lr"], p + "max_lr"),
            "schedule": {"type": "one_cycle", "pct_start": _f(a["pct_start"], p + "pct_start"),
                         "div_factor": _f(a["div_factor"], p + "div_factor"),
                         "final_div_factor": _f(a["final_div_factor"], p + "final_div_factor"),
                         "anneal": a["anneal_strategy"], "three_phase": bool(a["three_phase"])},
            "_length": steps, "_run": run,
        }
        if a["cycle_momentum"]:
            spec["momentum"] = {"base": _f(a["base_momentum"], p + "base_momentum"),
                                "max": _f(a["max_momentum"], p + "max_momentum")}
        return spec
    if n == "CyclicLR":
        if a["scale_fn"] is not None:
            raise SpecError(p + "scale_fn", "is arbitrary Python, which the importer never runs")
        spec = {"lr": _f(a["max_lr"], p + "max_lr"),
                "schedule": {"type": "cyclic", "mode": a["mode"], "min_lr": _f(a["base_lr"], p + "base_lr"),
                             "step_size": _n(a["step_size_up"], p + "step_size_up"),
                             "step_size_down": None if a["step_size_down"] is None
                             else _n(a["step_size_down"], p + "step_size_down"),
                             "gamma": _f(a["gamma"], p + "gamma")},
                "_run": _need_total(total, n)}
        if a["cycle_momentum"]:
            spec["momentum"] = {"base": _f(a["base_momentum"], p + "base_momentum"),
                                "max": _f(a["max_momentum"], p + "max_momentum")}
        return spec
    if n == "CosineAnnealingWarmRestarts":
        return {"lr": _need_lr(lr, n),
                "schedule": {"type": "cosine_restarts", "period": _n(a["T_0"], p + "T_0"),
                             "period_mult": _n(a["T_mult"], p + "T_mult"), "min_lr": _f(a["eta_min"], p + "eta_min")},
                "_run": _need_total(total, n)}
    raise SpecError(n, "cannot be imported here")


def _sequential(call: Call, a: dict[str, Any], lr: float | None, total: int | None, scale: int,
                lines: list[str]) -> dict[str, Any]:
    children, milestones = a["schedulers"], a["milestones"]
    if not isinstance(children, (list, tuple)) or not all(isinstance(c, Call) for c in children):
        raise SpecError("SequentialLR.schedulers", "must list scheduler constructors (or names bound to them)")
    if not isinstance(milestones, (list, tuple)) or len(milestones) != len(children) - 1:
        raise SpecError("SequentialLR.milestones", "must have one entry fewer than schedulers", milestones)
    if len(children) != 2:
        raise SpecError("SequentialLR.schedulers", "imports as [warmup, main] (two schedulers)", len(children))
    for c in children:
        c.used = True
    first, second = children
    m = _n(milestones[0], "SequentialLR.milestones[0]")
    fa = scheduler_args(first)
    if first.short == "LinearLR":
        if _f(fa["end_factor"], "LinearLR.end_factor") != 1.0:
            raise SpecError("LinearLR.end_factor", "must be 1 for the warmup of a SequentialLR", fa["end_factor"])
        shape, factor = "linear", _f(fa["start_factor"], "LinearLR.start_factor")
    elif first.short == "ConstantLR":
        shape, factor = "constant", _f(fa["factor"], "ConstantLR.factor")
    else:
        raise SpecError("SequentialLR.schedulers[0]", "imports as a LinearLR or ConstantLR warmup", first.short)
    k = _n(fa["total_iters"], f"{first.short}.total_iters")
    if k != m:
        raise SpecError("SequentialLR.milestones[0]", f"must equal the warmup's total_iters ({k}); otherwise the lr "
                        "holds between them, which the spec has no phase for", m)
    base = _need_lr(lr, "SequentialLR")
    main = _single(second, scheduler_args(second), lr, None if total is None else total - m, scale, lines, offset=m)
    if "warmup" in main:
        raise SpecError("SequentialLR.schedulers[1]", "must be a decay, not another warmup", second.short)
    if main["lr"] != base:
        raise SpecError("SequentialLR.schedulers[1]", "must follow the optimizer's lr (OneCycleLR and CyclicLR "
                        "overwrite it)", second.short)
    main["warmup"] = {"steps": m, "shape": shape, "start_lr": base * factor}
    main["_warm"] = m
    main["_run"] = main["_run"] + m
    lines.append(f"SequentialLR: {first.short} warmup for {m} steps, then {second.short} on its own clock")
    return main


def finish(spec: dict[str, Any], scale: int, lines: list[str]) -> dict[str, Any]:
    """Turn scheduler-step durations into optimizer updates (× scale) and resolve the run length."""
    run = spec.pop("_run")
    warm = spec.pop("_warm", spec.get("warmup", {}).get("steps", 0))
    length = spec.pop("_length", None)
    out = dict(spec)
    out["total_steps"] = run * scale
    if "warmup" in out:
        out["warmup"] = {**out["warmup"], "steps": warm * scale}
    if length is not None and length != run - warm:
        out["main_steps"] = length * scale
    if scale != 1:
        sched = dict(out["schedule"])
        for key in ("step_size", "step_size_down", "period"):
            if sched.get(key) is not None:
                sched[key] = sched[key] * scale
        if "milestones" in sched:
            sched["milestones"] = [m * scale for m in sched["milestones"]]
        if sched["type"] == "exponential":
            sched["decay_steps"] = float(scale)
            sched["staircase"] = True
        out["schedule"] = sched
        out["steps_per_epoch"] = scale
        out["interval"] = "epoch"
    return out
