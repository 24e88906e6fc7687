"""Figure factory for the LR range test: loss against lr on a log axis, with every rule's suggestion marked.

Pure: arrays and suggestions in, a ``go.Figure`` out; no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from schedules.finder import Suggestion

RAW_COLOR = "rgba(120, 120, 120, 0.45)"
SMOOTH_COLOR = "#1f77b4"
#: One colour and marker per rule, in :data:`schedules.finder.RULES` order.
RULE_STYLE: dict[str, tuple[str, str]] = {
    "steepest": ("#d62728", "diamond"),
    "minimum": ("#2ca02c", "triangle-down"),
    "valley": ("#9467bd", "star"),
    "clr_bounds": ("#ff7f0e", "square"),
}
RULE_LABEL: dict[str, str] = {
    "steepest": "steepest descent",
    "minimum": "minimum ÷ 10",
    "valley": "valley (fastai)",
    "clr_bounds": "CLR bounds",
}


def _loss_at(lr: float, lrs: np.ndarray, smoothed: np.ndarray) -> float:
    """The smoothed loss at ``lr``, interpolated on log10(lr) (a suggestion may fall between sweep points)."""
    return float(np.interp(np.log10(lr), np.log10(lrs), smoothed))


def range_test_figure(
    lrs: Sequence[float] | np.ndarray,
    losses: Sequence[float] | np.ndarray,
    smoothed: Sequence[float] | np.ndarray,
    suggestions: Sequence[Suggestion],
    skip_start: int = 0,
    skip_end: int = 0,
) -> go.Figure:
    """Raw and smoothed loss against lr (log x), trimmed ends shaded, one marker per suggestion.

    The y axis spans the smoothed loss of the kept points and the 2nd to 98th percentile of their raw loss, with a
    margin, so a blown-up tail or a raw spike does not flatten the region the rules look at. The CLR bounds rule
    is drawn as a band from min_lr to max_lr.
    """
    x = np.asarray(lrs, dtype=np.float64)
    raw = np.asarray(losses, dtype=np.float64)
    s = np.asarray(smoothed, dtype=np.float64)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=x, y=raw, mode="lines", name="loss (raw)", line={"color": RAW_COLOR, "width": 1},
                   hovertemplate="lr %{x:.3g}<br>loss %{y:.4g}<extra>raw</extra>")
    )
    fig.add_trace(
        go.Scatter(x=x, y=s, mode="lines", name="loss (smoothed)", line={"color": SMOOTH_COLOR, "width": 2.5},
                   hovertemplate="lr %{x:.3g}<br>smoothed %{y:.4g}<extra></extra>")
    )
    for sug in suggestions:
        color, symbol = RULE_STYLE.get(sug.rule, ("#333333", "circle"))
        label = RULE_LABEL.get(sug.rule, sug.rule)
        if sug.min_lr is not None:
            fig.add_vrect(x0=sug.min_lr, x1=sug.lr, fillcolor=color, opacity=0.12, line_width=0, layer="below")
        xs = [sug.lr] if sug.min_lr is None else [sug.min_lr, sug.lr]
        fig.add_trace(
            go.Scatter(
                x=xs, y=[_loss_at(v, x, s) for v in xs], mode="markers", name=f"{label}: {sug.lr:.3g}",
                marker={"color": color, "symbol": symbol, "size": 13, "line": {"color": "white", "width": 1}},
                hovertemplate=f"{label}<br>lr %{{x:.3g}}<extra></extra>",
            )
        )
    n = x.size
    kept = slice(skip_start, max(n - skip_end, skip_start + 1))
    if skip_start > 0 and n:
        fig.add_vrect(x0=x[0], x1=x[min(skip_start, n - 1)], fillcolor="gray", opacity=0.08, line_width=0,
                      layer="below")
    if skip_end > 0 and n:
        fig.add_vrect(x0=x[max(n - skip_end - 1, 0)], x1=x[-1], fillcolor="gray", opacity=0.08, line_width=0,
                      layer="below")
    y_kept = s[kept][np.isfinite(s[kept])]
    raw_kept = raw[kept][np.isfinite(raw[kept])]
    if y_kept.size:
        # Percentiles of the raw loss: its bulk shows, a lone spike or the last blown-up batch does not.
        lo = min(float(y_kept.min()), float(np.percentile(raw_kept, 2)))
        hi = max(float(y_kept.max()), float(np.percentile(raw_kept, 98)))
        pad = 0.1 * (hi - lo) if hi > lo else 0.1 * max(abs(hi), 1.0)
        fig.update_yaxes(range=[lo - pad, hi + pad])
    fig.update_layout(
        xaxis={"type": "log", "title": "learning rate (log scale)", "exponentformat": "power"},
        yaxis_title="training loss",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        hovermode="closest",
        height=460,
    )
    return fig
