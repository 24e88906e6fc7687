"""The floor for the explore page's slider timings in ``make bench``: Streamlit with one slider and one chart.

Nothing of the app: a ``st.select_slider`` whose value moves a warmup, and one Plotly chart of the size the
explore page draws for a 1M-step schedule (two traces of 4,000 points: the schedule and its no-warmup twin).
Whatever this page takes from a slider release to its redrawn chart is what any Streamlit page with a slider
and a chart takes on the machine at that moment; the bench measures it alternately with the explore page.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

TOTAL = 1_000_000
PEAK = 3e-4

warmup = st.select_slider("Warmup steps", list(range(0, 20_000, 50)), value=2_000, key="floor_warmup")
steps = np.linspace(0, TOTAL - 1, 4_000).round()
twin = PEAK * 0.5 * (1 + np.cos(np.pi * steps / TOTAL))
decay = PEAK * 0.5 * (1 + np.cos(np.pi * (steps - warmup) / max(TOTAL - warmup, 1)))
schedule = np.where(steps < warmup, PEAK * (steps + 1) / max(warmup, 1), decay)
st.plotly_chart(go.Figure([go.Scatter(x=steps, y=schedule, name="schedule"),
                           go.Scatter(x=steps, y=twin, name="no warmup", line={"dash": "dash"})]),
                key="floor_chart")
