"""LR range test page: run the built-in sweep or read your own finder's output, compare the suggestion rules,
and open the explore page on a schedule built from the chosen lr."""

from __future__ import annotations

import time
from urllib.parse import quote

import streamlit as st

from schedules import FAMILIES, SpecError
from schedules.export.range_test_code import render as render_snippet
from schedules.finder import RULES, FinderError, smooth, spec_from_suggestion, suggest
from schedules.finder_io import MAX_BYTES, parse_finder_output
from ui.common.chart import plotly_chart
from ui.common.heavy import heavy_slot
from ui.common.link_state import compact_spec_json, default_spec
from ui.common.page_visits import visit
from ui.finder import keys
from ui.finder.figures import RULE_LABEL, range_test_figure
from ui.finder.sweeps import BuiltInSweep, SweepFailed, run_sweep, start_worker

EXPLORE_PAGE = "pages/explore.py"

visit("finder")
st.title("LR range test")
st.caption(
    "Train with an lr that grows every mini-batch and watch the loss: it falls, bottoms out, then blows up. "
    "Each rule below reads a good lr off that curve (Smith 2017; fastai `lr_find`)."
)

# The controls keep their values while the visitor is on another page (persist_state="session"), except
# skip_start and skip_end, whose bounds follow the curve's length.
source = st.radio("Curve", ["Built-in: MLP on digits", "Upload your own"], horizontal=True, key=keys.K_SOURCE,
                  persist_state="session")

if source.startswith("Built-in"):
    c1, c2, c3, c4 = st.columns(4)
    start_lr = c1.number_input("start_lr", 1e-8, 1.0, 1e-5, format="%.1e", key=keys.K_START, persist_state="session")
    end_lr = c2.number_input("end_lr", 1e-6, 100.0, 10.0, format="%.1e", key=keys.K_END, persist_state="session")
    num_iter = c3.slider("batches", 20, 400, 150, 10, key=keys.K_ITERS, persist_state="session")
    batch_size = c4.select_slider("batch size", [16, 32, 64, 128], 32, key=keys.K_BATCH, persist_state="session")
    st.caption("One hidden layer (64 ReLU), SGD with momentum 0.9, on scikit-learn's 1797 8x8 handwritten digits.")
    if st.button("Run the range test", key=keys.K_RUN, type="primary"):
        bar = st.progress(0.0, text="training…")

        def show_progress(done: int, n: int) -> None:
            # Called a few times a second while the worker trains (ui.finder.sweeps): each redraw is a round trip.
            bar.progress(done / n, text=f"batch {done} of {n}")

        try:
            with st.spinner("Starting the range test…"):
                start_worker()  # one is kept ready; a fresh server's first sweep waits for its imports here
            # Training is the heaviest thing a visitor can start: it waits for a free slot (ui.common.heavy), and it
            # runs in a worker process, off this server's GIL (ui.finder.sweeps).
            with heavy_slot("your range test"):
                started = time.perf_counter()
                result = run_sweep(BuiltInSweep(float(start_lr), float(end_lr), int(num_iter), int(batch_size)),
                                   on_progress=show_progress)
        except (FinderError, SweepFailed) as exc:
            st.error(str(exc))
        else:
            bar.progress(1.0, text=f"{len(result.lrs)} batches in {time.perf_counter() - started:.2f} s "
                         f"({result.stopped_reason})")
            st.session_state[keys.K_CURVE] = {
                "lrs": result.lrs, "losses": result.losses, "label": "built-in MLP on digits",
                "presmoothed": False, "note": f"stopped: {result.stopped_reason}",
            }
else:
    upload = st.file_uploader(
        "Range-test output (JSON or CSV): torch-lr-finder history, fastai recorder, Lightning results, "
        "the snippet below, or lr,loss rows",
        type=["json", "csv", "txt"], key=keys.K_UPLOAD, max_upload_size=1,
    )
    if upload is not None:
        try:
            data = parse_finder_output(upload.getvalue()[: MAX_BYTES + 1])
        except FinderError as exc:
            st.error(str(exc))
        else:
            note = f"read {data.lrs.size} rows" + (f", dropped {data.dropped} non-finite" if data.dropped else "")
            st.session_state[keys.K_CURVE] = {
                "lrs": data.lrs, "losses": data.losses, "label": f"{upload.name} ({data.source})",
                "presmoothed": data.presmoothed, "note": note,
            }
    with st.expander("Run the range test in your own PyTorch loop"):
        snippet = render_snippet()
        st.code(snippet, language="python")
        st.download_button("Download lr_range_test.py", snippet, "lr_range_test.py", key=keys.K_SNIPPET)

curve = st.session_state.get(keys.K_CURVE)
if curve is None:
    st.info("Run the built-in test or upload a result to see the curve and the suggestions.")
    st.stop()

st.subheader(curve["label"])
st.caption(curve["note"] + (". This tool records a smoothed loss already: β = 0 uses it as is." if
                            curve["presmoothed"] else ""))
n = int(curve["lrs"].size)
c1, c2, c3, c4 = st.columns(4)
beta = c1.slider("smoothing β", 0.0, 0.995, 0.98, 0.005, key=keys.K_BETA, persist_state="session",
                 help="EMA weight; the average is divided by 1 - β^(i+1) so it starts unbiased")
skip_start = c2.number_input("skip_start", 0, max(n - 1, 0), min(10, n // 4), key=keys.K_SKIP_START,
                             help="points dropped at the start (noise before learning begins)")
skip_end = c3.number_input("skip_end", 0, max(n - 1, 0), min(5, n // 4), key=keys.K_SKIP_END,
                           help="points dropped at the end (the blow-up)")
divisor = c4.number_input("CLR divisor", 1.5, 10.0, 4.0, 0.5, key=keys.K_DIVISOR, persist_state="session",
                          help="min_lr = max_lr / divisor (the CLR paper uses 3 to 4)")

try:
    suggestions = suggest(curve["lrs"], curve["losses"], beta, int(skip_start), int(skip_end), float(divisor))
except FinderError as exc:
    st.error(str(exc))
    st.stop()

smoothed = smooth(curve["losses"], beta)
plotly_chart(range_test_figure(curve["lrs"], curve["losses"], smoothed, suggestions, int(skip_start), int(skip_end)),
             key=keys.K_CHART, filename="lr_range_test")
st.dataframe(
    [
        {"rule": RULE_LABEL[s.rule], "lr": f"{s.lr:.3g}", "min_lr": "" if s.min_lr is None else f"{s.min_lr:.3g}",
         "point": s.index, "how": s.note}
        for s in suggestions
    ],
    hide_index=True, key=keys.K_TABLE,
)

st.subheader("Use it in a schedule")
base = default_spec()
families = list(FAMILIES)
c1, c2 = st.columns(2)
rule = c1.selectbox("suggestion", RULES, RULES.index("valley"), format_func=RULE_LABEL.get, key=keys.K_RULE,
                    persist_state="session")
family = c2.selectbox("schedule family", families, families.index(base.schedule.type),
                      format_func=lambda f: FAMILIES[f].label, key=keys.K_FAMILY,
                      persist_state="session")
chosen = next(s for s in suggestions if s.rule == rule)
try:
    spec = spec_from_suggestion(base, family, chosen.lr, chosen.min_lr,
                                name=f"{FAMILIES[family].label}, lr from the range test ({RULE_LABEL[rule]})")
except SpecError as exc:
    st.error(str(exc))
    st.stop()

spec_json = compact_spec_json(spec)
st.session_state[keys.K_SPEC_JSON] = spec_json
try:
    st.page_link(EXPLORE_PAGE, label="Open this schedule in explore", icon=":material/arrow_forward:",
                 query_params={"spec": spec_json})
except st.errors.StreamlitAPIException:
    # The page runs on its own (no navigation registered): a plain link carries the same query string.
    st.markdown(f"[Open this schedule in explore](/explore?spec={quote(spec_json)})")
st.code(spec_json, language="json")
