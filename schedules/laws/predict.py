"""Predicted loss curves of a spec under a law: :func:`predict` and its :class:`Prediction`.

Conventions (the multi-power-law authors' evaluation code, github.com/thu-yao-01-luo/MultiPowerLaw,
``src/evaluation.py`` lines 24-43, which reproduces their published errors): ``eta_k`` is the lr of update ``k``
(``curve(spec)[k]``, warmup included), and the loss predicted at update ``s`` uses the lrs of updates
``0 .. s``: ``S1(s) = eta_0 + ... + eta_s`` and the loss-drop sum over ``k = 1 .. s``, the warmup's rise
included (there it adds a little loss back). The paper writes the same law with the sums starting after
warmup and the warmup's area as a separate ``S_W``; the published parameters go with the code's form. Their
``src/optimization.py`` (lines 40-56) uses the paper's form (``S_W = peak * W / 2``, no warmup terms) to
optimise a schedule. The two forms differ by nearly a constant for a given warmup and peak: the warmup's rise,
counted by the code's form as loss added back, is about ``B * peak`` (0.11 to 0.16 nats with the published
parameters), so the paper's form gives lower absolute losses while the differences between schedules with the
same warmup agree to about 1e-3 nats (``scripts/laws_published.py`` reproduces the final losses the authors'
optimiser logged, in their form). Every schedule is evaluated from the lr before training, 0 (:func:`from_rest`),
so a schedule without warmup pays the same rise as the authors' runs, which all warm up from 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules.curve import curve
from schedules.errors import SpecError
from schedules.laws import annealing, mpl
from schedules.laws.params import FittedOn, law_of, params_from_dict, preset
from schedules.spec import Spec, load_spec

#: Points of a default predicted curve (enough to draw it).
DEFAULT_POINTS = 1000
#: Default certified bound on the multi-power law's evaluation error, in loss units (nats).
DEFAULT_TOL = 1e-4
MAX_POINTS = 200_000


@dataclass(frozen=True)
class Prediction:
    """A predicted loss curve: ``loss[i]`` is the loss after update ``steps[i]``.

    ``bound`` is a certified bound on ``|loss - exact evaluation of the law|`` over all points (the fast
    evaluation of the multi-power law's double sum; 0 for the annealing law, which is exact). ``notes`` say
    where the prediction leaves what its parameters were fitted on.
    """

    law: str
    steps: np.ndarray
    loss: np.ndarray
    bound: float
    notes: tuple[str, ...]

    @property
    def final(self) -> float:
        return float(self.loss[-1])


@dataclass(frozen=True)
class Resolved:
    """A law's parameters made ready: checked values and what they were fitted on (None: unknown)."""

    law: str
    params: dict[str, float]
    fitted_on: FittedOn | None
    origin: str


def resolve(law: Any, params: Any) -> Resolved:
    """Accept a preset name, a :class:`~schedules.laws.fitting.Fit` or a plain dict of parameters."""
    name = law_of(law).name
    if isinstance(params, str):
        p = preset(params)
        if p.law != name:
            raise SpecError("law", f"does not match the preset {p.name!r} (a {p.law} parameter set)", name)
        return Resolved(name, dict(p.params), p.fitted_on, p.label)
    if hasattr(params, "params") and hasattr(params, "fitted_on") and hasattr(params, "law"):
        if params.law != name:
            raise SpecError("law", f"does not match the fit (a {params.law} fit)", name)
        return Resolved(name, params_from_dict(name, params.params), params.fitted_on, "fitted to your run")
    return Resolved(name, params_from_dict(name, params), None, "parameters given directly")


def warmup_end(spec: Spec) -> int:
    """The first update of the main schedule (where the warmup's rise has ended)."""
    return min(spec.warmup.steps, spec.total_steps - 1)


def default_steps(first: int, total: int, points: int = DEFAULT_POINTS) -> np.ndarray:
    """About ``points`` updates spread evenly over ``first .. total - 1``, both ends included."""
    return np.unique(np.linspace(first, total - 1, min(points, total - first)).round().astype(np.int64))


def check_steps(at: Any, total: int, field: str = "at") -> np.ndarray:
    """Validate update indices: a 1-D list of whole numbers within ``0 .. total - 1``."""
    arr = np.asarray(at)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise SpecError(field, "must be whole numbers (update indices)", str(arr.dtype))
    if arr.ndim != 1 or arr.size == 0:
        raise SpecError(field, "must be a non-empty list of update indices")
    if arr.size > MAX_POINTS:
        raise SpecError(field, f"must have at most {MAX_POINTS} points", arr.size)
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr) & (arr == np.floor(arr))):
        raise SpecError(field, "must be whole numbers (update indices)")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= total:
        raise SpecError(
            field,
            f"must lie within 0 .. {total - 1} (the run's updates)",
            int(arr.min() if arr.min() < 0 else arr.max()),
        )
    return arr


def mpl_curve(pre: mpl.Prefix, at: np.ndarray, p: dict[str, float], tol: float) -> tuple[np.ndarray, float]:
    """The multi-power law at updates ``at`` of the lr array behind ``pre``, and the certified bound.

    Blocks are refined until each point's bound is within ``tol`` (nats): a first pass with a per-block
    threshold ``tol / B``, then the points still over ``tol`` again with the threshold scaled down.
    """
    c, beta, gamma, b = p["C"], p["beta"], p["gamma"], p["B"]
    area = pre.pz[at + 1]
    base = p["L0"] + p["A"] * np.power(area, -p["alpha"])
    if b == 0.0:
        return base, 0.0
    eps = np.full(len(at), tol / b if tol > 0 else 0.0)
    value, bound, _ = mpl.loss_drop(pre, at, c, beta, gamma, eps)
    for _ in range(6):
        over = np.flatnonzero(b * bound > tol)
        if not len(over):
            break
        eps_o = eps[over] * 0.5 * tol / (b * bound[over])
        v, bd, _ = mpl.loss_drop(pre, at[over], c, beta, gamma, eps_o)
        value[over], bound[over], eps[over] = v, bd, eps_o
    return base + b * value, float(b * bound.max())


def annealing_curve(eta: np.ndarray, at: np.ndarray, p: dict[str, float], start: int) -> np.ndarray:
    """The annealing law at updates ``at``; the momentum starts after update ``start`` (the warmup's end)."""
    s1, s2 = annealing.areas(eta, start, p["lam"])
    return p["L0"] + p["A"] * np.power(s1[at], -p["alpha"]) - p["C"] * s2[at]


def from_rest(eta: np.ndarray) -> tuple[np.ndarray, int]:
    """The lrs preceded by the lr before training, 0, when the first update's lr is above it; and the shift
    of update indices this adds (1, or 0 when the run already starts from 0).

    Why: the multi-power law's loss-drop sum counts every lr change, a rise too (it adds loss back). The
    authors' runs all warm up from 0, so their fitted ``L0`` includes the rise to the peak (``B × peak`` once the
    run is long: ~0.16 nats with the 400M parameters). Read literally, a schedule starting at its peak would skip
    that term and be predicted ~0.16 nats lower than the same schedule with any warmup, an artifact of the
    fits' fixed warmup. Counting its jump from 0 like a one-update warmup keeps schedules with and without
    warmup comparable; for schedules starting from 0 (a warmup from 0, as the authors') nothing changes. The
    annealing law's areas are unchanged by a leading 0.
    """
    if eta.size and eta[0] > 0:
        return np.concatenate([np.zeros(1), eta]), 1
    return eta, 0


def evaluate(
    law: str, eta: np.ndarray, at: np.ndarray, p: dict[str, float], start: int, tol: float = DEFAULT_TOL
) -> tuple[np.ndarray, float]:
    """A law's loss at updates ``at`` of a plain lr array (checked parameters, positive lr area at ``at``),
    the lr before training taken as 0 (:func:`from_rest`)."""
    eta, lead = from_rest(eta)
    at, start = at + lead, start + lead
    if law == "mpl":
        return mpl_curve(mpl.prefix(eta), at, p, tol)
    return annealing_curve(eta, at, p, start), 0.0


def range_notes(fitted_on: FittedOn | None, origin: str, peak: float, steps: int) -> list[str]:
    """Where a run leaves what the parameters were fitted on, in words."""
    if fitted_on is None:
        return [f"{origin}: no record of what they were fitted on, so no range check"]
    notes = []
    low, high = fitted_on.peak_lr
    if peak < low * (1 - 1e-6) or peak > high * (1 + 1e-6):
        fitted = f"{low:g}" if low == high else f"{low:g} .. {high:g}"
        notes.append(
            f"peak lr {peak:g} is outside the fitted peak lr ({fitted}): the law is fitted at its peak "
            "lr and does not carry to another one; treat this as a guess"
        )
    # 2 % of slack: a log's last point falls up to one logging interval before the run's end.
    if steps > fitted_on.steps * 1.02:
        tested = fitted_on.tested_steps
        if tested is not None and steps <= tested:
            notes.append(
                f"{steps:,} updates is longer than the fitted runs ({fitted_on.steps:,}); the "
                f"parameters were tested up to {tested:,}"
            )
        else:
            notes.append(
                f"{steps:,} updates is longer than anything the parameters were fitted or tested on "
                f"({max(fitted_on.steps, tested or 0):,}): an extrapolation"
            )
    return notes


def predict(spec: Spec | Any, law: str, params: Any, at: Any = None, *, tol: float = DEFAULT_TOL) -> Prediction:
    """The loss a law predicts for ``spec`` at updates ``at``.

    Args:
        spec: a :class:`Spec` or anything :func:`load_spec` accepts; its lr curve is ``curve(spec)``.
        law: ``"mpl"`` (multi-power law, Luo et al. 2025) or ``"annealing"`` (Tissue et al. 2024).
        params: a preset name (see ``PRESETS``), a :class:`~schedules.laws.fitting.Fit`, or a dict of the
            law's parameters (checked by :func:`params_from_dict`).
        at: update indices (default: about 1,000 updates from the end of warmup to the last update).
        tol: the multi-power law's certified evaluation error bound, in nats (0: the exact double sum,
            O(T) per point). The bound actually reached is ``Prediction.bound``.

    Raises:
        SpecError: an invalid spec, law, parameter (``params.<name>``) or ``at``.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    res = resolve(law, params)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0.0 <= tol <= 1.0:
        raise SpecError("tol", "must be a number >= 0 and <= 1", tol)
    eta = curve(spec)
    first = int(np.argmax(eta > 0.0))  # the lr area is > 0 from the first update with a positive lr on
    if eta[first] <= 0.0:
        raise SpecError("lr", "must be > 0 at some update for a loss to be predicted")
    steps = (
        default_steps(max(first, warmup_end(spec)), spec.total_steps)
        if at is None
        else check_steps(at, spec.total_steps)
    )
    if steps.min() < first:
        raise SpecError("at", f"must be updates after the lr first becomes > 0 (update {first})", int(steps.min()))
    loss, bound = evaluate(res.law, eta, steps, res.params, warmup_end(spec), float(tol))
    notes = range_notes(res.fitted_on, res.origin, float(eta.max()), spec.total_steps)
    if spec.param_groups:
        notes.append("predicted for the spec's base lr; the param groups' lr_scale is not modelled")
    return Prediction(res.law, steps, loss, bound, tuple(notes))
