"""The Train page's optimizer hyperparameter controls (torch.optim names and defaults)."""

from __future__ import annotations

import streamlit as st

from ui.train import setup as ts
from ui.train.keys import hyper_key


def hyper_controls(label: str) -> dict[str, object]:
    """Number inputs for the chosen optimizer's hyperparameters (each optimizer keeps its own values).

    Defaults go through the session, not the widgets' ``value=``, so a share link can set them.
    """
    defaults = ts.HYPER_DEFAULTS[label]
    values: dict[str, object] = {}
    cols = st.columns(len(defaults))
    for col, (key, default) in zip(cols, defaults.items(), strict=True):
        widget_key = hyper_key(label, key)
        st.session_state.setdefault(widget_key, default)
        with col:
            if key == "nesterov":
                values[key] = st.checkbox("nesterov", key=widget_key)
                continue
            lo, hi = ts.HYPER_RANGES[key]
            if key == "eps":
                values[key] = st.number_input("eps", lo, hi, format="%.1e", key=widget_key)
            elif key == "weight_decay":
                values[key] = st.number_input("weight decay", lo, hi, step=1e-3, format="%.4g", key=widget_key)
            else:
                values[key] = st.number_input(key, lo, hi, step=0.01, format="%.4g", key=widget_key)
    return values
