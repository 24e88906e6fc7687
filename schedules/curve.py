"""Evaluate a spec: the lr (and momentum) used by optimizer update ``t``, vectorized.

``lr(t)`` is the warmup for ``t < W`` and the main family's formula at the local clock ``u = t - W``
otherwise (``u = t`` for an overlaid warmup, timm's ``warmup_prefix=False``).
With ``interval == "epoch"`` the scheduler advances once per epoch, so
``lr(t) = lr_step(floor(t / steps_per_epoch) * steps_per_epoch)``.

Long ranges are evaluated in cache-sized blocks spread over the machine's cores: every formula is
elementwise, so a block gives bit-identical values to a whole-array call.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

from schedules.errors import SpecError
from schedules.spec import Spec, load_spec

BLOCK = 1 << 15
# A family's fast fill (see Family.fill) runs in bigger slices: it chunks internally to stay in cache.
FILL_BLOCK = 1 << 20
PARALLEL_FROM = 1 << 18
_pool: ThreadPoolExecutor | None = None
Filler = Callable[[int, int, np.ndarray], None]
T = TypeVar("T")


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="curve")
    return _pool


def _spec(spec: Spec | Any) -> Spec:
    return spec if isinstance(spec, Spec) else load_spec(spec)


def _steps(steps: Any) -> np.ndarray:
    """Validate ``steps`` as non-negative whole numbers; return an int64 array of the same shape."""
    arr = np.asarray(steps)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise SpecError("steps", "must be whole numbers", str(arr.dtype))
    floating = np.issubdtype(arr.dtype, np.floating)
    if floating and arr.size and (not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr))):
        raise SpecError("steps", "must be whole numbers")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise SpecError("steps", "must be >= 0", int(arr.min()))
    return arr


def warmup_target(spec: Spec) -> float:
    """The main schedule's value at u = 0: where warmup ends up at t = W."""
    return float(spec.family.formula(np.zeros(1), spec.ctx())[0])


def _warmup(spec: Spec, t: np.ndarray, target: float) -> np.ndarray:
    """Warmup over ``t < W`` from start_lr to ``target`` (see registry.WARMUP_SHAPES)."""
    w, start, shape = float(spec.warmup.steps), spec.warmup.start_lr, spec.warmup.shape
    if shape == "linear":
        return start + (target - start) * (t / w)
    if shape == "cosine":
        return start + (target - start) * (1.0 - np.cos(math.pi * t / w)) / 2.0
    if shape == "exponential":
        return start * np.power(target / start, t / w)
    if shape == "quadratic":
        return start + (target - start) * (t / w) ** 2
    return np.full(t.shape, start)


def _evaluate(spec: Spec, t: np.ndarray, main: Callable[[np.ndarray], np.ndarray],
              warm: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Piecewise evaluation at arbitrary (flat, int64, step-interval) steps."""
    w, shift = spec.warmup.steps, spec.main_offset
    out = np.empty(t.shape)
    if w == 0:
        out[:] = main(t.astype(np.float64))
        return out
    in_warmup = t < w
    if in_warmup.any():
        out[in_warmup] = warm(t[in_warmup].astype(np.float64))
    rest = ~in_warmup
    if rest.any():
        out[rest] = main((t[rest] - shift).astype(np.float64))
    return out


def _block_writer(spec: Spec, main: Callable[[np.ndarray], np.ndarray], warm: Callable[[np.ndarray], np.ndarray],
                  fill: Filler | None) -> Callable[[int, int, np.ndarray], None]:
    """``write(lo, hi, out)``: the values at steps ``lo .. hi - 1`` (step interval) into ``out`` (``hi - lo``
    long). ``fill(lo, hi, out)``, when given, writes ``main(arange(lo, hi))`` in place (a family's fast path)."""
    w, shift = spec.warmup.steps, spec.main_offset

    def write(lo: int, hi: int, out: np.ndarray) -> None:
        w_hi = min(hi, w)
        if lo < w_hi:
            out[: w_hi - lo] = warm(np.arange(lo, w_hi, dtype=np.float64))
        m_lo = max(lo, w)
        if m_lo < hi:
            if fill is not None:
                fill(m_lo - shift, hi - shift, out[m_lo - lo:])
            else:
                out[m_lo - lo:] = main(np.arange(m_lo - shift, hi - shift, dtype=np.float64))

    return write


def _in_parallel(fill: Filler | None, n: int) -> bool:
    # libm-bound formulas gain from both cores; a fast fill is bound by memory writes, which do not scale
    # across cores here (measured: threads made it slower), so it stays on one.
    return n >= PARALLEL_FROM and fill is None


def _evaluate_range(spec: Spec, n: int, main: Callable[[np.ndarray], np.ndarray],
                    warm: Callable[[np.ndarray], np.ndarray], fill: Filler | None = None) -> np.ndarray:
    """Values at steps 0..n-1 (step interval), block by block, blocks spread over the cores."""
    out = np.empty(n)
    size = BLOCK if fill is None else FILL_BLOCK
    write = _block_writer(spec, main, warm, fill)

    def block(lo: int) -> None:
        hi = min(lo + size, n)
        write(lo, hi, out[lo:hi])

    starts = range(0, n, size)
    if _in_parallel(fill, n):
        list(_executor().map(block, starts))
    else:
        for lo in starts:
            block(lo)
    return out


def _run(spec: Spec, steps: Any, main: Callable[[np.ndarray], np.ndarray],
         warm: Callable[[np.ndarray], np.ndarray], fill: Filler | None = None) -> np.ndarray:
    per_epoch = spec.interval == "epoch"
    spe = spec.steps_per_epoch or 1
    if steps is None:
        if not per_epoch:
            return _evaluate_range(spec, spec.total_steps, main, warm, fill)
        starts = np.arange(0, spec.total_steps, spe, dtype=np.int64)
        values = _evaluate(spec, starts, main, warm)
        return np.repeat(values, spe)[: spec.total_steps]
    t = _steps(steps)
    flat = t.reshape(-1)
    if per_epoch:
        flat = (flat // spe) * spe
    return _evaluate(spec, flat, main, warm).reshape(t.shape)


def curve(spec: Spec | Any, steps: Any = None) -> np.ndarray:
    """The float64 lr used by optimizer update ``t`` for each ``t`` in ``steps``.

    Args:
        spec: a :class:`Spec` or anything :func:`load_spec` accepts.
        steps: any array of whole numbers >= 0 (default ``0 .. total_steps - 1``); steps past the end
            continue the schedule (clamped families stay at their floor).

    Returns:
        An array with the shape of ``steps``, finite and >= 0.

    Raises:
        SpecError: invalid spec or steps.

    >>> curve({"total_steps": 4, "lr": 1.0, "schedule": {"type": "linear"}}).tolist()
    [1.0, 0.75, 0.5, 0.25]
    """
    spec = _spec(spec)
    return _run(spec, steps, *_lr_parts(spec))


def _lr_parts(spec: Spec) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray],
                                   Filler | None]:
    """The lr's main formula (at the local clock u), its warmup (at the step t) and the family's fill."""
    ctx = spec.ctx()
    formula = spec.family.formula
    target = warmup_target(spec)

    def main(u: np.ndarray) -> np.ndarray:
        return formula(u, ctx)

    def warm(t: np.ndarray) -> np.ndarray:
        return _warmup(spec, t, target)

    fill = None
    if spec.family.fill is not None:
        family_fill = spec.family.fill

        def fill(lo: int, hi: int, out: np.ndarray) -> None:
            family_fill(lo, hi, ctx, out)

    return main, warm, fill


def reduce_blocks(spec: Spec | Any, reduce: Callable[[int, np.ndarray], T], block: int, start: int = 0,
                  stop: int | None = None) -> list[T]:
    """``[reduce(lo, curve(spec)[lo:hi]) for lo in range(start, stop, block)]`` (``hi = min(lo + block,
    stop)``), without the whole curve in memory.

    For statistics of a long run: each block is evaluated into a buffer, reduced while it is still in the
    CPU's cache and overwritten by the next, so a 10M-step curve is never written out whole (80 MB of fresh
    memory, whose first touch costs more than a fast family's formula). The values are those of
    :func:`curve`, bit for bit: every formula and fill is elementwise. ``values`` is valid during the call
    only (keep what you need, copied). Like :func:`curve`, families without a fast fill spread long ranges
    over the cores, so ``reduce`` must be thread-safe (NumPy on its arguments is). An epoch-interval spec
    (one value per epoch) is evaluated over the range at once, then reduced block by block.

    Raises:
        SpecError: invalid spec, ``block < 1`` or a range outside ``0 .. total_steps``.
    """
    spec = _spec(spec)
    stop = spec.total_steps if stop is None else stop
    if block < 1:
        raise SpecError("block", "must be >= 1", block)
    if not 0 <= start <= stop <= spec.total_steps:
        raise SpecError("steps", f"must lie within 0 .. {spec.total_steps}", f"{start} .. {stop}")
    starts = range(start, stop, block)
    if spec.interval == "epoch":
        spe = spec.steps_per_epoch or 1
        first = start // spe
        epochs = np.arange(first, -(-stop // spe), dtype=np.int64) * spe
        values = np.repeat(curve(spec, epochs), spe)[start - first * spe: stop - first * spe]
        return [reduce(lo, values[lo - start: min(lo + block, stop) - start]) for lo in starts]
    main, warm, fill = _lr_parts(spec)
    write = _block_writer(spec, main, warm, fill)
    if _in_parallel(fill, stop - start):

        def one(lo: int) -> T:
            hi = min(lo + block, stop)
            out = np.empty(hi - lo)
            write(lo, hi, out)
            return reduce(lo, out)

        return list(_executor().map(one, starts))
    buffer = np.empty(min(block, stop - start))
    results = []
    for lo in starts:
        hi = min(lo + block, stop)
        write(lo, hi, buffer[: hi - lo])
        results.append(reduce(lo, buffer[: hi - lo]))
    return results


def momentum_curve(spec: Spec | Any, steps: Any = None) -> np.ndarray:
    """Momentum (or Adam beta1) for each update, cycled inversely to the lr; held at its
    starting value during warmup. Only for specs with ``momentum`` (cyclic, one_cycle)."""
    spec = _spec(spec)
    if spec.momentum is None:
        raise SpecError("momentum", "is not set in this spec")
    ctx = spec.ctx()
    formula = spec.family.momentum
    assert formula is not None  # guaranteed by load_spec
    base, top = spec.momentum.base, spec.momentum.max
    first = float(formula(np.zeros(1), ctx, base, top)[0])

    def main(u: np.ndarray) -> np.ndarray:
        return formula(u, ctx, base, top)

    def warm(t: np.ndarray) -> np.ndarray:
        return np.full(t.shape, first)

    return _run(spec, steps, main, warm)


def group_curves(spec: Spec | Any, steps: Any = None) -> dict[str, np.ndarray]:
    """One lr curve per param group (``lr(t) * lr_scale``); ``{"lr": curve}`` when there are none."""
    spec = _spec(spec)
    base = curve(spec, steps)
    if not spec.param_groups:
        return {"lr": base}
    return {g.name: base * g.lr_scale for g in spec.param_groups}
