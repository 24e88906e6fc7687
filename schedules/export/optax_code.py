"""Export a spec as an optax schedule ``lr_schedule`` (pass it as the optimizer's ``learning_rate``).

optax calls ``schedule(count)`` with the update count (0 for the first update), so update ``t`` uses
``lr(t)``, as the engine does; JAX computes in float32 by default. Built-in schedules are used when they
reproduce the spec to float32 precision, joined to a linear or constant warmup with ``join_schedules``
(which runs the main schedule on ``count - W``):

- cosine: ``warmup_cosine_decay_schedule`` (``decay_steps`` is the total length, warmup included) or
  ``cosine_decay_schedule``; constant: ``constant_schedule``; linear: ``linear_schedule``;
- polynomial (1 <= power <= 4): ``polynomial_schedule``;
- exponential: ``exponential_decay`` when ``gamma`` survives float32 rounding;
- step and multistep: ``piecewise_constant_schedule`` (decays at ``count == milestone``, as torch).

Other warmups and families are a plain function of ``count`` in ``jax.numpy`` (the engine's closed form,
see :mod:`schedules.export.array_code`). A spec that cycles momentum (cyclic, one-cycle) also gets
``momentum_schedule(count)``, for ``optax.inject_hyperparams(optax.sgd)(..., momentum=momentum_schedule)``.
"""

from __future__ import annotations

from schedules.curve import warmup_target
from schedules.export.array_code import JNP, body_lines, indent_block
from schedules.export.keras_code import FLOAT32_EXACT_STEPS, POWER_RANGE, native_gamma
from schedules.export.literals import header, integer, num, safe_comment, safe_str
from schedules.spec import Spec

#: Most boundaries emitted for a step decay (one per decay); beyond that the closed form is shorter.
MAX_BOUNDARIES = 1000
#: Restarts given as ``cycles`` (Hugging Face's) are written out by the closed form.
EXTENSIONS = ("schedule.cycles",)


def _main_native(spec: Spec) -> str | None:
    """A built-in optax schedule for the main part (local clock), or None."""
    kind, p = spec.schedule.type, spec.schedule.as_dict()
    lr, length = spec.lr, spec.main_steps
    if kind == "constant":
        return f"optax.constant_schedule({num(lr)})"
    if kind == "linear":
        return (f"optax.linear_schedule(init_value={num(lr)}, end_value={num(p['end_lr'])}, "
                f"transition_steps={integer(length)})")
    if kind == "cosine":
        return (f"optax.cosine_decay_schedule(init_value={num(lr)}, decay_steps={integer(length)}, "
                f"alpha={num(p['min_lr'] / lr)})")
    if kind == "polynomial" and POWER_RANGE[0] <= p["power"] <= POWER_RANGE[1]:
        return (f"optax.polynomial_schedule(init_value={num(lr)}, end_value={num(p['end_lr'])}, "
                f"power={num(p['power'])}, transition_steps={integer(length)})")
    if kind == "exponential" and native_gamma(p["gamma"]):
        staircase = p["staircase"]
        if staircase and (not float(p["decay_steps"]).is_integer() or spec.total_steps > FLOAT32_EXACT_STEPS):
            return None
        return (f"optax.exponential_decay(init_value={num(lr)}, transition_steps={num(p['decay_steps'])}, "
                f"decay_rate={num(p['gamma'])}, staircase={staircase})")
    if kind in ("step", "multistep"):
        size = p["step_size"] if kind == "step" else 0
        if kind == "step" and (length - 1) // size > MAX_BOUNDARIES:
            return None
        milestones = list(range(size, length, size)) if kind == "step" else list(p["milestones"])
        if len(milestones) > MAX_BOUNDARIES:
            return None
        if not milestones:
            return f"optax.constant_schedule({num(lr)})"
        pairs = ", ".join(f"{integer(m)}: {num(p['gamma'])}" for m in milestones)
        return f"optax.piecewise_constant_schedule(init_value={num(lr)}, boundaries_and_scales={{{pairs}}})"
    return None


def _native(spec: Spec) -> str | None:
    """The whole schedule from built-ins (warmup joined), or None."""
    w, shape = spec.warmup.steps, spec.warmup.shape
    if spec.schedule.type == "cosine" and w and shape == "linear":
        return (f"optax.warmup_cosine_decay_schedule(init_value={num(spec.warmup.start_lr)}, "
                f"peak_value={num(spec.lr)}, warmup_steps={integer(w)}, decay_steps={integer(spec.total_steps)}, "
                f"end_value={num(spec.schedule.get('min_lr'))})")
    if w and shape not in ("linear", "constant"):
        return None
    main = _main_native(spec)
    if main is None or not w:
        return main
    start = num(spec.warmup.start_lr)
    if shape == "linear":
        warm = (f"optax.linear_schedule(init_value={start}, end_value={num(warmup_target(spec))}, "
                f"transition_steps={integer(w)})")
    else:
        warm = f"optax.constant_schedule({start})"
    return f"optax.join_schedules(schedules=[{warm}, {main}], boundaries=[{integer(w)}])"


def _format_call(call: str, indent: str = "") -> str:
    """Break a nested call expression one argument per line once it passes the line length."""
    if len(indent) + len(call) <= 100:
        return call
    head, _, rest = call.partition("(")
    args = _split_top(rest[:-1])
    inner = indent + "    "
    lines = []
    for a in args:
        name, eq, value = a.partition("=")
        if eq and value.startswith("[") and value.endswith("]") and "(" in value:
            items = _split_top(value[1:-1])
            body = "".join(f"{inner}    {_format_call(i, inner + '    ')},\n" for i in items)
            lines.append(f"{inner}{name}=[\n{body}{inner}],\n")
        elif eq and value.startswith("{") and len(inner) + len(a) > 100:
            items = _split_top(value[1:-1])
            body = "".join(f"{inner}    {i},\n" for i in items)
            lines.append(f"{inner}{name}={{\n{body}{inner}}},\n")
        else:
            lines.append(f"{inner}{_format_call(a, inner)},\n")
    return head + "(\n" + "".join(lines) + indent + ")"


def _split_top(text: str) -> list[str]:
    """The comma-separated items of ``text`` at bracket depth 0, stripped."""
    items, depth, current = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        depth += ch in "([{"
        depth -= ch in ")]}"
        current += ch
    if current.strip():
        items.append(current.strip())
    return items


def _notes(spec: Spec) -> str:
    out = ""
    if spec.param_groups:
        out += ("# Param groups: optax has no param groups. Each group's lr is lr × lr_scale, e.g. with\n"
                "# optax.multi_transform({name: optax.adamw(lambda count: lr_schedule(count) * lr_scale)}, labels):\n")
        for g in spec.param_groups:
            out += f"#   group {safe_str(g.name)}: lr_scale {num(g.lr_scale)}\n"
    return out


def _clock_comment(spec: Spec) -> str:
    text = "# Advances once per optimizer update: optax evaluates the schedule at the update count.\n"
    if spec.interval == "epoch":
        text += (f"# Interval 'epoch': the lr is held for each epoch of {integer(spec.steps_per_epoch)} updates\n"
                 "# (evaluated at (count // steps_per_epoch) * steps_per_epoch).\n")
    return text


def render(spec: Spec) -> str:
    """Self-contained optax code defining ``lr_schedule`` for ``spec``."""
    head = header(spec, "optax")
    family = safe_comment(spec.family.label)
    usage = "\n# Usage: optimizer = optax.adamw(learning_rate=lr_schedule)\n"
    native = _native(spec)
    if native is None:
        usage = "\n" + usage
    if native is not None:
        kind = native.split("(")[0]
        path = f"# Path: built-in {kind}, exact for this {family} spec.\n"
        if spec.interval != "epoch":
            code = "import optax\n\n" + path + _clock_comment(spec) + "lr_schedule = " + _format_call(native) + "\n"
            return head + code + usage + _notes(spec)
        spe = integer(spec.steps_per_epoch)
        code = (
            "import optax\n\n" + path + _clock_comment(spec)
            + "per_update = " + _format_call(native) + "\n\n\n"
            "def lr_schedule(count):\n"
            '    """The lr held through each epoch: per_update at the epoch\'s first update."""\n'
            f"    return per_update((count // {spe}) * {spe})\n"
        )
        return head + code + usage + _notes(spec)
    count = "jnp.asarray(count, dtype=jnp.int32)"
    body = indent_block(body_lines(spec, JNP, count, " " * 4), " " * 4)
    if spec.momentum is not None:
        body += (
            "\n\ndef momentum_schedule(count):\n"
            '    """Momentum (SGD) or b1 (Adam) for update `count`, cycled inversely to the lr\n'
            f'    (between {num(spec.momentum.base)} and {num(spec.momentum.max)})."""\n'
            + indent_block(body_lines(spec, JNP, count, " " * 4, momentum=True), " " * 4)
        )
        usage = (
            "\n\n# Usage, the momentum cycled as torch's OneCycleLR / CyclicLR do (inject_hyperparams evaluates\n"
            "# both schedules at the update count):\n"
            "#   optimizer = optax.inject_hyperparams(optax.sgd)(\n"
            "#       learning_rate=lr_schedule, momentum=momentum_schedule)\n"
            "#   Adam family: optax.inject_hyperparams(optax.adamw)(learning_rate=lr_schedule, b1=momentum_schedule)\n"
        )
    imports = ("import math\n\n" if "math." in body else "") + "import jax.numpy as jnp\n\n"
    path = (f"# Path: closed form. No built-in optax schedule reproduces this {family} spec exactly, so the\n"
            "# formula is written out with jax.numpy in float32.\n")
    code = (
        imports + path + _clock_comment(spec) + "\n\n"
        "def lr_schedule(count):\n"
        f'    """{family}: the lr used by update `count`."""\n' + body
    )
    return head + code + usage + _notes(spec)
