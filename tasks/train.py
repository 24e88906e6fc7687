"""Train the deep MLP under a schedule and record what the lr does to it, step by step.

``run(spec, optimizer="adam", task="teacher", seed=0, **hyper)`` trains a fresh :class:`~tasks.deep_mlp.DeepMLP`
(init from ``seed``) on mini-batches drawn from a seeded shuffle (also from ``seed``), so two schedules run
with the same seed see the same data, the same init and the same batches. Update ``t`` uses the lr the
schedule gives update ``t`` (``schedules.curve``), times each param group's ``lr_scale``.

Recorded per step: the batch loss before the update (what a training loop logs), the lr, the global gradient
norm, and per layer the update-to-weight ratio ``‖Δθ_l‖ / ‖θ_l‖``. At probe steps (the first
:data:`EARLY_PROBES` steps, then about :data:`PROBES` evenly spaced): the dead-ReLU fraction and, for Adam and
AdamW, percentiles of the effective step ``lr / (√v̂ + eps)``. Held-out loss and accuracy about
:data:`EVALS` times per run. A run diverges when its loss is non-finite or above
:data:`DIVERGE_FACTOR` times its first loss: it stops there (the remaining steps are NaN).

The network trains in float32 by default, as torch does (its default dtype): matrix products and the
optimizer's element-wise passes cost about half of float64's, and a float32 run follows the float64 one to
~1e-7 relative over its first 50 steps. ``dtype=np.float64`` trains in float64 (what the parity tests compare
with torch.optim and autograd). The metrics are stored in float64 either way (a float32 run's norms are
float32 dot products, redone in float64 if one overflows).

Longer schedules are compressed to the steps trained: training step ``t`` of ``n`` reads the schedule at
step ``floor(t · total_steps / n)``, so warmup, decay and restarts keep their place in the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

import schedules
from schedules import Spec
from tasks import datasets, optimizers
from tasks.deep_mlp import DEFAULT_SIZES, DeepMLP

#: At most this many training steps per run (the page's cost bound).
MAX_TRAIN_STEPS = 2000
DEFAULT_STEPS = 600
BATCH_SIZE = 64
DIVERGE_FACTOR = 10.0
EARLY_PROBES = 12
PROBES = 60
EVALS = 20
#: Percentiles of the effective step recorded for Adam and AdamW.
STEP_PERCENTILES = (5.0, 50.0, 95.0)


@dataclass(frozen=True)
class Run:
    """What one training run recorded. Arrays are per step (length ``steps``), NaN after a divergence."""

    optimizer: str
    task: str
    seed: int
    steps: int
    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    #: ``(steps, n_layers)``: ``‖Δθ_l‖ / ‖θ_l‖`` of each layer's update (weights and bias together).
    update_ratio: np.ndarray
    probe_steps: np.ndarray
    dead_relu: np.ndarray
    #: ``(len(probe_steps), len(STEP_PERCENTILES))``; None for optimizers without a second moment.
    effective_step: np.ndarray | None
    eval_steps: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged_at: int | None
    #: Which layers (0 = input side) each param group trained: ``(name, lr_scale, first, last)``.
    groups: tuple[tuple[str, float, int, int], ...] = field(default=())
    #: What the network trained in: ``float32`` (the default, torch's) or ``float64``.
    dtype: str = "float32"

    @property
    def initial_loss(self) -> float:
        return float(self.loss[0])


def lr_per_step(spec: Spec, steps: int) -> np.ndarray:
    """The schedule's lr for each of ``steps`` training steps (compressed when ``total_steps > steps``)."""
    total = spec.total_steps
    at = np.arange(steps, dtype=np.int64)
    if total != steps:
        at = (at * total) // steps
    return schedules.curve(spec, at)


def percentiles(values: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, q)`` (its default ``linear`` method: ``x[⌊k⌋] + (x[⌊k⌋+1] − x[⌊k⌋])·frac(k)``
    with ``k = q/100·(n − 1)`` in the sorted values), from one sort. NumPy's vectorized sort of ~10⁵ values is
    about twice as fast as the selection ``np.percentile`` runs; NaN anywhere gives NaN, as there."""
    s = np.sort(values, axis=None)
    if s.size == 0 or np.isnan(s[-1]):
        return np.full(len(q), np.nan)
    k = np.asarray(q, dtype=np.float64) / 100.0 * (s.size - 1)
    lo = np.floor(k).astype(np.int64)
    hi = np.minimum(lo + 1, s.size - 1)
    frac = k - lo
    a, b = s[lo].astype(np.float64), s[hi].astype(np.float64)
    # NumPy's lerp: from the nearer end, so the result is exact at frac 0 and 1 and monotone in between.
    return np.where(frac >= 0.5, b - (b - a) * (1.0 - frac), a + (b - a) * frac)


def _sq_norm(x: np.ndarray) -> float:
    """``‖x‖²`` as one BLAS dot product; redone in float64 when a float32 sum overflows (a blowing-up run)."""
    value = float(np.dot(x, x))
    if math.isinf(value) and x.dtype != np.float64:
        value = float(np.dot(x.astype(np.float64), x.astype(np.float64)))
    return value


def layer_groups(spec: Spec, n_layers: int) -> tuple[tuple[str, float, int, int], ...]:
    """Param groups mapped onto the layers: contiguous, input side first, as even as possible.

    No groups: one group ``lr`` (scale 1) over every layer. Groups beyond the number of layers get none.
    """
    if not spec.param_groups:
        return (("lr", 1.0, 0, n_layers),)
    out = []
    split = np.array_split(np.arange(n_layers), len(spec.param_groups))
    for g, layers in zip(spec.param_groups, split, strict=True):
        if layers.size:
            out.append((g.name, g.lr_scale, int(layers[0]), int(layers[-1]) + 1))
    return tuple(out)


def run(
    spec: Spec,
    optimizer: str = "adam",
    task: str = "teacher",
    seed: int = 0,
    *,
    steps: int | None = None,
    batch_size: int = BATCH_SIZE,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    on_step: Callable[[int, int], None] | None = None,
    dtype: DTypeLike = np.float32,
    **hyper: Any,
) -> Run:
    """Train under ``spec`` and record the run (see the module docstring).

    Args:
        spec: the schedule; its ``lr`` is the peak the optimizer sees.
        optimizer: a name of :data:`tasks.optimizers.NAMES`; ``hyper`` are its torch.optim hyperparameters.
        task: a name of :data:`tasks.datasets.TASKS`.
        seed: the model's init and the batch order.
        steps: training steps (default ``min(total_steps, 600)``, at most :data:`MAX_TRAIN_STEPS`).
        on_step: called as ``on_step(done, steps)`` after every step (progress bars).
        dtype: float32 (torch's default dtype, what the page trains in) or float64 (what the parity tests
            compare with torch).

    Raises:
        ValueError: an unknown task or optimizer, a bad hyperparameter or step count.
    """
    n = min(spec.total_steps, DEFAULT_STEPS) if steps is None else steps
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TRAIN_STEPS:
        raise ValueError(f"steps: must be an integer from 1 to {MAX_TRAIN_STEPS} (got {n!r})")
    data = datasets.load(task)
    model = DeepMLP(sizes, seed, dtype)
    x_train, x_test = data.x_train.astype(model.dtype), data.x_test.astype(model.dtype)
    groups = layer_groups(spec, model.n_layers)
    params = [model.layer_slice(first, last) for _, _, first, last in groups]
    grads = [model.grad[model.bounds[first] : model.bounds[last]] for _, _, first, last in groups]
    opt = optimizers.make(optimizer, params, **hyper)
    base_lr = lr_per_step(spec, n)
    scales = np.array([scale for _, scale, _, _ in groups])

    rng = np.random.default_rng(seed + 1)
    n_train = len(data.x_train)
    order, pos = rng.permutation(n_train), 0

    layers = model.n_layers
    loss = np.full(n, np.nan)
    grad_norm = np.full(n, np.nan)
    probe_steps = np.unique(np.concatenate([np.arange(min(EARLY_PROBES, n)),
                                            np.linspace(0, n - 1, PROBES).astype(np.int64)]))
    is_probe = np.zeros(n, dtype=bool)
    is_probe[probe_steps] = True
    dead = np.full(probe_steps.size, np.nan)
    adam_like = isinstance(opt, optimizers.Adam)
    eff = np.full((probe_steps.size, len(STEP_PERCENTILES)), np.nan) if adam_like else None
    eval_steps = np.unique(np.linspace(0, n, EVALS + 1).astype(np.int64))
    test_loss = np.full(eval_steps.size, np.nan)
    test_acc = np.full(eval_steps.size, np.nan)
    next_eval = 0

    prev = np.empty_like(model.theta)
    delta = np.empty_like(model.theta)
    # Each layer's slice of the two buffers, taken once: its squared norms are dot products of these views.
    spans = list(zip(model.bounds[:-1].tolist(), model.bounds[1:].tolist(), strict=True))
    delta_layers = [delta[a:b] for a, b in spans]
    prev_layers = [prev[a:b] for a, b in spans]
    moved = np.full((n, layers), np.nan)  # ‖Δθ_l‖²
    size = np.full((n, layers), np.nan)  # ‖θ_l‖² before the update
    # Each step's lr per param group, as Python floats once rather than an array product per step.
    lr_rows = (base_lr[:, None] * scales).tolist()
    diverged_at = None
    probe_i = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(n):
            if next_eval < eval_steps.size and eval_steps[next_eval] == t:
                test_loss[next_eval], test_acc[next_eval] = model.evaluate(x_test, data.y_test)
                next_eval += 1
            if pos + batch_size > n_train:
                order, pos = rng.permutation(n_train), 0
            idx = order[pos : pos + batch_size]
            pos += batch_size
            value = model.loss_and_grad(x_train[idx], data.y_train[idx])
            loss[t] = value
            if not math.isfinite(value) or value > DIVERGE_FACTOR * loss[0]:
                diverged_at = t
                break
            grad_norm[t] = math.sqrt(_sq_norm(model.grad))
            np.copyto(prev, model.theta)
            lr_t = lr_rows[t]
            opt.step(grads, lr_t)
            np.subtract(model.theta, prev, out=delta)
            moved[t] = [_sq_norm(d) for d in delta_layers]
            size[t] = [_sq_norm(p) for p in prev_layers]
            if is_probe[t]:
                dead[probe_i] = model.dead_fraction()
                if eff is not None:
                    values = np.concatenate([opt.effective_step(i, lr_t[i]) for i in range(len(params))])
                    eff[probe_i] = percentiles(values, STEP_PERCENTILES)
                probe_i += 1
            if on_step is not None:
                on_step(t + 1, n)
        if diverged_at is None and next_eval < eval_steps.size:
            test_loss[next_eval:], test_acc[next_eval:] = model.evaluate(x_test, data.y_test)
        ratio = np.sqrt(moved / size)
    return Run(
        optimizer=optimizer, task=task, seed=seed, steps=n, loss=loss, lr=base_lr, grad_norm=grad_norm,
        update_ratio=ratio, probe_steps=probe_steps, dead_relu=dead, effective_step=eff, eval_steps=eval_steps,
        test_loss=test_loss, test_accuracy=test_acc, diverged_at=diverged_at, groups=groups,
        dtype=model.dtype.name,
    )


@dataclass(frozen=True)
class Summary:
    """The numbers of one run the page tabulates."""

    final_loss: float
    final_accuracy: float
    max_early_loss: float
    steps_to_target: int | None
    first_updates_ratio: float
    diverged_at: int | None


def final_loss(r: Run, window: int = 50) -> float:
    """Mean batch loss over the last ``window`` steps (a single batch is noisy); inf if the run diverged."""
    if r.diverged_at is not None:
        return float("inf")
    return float(np.mean(r.loss[-min(window, r.steps):]))


def summarize(r: Run, target: float, early: int = 100, first: int = 3) -> Summary:
    """Final loss (last-50-step mean), held-out accuracy at the end, max loss over the first ``early`` steps,
    the first step whose loss is ``<= target`` (None if never), and the root-sum-square of the whole network's
    ``‖Δθ‖/‖θ‖`` over its first ``first`` updates, averaged over layers (how far the first steps moved it)."""
    reached = np.flatnonzero(r.loss <= target)
    head = r.loss[: min(early, r.steps)]
    return Summary(
        final_loss=final_loss(r),
        final_accuracy=float(r.test_accuracy[-1]) if r.diverged_at is None else float("nan"),
        max_early_loss=float(np.nanmax(head)) if r.diverged_at is None or r.diverged_at >= early else float("inf"),
        steps_to_target=int(reached[0]) if reached.size else None,
        first_updates_ratio=float(np.nanmean(np.sqrt(np.nansum(r.update_ratio[:first] ** 2, axis=0)))),
        diverged_at=r.diverged_at,
    )
