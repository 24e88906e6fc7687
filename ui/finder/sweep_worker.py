"""A range-test worker process (``python -m ui.finder.sweep_worker``): trains the sweeps
:mod:`ui.finder.sweeps` sends it.

Imports NumPy, the engine's range test and the digits task only (no Streamlit, no scikit-learn: its first
message is the server's digits split). Reads length-prefixed pickles on stdin, writes them on stdout (stray
prints go to stderr):

- in ``("sweep", BuiltInSweep)``: out ``("progress", batches_done)`` about every ``PROGRESS_SECONDS``, then
  ``("result", RangeTestResult)``, or ``("error", one-line message)`` if training raised;
- in ``("stop",)``: the sweep in progress ends before its next batch; out ``("stopped",)`` (also when idle:
  every stop gets exactly one answer, so the two ends stay in step).

Exits when stdin closes (its server is gone).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import sys
import time
from dataclasses import dataclass
from typing import BinaryIO

from schedules.finder import run_range_test
from tasks.digits_mlp import Dataset, make_step_fn

HEADER = struct.Struct("<I")
PROGRESS_SECONDS = 0.1
#: A floor on each batch's time, from the environment (default 0). Here a 400-batch sweep takes ~0.1 s, too
#: short to cut in the middle on purpose: the fault tests set it so their sweeps last long enough to be
#: interrupted by a visitor's next move.
MIN_BATCH_SECONDS = float(os.environ.get("STUDIO_SWEEP_MIN_BATCH_SECONDS") or 0)


@dataclass(frozen=True)
class BuiltInSweep:
    """The built-in range test: a seeded MLP on the digits, one mini-batch per lr of the sweep."""

    start_lr: float
    end_lr: float
    num_iter: int
    batch_size: int = 32
    hidden: int = 64
    seed: int = 0


def write_frame(stream: BinaryIO, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(buffer: bytearray) -> tuple | None:
    """The first whole message in ``buffer`` (removed from it), or None if it is not all there yet."""
    if len(buffer) < HEADER.size:
        return None
    (size,) = HEADER.unpack_from(buffer)
    if len(buffer) < HEADER.size + size:
        return None
    message = pickle.loads(bytes(buffer[HEADER.size : HEADER.size + size]))
    del buffer[: HEADER.size + size]
    return message


class _Stopped(Exception):
    pass


class _Channel:
    """The worker's end: blocking reads when idle, a non-blocking look for "stop" between batches."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buffer = bytearray()

    def _read(self, timeout: float | None) -> bool:
        readable, _, _ = select.select([0], [], [], timeout)
        if not readable:
            return False
        chunk = os.read(0, 1 << 16)
        if not chunk:
            raise SystemExit(0)  # the server is gone
        self.buffer += chunk
        return True

    def next(self) -> tuple:
        while (message := read_frame(self.buffer)) is None:
            self._read(None)
        return message

    def check_stop(self) -> None:
        self._read(0)
        message = read_frame(self.buffer)  # mid-sweep the server sends nothing but "stop"
        if message is not None and message[0] == "stop":
            raise _Stopped

    def send(self, message: object) -> None:
        write_frame(self.out, message)


def _train(channel: _Channel, sweep: BuiltInSweep, data: Dataset) -> object:
    last = time.monotonic()

    def on_progress(done: int, n: int) -> None:
        nonlocal last
        if MIN_BATCH_SECONDS:
            time.sleep(MIN_BATCH_SECONDS)
        channel.check_stop()
        if time.monotonic() - last >= PROGRESS_SECONDS:
            channel.send(("progress", done))
            last = time.monotonic()

    step_fn = make_step_fn(seed=sweep.seed, batch_size=sweep.batch_size, hidden=sweep.hidden, data=data)
    return run_range_test(step_fn, sweep.start_lr, sweep.end_lr, sweep.num_iter, on_progress=on_progress)


def main() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the message stream
    channel = _Channel(out)
    kind, data = channel.next()  # the server's digits: this process never imports scikit-learn (~150 MB)
    if kind != "data":
        return 1
    channel.send(("ready",))
    while True:
        message = channel.next()
        if message[0] == "stop":
            channel.send(("stopped",))
        elif message[0] == "sweep":
            try:
                result = _train(channel, message[1], data)
            except _Stopped:
                channel.send(("stopped",))
            except Exception as exc:
                channel.send(("error", f"{type(exc).__name__}: {exc}"))
            else:
                channel.send(("result", result))


if __name__ == "__main__":
    sys.exit(main())
