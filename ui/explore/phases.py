"""Where a schedule's phases lie (warmup, stable, decay, each cycle), for shading them on a chart.

Pure: derived from the spec alone, in global steps ``[start, end)``. Cyclic families are split per cycle
with the cycle boundaries the engine uses (``schedules.families.restart_clock`` for restarts, ``step_size``
+ ``step_size_down`` for CLR); past ``max_spans`` cycles the rest is one span, so a 10M-step run with a
thousand cycles still draws a handful of shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from schedules import Spec
from schedules.families import hf_cycle_starts, restart_clock, wsd_decay_steps

MAX_SPANS = 40


@dataclass(frozen=True)
class Phase:
    """Steps ``start <= t < end`` spent in one phase; ``kind`` picks its shading."""

    start: int
    end: int
    label: str
    kind: str  # warmup | stable | decay | rise | anneal | cycle


def phase_spans(spec: Spec, max_spans: int = MAX_SPANS) -> list[Phase]:
    """The phases of ``spec`` in order, covering ``0 .. total_steps`` without gaps."""
    w, total, length = spec.warmup.steps, spec.total_steps, spec.main_steps
    if spec.warmup_outlasts_run:
        return [Phase(0, total, "warmup", "warmup")]  # the run ends during warmup
    spans: list[Phase] = [Phase(0, w, "warmup", "warmup")] if w else []
    kind = spec.schedule.type
    p = spec.schedule.as_dict()
    if kind == "constant":
        spans.append(Phase(w, total, "stable", "stable"))
    elif kind == "wsd":
        stable_end = w + length - wsd_decay_steps(spec.ctx())
        if stable_end > w:
            spans.append(Phase(w, stable_end, "stable", "stable"))
        spans.append(Phase(stable_end, total, "decay", "decay"))
    elif kind == "one_cycle":
        spans.extend(_one_cycle(spec, w, total, length))
    elif kind in ("cosine_restarts", "cyclic"):
        starts = _cycle_starts(kind, p, length, max_spans)
        spans.extend(_cycles(starts, w, total, max_spans))
    else:
        spans.append(Phase(w, total, "decay", "decay"))
    return [s for s in spans if s.end > s.start]


def _one_cycle(spec: Spec, w: int, total: int, length: int) -> list[Phase]:
    """torch OneCycleLR's phase ends (pct_start * D - 1, ...) rounded up to whole steps."""
    pct = spec.schedule.get("pct_start")
    rise_end = w + min(length, math.floor(pct * length - 1) + 1)
    if not spec.schedule.get("three_phase"):
        return [Phase(w, rise_end, "rise", "rise"), Phase(rise_end, total, "anneal", "anneal")]
    fall_end = w + min(length, math.floor(2 * pct * length - 2) + 1)
    return [Phase(w, rise_end, "rise", "rise"), Phase(rise_end, fall_end, "fall", "decay"),
            Phase(fall_end, total, "anneal", "anneal")]


def _cycle_starts(kind: str, p: dict, length: int, max_spans: int) -> list[int]:
    """Local start steps of the first ``max_spans + 1`` cycles that begin before ``length``."""
    if kind == "cyclic":
        period = p["step_size"] + (p["step_size_down"] if p["step_size_down"] is not None else p["step_size"])
        return list(range(0, length, period))[: max_spans + 1]
    if p.get("cycles") is not None:
        count = min(math.ceil(p["cycles"]), max_spans + 1)
        return sorted(set(hf_cycle_starts(float(p["cycles"]), length, count)))
    # A step belongs to a new cycle where the restart clock's cycle index goes up; read it at candidate
    # starts P*(m^i - 1)/(m - 1) rounded both ways so an exact restart lands in the cycle the engine uses.
    period, mult = float(p["period"]), float(p["period_mult"])
    starts = [0]
    i = 1
    while len(starts) <= max_spans:
        start = period * i if mult == 1.0 else period * (mult**i - 1.0) / (mult - 1.0)
        if start >= length:
            break
        cand = np.array([math.floor(start), math.ceil(start)], dtype=np.float64)
        idx, _, _ = restart_clock(cand, period, mult)
        first = int(cand[0]) if idx[0] >= i else int(cand[1])
        if first < length:
            starts.append(first)
        i += 1
    return starts


def _cycles(starts: list[int], w: int, total: int, max_spans: int) -> list[Phase]:
    spans = []
    for k, start in enumerate(starts[:max_spans]):
        end = w + starts[k + 1] if k + 1 < len(starts) else total
        spans.append(Phase(w + start, end, f"cycle {k + 1}", "cycle"))
    if len(starts) > max_spans:
        spans.append(Phase(w + starts[max_spans], total, f"cycles {max_spans + 1}+", "cycle"))
    return spans
