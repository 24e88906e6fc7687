"""Closed-form main schedules, vectorized over the local clock ``u = t - W``.

Every formula takes ``u`` (float64 array, ``u >= 0``) and a :class:`Ctx` (peak lr ``B``, main length
``D = total_steps - W`` and the resolved parameters) and returns the lr for each element. Each keeps the
exact floating-point expression of the framework it reproduces, so parity holds to a few ulps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules import cospi
from schedules.errors import SpecError

Array = np.ndarray


@dataclass(frozen=True)
class Ctx:
    """What a family formula needs: peak lr, main length and its parameters."""

    lr: float
    length: int
    params: dict[str, Any]


def constant(u: Array, c: Ctx) -> Array:
    """``B``: HF ``get_constant_schedule``."""
    return np.full(u.shape, c.lr)


def linear(u: Array, c: Ctx) -> Array:
    """``end + (B - end) * max(0, (D - u) / D)``: HF ``linear`` (end_lr 0), clamped at end_lr."""
    end = c.params["end_lr"]
    lam = np.maximum((c.length - u) / c.length, 0.0)
    return end + (c.lr - end) * lam


def linear_fill(lo: int, hi: int, c: Ctx, out: Array) -> None:
    """:func:`linear` at the local steps ``lo .. hi-1``, written into ``out``: the same operations in the
    same order, in place (no temporaries)."""
    end = c.params["end_lr"]
    np.subtract(c.length, np.arange(lo, hi, dtype=np.float64), out=out)
    out /= c.length
    np.maximum(out, 0.0, out=out)
    out *= c.lr - end
    out += end


def cosine(u: Array, c: Ctx) -> Array:
    """``min + (B - min) * 0.5 * (1 + cos(pi * min(u, D) / D))``.

    HF ``cosine`` computes ``0.5 * (1 + cos(pi * (u / D)))``; torch CosineAnnealingLR (T_max = D), optax
    ``warmup_cosine_decay_schedule`` and Keras ``CosineDecay`` are the same curve. Clamped at min_lr past
    D, unless ``periodic``: then it is torch CosineAnnealingLR's ``min + (B - min) * (1 + cos(pi u / D)) / 2``
    for every u, which rises back to B at 2D (period 2D). Since ``cos(pi u / D) = cos(pi (2D - u) / D)``,
    a step past D is evaluated at its mirror ``min(u mod 2D, 2D - u mod 2D)`` in ``[0, D]`` (integer
    arithmetic, exact). Evaluated by :mod:`schedules.cospi`: HF's expression bitwise below 32768 steps and
    over the last 1/32 of the decay, within 1e-13 relative of it elsewhere.
    """
    if c.params.get("periodic"):
        u = fold_periodic(u, c.length)
    return cospi.cosine_at(u, c.length, c.lr, c.params["min_lr"])


def fold_periodic(u: Array, length: int) -> Array:
    """The step in ``[0, D]`` with the same ``cos(pi u / D)``: ``min(u mod 2D, 2D - u mod 2D)``."""
    m = np.mod(u, 2.0 * length)
    return np.minimum(m, 2.0 * length - m)


def cosine_fill(lo: int, hi: int, c: Ctx, out: Array) -> None:
    """:func:`cosine` at the local steps ``lo .. hi-1``, written into ``out`` (no gathers)."""
    if c.params.get("periodic") and hi > c.length + 1:
        out[:] = cosine(np.arange(lo, hi, dtype=np.float64), c)
        return
    cospi.cosine_fill(lo, hi, c.length, c.lr, c.params["min_lr"], out)


def polynomial(u: Array, c: Ctx) -> Array:
    """``(B - end) * (1 - min(u, D) / D) ** power + end``: HF ``polynomial``, optax ``polynomial_schedule``."""
    end, power = c.params["end_lr"], c.params["power"]
    remaining = 1.0 - np.minimum(u, c.length) / c.length
    return (c.lr - end) * remaining**power + end


def exponential(u: Array, c: Ctx) -> Array:
    """``B * gamma ** (u / decay_steps)`` (exponent floored if staircase): torch ExponentialLR,
    Keras ExponentialDecay, optax ``exponential_decay``."""
    p = u / c.params["decay_steps"]
    if c.params["staircase"]:
        p = np.floor(p)
    return c.lr * np.power(c.params["gamma"], p)


def step(u: Array, c: Ctx) -> Array:
    """``B * gamma ** floor(u / step_size)``: torch StepLR."""
    return c.lr * np.power(c.params["gamma"], np.floor_divide(u, c.params["step_size"]))


def multistep(u: Array, c: Ctx) -> Array:
    """``B * gamma ** #{m in milestones: m <= u}``: torch MultiStepLR (decays at u == m)."""
    count = np.searchsorted(np.asarray(c.params["milestones"], dtype=np.float64), u, side="right")
    return c.lr * np.power(c.params["gamma"], count.astype(np.float64))


def inverse_sqrt(u: Array, c: Ctx) -> Array:
    """``B * 1 / sqrt((u + tau) / tau)``: HF ``inverse_sqrt`` (equals B at u = 0)."""
    tau = float(c.params["timescale"])
    return c.lr * (1.0 / np.sqrt((u + tau) / tau))


def restart_clock(u: Array, period: float, mult: float) -> tuple[Array, Array, Array]:
    """Cycle index ``i``, time in cycle ``t_cur`` and cycle length ``T_i`` for SGDR-style restarts.

    Cycle i starts at ``P * (m**i - 1) / (m - 1)`` (``P * i`` when m = 1). The log estimate is
    corrected by one either way so exact restarts never land in the wrong cycle (torch's
    explicit-epoch path and timm both can, for m = 3).
    """
    if mult == 1.0:
        i = np.floor_divide(u, period)
        return i, u - i * period, np.full(u.shape, float(period))
    i = np.floor(np.log1p(u / period * (mult - 1.0)) / math.log(mult))

    def start(k: Array) -> Array:
        return period * (np.power(mult, k) - 1.0) / (mult - 1.0)

    i = np.where(start(i) > u, i - 1.0, i)
    i = np.where(start(i + 1.0) <= u, i + 1.0, i)
    return i, u - start(i), period * np.power(mult, i)


#: Most cycles ``cosine_restarts`` accepts in ``cycles`` mode.
MAX_HF_CYCLES = 1e6


def hf_cycle_phase(u: Array, cycles: float, length: int) -> Array:
    """``(cycles * (u / D)) % 1``: the fraction of its cycle at local step u, as Hugging Face computes it
    (``transformers/optimization.py``, ``_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda``:
    ``(float(num_cycles) * progress) % 1.0`` with ``progress = u / max(1, D)``). ``np.mod`` of two positive
    floats is exact, as Python's ``%`` is, so the phase is HF's bit for bit."""
    return np.mod(cycles * (u / length), 1.0)


def hf_cycle_starts(cycles: float, length: int, count: int) -> list[int]:
    """The first local step of each of the first ``count`` cycles of :func:`hf_restarts`: where HF's own
    cycle index ``floor(cycles * (u / D))`` (float64, as it computes it) first reaches k. A cycle shorter
    than a step can share its first step with the next one."""

    def index(u: int) -> float:
        return math.floor(cycles * (float(u) / length))

    starts = [0]
    for k in range(1, count):
        g = math.ceil(k * length / cycles)
        while g > 0 and index(g - 1) >= k:
            g -= 1
        while index(g) < k:
            g += 1
        starts.append(g)
    return starts


def hf_restarts(u: Array, c: Ctx) -> Array:
    """HF ``cosine_with_restarts``: ``min + (B - min) * 0.5 * (1 + cos(pi * phase))`` for ``u < D`` with
    :func:`hf_cycle_phase`, ``min`` from ``u = D`` on (HF returns 0 once progress reaches 1). Cycles of any
    length: ``cycles`` need not divide D, nor be a whole number."""
    p = c.params
    lo = p["min_lr"]
    wave = 0.5 * (1.0 + np.cos(math.pi * hf_cycle_phase(u, p["cycles"], c.length)))
    return np.where(u < c.length, lo + (c.lr - lo) * wave, lo)


def cosine_restarts(u: Array, c: Ctx) -> Array:
    """``min + (B * peak_decay**i - min) * (1 + cos(pi * t_cur / T_i)) / 2``.

    torch CosineAnnealingWarmRestarts (T_0 = period, integer T_mult, peak_decay 1); timm
    CosineLRScheduler ``cycle_decay`` for a decaying peak. With ``cycles`` instead of a period: Hugging
    Face's ``cosine_with_restarts`` (:func:`hf_restarts`).
    """
    p = c.params
    if p.get("cycles") is not None:
        return hf_restarts(u, c)
    lo = p["min_lr"]
    i, t_cur, t_i = restart_clock(u, float(p["period"]), float(p["period_mult"]))
    peak = c.lr * np.power(p["peak_decay"], i) if p["peak_decay"] != 1.0 else c.lr
    return lo + (peak - lo) * (1.0 + np.cos(math.pi * t_cur / t_i)) / 2.0


#: A range spanning more cycles than this is left to the formula (short cycles: little to save per cycle).
FILL_MAX_CYCLES = 256


def _cycle_of(k: int, period: float, mult: float) -> float:
    return float(restart_clock(np.array([float(k)]), period, mult)[0][0])


def cosine_restarts_fill(lo: int, hi: int, c: Ctx, out: Array) -> None:
    """:func:`cosine_restarts` at the local steps ``lo .. hi-1``, written into ``out``, cycle by cycle.

    The formula finds each step's cycle with a log and powers; here each cycle's steps are found once (by
    the formula's own ``restart_clock``, at the cycle's edges: the clock never goes back as the step grows)
    and its slice gets the formula's expression with that cycle's start, length and peak computed as the
    formula computes them: the same operations on the same values, so bit for bit its result.
    """
    p = c.params
    if hi <= lo:
        return
    if p.get("cycles") is not None:
        out[:] = hf_restarts(np.arange(lo, hi, dtype=np.float64), c)
        return
    period, mult = float(p["period"]), float(p["period_mult"])
    if _cycle_of(hi - 1, period, mult) - _cycle_of(lo, period, mult) >= FILL_MAX_CYCLES:
        out[:] = cosine_restarts(np.arange(lo, hi, dtype=np.float64), c)
        return
    floor_lr = p["min_lr"]
    k = lo
    while k < hi:
        i = _cycle_of(k, period, mult)
        cycle = np.array([i])
        if mult == 1.0:
            start = cycle * period  # restart_clock's t_cur = u - i * period
            length = np.float64(period)
        else:
            start = period * (np.power(mult, cycle) - 1.0) / (mult - 1.0)
            length = (period * np.power(mult, cycle))[0]
        # The next cycle's first step: from this cycle's length, then checked against the clock.
        end = min(hi, max(k + 1, math.ceil(float(start[0]) + float(length))))
        while end > k + 1 and _cycle_of(end - 1, period, mult) != i:
            end -= 1
        while end < hi and _cycle_of(end, period, mult) == i:
            end += 1
        t_cur = np.arange(k, end, dtype=np.float64) - start
        peak = c.lr * np.power(p["peak_decay"], cycle) if p["peak_decay"] != 1.0 else c.lr
        out[k - lo:end - lo] = floor_lr + (peak - floor_lr) * (1.0 + np.cos(math.pi * t_cur / length)) / 2.0
        k = end


def wsd_decay_steps(c: Ctx) -> int:
    """Length of the decay phase: ``decay_steps``, or ``round(decay_fraction * D)`` (at least 1)."""
    if c.params["decay_steps"] is not None:
        return int(c.params["decay_steps"])
    return max(1, round(c.params["decay_fraction"] * c.length))


def wsd(u: Array, c: Ctx) -> Array:
    """Warmup-stable-decay: B until ``D - decay``, then ``min + (B - min) * f(p)`` with
    ``p = (u - stable_end) / decay`` and f = ``1 - p`` (linear), ``0.5 (1 + cos(pi p))`` (cosine),
    ``1 - sqrt(p)`` (sqrt): HF ``warmup_stable_decay``. ``exponential`` is MiniCPM's half-life decay
    ``max(min, B * 0.5 ** ((u - stable_end) / half_life))``.
    """
    p = c.params
    lo, shape = p["min_lr"], p["shape"]
    decay = wsd_decay_steps(c)
    stable_end = c.length - decay
    into = np.maximum(u - stable_end, 0.0)
    if shape == "exponential":
        return np.maximum(lo, c.lr * np.power(0.5, into / p["half_life"]))
    frac = np.minimum(into / decay, 1.0)
    if shape == "linear":
        f = 1.0 - frac
    elif shape == "cosine":
        f = 0.5 * (1.0 + np.cos(math.pi * 1.0 * frac))
    else:
        f = 1.0 - np.sqrt(frac)
    return lo + (c.lr - lo) * f


def wsd_fill(lo: int, hi: int, c: Ctx, out: Array) -> None:
    """:func:`wsd` at the local steps ``lo .. hi-1``, written into ``out``. Every step up to the end of the
    stable phase has ``p = 0``, so it gets the formula's own value there, computed once; the decay phase is
    the formula itself."""
    stable_end = c.length - wsd_decay_steps(c)
    cut = min(max(stable_end + 1 - lo, 0), hi - lo)
    if cut:
        out[:cut] = wsd(np.array([float(stable_end)]), c)[0]
    if cut < hi - lo:
        out[cut:] = wsd(np.arange(lo + cut, hi, dtype=np.float64), c)


def _cyclic_phase(u: Array, c: Ctx) -> tuple[Array, Array]:
    """torch CyclicLR's position: (scale_factor s in [0, 1], amplitude scale g)."""
    p = c.params
    up = float(p["step_size"])
    down = float(p["step_size_down"]) if p["step_size_down"] is not None else up
    total = up + down
    ratio = up / total
    cycle = np.floor(1.0 + u / total)
    x = 1.0 + u / total - cycle
    s = np.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
    mode = p["mode"]
    if mode == "triangular":
        g = np.ones_like(u)
    elif mode == "triangular2":
        # 2**-(cycle - 1) exactly, as torch's 1 / 2**(cycle - 1), without overflowing past 1024 cycles.
        g = np.ldexp(1.0, -(cycle - 1.0).astype(np.int64))
    else:
        g = np.power(p["gamma"], u)
    return s, g


def cyclic(u: Array, c: Ctx) -> Array:
    """torch CyclicLR with base_lr = min_lr, max_lr = B: ``min + (B - min) * s * g``.

    ``s`` rises 0 -> 1 over step_size and falls over step_size_down; ``g`` is 1 (triangular),
    ``1 / 2**(cycle - 1)`` (triangular2) or ``gamma**u`` (exp_range), as in the CLR paper.
    """
    s, g = _cyclic_phase(u, c)
    lo = c.params["min_lr"]
    return lo + ((c.lr - lo) * s) * g


def cyclic_momentum(u: Array, c: Ctx, base: float, top: float) -> Array:
    """torch CyclicLR momentum: ``max - (max - base) * s * g`` (inverse to the lr)."""
    s, g = _cyclic_phase(u, c)
    return top - ((top - base) * s) * g


def _one_cycle_phases(c: Ctx) -> list[tuple[float, str, str]]:
    """(end_step, start level, end level) per phase, exactly as torch OneCycleLR lays them out."""
    p, total = c.params, float(c.length)
    if p["three_phase"]:
        return [
            (float(p["pct_start"] * total) - 1, "initial", "max"),
            (float(2 * p["pct_start"] * total) - 2, "max", "initial"),
            (total - 1, "initial", "min"),
        ]
    return [(float(p["pct_start"] * total) - 1, "initial", "max"), (total - 1, "max", "min")]


def _anneal(start: float | Array, end: float | Array, pct: Array, how: str) -> Array:
    if how == "cos":
        return end + (start - end) / 2.0 * (np.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _one_cycle(u: Array, c: Ctx, levels: dict[str, float]) -> Array:
    u = np.minimum(u, c.length - 1.0)
    out = np.empty(u.shape)
    start_step = 0.0
    phases = _one_cycle_phases(c)
    done = np.zeros(u.shape, dtype=bool)
    for k, (end_step, a, b) in enumerate(phases):
        sel = ~done if k == len(phases) - 1 else (~done & (u <= end_step))
        pct = (u[sel] - start_step) / (end_step - start_step)
        out[sel] = _anneal(levels[a], levels[b], pct, c.params["anneal"])
        done |= sel
        start_step = end_step
    return out


def _one_cycle_fill(lo: int, hi: int, c: Ctx, levels: dict[str, float], out: Array) -> None:
    """:func:`_one_cycle` at the local steps ``lo .. hi-1``: the steps are sorted, so each phase is a slice
    (no masks), computed in place with the formula's operations in the formula's order."""
    u = np.minimum(np.arange(lo, hi, dtype=np.float64), c.length - 1.0)
    start_step, begin = 0.0, 0
    phases = _one_cycle_phases(c)
    for k, (end_step, a, b) in enumerate(phases):
        stop = len(u) if k == len(phases) - 1 else max(begin, int(np.searchsorted(u, end_step, side="right")))
        if begin < stop:
            o = out[begin:stop]
            np.subtract(u[begin:stop], start_step, out=o)
            o /= end_step - start_step
            start, end = levels[a], levels[b]
            if c.params["anneal"] == "cos":
                o *= math.pi
                np.cos(o, out=o)
                o += 1
                o *= (start - end) / 2.0
                o += end
            else:
                o *= end - start
                o += start
        begin = stop
        start_step = end_step


def _one_cycle_lr_levels(c: Ctx) -> dict[str, float]:
    initial = c.lr / c.params["div_factor"]
    return {"initial": initial, "max": c.lr, "min": initial / c.params["final_div_factor"]}


def one_cycle(u: Array, c: Ctx) -> Array:
    """torch OneCycleLR(max_lr = B, total_steps = D): initial = B / div_factor rises to B at
    ``pct_start * D - 1`` and anneals (cos or linear) to ``initial / final_div_factor`` at ``D - 1``;
    three_phase goes back to initial first. Holds the final value past D - 1."""
    return _one_cycle(u, c, _one_cycle_lr_levels(c))


def one_cycle_fill(lo: int, hi: int, c: Ctx, out: Array) -> None:
    """:func:`one_cycle` at the local steps ``lo .. hi-1``, written into ``out``."""
    _one_cycle_fill(lo, hi, c, _one_cycle_lr_levels(c), out)


def one_cycle_momentum(u: Array, c: Ctx, base: float, top: float) -> Array:
    """torch OneCycleLR momentum: max -> base while the lr rises, base -> max while it falls."""
    levels = {"initial": top, "max": base, "min": top}
    return _one_cycle(u, c, levels)


# Cross-field rules: each raises SpecError naming the field path under ``schedule``.


def check_floor(c: Ctx, name: str) -> None:
    """A floor (min_lr / end_lr) may not exceed the peak lr."""
    if c.params[name] > c.lr:
        raise SpecError(f"schedule.{name}", "must be <= lr", c.params[name], f"lr {c.lr!r}")


def check_linear(c: Ctx) -> None:
    check_floor(c, "end_lr")


def check_cosine(c: Ctx) -> None:
    check_floor(c, "min_lr")


def check_polynomial(c: Ctx) -> None:
    check_floor(c, "end_lr")


def check_multistep(c: Ctx) -> None:
    last = c.params["milestones"][-1]
    if last >= c.length:
        raise SpecError(
            "schedule.milestones",
            "must be < the main schedule's length (total_steps - warmup.steps)",
            last,
            f"length {c.length}",
        )


def check_step(c: Ctx) -> None:
    if c.params["step_size"] > c.length:
        raise SpecError(
            "schedule.step_size",
            "must be <= the main schedule's length (total_steps - warmup.steps)",
            c.params["step_size"],
            f"length {c.length}",
        )


def check_cosine_restarts(c: Ctx) -> None:
    check_floor(c, "min_lr")
    p = c.params
    if p["cycles"] is not None:
        if p["period"] is not None:
            raise SpecError("schedule.period", "give period or cycles, not both")
        if p["period_mult"] != 1.0:
            raise SpecError("schedule.period_mult", "must be 1 with cycles (the cycles are of equal length)",
                            p["period_mult"])
        if p["peak_decay"] != 1.0:
            raise SpecError("schedule.peak_decay", "must be 1 with cycles (each cycle restarts at lr)",
                            p["peak_decay"])
        return
    if c.params["period"] > c.length:
        raise SpecError(
            "schedule.period",
            "must be <= the main schedule's length (total_steps - warmup.steps)",
            c.params["period"],
            f"length {c.length}",
        )


def check_wsd(c: Ctx) -> None:
    p = c.params
    check_floor(c, "min_lr")
    if p["decay_steps"] is not None and p["decay_fraction"] is not None:
        raise SpecError("schedule.decay_steps", "give decay_steps or decay_fraction, not both")
    if p["decay_steps"] is not None and p["decay_steps"] > c.length:
        raise SpecError(
            "schedule.decay_steps",
            "must be <= the main schedule's length (total_steps - warmup.steps)",
            p["decay_steps"],
            f"length {c.length}",
        )


def check_cyclic(c: Ctx) -> None:
    check_floor(c, "min_lr")


def check_one_cycle(c: Ctx) -> None:
    p = c.params
    if p["pct_start"] * c.length <= 1.0:
        raise SpecError(
            "schedule.pct_start",
            "must leave the rising phase more than one step (pct_start * length > 1)",
            p["pct_start"],
            f"length {c.length}",
        )
    if p["three_phase"] and not (2 * p["pct_start"] * c.length - 2 < c.length - 1):
        raise SpecError(
            "schedule.pct_start", "must be < 0.5 with three_phase (the phases would overlap)", p["pct_start"]
        )
