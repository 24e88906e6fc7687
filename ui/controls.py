"""The schedule editor's widgets, generated from the registry (``schedules.FAMILIES[...].params``).

Widgets read and write ``st.session_state`` under the fixed keys below, so a page can seed them from a spec
(:func:`widget_values`) and a test can drive them by key. Turning widget values back into a spec
(:func:`build_spec`) is pure and reports the first bad field as a :class:`~schedules.SpecError`.

How each registry parameter is shown:

- ``scale == "lr"`` floats: a text box that takes ``3e-4``, ``0.0003`` or ``1e-7`` (learning rates span
  decades; a linear slider cannot reach 1e-7);
- other numbers: number inputs bounded by ``Param.low``/``Param.high`` (empty means "derive it" for
  nullable parameters);
- ``bool``: a checkbox; ``choice``: a select box; ``int_list``: comma-separated whole numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from schedules import FAMILIES, WARMUP_SHAPES, Spec, SpecError, load_spec
from schedules.params import MAX_STEPS, Param

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
INTERVALS = {"step": "per step", "epoch": "per epoch"}


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
        return None
    if p.kind == "int_list":
        return format_int_list(value)
    if p.kind == "float" and p.scale == "lr":
        return format_lr(value)
    if p.kind == "float":
        return float(value)
    return value


def _from_widget(p: Param, value: Any, field: str) -> Any:
    if p.kind == "int_list":
        return parse_int_list(value, field)
    if p.kind == "float" and p.scale == "lr":
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
        K_GROUPS: format_groups(spec),
        K_MOMENTUM: momentum is not None,
        K_MOM_BASE: momentum.base if momentum else 0.85,
        K_MOM_MAX: momentum.max if momentum else 0.95,
        **family_values(spec.schedule.type, spec),
    }


def spec_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """The spec v1 dict the widget values describe (not yet validated by ``load_spec``).

    Raises:
        SpecError: a text field that does not parse (lr, start_lr, lr-valued parameters, milestones,
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
    if fam.momentum is not None and values.get(K_MOMENTUM):
        data["momentum"] = {"base": values[K_MOM_BASE], "max": values[K_MOM_MAX]}
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


def mark_edited() -> None:
    """Widget callback: once a loaded schedule is edited, its name no longer describes it, so the legend,
    CSV and link say "(edited)" (the Name field, which the user may change, shows it too)."""
    name = st.session_state.get(K_NAME) or ""
    if name and name == st.session_state.get(K_LOADED_NAME) and not name.endswith(EDITED):
        st.session_state[K_NAME] = name[: 80 - len(EDITED)] + EDITED
        st.session_state[K_LOADED_NAME] = None


def render_spec_controls(fallback: Spec) -> dict[str, Any]:
    """Draw the editor (call inside the container it belongs in); return the widget values by key.

    ``fallback`` seeds the parameter widgets of a family chosen for the first time.
    """
    seed(widget_values(fallback), force=False)
    st.selectbox("Schedule family", list(FAMILIES),
                 on_change=mark_edited, key=K_FAMILY, format_func=lambda n: FAMILIES[n].label,
                 help="The main schedule after warmup.")
    family = st.session_state[K_FAMILY]
    st.caption(FAMILIES[family].help)
    left, right = st.columns(2)
    with left:
        st.number_input("Total steps", min_value=1, max_value=MAX_STEPS, step=1000, on_change=mark_edited, key=K_TOTAL,
                        help="Optimizer updates in the whole run, warmup included.")
    with right:
        st.text_input("Peak lr", on_change=mark_edited, key=K_LR, help="Peak learning rate, e.g. 3e-4 (0 < lr <= 100).")
    left, right = st.columns(2)
    with left:
        st.number_input("Steps per epoch", min_value=1, max_value=MAX_STEPS, step=1, on_change=mark_edited, key=K_SPE,
                        placeholder="none", help="Needed for an epoch axis and for stepping per epoch.")
    with right:
        st.radio("Scheduler steps", list(INTERVALS),
                 on_change=mark_edited, key=K_INTERVAL, format_func=INTERVALS.get, horizontal=True,
                 help="'per epoch' holds the lr for each epoch, as a scheduler stepped once per epoch does.")
    st.markdown("**Warmup**")
    left, mid, right = st.columns(3)
    with left:
        st.number_input("Warmup steps", min_value=0, max_value=MAX_STEPS, step=100,
                        on_change=mark_edited, key=K_WARMUP_STEPS)
    with mid:
        st.selectbox("Shape", list(WARMUP_SHAPES), on_change=mark_edited, key=K_WARMUP_SHAPE, help=_warmup_help())
    with right:
        st.text_input("Start lr", on_change=mark_edited, key=K_WARMUP_START, help="lr at step 0, e.g. 0 or 1e-7.")
    fam = FAMILIES[family]
    if fam.params:
        st.markdown(f"**{fam.label} parameters**")
    seed(family_values(family, fallback), force=False)
    columns = st.columns(2)
    for i, p in enumerate(fam.params):
        with columns[i % 2]:
            _param_widget(family, p)
    if fam.momentum is not None:
        st.checkbox("Cycle momentum inversely to the lr", on_change=mark_edited, key=K_MOMENTUM)
        if st.session_state[K_MOMENTUM]:
            left, right = st.columns(2)
            with left:
                st.number_input("Momentum base", min_value=0.0, max_value=1.0, step=0.01,
                                on_change=mark_edited, key=K_MOM_BASE,
                                format="%.4g")
            with right:
                st.number_input("Momentum max", min_value=0.0, max_value=1.0, step=0.01,
                                on_change=mark_edited, key=K_MOM_MAX,
                                format="%.4g")
    with st.expander("Name and param groups"):
        st.text_input("Name", key=K_NAME, max_chars=80)
        st.text_input("Param groups", on_change=mark_edited, key=K_GROUPS, placeholder="e.g. backbone=0.1, head=1",
                      help="One curve per group: lr(t) * lr_scale. Empty: a single group.")
    keys = [K_NAME, K_FAMILY, K_TOTAL, K_SPE, K_INTERVAL, K_LR, K_WARMUP_STEPS, K_WARMUP_SHAPE, K_WARMUP_START,
            K_GROUPS, K_MOMENTUM, K_MOM_BASE, K_MOM_MAX, *(param_key(family, p.name) for p in fam.params)]
    return {k: st.session_state.get(k) for k in keys}


def _warmup_help() -> str:
    return "  \n".join(f"**{name}**: {text}" for name, text in WARMUP_SHAPES.items())


def _param_widget(family: str, p: Param) -> None:
    key = param_key(family, p.name)
    label = p.name.replace("_", " ")
    rule = p.rule()
    help_text = p.help + (f" ({rule})" if rule else "") + (" Leave empty to derive it." if p.nullable else "")
    if p.kind == "bool":
        st.checkbox(label, on_change=mark_edited, key=key, help=help_text)
    elif p.kind == "choice":
        st.selectbox(label, list(p.choices), on_change=mark_edited, key=key, help=help_text)
    elif p.kind == "int_list":
        st.text_input(label,
                      on_change=mark_edited, key=key, help=help_text + " Comma-separated steps, e.g. 1000, 2000.")
    elif p.kind == "float" and p.scale == "lr":
        st.text_input(label, on_change=mark_edited, key=key, help=help_text + " Type it like 3e-4.")
    elif p.kind == "int":
        st.number_input(label, on_change=mark_edited, key=key, help=help_text, step=1,
                        placeholder="auto" if p.nullable else None,
                        min_value=int(p.low) if p.low is not None else None,
                        max_value=int(p.high) if p.high is not None else None)
    else:
        high = float(p.high) if p.high is not None else None
        st.number_input(label, on_change=mark_edited, key=key, help=help_text, format="%.6g",
                        placeholder="auto" if p.nullable else None,
                        step=_float_step(p), min_value=float(p.low) if p.low is not None else None,
                        max_value=high)


def _float_step(p: Param) -> float:
    """A step that moves the value visibly: 0.01 for fractions, 1 for step counts, 0.1 otherwise."""
    if p.scale == "steps":
        return 1.0
    if p.high is not None and p.high <= 1.0:
        return 0.01
    return 0.1
