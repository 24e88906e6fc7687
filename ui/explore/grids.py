"""The value grids the editor's sliders move over, derived from each parameter's registry entry.

Pure: no Streamlit. A slider shows a :class:`Grid` point; the exact value lives beside it in a box, so a
typed value off the grid is kept as typed and the slider shows the grid point nearest to it
(:meth:`Grid.nearest`). How each kind of number is laid out:

- learning rates (``Param.scale == "lr"``): a log grid from 1e-7 to the upper bound with 13 points per
  decade (mantissas 1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9), labelled like ``3e-4``; 0 first where the
  parameter allows it (a floor, a warmup start);
- step counts: every whole number up to 10, then 10 points per decade up to the bound (the total steps, or
  the main schedule's length), and the bound itself, so a 20-step warmup is as reachable on a 10M-step run
  as a 2M-step one;
- ``gamma``: a grid on ``1 - gamma`` in log scale (1e-7 .. 0.5, so 0.99995 is a grid point) plus a log grid
  of small factors (1e-4 .. 0.5) and 1;
- other factors: a log grid when the range spans two decades or more (``div_factor`` 1 .. 1e6), otherwise
  at most ~100 even steps (``pct_start`` in 0.01 steps, ``power`` and ``period_mult`` in 0.1 steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal

from schedules.params import Param

LR_FLOOR = 1e-7
LR_MANTISSAS = (1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9)
STEP_MANTISSAS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8)
FACTOR_MANTISSAS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8)
GAMMA_GAP_FLOOR = 1e-7
Layout = Literal["lr", "steps", "gamma", "log", "linear"]


@dataclass(frozen=True)
class Grid:
    """The sorted points a slider offers (``None`` first means "auto": derive the value) and how they read."""

    values: tuple[float | int | None, ...]
    layout: Layout

    def nearest(self, value: float | None) -> float | int | None:
        """The grid point closest to ``value``: in log distance on log layouts, plain distance otherwise.
        ``None`` picks "auto" when the grid has it, else the first point."""
        numbers = [v for v in self.values if v is not None]
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return self.values[0]
        if self.layout == "gamma":
            return min(numbers, key=lambda v: abs(_logit(v) - _logit(value)))
        if self.layout in ("lr", "steps", "log") and value > 0:
            positive = [v for v in numbers if v > 0]
            best = min(positive, key=lambda v: abs(math.log(v) - math.log(value)))
            zero = 0 in numbers or 0.0 in numbers
            # Below the smallest positive point, 0 is nearer when the value is closer to it than to that point.
            if zero and value < positive[0] and value < positive[0] - value:
                return numbers[0]
            return best
        return min(numbers, key=lambda v: abs(v - value))

    def label(self, value: float | int | None) -> str:
        """The point's label; computed once per grid (grids are cached), so a rerun only looks labels up."""
        text = self._labels.get(value)
        return text if text is not None else label(value, self.layout)

    @cached_property
    def _labels(self) -> dict[float | int | None, str]:
        return {v: label(v, self.layout) for v in self.values}


def _logit(v: float) -> float:
    """log(v / (1 - v)), finite at 0 and 1: fine near both ends, as factors such as 0.001 and 0.99995 need."""
    v = min(max(v, 1e-12), 1 - 1e-12)
    return math.log(v) - math.log1p(-v)


def label(value: float | int | None, layout: Layout) -> str:
    """How a grid point reads on its slider: ``3e-4``, ``2,000``, ``0.99995``, ``auto``."""
    if value is None:
        return "auto"
    if layout == "steps":
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,.6g}"
    if value == 0:
        return "0"
    if layout == "lr":
        exponent = math.floor(math.log10(value) + 1e-12)
        if exponent < -2:
            return f"{value / 10**exponent:.3g}e{exponent}"
        return f"{value:g}"
    if layout == "gamma":
        return repr(float(value))
    return f"{value:g}"


def _decade_points(low: float, high: float, mantissas: tuple[float, ...]) -> list[float]:
    """``m * 10**k`` for every mantissa and decade with the point in ``[low, high]``, written exactly
    (``float("3e-4")``, not ``3 * 1e-4``, which is 0.00030000000000000003)."""
    if high <= 0 or high < low:
        return []
    start = math.floor(math.log10(max(low, 1e-300)))
    stop = math.ceil(math.log10(high))
    out = []
    for k in range(start, stop + 1):
        for m in mantissas:
            v = float(f"{m}e{k}")
            if low <= v <= high:
                out.append(v)
    return out


#: Grids kept per process (each a few kB). Bounded: the grids' bounds come from each visitor's schedule (its
#: total steps, its peak lr), so an unbounded cache grew with every new share link a server ever saw.
GRID_CACHE_ENTRIES = 512


@lru_cache(maxsize=GRID_CACHE_ENTRIES)
def lr_grid(high: float, zero: bool) -> Grid:
    """Learning rates from 1e-7 (or 0) up to ``high``, ``high`` included."""
    points = _decade_points(LR_FLOOR, high, LR_MANTISSAS)
    if high >= LR_FLOOR and (not points or points[-1] != high):
        points.append(float(high))
    return Grid(tuple(([0.0] if zero else []) + sorted(set(points))), "lr")


@lru_cache(maxsize=GRID_CACHE_ENTRIES)
def steps_grid(low: int, high: int, zero: bool = False, auto: bool = False) -> Grid:
    """Whole step counts from ``low`` (or 0) to ``high``: 1..10, then 10 points per decade, then ``high``."""
    high = max(high, low)
    points = {round(v) for v in _decade_points(1, high, STEP_MANTISSAS)} | set(range(1, min(high, 10) + 1))
    points = {p for p in points if low <= p <= high} | {high, low}
    values: list[int | None] = sorted(points)
    if zero:
        values = [0, *[v for v in values if v != 0]]
    return Grid(tuple(([None] if auto else []) + values), "steps")


@lru_cache(maxsize=GRID_CACHE_ENTRIES)
def gamma_grid(low: float, high: float, low_open: bool) -> Grid:
    """Decay factors: ``1 - d`` for d on a log grid (fine near 1), small factors on a log grid, and 1."""
    gaps = _decade_points(GAMMA_GAP_FLOOR, 0.5, FACTOR_MANTISSAS)
    points = {round(1.0 - d, 12) for d in gaps} | set(_decade_points(1e-4, 0.5, FACTOR_MANTISSAS)) | {1.0}
    inside = sorted(v for v in points if (v > low if low_open else v >= low) and v <= high)
    return Grid(tuple(inside), "gamma")


@lru_cache(maxsize=GRID_CACHE_ENTRIES)
def factor_grid(low: float, high: float, low_open: bool, high_open: bool, auto: bool = False) -> Grid:
    """A dimensionless parameter: log grid over two decades or more, else ~100 even steps."""
    def ok(v: float) -> bool:
        return (v > low if low_open else v >= low) and (v < high if high_open else v <= high)

    if low > 0 and high / low >= 100:
        points = [v for v in _decade_points(low, high, FACTOR_MANTISSAS) if ok(v)]
        layout: Layout = "log"
    else:
        step = 10 ** math.ceil(math.log10((high - low) / 100) - 1e-9) if high > low else 1.0
        count = round((high - low) / step)
        points = [v for v in (round(low + i * step, 12) for i in range(count + 1)) if ok(v)]
        layout = "linear"
    return Grid(tuple(([None] if auto else []) + points), layout)


def param_grid(p: Param, *, main_steps: int, peak_lr: float) -> Grid | None:
    """The grid of a registry number parameter (None for booleans, choices and lists, which keep their
    own controls). Step counts are bounded by ``main_steps`` (the main schedule's length), floors by the
    peak lr: ranges follow the other fields, so the slider cannot offer an invalid combination."""
    if p.kind not in ("int", "float"):
        return None
    if p.scale == "lr":
        high = min(float(p.high) if p.high is not None else peak_lr, peak_lr)
        return lr_grid(high, zero=p.low is not None and p.low <= 0 and not p.low_open)
    if p.scale == "steps":
        low = max(1, math.ceil(p.low or 1))
        high = max(low, min(int(p.high) if p.high is not None else main_steps, main_steps))
        return steps_grid(low, high, auto=p.nullable)
    low = float(p.low) if p.low is not None else 0.0
    high = float(p.high) if p.high is not None else max(1.0, low * 10)
    if p.name == "gamma":
        return gamma_grid(low, high, p.low_open)
    return factor_grid(low, high, p.low_open, p.high_open, auto=p.nullable)
