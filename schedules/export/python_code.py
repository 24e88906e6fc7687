"""Export a spec as a dependency-free Python function ``lr_at(step) -> float``.

The body mirrors the engine's formulas (``schedules.families`` and ``schedules.curve``) expression by
expression, with every number written as a literal, so ``lr_at(t)`` equals ``schedules.curve(spec)[t]`` to a
few ulps. The torch, transformers, timm and Lightning exporters reuse :func:`closed_form` when no native
scheduler reproduces a spec exactly.
"""

from __future__ import annotations

from schedules.curve import warmup_target
from schedules.export.literals import header, integer, num, safe_comment
from schedules.families import Ctx, _one_cycle_phases, wsd_decay_steps
from schedules.spec import Spec

#: The later spec v1 fields the closed form writes exactly: it runs the main schedule on ``step - W`` over
#: ``D = spec.main_steps`` steps whatever D is, and a warmup as long as the run is its first branch throughout.
EXTENSIONS = ("warmup.steps", "main_steps", "schedule.periodic", "schedule.cycles")


def _main_body(spec: Spec) -> tuple[list[str], set[str]]:
    """Lines of ``_main(u)`` (u = float steps since warmup) and the stdlib modules they use."""
    p = spec.schedule.as_dict()
    kind = spec.schedule.type
    d = num(spec.main_steps)
    lr = "LR"
    if kind == "constant":
        return [f"return {lr}"], set()
    if kind == "linear":
        end = num(p["end_lr"])
        return [f"return {end} + ({lr} - {end}) * max(({d} - u) / {d}, 0.0)"], set()
    if kind == "cosine":
        lo = num(p["min_lr"])
        if p["periodic"]:
            # torch CosineAnnealingLR past T_max: cos(pi u / D) at u's mirror in [0, D] (the engine's fold).
            two = num(2.0 * spec.main_steps)
            clock = [f"m = u % {two}", f"x = min(m, {two} - m) / {d}"]
        else:
            clock = [f"x = min(u, {d}) / {d}"]
        return [*clock, f"return (math.cos(x * math.pi) + 1.0) * 0.5 * ({lr} - {lo}) + {lo}"], {"math"}
    if kind == "polynomial":
        end = num(p["end_lr"])
        return [f"return ({lr} - {end}) * (1.0 - min(u, {d}) / {d}) ** {num(p['power'])} + {end}"], set()
    if kind == "exponential":
        lines = [f"p = u / {num(p['decay_steps'])}"]
        used = set()
        if p["staircase"]:
            lines.append("p = float(math.floor(p))")
            used.add("math")
        return [*lines, f"return {lr} * {num(p['gamma'])} ** p"], used
    if kind == "step":
        return [f"return {lr} * {num(p['gamma'])} ** (u // {num(p['step_size'])})"], set()
    if kind == "multistep":
        milestones = ", ".join(num(m) for m in p["milestones"])
        return [
            f"milestones = ({milestones},)",
            f"return {lr} * {num(p['gamma'])} ** float(bisect.bisect_right(milestones, u))",
        ], {"bisect"}
    if kind == "inverse_sqrt":
        tau = num(p["timescale"])
        return [f"return {lr} * (1.0 / math.sqrt((u + {tau}) / {tau}))"], {"math"}
    if kind == "cosine_restarts":
        return _restarts_body(spec), {"math"}
    if kind == "wsd":
        return _wsd_body(spec)
    if kind == "cyclic":
        return _cyclic_body(spec), {"math"}
    if kind == "one_cycle":
        return _one_cycle_body(spec), ({"math"} if p["anneal"] == "cos" else set())
    raise NotImplementedError(kind)  # pragma: no cover - every registry family is handled above


def _restarts_body(spec: Spec) -> list[str]:
    p = spec.schedule.as_dict()
    if p["cycles"] is not None:
        # Hugging Face cosine_with_restarts: the phase (cycles * (u / D)) % 1, held at min_lr from u = D.
        lo, d = num(p["min_lr"]), num(spec.main_steps)
        return [
            f"if u >= {d}:",
            f"    return {lo}",
            f"x = ({num(p['cycles'])} * (u / {d})) % 1.0",
            f"return {lo} + (LR - {lo}) * (0.5 * (1.0 + math.cos(math.pi * x)))",
        ]
    period, mult, lo = num(p["period"]), float(p["period_mult"]), num(p["min_lr"])
    if mult == 1.0:
        lines = [f"i = u // {period}", f"t_cur = u - i * {period}", f"t_i = {period}"]
    else:
        m = num(mult)
        lines = [
            "# cycle i starts at P * (m**i - 1) / (m - 1); the log estimate is corrected by one either way",
            f"i = float(math.floor(math.log1p(u / {period} * ({m} - 1.0)) / math.log({m})))",
            f"if {period} * ({m} ** i - 1.0) / ({m} - 1.0) > u:",
            "    i -= 1.0",
            f"if {period} * ({m} ** (i + 1.0) - 1.0) / ({m} - 1.0) <= u:",
            "    i += 1.0",
            f"t_cur = u - {period} * ({m} ** i - 1.0) / ({m} - 1.0)",
            f"t_i = {period} * {m} ** i",
        ]
    peak = f"LR * {num(p['peak_decay'])} ** i" if p["peak_decay"] != 1.0 else "LR"
    return [*lines, f"return {lo} + ({peak} - {lo}) * (1.0 + math.cos(math.pi * t_cur / t_i)) / 2.0"]


def _wsd_body(spec: Spec) -> tuple[list[str], set[str]]:
    p = spec.schedule.as_dict()
    lo, shape = num(p["min_lr"]), p["shape"]
    decay = wsd_decay_steps(spec.ctx())
    stable_end = spec.main_steps - decay
    lines = [f"into = max(u - {num(stable_end)}, 0.0)"]
    if shape == "exponential":
        return [*lines, f"return max({lo}, LR * 0.5 ** (into / {num(p['half_life'])}))"], set()
    lines.append(f"frac = min(into / {num(decay)}, 1.0)")
    used: set[str] = set()
    if shape == "linear":
        lines.append("f = 1.0 - frac")
    elif shape == "cosine":
        lines.append("f = 0.5 * (1.0 + math.cos(math.pi * 1.0 * frac))")
        used.add("math")
    else:
        lines.append("f = 1.0 - math.sqrt(frac)")
        used.add("math")
    return [*lines, f"return {lo} + (LR - {lo}) * f"], used


def _cyclic_body(spec: Spec) -> list[str]:
    p = spec.schedule.as_dict()
    up = float(p["step_size"])
    down = float(p["step_size_down"]) if p["step_size_down"] is not None else up
    total = up + down
    lines = [
        f"cycle = math.floor(1.0 + u / {num(total)})",
        f"x = 1.0 + u / {num(total)} - cycle",
        f"ratio = {num(up / total)}",
        "s = x / ratio if x <= ratio else (x - 1.0) / (ratio - 1.0)",
    ]
    if p["mode"] == "triangular":
        lines.append("g = 1.0")
    elif p["mode"] == "triangular2":
        lines.append("g = 1.0 / (2.0 ** (cycle - 1.0))")
    else:
        lines.append(f"g = {num(p['gamma'])} ** u")
    lo = num(p["min_lr"])
    return [*lines, f"return {lo} + ((LR - {lo}) * s) * g"]


def _one_cycle_body(spec: Spec) -> list[str]:
    p = spec.schedule.as_dict()
    initial = spec.lr / p["div_factor"]
    levels = {"initial": initial, "max": spec.lr, "min": initial / p["final_div_factor"]}
    phases = _one_cycle_phases(Ctx(lr=spec.lr, length=spec.main_steps, params=p))
    lines = [f"u = min(u, {num(spec.main_steps - 1.0)})"]
    start = 0.0
    for k, (end_step, a, b) in enumerate(phases):
        last = k == len(phases) - 1
        pct = f"(u - {num(start)}) / ({num(end_step)} - {num(start)})"
        lo_v, hi_v = num(levels[a]), num(levels[b])
        if p["anneal"] == "cos":
            value = f"{hi_v} + ({lo_v} - {hi_v}) / 2.0 * (math.cos(math.pi * pct) + 1)"
        else:
            value = f"({hi_v} - {lo_v}) * pct + {lo_v}"
        if last:
            lines += [f"pct = {pct}", f"return {value}"]
        else:
            lines += [f"if u <= {num(end_step)}:", f"    pct = {pct}", f"    return {value}"]
        start = end_step
    return lines


def _warmup_lines(spec: Spec) -> tuple[list[str], set[str]]:
    w = spec.warmup
    start, wn = num(w.start_lr), num(w.steps)
    if w.shape == "linear":
        return [f"return {start} + (WARMUP_TARGET - {start}) * (t / {wn})"], set()
    if w.shape == "cosine":
        return [f"return {start} + (WARMUP_TARGET - {start}) * (1.0 - math.cos(math.pi * t / {wn})) / 2.0"], {"math"}
    if w.shape == "exponential":
        return [f"return {start} * (WARMUP_TARGET / {start}) ** (t / {wn})"], set()
    if w.shape == "quadratic":
        return [f"return {start} + (WARMUP_TARGET - {start}) * (t / {wn}) ** 2"], set()
    return [f"return {start}"], set()


def closed_form(spec: Spec, name: str = "lr_at") -> tuple[str, set[str]]:
    """Module-level source defining ``LR`` and ``{name}(step: int) -> float`` (plus helpers), and the
    stdlib modules it needs. ``{name}`` takes the optimizer-update index and applies the spec's
    per-epoch hold itself."""
    main, used = _main_body(spec)
    out = [
        f"LR = {num(spec.lr)}  # peak learning rate",
        "",
        "",
        "def _main(u: float) -> float:",
        f'    """The main schedule ({safe_comment(spec.family.label, 60)}) at u steps after warmup."""',
        *("    " + line for line in main),
        "",
        "",
    ]
    w = spec.warmup.steps
    if w:
        warm, wused = _warmup_lines(spec)
        used |= wused
        out[1:1] = [f"WARMUP_TARGET = {num(warmup_target(spec))}  # the main schedule's value where warmup ends"]
        out += [
            "def _warmup(t: float) -> float:",
            f'    """{spec.warmup.shape.capitalize()} warmup from start_lr to WARMUP_TARGET over {w} steps."""',
            *("    " + line for line in warm),
            "",
            "",
        ]
    out += [f"def {name}(step: int) -> float:", '    """Learning rate used by optimizer update `step` (0-based)."""']
    if spec.interval == "epoch":
        spe = integer(spec.steps_per_epoch or 1)
        out.append(f"    step = (step // {spe}) * {spe}  # the scheduler steps once per epoch of {spe} updates")
    if w:
        out += [f"    if step < {integer(w)}:", "        return _warmup(float(step))",
                f"    return _main(float(step - {integer(w)}))"]
    else:
        out.append("    return _main(float(step))")
    return "\n".join(out) + "\n", used


def imports(used: set[str]) -> str:
    """``import`` lines for the stdlib modules in ``used``, sorted."""
    return "".join(f"import {m}\n" for m in sorted(used))


def render(spec: Spec) -> str:
    """A self-contained ``lr_at(step)`` in plain Python (no dependencies)."""
    body, used = closed_form(spec)
    how = "per update" if spec.interval == "step" else f"once per epoch ({spec.steps_per_epoch} updates)"
    usage = (
        "\n\n# Usage: before optimizer update `step` (0-based), set the lr to lr_at(step), e.g.\n"
        "#     for group in optimizer.param_groups: group['lr'] = lr_at(step) * scale_of(group)\n"
        f"# The schedule changes {how}; lr_at already holds the lr within an epoch.\n"
        f"# Total updates: {integer(spec.total_steps)}.\n"
    )
    if spec.param_groups:
        usage += "# Param-group lr scales, in order:\n"
        usage += "".join(f"#     x{num(g.lr_scale)}  {safe_comment(g.name, 60)}\n" for g in spec.param_groups)
    head = header(spec, "plain Python") + "# Path: closed form (pure Python, no framework needed).\n"
    return head + "\n" + (imports(used) + "\n" if used else "") + body + usage
