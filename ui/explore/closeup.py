"""The warmup close-up: a schedule's first steps beside its no-warmup twin, and what warmup costs and buys.

Pure: no Streamlit. :func:`closeup_window` says how many steps the close-up shows, :func:`closeup_steps`
which of them are drawn, and :func:`warmup_numbers` computes, from the exact per-step curves
(``schedules.curve``), per param group:

- ``given_up = sum_t (twin[t] - lr[t])`` over the whole run, the lr-sum warmup gives up against the twin
  (the same spec with ``warmup.steps = 0``, whose main schedule then runs over every step), and
  ``given_up_pct = 100 * given_up / sum_t lr[t]``, as a share of the run's own lr-sum;
- ``reach[f]`` for f in 50, 90, 100: the first step whose lr is at least f % of the run's peak;
- ``lr0``, ``lr1``: the lr used by the first two updates.

A param group's curve is the base curve times its ``lr_scale``; its numbers are computed from that curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import schedules
from schedules import Spec
from schedules.stats import Summary

#: The close-up spans this many warmups...
WARMUP_SPANS = 3
#: ...and at least this many steps.
MIN_STEPS = 50
MAX_POINTS = 1500
REACH = (50, 90, 100)


@dataclass(frozen=True)
class WarmupNumbers:
    """What warmup costs and buys, for one param group (see the module docstring for the formulas)."""

    given_up: float
    given_up_pct: float
    reach: dict[int, int]
    lr0: float
    lr1: float | None


def closeup_window(warmup_steps: int, total_steps: int) -> int:
    """Steps the close-up shows: ``min(total, max(3 * W, 50))``."""
    return min(total_steps, max(WARMUP_SPANS * warmup_steps, MIN_STEPS))


def closeup_steps(window: int, boundaries: tuple[int, ...] = (), max_points: int = MAX_POINTS) -> np.ndarray:
    """The steps drawn in a close-up of ``window`` steps: every step when that is at most ``max_points``,
    otherwise evenly spread steps plus each boundary and its neighbours (where a warmup hands over, the
    curve can jump), so the drawn curve keeps every corner."""
    if window <= max_points:
        return np.arange(window, dtype=np.int64)
    spread = np.linspace(0, window - 1, max_points).round().astype(np.int64)
    extra = np.array([t + d for t in boundaries for d in (-1, 0, 1) if 0 <= t + d < window], dtype=np.int64)
    return np.unique(np.concatenate([spread, extra]))


def warmup_numbers(spec: Spec, twin: Spec | None, summaries: tuple[Summary, Summary | None] | None = None
                   ) -> dict[str, WarmupNumbers]:
    """Per param group (``"lr"`` when there are none), what warmup costs and buys; ``given_up`` is 0 when
    there is no twin (no warmup).

    ``summaries`` (of the spec's and the twin's base curves, as ``schedules.stats.summarize`` gives them
    beside the drawn curves) saves evaluating the two full curves again: each run's lr-sum is then
    ``mean * total_steps`` (the same pairwise sum NumPy's ``sum`` takes, divided and multiplied back), and
    the reach steps come from the curve up to the peak step only.
    """
    scales = {g.name: g.lr_scale for g in spec.param_groups} or {"lr": 1.0}
    n = spec.total_steps
    if summaries is None:
        lr = schedules.curve(spec)
        twin_lr = schedules.curve(twin) if twin is not None else None
        base_total = float(np.sum(lr))
        twin_total = float(np.sum(twin_lr)) if twin_lr is not None else base_total
        head = lr
    else:
        own, other = summaries
        base_total = own.mean * n
        twin_total = other.mean * n if twin is not None and other is not None else base_total
        head = schedules.curve(spec, np.arange(min(n, own.peak_step + 2), dtype=np.int64))
    reach = reach_steps(head)
    out = {}
    for name, scale in scales.items():
        total = base_total * scale
        given_up = (twin_total - base_total) * scale
        out[name] = WarmupNumbers(
            given_up=given_up,
            given_up_pct=100.0 * given_up / total if total > 0 else 0.0,
            reach=reach,
            lr0=float(head[0]) * scale,
            lr1=float(head[1]) * scale if head.size > 1 else None,
        )
    return out


def reach_steps(values: np.ndarray, fractions: tuple[int, ...] = REACH) -> dict[int, int]:
    """For each f in ``fractions``: the first step t with ``values[t] >= f/100 * max(values)``."""
    top = int(np.argmax(values))
    head = values[: top + 1]  # every first crossing is at or before the first peak step
    peak = float(values[top])
    out: dict[int, int] = {}
    for f in fractions:
        out[f] = int(np.argmax(head >= peak * (f / 100.0)))
    return out
