"""The Train page's state between the URL, the session and its controls.

The schedule set comes from the share link (``ui.common.link_state``, the explore page's ``spec``/``cmp``/``twin``)
or the explore page's session, the training controls from the same link (``ui.train.link_params``: optimizer,
hyperparameters, task, seeds, steps). The keys are :mod:`ui.train.keys`.
"""

from __future__ import annotations

import streamlit as st

from schedules import Spec
from ui.common.link_state import KNOWN_KEYS, State, decode, encode
from ui.train import keys
from ui.train import link_params as train_state
from ui.train import setup as ts

LINK_KEYS = train_state.SCHEDULE_KEYS
#: The explore page's view options: meaningless here, dropped from a link without a notice.
VIEW_KEYS = tuple(k for k in KNOWN_KEYS if k not in LINK_KEYS)


def read_state(returned: bool) -> State:
    """The state from the link when the page opens on one (or a new link arrives), else from the explore page,
    else the demo. The link's training settings set the controls; missing ones take their defaults.
    ``returned``: the visitor is back from another page, and the controls show what they showed on leaving."""
    current = {k: v for k, v in st.query_params.to_dict().items() if k not in VIEW_KEYS}
    if returned and keys.K_STATE in st.session_state and keys.K_URL in st.session_state and not current:
        # The link this page last wrote holds every control's value: not the ones Streamlit may bring back
        # from before (ui.common.page_visits).
        settings, _ = train_state.decode(st.session_state[keys.K_URL])
        apply_settings(settings, st.session_state[keys.K_STATE].spec, set(), reset=True)
        st.session_state[keys.K_TWIN] = st.session_state[keys.K_STATE].twin
    elif keys.K_STATE not in st.session_state or (current and current != st.session_state.get(keys.K_URL)):
        # A new link while the page is open sets every control: what it leaves out is at its default.
        reset = keys.K_STATE in st.session_state
        if current:
            state, notices = decode({k: v for k, v in current.items() if k in LINK_KEYS})
            settings, more = train_state.decode(current)
            notices += more
            apply_settings(settings, state.spec, set(current), reset)
        else:
            state, notices = st.session_state.get(keys.EXPLORE_STATE) or State(spec=ts.demo_spec()), []
        st.session_state[keys.K_STATE] = state
        st.session_state[keys.K_NOTICES] = notices
        st.session_state[keys.K_TWIN] = state.twin
    return st.session_state[keys.K_STATE]


def apply_settings(settings: train_state.TrainSettings, spec: Spec, given: set[str], reset: bool) -> None:
    """Set the controls a link names (a rejected value: its default), or all of them when ``reset``; before
    the widgets are drawn. Controls the link leaves out of a first visit keep the session's values."""

    def put(widget: str, key: str, value: object) -> None:
        if reset or key in given:
            st.session_state[widget] = value

    put(keys.K_OPTIMIZER, "opt", settings.optimizer)
    put(keys.K_TASK, "task", settings.task)
    put(keys.K_SEEDS, "seeds", settings.seeds)
    put(keys.K_STEPS, "steps", settings.steps if settings.steps is not None else ts.default_steps(spec))
    for key, value in settings.hyper.items():
        put(keys.hyper_key(settings.optimizer, key), key, value)


def write_url(state: State, settings: train_state.TrainSettings) -> None:
    params = {k: v for k, v in encode(state).items() if k in LINK_KEYS}
    params.update(train_state.encode(settings, ts.default_steps(state.spec)))
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[keys.K_URL] = params


def use_demo() -> None:
    st.session_state[keys.K_STATE] = State(spec=ts.demo_spec())
    st.session_state[keys.K_TWIN] = True
    st.session_state[keys.K_STEPS] = ts.default_steps(ts.demo_spec())
    st.session_state[keys.K_NOTICES] = []
