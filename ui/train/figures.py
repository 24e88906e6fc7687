"""Figures and tables of the Train page: several seeds of several schedules, as bands and numbers.

Pure: runs in (``tasks.train.Run``, grouped by schedule name), ``go.Figure`` or rows out; no Streamlit.
A band is the min–max over seeds around their mean; a diverged seed ends at its divergence step, which is
marked with an ✕ on the loss chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tasks.train import Run, Summary, summarize
from ui.common.figures import PALETTE

LAYOUT = {"hovermode": "x unified", "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
          "legend": {"orientation": "h", "y": -0.2}}


def ema(values: np.ndarray, beta: float) -> np.ndarray:
    """Debiased exponential moving average ``s_t = β·s_{t−1} + (1−β)·x_t``, ``ŝ_t = s_t / (1 − β^{t+1})``
    (the smoothing TensorBoard and fastai apply to a loss curve); NaN stays NaN past a divergence."""
    out = np.full(values.shape, np.nan)
    s = 0.0
    for i, x in enumerate(values):
        if not np.isfinite(x):
            break
        s = beta * s + (1.0 - beta) * x
        out[i] = s / (1.0 - beta ** (i + 1))
    return out


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _band(fig: go.Figure, name: str, x: np.ndarray, ys: np.ndarray, color: str, *, dash: str = "solid",
          row: int | None = None, col: int | None = None, legend: bool = True, width: float = 2.0) -> None:
    """Mean line and min–max band over the rows of ``ys`` (one row per seed), NaN-aware."""
    with np.errstate(invalid="ignore"), _quiet():
        mean = np.nanmean(ys, axis=0)
        low, high = np.nanmin(ys, axis=0), np.nanmax(ys, axis=0)
    where = {"row": row, "col": col} if row else {}
    if ys.shape[0] > 1:
        fig.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip",
                                 legendgroup=name), **where)
        fig.add_trace(go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=_rgba(color, 0.18), showlegend=False, hoverinfo="skip",
                                 legendgroup=name), **where)
    fig.add_trace(go.Scatter(x=x, y=mean, mode="lines", name=name, line={"color": color, "dash": dash,
                                                                           "width": width},
                             legendgroup=name, showlegend=legend), **where)


class _quiet:
    """Silence NumPy's all-NaN-slice warnings (a column where every seed has diverged is NaN, as it should)."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def loss_figure(runs: Mapping[str, Sequence[Run]], *, smooth: float = 0.9, show_raw: bool = True) -> go.Figure:
    """Training loss per step (log y): per schedule the smoothed mean over seeds with its min–max band, the raw
    mean as a thin line, and an ✕ where a seed diverged (non-finite or > 10× its first loss)."""
    fig = go.Figure()
    for i, (name, rs) in enumerate(runs.items()):
        color = _color(i)
        x = np.arange(rs[0].steps)
        raw = np.vstack([r.loss for r in rs])
        if show_raw:
            with _quiet():
                fig.add_trace(go.Scatter(x=x, y=np.nanmean(raw, axis=0), mode="lines", name=f"{name} (raw)",
                                         line={"color": _rgba(color, 0.35), "width": 1}, legendgroup=name))
        _band(fig, name, x, np.vstack([ema(r.loss, smooth) for r in rs]) if smooth else raw, color)
        diverged = [r for r in rs if r.diverged_at is not None]
        if diverged:
            steps = [r.diverged_at for r in diverged]
            values = [float(np.nanmax(r.loss[: r.diverged_at])) if r.diverged_at else float(r.loss[0])
                      for r in diverged]
            fig.add_trace(go.Scatter(
                x=steps, y=values, mode="markers+text", name=f"{name}: diverged",
                marker={"symbol": "x", "size": 14, "color": color, "line": {"width": 2}},
                text=[f"diverged at step {s}" for s in steps], textposition="top right", legendgroup=name))
    fig.update_layout(title="Training loss (batch, before each update)", xaxis_title="step", yaxis_title="loss",
                      yaxis_type="log", **LAYOUT)
    return fig


def lr_figure(runs: Mapping[str, Sequence[Run]]) -> go.Figure:
    """The lr each run applied per step (the schedule's base lr; param groups scale it)."""
    fig = go.Figure()
    for i, (name, rs) in enumerate(runs.items()):
        fig.add_trace(go.Scatter(x=np.arange(rs[0].steps), y=rs[0].lr, mode="lines", name=name,
                                 line={"color": _color(i), "dash": "dash" if i == 1 else "solid"}))
    fig.update_layout(title="lr applied per step", xaxis_title="step", yaxis_title="lr", **LAYOUT)
    return fig


def eval_figure(runs: Mapping[str, Sequence[Run]]) -> go.Figure:
    """Held-out accuracy and loss at the evaluation steps, band over seeds."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("held-out accuracy", "held-out loss"))
    for i, (name, rs) in enumerate(runs.items()):
        x = rs[0].eval_steps
        _band(fig, name, x, np.vstack([r.test_accuracy for r in rs]), _color(i), row=1, col=1)
        _band(fig, name, x, np.vstack([r.test_loss for r in rs]), _color(i), row=1, col=2, legend=False)
    fig.update_layout(**LAYOUT)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title_text="step")
    return fig


def mechanism_figure(runs: Mapping[str, Sequence[Run]], early: int | None = None) -> go.Figure:
    """Why: update-to-weight ratio ‖Δθ‖/‖θ‖ (largest layer), gradient norm, Adam's effective step
    lr/(√v̂+eps) (median, 5–95th percentile band) and the dead-ReLU fraction; seed means.

    ``early`` limits the x axis to the first steps, where warmup acts.
    """
    fig = make_subplots(rows=2, cols=2, subplot_titles=(
        "update / weight norm, largest layer ‖Δθ‖/‖θ‖", "gradient norm ‖g‖",
        "Adam effective step lr/(√v̂+eps): median, 5–95%", "dead ReLUs (fraction of hidden units)"),
        vertical_spacing=0.16)
    for i, (name, rs) in enumerate(runs.items()):
        color = _color(i)
        x = np.arange(rs[0].steps)
        with _quiet():
            ratio = np.vstack([np.nanmax(r.update_ratio, axis=1) for r in rs])
        _band(fig, name, x, ratio, color, row=1, col=1)
        _band(fig, name, x, np.vstack([r.grad_norm for r in rs]), color, row=1, col=2, legend=False)
        probes = rs[0].probe_steps
        if rs[0].effective_step is not None:
            med = np.vstack([r.effective_step[:, 1] for r in rs])  # type: ignore[index]
            low = np.vstack([r.effective_step[:, 0] for r in rs])  # type: ignore[index]
            high = np.vstack([r.effective_step[:, 2] for r in rs])  # type: ignore[index]
            with _quiet():
                fig.add_trace(go.Scatter(x=probes, y=np.nanmean(high, axis=0), mode="lines", line={"width": 0},
                                         showlegend=False, hoverinfo="skip"), row=2, col=1)
                fig.add_trace(go.Scatter(x=probes, y=np.nanmean(low, axis=0), mode="lines", line={"width": 0},
                                         fill="tonexty", fillcolor=_rgba(color, 0.18), showlegend=False,
                                         hoverinfo="skip"), row=2, col=1)
                fig.add_trace(go.Scatter(x=probes, y=np.nanmean(med, axis=0), mode="lines+markers", name=name,
                                         line={"color": color}, marker={"size": 4}, showlegend=False),
                              row=2, col=1)
        _band(fig, name, probes, np.vstack([r.dead_relu for r in rs]), color, row=2, col=2, legend=False)
    for row, col in ((1, 1), (1, 2), (2, 1)):
        fig.update_yaxes(type="log", row=row, col=col)
    fig.update_xaxes(title_text="step", row=2)  # on the top row it would collide with the titles below
    if early:
        fig.update_xaxes(range=[0, early])
    fig.update_layout(height=640, **LAYOUT)
    return fig


@dataclass(frozen=True)
class Row:
    """One schedule's numbers, over its seeds (mean, and min–max where it helps)."""

    name: str
    final_loss: str
    accuracy: str
    max_early_loss: str
    steps_to_target: str
    diverged: str


def _fmt(values: Sequence[float], digits: int = 3) -> str:
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return "—"
    mean = float(np.mean(finite))
    if len(finite) == 1:
        return f"{mean:.{digits}g}"
    return f"{mean:.{digits}g} ({min(finite):.{digits}g}–{max(finite):.{digits}g})"


def summary_rows(runs: Mapping[str, Sequence[Run]], target: float) -> list[Row]:
    """Per schedule: final train loss (mean of the last 50 steps), held-out accuracy, max loss in the first 100
    steps, first step with loss ≤ ``target``, and how many seeds diverged (and where)."""
    rows = []
    for name, rs in runs.items():
        sums = [summarize(r, target) for r in rs]
        reached = [s.steps_to_target for s in sums if s.steps_to_target is not None]
        div = [s.diverged_at for s in sums if s.diverged_at is not None]
        rows.append(Row(
            name=name,
            final_loss=_fmt([s.final_loss for s in sums]),
            accuracy=_fmt([s.final_accuracy for s in sums]),
            max_early_loss=_fmt([s.max_early_loss for s in sums]),
            steps_to_target=(_fmt([float(v) for v in reached], 4) + ("" if len(reached) == len(sums) else
                             f"; {len(sums) - len(reached)} of {len(sums)} never")) if reached else "never",
            diverged=(f"{len(div)} of {len(sums)} (step {', '.join(str(d) for d in div)})" if div else "no"),
        ))
    return rows


def _mean(sums: Sequence[Summary], attr: str) -> float:
    values = [getattr(s, attr) for s in sums]
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def reading(with_warmup: Sequence[Run], without: Sequence[Run], target: float, first: int = 3) -> str:
    """One sentence comparing a schedule with its no-warmup twin on the same seeds."""
    a = [summarize(r, target, first=first) for r in with_warmup]
    b = [summarize(r, target, first=first) for r in without]
    div_b = sum(s.diverged_at is not None for s in b)
    div_a = sum(s.diverged_at is not None for s in a)
    moved = (f"without warmup the first {first} updates moved the weights by "
             f"{100 * _mean(b, 'first_updates_ratio'):.3g}% of their norm "
             f"(with warmup {100 * _mean(a, 'first_updates_ratio'):.2g}%)")
    if div_b and not div_a:
        return f"{moved.capitalize()}, and {div_b} of {len(b)} runs diverged; with warmup none did."
    if div_a and div_b:
        return f"{moved.capitalize()}; runs diverged with ({div_a}) and without ({div_b}) warmup."
    early_a, early_b = _mean(a, "max_early_loss"), _mean(b, "max_early_loss")
    final_a, final_b = _mean(a, "final_loss"), _mean(b, "final_loss")
    return (f"{moved.capitalize()}; the loss peaked at {early_b:.3g} in the first 100 steps (with warmup "
            f"{early_a:.3g}) and ended at {final_b:.3g} (with warmup {final_a:.3g}).")
