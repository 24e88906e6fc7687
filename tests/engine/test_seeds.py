"""The seed articles' schedules, each written here from its published formula, equal a spec's curve.

Every comparison covers every step, in float64, relative 1e-12 with an absolute floor of 1e-15 * lr where
the reference is ~0 (a warmup starting from 0, a decay ending at 0); see ``parity_helpers``.

- Per-epoch linear warmup from 0 then constant, as a torch LRScheduler stepped once per epoch
  (``interval: "epoch"``).
- Per-batch polynomial (and cosine) decay with a warmup measured in epochs.
- Warmup, stable epochs, then a cosine decay to 0 (warmup-stable-decay).
- TF1-style warmup ``s / W * lr_init`` then ``lr_end + (lr_init - lr_end)(1 + cos(pi (s - W) / (T - W))) / 2``.
- The CLR paper's triangular, triangular2 and exp_range formulas.
- The Transformer (Noam) schedule ``d_model**-0.5 * min(s**-0.5, s * w**-1.5)`` against the ``noam`` preset.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from torch.optim.lr_scheduler import LRScheduler

import schedules
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel, make_spec, new_optimizer, run_torch


class EpochWarmup(LRScheduler):
    """Linear warmup by epochs: ``base * epoch / warmup_epochs`` while ``epoch < warmup_epochs``, then ``base``."""

    def __init__(self, optimizer: torch.optim.Optimizer, warmup_epochs: int, last_epoch: int = -1) -> None:
        self.warmup_epochs = warmup_epochs
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch = self.last_epoch
        if epoch < self.warmup_epochs:
            return [base * epoch / self.warmup_epochs for base in self.base_lrs]
        return list(self.base_lrs)


@pytest.mark.parametrize(("epochs", "warmup_epochs", "per_epoch", "lr"), [
    pytest.param(10, 5, 10, 0.01, id="10ep-warm5-10batches"),
    pytest.param(30, 3, 37, 0.1, id="30ep-warm3-37batches"),
    pytest.param(8, 1, 25, 0.05, id="8ep-warm1-25batches"),
])
def test_epoch_warmup_scheduler_is_an_epoch_interval_spec(epochs: int, warmup_epochs: int, per_epoch: int,
                                                         lr: float, record_property) -> None:
    spec = schedules.load_spec({
        "total_steps": epochs * per_epoch, "lr": lr, "steps_per_epoch": per_epoch, "interval": "epoch",
        "warmup": {"steps": warmup_epochs * per_epoch, "start_lr": 0.0}, "schedule": {"type": "constant"},
    })
    opt = new_optimizer(lr)
    ref = run_torch(opt, EpochWarmup(opt, warmup_epochs), spec.total_steps, per_epoch=per_epoch)
    assert ref[0] == 0.0 and ref[-1] == lr
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, lr, record_property)


def batch_rate(epoch: int, batch: int, epochs: int, batches: int, warmup_epochs: int, *, decay: str,
               power: float = 1.0, stable_epochs: int = 0) -> float:
    """The per-batch lr multiplier of the seed's training loop.

    Warmup (``epoch < warmup_epochs``): the fraction of warmup batches done. Stable (``epoch < warmup +
    stable``): 1. Then progress ``p`` = batches since the decay began over the decay's batches, and
    ``(1 - p) ** power`` (poly) or ``(1 + cos(pi p)) / 2`` (cosine).
    """
    if warmup_epochs > 0 and epoch < warmup_epochs:
        return (epoch * batches + batch) / (warmup_epochs * batches)
    if epoch < warmup_epochs + stable_epochs:
        return 1.0
    start = warmup_epochs + stable_epochs
    done = (epoch - start) * batches + batch
    length = (epochs - start) * batches
    if decay == "poly":
        return float(np.power(1.0 - done / length, power))
    return 0.5 * (1.0 + math.cos(math.pi * done / length))


def seed_curve(lr: float, epochs: int, batches: int, warmup_epochs: int, **kw: Any) -> np.ndarray:
    return np.array([batch_rate(e, b, epochs, batches, warmup_epochs, **kw) * lr
                     for e in range(epochs) for b in range(batches)])


@pytest.mark.parametrize(("epochs", "batches", "warmup_epochs", "power"), [
    pytest.param(10, 10, 5, 1.0, id="10ep-10b-warm5-p1"),
    pytest.param(90, 50, 5, 0.9, id="90ep-50b-warm5-p0.9"),
    pytest.param(40, 64, 0, 2.0, id="40ep-64b-nowarm-p2"),
])
def test_per_batch_poly_decay_with_epoch_warmup(epochs: int, batches: int, warmup_epochs: int, power: float,
                                                record_property) -> None:
    lr = 0.01
    spec = make_spec(epochs * batches, lr, "polynomial", warmup=warmup_epochs * batches, power=power)
    ref = seed_curve(lr, epochs, batches, warmup_epochs, decay="poly", power=power)
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, lr, record_property)


@pytest.mark.parametrize(("epochs", "batches", "warmup_epochs"), [
    pytest.param(10, 10, 5, id="10ep-10b-warm5"),
    pytest.param(60, 40, 3, id="60ep-40b-warm3"),
    pytest.param(20, 33, 0, id="20ep-33b-nowarm"),
])
def test_per_batch_cosine_decay_with_epoch_warmup(epochs: int, batches: int, warmup_epochs: int,
                                                  record_property) -> None:
    lr = 0.01
    spec = make_spec(epochs * batches, lr, "cosine", warmup=warmup_epochs * batches)
    ref = seed_curve(lr, epochs, batches, warmup_epochs, decay="cosine")
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, lr, record_property)


@pytest.mark.parametrize(("epochs", "batches", "warmup_epochs", "stable_epochs"), [
    pytest.param(10, 10, 2, 5, id="10ep-10b-warm2-stable5"),
    pytest.param(60, 40, 5, 40, id="60ep-40b-warm5-stable40"),
    pytest.param(30, 25, 3, 0, id="30ep-25b-warm3-stable0"),
    pytest.param(30, 25, 0, 10, id="30ep-25b-nowarm-stable10"),
])
def test_warmup_stable_cosine_decay(epochs: int, batches: int, warmup_epochs: int, stable_epochs: int,
                                    record_property) -> None:
    lr = 3e-4
    decay = (epochs - warmup_epochs - stable_epochs) * batches
    spec = make_spec(epochs * batches, lr, "wsd", warmup=warmup_epochs * batches, shape="cosine",
                     decay_steps=decay)
    ref = seed_curve(lr, epochs, batches, warmup_epochs, decay="cosine", stable_epochs=stable_epochs)
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, lr, record_property)


def tf_warmup_cosine(s: float, w: float, t: float, lr_init: float, lr_end: float) -> float:
    """``s / W * lr_init`` for s < W, else ``lr_end + 0.5 (lr_init - lr_end)(1 + cos(pi (s - W) / (T - W)))``."""
    if s < w:
        return s / w * lr_init
    return lr_end + 0.5 * (lr_init - lr_end) * (1.0 + math.cos((s - w) / (t - w) * math.pi))


@pytest.mark.parametrize(("w", "t", "lr_init", "lr_end"), [
    pytest.param(100, 2500, 1e-4, 1e-6, id="W100-T2500-1e-4-to-1e-6"),
    pytest.param(500, 4000, 1e-3, 0.0, id="W500-T4000-to0"),
    pytest.param(1, 1000, 0.1, 1e-3, id="W1-T1000"),
])
def test_tf_warmup_then_cosine(w: int, t: int, lr_init: float, lr_end: float, record_property) -> None:
    spec = make_spec(t, lr_init, "cosine", warmup=w, min_lr=lr_end)
    ref = np.array([tf_warmup_cosine(float(s), float(w), float(t), lr_init, lr_end) for s in range(t + 1)])
    assert_rel(schedules.curve(spec), ref[:t], RTOL_CLOSED, lr_init, record_property)
    # The seed's counter starts at 1 and is incremented after each update: update k uses f(k + 1), which is
    # the same curve read one step later; its last value, f(T), is lr_end (the engine clamps past D).
    assert_rel(schedules.curve(spec, np.arange(1, t + 1)), ref[1:], RTOL_CLOSED, lr_init, record_property,
               "one_based")


def clr(iterations: np.ndarray, step_size: int, base_lr: float, max_lr: float, mode: str,
        gamma: float = 1.0) -> np.ndarray:
    """The CLR paper: ``cycle = floor(1 + it / (2 step))``, ``x = |it / step - 2 cycle + 1|``,
    ``lr = base + (max - base) * max(0, 1 - x) * scale`` with scale 1, ``1 / 2**(cycle - 1)`` or ``gamma**it``."""
    it = iterations.astype(np.float64)
    cycle = np.floor(1 + it / (2 * step_size))
    x = np.abs(it / step_size - 2 * cycle + 1)
    if mode == "triangular":
        scale = np.ones_like(it)
    elif mode == "triangular2":
        scale = 1 / (2.0 ** (cycle - 1))
    else:
        scale = gamma**it
    return base_lr + (max_lr - base_lr) * np.maximum(0, 1 - x) * scale


@pytest.mark.parametrize(("mode", "step_size", "base_lr", "gamma"), [
    pytest.param("triangular", 2000, 1e-3, 1.0, id="triangular-2000"),
    pytest.param("triangular", 97, 0.0, 1.0, id="triangular-97-base0"),
    pytest.param("triangular2", 500, 1e-4, 1.0, id="triangular2-500"),
    pytest.param("exp_range", 300, 1e-4, 0.99994, id="exp_range-300"),
])
def test_clr_formulas(mode: str, step_size: int, base_lr: float, gamma: float, record_property) -> None:
    max_lr, total = 6e-3, 12_000
    spec = make_spec(total, max_lr, "cyclic", mode=mode, step_size=step_size, min_lr=base_lr, gamma=gamma)
    ref = clr(np.arange(total), step_size, base_lr, max_lr, mode, gamma)
    assert_rel(schedules.curve(spec), ref, RTOL_CLOSED, max_lr, record_property)


def noam(s: np.ndarray, d_model: int, warmup: int) -> np.ndarray:
    """``d_model**-0.5 * min(s**-0.5, s * warmup**-1.5)``; 0 at s = 0 (the second term's limit)."""
    s = s.astype(np.float64)
    with np.errstate(divide="ignore"):
        inv_sqrt = np.where(s > 0, s**-0.5, np.inf)
    return d_model**-0.5 * np.minimum(inv_sqrt, s * warmup**-1.5)


def test_noam_preset_is_the_transformer_schedule(record_property) -> None:
    spec = schedules.load_preset("noam")
    d_model, warmup = 512, 4000
    assert spec.lr == pytest.approx(d_model**-0.5 * warmup**-0.5, rel=1e-15)
    assert spec.warmup.steps == warmup and spec.schedule.type == "inverse_sqrt"
    steps = np.arange(spec.total_steps)
    assert_rel(schedules.curve(spec), noam(steps, d_model, warmup), RTOL_CLOSED, spec.lr, record_property)
    # The paper counts steps from 1: update k uses the value at k + 1, the same curve one step later.
    assert_rel(schedules.curve(spec, steps + 1), noam(steps + 1, d_model, warmup), RTOL_CLOSED, spec.lr,
               record_property, "one_based")
    assert int(np.argmax(schedules.curve(spec))) == warmup
