"""Learning-rate schedule studio: the entry point. A router only; each page lives in ``pages/``.

Run with ``streamlit run app.py`` (or ``make run``).
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="LR schedule studio", page_icon="📉", layout="wide")

#: Every page of the app, in menu order; the first is the default.
PAGES = [
    st.Page("pages/explore.py", title="Explore", icon=":material/show_chart:", default=True),
    st.Page("pages/finder.py", title="LR range test", icon=":material/search:", url_path="finder"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
]

st.navigation(PAGES).run()
