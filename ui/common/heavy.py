"""Bounds on what visitors can make one server process compute at once.

A schedule's analysis evaluates every step: 10M steps take ~0.5 s of one core and ~90 MB of transient
memory (the float64 curve, its summary passes and the decimation's scratch arrays; measured with
tracemalloc), while what is kept afterwards is small (see the cache budget below). The built-in LR range
test trains a small MLP for up to 400 batches in a worker process (``ui.finder.sweeps``; ~0.1 s of a core, ~35 MB
per worker) and holds a slot meanwhile, so at most ``HEAVY_SLOTS`` workers train at once. Twenty visitors
asking for 10M-step schedules at once would need ~1.8 GB and would share the cores twenty ways; so at most
``HEAVY_SLOTS`` such computations run at a time per process and the others wait their turn, with a
"busy, queued" notice on their page while they wait.

- ``HEAVY_SLOTS``: ``STUDIO_HEAVY_SLOTS`` from the environment, else the number of CPUs (more would only
  share the same cores). Worst-case transient memory of the bounded work: ``HEAVY_SLOTS`` x ~90 MB.
- Light work is not bounded: an analysis of fewer than ``HEAVY_POINTS`` curve points takes milliseconds
  and never queues behind a big one.
- A waiting script checks in with Streamlit every ``POLL_SECONDS`` (it redraws its notice), so a visitor who
  changes a control or leaves the page while queued is not stuck behind the queue: the wait ends with the
  run, and a slot is released by the ``with`` block whatever ends the computation.

Cache budget (explore page, ``st.cache_data``): ``VIEW_CACHE_ENTRIES`` curve views; one view is at most
``MAX_VIEW_BYTES`` (16 param groups x 4000 decimated points x 8 bytes, plus the shared steps, momentum and
summary), so the view cache holds at most ~``VIEW_CACHE_ENTRIES * MAX_VIEW_BYTES`` = 38 MB per process;
the doctor's messages (``DIAGNOSES_CACHE_ENTRIES`` short lists of text) add kilobytes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

import streamlit as st

from schedules import Spec
from ui.common import run_timing
from ui.common.curves import MAX_POINTS, CurveView, analyze

HEAVY_SLOTS = int(os.environ.get("STUDIO_HEAVY_SLOTS") or 0) or max(1, os.cpu_count() or 1)
#: Curve points (steps, twice with a momentum curve) from which an analysis counts as heavy;
#: ``STUDIO_HEAVY_POINTS`` from the environment overrides it.
HEAVY_POINTS = int(os.environ.get("STUDIO_HEAVY_POINTS") or 0) or 500_000
POLL_SECONDS = 0.5
VIEW_CACHE_ENTRIES = 64
DIAGNOSES_CACHE_ENTRIES = 64
#: Upper bound of one cached CurveView: 16 groups' values + steps + momentum (steps, values), 8 bytes each.
MAX_VIEW_BYTES = (16 + 1 + 2) * MAX_POINTS * 8 + 4096

_slots = threading.BoundedSemaphore(HEAVY_SLOTS)
_lock = threading.Lock()
_running = 0
_waiting = 0


def load() -> tuple[int, int]:
    """(computations running, computations waiting) in this process right now."""
    with _lock:
        return _running, _waiting


def is_heavy(spec: Spec) -> bool:
    return spec.total_steps * (2 if spec.momentum is not None else 1) >= HEAVY_POINTS


@contextlib.contextmanager
def _outside_cache_replay() -> Iterator[None]:
    # A notice drawn while a cached function computes would be recorded and replayed on every later cache
    # hit; the wait notice is about this run only, so it is drawn as if outside the cached function.
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import in_cached_function
    except ImportError:  # another Streamlit layout: the notice is then simply recorded
        yield
        return
    token = in_cached_function.set(False)
    try:
        yield
    finally:
        in_cached_function.reset(token)


@contextlib.contextmanager
def heavy_slot(what: str) -> Iterator[None]:
    """Hold one of the process's ``HEAVY_SLOTS`` while the block runs; wait with a notice if none is free."""
    global _running, _waiting
    notice = None
    if not _slots.acquire(blocking=False):
        with _lock:
            _waiting += 1
        started = time.monotonic()
        try:
            with _outside_cache_replay():
                notice = st.empty()
                while True:
                    running, waiting = load()
                    # Each redraw is also where Streamlit stops this run if the visitor moved on (the
                    # exception it raises leaves here without a slot, so there is nothing to release).
                    notice.info(f"Busy, queued: {running} heavy computations are running and {waiting} waiting; "
                                f"{what} starts when one finishes ({time.monotonic() - started:.0f} s).",
                                icon=":material/hourglass_top:")
                    if _slots.acquire(timeout=POLL_SECONDS):
                        break
        finally:
            with _lock:
                _waiting -= 1
            run_timing.waited("heavy slot", time.monotonic() - started)
    # From here this run holds a slot: every way out releases it.
    with _lock:
        _running += 1
    try:
        if notice is not None:
            with _outside_cache_replay():
                notice.empty()
        yield
    finally:
        with _lock:
            _running -= 1
        _slots.release()


def bounded_analyze(spec: Spec, at_step: int | None = None) -> CurveView:
    """:func:`ui.common.curves.analyze`, holding a heavy slot when the curve is long."""
    if not is_heavy(spec):
        return analyze(spec, at_step)
    with heavy_slot(f"the {spec.total_steps:,}-step curve"):
        return analyze(spec, at_step)
