"""Shared tools for the parity tests: build specs, step real schedulers, compare curves.

Tolerances follow the precision each framework computes in:

- float64 frameworks (torch, transformers, the seeds' Python formulas): ``|a - r| <= rtol * |r| + atol``
  with ``atol = 1e-15 * lr``. The tiny absolute term only matters where the reference is ~0 (a warmup
  starting from 0, a decay ending at 0), where a relative error is meaningless. The relative error is
  also reported separately over the points where ``|r| > 1e-6 * lr``.
- float32 frameworks (Keras, optax): ``|a - r| <= 1e-6 * lr``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import schedules

#: Closed-form torch classes, transformers' LambdaLR schedules and the seeds' formulas.
RTOL_CLOSED = 1e-12
#: torch's recursive ("chainable") classes multiply the previous lr each step, so rounding accumulates.
RTOL_RECURSIVE = 1e-9
#: float32 frameworks: absolute error as a fraction of the peak lr.
F32_TOL = 1e-6
#: Absolute floor of the float64 comparison, as a fraction of the peak lr.
ATOL_FRACTION = 1e-15


def make_spec(total: int, lr: float, family: str, warmup: int = 0, start_lr: float = 0.0, warmup_shape: str = "linear",
              momentum: tuple[float, float] | None = None, **params: Any) -> schedules.Spec:
    """A validated spec from keyword arguments (schedule parameters as ``**params``)."""
    data: dict[str, Any] = {
        "total_steps": total,
        "lr": lr,
        "schedule": {"type": family, **params},
    }
    if warmup:
        data["warmup"] = {"steps": warmup, "start_lr": start_lr, "shape": warmup_shape}
    if momentum is not None:
        data["momentum"] = {"base": momentum[0], "max": momentum[1]}
    return schedules.load_spec(data)


def new_optimizer(lr: float, momentum: float | None = None) -> torch.optim.SGD:
    """An SGD optimizer over one float64 parameter (its lr is a Python float, so float64)."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    if momentum is None:
        return torch.optim.SGD([param], lr=lr)
    return torch.optim.SGD([param], lr=lr, momentum=momentum)


def run_torch(opt: torch.optim.Optimizer, sched: Any, n: int, key: str = "lr",
              per_epoch: int | None = None) -> np.ndarray:
    """The value of ``param_groups[0][key]`` used by each of ``n`` updates of a training loop.

    The loop is the documented one: read the lr, ``opt.step()``, then ``sched.step()`` (after every
    update, or after every ``per_epoch`` updates for an epoch-stepped scheduler).
    """
    out = np.empty(n)
    group = opt.param_groups[0]
    for t in range(n):
        out[t] = group[key]
        opt.step()
        if per_epoch is None or (t + 1) % per_epoch == 0:
            sched.step()
    return out


def run_torch_both(opt: torch.optim.Optimizer, sched: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`run_torch` but records the lr and the SGD momentum of each update."""
    lrs, moms = np.empty(n), np.empty(n)
    group = opt.param_groups[0]
    for t in range(n):
        lrs[t] = group["lr"]
        moms[t] = group["momentum"]
        opt.step()
        sched.step()
    return lrs, moms


def relative_errors(actual: np.ndarray, ref: np.ndarray, scale: float) -> tuple[float, float]:
    """(max relative error where ``|ref| > 1e-6 * scale``, max ``|actual - ref| / scale``)."""
    diff = np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(ref, dtype=np.float64))
    ref_abs = np.abs(np.asarray(ref, dtype=np.float64))
    big = ref_abs > 1e-6 * scale
    rel = float(np.max(diff[big] / ref_abs[big])) if big.any() else 0.0
    return rel, float(np.max(diff) / scale) if diff.size else 0.0


def assert_rel(actual: np.ndarray, ref: np.ndarray, rtol: float, scale: float,
               record: Callable[[str, object], None] | None = None, what: str = "lr") -> float:
    """Assert float64 agreement at every step: ``|a - r| <= rtol |r| + 1e-15 scale``.

    Returns (and records under ``max_rel_<what>``) the worst relative error where ``|r| > 1e-6 scale``.
    """
    actual = np.asarray(actual, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert actual.shape == ref.shape, (actual.shape, ref.shape)
    assert np.all(np.isfinite(actual)) and np.all(np.isfinite(ref))
    bound = rtol * np.abs(ref) + ATOL_FRACTION * scale
    bad = np.flatnonzero(np.abs(actual - ref) > bound)
    rel, _ = relative_errors(actual, ref, scale)
    if record is not None:
        record(f"max_rel_{what}", rel)
    assert bad.size == 0, (
        f"{bad.size} steps differ, first at t={bad[0]}: engine {actual[bad[0]]!r}, reference {ref[bad[0]]!r}; "
        f"max relative error {rel:.3g}"
    )
    return rel


def assert_f32(actual: np.ndarray, ref: np.ndarray, scale: float,
               record: Callable[[str, object], None] | None = None, what: str = "lr") -> float:
    """Assert float32-level agreement at every step: ``|a - r| <= 1e-6 * scale``; return max ``|a - r| / scale``."""
    actual = np.asarray(actual, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert actual.shape == ref.shape, (actual.shape, ref.shape)
    assert np.all(np.isfinite(ref))
    err = np.abs(actual - ref) / scale
    worst = float(err.max())
    if record is not None:
        record(f"max_abs_over_lr_{what}", worst)
    bad = np.flatnonzero(err > F32_TOL)
    assert bad.size == 0, (
        f"{bad.size} steps differ, first at t={bad[0]}: engine {actual[bad[0]]!r}, reference {ref[bad[0]]!r}; "
        f"max |diff|/lr {worst:.3g}"
    )
    return worst
