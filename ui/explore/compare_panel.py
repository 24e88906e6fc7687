"""The explore page's comparison: up to ``MAX_COMPARE`` schedules of any families overlaid in one chart, with
their numbers, their warmups close up, a name box, "Load into editor" and "Remove" per schedule, and the
curves as CSV.

The page keeps its :class:`ui.common.link_state.State` in session state under ``state_key``; the callbacks here read
and replace it there. Loading a compared schedule into the editor goes through the page's ``load`` (it sets
the editor's widgets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from schedules import FAMILIES
from ui.common.chart import plotly_chart
from ui.common.curves import curves_csv
from ui.common.figures import PALETTE, figure_dict, lr_traces
from ui.common.link_state import MAX_COMPARE, Compared, State, clean_name, unique_name
from ui.common.tables import markdown_table, numbers_table
from ui.explore.cached import view_of
from ui.explore.closeup_panel import render_compare_closeup
from ui.explore.keys import CMP_PREFIX, K_CMP_ADD, K_CMP_CHART, K_CMP_CSV, K_CMP_NAME


def forget_renames() -> None:
    """Drop the name boxes' values: after the set changes under them, they are seeded again from it."""
    for key in [k for k in st.session_state if str(k).startswith(CMP_PREFIX + "rename_")]:
        del st.session_state[key]


def on_add(state_key: str) -> None:
    state: State = st.session_state[state_key]
    if len(state.compare) >= MAX_COMPARE:
        return
    spec = state.spec
    fallback = spec.name or f"{FAMILIES[spec.schedule.type].label} {len(state.compare) + 1}"
    name = clean_name(st.session_state.get(K_CMP_NAME), fallback)
    name = unique_name(name, [x.name for x in state.compare])
    st.session_state[state_key] = replace(state, compare=(*state.compare, Compared(name, spec)))
    st.session_state[K_CMP_NAME] = ""


def on_remove(state_key: str, index: int) -> None:
    state: State = st.session_state[state_key]
    kept = tuple(x for i, x in enumerate(state.compare) if i != index)
    st.session_state[state_key] = replace(state, compare=kept)
    forget_renames()


def on_rename(state_key: str, index: int) -> None:
    state: State = st.session_state[state_key]
    item = state.compare[index]
    others = [x.name for i, x in enumerate(state.compare) if i != index]
    name = unique_name(clean_name(st.session_state.get(f"{CMP_PREFIX}rename_{index}"), item.name), others)
    items = list(state.compare)
    items[index] = Compared(name, item.spec)
    st.session_state[state_key] = replace(state, compare=tuple(items))
    st.session_state[f"{CMP_PREFIX}rename_{index}"] = name


def on_load(state_key: str, index: int, load: Callable[[State], None]) -> None:
    state: State = st.session_state[state_key]
    spec = state.compare[index].spec
    load(replace(state, spec=spec, x_axis=state.x_axis if spec.steps_per_epoch else "step"))


def render_compare_panel(state_key: str, load: Callable[[State], None]) -> None:
    """The comparison section of the page whose state is ``st.session_state[state_key]``."""
    state: State = st.session_state[state_key]
    st.subheader("Compare")
    left, right = st.columns([3, 1])
    with left:
        st.text_input("Name for the current schedule", key=K_CMP_NAME, max_chars=80,
                      placeholder=state.spec.name or "defaults to the schedule's name")
    with right:
        st.button("Add to comparison", key=K_CMP_ADD, on_click=on_add, args=(state_key,),
                  disabled=len(state.compare) >= MAX_COMPARE,
                  help=f"Adds the schedule the chart shows (the last valid one); up to {MAX_COMPARE} schedules "
                       "of any families.")
    if not state.compare:
        st.caption("Add schedules to overlay them here, in one chart with their numbers.")
        return
    traces = []
    views = {}
    for i, item in enumerate(state.compare):
        views[item.name] = view_of(item.spec)
        traces += lr_traces(item.name, views[item.name], PALETTE[i % len(PALETTE)])
    all_epochs = all(x.spec.steps_per_epoch == state.spec.steps_per_epoch for x in state.compare)
    x_axis = state.x_axis if all_epochs else "step"
    figure = figure_dict(traces, log_y=state.log_y, x_axis=x_axis, steps_per_epoch=state.spec.steps_per_epoch
                         if x_axis == "epoch" else None)
    plotly_chart(figure, key=K_CMP_CHART, filename="lr_comparison")
    table = numbers_table(views, None).T
    table.insert(0, "family", [FAMILIES[x.spec.schedule.type].label for x in state.compare])
    table.insert(1, "total steps", [f"{x.spec.total_steps:,}" for x in state.compare])
    st.markdown(markdown_table(table, right_align=set(table.columns) - {"family"}))
    render_compare_closeup(state)
    for i, item in enumerate(state.compare):
        key = f"{CMP_PREFIX}rename_{i}"
        if key not in st.session_state:
            st.session_state[key] = item.name
        name_col, load_col, remove_col = st.columns([4, 1, 1])
        with name_col:
            st.text_input(f"Name of schedule {i + 1}", key=key, on_change=on_rename, args=(state_key, i),
                          max_chars=80, label_visibility="collapsed")
        with load_col:
            st.button("Load into editor", key=f"{CMP_PREFIX}load_{i}", on_click=on_load, args=(state_key, i, load))
        with remove_col:
            st.button("Remove", key=f"{CMP_PREFIX}remove_{i}", on_click=on_remove, args=(state_key, i))
    st.download_button("Download compared curves as CSV", data=lambda: curves_csv({x.name: x.spec for x in
                       state.compare}), file_name="lr_comparison.csv", mime="text/csv", key=K_CMP_CSV,
                       on_click="ignore")
