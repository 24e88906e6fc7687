"""The optimizers people train with, in NumPy, step for step equal to ``torch.optim`` (float64, CPU).

``make(name, params, **hyper)`` returns an optimizer over ``params`` (a list of float32 or float64 arrays,
updated in place; the state takes each param's dtype, as torch's does); ``opt.step(grads, lr)`` applies one
update with ``lr`` a float or one float per param (param groups). Python-float hyperparameters never promote
a float32 param (NumPy 2's scalar rules), so float32 training stays float32 throughout.
Hyperparameters are named and defaulted as in ``torch.optim`` and the update order is torch's, which is what
makes the results equal to rounding:

- ``sgd``: ``g += wd·p``; momentum buffer ``b = g`` at the first step (not ``0``), then
  ``b = μ·b + (1 − dampening)·g``; Nesterov uses ``g + μ·b``; ``p -= lr·(b or g)``.
- ``adagrad``: ``g += wd·p``; ``clr = lr / (1 + (t − 1)·lr_decay)``; ``s += g²``; ``p -= clr·g / (√s + eps)``
  with ``s`` starting at ``initial_accumulator_value`` and ``eps = 1e-10``.
- ``rmsprop``: ``g += wd·p``; ``v = α·v + (1 − α)·g²`` with no bias correction (so the first step is
  ``lr·g / (√(1−α)·|g| + eps)`` ≈ ``10·lr·sign(g)`` at α = 0.99); ``centered`` subtracts the squared mean
  gradient; eps is added after the square root; momentum ``b = μ·b + g/avg`` starts at 0.
- ``adam``: ``g += wd·p``; ``m = β1·m + (1 − β1)·g``; ``v = β2·v + (1 − β2)·g²``;
  ``p -= lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)``: eps sits outside the bias-corrected root.
  ``amsgrad`` keeps the running max of ``v``.
- ``adamw``: ``p *= 1 − lr·wd`` (decoupled decay with the scheduled lr, default ``wd = 1e-2``), then Adam.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Every optimizer ``make`` builds, with ``torch.optim``'s defaults.
DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "adagrad": {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False},
    "adam": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
    "adamw": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False},
}
NAMES = tuple(DEFAULTS)


class OptimizerError(ValueError):
    """A hyperparameter outside what ``torch.optim`` accepts; the message names it and the rule."""


def _check(name: str, hyper: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults and apply torch.optim's own argument checks (same rules, one-line messages)."""
    if name not in DEFAULTS:
        raise OptimizerError(f"optimizer: must be one of {', '.join(NAMES)} (got {name!r})")
    unknown = set(hyper) - set(DEFAULTS[name])
    if unknown:
        raise OptimizerError(f"{sorted(unknown)[0]}: not a hyperparameter of {name} "
                             f"(known: {', '.join(DEFAULTS[name])})")
    h = {**DEFAULTS[name], **hyper}
    for key, value in h.items():
        if key in ("nesterov", "centered", "amsgrad"):
            if not isinstance(value, (bool, np.bool_)):
                raise OptimizerError(f"{key}: must be true or false (got {value!r})")
            h[key] = bool(value)
        elif key == "betas":
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise OptimizerError(f"betas: must be two numbers (got {value!r})")
            b1, b2 = (_number("betas", v) for v in value)
            if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
                raise OptimizerError(f"betas: each must be >= 0 and < 1 (got {value!r})")
            h[key] = (b1, b2)
        else:
            h[key] = _number(key, value)
            if h[key] < 0.0:
                raise OptimizerError(f"{key}: must be >= 0 (got {value!r})")
    if name == "sgd" and h["nesterov"] and (h["momentum"] <= 0.0 or h["dampening"] != 0.0):
        raise OptimizerError("nesterov: needs momentum > 0 and dampening 0")
    if name == "rmsprop" and h["alpha"] > 1.0:
        raise OptimizerError(f"alpha: must be <= 1 (got {h['alpha']!r})")
    return h


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or \
            not math.isfinite(float(value)):
        raise OptimizerError(f"{key}: must be a finite number (got {value!r})")
    return float(value)


class Optimizer:
    """Base: holds the params, the hyperparameters and the step count; subclasses implement ``_update``."""

    name = ""

    def __init__(self, params: Sequence[np.ndarray], **hyper: Any) -> None:
        self.params = list(params)
        for p in self.params:
            if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
                raise OptimizerError("params: must be float32 or float64 NumPy arrays")
        self.hyper = _check(self.name, hyper)
        self.t = 0
        self._init_state()

    def _init_state(self) -> None:
        """Per-param state buffers (created once, updated in place)."""

    def step(self, grads: Sequence[np.ndarray], lr: float | Sequence[float]) -> None:
        """One update of every param with its gradient; ``lr`` is one float or one per param."""
        lrs = [float(lr)] * len(self.params) if np.isscalar(lr) else [float(x) for x in lr]  # type: ignore[union-attr]
        if len(lrs) != len(self.params) or len(grads) != len(self.params):
            raise OptimizerError("step: needs one gradient (and one lr, if a list) per param")
        self.t += 1
        for i, (p, g, rate) in enumerate(zip(self.params, grads, lrs, strict=True)):
            self._update(i, p, g, rate)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def _decayed(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        """``g + wd·p`` (L2 penalty folded into the gradient, as torch does for all but AdamW)."""
        wd = self.hyper["weight_decay"]
        return g + wd * p if wd else g


class SGD(Optimizer):
    """``torch.optim.SGD``: plain, with momentum (buffer starts at the first gradient), dampening, Nesterov."""

    name = "sgd"

    def _init_state(self) -> None:
        self.bufs: list[np.ndarray | None] = [None] * len(self.params)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        h = self.hyper
        g = self._decayed(p, g)
        mu = h["momentum"]
        if mu:
            buf = self.bufs[i]
            if buf is None:
                buf = self.bufs[i] = np.array(g, copy=True)
            else:
                buf *= mu
                buf += (1.0 - h["dampening"]) * g
            g = g + mu * buf if h["nesterov"] else buf
        p -= lr * g


class Adagrad(Optimizer):
    """``torch.optim.Adagrad``: ``p -= lr/(1+(t−1)·lr_decay) · g/(√s + eps)``, ``s += g²``."""

    name = "adagrad"

    def _init_state(self) -> None:
        self.sums = [np.full_like(p, self.hyper["initial_accumulator_value"]) for p in self.params]

    def _update(self, i: int, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        h = self.hyper
        g = self._decayed(p, g)
        clr = lr / (1.0 + (self.t - 1) * h["lr_decay"])
        s = self.sums[i]
        s += g * g
        std = np.sqrt(s)
        std += h["eps"]
        p -= clr * (g / std)


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``: ``v = α·v + (1−α)·g²`` (no bias correction), eps after the root."""

    name = "rmsprop"

    def _init_state(self) -> None:
        self.square_avg = [np.zeros_like(p) for p in self.params]
        self.grad_avg = [np.zeros_like(p) for p in self.params] if self.hyper["centered"] else []
        self.bufs = [np.zeros_like(p) for p in self.params] if self.hyper["momentum"] else []

    def _update(self, i: int, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        h = self.hyper
        g = self._decayed(p, g)
        alpha = h["alpha"]
        v = self.square_avg[i]
        v *= alpha
        v += (1.0 - alpha) * (g * g)
        if h["centered"]:
            m = self.grad_avg[i]
            m += (1.0 - alpha) * (g - m)  # torch: grad_avg.lerp_(g, 1 - alpha)
            avg = np.sqrt(v - m * m)
        else:
            avg = np.sqrt(v)
        avg += h["eps"]
        if h["momentum"]:
            buf = self.bufs[i]
            buf *= h["momentum"]
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * (g / avg)


class Adam(Optimizer):
    """``torch.optim.Adam``: ``p -= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)``."""

    name = "adam"

    def _init_state(self) -> None:
        self.exp_avg = [np.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [np.zeros_like(p) for p in self.params]
        self.max_sq = [np.zeros_like(p) for p in self.params] if self.hyper["amsgrad"] else []
        self.scratch = [np.empty_like(p) for p in self.params]
        self.denom = [np.empty_like(p) for p in self.params]

    def _decoupled(self, p: np.ndarray, lr: float) -> None:
        """Adam folds weight decay into the gradient (``_decayed``); AdamW overrides this."""

    def _update(self, i: int, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        h = self.hyper
        b1, b2 = h["betas"]
        self._decoupled(p, lr)
        if self.name == "adam":
            g = self._decayed(p, g)
        m, v = self.exp_avg[i], self.exp_avg_sq[i]
        # In place, through one scratch array per param: the update is memory-bound, temporaries cost more
        # than the arithmetic.
        tmp = self.scratch[i]
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - b1
        m += tmp  # torch: exp_avg.lerp_(g, 1 - beta1)
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        if h["amsgrad"]:
            np.maximum(self.max_sq[i], v, out=self.max_sq[i])
            v = self.max_sq[i]
        denom = self.denom[i]
        np.sqrt(v, out=denom)
        denom /= math.sqrt(1.0 - b2**self.t)
        denom += h["eps"]
        np.divide(m, denom, out=tmp)
        tmp *= lr / (1.0 - b1**self.t)
        p -= tmp

    def effective_step(self, i: int, lr: float) -> np.ndarray:
        """``lr / (√v̂ + eps)`` per element of param ``i`` after the last step: the per-weight step size that
        multiplies the bias-corrected first moment (how far Adam lets each weight move)."""
        h = self.hyper
        v = self.max_sq[i] if h["amsgrad"] else self.exp_avg_sq[i]
        return lr / (np.sqrt(v / (1.0 - h["betas"][1] ** max(self.t, 1))) + h["eps"])


class AdamW(Adam):
    """``torch.optim.AdamW``: ``p *= 1 − lr·wd`` first (decoupled, with the scheduled lr), then Adam."""

    name = "adamw"

    def _decoupled(self, p: np.ndarray, lr: float) -> None:
        wd = self.hyper["weight_decay"]
        if wd:
            p *= 1.0 - lr * wd


_CLASSES: dict[str, type[Optimizer]] = {c.name: c for c in (SGD, Adagrad, RMSprop, Adam, AdamW)}


def make(name: str, params: Sequence[np.ndarray], **hyper: Any) -> Optimizer:
    """The optimizer ``name`` (``sgd``, ``adagrad``, ``rmsprop``, ``adam``, ``adamw``) over ``params``.

    Raises:
        OptimizerError: unknown name or hyperparameter, or a value torch.optim would refuse.
    """
    if name not in _CLASSES:
        raise OptimizerError(f"optimizer: must be one of {', '.join(NAMES)} (got {name!r})")
    return _CLASSES[name](params, **hyper)
