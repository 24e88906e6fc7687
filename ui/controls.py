"""The schedule editor's widgets, generated from the registry (``schedules.FAMILIES[...].params``).

Widgets read and write ``st.session_state`` under the fixed keys below, so a page can seed them from a spec
(:func:`widget_values`) and a test can drive them by key. Turning widget values back into a spec
(:func:`build_spec`) is pure and reports the first bad field as a :class:`~schedules.SpecError`.

How each registry parameter is shown:

- numbers: a slider over the parameter's grid (:func:`ui.grids.param_grid`: log scale for learning rates,
  step counts bounded by the run, ``1 - gamma`` in log scale) as the main control, and beside it a box
  holding the exact value. The box is the value: a typed number off the grid is kept as typed, and the
  slider shows the grid point nearest to it; moving the slider writes its grid point into the box.
  Floats are typed as text (``3e-4``, ``0.99995``), whole numbers in a number box; empty means "derive it"
  for nullable parameters (the slider's "auto" point);
- ``bool``: a checkbox; ``choice``: a segmented control; ``int_list``: comma-separated whole numbers.

The family is a one-click picker (pills) showing every family.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from schedules import FAMILIES, WARMUP_SHAPES, Spec, SpecError, load_spec
from schedules.params import MAX_STEPS, Param
from schedules.registry import LR_MAX
from ui.budget import budget_steps
from ui.grids import Grid, factor_grid, lr_grid, param_grid, steps_grid

K_PRESET = "ex_preset"
K_NAME = "ex_name"
K_LOADED_NAME = "ex_loaded_name"
EDITED = " (edited)"
K_FAMILY = "ex_family"
K_TOTAL = "ex_total_steps"
K_SPE = "ex_steps_per_epoch"
K_INTERVAL = "ex_interval"
K_LR = "ex_lr"
K_WARMUP_STEPS = "ex_warmup_steps"
K_WARMUP_SHAPE = "ex_warmup_shape"
K_WARMUP_START = "ex_warmup_start_lr"
K_GROUPS = "ex_groups"
K_MOMENTUM = "ex_momentum"
K_MOM_BASE = "ex_momentum_base"
K_MOM_MAX = "ex_momentum_max"
K_WARMUP_OVERLAY = "ex_warmup_overlay"
K_MAIN_STEPS = "ex_main_steps"
K_BUDGET = "ex_budget_"
BUDGET_FIELDS = {  # key suffix: (label, default, help)
    "dataset_size": ("Dataset size (examples)", 50_000, "Training examples in one epoch."),
    "batch_size": ("Batch size per device", 32, "Examples per forward pass on one device."),
    "devices": ("Devices", 1, "Data-parallel devices (GPUs, processes)."),
    "grad_accum": ("Gradient accumulation", 1, "Batches whose gradients make one optimizer update."),
}
INTERVALS = {"step": "per step", "epoch": "per epoch"}
#: A number's slider key is its exact box's key plus this suffix.
SLIDER = "_slider"
#: Pixels of the exact-value box beside each slider (room for "0.000375" or "10,000,000" and its +/- buttons).
EXACT_BOX_WIDTH = 150
#: The "Type exact values" toggle: a box beside every slider. Off, a slider stands alone unless the number it
#: stands for is off its grid (typed, or from a link or an import): that box is always shown.
K_EXACT = "ex_exact_values"
#: The toggle's last value kept outside the widget: Streamlit drops a widget's value while another page is shown.
K_EXACT_SAVED = "ex_exact_values_saved"
#: The keys whose exact-value box the editor drew in its last run (a slider move must redraw those boxes).
K_BOXES = "ex_boxes_drawn"
#: The page's fragment that draws what the editor's values show (charts, numbers, export, link): a slider
#: move that changes nothing else in the editor reruns only it and the warmup-ratio caption
#: (:func:`on_slide`), not the editor's ~25 widgets.
VIEW_FRAGMENT = "ex_view"
WARMUP_RATIO_FRAGMENT = "ex_warmup_ratio"


def param_key(family: str, name: str) -> str:
    """Session-state key of a family parameter's widget (one per family, so each keeps its values)."""
    return f"ex_p_{family}_{name}"


def format_lr(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (``3e-05``, ``0.0003``, ``0.1``)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def parse_lr(text: Any, field: str) -> float:
    """A learning rate typed as text (``3e-4``, ``0.0003``, ``3E-4``); SpecError naming ``field`` otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    raw = str(text).strip().replace(" ", "").replace("_", "")
    try:
        value = float(raw)
    except ValueError:
        raise SpecError(field, "must be a number like 3e-4 or 0.001", str(text)) from None
    if not math.isfinite(value):
        raise SpecError(field, "must be finite", str(text))
    return value


def format_int_list(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def parse_int_list(text: Any, field: str) -> list[int]:
    """``"1000, 2000, 3e3"`` -> ``[1000, 2000, 3000]``; SpecError naming ``field`` on anything else."""
    parts = [p for p in re.split(r"[,\s;]+", str(text).strip()) if p]
    if not parts:
        raise SpecError(field, "needs at least one step, e.g. 1000, 2000")
    if len(parts) > 1000:
        raise SpecError(field, "must have at most 1000 entries", len(parts))
    out = []
    for part in parts:
        try:
            number = float(part.replace("_", ""))
        except ValueError:
            raise SpecError(field, "must be whole numbers separated by commas, e.g. 1000, 2000", part) from None
        if not math.isfinite(number) or not number.is_integer():
            raise SpecError(field, "must be whole numbers separated by commas, e.g. 1000, 2000", part)
        out.append(int(number))
    return out


def format_groups(spec: Spec) -> str:
    return ", ".join(f"{g.name}={format_lr(g.lr_scale)}" for g in spec.param_groups)


def parse_groups(text: Any) -> list[dict[str, Any]]:
    """``"backbone=0.1, head=1"`` -> param_groups; empty text means no groups."""
    items = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        name, sep, scale = part.partition("=")
        if not sep or not name.strip():
            raise SpecError("param_groups", "write name=lr_scale pairs separated by commas, e.g. "
                            "backbone=0.1, head=1", part)
        items.append({"name": name.strip(), "lr_scale": parse_lr(scale, f"param_groups.{name.strip()}")})
    return items


def family_values(family: str, spec: Spec) -> dict[str, Any]:
    """Widget values for ``family``'s parameters: the spec's own when it is of that family, otherwise the
    registry defaults, with step counts that would not fit the spec's main schedule scaled into it."""
    fam = FAMILIES[family]
    own = spec.schedule.as_dict() if spec.schedule.type == family else None
    length = spec.main_steps
    values = {}
    for p in fam.params:
        value = own[p.name] if own is not None else _fitted_default(p, length)
        values[param_key(family, p.name)] = _to_widget(p, value)
    return values


def _fitted_default(p: Param, length: int) -> Any:
    if p.scale != "steps" or p.default is None:
        return p.default
    if p.kind == "int_list":
        if p.default[-1] < length:
            return p.default
        n = len(p.default)
        return tuple(sorted({max(1, length * (k + 1) // (n + 1)) for k in range(n)}))
    return p.default if p.default <= length // 2 else max(1, length // 4)


def _to_widget(p: Param, value: Any) -> Any:
    if value is None:
        return "" if p.kind == "float" else None
    if p.kind == "int_list":
        return format_int_list(value)
    if p.kind == "float":
        return format_lr(value)
    return value


def _from_widget(p: Param, value: Any, field: str) -> Any:
    if p.kind == "int_list":
        return parse_int_list(value, field)
    if p.kind == "float":
        if p.nullable and (value is None or not str(value).strip()):
            return None
        return parse_lr(value, field)
    return value


def widget_values(spec: Spec) -> dict[str, Any]:
    """Every editor widget's value for ``spec`` (the keys above plus the family's parameter keys)."""
    momentum = spec.momentum
    return {
        K_NAME: spec.name,
        K_FAMILY: spec.schedule.type,
        K_TOTAL: spec.total_steps,
        K_SPE: spec.steps_per_epoch,
        K_INTERVAL: spec.interval,
        K_LR: format_lr(spec.lr),
        K_WARMUP_STEPS: spec.warmup.steps,
        K_WARMUP_SHAPE: spec.warmup.shape,
        K_WARMUP_START: format_lr(spec.warmup.start_lr),
        K_WARMUP_OVERLAY: spec.warmup.overlay,
        K_MAIN_STEPS: spec.main_length,
        K_GROUPS: format_groups(spec),
        K_MOMENTUM: momentum is not None,
        K_MOM_BASE: format_lr(momentum.base if momentum else 0.85),
        K_MOM_MAX: format_lr(momentum.max if momentum else 0.95),
        **family_values(spec.schedule.type, spec),
    }


def spec_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """The spec v1 dict the widget values describe (not yet validated by ``load_spec``).

    Raises:
        SpecError: a text field that does not parse (lr, start_lr, float parameters, momentum, milestones,
            param groups).
    """
    family = values[K_FAMILY]
    fam = FAMILIES[family]
    schedule: dict[str, Any] = {"type": family}
    for p in fam.params:
        schedule[p.name] = _from_widget(p, values.get(param_key(family, p.name)), f"schedule.{p.name}")
    data: dict[str, Any] = {
        "version": 1,
        "name": values.get(K_NAME) or "",
        "total_steps": values[K_TOTAL],
        "lr": parse_lr(values[K_LR], "lr"),
        "warmup": {
            "steps": values[K_WARMUP_STEPS],
            "shape": values[K_WARMUP_SHAPE],
            "start_lr": parse_lr(values[K_WARMUP_START], "warmup.start_lr"),
        },
        "schedule": schedule,
        "steps_per_epoch": values.get(K_SPE),
        "interval": values.get(K_INTERVAL) or "step",
        "param_groups": parse_groups(values.get(K_GROUPS) or ""),
        "momentum": None,
    }
    # The two later spec v1 fields are written only when used, as Spec.to_dict writes them.
    if values.get(K_WARMUP_OVERLAY):
        data["warmup"]["overlay"] = True
    if values.get(K_MAIN_STEPS) is not None:
        data["main_steps"] = values[K_MAIN_STEPS]
    if fam.momentum is not None and values.get(K_MOMENTUM):
        data["momentum"] = {"base": parse_lr(values[K_MOM_BASE], "momentum.base"),
                            "max": parse_lr(values[K_MOM_MAX], "momentum.max")}
    return data


def build_spec(values: Mapping[str, Any]) -> tuple[Spec | None, SpecError | None]:
    """The validated spec the widgets describe, or the first error (never raises)."""
    try:
        return load_spec(spec_data(values)), None
    except SpecError as exc:
        return None, exc
    except (KeyError, TypeError, ValueError) as exc:
        return None, SpecError("spec", "could not be built from the controls", type(exc).__name__)


# --- widgets -----------------------------------------------------------------------------------------


def seed(values: Mapping[str, Any], *, force: bool) -> None:
    """Put widget values into session state: all of them (``force``) or only the missing ones."""
    for key, value in values.items():
        if force or key not in st.session_state:
            st.session_state[key] = value


def remember_loaded_name(name: str) -> None:
    """Note the name a loaded spec (preset, link, import) came with, for :func:`mark_edited`."""
    st.session_state[K_LOADED_NAME] = name


def loaded_name() -> str | None:
    """The name the schedule was loaded with, while it has not been edited (see :func:`mark_edited`)."""
    return st.session_state.get(K_LOADED_NAME)


def mark_edited() -> bool:
    """Widget callback: once a loaded schedule is edited, its name no longer describes it, so the legend,
    CSV and link say "(edited)" (the Name field, which the user may change, shows it too). Whether the
    name changed."""
    name = st.session_state.get(K_NAME) or ""
    edited = edited_name(name, st.session_state.get(K_LOADED_NAME))
    if edited == name:
        return False
    st.session_state[K_NAME] = edited
    st.session_state[K_LOADED_NAME] = None
    return True


def edited_name(name: str, loaded_name: str | None) -> str:
    """``name`` after an edit of the schedule: "(edited)" added when it is still the name the schedule was
    loaded with (see :func:`mark_edited`)."""
    if name and name == loaded_name and not name.endswith(EDITED):
        return name[: 80 - len(EDITED)] + EDITED
    return name


def render_spec_controls(fallback: Spec) -> dict[str, Any]:
    """Draw the editor (call inside the container it belongs in); return the widget values by key.

    ``fallback`` seeds the parameter widgets of a family chosen for the first time, and bounds the
    sliders while a box holds text that is not a number.
    """
    grids = slider_grids(editor_values(fallback), fallback)
    st.session_state[K_BOXES] = set()
    st.pills("Schedule family", list(FAMILIES), required=True, on_change=mark_edited, key=K_FAMILY, wrap=True,
             format_func=lambda n: FAMILIES[n].label, help="The main schedule after warmup.")
    family = st.session_state[K_FAMILY]
    st.caption(FAMILIES[family].help)
    render_exact_toggle()
    number_row("Total steps", K_TOTAL, grids[K_TOTAL], integer=True, low=1,
               help="Optimizer updates in the whole run, warmup included.")
    number_row("Peak lr", K_LR, grids[K_LR],
               help=f"Peak learning rate (0 < lr <= {LR_MAX:g}); type an exact value like 3.7e-4 in the box.")
    left, right = st.columns(2)
    with left:
        st.number_input("Steps per epoch", min_value=1, max_value=MAX_STEPS, step=1, on_change=mark_edited, key=K_SPE,
                        placeholder="none", help="Needed for an epoch axis and for stepping per epoch.")
    with right:
        st.radio("Scheduler steps", list(INTERVALS),
                 on_change=mark_edited, key=K_INTERVAL, format_func=INTERVALS.get, horizontal=True,
                 help="'per epoch' holds the lr for each epoch, as a scheduler stepped once per epoch does.")
    st.markdown("**Warmup**")
    number_row("Warmup steps", K_WARMUP_STEPS, grids[K_WARMUP_STEPS], integer=True, low=0,
               help="Updates spent rising from the start lr to the schedule's first value (< total steps).")
    warmup_ratio_caption(fallback.total_steps, fallback.warmup.steps)
    # Pills wrap onto a second row where a segmented control would run out of the editor's column.
    st.pills("Warmup shape", list(WARMUP_SHAPES), required=True, on_change=mark_edited, key=K_WARMUP_SHAPE,
             wrap=True, help=_warmup_help())
    number_row("Warmup start lr", K_WARMUP_START, grids[K_WARMUP_START],
               help="lr at step 0, e.g. 0 or 1e-7.")
    st.checkbox("Overlay the warmup on the schedule", on_change=mark_edited, key=K_WARMUP_OVERLAY,
                help="timm's default (warmup_prefix=False): the schedule runs from step 0 and the warmup replaces "
                     "its first steps, instead of the schedule starting after the warmup.")
    fam = FAMILIES[family]
    if fam.params:
        st.markdown(f"**{fam.label} parameters**")
    for p in fam.params:
        _param_widget(family, p, grids)
    number_row("Schedule length", K_MAIN_STEPS, grids[K_MAIN_STEPS], integer=True, low=1,
               nullable=True, help="Updates the main schedule takes to reach its end (e.g. nanoGPT's lr_decay_iters); "
               "it then holds its last value. Empty (auto): the rest of the run after the warmup.")
    if fam.momentum is not None:
        st.checkbox("Cycle momentum inversely to the lr", on_change=mark_edited, key=K_MOMENTUM)
        if st.session_state[K_MOMENTUM]:
            number_row("Momentum base", K_MOM_BASE, grids[K_MOM_BASE],
                       help="Momentum (or Adam beta1) at the lr's peak.")
            number_row("Momentum max", K_MOM_MAX, grids[K_MOM_MAX], help="Momentum where the lr is lowest.")
    with st.expander("Name and param groups"):
        st.text_input("Name", key=K_NAME, max_chars=80)
        st.text_input("Param groups", on_change=mark_edited, key=K_GROUPS, placeholder="e.g. backbone=0.1, head=1",
                      help="One curve per group: lr(t) * lr_scale. Empty: a single group.")
    return editor_values(fallback)


def slider_grids(values: Mapping[str, Any], fallback: Spec) -> dict[str, Grid]:
    """The grid of every slider the editor draws for ``values`` (its values by key, see
    :func:`editor_values`), by the key of the value it sets. Ranges follow the other fields: the warmup stays
    under the total steps, a family's step counts within the main schedule, its lr floors under the peak lr.

    ``fallback`` stands in for a total steps or peak lr whose box holds something that is not a number."""
    family = values[K_FAMILY]
    total = _int_or(values.get(K_TOTAL), fallback.total_steps)
    peak = _float_or(values.get(K_LR), fallback.lr)
    warmup = _int_or(values.get(K_WARMUP_STEPS), fallback.warmup.steps)
    grids = {
        K_TOTAL: steps_grid(1, MAX_STEPS),
        K_LR: lr_grid(LR_MAX, zero=False),
        K_WARMUP_STEPS: steps_grid(1, max(1, total - 1), zero=True),
        K_WARMUP_START: lr_grid(max(peak, 1e-7), zero=True),
    }
    main_steps = _main_steps(total, warmup)
    for p in FAMILIES[family].params:
        grid = param_grid(p, main_steps=main_steps, peak_lr=peak)
        if grid is not None:
            grids[param_key(family, p.name)] = grid
    grids[K_MAIN_STEPS] = steps_grid(1, total, auto=True)
    if FAMILIES[family].momentum is not None and values.get(K_MOMENTUM):
        grids[K_MOM_BASE] = grids[K_MOM_MAX] = factor_grid(0.0, 1.0, False, False)
    return grids


def integer_sliders(family: str) -> set[str]:
    """The keys of the sliders that set whole numbers (step counts) for ``family``."""
    return {K_TOTAL, K_WARMUP_STEPS, K_MAIN_STEPS} | {
        param_key(family, p.name) for p in FAMILIES[family].params if p.kind == "int"}


def editor_values(fallback: Spec) -> dict[str, Any]:
    """The editor's values by key, from session state, before (or without) drawing its widgets: a page can
    build the spec and draw its chart first. Missing values are seeded from ``fallback``."""
    seed(widget_values(fallback), force=False)
    family = st.session_state[K_FAMILY]
    if family not in FAMILIES:  # a required picker always holds one; keep the page alive if not
        family = st.session_state[K_FAMILY] = fallback.schedule.type
    seed(family_values(family, fallback), force=False)
    return _session_values(family)


def _session_values(family: str) -> dict[str, Any]:
    keys = [K_NAME, K_FAMILY, K_TOTAL, K_SPE, K_INTERVAL, K_LR, K_WARMUP_STEPS, K_WARMUP_SHAPE, K_WARMUP_START,
            K_GROUPS, K_MOMENTUM, K_MOM_BASE, K_MOM_MAX, K_WARMUP_OVERLAY, K_MAIN_STEPS,
            *(param_key(family, p.name) for p in FAMILIES[family].params)]
    return {k: st.session_state.get(k) for k in keys}


def _warmup_ratio_caption(total_fallback: int, warmup_fallback: int) -> None:
    """The warmup as a fraction of the run, under the warmup slider (a fragment of its own: see on_slide)."""
    total = _int_or(st.session_state.get(K_TOTAL), total_fallback)
    warmup = _int_or(st.session_state.get(K_WARMUP_STEPS), warmup_fallback)
    if 0 < warmup < total:
        st.caption(f"= {100 * warmup / total:.4g} % of the total steps (Hugging Face `warmup_ratio` "
                   f"{warmup / total:.6g}; ceil(ratio × total) gives back {warmup:,}).")


warmup_ratio_caption = st.fragment(_warmup_ratio_caption, key=WARMUP_RATIO_FRAGMENT)


def _editor_layout(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the editor's controls other than each slider's own value depend on: the family, the total steps
    (step grids), the peak lr (lr grids) and, for a family with step-count sliders, the main schedule's
    length (their grids); the field error under the editor (None while the values make a valid spec); and
    whether there is a warmup (the page's view options and explanations follow it)."""
    family = values[K_FAMILY]
    total, warmup = _int_or(values[K_TOTAL], 0), _int_or(values[K_WARMUP_STEPS], 0)
    steps_sliders = any(p.scale == "steps" and p.kind in ("int", "float") for p in FAMILIES[family].params)
    main_steps = _main_steps(total, warmup) if steps_sliders else None
    error = build_spec(values)[1]
    return (family, total, _float_or(values[K_LR], 0.0), main_steps, None if error is None else str(error),
            warmup > 0)


def _main_steps(total: int, warmup: int) -> int:
    """The main schedule's length the editor bounds its step-count sliders by (total − warmup, at least 1)."""
    return max(1, total - min(warmup, total - 1))


def _int_or(value: Any, default: int) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _float_or(value: Any, default: float) -> float:
    try:
        number = parse_lr(value, "value")
    except (SpecError, TypeError):
        return default
    return number if number > 0 else default


def exact_number(value: Any) -> float | None:
    """The number an exact box holds (None when empty or not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return parse_lr(value, "value")
    except (SpecError, TypeError):
        return None


def slider_point(grid: Grid, exact: Any, previous: Any = None) -> Any:
    """The grid point a slider shows for its box's value: the nearest one; "auto" for an empty box where
    the grid has it; the slider's previous point (or the first) while the box holds text that is no number."""
    number = exact_number(exact)
    if number is None:
        if (exact is None or not str(exact).strip()) and grid.values[0] is None:
            return None
        return previous if previous in grid.values else grid.values[0]
    return grid.nearest(number)


def shows_other_value(point: Any, exact: Any) -> bool:
    """Whether a slider at ``point`` misreads the exact value ``exact``: a number off the grid (or beyond its
    range), or text that is no number. An empty value on an "auto" point reads right."""
    if exact is None or (isinstance(exact, str) and not exact.strip()):
        return point is not None
    number = exact_number(exact)
    return number is None or number != point


def render_exact_toggle() -> None:
    """The "Type exact values" toggle (its value survives a visit to another page)."""
    if K_EXACT not in st.session_state:
        st.session_state[K_EXACT] = bool(st.session_state.get(K_EXACT_SAVED))
    st.toggle("Type exact values", key=K_EXACT, on_change=_save_exact_toggle,
              help="A box beside every slider for the exact number (e.g. 3.7e-4, 1234 steps). A value off a "
                   "slider's grid always shows its box, and is kept exactly as typed.")


def _save_exact_toggle() -> None:
    st.session_state[K_EXACT_SAVED] = st.session_state[K_EXACT]


def on_slide(key: str, integer: bool) -> None:
    """Slider callback: its grid point becomes the exact value.

    When nothing else the editor shows depends on the move (the slider stands alone, without its box; the
    schedule's name stays; the other sliders' grids and the field error stay as they are), only the page's
    view reruns (:data:`VIEW_FRAGMENT`, with the warmup-ratio caption): the browser then redraws the chart
    and its numbers, not every widget of the editor."""
    family = st.session_state.get(K_FAMILY)
    before = _editor_layout(_session_values(family)) if family in FAMILIES else None
    st.session_state[key] = slider_value(st.session_state[key + SLIDER], integer)
    renamed = mark_edited()
    if (before is not None and not renamed and not st.session_state.get(K_EXACT)
            and key not in st.session_state.get(K_BOXES, ()) and _editor_layout(_session_values(family)) == before):
        st.rerun([VIEW_FRAGMENT, WARMUP_RATIO_FRAGMENT])


def slider_value(point: float | None, integer: bool) -> int | str | None:
    """The editor value a slider's grid point stands for (what its exact box would hold): an int for step
    counts, the shortest exact text for other numbers, empty for the "auto" point."""
    if point is None:
        return None if integer else ""
    return int(point) if integer else format_lr(point)


def number_row(label: str, key: str, grid: Grid, *, integer: bool = False, low: int | None = None,
               help: str | None = None, nullable: bool = False) -> None:
    """A slider over ``grid`` and, beside it, the exact value's box (key ``key``; the slider's is
    ``key + SLIDER``). The slider is set from the box before it is drawn, so the box always wins."""
    slider_key = key + SLIDER
    exact = st.session_state.get(key)
    point = st.session_state[slider_key] = slider_point(grid, exact, st.session_state.get(slider_key))
    slide = {"label": label, "options": grid.values, "key": slider_key, "format_func": grid.label,
             "on_change": on_slide, "args": (key, integer), "help": help, "width": "stretch"}
    if not (st.session_state.get(K_EXACT) or shows_other_value(point, exact)):
        # The slider says the exact value: no box. Each widget is a message to send and a component to
        # redraw on every slider move (half the editor's widgets are these boxes); the value itself stays
        # in session state under the box's key, where on_slide writes it.
        st.session_state[key] = exact  # as a plain value: the box drawn before is gone, and with it its state
        st.select_slider(**slide)
        return
    # One horizontal row (one layout block) rather than st.columns (three): every number in the editor has a
    # row, and each block is a message to send and a component to redraw on every slider move.
    st.session_state.setdefault(K_BOXES, set()).add(key)
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
    key = param_key(family, p.name)
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
    box = st.expander("Step counts from a training budget", key=K_BUDGET + "open", on_change="rerun")
    if not box.open:
        return
    with box:
        columns = st.columns(2)
        for i, (name, (label, default, help_text)) in enumerate(BUDGET_FIELDS.items()):
            with columns[i % 2]:
                st.number_input(label, min_value=1, max_value=10**12, value=default, step=1, key=K_BUDGET + name,
                                help=help_text)
        left, right = st.columns(2)
        with left:
            st.number_input("Epochs", min_value=0.01, max_value=1e6, value=3.0, step=1.0, format="%g",
                            key=K_BUDGET + "epochs", help="Passes over the dataset; fractions allowed.")
        with right:
            st.number_input("Warmup ratio", min_value=0.0, max_value=0.99, value=None, step=0.01, format="%g",
                            key=K_BUDGET + "warmup_ratio", placeholder="keep warmup steps",
                            help="Warmup as a fraction of total steps (HF warmup_ratio): ceil(ratio × total).")
        st.checkbox("Drop the last incomplete batch (drop_last)", key=K_BUDGET + "drop_last")
        try:
            budget = budget_from_state()
        except SpecError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        warmup = "" if budget.warmup_steps is None else f", warmup {budget.warmup_steps:,} steps"
        st.caption(f"{budget.batches_per_epoch:,} batches per epoch → {budget.steps_per_epoch:,} optimizer steps "
                   f"per epoch → **{budget.total_steps:,} total steps**{warmup}. Formula: Hugging Face Trainer's, "
                   "see docs/explore-page.md.")
        st.button("Use these step counts", key=K_BUDGET + "apply", on_click=apply_budget,
                  help="Sets total steps, steps per epoch and (with a ratio) warmup steps.")


def budget_from_state():
    """The calculator's result for its current inputs (SpecError naming a bad input)."""
    get = st.session_state.get
    ratio = get(K_BUDGET + "warmup_ratio")
    return budget_steps(
        int(get(K_BUDGET + "dataset_size") or 0), int(get(K_BUDGET + "batch_size") or 0),
        int(get(K_BUDGET + "devices") or 0), int(get(K_BUDGET + "grad_accum") or 0),
        float(get(K_BUDGET + "epochs") or 0), bool(get(K_BUDGET + "drop_last")),
        None if ratio is None else float(ratio),
    )


def apply_budget() -> None:
    """Button callback: the budget's step counts go into the editor's boxes (then its sliders follow)."""
    try:
        budget = budget_from_state()
    except SpecError:
        return
    st.session_state[K_TOTAL] = budget.total_steps
    st.session_state[K_SPE] = budget.steps_per_epoch
    if budget.warmup_steps is not None:
        st.session_state[K_WARMUP_STEPS] = budget.warmup_steps
    mark_edited()
