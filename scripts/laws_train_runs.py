"""The Train page's own runs as data for the loss laws: fit on one schedule's loss curve, predict the others'.

    python scripts/laws_train_runs.py [--seeds 0 1 2 3 4] [--fit-on cosine]

Each run is :func:`tasks.train.run` (the NumPy network the Train page trains, with torch.optim's Adam) on the
``teacher`` task, in the regime the laws describe: a network too narrow to fit its data exactly (64-16-10) and
small batches (8), so the loss keeps a noise floor that lowering the lr reduces. Four schedules of 2,000
updates with a 100-update warmup to 1e-2: constant, cosine to 0, WSD (linear decay over the last 20 % to 0),
and a step schedule (x0.3 at 50 % and at 75 % of the main phase). Same seed: same init and batches.

The loss is logged the way a Hugging Face Trainer logs it: the mean of every 20 updates, at the last of them
(100 points per run). Each law is fitted with :func:`schedules.laws.fit` on the first 80 % of one schedule's log
(with that run's exact lr per update), then predicts every run's whole log; reported: mean relative error, the
error of the final logged point (nats), and whether the predicted order of the final losses is the logged one.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from schedules import curve, load_spec
from schedules.laws import Fit, fit, predict
from schedules.spec import Spec
from tasks.train import run

STEPS, WARMUP, PEAK, LOG_EVERY = 2000, 100, 1e-2, 20
SIZES, BATCH = (64, 16, 10), 8
SCHEDULES = {
    "constant": {"type": "constant"},
    "cosine": {"type": "cosine", "min_lr": 0.0},
    "wsd": {"type": "wsd", "decay_steps": 380, "shape": "linear", "min_lr": 0.0},
    "step": {"type": "multistep", "milestones": [950, 1425], "gamma": 0.3},
}


@dataclass(frozen=True)
class Logged:
    """One run's log: update indices, the lr at each, the mean loss of the updates up to it."""

    spec: Spec
    steps: np.ndarray
    lrs: np.ndarray
    losses: np.ndarray


def spec_of(name: str) -> Spec:
    return load_spec({"total_steps": STEPS, "lr": PEAK, "warmup": {"steps": WARMUP}, "schedule": SCHEDULES[name]})


def train_log(name: str, seed: int) -> Logged:
    """Train under the schedule and log it as a Trainer does (mean over each LOG_EVERY updates)."""
    spec = spec_of(name)
    r = run(spec, "adam", "teacher", seed, steps=STEPS, batch_size=BATCH, sizes=SIZES)
    losses = r.loss.reshape(-1, LOG_EVERY).mean(axis=1)
    steps = np.arange(LOG_EVERY - 1, STEPS, LOG_EVERY)
    return Logged(spec, steps, curve(spec)[steps], losses)


def fit_on(log: Logged, law: str) -> Fit:
    return fit(log.steps, log.lrs, log.losses, law, holdout=0.2, lr_curve=log.spec)


def errors(f: Fit, law: str, log: Logged) -> tuple[float, float]:
    """Mean relative error over the whole log after warmup, and the final point's error (nats)."""
    keep = log.steps >= WARMUP
    pred = predict(log.spec, law, f, at=log.steps[keep]).loss
    seen = log.losses[keep]
    return float(np.mean(np.abs(pred - seen) / seen)), float(pred[-1] - seen[-1])


def tail(log: Logged, points: int = 5) -> float:
    """The run's final loss: the mean of its last logged points (one logged point is still noisy)."""
    return float(log.losses[-points:].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--fit-on", nargs="+", default=["cosine", "wsd", "step", "constant"])
    args = parser.parse_args()
    names = list(SCHEDULES)
    logs = {seed: {n: train_log(n, seed) for n in names} for seed in args.seeds}
    print("final loss (mean of the last 5 logged points), per seed:")
    for seed in args.seeds:
        print(f"  seed {seed}: " + ", ".join(f"{n} {tail(logs[seed][n]):.4f}" for n in names))
    for law in ("mpl", "annealing"):
        for source in args.fit_on:
            print(f"\n### {law}, fitted on the first 80 % of `{source}`\n")
            print("| run predicted | mean rel. error | final error (nats) | held-out error of the fit |")
            print("|---|---|---|---|")
            table = {n: [] for n in names}
            held, order_ok = [], 0
            for seed in args.seeds:
                f = fit_on(logs[seed][source], law)
                held.append(f.heldout_error)
                for n in names:
                    table[n].append(errors(f, law, logs[seed][n]))
                predicted = {n: predict(logs[seed][n].spec, law, f, at=[STEPS - 1]).final for n in names}
                order_ok += sorted(names, key=predicted.get) == sorted(names, key=lambda n: tail(logs[seed][n]))
            for n in names:
                mean = np.mean([e[0] for e in table[n]])
                fin = np.mean([e[1] for e in table[n]])
                spread = np.std([e[1] for e in table[n]])
                print(f"| {n} | {mean:.2%} | {fin:+.4f} ± {spread:.4f} | {np.mean(held):.2%} |")
            print(f"\npredicted order of the four final losses right in {order_ok} of {len(args.seeds)} seeds")


if __name__ == "__main__":
    main()
