"""Explore page: edit a schedule with sliders, see it with its no-warmup twin and a close-up of its warmup,
compare up to eight, share the link.

Thin by design: the page lays out sections drawn by ``ui.explore`` (the editor, the chart and its numbers, the
comparison, export, share and import). The whole state round-trips through the URL (``ui.explore.page_state``):
it is read when the page opens on a link and written back after every change. ``?spec=<spec v1 JSON>`` opens a
given schedule.

The editor, its charts, the predicted loss and the export panel (everything that shows the edited spec) form
one fragment: a slider move reruns that fragment only, not the comparison and import sections below it. A
change there that those sections also show (the log axis, the x axis) asks for a full rerun. The chart itself
draws a slider move before the rerun does, from the app's redraw route (``ui.explore.main_chart``).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from schedules import SpecError, preset_names
from ui.common import page_visits, run_timing
from ui.common.link_state import State, escape_markdown
from ui.explore import compare_panel, editor, editor_values, keys, loss_panel, sections, slider_moves
from ui.explore import page_state as ps
from ui.explore.export_panel import render_export_code, render_export_picker
from ui.explore.main_chart import redraw_request
from ui.explore.train_link import render_train_heading, render_train_link


def render_editor_and_charts() -> None:
    """The editor, the schedule's charts and numbers, and the export panel: everything a parameter change
    redraws. Run as a fragment, so a change in the editor reruns this part of the page only; a slider move
    that changes nothing else in the editor reruns the view alone (``ui.explore.slider_moves.on_slide``).

    What a slider move cannot change is drawn here, not in the view: the view options, the "lr at step" box
    and the explanations follow the family, the total steps and whether there is a warmup, which rerun the
    whole editor. The fewer elements a move redraws, the sooner the browser shows the new chart."""
    state: State = st.session_state[keys.K_STATE]
    # Streamlit drops a widget's value while another page is shown; the saved state brings it back.
    slider_moves.seed(ps.view_values(state), force=False)
    editor_column, chart = st.columns([2, 3], gap="large")
    # Below both columns: the export and train sections. Their headings and pickers follow the set of
    # schedules (drawn here); their code and link follow every parameter (drawn by the view).
    loss_controls, loss_view, export_head, export_code, train_head, train_link = (st.container() for _ in range(6))
    fallback = state.spec
    spec, error = editor_values.build_spec(slider_moves.editor_values(fallback))
    shown = spec if spec is not None else fallback
    with chart:
        ps.fit_view_options(shown)
        sections.render_view_options(shown)
        top, at_step, bottom, about = st.container(), st.container(), st.container(), st.container()
    # The view is drawn first: its figure leaves the server before the editor's widgets (sooner first chart).
    view_fragment(top, bottom, loss_view, export_code, train_link)
    with export_head:
        st.subheader("Export")
        render_export_picker(list(ps.export_specs(st.session_state[keys.K_STATE])), key=keys.K_EXPORT)
    with train_head:
        render_train_heading()
    with at_step:
        st.number_input("Read the lr at step", min_value=0, max_value=shown.total_steps - 1, step=1, key=keys.K_AT,
                        placeholder="type a step", help="Shown as the last row of the table.")
    with about:
        sections.render_about(shown)
    with loss_controls:
        loss_panel.render_loss_controls(st.session_state[keys.K_STATE])
    with editor_column, run_timing.part("editor"):
        editor.render_spec_controls(fallback)
        if error is not None:
            st.error(escape_markdown(str(error)), icon=":material/error:")
            st.caption("The chart shows the last valid schedule.")
        editor.render_budget()


def render_view(top: DeltaGenerator, bottom: DeltaGenerator, loss_view: DeltaGenerator, export_code: DeltaGenerator,
                train_link: DeltaGenerator) -> None:
    """What the editor's values show: the charts and numbers (in ``top`` and ``bottom``), the predicted loss
    (in ``loss_view``), the exported code and the training link (in ``export_code`` and ``train_link``), and
    the URL. The spec comes from the editor's values in session state (the last valid one while they make
    none); the view options from theirs."""
    state: State = st.session_state[keys.K_STATE]
    values = slider_moves.editor_values(state.spec)
    spec, _ = editor_values.build_spec(values)
    if spec is not None:
        state = replace(state, spec=spec)
    at_step = st.session_state.get(keys.K_AT)  # inside the run: fit_view_options bounded it before the box was drawn
    state = replace(state, log_y=bool(st.session_state[keys.K_LOG]), x_axis=st.session_state[keys.K_X],
                    twin=bool(st.session_state[keys.K_TWIN]), at_step=None if at_step is None else int(at_step),
                    law=loss_panel.chosen_law())
    st.session_state[keys.K_STATE] = state
    # While the values make no spec, the chart shows the last valid one: a slider move is left to the rerun.
    redraw = redraw_request(values, state, slider_moves.loaded_name()) if spec is not None else None
    sections.render_schedule(state, top, bottom, redraw)
    with loss_view, run_timing.part("predicted loss"):
        loss_panel.render_loss_view(state)
    with export_code, run_timing.part("export"):
        render_export_code(ps.export_specs(state), key=keys.K_EXPORT)
    with train_link:
        render_train_link(state)
    ps.write_url(state)
    drawn = st.session_state.get(keys.K_DRAWN_VIEW)
    if state.compare and drawn is not None and drawn != (state.log_y, state.x_axis) and ps.in_fragment_rerun():
        # The comparison chart below shows the same axes: redraw the whole page.
        st.rerun(scope="app")




def main() -> None:
    returned = page_visits.visit("explore")
    ps.sync_from_url()
    if returned:
        # Back from another page: the editor shows the schedule it showed when the visitor left, not values
        # Streamlit may bring back from before (ui.common.page_visits).
        ps.load_state(st.session_state[keys.K_STATE])
    if keys.K_PENDING in st.session_state:
        spec = st.session_state.pop(keys.K_PENDING)
        state = st.session_state[keys.K_STATE]
        ps.load_state(replace(state, spec=spec, x_axis=state.x_axis if spec.steps_per_epoch else "step", at_step=None))
    st.title("Explore a learning-rate schedule")
    sections.render_notices()
    st.selectbox("Start from a preset", preset_names(), index=None, key=keys.K_PRESET, on_change=ps.on_preset,
                 placeholder="Choose a well-known schedule...",
                 format_func=ps.preset_label)
    editor_fragment()
    state: State = st.session_state[keys.K_STATE]
    with run_timing.part("compare"):
        compare_panel.render_compare_panel(keys.K_STATE, ps.load_state)
    sections.render_share(state)
    sections.render_import()
    st.session_state[keys.K_DRAWN_VIEW] = (state.log_y, state.x_axis)


editor_fragment = st.fragment(render_editor_and_charts)
view_fragment = st.fragment(render_view, key=keys.VIEW_FRAGMENT)


try:
    with run_timing.run("explore"):
        main()
except SpecError as exc:  # a spec that validated once but fails a later check: say so, keep the page
    st.error(escape_markdown(str(exc)))
