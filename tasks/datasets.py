"""The training playground's two classification tasks, each a fixed train/held-out split of 64 features.

- ``teacher``: synthetic data where depth and the first steps matter. ``X ~ N(0, I_64)``, 3000 samples (2400
  train, 600 held out); labels ``argmax(tanh(X W1) W2)`` from a fixed random teacher network with
  ``W1 ~ N(0, 1/64)`` (64x64) and ``W2 = 3·N(0, 1/64)`` (64x10). Same data for every seed (seed
  :data:`DATA_SEED`), so seeds vary only the model's init and the batch order.
- ``digits``: scikit-learn's 1797 8x8 handwritten digits, standardized, 80/20 split
  (:func:`tasks.digits_mlp.load_digits_split`, the LR range test's data).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tasks.digits_mlp import Dataset, load_digits_split

#: Seed of the teacher network and its inputs: fixed, so the task is the same for every run.
DATA_SEED = 0
TEACHER_SAMPLES = 3000
TEACHER_TRAIN = 2400
N_FEATURES = 64
N_CLASSES = 10

#: Task name -> one-line description (what the page offers).
TASKS = {
    "teacher": "synthetic: 64 Gaussian features, labels from a random tanh teacher network (2400 train / 600 held out)",
    "digits": "scikit-learn's 8x8 handwritten digits (1437 train / 360 held out)",
}


@lru_cache(maxsize=1)
def teacher_split() -> Dataset:
    """The synthetic teacher task (see the module docstring); computed once per process."""
    rng = np.random.default_rng(DATA_SEED)
    x = rng.normal(0.0, 1.0, (TEACHER_SAMPLES, N_FEATURES))
    w1 = rng.normal(0.0, np.sqrt(1.0 / N_FEATURES), (N_FEATURES, N_FEATURES))
    w2 = 3.0 * rng.normal(0.0, np.sqrt(1.0 / N_FEATURES), (N_FEATURES, N_CLASSES))
    y = np.argmax(np.tanh(x @ w1) @ w2, axis=1).astype(np.int64)
    return Dataset(x[:TEACHER_TRAIN], y[:TEACHER_TRAIN], x[TEACHER_TRAIN:], y[TEACHER_TRAIN:])


def load(task: str) -> Dataset:
    """The train/held-out split of ``task`` (one of :data:`TASKS`)."""
    if task == "teacher":
        return teacher_split()
    if task == "digits":
        return load_digits_split()
    raise ValueError(f"task: must be one of {', '.join(TASKS)} (got {task!r})")
