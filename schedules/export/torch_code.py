"""Export a spec as PyTorch code: ``build_scheduler(optimizer)`` returning an ``lr_scheduler``.

Native schedulers are used where one reproduces the spec exactly (ConstantLR, LinearLR, CosineAnnealingLR,
PolynomialLR, ExponentialLR, StepLR, MultiStepLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR, and
SequentialLR([LinearLR or ConstantLR warmup, main]) with milestone W: torch starts the main scheduler at
local step 0 on step W, as the spec does). Everything else is a LambdaLR over the closed form of
:mod:`schedules.export.python_code` (LambdaLR multiplies each group's ``initial_lr`` by the factor).
Recursive (chainable) schedulers drift about one ulp per step, so they are used up to
:data:`MAX_RECURSIVE` scheduler steps; longer runs use the closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

from schedules.errors import SpecError
from schedules.export.literals import header, integer, num, safe_str
from schedules.export.python_code import closed_form, imports
from schedules.spec import Spec

MAX_RECURSIVE = 1_000_000
#: The later spec v1 fields this export writes exactly: natively where a torch scheduler runs them
#: (CosineAnnealingLR is periodic past T_max; LinearLR and PolynomialLR hold their end past total_iters), else
#: through the closed form, which handles them all.
EXTENSIONS = ("warmup.steps", "main_steps", "schedule.periodic", "schedule.cycles")


class NotNative(Exception):
    """No native scheduler reproduces the spec; carries the field that decided it."""

    def __init__(self, field: str, rule: str = "", value: object = None) -> None:
        super().__init__(field)
        self.field, self.rule, self.value = field, rule, value


@dataclass(frozen=True)
class Plan:
    """How the snippet builds its scheduler: the expression, a one-line description and the path."""

    expr: str
    label: str
    native: bool
    momentum: bool = False
    pre: str = ""


def stepping(spec: Spec, per_update: bool = False) -> str:
    """The comment saying how often to step."""
    if spec.interval == "epoch" and not per_update:
        return (f"# Step it once per epoch ({integer(spec.steps_per_epoch or 1)} updates): call scheduler.step() "
                "after each epoch.")
    return "# Step it once per optimizer update: call scheduler.step() right after optimizer.step()."


def _dur(spec: Spec, steps: float, field: str) -> int:
    """A duration in scheduler steps: updates, or whole epochs for per-epoch stepping."""
    if spec.interval == "step":
        return int(steps)
    spe = spec.steps_per_epoch or 1
    if steps % spe:
        raise NotNative(field, f"must be a whole number of epochs (steps_per_epoch {spe}) to export per-epoch "
                        "stepping", steps)
    return int(steps // spe)


def _scaled(spec: Spec, value: float) -> str:
    """A per-group list ``[value * scale, ...]`` (scales from the spec) as a literal expression."""
    return f"[{num(value)} * scale for scale in scales]"


def _uniform_floor(spec: Spec, floor: float, field: str) -> None:
    """torch's eta_min is one absolute floor for every group; scaled groups need a floor of 0."""
    if floor != 0.0 and any(g.lr_scale != 1.0 for g in spec.param_groups):
        raise NotNative(field)


def _recursive(spec: Spec, n_steps: int, field: str) -> None:
    if n_steps > MAX_RECURSIVE:
        raise NotNative(field)


def _runs_past_main(spec: Spec) -> bool:
    """Whether some update runs the main schedule past its end (u > D)."""
    return spec.main_offset + spec.main_steps < spec.total_steps - 1


def _main_native(spec: Spec) -> tuple[str, str]:
    p = spec.schedule.as_dict()
    kind = spec.schedule.type
    d = spec.main_steps
    n_sched = spec.total_steps if spec.interval == "step" else -(-spec.total_steps // (spec.steps_per_epoch or 1))
    if kind == "constant":
        return "lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)", "ConstantLR"
    if kind == "linear":
        _recursive(spec, n_sched, "total_steps")
        end = _dur(spec, d, "total_steps")
        return (f"lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor={num(p['end_lr'] / spec.lr)}, "
                f"total_iters={integer(end)})"), "LinearLR"
    if kind == "cosine":
        _recursive(spec, n_sched, "total_steps")
        _uniform_floor(spec, p["min_lr"], "schedule.min_lr")
        if _runs_past_main(spec) and not p["periodic"]:
            raise NotNative("main_steps")  # CosineAnnealingLR would rise again past T_max; the spec holds
        t_max = _dur(spec, d, "total_steps")
        return (f"lr_scheduler.CosineAnnealingLR(optimizer, T_max={integer(t_max)}, eta_min={num(p['min_lr'])})",
                "CosineAnnealingLR")
    if kind == "polynomial":
        _recursive(spec, n_sched, "total_steps")
        if p["end_lr"] != 0.0:
            raise NotNative("schedule.end_lr")
        t = _dur(spec, d, "total_steps")
        return (f"lr_scheduler.PolynomialLR(optimizer, total_iters={integer(t)}, power={num(p['power'])})",
                "PolynomialLR")
    if kind == "exponential":
        if p["staircase"]:
            k = p["decay_steps"]
            if not float(k).is_integer():
                raise NotNative("schedule.decay_steps")
            size = _dur(spec, k, "schedule.decay_steps")
            return (f"lr_scheduler.StepLR(optimizer, step_size={integer(size)}, gamma={num(p['gamma'])})",
                    "StepLR (staircase exponential)")
        _recursive(spec, n_sched, "total_steps")
        if p["decay_steps"] != 1.0 or spec.interval == "epoch":
            raise NotNative("schedule.decay_steps")
        return f"lr_scheduler.ExponentialLR(optimizer, gamma={num(p['gamma'])})", "ExponentialLR"
    if kind == "step":
        size = _dur(spec, p["step_size"], "schedule.step_size")
        return (f"lr_scheduler.StepLR(optimizer, step_size={integer(size)}, gamma={num(p['gamma'])})", "StepLR")
    if kind == "multistep":
        ms = [_dur(spec, m, "schedule.milestones") for m in p["milestones"]]
        return (f"lr_scheduler.MultiStepLR(optimizer, milestones=[{', '.join(integer(m) for m in ms)}], "
                f"gamma={num(p['gamma'])})", "MultiStepLR")
    if kind == "cosine_restarts":
        if p["cycles"] is not None:
            raise NotNative("schedule.cycles")
        if p["peak_decay"] != 1.0:
            raise NotNative("schedule.peak_decay")
        if not float(p["period_mult"]).is_integer():
            raise NotNative("schedule.period_mult")
        _uniform_floor(spec, p["min_lr"], "schedule.min_lr")
        t0 = _dur(spec, p["period"], "schedule.period")
        return (f"lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0={integer(t0)}, "
                f"T_mult={integer(int(p['period_mult']))}, eta_min={num(p['min_lr'])})", "CosineAnnealingWarmRestarts")
    if kind == "cyclic":
        if p["mode"] == "exp_range" and spec.interval == "epoch":
            raise NotNative("interval")
        up = _dur(spec, p["step_size"], "schedule.step_size")
        down_steps = p["step_size_down"] if p["step_size_down"] is not None else p["step_size"]
        down = _dur(spec, down_steps, "schedule.step_size_down")
        mom = _momentum_kwargs(spec)
        return (
            "lr_scheduler.CyclicLR(\n"
            f"        optimizer, base_lr={_scaled(spec, p['min_lr'])}, max_lr={_scaled(spec, spec.lr)},\n"
            f"        step_size_up={integer(up)}, step_size_down={integer(down)}, mode={p['mode']!r}, "
            f"gamma={num(p['gamma'])},\n"
            f"        {mom},\n    )"
        ), "CyclicLR"
    if kind == "one_cycle":
        if spec.interval == "epoch":
            # Its phase ends sit at pct_start * T - 1, which does not scale from updates to epochs.
            raise NotNative("interval", "must be 'step' to export one_cycle natively", spec.interval)
        if d < spec.total_steps - spec.main_offset:
            raise NotNative("main_steps", "must cover the run to export one_cycle natively (OneCycleLR raises "
                            "when stepped past total_steps)", d)
        mom = _momentum_kwargs(spec)
        return (
            "lr_scheduler.OneCycleLR(\n"
            f"        optimizer, max_lr={_scaled(spec, spec.lr)}, total_steps={integer(d)},\n"
            f"        pct_start={num(p['pct_start'])}, anneal_strategy={p['anneal']!r}, "
            f"div_factor={num(p['div_factor'])},\n"
            f"        final_div_factor={num(p['final_div_factor'])}, three_phase={p['three_phase']!r},\n"
            f"        {mom},\n    )"
        ), "OneCycleLR"
    raise NotNative("schedule.type")


def _momentum_kwargs(spec: Spec) -> str:
    if spec.momentum is None:
        return "cycle_momentum=False"
    return (f"cycle_momentum=True, base_momentum={num(spec.momentum.base)}, "
            f"max_momentum={num(spec.momentum.max)}")


def _warmup_native(spec: Spec) -> tuple[str, str]:
    w = spec.warmup
    if spec.schedule.type in ("cyclic", "one_cycle"):
        # Both schedulers overwrite the group lr / initial_lr themselves, so they cannot follow a warmup.
        raise NotNative("warmup.steps", "must be 0 to export cyclic / one_cycle momentum", w.steps)
    factor = w.start_lr / spec.lr
    n = _dur(spec, w.steps, "warmup.steps")
    if w.shape == "linear" and 0.0 < factor <= 1.0:
        return (f"lr_scheduler.LinearLR(optimizer, start_factor={num(factor)}, end_factor=1.0, "
                f"total_iters={integer(n)})"), "LinearLR"
    if w.shape == "constant" and 0.0 <= factor <= 1.0:
        return f"lr_scheduler.ConstantLR(optimizer, factor={num(factor)}, total_iters={integer(n)})", "ConstantLR"
    raise NotNative("warmup.shape")


def native_plan(spec: Spec) -> Plan:
    """The native scheduler expression for ``spec``; raises :class:`NotNative` when there is none."""
    main, label = _main_native(spec)
    if not spec.warmup.steps:
        pre = ""
        if spec.schedule.type == "cyclic":
            # CyclicLR's first value is the group's current lr; start the groups at base_lr.
            floor = num(spec.schedule.get("min_lr"))
            pre = ("    for group, scale in zip(optimizer.param_groups, scales, strict=True):\n"
                   f'        group["lr"] = group["initial_lr"] = {floor} * scale\n')
        return Plan(main, label, True, spec.momentum is not None, pre)
    warm, wlabel = _warmup_native(spec)
    milestone = _dur(spec, spec.warmup.steps, "warmup.steps")
    if spec.schedule.type == "cosine_restarts":
        # SequentialLR re-enters CosineAnnealingWarmRestarts through get_lr() at local step 0, which
        # reads its stale T_cur; keep restarts after a warmup in closed form.
        raise NotNative("warmup.steps")
    expr = (
        "lr_scheduler.SequentialLR(\n"
        "        optimizer,\n"
        f"        [{warm},\n         {main}],\n"
        f"        milestones=[{integer(milestone)}],\n    )"
    )
    return Plan(expr, f"SequentialLR([{wlabel}, {label}])", True)


def plan(spec: Spec, per_update: bool = False) -> Plan:
    """Native when exact, else the closed form; momentum specs must be native (LambdaLR has no momentum).

    ``per_update`` is for callers that step every update whatever the spec's interval (transformers'
    Trainer): a per-epoch spec then becomes the closed form, which holds the lr through each epoch itself.
    """
    if per_update and spec.interval == "epoch":
        if spec.momentum is not None:
            raise SpecError("interval", "must be 'step' to export cycled momentum for a scheduler stepped every "
                            "update", spec.interval)
        return Plan("lr_scheduler.LambdaLR(optimizer, lambda step: lr_at(step) / LR)", "LambdaLR", False)
    try:
        return native_plan(spec)
    except NotNative as exc:
        if spec.momentum is not None:
            if exc.rule:
                raise SpecError(exc.field, exc.rule, exc.value) from None
            raise SpecError(exc.field, "cannot be exported with cycled momentum (torch cycles momentum only in "
                            "native CyclicLR / OneCycleLR); drop momentum to export the closed form") from None
    factor = "lr_at(step * STEPS_PER_EPOCH) / LR" if spec.interval == "epoch" else "lr_at(step) / LR"
    return Plan(f"lr_scheduler.LambdaLR(optimizer, lambda step: {factor})", "LambdaLR", False)


def groups_block(spec: Spec, set_initial: bool = True) -> str:
    """``LR_SCALES`` and ``set_group_lrs(optimizer)``: each group's lr = LR * its scale, in order."""
    if spec.param_groups:
        names = "".join(f"    {safe_str(g.name)},\n" for g in spec.param_groups)
        scales = ", ".join(num(g.lr_scale) for g in spec.param_groups)
        head = (f"GROUP_NAMES = (\n{names})  # the optimizer's param groups, in this order\n"
                f"LR_SCALES = ({scales},)  # lr multiplier per group\n")
        get = "LR_SCALES"
    else:
        head = "LR_SCALES = None  # one lr for every param group\n"
        get = "LR_SCALES or (1.0,) * len(optimizer.param_groups)"
    initial = '        group["initial_lr"] = LR * scale  # what the scheduler multiplies\n' if set_initial else ""
    return (
        head + "\n\n"
        "def set_group_lrs(optimizer) -> tuple:\n"
        '    """Set every param group\'s lr from the spec (the lr the optimizer was built with is ignored)."""\n'
        f"    scales = {get}\n"
        "    if len(scales) != len(optimizer.param_groups):\n"
        '        raise ValueError(f"expected {len(scales)} param groups, got {len(optimizer.param_groups)}")\n'
        "    for group, scale in zip(optimizer.param_groups, scales, strict=True):\n"
        '        group["lr"] = LR * scale\n'
        + initial +
        "    return scales\n"
    )


def body(spec: Spec, per_update: bool = False) -> tuple[str, set[str], Plan]:
    """Module body (after imports) defining ``build_scheduler(optimizer)``, the stdlib imports it needs,
    and the plan taken."""
    chosen = plan(spec, per_update)
    used: set[str] = set()
    if chosen.native:
        consts = f"LR = {num(spec.lr)}  # peak learning rate\n"
    else:
        consts, used = closed_form(spec)
        if spec.interval == "epoch" and not per_update:
            consts += f"\n\nSTEPS_PER_EPOCH = {integer(spec.steps_per_epoch or 1)}\n"
    build = (
        "def build_scheduler(optimizer):\n"
        '    """Set the groups\' lrs from the spec and return the scheduler."""\n'
        + ("    scales = set_group_lrs(optimizer)\n" if "scales" in chosen.expr else "    set_group_lrs(optimizer)\n")
        + chosen.pre
        + f"    return {chosen.expr}\n"
    )
    text = consts + "\n\n" + groups_block(spec) + "\n\n" + build
    return text, used, chosen


def path_comment(chosen: Plan) -> str:
    if chosen.native:
        return f"# Path: native torch scheduler, {chosen.label}.\n"
    return "# Path: closed form (LambdaLR over lr_at); no native torch scheduler reproduces this spec exactly.\n"


def render(spec: Spec, per_update: bool = False) -> str:
    """Self-contained PyTorch code defining ``build_scheduler(optimizer)``; ``per_update`` forces a
    scheduler stepped after every update even for a per-epoch spec (see :func:`plan`)."""
    text, used, chosen = body(spec, per_update)
    usage = (
        "\n\n# Usage:\n"
        "#     optimizer = torch.optim.AdamW(model.parameters())  # any lr: build_scheduler sets it\n"
        "#     scheduler = build_scheduler(optimizer)\n"
        f"{stepping(spec, per_update)}\n"
    )
    if chosen.momentum:
        usage += "# Momentum (SGD momentum or Adam beta1) is cycled too.\n"
    return (header(spec, "PyTorch") + path_comment(chosen) + stepping(spec, per_update) + "\n\n"
            + imports(used) + ("\n" if used else "") + "from torch.optim import lr_scheduler\n\n" + text + usage)
