"""The floor for the explore page's first-chart time in ``make bench``: Streamlit with one small Plotly chart.

Nothing of the app: whatever this page takes to show its chart is what any Streamlit page with a Plotly
chart takes on the machine at that moment (loading Streamlit's frontend, then plotly.js). The bench opens
it alternately with the explore page, so the difference between the two is the app's own cost.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[3e-4, 3e-4, 3e-5])), key="floor_chart")
