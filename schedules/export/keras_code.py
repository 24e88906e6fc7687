"""Export a spec as a Keras 3 ``lr_schedule`` (pass it as the optimizer's ``learning_rate``).

Keras evaluates ``schedule(optimizer.iterations)`` before each update, so update ``t`` uses ``lr(t)``,
as the engine does. Schedules compute in float32. A built-in schedule is used when it reproduces the
spec to float32 precision:

- cosine (no warmup, or a linear one): ``CosineDecay(initial_learning_rate=start_lr, decay_steps=D,
  alpha=min_lr / lr, warmup_target=lr, warmup_steps=W)``;
- linear, polynomial (1 <= power <= 4): ``PolynomialDecay``;
- exponential: ``ExponentialDecay`` when ``gamma`` survives float32 rounding (see ``native_gamma``).

Everything else (other warmups, step and multistep, whose ``PiecewiseConstantDecay`` accepts scalars
only, inverse_sqrt, restarts, WSD, cyclic, one-cycle) is a ``LearningRateSchedule`` subclass whose
``__call__`` is the engine's closed form in ``keras.ops`` (see :mod:`schedules.export.array_code`).
"""

from __future__ import annotations

import math

import numpy as np

from schedules.export.array_code import KERAS, body_lines, indent_block
from schedules.export.literals import header, integer, num, safe_comment, safe_str
from schedules.spec import Spec

#: Largest step count at which a float32 clock still floors ``step / decay_steps`` exactly.
FLOAT32_EXACT_STEPS = 1 << 24
#: Restarts given as ``cycles`` (Hugging Face's) are written out by the closed form.
EXTENSIONS = ("schedule.cycles",)
#: Native polynomial decay computes ``1 - step / D`` in float32; its error is scaled by ``power``.
POWER_RANGE = (1.0, 4.0)


def native_gamma(gamma: float) -> bool:
    """Whether ``gamma ** p`` with gamma rounded to float32 stays within 2e-7 of the lr for every p.

    Rounding gamma by a relative ``e`` changes ``gamma ** p`` by ``p * e * gamma ** p``, at most
    ``e / (E * |log gamma|)`` (E = Euler's number) over all p: tiny for 0.5 or 0.96, but 5e-6 for 0.999.
    """
    if gamma == 1.0:
        return True
    rounded = float(np.float32(gamma))
    if rounded == 0.0 or not np.isfinite(rounded):
        return False
    error = abs(rounded - gamma) / gamma / (math.e * abs(math.log(gamma)))
    return error <= 2e-7


def _native(spec: Spec) -> str | None:
    """The built-in Keras schedule expression reproducing the per-step curve, or None."""
    kind, p = spec.schedule.type, spec.schedule.as_dict()
    w, length, lr = spec.warmup.steps, spec.main_steps, spec.lr
    schedules = "keras.optimizers.schedules"
    if kind == "cosine" and (w == 0 or spec.warmup.shape == "linear"):
        args = [f"decay_steps={integer(length)}", f"alpha={num(p['min_lr'] / lr)}"]
        if w:
            args = [f"initial_learning_rate={num(spec.warmup.start_lr)}", *args,
                    f"warmup_target={num(lr)}", f"warmup_steps={integer(w)}"]
        else:
            args = [f"initial_learning_rate={num(lr)}", *args]
        return f"{schedules}.CosineDecay(" + ", ".join(args) + ")"
    if w:
        return None
    if kind == "linear" or (kind == "polynomial" and POWER_RANGE[0] <= p["power"] <= POWER_RANGE[1]):
        power = 1.0 if kind == "linear" else p["power"]
        return (f"{schedules}.PolynomialDecay(initial_learning_rate={num(lr)}, decay_steps={integer(length)}, "
                f"end_learning_rate={num(p['end_lr'])}, power={num(power)})")
    if kind == "exponential" and native_gamma(p["gamma"]):
        staircase = p["staircase"]
        if staircase and (not float(p["decay_steps"]).is_integer() or spec.total_steps > FLOAT32_EXACT_STEPS):
            return None
        return (f"{schedules}.ExponentialDecay(initial_learning_rate={num(lr)}, "
                f"decay_steps={num(p['decay_steps'])}, decay_rate={num(p['gamma'])}, staircase={staircase})")
    return None


def _wrap(call: str) -> str:
    """A call split one argument per line when it would pass the line length."""
    if len(call) <= 100:
        return call
    head, _, rest = call.partition("(")
    args = rest[:-1].split(", ")
    return head + "(\n" + "".join(f"    {a},\n" for a in args) + ")"


def _notes(spec: Spec) -> str:
    """Comments on param groups and momentum, which Keras optimizers do not have."""
    out = ""
    if spec.param_groups:
        out += ("# Param groups: Keras optimizers have no param groups. Each group's lr is lr × lr_scale: give a\n"
                "# group its own optimizer whose schedule multiplies lr_schedule(step) by the scale.\n")
        for g in spec.param_groups:
            out += f"#   group {safe_str(g.name)}: lr_scale {num(g.lr_scale)}\n"
    if spec.momentum is not None:
        out += (f"# Momentum: the spec cycles momentum between {num(spec.momentum.base)} and "
                f"{num(spec.momentum.max)} inversely to the lr;\n"
                "# that cycling is torch-only (OneCycleLR / CyclicLR). Keras keeps the optimizer's fixed momentum.\n")
    return out


def _clock_comment(spec: Spec) -> str:
    text = "# Advances once per optimizer update: Keras evaluates the schedule at optimizer.iterations.\n"
    if spec.interval == "epoch":
        text += (f"# Interval 'epoch': the lr is held for each epoch of {integer(spec.steps_per_epoch)} updates\n"
                 "# (evaluated at (step // steps_per_epoch) * steps_per_epoch).\n")
    return text


def render(spec: Spec) -> str:
    """Self-contained Keras 3 code defining ``lr_schedule`` for ``spec``."""
    head = header(spec, "Keras 3")
    family = safe_comment(spec.family.label)
    native = _native(spec)
    usage = "\n# Usage: optimizer = keras.optimizers.AdamW(learning_rate=lr_schedule)\n"
    if native is not None:
        kind = native.split("(")[0].rsplit(".", 1)[1]
        path = f"# Path: built-in keras.optimizers.schedules.{kind}, exact for this {family} spec.\n"
        if spec.interval != "epoch":
            code = "import keras\n\n" + path + _clock_comment(spec) + "lr_schedule = " + _wrap(native) + "\n"
            return head + code + usage + _notes(spec)
        spe = integer(spec.steps_per_epoch)
        code = (
            "import keras\nfrom keras import ops\n\n" + path + _clock_comment(spec) + "\n\n"
            "class PerEpoch(keras.optimizers.schedules.LearningRateSchedule):\n"
            '    """Holds the wrapped schedule\'s value through each epoch."""\n\n'
            "    def __init__(self, schedule, steps_per_epoch):\n"
            "        self.schedule = schedule\n"
            "        self.steps_per_epoch = steps_per_epoch\n\n"
            "    def __call__(self, step):\n"
            '        step = ops.cast(step, "int64")\n'
            "        return self.schedule((step // self.steps_per_epoch) * self.steps_per_epoch)\n\n"
            "    def get_config(self):\n"
            '        return {"steps_per_epoch": self.steps_per_epoch}\n\n\n'
            f"lr_schedule = PerEpoch({_wrap(native)}, {spe})\n"
        )
        return head + code + usage + _notes(spec)
    body = indent_block(body_lines(spec, KERAS, 'ops.cast(step, "int64")', " " * 8), " " * 8)
    imports = ("import math\n\n" if "math." in body else "") + "import keras\nfrom keras import ops\n\n"
    path = (f"# Path: closed form. No built-in Keras schedule reproduces this {family} spec exactly, so\n"
            "# __call__ writes the formula out with keras.ops in float32.\n")
    code = (
        imports + path + _clock_comment(spec) + "\n\n"
        "class SpecSchedule(keras.optimizers.schedules.LearningRateSchedule):\n"
        f'    """{family}: the lr used by optimizer update `step`."""\n\n'
        "    def __call__(self, step):\n" + body + "\n"
        "    def get_config(self):\n"
        "        return {}\n\n\n"
        "lr_schedule = SpecSchedule()\n"
    )
    return head + code + usage + _notes(spec)
