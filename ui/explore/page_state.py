"""The explore page's state between the URL, the session and the widgets.

The whole page state (``ui.common.link_state.State``) round-trips through the URL: it is decoded when the page opens
on a link (:func:`sync_from_url`), loaded into the widgets (:func:`load_state`) and written back after every
change (:func:`write_url`). The keys are :mod:`ui.explore.keys`.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from schedules import Spec, load_preset
from ui.common.link_state import State, decode, encode, unique_name
from ui.explore import compare_panel, editor_values, keys, loss_panel, slider_moves


def view_values(state: State) -> dict[str, object]:
    return {keys.K_LOG: state.log_y, keys.K_X: state.x_axis, keys.K_TWIN: state.twin, keys.K_AT: state.at_step,
            **loss_panel.widget_values(state)}


def load_state(state: State) -> None:
    """Make ``state`` what the widgets show (before they are drawn, or from a callback)."""
    st.session_state[keys.K_STATE] = state
    slider_moves.seed(editor_values.widget_values(state.spec), force=True)
    slider_moves.remember_loaded_name(state.spec.name)
    slider_moves.seed(view_values(state), force=True)
    compare_panel.forget_renames()


def sync_from_url() -> None:
    """Decode the link when the page opens on one (or the URL was changed from outside this page)."""
    current = st.query_params.to_dict()
    if keys.K_STATE not in st.session_state or (current and current != st.session_state.get(keys.K_URL)):
        state, notices = decode(current)
        st.session_state[keys.K_NOTICES] = notices
        st.session_state[keys.K_URL] = None
        load_state(state)


def write_url(state: State) -> None:
    encoded = encode(state)
    if encoded != st.session_state.get(keys.K_URL) or st.query_params.to_dict() != encoded:
        st.query_params.from_dict(encoded)
        st.session_state[keys.K_URL] = encoded


def on_preset() -> None:
    name = st.session_state.get(keys.K_PRESET)
    if name:
        load_state(replace(st.session_state[keys.K_STATE], spec=load_preset(name), x_axis="step", at_step=None))
        st.session_state[keys.K_NOTICES] = []
    st.session_state[keys.K_PRESET] = None


@st.cache_data(show_spinner=False)
def preset_label(name: str) -> str:
    return load_preset(name).name or name


def fit_view_options(spec: Spec) -> None:
    """Keep the view widgets within what ``spec`` allows, before they are drawn: the x axis in steps
    without steps per epoch, the "lr at step" inside the run."""
    if spec.steps_per_epoch is None:
        st.session_state[keys.K_X] = "step"
    at_step = st.session_state.get(keys.K_AT)
    st.session_state[keys.K_AT] = None if at_step is None else min(int(at_step), spec.total_steps - 1)


def export_specs(state: State) -> dict[str, Spec]:
    """What the export panel offers: the edited schedule and the compared ones, by unique name."""
    specs = {state.spec.name or "schedule": state.spec}
    for item in state.compare:
        specs[unique_name(item.name, list(specs))] = item.spec
    return specs


def in_fragment_rerun() -> bool:
    """Whether this script run reruns a fragment only (not the whole page)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)
