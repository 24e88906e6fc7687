"""The export panel: a tab per target with the generated code (copy button) and a download button.

Thin: the text comes from :func:`schedules.export.export`; a target that cannot express a spec shows
the SpecError's one-line message instead of code.
"""

from __future__ import annotations

import importlib

import streamlit as st

from schedules import Spec, SpecError
from schedules.export import TARGETS, export
from schedules.export.literals import identifier
from ui.state import escape_markdown

LANGUAGE = {"json": "json", "yaml": "yaml"}
EXTENSION = {"json": "json", "yaml": "yaml"}
MIME = {"json": "application/json", "yaml": "application/yaml"}


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
    """One tab per target; one code block per spec name inside each tab."""
    targets = list(TARGETS)
    tabs = st.tabs(targets)
    for target, tab in zip(targets, tabs, strict=True):
        with tab:
            if target == "timm":
                st.caption("timm output: " + ("verified against timm" if timm_verified() else "unverified"))
            for i, (name, spec) in enumerate(specs.items()):
                if len(specs) > 1:
                    st.markdown(f"**{escape_markdown(name)}**" if name else f"**schedule {i + 1}**")
                text, error = export_text(spec, target)
                if error is not None:
                    st.info(f"{target} cannot express this schedule: {escape_markdown(str(error))}")
                    continue
                st.code(text, language=LANGUAGE.get(target, "python"))
                ext = EXTENSION.get(target, "py")
                st.download_button(
                    f"Download .{ext}",
                    data=text,
                    file_name=f"{identifier(name or spec.name, 'lr_schedule')}_{target}.{ext}",
                    mime=MIME.get(target, "text/x-python"),
                    key=f"{key}-dl-{target}-{i}",
                )
