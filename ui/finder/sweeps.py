"""The built-in LR range test's sweeps, trained in worker processes rather than on the page's thread.

Why a process: a sweep is 20 to 400 mini-batches of small NumPy/BLAS calls, and each call lets go of the GIL
and takes it back. In a server process whose other threads are busy drawing pages for other visitors, every
take-back can wait a whole switch interval (5 ms): under ``make load`` (50 users) a sweep that takes ~0.1 s
alone took 3-4.5 s at p95 and 6-11 s at p99. In a worker the sweep has an interpreter of its own; the page's
thread sleeps in ``select`` and wakes a few times a second to redraw the progress bar.

How:

- A worker is ``python -m ui.finder.sweep_worker`` (NumPy, the engine's range test and the digits task; no
  Streamlit), started on demand and kept for the next sweep (at most ``IDLE_WORKERS`` idle per server).
  Not ``multiprocessing``: its spawned children re-run the parent's ``__main__``, which in a Streamlit
  server is the app's script.
- Messages are length-prefixed pickles over the worker's stdin/stdout (both ends are this code): the sweep
  in; progress about every ``PROGRESS_SECONDS``, then the result, out; "stop" in when the page's run ends
  early (the visitor changed a control or left), which the worker checks before every batch.
- A page whose visitor moves on is stopped by Streamlit at its next progress redraw; leaving, it asks the
  worker to stop and waits for its answer, so the worker is idle and reusable. A worker that does not answer
  in ``STOP_WAIT_SECONDS``, or dies (killed, out of memory), is killed and replaced on the next sweep: the
  sweep fails with :class:`SweepFailed`, one line on the page.

How many sweeps run at once is bounded by the page (a sweep holds a heavy slot of :mod:`ui.common.heavy`). On
Windows (no ``select`` on pipes) the sweep trains on the page's thread, as it did before workers.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from schedules.finder import RangeTestResult, lr_sweep, run_range_test
from tasks.digits_mlp import load_digits_split, make_step_fn
from ui.finder.sweep_worker import BuiltInSweep, read_frame, write_frame

ROOT = Path(__file__).resolve().parents[2]
#: How often the page's thread wakes while a sweep trains (it may redraw the bar; Streamlit may stop the run).
POLL_SECONDS = 0.1
#: How long to wait for a worker to stop a sweep (it stops before its next batch: about a millisecond).
STOP_WAIT_SECONDS = 5.0
#: How long to wait for a new worker's first word (its imports: ~0.3 s here).
START_WAIT_SECONDS = 60.0
#: Idle workers kept per server process (each ~35 MB resident: NumPy and the digits).
IDLE_WORKERS = max(1, os.cpu_count() or 1)

#: What a broken message stream raises (a dead worker's pipe, a truncated or garbled frame).
BROKEN_STREAM = (OSError, struct.error, pickle.UnpicklingError)

__all__ = ["BuiltInSweep", "SweepFailed", "run_sweep", "start_worker"]


class SweepFailed(RuntimeError):
    """The worker training a sweep stopped without a result, or said why it could not train."""


class _Worker:
    """One worker process and the unread bytes of its output."""

    def __init__(self) -> None:
        path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
        # One BLAS thread: the matrices are tiny (a 64-unit layer), and the pages need the other cores.
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "ui.finder.sweep_worker"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None)
        self.buffer = bytearray()
        try:
            self.send(("data", load_digits_split()))
            ready = self.receive(START_WAIT_SECONDS)
        except (*BROKEN_STREAM, SweepFailed):
            ready = None
        if ready != ("ready",):
            self.kill()
            raise SweepFailed("the range test's worker process did not start (its error is in the server's log)")

    def send(self, message: object) -> None:
        assert self.proc.stdin is not None
        write_frame(self.proc.stdin, message)

    def receive(self, timeout: float) -> tuple | None:
        """The next message, or None if none came within ``timeout``; SweepFailed if the worker is gone."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        while True:
            message = read_frame(self.buffer)
            if message is not None:
                return message
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            readable, _, _ = select.select([fd], [], [], left)
            if readable:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise SweepFailed("the range test's worker process stopped before the end; run it again")
                self.buffer += chunk

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]


_idle: list[_Worker] = []
_idle_lock = threading.Lock()
_started = threading.Event()


def _checkout() -> _Worker:
    with _idle_lock:
        while _idle:
            worker = _idle.pop()
            if worker.proc.poll() is None:
                return worker
    worker = _Worker()
    _started.set()
    return worker


def _checkin(worker: _Worker) -> None:
    with _idle_lock:
        if len(_idle) < IDLE_WORKERS:
            _idle.append(worker)
            return
    worker.kill()


def start_worker() -> None:
    """Have an idle worker ready (started now if there is none): the server's start-up calls it, so the
    first visitor's sweep does not wait for a worker's imports, nor for this process's import of scikit-learn
    (the digits' source: ~2 s). Once one has been started, sweeps start the others they need.

    Raises:
        SweepFailed: the worker did not start.
    """
    if not _started.is_set() and sys.platform != "win32":
        _checkin(_checkout())


def run_sweep(sweep: BuiltInSweep, on_progress: Callable[[int, int], None] | None = None) -> RangeTestResult:
    """Train ``sweep`` in a worker and return its curve; ``on_progress(done, n)`` is called on this thread.

    Raises:
        FinderError: an invalid sweep (checked here, before a worker is asked).
        SweepFailed: the worker died or could not train.
        Whatever ``on_progress`` raises (Streamlit's stop of a run): the worker's sweep is stopped first.
    """
    lr_sweep(sweep.start_lr, sweep.end_lr, sweep.num_iter)  # the page's one-line error for a bad range
    if sys.platform == "win32":
        step_fn = make_step_fn(seed=sweep.seed, batch_size=sweep.batch_size, hidden=sweep.hidden)
        every = max(sweep.num_iter // 20, 1)  # about 20 redraws, as from a worker

        def some_progress(done: int, n: int) -> None:
            if on_progress is not None and done % every == 0:
                on_progress(done, n)

        return run_range_test(step_fn, sweep.start_lr, sweep.end_lr, sweep.num_iter, on_progress=some_progress)
    worker = _checkout()  # SweepFailed if a new one does not start
    finished = False
    try:
        worker.send(("sweep", sweep))
        while True:
            message = worker.receive(POLL_SECONDS)
            if message is None or message[0] == "progress":
                if on_progress is not None and message is not None:
                    on_progress(message[1], sweep.num_iter)
                continue
            finished = True
            if message[0] == "result":
                return message[1]
            raise SweepFailed(f"the range test could not train: {message[1]}")
    except BROKEN_STREAM as exc:
        raise SweepFailed("the range test's worker process stopped before the end; run it again") from exc
    finally:
        if not finished:
            finished = _stop(worker)
        if finished:
            _checkin(worker)
        else:
            worker.kill()


def _stop(worker: _Worker) -> bool:
    """Ask the worker to stop its sweep; whether it answered (and can train the next one)."""
    if worker.proc.poll() is not None:
        return False
    try:
        worker.send(("stop",))
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            message = worker.receive(left)
            # A sweep that ended before the stop arrived sent its result first: skip it.
            if message is not None and message[0] == "stopped":
                return True
    except (*BROKEN_STREAM, SweepFailed):
        pass
    return False
