"""Plotly figure factories: validated curves in, ``go.Figure`` out. No Streamlit, no I/O.

Every trace is min/max-decimated to at most ``max_points`` points (:func:`ui.decimate.decimate`), so the
browser draws a 10M-step schedule as fast as a 1k-step one and still shows every peak and trough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from ui.decimate import decimate
from ui.phases import Phase

MAX_POINTS = 4000
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")
PHASE_COLORS = {
    "warmup": "#ff7f0e",
    "stable": "#2ca02c",
    "decay": "#1f77b4",
    "rise": "#ff7f0e",
    "anneal": "#1f77b4",
    "cycle": "#9467bd",
}
X_TITLES = {"step": "step (optimizer update)", "epoch": "epoch"}


@dataclass(frozen=True)
class Trace:
    """One curve: ``values[i]`` is the lr (or momentum) at global step ``steps[i]``."""

    name: str
    steps: np.ndarray
    values: np.ndarray
    dash: str = "solid"
    color: str | None = None


def schedule_figure(
    curves: Sequence[Trace],
    *,
    phases: Sequence[Phase] = (),
    log_y: bool = False,
    x_axis: str = "step",
    steps_per_epoch: int | None = None,
    momentum: Trace | None = None,
    title: str = "",
    max_points: int = MAX_POINTS,
) -> go.Figure:
    """A line chart of lr curves, with shaded phases and an optional momentum curve on a right axis.

    Args:
        curves: the lr traces, drawn in order (colors from :data:`PALETTE` unless a trace sets its own).
        phases: spans to shade and label, in steps.
        log_y: log-scale lr axis (zeros are not drawn on it).
        x_axis: ``"step"`` or ``"epoch"`` (x = step / steps_per_epoch, which must then be given).
        steps_per_epoch: lets hover text show the epoch beside the step.
        momentum: drawn dotted on a secondary y axis.
        max_points: each trace keeps at most this many points (min/max per bucket).

    Raises:
        ValueError: an unknown ``x_axis``, an epoch axis without steps_per_epoch, or a trace whose steps and
            values differ in length.
    """
    if x_axis not in X_TITLES:
        raise ValueError(f"x_axis must be 'step' or 'epoch', got {x_axis!r}")
    if x_axis == "epoch" and not steps_per_epoch:
        raise ValueError("x_axis 'epoch' needs steps_per_epoch")
    traces = []
    for i, trace in enumerate(curves):
        color = trace.color or PALETTE[i % len(PALETTE)]
        traces.append(_scatter(trace, x_axis, steps_per_epoch, max_points, color, "lr", "y"))
    if momentum is not None:
        traces.append(_scatter(momentum, x_axis, steps_per_epoch, max_points, "#7f7f7f", "momentum", "y2"))
        traces[-1]["line"]["dash"] = "dot"
    scale = 1.0 / steps_per_epoch if x_axis == "epoch" and steps_per_epoch else 1.0
    layout = {
        "template": _template(),
        "hovermode": "x unified",
        "margin": {"l": 60, "r": 60 if momentum is not None else 20, "t": 50 if title else 30, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "xaxis": {"title": {"text": X_TITLES[x_axis]}},
        "yaxis": {"title": {"text": "learning rate"}, "type": "log" if log_y else "linear", "exponentformat": "e"},
        "shapes": [_shade(p, scale, i) for i, p in enumerate(phases)],
        "annotations": _labels(phases, scale),
    }
    if title:
        layout["title"] = {"text": title}
    if momentum is not None:
        layout["yaxis2"] = {"title": {"text": "momentum"}, "overlaying": "y", "side": "right", "showgrid": False}
    # Built from plain dicts of known-good keys (tests validate them with plotly's validators): skipping the
    # validation here makes a figure ~20x cheaper to build, which is most of a rerun at 10M steps.
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


@cache
def _template() -> dict:
    return pio.templates["plotly_white"].to_plotly_json()


def _scatter(trace: Trace, x_axis: str, spe: int | None, max_points: int, color: str, what: str,
             yaxis: str) -> dict:
    steps = np.asarray(trace.steps)
    values = np.asarray(trace.values, dtype=np.float64)
    if steps.shape != values.shape:
        raise ValueError(f"trace {trace.name!r}: steps and values differ in shape ({steps.shape}, {values.shape})")
    steps, values = decimate(steps, values, max_points)
    x = steps / spe if x_axis == "epoch" and spe else steps
    if spe:
        custom = np.column_stack([steps, steps / spe])
        hover = "step %{customdata[0]:,.0f} · epoch %{customdata[1]:.3f}<br>" + what + " %{y:.4~e}"
    else:
        custom = np.column_stack([steps])
        hover = "step %{customdata[0]:,.0f}<br>" + what + " %{y:.4~e}"
    return {
        "type": "scatter", "x": x, "y": values, "name": _plain(trace.name), "mode": "lines", "yaxis": yaxis,
        "customdata": custom, "hovertemplate": hover + f"<extra>{_plain(trace.name)}</extra>",
        "line": {"color": color, "dash": trace.dash, "width": 2 if trace.dash == "solid" else 1.5},
    }


def _shade(phase: Phase, scale: float, index: int) -> dict:
    return {
        "type": "rect", "xref": "x", "yref": "paper", "x0": phase.start * scale, "x1": phase.end * scale,
        "y0": 0, "y1": 1, "fillcolor": PHASE_COLORS.get(phase.kind, "#7f7f7f"),
        "opacity": 0.07 if phase.kind != "cycle" else 0.04 + 0.05 * (index % 2),
        "layer": "below", "line": {"width": 0}, "name": phase.label,
    }


def _labels(phases: Sequence[Phase], scale: float) -> list[dict]:
    """One label per phase at its start; a label closer than 8% of the run to the previous one drops a row
    so short phases (a 1% warmup) stay readable."""
    extent = max((p.end for p in phases), default=1)
    out, row, last = [], 0, None
    for phase in phases:
        row = (row + 1) % 2 if last is not None and phase.start - last < 0.08 * extent else 0
        out.append({
            "x": phase.start * scale, "xref": "x", "y": 1 - 0.06 * row, "yref": "paper",
            "text": _plain(phase.label), "showarrow": False, "xanchor": "left", "yanchor": "top",
            "font": {"size": 10, "color": "#555"},
        })
        last = phase.start
    return out


def _plain(text: str) -> str:
    # Plotly renders a subset of HTML in names and labels; show user-chosen names as plain text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
