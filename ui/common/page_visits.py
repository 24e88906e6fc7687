"""Which page the session's previous full script run showed: each page notes itself when it runs.

Streamlit drops a page's widget values while another page runs. When the page comes back, a widget whose
value a page once set through ``st.session_state`` before that widget first existed can reappear with that
old value rather than its last one (seen with Streamlit 1.67: the explore page's warmup box came back at
the default schedule's 2,000 steps after a visit to the range test). A page that seeds its controls from
saved state therefore reseeds all of them when :func:`visit` says the visitor has just come back.

Each page calls :func:`visit` itself (not the router, ``app.py``): under ``AppTest`` a page runs without the
router after the first run.
"""

from __future__ import annotations

import streamlit as st

K_PAGE = "app_page"


def visit(page: str) -> bool:
    """Note that this full run shows ``page``; whether the session's previous full run showed another page
    (False for the session's first run)."""
    previous = st.session_state.get(K_PAGE)
    st.session_state[K_PAGE] = page
    return previous is not None and previous != page
