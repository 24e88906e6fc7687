"""A one-hidden-layer MLP on scikit-learn's digits, trained by hand-written backprop and SGD with momentum.

The LR range test's built-in task: real data (8x8 handwritten digits, 1797 images, shipped inside
scikit-learn), real mini-batch training, small enough that a 150-batch sweep takes a fraction of a second.

Model: ``logits = relu(x W1 + b1) W2 + b2``, softmax cross-entropy, He-initialised. Optimizer: PyTorch's SGD
with momentum (``buf = mu * buf + grad; w -= lr * buf``, ``torch.optim.SGD(momentum=mu)``). Everything is
seeded: the same seed gives the same losses bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: Fraction of the digits used for training (a fixed, seeded split; the rest is held out).
TRAIN_FRACTION = 0.8
#: Seed of the train/test split: fixed so every run trains on the same images.
SPLIT_SEED = 0


@dataclass(frozen=True)
class Dataset:
    """Standardized features and integer labels of the train and held-out parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@lru_cache(maxsize=1)
def load_digits_split() -> Dataset:
    """The digits, split once (seed :data:`SPLIT_SEED`) and standardized with the train part's mean and std.

    Pixels that are constant in the train part (std 0) are divided by 1, not 0.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data.astype(np.float64)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    cut = int(TRAIN_FRACTION * len(x))
    tr, te = order[:cut], order[cut:]
    mean = x[tr].mean(axis=0)
    std = x[tr].std(axis=0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    return Dataset(x[tr], y[tr], x[te], y[te])


class MLP:
    """``64 -> hidden (ReLU) -> 10`` with softmax cross-entropy and SGD with momentum (torch semantics)."""

    def __init__(self, n_in: int, hidden: int, n_out: int, seed: int, momentum: float = 0.9) -> None:
        rng = np.random.default_rng(seed)
        # He initialisation keeps the ReLU layer's activations at unit scale.
        self.params = {
            "w1": rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, hidden)),
            "b1": np.zeros(hidden),
            "w2": rng.normal(0.0, np.sqrt(2.0 / hidden), (hidden, n_out)),
            "b2": np.zeros(n_out),
        }
        self.bufs = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.momentum = momentum

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy of the batch and its gradient w.r.t. every parameter."""
        p = self.params
        h_pre = x @ p["w1"] + p["b1"]
        h = np.maximum(h_pre, 0.0)
        logits = h @ p["w2"] + p["b2"]
        # Log-softmax with the max subtracted: exact, and finite for any finite logits.
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_prob = shifted - log_z
        n = x.shape[0]
        loss = float(-log_prob[np.arange(n), y].mean())
        d_logits = np.exp(log_prob)
        d_logits[np.arange(n), y] -= 1.0
        d_logits /= n
        d_h = (d_logits @ p["w2"].T) * (h_pre > 0)
        grads = {
            "w2": h.T @ d_logits,
            "b2": d_logits.sum(axis=0),
            "w1": x.T @ d_h,
            "b1": d_h.sum(axis=0),
        }
        return loss, grads

    def sgd_step(self, grads: dict[str, np.ndarray], lr: float) -> None:
        """``buf = mu * buf + g; w -= lr * buf`` (``torch.optim.SGD`` with momentum, no dampening)."""
        for k, g in grads.items():
            buf = self.bufs[k]
            buf *= self.momentum
            buf += g
            self.params[k] -= lr * buf

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        p = self.params
        h = np.maximum(x @ p["w1"] + p["b1"], 0.0)
        return float(((h @ p["w2"] + p["b2"]).argmax(axis=1) == y).mean())


def make_step_fn(
    seed: int = 0, batch_size: int = 32, hidden: int = 64, momentum: float = 0.9, data: Dataset | None = None
) -> Callable[[float], float]:
    """A fresh seeded model and a ``step_fn(lr) -> loss`` that trains it on the next mini-batch.

    Batches are drawn without replacement from a seeded shuffle of the train part, reshuffled each epoch. The
    returned loss is the batch's loss before the update (what fastai, torch-lr-finder and Lightning record).
    Once the weights overflow the loss is returned as ``inf``/``nan`` so the range test stops. ``data`` is
    :func:`load_digits_split`'s split, passed by a process that has it already (a range-test worker).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: must be an integer >= 1 (got {batch_size!r})")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
        raise ValueError(f"hidden: must be an integer >= 1 (got {hidden!r})")
    data = data or load_digits_split()
    model = MLP(data.x_train.shape[1], hidden, 10, seed, momentum)
    rng = np.random.default_rng(seed + 1)
    state = {"order": rng.permutation(len(data.x_train)), "pos": 0}

    def step_fn(lr: float) -> float:
        if state["pos"] + batch_size > len(state["order"]):
            state["order"] = rng.permutation(len(data.x_train))
            state["pos"] = 0
        idx = state["order"][state["pos"] : state["pos"] + batch_size]
        state["pos"] += batch_size
        # A diverging run overflows on purpose; the range test reads the resulting inf/nan as its stop signal.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, grads = model.loss_and_grads(data.x_train[idx], data.y_train[idx])
            if np.isfinite(loss):
                model.sgd_step(grads, lr)
        return loss

    step_fn.model = model  # type: ignore[attr-defined]
    return step_fn
