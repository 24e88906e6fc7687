"""The import panel: paste or upload a training config (Hugging Face, axolotl, LLaMA-Factory, torchtune, timm,
Lightning, PyTorch code, nanoGPT, Keras, optax, a model card, a spec), see what was detected, how the trainer
counts its steps, the exact curve, and load it into the editor. A ``trainer_state.json`` adds its logged
learning rates as points over the curve (and its ``max_steps`` as the run length).

:func:`read_source` is the pure part (no Streamlit): it never executes what it reads
(``schedules.imports``) and turns every failure into a one-line :class:`~schedules.SpecError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from schedules import Spec, SpecError, curve
from schedules.imports import FORMATS, Imported, TrainerState, detect, import_config, read_trainer_state
from ui.common.chart import plotly_chart
from ui.common.figures import PALETTE, Trace, figure_dict
from ui.common.link_state import escape_markdown

#: The budget fields, in the order shown: (argument, label, help).
BUDGET_FIELDS = (
    ("dataset_size", "Dataset size (examples)", "Rows the trainer iterates over per epoch."),
    ("batch_size", "Batch size per device", "Used only when the config does not set it."),
    ("devices", "Devices", "Data-parallel processes (GPUs)."),
    ("grad_accum", "Gradient accumulation", "Used only when the config does not set it."),
    ("steps_per_epoch", "Updates per epoch", "Optimizer updates per epoch, instead of dataset and batch size."),
    ("total_steps", "Total updates", "The run's optimizer updates, when you know them (trainer_state max_steps)."),
)
LOGGED_POINTS = "logged learning_rate"


@dataclass(frozen=True)
class Outcome:
    """What a pasted source turned out to be: an import, a trainer_state, or an error."""

    kind: str
    imported: Imported | None = None
    state: TrainerState | None = None
    error: SpecError | None = None
    needs_budget: bool = False


def read_source(data: bytes | str, fmt: str | None, budget: dict[str, int | None],
                transformers_version: str | None = None) -> Outcome:
    """Detect and import ``data`` (never executed); a trainer_state.json is read for its points, placed as the
    given transformers version (a model card read before names it) logs them."""
    kind = fmt or "?"
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError:
        try:
            import_config(data)
        except SpecError as exc:
            return Outcome(kind=kind, error=exc)
        return Outcome(kind=kind, error=SpecError("config", "is not UTF-8 text"))
    try:
        kind = fmt or detect(text)
        if kind == "trainer_state":
            return Outcome(kind=kind, state=read_trainer_state(text, transformers_version))
        args = {k: v for k, v in budget.items() if v is not None}
        return Outcome(kind=kind, imported=import_config(text, None if kind == "model_card" else kind, **args))
    except SpecError as exc:
        return Outcome(kind=kind, error=exc, needs_budget=exc.field == "total_steps")
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        return Outcome(kind=kind, error=SpecError("config", f"could not be read ({type(exc).__name__})"))


def format_label(kind: str) -> str:
    if kind == "model_card":
        return "Hugging Face model card (Training hyperparameters)"
    if kind == "trainer_state":
        return "Hugging Face trainer_state.json"
    return FORMATS.get(kind, kind)


def logged_trace(points: Any) -> dict | None:
    """A Plotly scatter of (update, lr) pairs drawn as markers, or None when there are none."""
    if not points:
        return None
    steps, lrs = zip(*points, strict=True)
    return {"type": "scatter", "mode": "markers", "name": LOGGED_POINTS, "x": list(steps), "y": list(lrs),
            "marker": {"size": 7, "color": "#d62728", "symbol": "circle-open"}}


def add_logged_points(figure: dict, key: str, x_axis: str = "step", steps_per_epoch: int | None = None) -> bool:
    """Draw the points of the last trainer_state.json read by the panel ``key`` on ``figure`` (if any);
    whether there were any."""
    trace = logged_trace(st.session_state.get(f"{key}-logged"))
    if trace is None:
        return False
    if x_axis == "epoch" and steps_per_epoch:
        trace["x"] = [s / steps_per_epoch for s in trace["x"]]
    figure["data"].append(trace)
    return True


def preview_figure(spec: Spec, points: Any) -> dict:
    """The imported curve (and logged points) in the app's chart style, as :func:`ui.common.figures.figure_dict`."""
    steps = np.arange(spec.total_steps)
    figure = figure_dict([Trace(spec.name or "imported", steps, curve(spec), color=PALETTE[0])])
    trace = logged_trace(points)
    if trace is not None:
        figure["data"].append(trace)
    return figure


def _budget_inputs(key: str) -> dict[str, int | None]:
    max_steps = st.session_state.get(f"{key}-max-steps")
    total_key = f"{key}-total_steps"
    if max_steps is not None and st.session_state.get(total_key) is None:
        st.session_state[total_key] = max_steps
    values: dict[str, int | None] = {}
    cols = st.columns(3)
    for i, (name, label, help_text) in enumerate(BUDGET_FIELDS):
        with cols[i % 3]:
            value = st.number_input(label, min_value=1, max_value=100_000_000, step=1, value=None,
                                    key=f"{key}-{name}", help=help_text, placeholder="from the config")
        values[name] = None if value is None else int(value)
    return values


def render_import_panel(key: str) -> Spec | None:
    """Paste or upload a config; returns the imported Spec when "Load into editor" is clicked, else None."""
    upload = st.file_uploader("Config file (JSON, YAML, Python, markdown)", key=f"{key}-file", max_upload_size=1,
                              type=["json", "yaml", "yml", "py", "md", "txt", "cfg"])
    pasted = st.text_area("...or paste a trainer config, scheduler code, a model card or a spec", key=f"{key}-text",
                          height=180, placeholder='{"learning_rate": 2e-5, "lr_scheduler_type": "cosine", ...}')
    choice = st.selectbox("Format", ["detect", *FORMATS], key=f"{key}-fmt",
                          format_func=lambda k: "detect automatically" if k == "detect" else f"{k}: {FORMATS[k]}")
    data: bytes | str | None = upload.getvalue() if upload is not None else (pasted if pasted.strip() else None)
    if data is None:
        # The run's numbers are asked for once there is a config to read: until then the panel draws three
        # widgets fewer, on every rerun of the page (~15% of a share link's server time at 1M steps).
        st.caption("Hugging Face TrainingArguments JSON, a model card's Training hyperparameters, trainer_state.json, "
                   "axolotl / LLaMA-Factory / torchtune / timm / Lightning YAML, torch.optim.lr_scheduler or optax "
                   "code, a nanoGPT config, a Keras schedule, or a spec. Nothing you paste is ever executed. "
                   "Where a trainer needs the run's numbers (dataset size, devices) to count its updates, they "
                   "are asked for here.")
        return None
    budget = _budget_inputs(key)
    outcome = read_source(data, None if choice == "detect" else choice, budget,
                          st.session_state.get(f"{key}-tf-version"))
    if outcome.kind not in ("?",):
        st.markdown(f"Detected: **{escape_markdown(format_label(outcome.kind))}**")
    if outcome.state is not None:
        st.session_state[f"{key}-logged"] = list(outcome.state.logged)
        if st.session_state.get(f"{key}-max-steps") != outcome.state.max_steps:
            # The budget fields are already drawn in this run: prefill total updates in the next one.
            st.session_state[f"{key}-max-steps"] = outcome.state.max_steps
            st.rerun()
        st.info(f"{len(outcome.state.logged)} logged learning rates over {outcome.state.max_steps:,} updates, drawn "
                "as points on the chart. Total updates is set to this run's max_steps for the config you paste "
                "next.", icon=":material/scatter_plot:")
        st.markdown("\n".join(f"- {escape_markdown(line)}" for line in outcome.state.assumptions))
        last = st.session_state.get(f"{key}-last")
        if last is not None:
            plotly_chart(preview_figure(last, outcome.state.logged), key=f"{key}-chart", filename="imported_schedule")
        return None
    if outcome.error is not None:
        st.error(escape_markdown(str(outcome.error)), icon=":material/error:")
        if outcome.needs_budget:
            st.caption("Fill in the run's numbers above: the trainer needs them to count its updates.")
        return None
    imported = outcome.imported
    assert imported is not None
    st.session_state[f"{key}-last"] = imported.spec
    if imported.transformers_version is not None:
        st.session_state[f"{key}-tf-version"] = imported.transformers_version
    st.markdown("\n".join(f"- {escape_markdown(line)}" for line in imported.assumptions))
    plotly_chart(preview_figure(imported.spec, st.session_state.get(f"{key}-logged")), key=f"{key}-chart",
                 filename="imported_schedule")
    if st.button("Load into editor", key=f"{key}-load", type="primary"):
        return imported.spec
    return None
