"""Train page: a real network trained under the schedule, its no-warmup twin and the compared schedules.

Thin: the schedule set comes from the share link (``ui.state``, the explore page's ``spec``/``cmp``/``twin``)
or the explore page's session, the training controls from the same link (``ui.train_state``: optimizer,
hyperparameters, task, seeds, steps); ``tasks.train.run`` trains in float32 (cached per spec, optimizer,
hyperparameters, task, seed and steps); ``ui.train_figures`` draws. Training is serialized process-wide (one
run at a time, one BLAS thread), so a fresh run never takes more than one of the machine's cores from other
users.
"""

from __future__ import annotations

import json
import threading
import time

import pandas as pd
import streamlit as st

from schedules import Spec, SpecError, load_spec
from tasks import datasets, optimizers
from tasks.train import Run, layer_groups, run
from ui import train_figures as tf
from ui import train_setup as ts
from ui import train_state
from ui.chart import plotly_chart
from ui.page_visits import visit
from ui.state import KNOWN_KEYS, State, decode, encode, escape_markdown
from ui.tables import markdown_table

K_STATE = "tr_state"
K_URL = "tr_url"
K_NOTICES = "tr_notices"
EXPLORE_STATE = "ex_state"
LINK_KEYS = train_state.SCHEDULE_KEYS
#: The explore page's view options: meaningless here, dropped from a link without a notice.
VIEW_KEYS = tuple(k for k in KNOWN_KEYS if k not in LINK_KEYS)

#: One training at a time in this process: a run is CPU-bound, and the machine is shared.
TRAINING = threading.BoundedSemaphore(1)


@st.cache_resource(show_spinner=False)
def blas_threads():
    """threadpoolctl's view of the loaded BLAS libraries, built once: ``threadpool_limits(1)`` rescans them on
    every entry (measured ~3 ms), the controller's ``limit`` does not (0.03 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@st.cache_data(max_entries=256, show_spinner=False)
def cached_run(spec_json: str, optimizer: str, hyper_json: str, task: str, seed: int, steps: int) -> Run:
    """One training run; the arguments are its whole identity, so a rerun or a share link costs nothing."""
    with TRAINING, blas_threads().limit(limits=1, user_api="blas"):
        return run(load_spec(spec_json), optimizer, task, seed, steps=steps, **json.loads(hyper_json))


def read_state(returned: bool) -> State:
    """The state from the link when the page opens on one (or a new link arrives), else from the explore page,
    else the demo. The link's training settings set the controls; missing ones take their defaults.
    ``returned``: the visitor is back from another page, and the controls show what they showed on leaving."""
    current = {k: v for k, v in st.query_params.to_dict().items() if k not in VIEW_KEYS}
    if returned and K_STATE in st.session_state and K_URL in st.session_state and not current:
        # The link this page last wrote holds every control's value: not the ones Streamlit may bring back
        # from before (ui.page_visits).
        settings, _ = train_state.decode(st.session_state[K_URL])
        apply_settings(settings, st.session_state[K_STATE].spec, set(), reset=True)
        st.session_state["tr_twin"] = st.session_state[K_STATE].twin
    elif K_STATE not in st.session_state or (current and current != st.session_state.get(K_URL)):
        # A new link while the page is open sets every control: what it leaves out is at its default.
        reset = K_STATE in st.session_state
        if current:
            state, notices = decode({k: v for k, v in current.items() if k in LINK_KEYS})
            settings, more = train_state.decode(current)
            notices += more
            apply_settings(settings, state.spec, set(current), reset)
        else:
            state, notices = st.session_state.get(EXPLORE_STATE) or State(spec=ts.demo_spec()), []
        st.session_state[K_STATE] = state
        st.session_state[K_NOTICES] = notices
        st.session_state["tr_twin"] = state.twin
    return st.session_state[K_STATE]


def apply_settings(settings: train_state.TrainSettings, spec: Spec, given: set[str], reset: bool) -> None:
    """Set the controls a link names (a rejected value: its default), or all of them when ``reset``; before
    the widgets are drawn. Controls the link leaves out of a first visit keep the session's values."""

    def put(widget: str, key: str, value: object) -> None:
        if reset or key in given:
            st.session_state[widget] = value

    put("tr_optimizer", "opt", settings.optimizer)
    put("tr_task", "task", settings.task)
    put("tr_seeds", "seeds", settings.seeds)
    put("tr_steps", "steps", settings.steps if settings.steps is not None else ts.default_steps(spec))
    for key, value in settings.hyper.items():
        put(hyper_key(settings.optimizer, key), key, value)


def write_url(state: State, settings: train_state.TrainSettings) -> None:
    params = {k: v for k, v in encode(state).items() if k in LINK_KEYS}
    params.update(train_state.encode(settings, ts.default_steps(state.spec)))
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[K_URL] = params


def use_demo() -> None:
    st.session_state[K_STATE] = State(spec=ts.demo_spec())
    st.session_state["tr_twin"] = True
    st.session_state["tr_steps"] = ts.default_steps(ts.demo_spec())
    st.session_state[K_NOTICES] = []


def hyper_key(label: str, key: str) -> str:
    return f"tr_h_{label}_{key}"


def hyper_controls(label: str) -> dict[str, object]:
    """Number inputs for the chosen optimizer's hyperparameters (each optimizer keeps its own values).

    Defaults go through the session, not the widgets' ``value=``, so a share link can set them.
    """
    defaults = ts.HYPER_DEFAULTS[label]
    values: dict[str, object] = {}
    cols = st.columns(len(defaults))
    for col, (key, default) in zip(cols, defaults.items(), strict=True):
        widget_key = hyper_key(label, key)
        st.session_state.setdefault(widget_key, default)
        with col:
            if key == "nesterov":
                values[key] = st.checkbox("nesterov", key=widget_key)
                continue
            lo, hi = ts.HYPER_RANGES[key]
            if key == "eps":
                values[key] = st.number_input("eps", lo, hi, format="%.1e", key=widget_key)
            elif key == "weight_decay":
                values[key] = st.number_input("weight decay", lo, hi, step=1e-3, format="%.4g", key=widget_key)
            else:
                values[key] = st.number_input(key, lo, hi, step=0.01, format="%.4g", key=widget_key)
    return values


def train_all(specs: dict[str, Spec], optimizer: str, hyper: dict, task: str, seeds: int,
              steps: int) -> dict[str, list[Run]]:
    """Every (schedule, seed) run, from the cache when already trained, with a progress bar per run."""
    hyper_json = json.dumps(hyper, sort_keys=True)
    jobs = [(name, spec, seed) for name, spec in specs.items() for seed in range(seeds)]
    bar = st.progress(0.0, text="training…")
    started = time.perf_counter()
    runs: dict[str, list[Run]] = {name: [] for name in specs}
    for k, (name, spec, seed) in enumerate(jobs):
        bar.progress(k / len(jobs), text=f"{escape_markdown(name)}, seed {seed} ({k + 1} of {len(jobs)} runs)")
        runs[name].append(cached_run(spec.to_json(indent=None), optimizer, hyper_json, task, seed, steps))
    bar.progress(1.0, text=f"{len(jobs)} runs of {steps} steps in {time.perf_counter() - started:.1f} s "
                           "(runs already trained come from the cache)")
    return runs


def main() -> None:
    st.title("Train under the schedule")
    st.caption("A ReLU MLP (64 → 7 hidden layers of 128 → 10, He init, no normalization) trained in NumPy "
               "under each schedule: same data, same init, same batches. The optimizers match torch.optim "
               "exactly. Warmup's job shows in the first steps: watch the loss spike and the update size.")
    state = read_state(returned=visit("train"))
    for notice in st.session_state.get(K_NOTICES, []):
        st.warning(escape_markdown(notice), icon=":material/warning:")

    c1, c2, c3, c4 = st.columns([2, 3, 2, 2])
    # Defaults go through the session (not the widgets' value=) so a link, a test or a returning visitor can
    # set them.
    st.session_state.setdefault("tr_optimizer", ts.DEFAULT_OPTIMIZER)
    st.session_state.setdefault("tr_task", train_state.DEFAULT_TASK)
    label = c1.selectbox("optimizer", list(ts.OPTIMIZERS), key="tr_optimizer")
    task = c2.radio("task", list(datasets.TASKS), key="tr_task", horizontal=True,
                    format_func={"teacher": "synthetic teacher", "digits": "digits (scikit-learn)"}.get,
                    help=" · ".join(f"{k}: {v}" for k, v in datasets.TASKS.items()))
    st.session_state.setdefault("tr_seeds", ts.DEFAULT_SEEDS)
    st.session_state.setdefault("tr_steps", ts.default_steps(state.spec))
    seeds = c3.slider("seeds", 1, ts.MAX_SEEDS, key="tr_seeds",
                      help="Each seed changes the init and the batch order; the band is their min–max.")
    steps = c4.slider("training steps", ts.MIN_STEPS, ts.MAX_STEPS, step=ts.STEPS_GRID, key="tr_steps",
                      help=f"At most {ts.MAX_STEPS}; a longer schedule is compressed to the steps trained.")
    with st.expander(f"{label} hyperparameters (torch.optim names and defaults)"):
        values = hyper_controls(label)
    name, hyper = ts.optimizer_args(label, values)

    t1, t2 = st.columns([1, 1])
    twin = t1.toggle("Train the no-warmup twin", key="tr_twin", disabled=state.spec.warmup.steps == 0,
                     help="The same schedule with warmup.steps = 0, trained beside it.")
    t2.button("Use the warmup demo schedule", key="tr_demo", on_click=use_demo,
              help="Peak lr 0.02, 60-step linear warmup, cosine over 600 steps: the setting where warmup "
                   "matters for Adam on this network.")
    state = State(spec=state.spec, compare=state.compare, twin=bool(twin))
    st.session_state[K_STATE] = state
    write_url(state, train_state.TrainSettings(optimizer=label, hyper=values, task=task, seeds=seeds, steps=steps))
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
    runs = train_all(p.specs, name, hyper, task, seeds, steps)

    s1, s2, s3 = st.columns(3)
    smooth = s1.slider("smoothing β", 0.0, 0.99, 0.8, 0.01, key="tr_smooth", persist_state="session",
                       help="EMA of the loss (debiased); the spike lasts a few steps, so keep it low.")
    show_raw = s2.toggle("raw loss too", value=True, key="tr_raw", persist_state="session")
    target = s3.number_input("target loss", 0.001, 10.0, 0.5, 0.05, key="tr_target", persist_state="session",
                             help="The summary counts the steps until the batch loss first reaches it.")
    plotly_chart(tf.loss_figure(runs, smooth=smooth, show_raw=show_raw), key="tr_loss_chart", filename="loss")
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
        plotly_chart(tf.lr_figure(runs), key="tr_lr_chart", filename="lr")
    with right:
        plotly_chart(tf.eval_figure(runs), key="tr_eval_chart", filename="held_out")
    st.subheader("Why: what the first updates do")
    early = st.toggle("First 100 steps only", value=True, key="tr_early", persist_state="session")
    plotly_chart(tf.mechanism_figure(runs, early=100 if early else None), key="tr_mechanism_chart",
                 filename="mechanism")
    st.caption("Adam's first update moves every weight by about ±lr whatever its gradient (m̂/√v̂ = ±1), and "
               "torch's RMSprop, without bias correction, by about 10·lr: without warmup a peak lr arrives "
               "at once on an untrained network. Warmup keeps those first updates small while v̂ learns "
               "the gradients' scale.")


try:
    main()
except SpecError as exc:  # a spec that validated once but fails a later check: say so, keep the page
    st.error(escape_markdown(str(exc)))
