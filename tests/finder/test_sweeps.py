"""The range test's worker processes (ui.finder.sweeps, ui.finder.sweep_worker): same curve as training in-process, and
every way a sweep can end leaves a worker that trains the next one (or none, and a new one is started)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from schedules.finder import FinderError, run_range_test
from tasks.digits_mlp import make_step_fn
from ui.finder import sweeps
from ui.finder.sweep_worker import BuiltInSweep, read_frame, write_frame

ROOT = Path(__file__).resolve().parents[2]
#: The lr stays small, so the loss never blows up and the sweep trains every batch (~1 s for 20,000).
LONG = BuiltInSweep(1e-5, 0.01, 20_000)


class Interrupted(Exception):
    """What Streamlit's stop of a run is to run_sweep: an exception out of on_progress."""


def idle_workers() -> list[sweeps._Worker]:
    with sweeps._idle_lock:
        return list(sweeps._idle)


@pytest.mark.parametrize("batch_size", [16, 128])
def test_a_sweep_in_a_worker_is_the_sweep_trained_in_process(batch_size: int):
    sweep = BuiltInSweep(1e-5, 10.0, 150, batch_size=batch_size)
    result = sweeps.run_sweep(sweep)
    expected = run_range_test(make_step_fn(seed=0, batch_size=batch_size, hidden=64), 1e-5, 10.0, 150)
    assert result.stopped_reason == expected.stopped_reason
    np.testing.assert_array_equal(result.lrs, expected.lrs)
    np.testing.assert_array_equal(result.losses, expected.losses)
    np.testing.assert_array_equal(result.smoothed, expected.smoothed)


def test_progress_is_reported_while_training_and_a_stopped_sweep_frees_its_worker():
    sweeps.start_worker()
    seen: list[tuple[int, int]] = []

    def on_progress(done: int, n: int) -> None:
        seen.append((done, n))
        if len(seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        sweeps.run_sweep(LONG, on_progress)
    assert [n for _, n in seen] == [LONG.num_iter] * 2
    assert 0 < seen[0][0] < seen[1][0] < LONG.num_iter
    workers = idle_workers()
    assert workers and all(w.proc.poll() is None for w in workers)
    # The stopped worker is in step: the next sweep gets its own result, not the stopped one's leftovers.
    result = sweeps.run_sweep(BuiltInSweep(1e-5, 10.0, 150))
    assert result.lrs.size < 150 and result.stopped_reason == "diverged"


def test_a_worker_that_dies_mid_sweep_fails_the_sweep_in_one_line_and_is_replaced():
    sweeps.start_worker()
    victim = idle_workers()[-1]
    killer = threading.Timer(0.3, victim.proc.kill)
    killer.start()
    with pytest.raises(sweeps.SweepFailed, match="worker process stopped before the end; run it again"):
        sweeps.run_sweep(LONG)
    killer.join()
    assert victim not in idle_workers()
    assert sweeps.run_sweep(BuiltInSweep(1e-5, 10.0, 150)).lrs.size > 20


def test_a_dead_idle_worker_is_skipped():
    sweeps.start_worker()
    for worker in idle_workers():
        worker.proc.kill()
        worker.proc.wait()
    assert sweeps.run_sweep(BuiltInSweep(1e-5, 10.0, 150)).stopped_reason == "diverged"


def test_an_invalid_sweep_is_refused_before_a_worker_is_asked():
    with pytest.raises(FinderError, match="end_lr: must be > start_lr"):
        sweeps.run_sweep(BuiltInSweep(1e-5, 1e-6, 100))


def test_frames_round_trip_whole_and_wait_for_their_last_byte():
    class Sink:
        data = b""

        def write(self, b: bytes) -> None:
            self.data += b

        def flush(self) -> None:
            pass

    sink = Sink()
    write_frame(sink, ("progress", 7))
    write_frame(sink, ("result", np.arange(3.0)))
    buffer = bytearray(sink.data[:-1])
    assert read_frame(buffer) == ("progress", 7)
    assert read_frame(buffer) is None  # the second frame is one byte short
    buffer += sink.data[-1:]
    kind, values = read_frame(buffer)
    assert kind == "result" and values.tolist() == [0.0, 1.0, 2.0] and buffer == bytearray()


def test_a_worker_that_cannot_start_fails_the_sweep_in_one_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sweeps, "_idle", [])
    monkeypatch.setattr(sys, "executable", "/bin/false")  # a worker that exits at once
    with pytest.raises(sweeps.SweepFailed, match="worker process did not start"):
        sweeps.run_sweep(BuiltInSweep(1e-5, 10.0, 50))


def test_the_page_says_so_in_one_line_when_no_worker_starts(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sweeps, "_idle", [])
    monkeypatch.setattr(sweeps, "_started", threading.Event())
    monkeypatch.setattr(sys, "executable", "/bin/false")
    at = AppTest.from_file(str(ROOT / "pages" / "finder.py"), default_timeout=60)
    at.run()
    at.button(key="finder_run").click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "the range test's worker process did not start (its error is in the server's log)"]
