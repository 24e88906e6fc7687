"""The explore page's "Train with this schedule" link: opens the Train page on the same share-link state."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from ui.common.link_state import State, encode

TRAIN_PAGE = "pages/train.py"
LABEL = "Train with this schedule"


def render_train_heading() -> None:
    """The Train section's heading and what the link opens (drawn apart from the link, which follows the
    schedule: a slider move redraws the link only)."""
    st.subheader("Train")
    st.caption("See what this schedule does to a real network: a 9-layer MLP trained in NumPy under it, its "
               "no-warmup twin and the compared schedules, with the optimizer of your choice.")


def render_train_link(state: State) -> None:
    """A link to the Train page carrying the schedule, its comparison set and the twin flag in the query."""
    params = {k: v for k, v in encode(state).items() if k in ("spec", "cmp", "twin")}
    try:
        st.page_link(TRAIN_PAGE, label=LABEL, icon=":material/model_training:", query_params=params)
    except st.errors.StreamlitAPIException:
        # The page runs on its own (no navigation registered): a plain link carries the same query string.
        st.markdown(f"[{LABEL}](/train?{urlencode(params)})")
