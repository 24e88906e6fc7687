"""The explore page's warmup close-ups: the schedule's first steps against its no-warmup twin, and the
compared schedules' first steps overlaid, each with what warmup costs and buys in numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import schedules
from ui.common.chart import plotly_chart
from ui.common.figures import PALETTE, Trace, figure_dict
from ui.common.link_state import State
from ui.common.tables import fmt, markdown_table
from ui.explore.cached import cached_closeup
from ui.explore.closeup import closeup_steps, closeup_window
from ui.explore.keys import K_CMP_CLOSEUP
from ui.explore.phases import phase_spans


def closeup_traces(name: str, steps: np.ndarray, curves: dict[str, np.ndarray], color: str | None,
                   dash: str = "solid", fill: bool = False) -> list[Trace]:
    """Close-up traces named like the main chart's (``name · group`` where groups exist)."""
    return [Trace(name if g == "lr" else f"{name} · {g}", steps, values, dash=dash,
                  color=color if len(curves) == 1 else None, fill_to_previous=fill)
            for g, values in curves.items()]


def closeup_figure(state: State) -> tuple[dict, str, dict]:
    """The warmup close-up: the first ~3 warmups of steps, schedule against its twin with the gap between
    them shaded; with its title and what warmup costs and buys (per param group).

    Drawn stacked under the main chart (:func:`ui.common.figures.with_closeup`), its numbers by
    :func:`render_warmup_numbers`."""
    spec = state.spec
    steps, curves, twin_curves, numbers = cached_closeup(spec.to_json(indent=None))
    window = int(steps[-1]) + 1
    traces = []
    for i, (group, values) in enumerate(curves.items()):
        # One color per group (the schedule solid, its twin dashed), the gap between the two shaded.
        own, twin = (PALETTE[0], PALETTE[1]) if len(curves) == 1 else (PALETTE[i % len(PALETTE)],) * 2
        traces += closeup_traces(spec.name or "schedule", steps, {group: values}, own)
        if state.twin and twin_curves is not None:
            traces += closeup_traces("no warmup", steps, {group: twin_curves[group]}, twin, "dash", fill=True)
    fig = figure_dict(traces, phases=phase_spans(spec), log_y=state.log_y, x_axis=state.x_axis,
                      steps_per_epoch=spec.steps_per_epoch, x_range=(0, window), max_points=len(steps))
    shaded = ", the gap to the no-warmup twin shaded" if state.twin else ""
    return fig, f"<b>Warmup close-up</b>: the first {window:,} steps{shaded}", numbers


def render_warmup_numbers(numbers: dict) -> None:
    """What warmup costs and buys, under the chart its close-up is part of."""
    st.markdown(markdown_table(warmup_table(numbers)))


def warmup_table(numbers: dict) -> pd.DataFrame:
    """What warmup costs and buys, one column per param group."""
    rows = {}
    for group, n in numbers.items():
        rows[group if group != "lr" else "schedule"] = {
            "lr-sum given up vs no warmup": fmt(n.given_up),
            "given up, as % of this run's lr-sum": f"{n.given_up_pct:.3g} %",
            **{f"reaches {f} % of peak at step": f"{n.reach[f]:,}" for f in n.reach},
            "lr at step 0": fmt(n.lr0),
            "lr at step 1": fmt(n.lr1),
        }
    return pd.DataFrame(rows)


def render_compare_closeup(state: State) -> None:
    """The compared schedules' first steps overlaid (~3 of their longest warmup), with their warmup numbers."""
    window = max(closeup_window(x.spec.warmup.steps, x.spec.total_steps) for x in state.compare)
    traces, rows = [], {}
    for i, item in enumerate(state.compare):
        steps, curves, _, numbers = cached_closeup(item.spec.to_json(indent=None))
        own = min(window, item.spec.total_steps)
        if int(steps[-1]) + 1 != own:
            steps = closeup_steps(own, (item.spec.warmup.steps,))
            curves = schedules.group_curves(item.spec, steps)
        traces += closeup_traces(item.name, steps, curves, PALETTE[i % len(PALETTE)])
        n = next(iter(numbers.values()))
        rows[item.name] = {"warmup steps": f"{item.spec.warmup.steps:,}",
                           **{f"{f} % of peak at step": f"{n.reach[f]:,}" for f in n.reach},
                           "lr at step 0": fmt(n.lr0), "lr at step 1": fmt(n.lr1),
                           "lr-sum given up vs no warmup": f"{fmt(n.given_up)} ({n.given_up_pct:.3g} %)"}
    figure = figure_dict(traces, log_y=state.log_y, x_range=(0, window), max_points=window + 8)
    figure["layout"]["height"] = 320
    st.markdown(f"**Close-up**: the compared schedules' first {window:,} steps")
    plotly_chart(figure, key=K_CMP_CLOSEUP, filename="lr_comparison_closeup")
    table = pd.DataFrame(rows).T
    st.markdown(markdown_table(table, right_align=set(table.columns)))
