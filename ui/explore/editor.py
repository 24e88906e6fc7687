"""The schedule editor's widgets, generated from the registry (``schedules.FAMILIES[...].params``).

How each registry parameter is shown:

- numbers: a slider over the parameter's grid (:func:`ui.explore.grids.param_grid`: log scale for learning
  rates, step counts bounded by the run, ``1 - gamma`` in log scale) as the main control, and beside it a box
  holding the exact value. The box is the value: a typed number off the grid is kept as typed, and the
  slider shows the grid point nearest to it; moving the slider writes its grid point into the box.
  Floats are typed as text (``3e-4``, ``0.99995``), whole numbers in a number box; empty means "derive it"
  for nullable parameters (the slider's "auto" point);
- ``bool``: a checkbox; ``choice``: a segmented control; ``int_list``: comma-separated whole numbers.

The family is a one-click picker (pills) showing every family. The keys are :mod:`ui.explore.keys`; the values
they hold map to a spec in :mod:`ui.explore.editor_values`; the callbacks are :mod:`ui.explore.slider_moves`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from schedules import FAMILIES, WARMUP_SHAPES, Spec, SpecError
from schedules.params import MAX_STEPS, Param
from schedules.registry import LR_MAX
from ui.explore import keys
from ui.explore.editor_values import int_or, shows_other_value, slider_grids, slider_point
from ui.explore.grids import Grid
from ui.explore.slider_moves import (
    apply_budget,
    budget_from_state,
    editor_values,
    mark_edited,
    on_slide,
)

BUDGET_FIELDS = {  # key suffix: (label, default, help)
    "dataset_size": ("Dataset size (examples)", 50_000, "Training examples in one epoch."),
    "batch_size": ("Batch size per device", 32, "Examples per forward pass on one device."),
    "devices": ("Devices", 1, "Data-parallel devices (GPUs, processes)."),
    "grad_accum": ("Gradient accumulation", 1, "Batches whose gradients make one optimizer update."),
}
INTERVALS = {"step": "per step", "epoch": "per epoch"}
#: Pixels of the exact-value box beside each slider (room for "0.000375" or "10,000,000" and its +/- buttons).
EXACT_BOX_WIDTH = 150


def render_spec_controls(fallback: Spec) -> dict[str, Any]:
    """Draw the editor (call inside the container it belongs in); return the widget values by key.

    ``fallback`` seeds the parameter widgets of a family chosen for the first time, and bounds the
    sliders while a box holds text that is not a number.
    """
    grids = slider_grids(editor_values(fallback), fallback)
    st.session_state[keys.K_BOXES] = set()
    st.pills("Schedule family", list(FAMILIES), required=True, on_change=mark_edited, key=keys.K_FAMILY, wrap=True,
             format_func=lambda n: FAMILIES[n].label, help="The main schedule after warmup.")
    family = st.session_state[keys.K_FAMILY]
    st.caption(FAMILIES[family].help)
    render_exact_toggle()
    number_row("Total steps", keys.K_TOTAL, grids[keys.K_TOTAL], integer=True, low=1,
               help="Optimizer updates in the whole run, warmup included.")
    number_row("Peak lr", keys.K_LR, grids[keys.K_LR],
               help=f"Peak learning rate (0 < lr <= {LR_MAX:g}); type an exact value like 3.7e-4 in the box.")
    left, right = st.columns(2)
    with left:
        st.number_input("Steps per epoch", min_value=1, max_value=MAX_STEPS, step=1, on_change=mark_edited,
                        key=keys.K_SPE, placeholder="none", help="Needed for an epoch axis and for stepping per epoch.")
    with right:
        st.radio("Scheduler steps", list(INTERVALS),
                 on_change=mark_edited, key=keys.K_INTERVAL, format_func=INTERVALS.get, horizontal=True,
                 help="'per epoch' holds the lr for each epoch, as a scheduler stepped once per epoch does.")
    st.markdown("**Warmup**")
    number_row("Warmup steps", keys.K_WARMUP_STEPS, grids[keys.K_WARMUP_STEPS], integer=True, low=0,
               help="Updates spent rising from the start lr to the schedule's first value (< total steps).")
    warmup_ratio_caption(fallback.total_steps, fallback.warmup.steps)
    # Pills wrap onto a second row where a segmented control would run out of the editor's column.
    st.pills("Warmup shape", list(WARMUP_SHAPES), required=True, on_change=mark_edited, key=keys.K_WARMUP_SHAPE,
             wrap=True, help=_warmup_help())
    number_row("Warmup start lr", keys.K_WARMUP_START, grids[keys.K_WARMUP_START],
               help="lr at step 0, e.g. 0 or 1e-7.")
    st.checkbox("Overlay the warmup on the schedule", on_change=mark_edited, key=keys.K_WARMUP_OVERLAY,
                help="timm's default (warmup_prefix=False): the schedule runs from step 0 and the warmup replaces "
                     "its first steps, instead of the schedule starting after the warmup.")
    fam = FAMILIES[family]
    if fam.params:
        st.markdown(f"**{fam.label} parameters**")
    for p in fam.params:
        _param_widget(family, p, grids)
    number_row("Schedule length", keys.K_MAIN_STEPS, grids[keys.K_MAIN_STEPS], integer=True, low=1,
               nullable=True, help="Updates the main schedule takes to reach its end (e.g. nanoGPT's lr_decay_iters); "
               "it then holds its last value. Empty (auto): the rest of the run after the warmup.")
    if fam.momentum is not None:
        st.checkbox("Cycle momentum inversely to the lr", on_change=mark_edited, key=keys.K_MOMENTUM)
        if st.session_state[keys.K_MOMENTUM]:
            number_row("Momentum base", keys.K_MOM_BASE, grids[keys.K_MOM_BASE],
                       help="Momentum (or Adam beta1) at the lr's peak.")
            number_row("Momentum max", keys.K_MOM_MAX, grids[keys.K_MOM_MAX], help="Momentum where the lr is lowest.")
    with st.expander("Name and param groups"):
        st.text_input("Name", key=keys.K_NAME, max_chars=80)
        st.text_input("Param groups", on_change=mark_edited, key=keys.K_GROUPS, placeholder="e.g. backbone=0.1, head=1",
                      help="One curve per group: lr(t) * lr_scale. Empty: a single group.")
    return editor_values(fallback)


def _warmup_ratio_caption(total_fallback: int, warmup_fallback: int) -> None:
    """The warmup as a fraction of the run, under the warmup slider (a fragment of its own: see on_slide)."""
    total = int_or(st.session_state.get(keys.K_TOTAL), total_fallback)
    warmup = int_or(st.session_state.get(keys.K_WARMUP_STEPS), warmup_fallback)
    if 0 < warmup < total:
        st.caption(f"= {100 * warmup / total:.4g} % of the total steps (Hugging Face `warmup_ratio` "
                   f"{warmup / total:.6g}; ceil(ratio × total) gives back {warmup:,}).")


warmup_ratio_caption = st.fragment(_warmup_ratio_caption, key=keys.WARMUP_RATIO_FRAGMENT)


def render_exact_toggle() -> None:
    """The "Type exact values" toggle (its value survives a visit to another page)."""
    if keys.K_EXACT not in st.session_state:
        st.session_state[keys.K_EXACT] = bool(st.session_state.get(keys.K_EXACT_SAVED))
    st.toggle("Type exact values", key=keys.K_EXACT, on_change=_save_exact_toggle,
              help="A box beside every slider for the exact number (e.g. 3.7e-4, 1234 steps). A value off a "
                   "slider's grid always shows its box, and is kept exactly as typed.")


def number_row(label: str, key: str, grid: Grid, *, integer: bool = False, low: int | None = None,
               help: str | None = None, nullable: bool = False) -> None:
    """A slider over ``grid`` and, beside it, the exact value's box (key ``key``; the slider's is
    ``key + keys.SLIDER``). The slider is set from the box before it is drawn, so the box always wins."""
    slider_key = key + keys.SLIDER
    exact = st.session_state.get(key)
    point = st.session_state[slider_key] = slider_point(grid, exact, st.session_state.get(slider_key))
    slide = {"label": label, "options": grid.values, "key": slider_key, "format_func": grid.label,
             "on_change": on_slide, "args": (key, integer), "help": help, "width": "stretch"}
    if not (st.session_state.get(keys.K_EXACT) or shows_other_value(point, exact)):
        # The slider says the exact value: no box. Each widget is a message to send and a component to
        # redraw on every slider move (half the editor's widgets are these boxes); the value itself stays
        # in session state under the box's key, where on_slide writes it.
        st.session_state[key] = exact  # as a plain value: the box drawn before is gone, and with it its state
        st.select_slider(**slide)
        return
    # One horizontal row (one layout block) rather than st.columns (three): every number in the editor has a
    # row, and each block is a message to send and a component to redraw on every slider move.
    st.session_state.setdefault(keys.K_BOXES, set()).add(key)
    with st.container(horizontal=True, vertical_alignment="bottom", wrap=False, gap="small"):
        st.select_slider(**slide)
        placeholder = "auto" if nullable else None
        if integer:
            st.number_input(f"{label} (exact)", min_value=low, max_value=MAX_STEPS, step=1, key=key,
                            on_change=mark_edited, label_visibility="collapsed", placeholder=placeholder,
                            width=EXACT_BOX_WIDTH)
        else:
            st.text_input(f"{label} (exact)", key=key, on_change=mark_edited, label_visibility="collapsed",
                          placeholder=placeholder, width=EXACT_BOX_WIDTH)


def _warmup_help() -> str:
    return "  \n".join(f"**{name}**: {text}" for name, text in WARMUP_SHAPES.items())


def _param_widget(family: str, p: Param, grids: Mapping[str, Grid]) -> None:
    key = keys.param_key(family, p.name)
    label = p.name.replace("_", " ")
    rule = p.rule()
    help_text = p.help + (f" ({rule})" if rule else "") + (" Leave empty to derive it." if p.nullable else "")
    if p.kind == "bool":
        st.checkbox(label, on_change=mark_edited, key=key, help=help_text)
    elif p.kind == "choice":
        st.segmented_control(label, list(p.choices), required=True, on_change=mark_edited, key=key, help=help_text)
    elif p.kind == "int_list":
        st.text_input(label,
                      on_change=mark_edited, key=key, help=help_text + " Comma-separated steps, e.g. 1000, 2000.")
    else:
        number_row(label, key, grids[key], integer=p.kind == "int", low=int(p.low) if p.low is not None else None,
                   help=help_text, nullable=p.nullable)


def render_budget() -> None:
    """An optional calculator: step counts from a training budget, written into the spec on request.

    Its widgets are drawn only while the expander is open, so a slider move does not pay for them."""
    box = st.expander("Step counts from a training budget", key=keys.K_BUDGET + "open", on_change="rerun")
    if not box.open:
        return
    with box:
        columns = st.columns(2)
        for i, (name, (label, default, help_text)) in enumerate(BUDGET_FIELDS.items()):
            with columns[i % 2]:
                st.number_input(label, min_value=1, max_value=10**12, value=default, step=1, key=keys.K_BUDGET + name,
                                help=help_text)
        left, right = st.columns(2)
        with left:
            st.number_input("Epochs", min_value=0.01, max_value=1e6, value=3.0, step=1.0, format="%g",
                            key=keys.K_BUDGET + "epochs", help="Passes over the dataset; fractions allowed.")
        with right:
            st.number_input("Warmup ratio", min_value=0.0, max_value=0.99, value=None, step=0.01, format="%g",
                            key=keys.K_BUDGET + "warmup_ratio", placeholder="keep warmup steps",
                            help="Warmup as a fraction of total steps (HF warmup_ratio): ceil(ratio × total).")
        st.checkbox("Drop the last incomplete batch (drop_last)", key=keys.K_BUDGET + "drop_last")
        try:
            budget = budget_from_state()
        except SpecError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        warmup = "" if budget.warmup_steps is None else f", warmup {budget.warmup_steps:,} steps"
        st.caption(f"{budget.batches_per_epoch:,} batches per epoch → {budget.steps_per_epoch:,} optimizer steps "
                   f"per epoch → **{budget.total_steps:,} total steps**{warmup}. Formula: Hugging Face Trainer's, "
                   "see docs/explore-page.md.")
        st.button("Use these step counts", key=keys.K_BUDGET + "apply", on_click=apply_budget,
                  help="Sets total steps, steps per epoch and (with a ratio) warmup steps.")


def _save_exact_toggle() -> None:
    st.session_state[keys.K_EXACT_SAVED] = st.session_state[keys.K_EXACT]
