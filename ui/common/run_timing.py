"""Where a page's script run spends its server time: an opt-in recorder for load tests and benchmarks.

When the environment variable ``STUDIO_RUN_TIMING`` names a file, every whole run of an instrumented page
appends one JSON line to it: the page, the run's wall time and its thread's CPU time (a run has its own
thread in Streamlit, so ``wall - cpu`` is time spent not running: waiting for the GIL while other visitors'
runs compute, for a heavy-work slot, or for I/O), and the wall and CPU time of each named part. Without the
variable, :func:`run` and :func:`part` do nothing but one attribute lookup.

Parts are not nested: each names a stretch of the run (``analysis``, ``figure``, ``chart`` ...), and what no
part covers is the rest of the script (widgets, layout). Waits (:func:`waited`) are kept apart, under
``waits``: they happen inside a part (a heavy slot is waited for inside the analysis that needs it).
``make load`` sets the variable on its servers and summarises the records (``scripts/run_times.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator

ENV = "STUDIO_RUN_TIMING"
_local = threading.local()
_write = threading.Lock()


def enabled() -> bool:
    return bool(os.environ.get(ENV))


@contextlib.contextmanager
def run(page: str) -> Iterator[None]:
    """Record the run of ``page`` (its parts, wall and CPU time) as one line of the timing file."""
    path = os.environ.get(ENV)
    if not path:
        yield
        return
    record: dict = {"page": page, "parts": {}, "waits": {}}
    _local.record = record
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        record["wall"] = time.perf_counter() - wall
        record["cpu"] = time.thread_time() - cpu
        record["end"] = time.time()
        _local.record = None
        with _write, open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


@contextlib.contextmanager
def part(name: str) -> Iterator[None]:
    """Add the wall and CPU time of the ``with`` block to part ``name`` of the run being recorded."""
    record = getattr(_local, "record", None)
    if record is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        spent = record["parts"].setdefault(name, [0.0, 0.0])
        spent[0] += time.perf_counter() - wall
        spent[1] += time.thread_time() - cpu


def waited(name: str, seconds: float) -> None:
    """Add ``seconds`` of waiting for ``name`` (a heavy slot) to the run being recorded."""
    record = getattr(_local, "record", None)
    if record is not None:
        record["waits"][name] = record["waits"].get(name, 0.0) + seconds
