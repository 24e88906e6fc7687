"""What the explore page draws and tabulates for one spec, computed once and kept small.

Pure: the full curve is evaluated (exact, ``schedules.curve``), summarised (``schedules.stats``) and
min/max-decimated to a few thousand points, so a cache holds kilobytes per spec even for 10M steps.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

import schedules
from schedules import Spec, SpecError
from schedules.stats import NEAR_PEAK, Summary, summarize
from ui.common.decimate import decimate_indices

MAX_POINTS = 4000
#: Runs longer than this are analysed block by block (``_streamed``); shorter ones whole, as fast.
STREAM_FROM = 1 << 18
#: Steps per block of a streamed analysis: whole buckets, about 512 kB of float64, in cache.
BLOCK_STEPS = 1 << 16
#: CSV downloads hold at most this many rows; longer runs are written every k-th step.
MAX_CSV_ROWS = 1_000_000


@dataclass(frozen=True)
class CurveView:
    """Decimated curves of one spec plus its exact summary.

    ``groups`` maps each param group (``"lr"`` when there are none) to ``(steps, values)``; ``momentum`` is
    ``(steps, values)`` or None.
    """

    groups: dict[str, tuple[np.ndarray, np.ndarray]]
    momentum: tuple[np.ndarray, np.ndarray] | None
    summary: Summary


def analyze(spec: Spec, at_step: int | None = None, max_points: int = MAX_POINTS,
            stream_from: int = STREAM_FROM) -> CurveView:
    """Evaluate ``spec`` at every step, summarise it and decimate each curve to ``max_points`` points.

    Param-group curves are ``lr(t) * lr_scale`` with ``lr_scale > 0``, so the decimated base curve scaled
    is the decimated group curve: the full curve is computed once. Runs longer than ``stream_from`` steps
    are analysed block by block (:func:`_streamed`): the same kept points and summary, never the whole
    curve in memory (epoch-interval runs stay whole: their curve is one value per epoch, repeated).
    """
    if spec.total_steps > max(stream_from, max_points) and spec.interval != "epoch":
        xs, ys, summary = _streamed(spec, at_step, max_points)
    else:
        values = schedules.curve(spec)
        summary = summarize(spec, values, at_step)
        xs, ys = _decimated(values, max_points)
    groups = {g.name: (xs, ys * g.lr_scale) for g in spec.param_groups} or {"lr": (xs, ys)}
    momentum = None
    if spec.momentum is not None:
        momentum = _decimated(schedules.momentum_curve(spec), max_points)
    return CurveView(groups=groups, momentum=momentum, summary=summary)


@dataclass(frozen=True)
class _Block:
    """What :func:`_streamed` keeps of one block of the curve: its rows' (the decimation buckets') first
    minimum and first maximum, step and value, in step order (the run's last, shorter bucket too, when it
    ends in this block), its sum, and its first and last values."""

    low_steps: np.ndarray
    lows: np.ndarray
    high_steps: np.ndarray
    highs: np.ndarray
    sizes: np.ndarray
    total: float
    first: float
    last: float


def _streamed(spec: Spec, at_step: int | None, max_points: int) -> tuple[np.ndarray, np.ndarray, Summary]:
    """The decimated curve and summary :func:`analyze` gives, from the curve in blocks
    (``schedules.curve.reduce_blocks``) instead of whole: for a 10M-step run 40 instead of 110 ms here,
    most of it the 80 MB the whole curve writes to fresh memory.

    Blocks are whole rows of :func:`ui.common.decimate.decimate_indices`' buckets, so each row's first min and max
    are its argmin and argmax, as there: the kept steps and values are the same. The summary equals
    :func:`schedules.stats.summarize` of the whole curve: peak and its first step from the rows' maxima;
    ``steps_above_90`` counts whole rows from their min and max and evaluates again only the rows that
    cross the threshold; the mean sums the blocks' pairwise sums exactly (``math.fsum``), so it differs
    from NumPy's one pairwise sum in the last bits only.
    """
    n = spec.total_steps
    buckets = (max_points - 2) // 2
    size = -(-n // buckets)  # as decimate_indices
    rows = max(1, BLOCK_STEPS // size)
    read = None if at_step is None else min(max(int(at_step), 0), n - 1)
    at_value: list[float] = []

    def reduce(lo: int, values: np.ndarray) -> _Block:
        whole = len(values) // size
        pieces = [values[: whole * size].reshape(whole, size)] if whole else []
        starts = [lo + np.arange(whole, dtype=np.int64) * size] if whole else []
        tail = values[whole * size:]
        if tail.size:  # the run's last bucket, shorter
            pieces.append(tail.reshape(1, -1))
            starts.append(np.array([lo + whole * size], dtype=np.int64))
        lows, highs, low_steps, high_steps, sizes = [], [], [], [], []
        for piece, first_steps in zip(pieces, starts, strict=True):
            lo_at, hi_at = piece.argmin(axis=1), piece.argmax(axis=1)
            index = np.arange(len(piece))
            lows.append(piece[index, lo_at])
            highs.append(piece[index, hi_at])
            low_steps.append(first_steps + lo_at)
            high_steps.append(first_steps + hi_at)
            sizes.append(np.full(len(piece), piece.shape[1], dtype=np.int64))
        if read is not None and lo <= read < lo + len(values):
            at_value.append(float(values[read - lo]))
        return _Block(np.concatenate(low_steps), np.concatenate(lows), np.concatenate(high_steps),
                      np.concatenate(highs), np.concatenate(sizes), float(np.sum(values)), float(values[0]),
                      float(values[-1]))

    blocks = schedules.reduce_blocks(spec, reduce, rows * size)
    low_steps, lows, high_steps, highs, sizes = (np.concatenate([getattr(b, f) for b in blocks]) for f in
                                                 ("low_steps", "lows", "high_steps", "highs", "sizes"))
    first, last = blocks[0].first, blocks[-1].last
    steps = np.concatenate([np.array([0, n - 1], dtype=np.int64), low_steps, high_steps])
    values = np.concatenate([np.array([first, last]), lows, highs])
    keep, where = np.unique(steps, return_index=True)

    best = int(np.argmax(highs))  # the first row holding the peak; in it, the first step reaching it
    peak = float(highs[best])
    threshold = NEAR_PEAK * peak
    above = int(sizes[lows >= threshold].sum())
    crossing = np.flatnonzero((lows < threshold) & (highs >= threshold))
    row_starts = np.concatenate([[0], np.cumsum(sizes)])
    for run in np.split(crossing, np.flatnonzero(np.diff(crossing) > 1) + 1) if crossing.size else ():
        above += sum(schedules.reduce_blocks(spec, lambda _, v: int(np.count_nonzero(v >= threshold)), rows * size,
                                             int(row_starts[run[0]]), int(row_starts[run[-1] + 1])))
    summary = Summary(peak=peak, peak_step=int(high_steps[best]), final=last,
                      mean=math.fsum(b.total for b in blocks) / n, at_step=read,
                      at_value=at_value[0] if at_value else None, steps_above_90=above)
    return keep, values[where], summary


def _decimated(values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of a per-step curve, min/max-decimated; the steps are the kept indices."""
    keep = decimate_indices(values, max_points)
    if keep is None:
        return np.arange(len(values), dtype=np.int64), values
    return keep, values[keep]


def no_warmup_twin(spec: Spec) -> Spec | None:
    """The same spec with ``warmup.steps = 0`` (its main schedule then runs over all total_steps);
    None when the spec has no warmup or the twin would be invalid."""
    if spec.warmup.steps == 0:
        return None
    try:
        return spec.replace(warmup={"steps": 0}, name=(spec.name + " (no warmup)").strip()[:80])
    except SpecError:
        return None


def curves_csv(specs: Mapping[str, Spec], max_rows: int = MAX_CSV_ROWS) -> str:
    """CSV text with a ``step`` column and one lr column per named spec (per param group when it has
    groups), up to the longest run; shorter runs leave their cells empty past their end.

    Runs longer than ``max_rows`` steps are written every ``ceil(longest / max_rows)``-th step.
    """
    longest = max((s.total_steps for s in specs.values()), default=0)
    stride = max(1, math.ceil(longest / max_rows))
    steps = np.arange(0, longest, stride, dtype=np.int64)
    columns: dict[str, np.ndarray] = {"step": steps.astype(np.float64)}
    for name, spec in specs.items():
        inside = steps[steps < spec.total_steps]
        for group, values in schedules.group_curves(spec, inside).items():
            column = np.full(steps.shape, np.nan)
            column[: inside.size] = values
            label = name if group == "lr" else f"{name} / {group}"
            columns[_csv_header(label, columns)] = column
    body = io.StringIO()
    table = np.column_stack(list(columns.values()))
    np.savetxt(body, table, fmt=["%d"] + ["%.17g"] * (len(columns) - 1), delimiter=",")
    header = ",".join(_csv_cell(h) for h in columns)
    # Past the end of a shorter run the cell is empty, not "nan".
    return header + "\n" + body.getvalue().replace("nan", "")


def _csv_header(label: str, taken: Mapping[str, object]) -> str:
    name, k = label, 2
    while name in taken:
        name, k = f"{label} ({k})", k + 1
    return name


def _csv_cell(text: str) -> str:
    # Quote every header; a leading = + - @ would be read as a formula by spreadsheets.
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'
