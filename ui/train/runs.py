"""The Train page's runs: every (schedule, seed) trained once per process and cached.

``tasks.train.run`` trains in float32, cached per spec, optimizer, hyperparameters, task, seed and steps.
Training is serialized process-wide (one run at a time, one BLAS thread), so a fresh run never takes more
than one of the machine's cores from other users.
"""

from __future__ import annotations

import json
import threading
import time

import streamlit as st

from schedules import Spec, load_spec
from tasks.train import Run, run
from ui.common.link_state import escape_markdown

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
