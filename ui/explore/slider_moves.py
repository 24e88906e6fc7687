"""What the editor's widgets do when they change: the callbacks, and what a slider move reruns.

A slider move writes its grid point into the exact value's box (:func:`on_slide`); when nothing else the
editor shows depends on the move, only the page's view fragment reruns (the chart, numbers, export and link),
not the editor's ~25 widgets. Any edit of a loaded schedule marks its name "(edited)" (:func:`mark_edited`).
The training-budget calculator's button writes its step counts (:func:`apply_budget`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from schedules import FAMILIES, Spec, SpecError
from ui.explore import keys
from ui.explore.budget import budget_steps
from ui.explore.editor_values import (
    build_spec,
    edited_name,
    family_values,
    float_or,
    int_or,
    main_schedule_steps,
    slider_value,
    widget_values,
)


def seed(values: Mapping[str, Any], *, force: bool) -> None:
    """Put widget values into session state: all of them (``force``) or only the missing ones."""
    for key, value in values.items():
        if force or key not in st.session_state:
            st.session_state[key] = value


def remember_loaded_name(name: str) -> None:
    """Note the name a loaded spec (preset, link, import) came with, for :func:`mark_edited`."""
    st.session_state[keys.K_LOADED_NAME] = name


def loaded_name() -> str | None:
    """The name the schedule was loaded with, while it has not been edited (see :func:`mark_edited`)."""
    return st.session_state.get(keys.K_LOADED_NAME)


def mark_edited() -> bool:
    """Widget callback: once a loaded schedule is edited, its name no longer describes it, so the legend,
    CSV and link say "(edited)" (the Name field, which the user may change, shows it too). Whether the
    name changed."""
    name = st.session_state.get(keys.K_NAME) or ""
    edited = edited_name(name, st.session_state.get(keys.K_LOADED_NAME))
    if edited == name:
        return False
    st.session_state[keys.K_NAME] = edited
    st.session_state[keys.K_LOADED_NAME] = None
    return True


def editor_values(fallback: Spec) -> dict[str, Any]:
    """The editor's values by key, from session state, before (or without) drawing its widgets: a page can
    build the spec and draw its chart first. Missing values are seeded from ``fallback``."""
    seed(widget_values(fallback), force=False)
    family = st.session_state[keys.K_FAMILY]
    if family not in FAMILIES:  # a required picker always holds one; keep the page alive if not
        family = st.session_state[keys.K_FAMILY] = fallback.schedule.type
    seed(family_values(family, fallback), force=False)
    return _session_values(family)


def _session_values(family: str) -> dict[str, Any]:
    names = [*keys.EDITOR_KEYS, *(keys.param_key(family, p.name) for p in FAMILIES[family].params)]
    return {k: st.session_state.get(k) for k in names}


def _editor_layout(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the editor's controls other than each slider's own value depend on: the family, the total steps
    (step grids), the peak lr (lr grids) and, for a family with step-count sliders, the main schedule's
    length (their grids); the field error under the editor (None while the values make a valid spec); and
    whether there is a warmup (the page's view options and explanations follow it)."""
    family = values[keys.K_FAMILY]
    total, warmup = int_or(values[keys.K_TOTAL], 0), int_or(values[keys.K_WARMUP_STEPS], 0)
    steps_sliders = any(p.scale == "steps" and p.kind in ("int", "float") for p in FAMILIES[family].params)
    main_steps = main_schedule_steps(total, warmup) if steps_sliders else None
    error = build_spec(values)[1]
    return (family, total, float_or(values[keys.K_LR], 0.0), main_steps, None if error is None else str(error),
            warmup > 0)


def _save_exact_toggle() -> None:
    st.session_state[keys.K_EXACT_SAVED] = st.session_state[keys.K_EXACT]


def on_slide(key: str, integer: bool) -> None:
    """Slider callback: its grid point becomes the exact value.

    When nothing else the editor shows depends on the move (the slider stands alone, without its box; the
    schedule's name stays; the other sliders' grids and the field error stay as they are), only the page's
    view reruns (:data:`keys.VIEW_FRAGMENT`, with the warmup-ratio caption): the browser then redraws the chart
    and its numbers, not every widget of the editor."""
    family = st.session_state.get(keys.K_FAMILY)
    before = _editor_layout(_session_values(family)) if family in FAMILIES else None
    st.session_state[key] = slider_value(st.session_state[key + keys.SLIDER], integer)
    renamed = mark_edited()
    if (before is not None and not renamed and not st.session_state.get(keys.K_EXACT)
            and key not in st.session_state.get(keys.K_BOXES, ())
            and _editor_layout(_session_values(family)) == before):
        st.rerun([keys.VIEW_FRAGMENT, keys.WARMUP_RATIO_FRAGMENT])


def budget_from_state():
    """The calculator's result for its current inputs (SpecError naming a bad input)."""
    get = st.session_state.get
    ratio = get(keys.K_BUDGET + "warmup_ratio")
    return budget_steps(
        int(get(keys.K_BUDGET + "dataset_size") or 0), int(get(keys.K_BUDGET + "batch_size") or 0),
        int(get(keys.K_BUDGET + "devices") or 0), int(get(keys.K_BUDGET + "grad_accum") or 0),
        float(get(keys.K_BUDGET + "epochs") or 0), bool(get(keys.K_BUDGET + "drop_last")),
        None if ratio is None else float(ratio),
    )


def apply_budget() -> None:
    """Button callback: the budget's step counts go into the editor's boxes (then its sliders follow)."""
    try:
        budget = budget_from_state()
    except SpecError:
        return
    st.session_state[keys.K_TOTAL] = budget.total_steps
    st.session_state[keys.K_SPE] = budget.steps_per_epoch
    if budget.warmup_steps is not None:
        st.session_state[keys.K_WARMUP_STEPS] = budget.warmup_steps
    mark_edited()
