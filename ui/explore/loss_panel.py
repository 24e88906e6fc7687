"""The explore page's predicted loss: what a schedule-to-loss law (``schedules.laws``) says the schedule, its
no-warmup twin and the compared schedules do to the training loss, fitted to a logged run if the visitor has
one, and the schedule of a family that the law says ends lowest.

Split as the page is: the controls (the parameter set, "Fit to my run", "Find a better schedule") are drawn
by the editor's fragment (:func:`render_loss_controls`), the chart and numbers by its view
(:func:`render_loss_view`), so a slider move redraws the predicted curves with the lr chart. With no law
chosen (a fresh page) the section draws one picker and computes nothing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from schedules import FAMILIES, Spec, SpecError, load_spec
from schedules.laws import LAWS, PRESETS, Fit, Suggestion, fit, optimize, predict
from schedules.laws.fitting import run_lrs
from schedules.laws.logs import Log, read_log
from schedules.laws.predict import evaluate
from ui.common.chart import plotly_chart
from ui.common.curves import no_warmup_twin
from ui.common.figures import PALETTE
from ui.common.link_state import State, escape_markdown, unique_name
from ui.common.tables import markdown_table
from ui.explore import keys

NONE = "none"
FITTED = "fit"
LAW_LABELS = {"mpl": "multi-power law (Luo et al. 2025)", "annealing": "annealing law (Tissue et al. 2024)"}
#: The families "Find a better schedule" searches (``schedules.laws.optimize``).
SEARCHED = ("wsd", "cosine", "linear")
#: Points of a logged run drawn against its fit.
LOG_POINTS = 2000


# ---- the parameter set: widget value <-> State.law ----------------------------------------------------


def widget_values(state: State) -> dict[str, Any]:
    """The picker's value for ``state.law`` (and the fit it names), for seeding the widgets from a link."""
    if isinstance(state.law, Fit):
        return {keys.K_LAW: FITTED, keys.K_LAW_FIT: state.law}
    return {keys.K_LAW: state.law or NONE}


def chosen_law() -> str | Fit | None:
    """``State.law`` from the picker: a preset's name, the fit, or None."""
    if st.session_state.get(keys.K_LAW) not in _choices():
        st.session_state[keys.K_LAW] = NONE
    choice = st.session_state[keys.K_LAW]
    if choice == FITTED:
        return st.session_state.get(keys.K_LAW_FIT)
    return choice if choice in PRESETS else None


def _choices() -> list[str]:
    return [NONE, *PRESETS] + ([FITTED] if st.session_state.get(keys.K_LAW_FIT) is not None else [])


def _choice_label(choice: str) -> str:
    if choice == NONE:
        return "No prediction"
    if choice == FITTED:
        fitted = st.session_state.get(keys.K_LAW_FIT)
        law = LAW_LABELS[fitted.law].split(" (")[0] if fitted is not None else "law"
        return f"Fitted to your run ({law})"
    return PRESETS[choice].label


def law_key(law: str | Fit) -> str:
    """A text naming the parameters (a preset's name or the fit's JSON): the cache key of a prediction."""
    return law if isinstance(law, str) else json.dumps(law.to_dict(), sort_keys=True)


def _resolve(key: str) -> tuple[str, Any]:
    """(law, params) for :func:`schedules.laws.predict` from :func:`law_key`'s text."""
    if key in PRESETS:
        return PRESETS[key].law, key
    from schedules.laws import fit_from_dict

    fitted = fit_from_dict(json.loads(key))
    return fitted.law, fitted


# ---- computations, cached across reruns and visitors ----------------------------------------------------


@st.cache_data(max_entries=256, show_spinner=False)
def predicted(spec_json: str, key: str) -> dict[str, Any]:
    """The law's predicted loss of a spec at ~1,000 updates (see :func:`schedules.laws.predict`)."""
    law, params = _resolve(key)
    p = predict(load_spec(spec_json), law, params)
    return {"steps": p.steps, "loss": p.loss, "final": p.final, "bound": p.bound, "notes": list(p.notes)}


@st.cache_data(max_entries=16, show_spinner=False)
def fitted_run(data: bytes, filename: str, law: str) -> tuple[Fit, dict[str, np.ndarray], tuple[str, ...]]:
    """Fit ``law`` to an uploaded log (first 80 %), and the fit's loss at the logged points for drawing."""
    log: Log = read_log(data, filename)
    result = fit(log.steps, log.lrs, log.losses, law=law, holdout=0.2)
    pick = np.unique(np.linspace(0, len(log.steps) - 1, min(LOG_POINTS, len(log.steps))).round().astype(np.int64))
    eta, _ = run_lrs(log.steps, log.lrs, None)
    start = int(np.argmax(eta))
    keep = log.steps[pick] >= int(np.argmax(eta > 0))
    at = log.steps[pick][keep]
    model, _ = evaluate(result.law, eta, at, result.params, start)
    drawn = {"steps": at, "logged": log.losses[pick][keep], "model": model}
    return result, drawn, log.notes


@st.cache_data(max_entries=32, show_spinner=False)
def suggestion(spec_json: str, key: str, family: str, tune_warmup: bool) -> Suggestion:
    """The ``family`` schedule the law says ends lowest for the spec's budget and peak lr (its warmup kept
    unless ``tune_warmup``), against the spec itself."""
    law, params = _resolve(key)
    spec = load_spec(spec_json)
    warmup = spec.warmup.steps if spec.warmup.steps < spec.total_steps else 0
    floor = dict(spec.schedule.params).get("min_lr")
    sug = optimize(law, params, spec.total_steps, spec.lr, family, warmup_steps=warmup,
                   min_lr=floor if isinstance(floor, float) and family == "wsd" else 0.0, baseline=spec,
                   tune_warmup=tune_warmup)
    name = f"{FAMILIES[sug.spec.schedule.type].label} suggested by the law"
    return replace(sug, spec=replace(sug.spec, name=name))


# ---- the controls (editor fragment) ---------------------------------------------------------------------


def render_loss_controls(state: State) -> None:
    """The section's heading, the parameter-set picker, and the "Fit to my run" and "Find a better
    schedule" expanders (their widgets drawn only while open)."""
    st.subheader("Predicted loss")
    st.selectbox("Law and parameters", _choices(), key=keys.K_LAW, format_func=_choice_label,
                 help="A schedule-to-loss law fitted on real pre-training runs predicts the whole loss curve from "
                      "the lr schedule alone. Choose a published parameter set, or fit one to your own run below.")
    law = chosen_law()
    if law is None:
        st.caption("Choose a law to see what this schedule, its no-warmup twin and the compared schedules do to the "
                   "training loss, or fit the law to a run you logged.")
    else:
        _render_about(law)
    fit_box = st.expander("Fit to my run", key=keys.K_LAW_FIT_OPEN, on_change="rerun")
    if fit_box.open:
        with fit_box:
            _render_fit()
    if law is not None:
        find_box = st.expander("Find a better schedule", key=keys.K_LAW_FIND_OPEN, on_change="rerun")
        if find_box.open:
            with find_box:
                _render_find(state.spec, law)


def _render_about(law: str | Fit) -> None:
    if isinstance(law, str):
        preset = PRESETS[law]
        st.caption(escape_markdown(
            f"{preset.label}: fitted on {preset.fitted_on.description}. Reported error: {preset.error}; the band is "
            f"± {preset.worst:.2%}. A law predicts runs like the ones it was fitted on: another model, data or "
            f"batch size moves the curve, and a peak lr or length outside the fit is a guess."))
    else:
        st.caption(escape_markdown(
            f"{LAW_LABELS[law.law]} fitted to your run ({law.n_train} logged points, up to update "
            f"{law.split_step:,}); its last {law.n_heldout} points, not seen by the fit, are predicted within "
            f"{law.heldout_error:.2%} on average, {law.heldout_worst:.2%} at worst: the band drawn. A share link "
            "carries these fitted numbers, not your log."))


def _render_fit() -> None:
    st.file_uploader("A trainer_state.json or a CSV (step, lr, loss)", type=["json", "csv", "txt"],
                     key=keys.K_LAW_FILE, max_upload_size=32, on_change=_on_log)
    st.radio("Law to fit", list(LAWS), key=keys.K_LAW_FIT_LAW, horizontal=True, format_func=LAW_LABELS.get,
             on_change=_on_log)
    upload = st.session_state.get(keys.K_LAW_FILE)
    if upload is None:
        st.caption("Hugging Face's trainer_state.json (its log_history holds the loss and learning_rate of every "
                   "logged step) or a CSV with step, lr and loss columns. The law is fitted on the first 80% of the "
                   "run and judged on the last 20%, which it does not see. The file stays in this session: "
                   "share links carry the fitted numbers only.")
        return
    error = st.session_state.get(keys.K_LAW_FIT_ERROR)
    if error is not None:
        st.error(escape_markdown(error), icon=":material/error:")
        return
    result, drawn, notes = fitted_run(upload.getvalue(), upload.name, _fit_law())
    plotly_chart(fit_figure(drawn, result), key=keys.K_LAW_FIT_CHART, filename="loss_fit")
    st.markdown(
        f"Held-out error (the last {result.n_heldout} logged points, after update {result.split_step:,}): mean "
        f"**{result.heldout_error:.2%}**, worst {result.heldout_worst:.2%}; at the last point the law says "
        f"{result.heldout_final:+.4f} from the log. On the points it was fitted on: {result.train_error:.2%}."
    )
    st.caption(escape_markdown("; ".join([*notes, *result.notes])))


def _fit_law() -> str:
    return st.session_state.get(keys.K_LAW_FIT_LAW) or "mpl"


def _on_log() -> None:
    """Upload or law callback: fit the log (before the run, so the picker and the chart use the fit at once)."""
    upload = st.session_state.get(keys.K_LAW_FILE)
    st.session_state.pop(keys.K_LAW_FIT_ERROR, None)
    if upload is None:
        return
    try:
        result, _, _ = fitted_run(upload.getvalue(), upload.name, _fit_law())
    except SpecError as exc:
        st.session_state[keys.K_LAW_FIT_ERROR] = f"{upload.name}: {exc}"
        return
    st.session_state[keys.K_LAW_FIT] = result
    st.session_state[keys.K_LAW] = FITTED


def _render_find(spec: Spec, law: str | Fit) -> None:
    left, right = st.columns(2)
    with left:
        family = st.selectbox("Family", SEARCHED, key=keys.K_LAW_FAMILY, format_func=lambda f: FAMILIES[f].label)
    with right:
        tune = st.toggle("Search the warmup too", key=keys.K_LAW_TUNE_WARMUP,
                         help="Otherwise the schedule's own warmup is kept.")
    context = (spec.to_json(indent=None), law_key(law), family, bool(tune))
    st.button("Find", key=keys.K_LAW_FIND, on_click=_on_find, args=context,
              help="Searches the family's parameters (WSD: decay length and shape; cosine: floor; linear: end lr) for "
                   "the lowest predicted final loss at this budget and peak lr.")
    found = st.session_state.get(keys.K_LAW_SUGGESTION)
    if isinstance(found, str):
        st.error(escape_markdown(found), icon=":material/error:")
        return
    if found is None or found[0] != context:
        st.caption(f"Finds the {FAMILIES[family].label} schedule this law predicts ends lowest for "
                   f"{spec.total_steps:,} updates at peak lr {spec.lr:g}, drawn beside yours.")
        return
    sug: Suggestion = found[1]
    if sug.gain <= 0:
        st.info(f"No {FAMILIES[family].label} schedule beats yours under this law (predicted final loss "
                f"{sug.baseline_final:.4f}).", icon=":material/check:")
        return
    params = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in sug.spec.schedule.params
                       if v is not None and v is not False)
    st.markdown(escape_markdown(
        f"{FAMILIES[sug.spec.schedule.type].label} ({params}; warmup {sug.spec.warmup.steps:,}): predicted final loss "
        f"{sug.final:.4f}, {sug.gain:.4f} below yours ({sug.baseline_final:.4f})."))
    if sug.notes:
        st.caption(escape_markdown("; ".join(sug.notes)))
    st.button("Load into the editor", key=keys.K_LAW_LOAD, on_click=_load, args=(sug.spec,), type="primary")


def _on_find(*context: Any) -> None:
    """Button callback: the suggestion (or the one-line reason there is none), before the run draws it."""
    try:
        st.session_state[keys.K_LAW_SUGGESTION] = (context, suggestion(*context))
    except SpecError as exc:
        st.session_state[keys.K_LAW_SUGGESTION] = str(exc)


def _load(spec: Spec) -> None:
    from ui.explore.page_state import load_state

    load_state(replace(st.session_state[keys.K_STATE], spec=spec, at_step=None))


# ---- the chart and numbers (view fragment) ----------------------------------------------------------


def predicted_specs(state: State) -> dict[str, Spec]:
    """What the chart predicts, by unique name: the schedule, its twin (when shown), the compared set and the
    suggestion found for the current schedule (when there is one)."""
    specs = {state.spec.name or "schedule": state.spec}
    if state.twin and state.spec.warmup.steps:
        specs["no warmup"] = no_warmup_twin(state.spec)
    for item in state.compare:
        specs[unique_name(item.name, list(specs))] = item.spec
    found = st.session_state.get(keys.K_LAW_SUGGESTION)
    if isinstance(found, tuple) and found[0][0] == state.spec.to_json(indent=None) and found[1].gain > 0:
        specs[unique_name("suggested", list(specs))] = found[1].spec
    return specs


def render_loss_view(state: State) -> None:
    """The predicted loss curves with the reported error as a band, the final losses and their differences,
    and what the prediction leaves (lengths or peak lrs outside the fit)."""
    if state.law is None:
        return
    key = law_key(state.law)
    band = state.law.heldout_worst if isinstance(state.law, Fit) else PRESETS[state.law].worst
    curves: dict[str, dict[str, Any]] = {}
    refused: list[str] = []
    for name, spec in predicted_specs(state).items():
        try:
            curves[name] = predicted(spec.to_json(indent=None), key)
        except SpecError as exc:
            refused.append(f"{name}: {exc}")
    if curves:
        plotly_chart(loss_figure(curves, band), key=keys.K_LAW_CHART, filename="predicted_loss")
        st.markdown(markdown_table(final_table(curves, band), right_align={"final loss", "vs schedule", "band ±"}))
    notes = sorted({note for c in curves.values() for note in c["notes"]})
    for line in notes + refused:
        st.info(escape_markdown(line), icon=":material/info:")


def final_table(curves: dict[str, dict[str, Any]], band: float):
    """Final predicted loss of each curve, its difference from the first (the schedule), and the band."""
    import pandas as pd

    first = next(iter(curves.values()))["final"]
    rows = {
        name: {"final loss": f"{c['final']:.4f}", "vs schedule": "" if i == 0 else f"{c['final'] - first:+.4f}",
               "band ±": f"{band * c['final']:.4f}"}
        for i, (name, c) in enumerate(curves.items())
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def loss_figure(curves: dict[str, dict[str, Any]], band: float) -> go.Figure:
    """Predicted loss against the update; the first curve (the schedule) with its error band."""
    fig = go.Figure()
    for i, (name, c) in enumerate(curves.items()):
        color = PALETTE[i % len(PALETTE)]
        x, y = c["steps"], c["loss"]
        if i == 0 and band > 0:
            edge = np.concatenate([y * (1 + band), (y * (1 - band))[::-1]])
            fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=edge,
                                     fill="toself", fillcolor="rgba(31,119,180,0.15)", line={"width": 0},
                                     hoverinfo="skip", name=f"± {band:.2%}", showlegend=True))
        dash = "dash" if name == "no warmup" else ("dot" if name.startswith("suggested") else "solid")
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line={"color": color, "dash": dash},
                                 hovertemplate="update %{x:,}<br>loss %{y:.4f}<extra>" + name + "</extra>"))
    finals = [c["loss"][len(c["loss"]) // 10:] for c in curves.values()]
    low = min(float(f.min()) for f in finals)
    high = max(float(f.max()) for f in finals)
    pad = (high - low) * 0.08 + 1e-6
    fig.update_layout(height=340, margin={"l": 60, "r": 20, "t": 30, "b": 50}, xaxis_title="step (optimizer update)",
                      yaxis_title="predicted loss", yaxis_range=[low - pad, high + pad],
                      legend={"orientation": "h", "y": -0.25}, hovermode="x unified")
    return fig


def fit_figure(drawn: dict[str, np.ndarray], result: Fit) -> go.Figure:
    """The logged loss (points) and the fitted law over the whole run; the held-out part shaded."""
    fig = go.Figure()
    fig.add_vrect(x0=result.split_step - 1, x1=float(drawn["steps"][-1]), fillcolor="rgba(255,127,14,0.10)",
                  line_width=0, annotation_text="held out", annotation_position="top left")
    fig.add_trace(go.Scatter(x=drawn["steps"], y=drawn["logged"], mode="markers", name="logged loss",
                             marker={"size": 3, "color": "#7f7f7f"}))
    fig.add_trace(go.Scatter(x=drawn["steps"], y=drawn["model"], mode="lines", name="fitted law",
                             line={"color": PALETTE[0]}))
    tail = drawn["logged"][len(drawn["logged"]) // 20:]
    spread = float(np.percentile(tail, 99.5) - tail.min())
    fig.update_layout(height=300, margin={"l": 60, "r": 20, "t": 30, "b": 50}, xaxis_title="step (optimizer update)",
                      yaxis_title="loss", yaxis_range=[float(tail.min()) - 0.05 * spread,
                                                       float(np.percentile(tail, 99.5)) + 0.05 * spread],
                      legend={"orientation": "h", "y": -0.25})
    return fig
