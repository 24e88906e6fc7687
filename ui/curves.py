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
from schedules.stats import Summary, summarize
from ui.decimate import decimate_indices

MAX_POINTS = 4000
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


def analyze(spec: Spec, at_step: int | None = None, max_points: int = MAX_POINTS) -> CurveView:
    """Evaluate ``spec`` at every step, summarise it and decimate each curve to ``max_points`` points.

    Param-group curves are ``lr(t) * lr_scale`` with ``lr_scale > 0``, so the decimated base curve scaled
    is the decimated group curve: the full curve is computed once.
    """
    values = schedules.curve(spec)
    summary = summarize(spec, values, at_step)
    xs, ys = _decimated(values, max_points)
    groups = {g.name: (xs, ys * g.lr_scale) for g in spec.param_groups} or {"lr": (xs, ys)}
    momentum = None
    if spec.momentum is not None:
        momentum = _decimated(schedules.momentum_curve(spec), max_points)
    return CurveView(groups=groups, momentum=momentum, summary=summary)


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
