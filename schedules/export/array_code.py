"""Closed-form lr code in an array dialect (``keras.ops`` or ``jax.numpy``), exact in float32.

Keras and optax evaluate schedules in float32 (~6e-8 relative). Written naively, a few of the engine's
float64 formulas lose far more than that in float32, so every expression here is arranged to keep the
error near one float32 rounding of the lr:

- step counts stay integers: ``u // step_size``, ``u % period``, epoch flooring and phase tests are integer
  arithmetic (exact for any step a run can reach), and only then is a count cast to float32;
- ``gamma ** n`` becomes ``exp(n * log(gamma))`` with ``log(gamma)`` computed in float64 (rounding gamma
  itself to float32 would put an error of ``n * 6e-8`` in the exponent);
- ``1 - u / D`` becomes ``(D - u) / D`` (the subtraction is exact on integers);
- restart cycles are looked up in tables computed in float64 by the engine's own rule.

``main_lines`` and ``warmup_lines`` return source lines that assign ``main`` (from ``u``, the int local
clock, and ``uf``, its float32 value) and ``warm`` (from ``tw``, the float32 step clamped to the warmup);
``momentum_lines`` assigns ``main`` for the momentum that cyclic and one-cycle schedules cycle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from schedules.curve import momentum_curve, warmup_target
from schedules.errors import SpecError
from schedules.export.literals import integer, num
from schedules.families import _one_cycle_phases, hf_cycle_starts, wsd_decay_steps
from schedules.spec import Spec

#: Most restart cycles a table may hold (period_mult close to 1 would need millions).
MAX_CYCLES = 4096
#: Exponents are clamped here so a vanishing decay_steps or half_life stays a finite literal;
#: exp(-1e30 * n) is 0 for every n >= 1 and 1 for n = 0, as the float64 formula gives.
_MOST_NEGATIVE_RATE = -1e30
_WRAP = 100


@dataclass(frozen=True)
class Dialect:
    """How one array library spells casts and constant arrays."""

    xp: str
    int_dtype: str
    float_cast: Callable[[str], str]
    int_array: Callable[[str], str]
    float_array: Callable[[str], str]

    def f(self, expr: str) -> str:
        return self.float_cast(expr)


KERAS = Dialect(
    xp="ops",
    int_dtype='"int64"',
    float_cast=lambda e: f'ops.cast({e}, "float32")',
    int_array=lambda items: f'ops.convert_to_tensor({items}, dtype="int64")',
    float_array=lambda items: f'ops.convert_to_tensor({items}, dtype="float32")',
)
JNP = Dialect(
    xp="jnp",
    int_dtype="jnp.int32",
    float_cast=lambda e: f"jnp.asarray({e}, dtype=jnp.float32)",
    int_array=lambda items: f"jnp.asarray({items}, dtype=jnp.int32)",
    float_array=lambda items: f"jnp.asarray({items}, dtype=jnp.float32)",
)


def rate(log_factor: float, per: float) -> float:
    """``log_factor / per`` as a finite exponent rate (see ``_MOST_NEGATIVE_RATE``)."""
    value = log_factor / per
    return max(value, _MOST_NEGATIVE_RATE) if math.isfinite(value) else _MOST_NEGATIVE_RATE


def log_of(x: float) -> float:
    """``log(x)`` for a factor in (0, 1], clamped like :func:`rate` for subnormal factors."""
    return max(math.log(x), _MOST_NEGATIVE_RATE)


def list_literal(values: Sequence[str], indent: str) -> str:
    """A list literal wrapped to stay inside the line length."""
    lines: list[str] = []
    current = ""
    for v in values:
        piece = v + ", "
        if current and len(indent) + 4 + len(current) + len(piece) > _WRAP:
            lines.append(current.rstrip())
            current = ""
        current += piece
    lines.append(current.rstrip().rstrip(","))
    # One line when it leaves room for the assignment and cast around it (about 60 characters).
    if len(lines) == 1 and len(indent) + len(lines[0]) <= _WRAP - 60:
        return "[" + lines[0] + "]"
    inner = "\n".join(indent + "    " + line for line in lines)
    return "[\n" + inner + "\n" + indent + "]"


def _ints(d: Dialect, values: Sequence[int], indent: str) -> str:
    return d.int_array(list_literal([integer(v) for v in values], indent))


def _floats(d: Dialect, values: Sequence[float], indent: str) -> str:
    return d.float_array(list_literal([num(v) for v in values], indent))


def _restart_tables(spec: Spec) -> tuple[list[int], list[float], list[float], list[float]]:
    """Per cycle: first integer step, its offset into the cycle, cycle length and peak (engine rule)."""
    p = spec.schedule.as_dict()
    period, mult = float(p["period"]), float(p["period_mult"])
    length = spec.main_steps
    count = 1
    while period * (mult**count - 1.0) / (mult - 1.0) < length:
        count += 1
        if count > MAX_CYCLES:
            raise SpecError(
                "schedule.period_mult",
                f"gives more than {MAX_CYCLES} restart cycles, too many to tabulate exactly",
                p["period_mult"],
            )
    k = np.arange(count, dtype=np.float64)
    starts = period * (np.power(mult, k) - 1.0) / (mult - 1.0)
    first = np.ceil(starts)
    peaks = spec.lr * np.power(p["peak_decay"], k) if p["peak_decay"] != 1.0 else np.full(count, spec.lr)
    return (
        [int(x) for x in first],
        [float(x) for x in first - starts],
        [float(x) for x in period * np.power(mult, k)],
        [float(x) for x in peaks],
    )


def _hf_cycle_tables(spec: Spec) -> tuple[list[int], list[float]]:
    """HF restarts (``cycles``): per cycle k, its first integer step (where HF's own index
    ``floor(cycles * (u / D))`` reaches k, found in float64 with HF's expression) and that step's offset
    past the exact start ``k D / cycles``."""
    p = spec.schedule.as_dict()
    cycles, length = float(p["cycles"]), spec.main_steps
    count = math.ceil(cycles)
    if count > MAX_CYCLES:
        raise SpecError("schedule.cycles", f"gives more than {MAX_CYCLES} restart cycles, too many to tabulate "
                        "exactly", p["cycles"])

    first = hf_cycle_starts(cycles, length, count)
    return first, [g - k * length / cycles for k, g in enumerate(first)]


def _hf_restarts_lines(spec: Spec, d: Dialect, indent: str) -> list[str]:
    """HF ``cosine_with_restarts`` in float32: the cycle from a table (integer steps, so the restart lands
    where HF's float64 phase puts it) and the phase ``(u - first + offset) / (D / cycles)`` from a short
    float32 count; ``min_lr`` from ``u = D`` on."""
    xp, f = d.xp, d.f
    p = spec.schedule.as_dict()
    lo, length = p["min_lr"], spec.main_steps
    first, offset = _hf_cycle_tables(spec)
    return [
        f"cycle_first = {_ints(d, first, indent)}",
        f"cycle_offset = {_floats(d, offset, indent)}",
        f'cycle = {xp}.searchsorted(cycle_first, u, side="right") - 1',
        f"t_cur = {f(f'u - {xp}.take(cycle_first, cycle)')} + {xp}.take(cycle_offset, cycle)",
        f"wave = 0.5 * (1.0 + {xp}.cos(math.pi * (t_cur / {num(length / float(p['cycles']))})))",
        f"main = {xp}.where(u < {integer(length)}, {num(lo)} + {num(spec.lr - lo)} * wave, {num(lo)})",
    ]


def _anneal(start: float, end: float, pct: str, how: str, xp: str) -> str:
    """torch OneCycleLR's annealing expression (same operand order as the engine)."""
    if how == "cos":
        return f"{num(end)} + {num((start - end) / 2.0)} * ({xp}.cos(math.pi * {pct}) + 1.0)"
    return f"{num(end - start)} * {pct} + {num(start)}"


def main_lines(spec: Spec, d: Dialect, indent: str) -> list[str]:
    """Lines assigning ``main``: the family's formula on the local clock ``u`` (int) / ``uf`` (float32)."""
    xp, f = d.xp, d.f
    kind, p = spec.schedule.type, spec.schedule.as_dict()
    b, length = spec.lr, spec.main_steps
    n_len = integer(length)
    if kind == "constant":
        return [f"main = {xp}.full_like(uf, {num(b)})"]
    if kind == "linear":
        end = p["end_lr"]
        frac = f"{xp}.maximum({f(f'{n_len} - u')}, 0.0) / {num(length)}"
        return [f"main = {num(end)} + {num(b - end)} * ({frac})"]
    if kind == "cosine":
        lo = p["min_lr"]
        return [
            f"x = {f(f'{xp}.minimum(u, {n_len})')} / {num(length)}",
            f"main = {num(lo)} + {num(b - lo)} * (0.5 * (1.0 + {xp}.cos(math.pi * x)))",
        ]
    if kind == "polynomial":
        end = p["end_lr"]
        return [
            f"remaining = {f(f'{n_len} - {xp}.minimum(u, {n_len})')} / {num(length)}",
            f"main = {num(b - end)} * {xp}.power(remaining, {num(p['power'])}) + {num(end)}",
        ]
    if kind == "exponential":
        log_gamma = log_of(p["gamma"])
        if p["staircase"]:
            steps = p["decay_steps"]
            if not float(steps).is_integer():
                raise SpecError(
                    "schedule.decay_steps",
                    "must be a whole number for a staircase decay in float32 frameworks",
                    steps,
                )
            return [f"main = {num(b)} * {xp}.exp({f(f'u // {integer(int(steps))}')} * {num(log_gamma)})"]
        return [f"main = {num(b)} * {xp}.exp(uf * {num(rate(log_gamma, p['decay_steps']))})"]
    if kind == "step":
        n = f(f"u // {integer(p['step_size'])}")
        return [f"main = {num(b)} * {xp}.exp({n} * {num(log_of(p['gamma']))})"]
    if kind == "multistep":
        levels = [float(b * np.power(p["gamma"], float(k))) for k in range(len(p["milestones"]) + 1)]
        return [
            f"milestones = {_ints(d, p['milestones'], indent)}",
            f"levels = {_floats(d, levels, indent)}",
            f'main = {xp}.take(levels, {xp}.searchsorted(milestones, u, side="right"))',
        ]
    if kind == "inverse_sqrt":
        tau = int(p["timescale"])
        return [f"main = {num(b)} * (1.0 / {xp}.sqrt({f(f'u + {integer(tau)}')} / {num(tau)}))"]
    if kind == "cosine_restarts":
        return _restarts_lines(spec, d, indent)
    if kind == "wsd":
        return _wsd_lines(spec, d)
    if kind == "cyclic":
        return _cyclic_lines(spec, d, p["min_lr"], b - p["min_lr"])
    if kind == "one_cycle":
        initial = b / p["div_factor"]
        return _one_cycle_lines(spec, d, {"initial": initial, "max": b, "min": initial / p["final_div_factor"]})
    raise SpecError("schedule.type", "has no closed-form export", kind)


def momentum_lines(spec: Spec, d: Dialect) -> list[str]:
    """Lines assigning ``main``: the cycled momentum on the local clock (the engine's
    ``cyclic_momentum`` / ``one_cycle_momentum``), inverse to the lr."""
    if spec.momentum is None:
        raise SpecError("momentum", "is not set in this spec")
    base, top = spec.momentum.base, spec.momentum.max
    if spec.schedule.type == "cyclic":
        return _cyclic_lines(spec, d, top, top - base, "-")
    if spec.schedule.type == "one_cycle":
        return _one_cycle_lines(spec, d, {"initial": top, "max": base, "min": top})
    raise SpecError("momentum", "is cycled only by cyclic and one_cycle schedules", spec.schedule.type)


def _restarts_lines(spec: Spec, d: Dialect, indent: str) -> list[str]:
    xp, f = d.xp, d.f
    p = spec.schedule.as_dict()
    if p["cycles"] is not None:
        return _hf_restarts_lines(spec, d, indent)
    lo = p["min_lr"]
    if p["period_mult"] == 1.0:
        period = integer(p["period"])
        lines = ["cycle = u // " + period, f"t_cur = {f(f'u - cycle * {period}')}"]
        if p["peak_decay"] == 1.0:
            peak = num(spec.lr)
        else:
            lines.append(f"peak = {num(spec.lr)} * {xp}.exp({f('cycle')} * {num(log_of(p['peak_decay']))})")
            peak = "peak"
        wave = f"(1.0 + {xp}.cos(math.pi * t_cur / {num(p['period'])})) / 2.0"
        lines.append(f"main = {num(lo)} + ({peak} - {num(lo)}) * {wave}")
        return lines
    first, offset, lengths, peaks = _restart_tables(spec)
    return [
        f"cycle_first = {_ints(d, first, indent)}",
        f"cycle_offset = {_floats(d, offset, indent)}",
        f"cycle_length = {_floats(d, lengths, indent)}",
        f"cycle_peak = {_floats(d, peaks, indent)}",
        f'cycle = {xp}.searchsorted(cycle_first, u, side="right") - 1',
        f"t_cur = {f(f'u - {xp}.take(cycle_first, cycle)')} + {xp}.take(cycle_offset, cycle)",
        f"wave = (1.0 + {xp}.cos(math.pi * t_cur / {xp}.take(cycle_length, cycle))) / 2.0",
        f"main = {num(lo)} + ({xp}.take(cycle_peak, cycle) - {num(lo)}) * wave",
    ]


def _wsd_lines(spec: Spec, d: Dialect) -> list[str]:
    xp, f = d.xp, d.f
    p = spec.schedule.as_dict()
    lo, b = p["min_lr"], spec.lr
    decay = wsd_decay_steps(spec.ctx())
    lines = [f"into = {xp}.maximum(u - {integer(spec.main_steps - decay)}, 0)"]
    if p["shape"] == "exponential":
        k = rate(math.log(0.5), p["half_life"])
        return [*lines, f"main = {xp}.maximum({num(lo)}, {num(b)} * {xp}.exp({f('into')} * {num(k)}))"]
    lines.append(f"frac = {xp}.minimum({f('into')} / {num(decay)}, 1.0)")
    shape = {
        "linear": "1.0 - frac",
        "cosine": f"0.5 * (1.0 + {xp}.cos(math.pi * frac))",
        "sqrt": f"1.0 - {xp}.sqrt(frac)",
    }[p["shape"]]
    return [*lines, f"main = {num(lo)} + {num(b - lo)} * ({shape})"]


def _cyclic_lines(spec: Spec, d: Dialect, start: float, span: float, op: str = "+") -> list[str]:
    """torch CyclicLR: ``start op (span * s) * g``; the lr is ``min_lr + (lr - min_lr) * s * g``, the
    momentum ``max - (max - base) * s * g``."""
    xp, f = d.xp, d.f
    p = spec.schedule.as_dict()
    up = int(p["step_size"])
    down = int(p["step_size_down"]) if p["step_size_down"] is not None else up
    total = integer(up + down)
    # cycle - 1 and the position r in the cycle, as integers; s = r / up rising, (total - r) / down falling
    # (torch CyclicLR's x / ratio and (x - 1) / (ratio - 1) with x = r / total).
    lines = [
        f"cycle = u // {total}",
        f"r = u - cycle * {total}",
        f"rising = {f('r')} / {num(up)}",
        f"falling = {f(f'{total} - r')} / {num(down)}",
        f"s = {xp}.where(r <= {integer(up)}, rising, falling)",
    ]
    mode = p["mode"]
    if mode == "triangular":
        lines.append(f"main = {num(start)} {op} {num(span)} * s")
    else:
        g = f"{xp}.power(0.5, {f('cycle')})" if mode == "triangular2" else f"{xp}.exp(uf * {num(log_of(p['gamma']))})"
        lines.append(f"main = {num(start)} {op} ({num(span)} * s) * {g}")
    return lines


def _one_cycle_lines(spec: Spec, d: Dialect, levels: dict[str, float]) -> list[str]:
    """torch OneCycleLR's phases between ``levels`` ("initial", "max", "min"), as the engine lays them out."""
    xp, f = d.xp, d.f
    p = spec.schedule.as_dict()
    phases = _one_cycle_phases(spec.ctx())
    lines = [f"uc = {f(f'{xp}.minimum(u, {integer(spec.main_steps - 1)})')}"]
    start = 0.0
    for k, (end, a, b) in enumerate(phases):
        lines.append(f"pct{k} = (uc - {num(start)}) / {num(end - start)}")
        lines.append(f"phase{k} = {_anneal(levels[a], levels[b], f'pct{k}', p['anneal'], xp)}")
        start = end
    lines.append(f"main = phase{len(phases) - 1}")
    # The first phase whose end step is >= u wins; for an integer u, u <= end <=> u <= floor(end).
    for k in reversed(range(len(phases) - 1)):
        lines.append(f"main = {xp}.where(u <= {integer(math.floor(phases[k][0]))}, phase{k}, main)")
    return lines


def warmup_lines(spec: Spec, d: Dialect) -> list[str]:
    """Lines assigning ``warm`` from ``tw`` (float32 step, clamped to the warmup length W)."""
    xp = d.xp
    w = spec.warmup.steps
    start, target = spec.warmup.start_lr, warmup_target(spec)
    shape = spec.warmup.shape
    if shape == "linear":
        return [f"warm = {num(start)} + {num(target - start)} * (tw / {num(w)})"]
    if shape == "cosine":
        return [f"warm = {num(start)} + {num(target - start)} * (1.0 - {xp}.cos(math.pi * (tw / {num(w)}))) / 2.0"]
    if shape == "exponential":
        if target > 0.0:
            # Anchored at the larger end: the exponent shrinks to 0 where the lr is largest, so in float32 the
            # error stays ~eps * lr instead of growing with |log(target / start)| (1e-6 of lr for a rise over
            # 8 decades written from the smaller end).
            k = rate(math.log(target / start), w)
            if target >= start:
                return [f"warm = {num(target)} * {xp}.exp((tw - {num(w)}) * {num(k)})"]
            return [f"warm = {num(start)} * {xp}.exp(tw * {num(k)})"]
        return [f"warm = {num(start)} * {xp}.exp(tw * {num(_MOST_NEGATIVE_RATE)})"]
    if shape == "quadratic":
        return [f"warm = {num(start)} + {num(target - start)} * (tw / {num(w)}) ** 2"]
    return [f"warm = {xp}.full_like(tw, {num(start)})"]


def body_lines(spec: Spec, d: Dialect, step_expr: str, indent: str, *, momentum: bool = False) -> list[str]:
    """The whole closed form: int step ``t`` -> ``lr`` (epoch flooring, warmup join, main schedule); with
    ``momentum``, the cycled momentum instead, held at its first value through the warmup (as the engine)."""
    xp, f = d.xp, d.f
    w = spec.warmup.steps
    lines = [f"t = {step_expr}"]
    if spec.interval == "epoch":
        spe = integer(spec.steps_per_epoch)
        comment = "momentum" if momentum else "lr"
        lines.append(f"t = (t // {spe}) * {spe}  # interval 'epoch': the {comment} changes once per epoch")
    lines.append(f"u = {xp}.maximum(t - {integer(w)}, 0)" if w else "u = t")
    main = momentum_lines(spec, d) if momentum else main_lines(spec, d, indent)
    if any("uf" in line for line in main):
        lines.append(f"uf = {f('u')}")
    lines += main
    if not w:
        lines.append("return main")
        return lines
    if momentum:
        first = float(momentum_curve(spec, np.zeros(1, dtype=np.int64))[0])
        lines.append(f"return {xp}.where(t < {integer(w)}, {num(first)}, main)")
        return lines
    lines.append(f"tw = {f(f'{xp}.minimum(t, {integer(w)})')}")
    lines += warmup_lines(spec, d)
    lines.append(f"return {xp}.where(t < {integer(w)}, warm, main)")
    return lines


def indent_block(lines: list[str], indent: str) -> str:
    """Lines joined at ``indent`` (multi-line list literals already carry their own indentation)."""
    return "".join(indent + line + "\n" for line in lines)
