"""The training playground's speed and its effect table, measured side by side in one run.

- One 600-step run of the default task (``tasks.train.run``: Adam, the warmup demo schedule, every metric
  recorded), in float32 (what the page trains in) with NumPy's BLAS on one thread (what the page uses) and on
  two, and in float64 on one thread; the rows alternate in rounds so they see the same machine load.
- One training step (forward, backward, Adam update) of the same MLP in NumPy and in torch (CPU, autograd +
  ``torch.optim.Adam``), in float32 and float64, alternated in rounds so both see the same machine load; the
  ratio per round shows the noise.
- The warmup effect: Adam at peak 0.02, 60-step warmup against none, per seed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from threadpoolctl import threadpool_limits

from schedules import load_spec
from tasks import datasets, optimizers
from tasks.deep_mlp import DeepMLP
from tasks.train import run, summarize

DEMO = {"total_steps": 600, "lr": 0.02, "warmup": {"steps": 60}, "schedule": {"type": "cosine"}}
ROUNDS = 5
STEPS_PER_ROUND = 30


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def numpy_stepper(dtype: str):
    data = datasets.load("teacher")
    model = DeepMLP(seed=0, dtype=dtype)
    opt = optimizers.make("adam", [model.theta])
    x, y = data.x_train[:64].astype(dtype), data.y_train[:64]

    def step() -> None:
        model.loss_and_grad(x, y)
        opt.step([model.grad], 1e-4)

    return step


def torch_stepper(dtype: str):
    import torch

    data = datasets.load("teacher")
    model = DeepMLP(seed=0, dtype=dtype)
    layers = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
              for w, b in zip(model.weights, model.biases, strict=True)]
    opt = torch.optim.Adam([p for pair in layers for p in pair], lr=1e-4)
    x, y = torch.tensor(data.x_train[:64].astype(dtype)), torch.tensor(data.y_train[:64])

    def step() -> None:
        h = x
        for w, b in layers[:-1]:
            h = torch.relu(h @ w + b)
        loss = torch.nn.functional.cross_entropy(h @ layers[-1][0] + layers[-1][1], y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def timed(fn, n: int) -> tuple[float, float]:
    """Wall and CPU seconds per call. On a loaded machine the CPU time of a one-thread loop is what its wall
    time would be on an idle core; the wall time is what a user waits."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n, (time.process_time() - cpu) / n


def step_table() -> None:
    import torch

    print(f"| {'dtype, threads':<16} | {'NumPy step ms':>13} | {'torch step ms':>13} | {'NumPy/torch':>11} | "
          f"{'round ratios':>12} | {'CPU ms NumPy/torch':>18} | target <= 1.5x")
    print(f"|{'-' * 18}|{'-' * 15}|{'-' * 15}|{'-' * 13}|{'-' * 14}|{'-' * 20}|-----")
    before = torch.get_num_threads()
    for dtype in ("float32", "float64"):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            with threadpool_limits(threads):
                ours, theirs = numpy_stepper(dtype), torch_stepper(dtype)
                timed(ours, 10), timed(theirs, 10)
                a, b = [], []
                for _ in range(ROUNDS):
                    a.append(timed(ours, STEPS_PER_ROUND))
                    b.append(timed(theirs, STEPS_PER_ROUND))
            wa, wb = np.array([x[0] for x in a]), np.array([x[0] for x in b])
            ca, cb = np.median([x[1] for x in a]), np.median([x[1] for x in b])
            ratios = wa / wb
            print(f"| {f'{dtype}, {threads}':<16} | {np.median(wa) * 1e3:13.2f} | {np.median(wb) * 1e3:13.2f} | "
                  f"{np.median(wa) / np.median(wb):10.2f}x | {ratios.min():5.2f}-{ratios.max():<5.2f} | "
                  f"{ca * 1e3:7.2f} / {cb * 1e3:<7.2f}  |")
    torch.set_num_threads(before)


#: The run table's rows: (label, dtype, BLAS threads, rounds); the first is what the page does. Two threads
#: only twice: on a busy 2-core machine such a run can take ten times longer and says nothing new.
RUN_ROWS = (("float32, BLAS threads: 1 (the page)", "float32", 1, 5), ("float64, BLAS threads: 1", "float64", 1, 5),
            ("float32, BLAS threads: 2", "float32", 2, 2))


def run_table() -> None:
    """Each row's run once per round (rows alternated); best, median and worst wall seconds, best CPU seconds."""
    spec = load_spec(DEMO)
    print(f"| {'600-step run, default task (Adam, all metrics)':<48} | {'best s':>7} | {'median s':>8} | "
          f"{'worst s':>8} | {'CPU s':>6} | target")
    print(f"|{'-' * 50}|{'-' * 9}|{'-' * 10}|{'-' * 10}|{'-' * 8}|-------")
    times: dict[str, list[tuple[float, float]]] = {label: [] for label, *_ in RUN_ROWS}
    for i in range(max(rounds for *_, rounds in RUN_ROWS)):
        for label, dtype, threads, rounds in RUN_ROWS:
            if i < rounds:
                with threadpool_limits(threads):
                    times[label].append(timed(lambda dtype=dtype: run(spec, "adam", "teacher", 0, dtype=dtype), 1))
    for label, *_ in RUN_ROWS:
        wall = [t[0] for t in times[label]]
        cpu = min(t[1] for t in times[label])
        print(f"| {label:<48} | {min(wall):7.2f} | {np.median(wall):8.2f} | {max(wall):8.2f} | {cpu:6.2f} | "
              "<= 1.5 s")


def effect_table(seeds: int = 4) -> None:
    warm, cold = load_spec(DEMO), load_spec({**DEMO, "warmup": {"steps": 0}})
    print("| seed | max loss, first 100 (warmup / none) | final train loss | held-out acc | "
          "||dθ||/||θ||, first 3 updates")
    print("|------|------------------------------------|------------------|--------------|------")
    with threadpool_limits(1):
        for seed in range(seeds):
            w, c = (summarize(run(s, "adam", "teacher", seed), 0.5) for s in (warm, cold))
            print(f"| {seed:4d} | {w.max_early_loss:6.2f} / {c.max_early_loss:6.2f} | "
                  f"{w.final_loss:.3f} / {c.final_loss:.3f} | {w.final_accuracy:.3f} / {c.final_accuracy:.3f} | "
                  f"{w.first_updates_ratio:.4f} / {c.first_updates_ratio:.3f}")


def main() -> None:
    print(f"## Training playground (load average {_load()} at start)\n")
    step_table()
    print()
    run_table()
    print("\n### Warmup effect: Adam, peak lr 0.02, cosine over 600 steps, 60-step warmup / none (float32)\n")
    effect_table()
    print(f"\n(load average {_load()} at the end; the machine is shared, so compare ratios within one run)")


if __name__ == "__main__":
    main()
