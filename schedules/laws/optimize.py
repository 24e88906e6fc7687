"""The schedule of a family that a law predicts ends lowest, for a given budget and peak lr.

Searched: for ``wsd`` the decay length (as a fraction of the main schedule, materialised as whole
``decay_steps``) for each decay shape (linear, cosine, 1-sqrt); for ``cosine`` its ``min_lr``; for ``linear``
its ``end_lr``; and, with ``tune_warmup``, the warmup length. Each 1-D search is a 9-point scan then a
golden-section refinement around the best point. The objective is the predicted loss at the last update,
evaluated to a certified 1e-6 nats. The result is an ordinary spec, so every exporter works on it.

The laws reward lr area, so with ``tune_warmup`` they always prefer the shortest warmup allowed: they do not
model the instability a warmup prevents. Tune it only within a range you know is safe.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules.curve import curve
from schedules.errors import SpecError
from schedules.laws.predict import Resolved, evaluate, range_notes, resolve, warmup_end
from schedules.params import MAX_STEPS
from schedules.registry import LR_MAX
from schedules.spec import Spec, load_spec

FAMILIES = ("wsd", "cosine", "linear")
WSD_SHAPES = ("linear", "cosine", "sqrt")
OBJECTIVE_TOL = 1e-6
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Suggestion:
    """The suggested spec and its predicted gain (baseline's final loss minus the suggestion's, nats).

    Unpacks as ``spec, gain = optimize(...)``; ``final`` and ``baseline_final`` are the predicted final losses.
    """

    spec: Spec
    gain: float
    final: float
    baseline_final: float
    baseline: Spec
    notes: tuple[str, ...]

    def __iter__(self) -> Iterator[Any]:
        return iter((self.spec, self.gain))


def final_loss(res: Resolved, spec: Spec) -> float:
    """The law's predicted loss after the spec's last update."""
    eta = curve(spec)
    at = np.array([spec.total_steps - 1])
    return float(evaluate(res.law, eta, at, res.params, warmup_end(spec), OBJECTIVE_TOL)[0][0])


def _search(f: Callable[[float], float], lo: float, hi: float, iters: int = 14) -> tuple[float, float]:
    """Minimise ``f`` on ``[lo, hi]``: a 9-point scan, then golden-section search in the best bracket."""
    xs = np.linspace(lo, hi, 9)
    ys = [f(float(x)) for x in xs]
    i = int(np.argmin(ys))
    best_x, best_y = float(xs[i]), ys[i]
    a, b = float(xs[max(i - 1, 0)]), float(xs[min(i + 1, 8)])
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - GOLDEN * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + GOLDEN * (b - a)
            fd = f(d)
    for x, y in ((c, fc), (d, fd)):
        if y < best_y:
            best_x, best_y = x, y
    return best_x, best_y


def _number(value: Any, path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(path, "must be a finite number", value)
    if not low <= value <= high:
        raise SpecError(path, f"must be >= {low:g} and <= {high:g}", value)
    return float(value)


def optimize(
    law: str,
    params: Any,
    total_steps: int,
    peak_lr: float,
    family: str = "wsd",
    *,
    warmup_steps: int = 0,
    min_lr: float = 0.0,
    baseline: Spec | Any = None,
    tune_warmup: bool = False,
    warmup_range: tuple[int, int] | None = None,
) -> Suggestion:
    """The ``family`` schedule with the lowest predicted final loss for ``total_steps`` at ``peak_lr``.

    Args:
        law, params: as for :func:`~schedules.laws.predict` (a preset name, a Fit or a parameter dict).
        total_steps, peak_lr: the budget (updates) and the peak lr, both kept.
        family: ``"wsd"`` (decay length and shape searched, floor ``min_lr``), ``"cosine"`` (``min_lr``
            searched) or ``"linear"`` (``end_lr`` searched).
        warmup_steps: the warmup (linear from 0) kept, unless ``tune_warmup``: then searched within
            ``warmup_range`` (default ``0 .. total_steps // 4``).
        baseline: the schedule to beat (default: cosine to ``peak_lr / 10`` with the same warmup). When the
            family cannot beat it under the law, the baseline itself is returned with a gain of 0.

    Raises:
        SpecError: naming the bad argument.
    """
    res = resolve(law, params)
    if family not in FAMILIES:
        raise SpecError("family", "must be one of " + ", ".join(FAMILIES), family)
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or not 2 <= total_steps <= MAX_STEPS:
        raise SpecError("total_steps", f"must be a whole number >= 2 and <= {MAX_STEPS}", total_steps)
    peak = _number(peak_lr, "peak_lr", 0.0, LR_MAX)
    if peak <= 0:
        raise SpecError("peak_lr", "must be > 0", peak_lr)
    floor = _number(min_lr, "min_lr", 0.0, peak)
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or not 0 <= warmup_steps < total_steps:
        raise SpecError("warmup_steps", "must be a whole number >= 0 and < total_steps", warmup_steps)
    w_lo, w_hi = warmup_range if warmup_range is not None else (0, total_steps // 4)
    if tune_warmup and not (isinstance(w_lo, int) and isinstance(w_hi, int) and 0 <= w_lo <= w_hi < total_steps):
        raise SpecError(
            "warmup_range", "must be (low, high) whole numbers with 0 <= low <= high < total_steps", warmup_range
        )

    def make(warmup: int, schedule: dict[str, Any]) -> Spec:
        return load_spec({"total_steps": total_steps, "lr": peak, "warmup": {"steps": warmup}, "schedule": schedule})

    if baseline is None:
        base = make(warmup_steps, {"type": "cosine", "min_lr": peak / 10})
    else:
        base = baseline if isinstance(baseline, Spec) else load_spec(baseline)
    base_final = final_loss(res, base)

    def best_schedule(warmup: int) -> tuple[dict[str, Any], float]:
        length = total_steps - warmup
        candidates: list[tuple[float, dict[str, Any]]] = []
        if family == "wsd":
            for shape in WSD_SHAPES:

                def steps_of(frac: float) -> int:
                    return min(length, max(1, round(frac * length)))

                def f(frac: float, shape: str = shape) -> float:
                    return final_loss(
                        res,
                        make(warmup, {"type": "wsd", "decay_steps": steps_of(frac), "shape": shape, "min_lr": floor}),
                    )

                frac, y = _search(f, 0.0, 1.0)
                candidates.append((y, {"type": "wsd", "decay_steps": steps_of(frac), "shape": shape, "min_lr": floor}))
        else:
            key = "min_lr" if family == "cosine" else "end_lr"

            def f(level: float) -> float:
                return final_loss(res, make(warmup, {"type": family, key: level * peak}))

            level, y = _search(f, 0.0, 1.0)
            candidates.append((y, {"type": family, key: level * peak}))
        y, schedule = min(candidates, key=lambda c: c[0])
        return schedule, y

    if tune_warmup:
        sched_of: dict[int, tuple[dict[str, Any], float]] = {}

        def g(w: float) -> float:
            key = round(w)
            if key not in sched_of:
                sched_of[key] = best_schedule(key)
            return sched_of[key][1]

        w_best = round(_search(g, float(w_lo), float(w_hi), iters=8)[0])
        warmup = w_best
        schedule, final = sched_of.get(w_best) or best_schedule(w_best)
    else:
        warmup = warmup_steps
        schedule, final = best_schedule(warmup)
    suggested = make(warmup, schedule)
    notes = range_notes(res.fitted_on, res.origin, peak, total_steps)
    if tune_warmup:
        notes.append(
            "the law rewards lr area, so it prefers the shortest warmup in the range; it does not "
            "model the instability a warmup prevents"
        )
    if final > base_final:
        notes.append(f"no {family} schedule is predicted to beat the baseline; the baseline is returned")
        suggested, final = base, base_final
    return Suggestion(suggested, base_final - final, final, base_final, base, tuple(notes))
