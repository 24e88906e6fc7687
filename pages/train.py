"""Train page: a real network trained under the schedule, its no-warmup twin and the compared schedules.

Thin: the schedule set and the training controls come from the share link or the explore page's session
(``ui.train.page_state``); ``ui.train.runs`` trains (cached, one run at a time per process);
``ui.train.figures`` draws. The keys are ``ui.train.keys``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from schedules import SpecError
from tasks import datasets, optimizers
from tasks.train import layer_groups
from ui.common.chart import plotly_chart
from ui.common.link_state import State, escape_markdown
from ui.common.page_visits import visit
from ui.common.tables import markdown_table
from ui.train import figures as tf
from ui.train import hyper_controls, keys, page_state
from ui.train import link_params as train_state
from ui.train import runs as training
from ui.train import setup as ts


def main() -> None:
    st.title("Train under the schedule")
    st.caption("A ReLU MLP (64 → 7 hidden layers of 128 → 10, He init, no normalization) trained in NumPy "
               "under each schedule: same data, same init, same batches. The optimizers match torch.optim "
               "exactly. Warmup's job shows in the first steps: watch the loss spike and the update size.")
    state = page_state.read_state(returned=visit("train"))
    for notice in st.session_state.get(keys.K_NOTICES, []):
        st.warning(escape_markdown(notice), icon=":material/warning:")

    c1, c2, c3, c4 = st.columns([2, 3, 2, 2])
    # Defaults go through the session (not the widgets' value=) so a link, a test or a returning visitor can
    # set them.
    st.session_state.setdefault(keys.K_OPTIMIZER, ts.DEFAULT_OPTIMIZER)
    st.session_state.setdefault(keys.K_TASK, train_state.DEFAULT_TASK)
    label = c1.selectbox("optimizer", list(ts.OPTIMIZERS), key=keys.K_OPTIMIZER)
    task = c2.radio("task", list(datasets.TASKS), key=keys.K_TASK, horizontal=True,
                    format_func={"teacher": "synthetic teacher", "digits": "digits (scikit-learn)"}.get,
                    help=" · ".join(f"{k}: {v}" for k, v in datasets.TASKS.items()))
    st.session_state.setdefault(keys.K_SEEDS, ts.DEFAULT_SEEDS)
    st.session_state.setdefault(keys.K_STEPS, ts.default_steps(state.spec))
    seeds = c3.slider("seeds", 1, ts.MAX_SEEDS, key=keys.K_SEEDS,
                      help="Each seed changes the init and the batch order; the band is their min–max.")
    steps = c4.slider("training steps", ts.MIN_STEPS, ts.MAX_STEPS, step=ts.STEPS_GRID, key=keys.K_STEPS,
                      help=f"At most {ts.MAX_STEPS}; a longer schedule is compressed to the steps trained.")
    with st.expander(f"{label} hyperparameters (torch.optim names and defaults)"):
        values = hyper_controls.hyper_controls(label)
    name, hyper = ts.optimizer_args(label, values)

    t1, t2 = st.columns([1, 1])
    twin = t1.toggle("Train the no-warmup twin", key=keys.K_TWIN, disabled=state.spec.warmup.steps == 0,
                     help="The same schedule with warmup.steps = 0, trained beside it.")
    t2.button("Use the warmup demo schedule", key=keys.K_DEMO, on_click=page_state.use_demo,
              help="Peak lr 0.02, 60-step linear warmup, cosine over 600 steps: the setting where warmup "
                   "matters for Adam on this network.")
    state = State(spec=state.spec, compare=state.compare, twin=bool(twin))
    st.session_state[keys.K_STATE] = state
    settings = train_state.TrainSettings(optimizer=label, hyper=values, task=task, seeds=seeds, steps=steps)
    page_state.write_url(state, settings)
    p = ts.plan(state, bool(twin))

    notes = [f"Schedule: **{escape_markdown(state.spec.name or 'schedule')}**, peak lr {state.spec.lr:g}."]
    if state.spec.total_steps != steps:
        notes.append(f"Its {state.spec.total_steps:,} steps are mapped onto the {steps} trained: step t reads "
                     f"the schedule at step ⌊t·{state.spec.total_steps:,}/{steps}⌋.")
    groups = layer_groups(state.spec, 8)
    if state.spec.param_groups:
        notes.append("Param groups: " + "; ".join(f"{escape_markdown(g)} ×{s:g} trains layers {a + 1}–{b}"
                                                  for g, s, a, b in groups) + ".")
    if p.skipped:
        notes.append(f"Not trained (at most {ts.MAX_SCHEDULES} schedules): "
                     + ", ".join(escape_markdown(s) for s in p.skipped) + ".")
    st.caption(" ".join(notes))

    try:
        optimizers.make(name, [], **hyper)
    except optimizers.OptimizerError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    runs = training.train_all(p.specs, name, hyper, task, seeds, steps)

    s1, s2, s3 = st.columns(3)
    smooth = s1.slider("smoothing β", 0.0, 0.99, 0.8, 0.01, key=keys.K_SMOOTH, persist_state="session",
                       help="EMA of the loss (debiased); the spike lasts a few steps, so keep it low.")
    show_raw = s2.toggle("raw loss too", value=True, key=keys.K_RAW, persist_state="session")
    target = s3.number_input("target loss", 0.001, 10.0, 0.5, 0.05, key=keys.K_TARGET, persist_state="session",
                             help="The summary counts the steps until the batch loss first reaches it.")
    plotly_chart(tf.loss_figure(runs, smooth=smooth, show_raw=show_raw), key=keys.K_LOSS_CHART, filename="loss")
    diverged = [f"{escape_markdown(n)} (seed {r.seed} at step {r.diverged_at})" for n, rs in runs.items()
                for r in rs if r.diverged_at is not None]
    if diverged:
        st.warning("Diverged (loss non-finite or above 10× its first value), run stopped: " + ", ".join(diverged),
                   icon=":material/trending_up:")

    twin_key = ts.twin_name(p)
    if twin_key is not None and p.twin_of is not None:
        st.info(tf.reading(runs[p.twin_of], runs[twin_key], target), icon=":material/lightbulb:")
    rows = tf.summary_rows(runs, target)
    table = {r.name: {"final train loss": r.final_loss, "held-out accuracy": r.accuracy,
                      "max loss, first 100 steps": r.max_early_loss, f"steps to loss ≤ {target:g}": r.steps_to_target,
                      "diverged": r.diverged} for r in rows}
    st.markdown(markdown_table(pd.DataFrame(table).T))
    st.caption("Mean over seeds (min–max in brackets). Final train loss: mean batch loss of the last 50 steps.")

    left, right = st.columns(2)
    with left:
        plotly_chart(tf.lr_figure(runs), key=keys.K_LR_CHART, filename="lr")
    with right:
        plotly_chart(tf.eval_figure(runs), key=keys.K_EVAL_CHART, filename="held_out")
    st.subheader("Why: what the first updates do")
    early = st.toggle("First 100 steps only", value=True, key=keys.K_EARLY, persist_state="session")
    plotly_chart(tf.mechanism_figure(runs, early=100 if early else None), key=keys.K_MECHANISM_CHART,
                 filename="mechanism")
    st.caption("Adam's first update moves every weight by about ±lr whatever its gradient (m̂/√v̂ = ±1), and "
               "torch's RMSprop, without bias correction, by about 10·lr: without warmup a peak lr arrives "
               "at once on an untrained network. Warmup keeps those first updates small while v̂ learns "
               "the gradients' scale.")


try:
    main()
except SpecError as exc:  # a spec that validated once but fails a later check: say so, keep the page
    st.error(escape_markdown(str(exc)))
