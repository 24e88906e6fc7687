"""Explore page: edit a schedule with sliders, see it with its no-warmup twin and a close-up of its warmup,
compare up to eight, share the link.

Thin by design: widgets in, the cached analyses of ``ui.cached`` (keyed by the spec's JSON text), the
close-ups of ``ui.closeup_panel`` and ``ui.explore_chart.explore_figure`` out. The whole state round-trips
through the URL (``ui.state``): it is read when the page opens on a link and written back after every
change. ``?spec=<spec v1 JSON>`` opens a given schedule.

The editor, its charts and the export panel (everything that shows the edited spec) form one fragment: a
slider move reruns that fragment only, not the comparison and import sections below it. A change there that
those sections also show (the log axis, the x axis) asks for a full rerun. The chart itself draws a slider
move before the rerun does, from the app's redraw route (``ui.explore_chart``).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from schedules import FAMILIES, Spec, SpecError, load_preset, preset_names
from ui import compare_panel, page_visits
from ui import controls as c
from ui.cached import cached_diagnoses, view_of
from ui.chart import plotly_chart
from ui.closeup_panel import render_warmup_numbers
from ui.curves import curves_csv, no_warmup_twin
from ui.explain import EXPLANATIONS
from ui.explore_chart import FILENAME, explore_figure, redraw_request
from ui.export_panel import render_export_code, render_export_picker
from ui.import_panel import add_logged_points, render_import_panel
from ui.state import State, decode, encode, escape_markdown, unique_name
from ui.tables import markdown_table, numbers_table
from ui.train_link import render_train_heading, render_train_link

K_STATE = "ex_state"
K_URL = "ex_url"
K_NOTICES = "ex_notices"
K_LOG = "ex_log_y"
K_X = "ex_x_axis"
K_TWIN = "ex_twin"
K_AT = "ex_at_step"
K_CHART = "ex_chart"
K_CSV = "ex_download_csv"
K_EXPORT = "ex_export"
K_IMPORT = "ex_import"
K_ABOUT = "ex_about_"  # + topic: an "About ..." expander's open state
K_PENDING = "ex_pending_spec"
#: The view options the sections outside the editor's fragment were last drawn with.
K_DRAWN_VIEW = "ex_drawn_view"
X_LABELS = {"step": "steps", "epoch": "epochs"}


# --- state: URL <-> session <-> widgets --------------------------------------------------------------


def view_values(state: State) -> dict[str, object]:
    return {K_LOG: state.log_y, K_X: state.x_axis, K_TWIN: state.twin, K_AT: state.at_step}


def load_state(state: State) -> None:
    """Make ``state`` what the widgets show (before they are drawn, or from a callback)."""
    st.session_state[K_STATE] = state
    c.seed(c.widget_values(state.spec), force=True)
    c.remember_loaded_name(state.spec.name)
    c.seed(view_values(state), force=True)
    compare_panel.forget_renames()


def sync_from_url() -> None:
    """Decode the link when the page opens on one (or the URL was changed from outside this page)."""
    current = st.query_params.to_dict()
    if K_STATE not in st.session_state or (current and current != st.session_state.get(K_URL)):
        state, notices = decode(current)
        st.session_state[K_NOTICES] = notices
        st.session_state[K_URL] = None
        load_state(state)


def write_url(state: State) -> None:
    encoded = encode(state)
    if encoded != st.session_state.get(K_URL) or st.query_params.to_dict() != encoded:
        st.query_params.from_dict(encoded)
        st.session_state[K_URL] = encoded


def on_preset() -> None:
    name = st.session_state.get(c.K_PRESET)
    if name:
        load_state(replace(st.session_state[K_STATE], spec=load_preset(name), x_axis="step", at_step=None))
        st.session_state[K_NOTICES] = []
    st.session_state[c.K_PRESET] = None


@st.cache_data(show_spinner=False)
def preset_label(name: str) -> str:
    return load_preset(name).name or name


# --- rendering ---------------------------------------------------------------------------------------


def render_notices() -> None:
    for notice in st.session_state.get(K_NOTICES, []):
        st.warning(escape_markdown(notice), icon=":material/warning:")


def render_view_options(spec: Spec) -> None:
    left, mid, right = st.columns(3)
    with left:
        st.toggle("Log-scale lr", key=K_LOG)
    with mid:
        st.radio("x axis", list(X_LABELS), key=K_X, format_func=X_LABELS.get, horizontal=True,
                 disabled=spec.steps_per_epoch is None,
                 help="Epochs need steps per epoch." if spec.steps_per_epoch is None else None)
    with right:
        st.toggle("No-warmup twin", key=K_TWIN, disabled=spec.warmup.steps == 0,
                  help="Overlay the same schedule with warmup.steps = 0, to see what warmup changes.")


def render_schedule(state: State, top: DeltaGenerator, bottom: DeltaGenerator,
                    redraw: dict | None = None) -> None:
    """The chart and the warmup's numbers (in ``top``); the numbers table, the diagnoses and the CSV download
    (in ``bottom``). Between them the editor's fragment draws the "lr at step" box (see
    :func:`render_editor_and_charts`). ``redraw``: what the chart needs to redraw itself while a slider moves
    (``ui.explore_chart``)."""
    spec = state.spec
    twin = no_warmup_twin(spec) if state.twin else None
    views = {"schedule": view_of(spec, state.at_step)}
    if twin is not None:
        views["no-warmup twin"] = view_of(twin, state.at_step)
    figure, numbers = explore_figure(state)
    if add_logged_points(figure, K_IMPORT, state.x_axis, spec.steps_per_epoch):  # a trainer_state.json's lrs
        redraw = None  # the route does not know this visitor's uploaded points: leave the redraw to the rerun
    with top:
        plotly_chart(figure, key=K_CHART, filename=FILENAME, redraw=redraw)
        if numbers is not None:
            render_warmup_numbers(numbers)
    with bottom:
        st.markdown(markdown_table(numbers_table(views, state.at_step)))
        for message in cached_diagnoses(spec.to_json(indent=None)):
            st.warning(escape_markdown(message), icon=":material/stethoscope:")
        specs = {spec.name or "schedule": spec} | ({"no warmup": twin} if twin is not None else {})
        st.download_button("Download curve as CSV", data=lambda: curves_csv(specs), file_name="lr_schedule.csv",
                           mime="text/csv", key=K_CSV, on_click="ignore")


def fit_view_options(spec: Spec) -> None:
    """Keep the view widgets within what ``spec`` allows, before they are drawn: the x axis in steps
    without steps per epoch, the "lr at step" inside the run."""
    if spec.steps_per_epoch is None:
        st.session_state[K_X] = "step"
    at_step = st.session_state.get(K_AT)
    st.session_state[K_AT] = None if at_step is None else min(int(at_step), spec.total_steps - 1)


def render_about(spec: Spec) -> None:
    """What the schedule's parts do: warmup (when it has one), its family, per-epoch stepping."""
    topics = (["warmup"] if spec.warmup.steps else []) + [spec.schedule.type]
    topics += ["interval"] if spec.steps_per_epoch else []
    for topic in topics:
        if topic in EXPLANATIONS:
            title = FAMILIES[topic].label if topic in FAMILIES else topic.capitalize()
            box = st.expander(f"About {title.lower() if topic in FAMILIES else title}", key=f"{K_ABOUT}{topic}",
                              on_change="rerun")
            if box.open:  # drawn only while open: every rerun of the page would re-render closed text too
                with box:
                    st.markdown(EXPLANATIONS[topic])


def render_share(state: State) -> None:
    st.subheader("Share")
    st.caption("This page's address is a share link: it holds the schedule, the comparison set and the view "
               "options, and opening it shows exactly this page. For the schedule as a file, export it as JSON "
               "or YAML below.")


def export_specs(state: State) -> dict[str, Spec]:
    """What the export panel offers: the edited schedule and the compared ones, by unique name."""
    specs = {state.spec.name or "schedule": state.spec}
    for item in state.compare:
        specs[unique_name(item.name, list(specs))] = item.spec
    return specs


def render_import() -> None:
    st.subheader("Import")
    box = st.expander("Import a trainer config, scheduler code or a logged run", key=K_IMPORT + "-open",
                      on_change="rerun")
    if not box.open:  # its widgets are drawn only while open: every rerun of the page would re-render them
        return
    with box:
        imported = render_import_panel(key=K_IMPORT)
    if imported is not None:
        # The editor's widgets are already drawn in this run: load the spec at the start of the next one.
        st.session_state[K_PENDING] = imported
        st.rerun()


def render_editor_and_charts() -> None:
    """The editor, the schedule's charts and numbers, and the export panel: everything a parameter change
    redraws. Run as a fragment, so a change in the editor reruns this part of the page only; a slider move
    that changes nothing else in the editor reruns the view alone (``ui.controls.on_slide``).

    What a slider move cannot change is drawn here, not in the view: the view options, the "lr at step" box
    and the explanations follow the family, the total steps and whether there is a warmup, which rerun the
    whole editor. The fewer elements a move redraws, the sooner the browser shows the new chart."""
    state: State = st.session_state[K_STATE]
    # Streamlit drops a widget's value while another page is shown; the saved state brings it back.
    c.seed(view_values(state), force=False)
    editor, chart = st.columns([2, 3], gap="large")
    # Below both columns: the export and train sections. Their headings and pickers follow the set of
    # schedules (drawn here); their code and link follow every parameter (drawn by the view).
    export_head, export_code, train_head, train_link = (st.container() for _ in range(4))
    fallback = state.spec
    spec, error = c.build_spec(c.editor_values(fallback))
    shown = spec if spec is not None else fallback
    with chart:
        fit_view_options(shown)
        render_view_options(shown)
        top, at_step, bottom, about = st.container(), st.container(), st.container(), st.container()
    # The view is drawn first: its figure leaves the server before the editor's widgets (sooner first chart).
    view_fragment(top, bottom, export_code, train_link)
    with export_head:
        st.subheader("Export")
        render_export_picker(list(export_specs(st.session_state[K_STATE])), key=K_EXPORT)
    with train_head:
        render_train_heading()
    with at_step:
        st.number_input("Read the lr at step", min_value=0, max_value=shown.total_steps - 1, step=1, key=K_AT,
                        placeholder="type a step", help="Shown as the last row of the table.")
    with about:
        render_about(shown)
    with editor:
        c.render_spec_controls(fallback)
        if error is not None:
            st.error(escape_markdown(str(error)), icon=":material/error:")
            st.caption("The chart shows the last valid schedule.")
        c.render_budget()


def render_view(top: DeltaGenerator, bottom: DeltaGenerator, export_code: DeltaGenerator,
                train_link: DeltaGenerator) -> None:
    """What the editor's values show: the charts and numbers (in ``top`` and ``bottom``), the exported code
    and the training link (in ``export_code`` and ``train_link``), and the URL. The spec comes from the
    editor's values in session state (the last valid one while they make none); the view options from
    theirs."""
    state: State = st.session_state[K_STATE]
    values = c.editor_values(state.spec)
    spec, _ = c.build_spec(values)
    if spec is not None:
        state = replace(state, spec=spec)
    at_step = st.session_state.get(K_AT)  # inside the run: fit_view_options bounded it before the box was drawn
    state = replace(state, log_y=bool(st.session_state[K_LOG]), x_axis=st.session_state[K_X],
                    twin=bool(st.session_state[K_TWIN]), at_step=None if at_step is None else int(at_step))
    st.session_state[K_STATE] = state
    # While the values make no spec, the chart shows the last valid one: a slider move is left to the rerun.
    redraw = redraw_request(values, state, c.loaded_name()) if spec is not None else None
    render_schedule(state, top, bottom, redraw)
    with export_code:
        render_export_code(export_specs(state), key=K_EXPORT)
    with train_link:
        render_train_link(state)
    write_url(state)
    drawn = st.session_state.get(K_DRAWN_VIEW)
    if state.compare and drawn is not None and drawn != (state.log_y, state.x_axis) and in_fragment_rerun():
        # The comparison chart below shows the same axes: redraw the whole page.
        st.rerun(scope="app")


def in_fragment_rerun() -> bool:
    """Whether this script run reruns a fragment only (not the whole page)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def main() -> None:
    returned = page_visits.visit("explore")
    sync_from_url()
    if returned:
        # Back from another page: the editor shows the schedule it showed when the visitor left, not values
        # Streamlit may bring back from before (ui.page_visits).
        load_state(st.session_state[K_STATE])
    if K_PENDING in st.session_state:
        spec = st.session_state.pop(K_PENDING)
        state = st.session_state[K_STATE]
        load_state(replace(state, spec=spec, x_axis=state.x_axis if spec.steps_per_epoch else "step", at_step=None))
    st.title("Explore a learning-rate schedule")
    render_notices()
    st.selectbox("Start from a preset", preset_names(), index=None, key=c.K_PRESET, on_change=on_preset,
                 placeholder="Choose a well-known schedule...",
                 format_func=preset_label)
    editor_fragment()
    state: State = st.session_state[K_STATE]
    compare_panel.render_compare_panel(K_STATE, load_state)
    render_share(state)
    render_import()
    st.session_state[K_DRAWN_VIEW] = (state.log_y, state.x_axis)


editor_fragment = st.fragment(render_editor_and_charts)
view_fragment = st.fragment(render_view, key=c.VIEW_FRAGMENT)


try:
    main()
except SpecError as exc:  # a spec that validated once but fails a later check: say so, keep the page
    st.error(escape_markdown(str(exc)))
