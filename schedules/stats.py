"""Numbers shown beside a plotted schedule: peak, final, mean, the lr at a chosen step, time near the peak.

Pure: NumPy and the standard library only. Each statistic is one vectorized pass over the curve, so a
10M-step curve is summarised in tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules.spec import Spec, load_spec

#: ``steps_above_90`` counts steps whose lr is at least this fraction of the peak.
NEAR_PEAK = 0.9


@dataclass(frozen=True)
class Summary:
    """Statistics of one lr curve (``curve[t]`` = lr used by update ``t``).

    ``peak_step`` is the first step reaching ``peak``; ``steps_above_90`` the number of steps with
    ``lr >= 0.9 * peak``; ``at_step``/``at_value`` the requested step (clamped into range) and its lr,
    or both None when no step was asked for.
    """

    peak: float
    peak_step: int
    final: float
    mean: float
    at_step: int | None
    at_value: float | None
    steps_above_90: int


def summarize(spec: Spec | Any, curve: np.ndarray, at_step: int | None = None) -> Summary:
    """Summarise ``curve``, the lr of ``spec`` at steps ``0 .. total_steps - 1``.

    Args:
        spec: the spec the curve was drawn from (a :class:`Spec` or anything :func:`load_spec` accepts).
        curve: its lr per step, as given by ``schedules.curve(spec)`` (or a param group's curve).
        at_step: a step to read the lr at. A step outside ``0 .. total_steps - 1`` is clamped to the
            nearest end (the returned ``at_step`` is the step actually read), so a UI can echo it.

    Returns:
        peak = max(curve), peak_step = min{t : curve[t] = peak}, final = curve[-1],
        mean = sum(curve) / total_steps, steps_above_90 = #{t : curve[t] >= 0.9 peak}.

    Raises:
        ValueError: the curve is not one value per step of the spec.

    >>> import schedules
    >>> s = schedules.load_spec({"total_steps": 4, "lr": 1.0, "schedule": {"type": "linear"}})
    >>> summarize(s, schedules.curve(s), at_step=9).at_value
    0.25
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    values = np.asarray(curve, dtype=np.float64)
    if values.shape != (spec.total_steps,):
        raise ValueError(f"curve must hold one lr per step ({spec.total_steps}), got shape {values.shape}")
    peak_step = int(np.argmax(values))
    peak = float(values[peak_step])
    if at_step is None:
        read, at_value = None, None
    else:
        read = min(max(int(at_step), 0), spec.total_steps - 1)
        at_value = float(values[read])
    return Summary(
        peak=peak,
        peak_step=peak_step,
        final=float(values[-1]),
        mean=float(values.mean()),
        at_step=read,
        at_value=at_value,
        steps_above_90=int(np.count_nonzero(values >= NEAR_PEAK * peak)),
    )
