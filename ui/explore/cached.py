"""The explore page's cached analyses, keyed by a spec's JSON text: the decimated curves and summary, the
doctor's diagnoses, the warmup close-up. A 10M-step schedule is analysed once per process, and at most
``ui.common.heavy.HEAVY_SLOTS`` long analyses run at a time."""

from __future__ import annotations

import numpy as np
import streamlit as st

import schedules
from schedules import Spec, load_spec
from schedules.doctor import diagnose
from ui.common.curves import CurveView, no_warmup_twin
from ui.common.heavy import DIAGNOSES_CACHE_ENTRIES, VIEW_CACHE_ENTRIES, bounded_analyze
from ui.explore.closeup import closeup_steps, closeup_window, warmup_numbers


@st.cache_data(max_entries=VIEW_CACHE_ENTRIES, show_spinner=False)
def cached_view(spec_json: str, at_step: int | None) -> CurveView:
    """The decimated curves and summary of a spec; keyed by its JSON text so 10M steps are computed once
    (and at most ``ui.common.heavy.HEAVY_SLOTS`` long ones at a time)."""
    return bounded_analyze(load_spec(spec_json), at_step)


@st.cache_data(max_entries=DIAGNOSES_CACHE_ENTRIES, show_spinner=False)
def cached_diagnoses(spec_json: str) -> list[str]:
    return [d.message for d in diagnose(load_spec(spec_json))]


def view_of(spec: Spec, at_step: int | None = None) -> CurveView:
    return cached_view(spec.to_json(indent=None), at_step)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_closeup(spec_json: str) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray] | None, dict]:
    """The close-up's steps, the spec's and its twin's group curves over them, and the warmup numbers.

    The numbers reuse the cached full-run summaries, so a 10M-step run is not evaluated again."""
    spec = load_spec(spec_json)
    twin = no_warmup_twin(spec)
    window = closeup_window(spec.warmup.steps, spec.total_steps)
    steps = closeup_steps(window, (spec.warmup.steps,))
    twin_view = view_of(twin) if twin is not None else None
    numbers = warmup_numbers(spec, twin, (view_of(spec).summary, twin_view.summary if twin_view else None))
    twin_curves = schedules.group_curves(twin, steps) if twin is not None else None
    return steps, schedules.group_curves(spec, steps), twin_curves, numbers
