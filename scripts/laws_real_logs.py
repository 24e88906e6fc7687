"""Fit both loss laws to real Hugging Face ``trainer_state.json`` logs and report the held-out error of each.

    python scripts/laws_real_logs.py CACHE_DIR [--min-points 50]

``CACHE_DIR`` holds the ``trainer_state.json`` files (any file name ending in ``.json``), each optionally with
a ``<file>.source`` beside it, a JSON object ``{"repo": ..., "path": ..., "commit": ...}`` saying where it came
from. The files are third-party data and are not part of the project.

For each run: the ``log_history`` entries that have ``loss``, ``learning_rate`` and ``step`` (the training
loss a Trainer logs every ``logging_steps``, averaged over those steps), update index ``step - 1``, the lr
between logged points interpolated linearly. Each law is fitted with :func:`schedules.laws.fit` on the first
80 % of the points and scored on the last 20 % it did not see: mean and worst relative error, and the final
point's error (predicted - logged, nats). For scale, a naive forecast is scored on the same points: the mean
of the last 10 fitted points, held flat.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from schedules.errors import SpecError
from schedules.laws import fit


@dataclass(frozen=True)
class Log:
    """One run's logged training loss."""

    name: str
    source: dict[str, str]
    steps: np.ndarray
    lrs: np.ndarray
    losses: np.ndarray
    epochs: float


def read_state(path: Path) -> Log:
    """The (update, lr, loss) points of a trainer_state.json; a repeated step keeps its last entry."""
    state = json.loads(path.read_text(encoding="utf-8"))
    points: dict[int, tuple[float, float]] = {}
    epochs = 0.0
    for entry in state.get("log_history", []):
        if not all(k in entry for k in ("loss", "learning_rate", "step")):
            continue
        loss, lr, step = entry["loss"], entry["learning_rate"], entry["step"]
        if isinstance(loss, (int, float)) and isinstance(lr, (int, float)) and math.isfinite(loss) and loss > 0:
            points[int(step) - 1] = (float(lr), float(loss))
            epochs = max(epochs, float(entry.get("epoch") or 0.0))
    steps = np.array(sorted(points), dtype=np.int64)
    lrs = np.array([points[s][0] for s in steps])
    losses = np.array([points[s][1] for s in steps])
    side = path.with_name(path.name + ".source")
    source = json.loads(side.read_text(encoding="utf-8")) if side.exists() else {"repo": "?", "path": path.name}
    return Log(path.name, source, steps, lrs, losses, epochs)


def shape(steps: np.ndarray, lrs: np.ndarray) -> str:
    """The schedule in words, from the logged lrs: warmup, then constant / linear / cosine decay (the closer of
    the two to the logged decay), the end as a fraction of the peak, restarts if the lr rises again."""
    top = int(np.argmax(lrs))
    peak = lrs[top]
    parts = [f"warmup {steps[top] + 1}"] if top > 0 and lrs[0] < 0.9 * peak else []
    tail, at = lrs[top:] / peak, steps[top:].astype(np.float64)
    if np.any(np.diff(tail) > 0.05):
        return ", ".join([*parts, "with restarts / rises"])
    end = tail[-1]
    if end > 0.9:
        return ", ".join([*parts, "constant"])
    x = (at - at[0]) / max(at[-1] - at[0], 1.0)
    linear = 1 - (1 - end) * x
    cosine = end + (1 - end) * 0.5 * (1 + np.cos(np.pi * x))
    kind = "linear" if np.abs(tail - linear).mean() <= np.abs(tail - cosine).mean() else "cosine"
    return ", ".join([*parts, f"{kind} decay to {end:.2f} of peak"])


def score(log: Log, law: str) -> tuple[float, float, float] | str:
    """(mean, worst relative held-out error, final error in nats), or why the fit was refused."""
    try:
        f = fit(log.steps, log.lrs, log.losses, law, holdout=0.2)
    except SpecError as exc:
        return str(exc)
    return f.heldout_error, f.heldout_worst, f.heldout_final


def flat(log: Log) -> float:
    """Mean relative error on the held-out 20 % of the mean of the last 10 fitted points, held flat."""
    n_train = math.ceil(len(log.steps) * 0.8)
    level = float(log.losses[max(n_train - 10, 0) : n_train].mean())
    held = log.losses[n_train:]
    return float(np.mean(np.abs(level - held) / held))


def cell(result: tuple[float, float, float] | str) -> str:
    if isinstance(result, str):
        return f"refused: {result}"
    return f"{result[0]:.2%} / {result[1]:.2%} / {result[2]:+.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", type=Path)
    parser.add_argument("--min-points", type=int, default=50)
    args = parser.parse_args()
    logs = [read_state(p) for p in sorted(args.cache.glob("*.json"))]
    print(
        "| run (repository, path, commit) | points | epochs | schedule | loss first → last "
        "| mpl: mean / worst / final | annealing: mean / worst / final | flat forecast: mean |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for log in logs:
        if len(log.steps) < args.min_points:
            continue
        src = log.source
        where = f"{src['repo']} `{src['path']}` {src.get('commit', '?')[:10]}"
        print(
            f"| {where} | {len(log.steps)} | {log.epochs:.3g} | {shape(log.steps, log.lrs)} "
            f"| {log.losses[0]:.3g} → {log.losses[-1]:.3g} | {cell(score(log, 'mpl'))} "
            f"| {cell(score(log, 'annealing'))} | {flat(log):.2%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
