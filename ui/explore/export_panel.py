"""The export panel: pick a target (and a schedule when several are compared); its code with a copy button
and a download button.

Thin: the text comes from :func:`schedules.export.export`; a target that cannot express a spec shows the
SpecError's one-line message instead of code. One code block at a time, and none until a target is
picked, keeps the page light: the browser loads the code viewer only when it is wanted and re-renders a
single snippet per change instead of one per target and schedule.
"""

from __future__ import annotations

import importlib

import streamlit as st

from schedules import Spec, SpecError
from schedules.export import TARGET_LABELS, TARGETS, export
from schedules.export.literals import identifier
from ui.common.link_state import escape_markdown

#: Targets written as YAML (the spec itself, and the trainers' own YAML configs); the rest are Python or JSON.
YAML_TARGETS = ("yaml", "llamafactory", "axolotl", "timm_args", "lightning_cli")
LANGUAGE = {"json": "json", **dict.fromkeys(YAML_TARGETS, "yaml")}
EXTENSION = {"json": "json", **dict.fromkeys(YAML_TARGETS, "yaml")}
MIME = {"json": "application/json", **dict.fromkeys(YAML_TARGETS, "application/yaml")}


def timm_verified() -> bool:
    """Whether the timm exporter declares its output proven against timm (``timm_code.VERIFIED``)."""
    module = importlib.import_module("schedules.export.timm_code")
    return bool(getattr(module, "VERIFIED", False))


def export_text(spec: Spec, target: str) -> tuple[str | None, str | None]:
    """(text, None) for an exportable spec, (None, one-line message) otherwise."""
    try:
        return export(spec, target), None
    except SpecError as exc:
        return None, str(exc)


def render_export_panel(specs: dict[str, Spec], key: str) -> None:
    """A target picker, a schedule picker when ``specs`` holds several, then that pair's code and download."""
    render_export_picker(list(specs), key)
    render_export_code(specs, key)


def render_export_picker(names: list[str], key: str) -> None:
    """The panel's pickers: the target, and the schedule when ``names`` holds several. Until a target is
    picked, a line on what the targets are instead of code.

    A page can draw them apart from :func:`render_export_code`: they change only with the set of schedules,
    the code with every parameter, so a slider move need not redraw them."""
    left, right = st.columns([3, 1]) if len(names) > 1 else (st.container(), None)
    with left:
        target = st.segmented_control("Export to", list(TARGETS), format_func=TARGET_LABELS.get, key=f"{key}-target")
    if right is not None:
        with right:
            st.selectbox("Schedule", range(len(names)), format_func=lambda i: names[i] or f"schedule {i + 1}",
                         key=f"{key}-spec")
    if target not in TARGETS:
        # No code until a target is picked: the code viewer is the heaviest part of the page to load, and
        # the chart should not wait for it.
        st.caption("Pick a framework to see this schedule as code you can paste into training, as your "
                   "trainer's own config (TrainingArguments, LLaMA-Factory, axolotl, timm, Lightning CLI, nanoGPT), "
                   "or as a spec file (JSON / YAML).")


def render_export_code(specs: dict[str, Spec], key: str) -> None:
    """The code and download for the target and schedule picked in :func:`render_export_picker` (nothing
    while no target is picked); a target that cannot express the schedule says why in one line."""
    target = st.session_state.get(f"{key}-target")
    if target not in TARGETS:
        return
    names = list(specs)
    index = min(st.session_state.get(f"{key}-spec") or 0, len(names) - 1) if len(names) > 1 else 0
    name, spec = names[index], specs[names[index]]
    if target == "timm":
        st.caption("timm output: " + ("verified against timm" if timm_verified() else "unverified"))
    text, error = export_text(spec, target)
    if error is not None:
        st.info(f"{TARGET_LABELS[target]} cannot express this schedule: {escape_markdown(str(error))}")
        return
    st.code(text, language=LANGUAGE.get(target, "python"))
    ext = EXTENSION.get(target, "py")
    st.download_button(
        f"Download .{ext}",
        data=text,
        file_name=f"{identifier(name or spec.name, 'lr_schedule')}_{target}.{ext}",
        mime=MIME.get(target, "text/x-python"),
        key=f"{key}-download",
        on_click="ignore",
    )
