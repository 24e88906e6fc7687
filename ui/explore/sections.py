"""The explore page's sections outside the editor: notices, view options, the schedule's chart with its
numbers and diagnoses, the explanations, the share and import sections.

Each draws into the container it is called in; the page (``pages/explore.py``) decides the layout.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from schedules import FAMILIES, Spec
from ui.common import run_timing
from ui.common.chart import plotly_chart
from ui.common.curves import curves_csv, no_warmup_twin
from ui.common.link_state import State, escape_markdown
from ui.common.tables import markdown_table, numbers_table
from ui.explore import keys
from ui.explore.cached import cached_diagnoses, view_of
from ui.explore.closeup_panel import render_warmup_numbers
from ui.explore.explain import EXPLANATIONS
from ui.explore.import_panel import add_logged_points, render_import_panel
from ui.explore.main_chart import FILENAME, explore_figure

X_LABELS = {"step": "steps", "epoch": "epochs"}


def render_notices() -> None:
    for notice in st.session_state.get(keys.K_NOTICES, []):
        st.warning(escape_markdown(notice), icon=":material/warning:")


def render_view_options(spec: Spec) -> None:
    left, mid, right = st.columns(3)
    with left:
        st.toggle("Log-scale lr", key=keys.K_LOG)
    with mid:
        st.radio("x axis", list(X_LABELS), key=keys.K_X, format_func=X_LABELS.get, horizontal=True,
                 disabled=spec.steps_per_epoch is None,
                 help="Epochs need steps per epoch." if spec.steps_per_epoch is None else None)
    with right:
        st.toggle("No-warmup twin", key=keys.K_TWIN, disabled=spec.warmup.steps == 0,
                  help="Overlay the same schedule with warmup.steps = 0, to see what warmup changes.")


def render_schedule(state: State, top: DeltaGenerator, bottom: DeltaGenerator,
                    redraw: dict | None = None) -> None:
    """The chart and the warmup's numbers (in ``top``); the numbers table, the diagnoses and the CSV download
    (in ``bottom``). Between them the editor's fragment draws the "lr at step" box (see
    :func:`render_editor_and_charts`). ``redraw``: what the chart needs to redraw itself while a slider moves
    (``ui.explore.main_chart``)."""
    spec = state.spec
    twin = no_warmup_twin(spec) if state.twin else None
    figure, numbers = explore_figure(state)  # analyses the schedule and its twin (cached for the table below)
    views = {"schedule": view_of(spec, state.at_step)}
    if twin is not None:
        views["no-warmup twin"] = view_of(twin, state.at_step)
    if add_logged_points(figure, keys.K_IMPORT, state.x_axis, spec.steps_per_epoch):  # a trainer_state.json's lrs
        redraw = None  # the route does not know this visitor's uploaded points: leave the redraw to the rerun
    with top:
        with run_timing.part("chart"):
            plotly_chart(figure, key=keys.K_CHART, filename=FILENAME, redraw=redraw)
        if numbers is not None:
            render_warmup_numbers(numbers)
    with bottom:
        with run_timing.part("numbers"):
            st.markdown(markdown_table(numbers_table(views, state.at_step)))
        with run_timing.part("diagnoses"):
            messages = cached_diagnoses(spec.to_json(indent=None))
        for message in messages:
            st.warning(escape_markdown(message), icon=":material/stethoscope:")
        specs = {spec.name or "schedule": spec} | ({"no warmup": twin} if twin is not None else {})
        st.download_button("Download curve as CSV", data=lambda: curves_csv(specs), file_name="lr_schedule.csv",
                           mime="text/csv", key=keys.K_CSV, on_click="ignore")


def render_about(spec: Spec) -> None:
    """What the schedule's parts do: warmup (when it has one), its family, per-epoch stepping."""
    topics = (["warmup"] if spec.warmup.steps else []) + [spec.schedule.type]
    topics += ["interval"] if spec.steps_per_epoch else []
    for topic in topics:
        if topic in EXPLANATIONS:
            title = FAMILIES[topic].label if topic in FAMILIES else topic.capitalize()
            box = st.expander(f"About {title.lower() if topic in FAMILIES else title}", key=f"{keys.K_ABOUT}{topic}",
                              on_change="rerun")
            if box.open:  # drawn only while open: every rerun of the page would re-render closed text too
                with box:
                    st.markdown(EXPLANATIONS[topic])


def render_share(state: State) -> None:
    st.subheader("Share")
    st.caption("This page's address is a share link: it holds the schedule, the comparison set and the view "
               "options, and opening it shows exactly this page. For the schedule as a file, export it as JSON "
               "or YAML below.")


def render_import() -> None:
    st.subheader("Import")
    box = st.expander("Import a trainer config, scheduler code or a logged run", key=keys.K_IMPORT + "-open",
                      on_change="rerun")
    if not box.open:  # its widgets are drawn only while open: every rerun of the page would re-render them
        return
    with box:
        imported = render_import_panel(key=keys.K_IMPORT)
    if imported is not None:
        # The editor's widgets are already drawn in this run: load the spec at the start of the next one.
        st.session_state[keys.K_PENDING] = imported
        st.rerun()
