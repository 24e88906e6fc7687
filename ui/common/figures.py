"""Plotly figure factories: validated curves in, plain figure dicts out (a ``go.Figure`` on request). No
Streamlit, no I/O.

Every trace is min/max-decimated to at most ``max_points`` points (:func:`ui.common.decimate.decimate`), so the
browser draws a 10M-step schedule as fast as a 1k-step one and still shows every peak and trough.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ui.common.decimate import decimate
from ui.explore.phases import Phase

if TYPE_CHECKING:
    from ui.common.curves import CurveView

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
    #: Shade the area between this curve and the one drawn before it (the gap warmup opens).
    fill_to_previous: bool = False


def lr_traces(name: str, view: CurveView, color: str | None, dash: str = "solid") -> list[Trace]:
    """The lr curves of one analysed spec: one trace, or one per param group (then in the palette's colors,
    named "<name> · <group>")."""
    traces = []
    for group, (steps, values) in view.groups.items():
        label = name if group == "lr" else f"{name} · {group}"
        traces.append(Trace(label, steps, values, dash=dash, color=None if len(view.groups) > 1 else color))
    return traces


def schedule_figure(*args, **kwargs) -> go.Figure:
    """:func:`figure_dict`'s figure as a ``go.Figure`` (same arguments)."""
    return as_figure(figure_dict(*args, **kwargs))


def as_figure(figure: dict) -> go.Figure:
    """A ``go.Figure`` around :func:`figure_dict`'s plain dict, without plotly.py's validation.

    Built from plain dicts of known-good keys (tests validate them with plotly's validators): skipping the
    validation makes a figure ~20x cheaper to build, which is most of a rerun at 10M steps."""
    return go.Figure(figure, _validate=False)


def figure_dict(
    curves: Sequence[Trace],
    *,
    phases: Sequence[Phase] = (),
    log_y: bool = False,
    x_axis: str = "step",
    steps_per_epoch: int | None = None,
    momentum: Trace | None = None,
    title: str = "",
    max_points: int = MAX_POINTS,
    x_range: tuple[int, int] | None = None,
) -> dict:
    """A line chart of lr curves, with shaded phases and an optional momentum curve on a right axis, as the
    plain ``{"data": [...], "layout": {...}}`` dict Plotly reads (:func:`schedule_figure` wraps it).

    Args:
        curves: the lr traces, drawn in order (colors from :data:`PALETTE` unless a trace sets its own).
        phases: spans to shade and label, in steps.
        log_y: log-scale lr axis (zeros are not drawn on it).
        x_axis: ``"step"`` or ``"epoch"`` (x = step / steps_per_epoch, which must then be given).
        steps_per_epoch: lets hover text show the epoch beside the step.
        momentum: drawn dotted on a secondary y axis.
        max_points: each trace keeps at most this many points (min/max per bucket).
        x_range: show only steps ``[start, end)`` (a close-up); phases are clipped to it.

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
        "template": {},  # not plotly.py's default template either (see below)
        "hovermode": "x unified",
        "margin": {"l": 60, "r": 60 if momentum is not None else 20, "t": 50 if title else 30, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "xaxis": {"title": {"text": X_TITLES[x_axis]}},
        "yaxis": {"title": {"text": "learning rate"}, "type": "log" if log_y else "linear", "exponentformat": "e"},
        "shapes": [_shade(p, scale, i, x_range) for i, p in enumerate(phases)
                   if x_range is None or (p.end > x_range[0] and p.start < x_range[1])],
        "annotations": _labels(phases, scale, x_range),
    }
    if x_range is not None:
        layout["xaxis"]["range"] = [x_range[0] * scale, (x_range[1] - 1) * scale]
    if title:
        layout["title"] = {"text": title}
    if momentum is not None:
        layout["yaxis2"] = {"title": {"text": "momentum"}, "overlaying": "y", "side": "right", "showgrid": False}
    # An empty template: the chart component (ui/common/chart.js) replaces the figure's template with one from the
    # page's theme, so plotly.py's default one (7 kB) would only cost a deep copy and bytes on the wire.
    return {"data": traces, "layout": layout}


def _scatter(trace: Trace, x_axis: str, spe: int | None, max_points: int, color: str, what: str,
             yaxis: str) -> dict:
    steps = np.asarray(trace.steps)
    values = np.asarray(trace.values, dtype=np.float64)
    if steps.shape != values.shape:
        raise ValueError(f"trace {trace.name!r}: steps and values differ in shape ({steps.shape}, {values.shape})")
    steps, values = decimate(steps, values, max_points)
    # Hover names the step (and the epoch when the run has them) from what the trace already carries: x, and
    # customdata only for the other unit, so no array is sent twice.
    tail = "<br>" + what + " %{y:.4~e}"
    if x_axis == "epoch" and spe:
        x, custom = steps / spe, steps
        hover = "step %{customdata:,.0f} · epoch %{x:.3f}" + tail
    elif spe:
        x, custom = steps, steps / spe
        hover = "step %{x:,.0f} · epoch %{customdata:.3f}" + tail
    else:
        x, custom = steps, None
        hover = "step %{x:,.0f}" + tail
    out = {
        "type": "scatter", "x": x, "y": values, "name": _plain(trace.name), "mode": "lines", "yaxis": yaxis,
        "hovertemplate": hover + f"<extra>{_plain(trace.name)}</extra>",
        "line": {"color": color, "dash": trace.dash, "width": 2 if trace.dash == "solid" else 1.5},
    }
    if custom is not None:
        out["customdata"] = custom
    if trace.fill_to_previous:
        out["fill"] = "tonexty"
        out["fillcolor"] = _translucent(color, 0.18)
    return out


def _translucent(color: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r, g, b, alpha)``."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _shade(phase: Phase, scale: float, index: int, x_range: tuple[int, int] | None = None) -> dict:
    start, end = phase.start, phase.end
    if x_range is not None:
        start, end = max(start, x_range[0]), min(end, x_range[1])
    return {
        "type": "rect", "xref": "x", "yref": "paper", "x0": start * scale, "x1": end * scale,
        "y0": 0, "y1": 1, "fillcolor": PHASE_COLORS.get(phase.kind, "#7f7f7f"),
        "opacity": 0.07 if phase.kind != "cycle" else 0.04 + 0.05 * (index % 2),
        "layer": "below", "line": {"width": 0}, "name": phase.label,
    }


#: A phase label's width per character, as a fraction of the plot's width: 10 px type (~6.5 px a character)
#: on a plot assumed no wider than 480 px (a narrow column), so the estimate errs towards too wide.
LABEL_CHAR_WIDTH = 6.5 / 480
#: Rows of labels below the top edge; a label that fits in none of them is left out (its phase stays shaded).
LABEL_ROWS = 3
LABEL_ROW_HEIGHT = 0.06


def _labels(phases: Sequence[Phase], scale: float, x_range: tuple[float, float] | None = None) -> list[dict]:
    """One label per phase at its start, each on the first row where it clears the labels before it.

    A label's width is estimated from its length (:data:`LABEL_CHAR_WIDTH`) against the widest x range the
    chart shows (the whole run, or ``x_range`` in steps): zooming in only spreads labels apart, so labels
    that do not overlap at that range never do. Short phases (a 1% warmup) push the next label a row down."""
    lo, hi = x_range if x_range is not None else (0, max((p.end for p in phases), default=1))
    extent = max(hi - lo, 1)
    ends = [-math.inf] * LABEL_ROWS
    out = []
    for phase in phases:
        start = (max(phase.start, lo) - lo) / extent
        if phase.end <= lo or phase.start >= hi:
            continue
        width = (len(phase.label) + 1) * LABEL_CHAR_WIDTH
        row = next((r for r in range(LABEL_ROWS) if ends[r] <= start), None)
        if row is None:
            continue
        ends[row] = start + width
        out.append({
            "x": max(phase.start, lo) * scale, "xref": "x", "y": 1 - LABEL_ROW_HEIGHT * row, "yref": "paper",
            "text": _plain(phase.label), "showarrow": False, "xanchor": "left", "yanchor": "top",
            "font": {"size": 10, "color": "#555"},
        })
    return out


def _plain(text: str) -> str:
    # Plotly renders a subset of HTML in names and labels; show user-chosen names as plain text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: The stacked chart's parts in pixels: the main chart's plot, the room between the two plots (the main
#: chart's x-axis title and the close-up's title), and the close-up's plot.
MAIN_PLOT_PX = 380
GAP_PX = 90
CLOSEUP_PLOT_PX = 250
STACK_MARGIN = {"l": 60, "t": 30, "b": 50}


def with_closeup(main: dict, closeup: dict, title: str) -> dict:
    """``main`` with ``closeup`` stacked below it in the same figure (two subplots, one Plotly chart).

    One chart instead of two: the browser builds one plot per redraw (a slider move redraws both), and
    the two share a legend (clicking a curve's name hides it in both). The close-up keeps its own x range
    and y axis (``x2``/``y3``; ``y2`` stays the main chart's momentum axis); phase shading and labels are
    placed in each plot's own domain. Both figures come from :func:`figure_dict` and are changed in place
    (dicts, not ``go.Figure``: a figure's ``to_dict`` deep-copies and base64-encodes every array, ~5 ms).
    """
    layout, sub = main["layout"], closeup["layout"]
    plot_px = MAIN_PLOT_PX + GAP_PX + CLOSEUP_PLOT_PX
    closeup_top = CLOSEUP_PLOT_PX / plot_px
    layout["height"] = plot_px + STACK_MARGIN["t"] + STACK_MARGIN["b"]
    layout["margin"] = {**layout["margin"], **STACK_MARGIN}
    layout["yaxis"]["domain"] = [1 - MAIN_PLOT_PX / plot_px, 1]
    layout["xaxis2"] = {**sub["xaxis"], "anchor": "y3"}
    layout["yaxis3"] = {**sub["yaxis"], "anchor": "x2", "domain": [0, closeup_top]}
    for trace in main["data"]:
        trace["legendgroup"] = trace["name"]
    for trace in closeup["data"]:
        trace.update(xaxis="x2", yaxis="y3", legendgroup=trace["name"], showlegend=False)
    # Shapes and labels were placed on the whole paper of a one-plot figure: put each in its own plot.
    for item in [*layout.get("shapes", ()), *layout.get("annotations", ())]:
        item["yref"] = "y domain"
    for item in [*sub.get("shapes", ()), *sub.get("annotations", ())]:
        item.update(xref="x2", yref="y3 domain")
    layout["shapes"] = [*layout.get("shapes", ()), *sub.get("shapes", ())]
    layout["annotations"] = [*layout.get("annotations", ()), *sub.get("annotations", ()), {
        "text": title, "xref": "paper", "x": 0, "xanchor": "left", "yref": "paper", "y": closeup_top + 0.02,
        "yanchor": "bottom", "showarrow": False, "font": {"size": 13},
    }]
    return {"data": main["data"] + closeup["data"], "layout": layout}
