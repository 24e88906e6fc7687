"""Fit a law to a logged run and say how well it predicts the part of the run it did not see.

The objective is the multi-power-law authors' (github.com/thu-yao-01-luo/MultiPowerLaw, ``src/models.py``
lines 51-53 and ``src/utils.py`` lines 8-10, ``HUBER_DELTA = 0.001`` in ``src/config.py`` line 42): the sum over
logged points of ``huber_0.001(log(loss) - log(prediction))``, quadratic for log-errors under 0.1 % and linear
above, so a few spikes in a log do not drag the fit. It is minimised with scipy's ``least_squares`` (``loss=
"huber"``, ``f_scale=0.001`` is that same function) with analytic derivatives, where the authors use AdamW;
the starting point follows theirs (``src/fitting.py`` lines 27-87: a power law in the lr area with a drop
proportional to ``peak - lr`` first, then ``C = 1, beta = gamma = 0.5``), plus a second start near their
published fits (C 2, beta and gamma 0.6).

The fit sees the loss of the first ``1 - holdout`` of the logged points only (at most ``FIT_POINTS`` of them,
evenly spread: the authors fit 100 to 550 logged points per run); the rest is predicted and compared with
what was logged (at up to ``EVAL_POINTS`` points of each part): that held-out error is the number to quote,
never the fit's own residual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from schedules.curve import curve
from schedules.errors import SpecError
from schedules.laws import annealing, mpl
from schedules.laws.params import LAWS, FittedOn, law_of, params_from_dict
from schedules.laws.predict import DEFAULT_TOL, evaluate, from_rest
from schedules.spec import Spec

FIT_POINTS = 512
EVAL_POINTS = 1000
HUBER_DELTA = 1e-3
MIN_POINTS = 8
MAX_LOG_POINTS = 200_000
MAX_UPDATES = 10_000_000


@dataclass(frozen=True)
class Fit:
    """A law fitted to a run: its parameters and how well it predicted the held-out end of the run.

    Errors are relative (``|predicted - logged| / logged``): ``heldout_error`` their mean over the held-out
    points, ``heldout_worst`` their largest; ``heldout_final`` is ``predicted - logged`` at the last logged
    point, in nats (signed). ``train_error`` is the mean over the fitted points, for comparison only.
    """

    law: str
    params: dict[str, float]
    heldout_error: float
    heldout_worst: float
    heldout_final: float
    train_error: float
    split_step: int
    n_train: int
    n_heldout: int
    fitted_on: FittedOn
    objective: str = "sum of huber_0.001(log loss - log prediction) over the fitted points"
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (what a share link carries; the log itself is not in it)."""
        return {
            "law": self.law,
            "params": dict(self.params),
            "heldout_error": self.heldout_error,
            "heldout_worst": self.heldout_worst,
            "heldout_final": self.heldout_final,
            "train_error": self.train_error,
            "split_step": self.split_step,
            "n_train": self.n_train,
            "n_heldout": self.n_heldout,
            "peak_lr": self.fitted_on.peak_lr[1],
            "steps": self.fitted_on.steps,
            "notes": list(self.notes),
        }


def fit_from_dict(data: Any) -> Fit:
    """Rebuild a :class:`Fit` from :meth:`Fit.to_dict` data, every field checked (SpecError naming it)."""
    if not isinstance(data, dict):
        raise SpecError("fit", "must be an object")
    law = law_of(data.get("law")).name
    params = params_from_dict(law, data.get("params"))

    def number(key: str, low: float = 0.0, high: float = math.inf, integer: bool = False) -> Any:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SpecError(f"fit.{key}", "must be a finite number", value)
        if integer and value != int(value):
            raise SpecError(f"fit.{key}", "must be a whole number", value)
        if not low <= value <= high:
            raise SpecError(f"fit.{key}", f"must be >= {low:g} and <= {high:g}", value)
        return int(value) if integer else float(value)

    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) and len(n) <= 400 for n in notes):
        raise SpecError("fit.notes", "must be a list of short texts")
    peak = number("peak_lr", 0.0, 100.0)
    steps = number("steps", 1, MAX_UPDATES, integer=True)
    return Fit(
        law=law,
        params=params,
        heldout_error=number("heldout_error"),
        heldout_worst=number("heldout_worst"),
        heldout_final=number("heldout_final", -math.inf),
        train_error=number("train_error"),
        split_step=number("split_step", 0, MAX_UPDATES, integer=True),
        n_train=number("n_train", 1, integer=True),
        n_heldout=number("n_heldout", 1, integer=True),
        fitted_on=FittedOn((peak, peak), steps, "your run"),
        notes=tuple(notes),
    )


def _array(values: Any, name: str, n: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(name, "must be a list of numbers") from None
    if arr.ndim != 1:
        raise SpecError(name, "must be a flat list of numbers")
    if n is not None and len(arr) != n:
        raise SpecError(name, "must have one value per logged step", len(arr), f"steps has {n}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise SpecError(f"{name}[{bad}]", "must be finite", float(arr[bad]))
    return arr


def check_log(steps: Any, lrs: Any, losses: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a logged run: increasing whole update indices, lrs >= 0, losses > 0, one each per step."""
    s = _array(steps, "steps")
    if len(s) < MIN_POINTS:
        raise SpecError("steps", f"must have at least {MIN_POINTS} logged points", len(s))
    if len(s) > MAX_LOG_POINTS:
        raise SpecError("steps", f"must have at most {MAX_LOG_POINTS} logged points", len(s))
    if np.any(s != np.floor(s)) or s[0] < 0 or s[-1] >= MAX_UPDATES:
        raise SpecError("steps", f"must be whole update indices within 0 .. {MAX_UPDATES - 1}")
    if np.any(np.diff(s) <= 0):
        bad = int(np.flatnonzero(np.diff(s) <= 0)[0]) + 1
        raise SpecError(f"steps[{bad}]", "must be larger than the step before", float(s[bad]))
    lr = _array(lrs, "lrs", len(s))
    if np.any(lr < 0):
        bad = int(np.flatnonzero(lr < 0)[0])
        raise SpecError(f"lrs[{bad}]", "must be >= 0", float(lr[bad]))
    if not np.any(lr > 0):
        raise SpecError("lrs", "must have a value > 0")
    loss = _array(losses, "losses", len(s))
    if np.any(loss <= 0):
        bad = int(np.flatnonzero(loss <= 0)[0])
        raise SpecError(f"losses[{bad}]", "must be > 0", float(loss[bad]))
    return s.astype(np.int64), lr, loss


def run_lrs(steps: np.ndarray, lrs: np.ndarray, lr_curve: Any) -> tuple[np.ndarray, str]:
    """The lr of every update ``0 .. steps[-1]``: from ``lr_curve`` (a Spec or a per-update array) when given,
    else interpolated linearly between the logged points (held at the first logged value before it)."""
    n = int(steps[-1]) + 1
    if lr_curve is None:
        return np.interp(
            np.arange(n, dtype=np.float64), steps.astype(np.float64), lrs
        ), "lr between logged steps interpolated linearly"
    if isinstance(lr_curve, Spec):
        if lr_curve.total_steps < n:
            raise SpecError("lr_curve", "must cover every logged step", lr_curve.total_steps, f"last step {n - 1}")
        return curve(lr_curve)[:n], "lr of every update from the run's spec"
    eta = _array(lr_curve, "lr_curve")
    if len(eta) < n or np.any(eta < 0):
        raise SpecError("lr_curve", f"must hold an lr >= 0 for each of the {n} updates", len(eta))
    return eta[:n], "lr of every update as given"


def _mpl_start(area: np.ndarray, lr_at: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(L0, A, alpha, B) of ``L0 + A * S1^-alpha - B * (peak - lr)``: the authors' first stage."""
    peak = lr_at.max()
    low = y.min()
    slope, intercept = np.polyfit(np.log(area), np.log(y - low + 0.01), 1)
    best, best_cost = None, math.inf
    lower, upper = np.array([1e-6, 0, 1e-3, 0]), np.array([y.max(), 1e3, 5, 1e6])
    for l0 in np.linspace(low - 0.2, low, 3):
        for b in (100.0, 550.0, 1000.0):
            # clipped into the bounds: a log with losses under 1e-3 or a tiny lr area starts outside them
            x0 = np.clip([max(l0, 1e-3), math.exp(min(intercept, 50.0)), min(max(-slope, 0.05), 3.0), b], lower, upper)

            def res(p: np.ndarray) -> np.ndarray:
                pred = p[0] + p[1] * area ** -p[2] - p[3] * (peak - lr_at)
                return np.log(y) - np.log(np.maximum(pred, 1e-10))

            out = least_squares(
                res,
                x0,
                bounds=(lower, upper),
                loss="huber",
                f_scale=HUBER_DELTA,
                x_scale="jac",
                max_nfev=200,
            )
            if out.cost < best_cost:
                best, best_cost = out.x, out.cost
    assert best is not None
    return best


def _g_parts(e: np.ndarray, m: np.ndarray, c: float, beta: float, gamma: float):
    """G and its derivatives in (C, beta, gamma) at ``x = e^-gamma * m`` (limits where e = 0)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.where(m > 0, np.power(e, -gamma) * m, 0.0)
        finite = np.isfinite(x)
        xf = np.where(finite, x, 0.0)
        u = 1.0 + c * xf
        lu = np.log(u)
        pw = np.exp(-beta * lu)
        gval = np.where(finite, 1.0 - pw, 1.0)
        d_c = np.where(finite, beta * pw / u * xf, 0.0)
        d_beta = np.where(finite, pw * lu, 0.0)
        d_gamma = np.where(finite & (e > 0), -beta * c * pw / u * xf * np.log(np.where(e > 0, e, 1.0)), 0.0)
    return gval, d_c, d_beta, d_gamma


def _mpl_model(plan: mpl.Plan, area: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prediction and its Jacobian in (L0, A, alpha, B, C, beta, gamma) from a fixed plan of blocks."""
    l0, a, alpha, b, c, beta, gamma = p
    n = plan.points
    lo = _g_parts(plan.e_hi, plan.m_lo, c, beta, gamma)
    hi = _g_parts(plan.e_lo, plan.m_hi, c, beta, gamma)
    lf = _g_parts(plan.leaf_eta, plan.leaf_m, c, beta, gamma)
    sums = [
        mpl.per_point(plan.pt, plan.dsum * (lo[i] + hi[i]) * 0.5, n)
        + mpl.per_point(plan.leaf_pt, plan.leaf_d * lf[i], n)
        for i in range(4)
    ]
    pw = area**-alpha
    pred = l0 + a * pw + b * sums[0]
    jac = np.column_stack([np.ones(n), pw, -a * pw * np.log(area), sums[0], b * sums[1], b * sums[2], b * sums[3]])
    return pred, jac


def _fit_mpl(eta: np.ndarray, at: np.ndarray, y: np.ndarray) -> dict[str, float]:
    pre = mpl.prefix(eta)
    area = pre.pz[at + 1]
    l0, a, alpha, b = _mpl_start(area, eta[at], y)
    names = LAWS["mpl"].names
    lower = np.array([1e-6, 0.0, 1e-3, 0.0, 1e-4, 1e-3, 0.0])
    upper = np.array([float(y.max()), 1e3, 5.0, 1e6, 1e6, 10.0, 2.0])
    best, best_cost = None, math.inf
    for c, beta, gamma in ((1.0, 0.5, 0.5), (2.0, 0.6, 0.6)):
        x = np.clip(np.array([l0, a, alpha, b, c, beta, gamma]), lower, upper)
        for rounds in (100, 300):  # the plan of blocks is chosen at the start, then at the first result
            eps = np.full(len(at), DEFAULT_TOL / max(x[3], 1.0))
            plan = mpl.loss_drop(pre, at, x[4], x[5], x[6], eps, keep=True)[2]
            assert plan is not None

            def res(p: np.ndarray, plan: mpl.Plan = plan) -> np.ndarray:
                pred = _mpl_model(plan, area, p)[0]
                return np.log(y) - np.log(np.maximum(pred, 1e-10))

            def jac(p: np.ndarray, plan: mpl.Plan = plan) -> np.ndarray:
                pred, j = _mpl_model(plan, area, p)
                return -j / np.maximum(pred, 1e-10)[:, None]

            out = least_squares(
                res,
                x,
                jac=jac,
                bounds=(lower, upper),
                loss="huber",
                f_scale=HUBER_DELTA,
                x_scale="jac",
                max_nfev=rounds,
            )
            x = out.x
        if out.cost < best_cost:
            best, best_cost = x, out.cost
    assert best is not None
    return dict(zip(names, (float(v) for v in best), strict=True))


def _fit_annealing(eta: np.ndarray, at: np.ndarray, y: np.ndarray, start: int, lam: float) -> dict[str, float]:
    s1_all, s2_all = annealing.areas(eta, start, lam)
    s1, s2 = s1_all[at], s2_all[at]
    # For a fixed alpha the law is linear in (L0, A, C): a scan over alpha gives the starting point.
    best, best_sse = None, math.inf
    for alpha in np.linspace(0.05, 2.0, 40):
        design = np.column_stack([np.ones(len(at)), s1**-alpha, -s2])
        coef = np.linalg.lstsq(design, y, rcond=None)[0]
        sse = float(np.sum((design @ coef - y) ** 2))
        if sse < best_sse and coef[0] > 0:
            best, best_sse = np.array([coef[0], max(coef[1], 0.0), alpha, max(coef[2], 0.0)]), sse
    x0 = best if best is not None else np.array([y.min() * 0.9, 1.0, 0.5, 0.0])

    def model(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pw = s1 ** -p[2]
        pred = p[0] + p[1] * pw - p[3] * s2
        return pred, np.column_stack([np.ones(len(at)), pw, -p[1] * pw * np.log(s1), -s2])

    def res(p: np.ndarray) -> np.ndarray:
        return np.log(y) - np.log(np.maximum(model(p)[0], 1e-10))

    def jac(p: np.ndarray) -> np.ndarray:
        pred, j = model(p)
        return -j / np.maximum(pred, 1e-10)[:, None]

    lower, upper = [1e-6, 0.0, 1e-3, 0.0], [float(y.max()), 1e3, 5.0, 1e6]
    out = least_squares(
        res,
        np.clip(x0, lower, upper),
        jac=jac,
        bounds=(lower, upper),
        loss="huber",
        f_scale=HUBER_DELTA,
        x_scale="jac",
        max_nfev=500,
    )
    return {"L0": float(out.x[0]), "A": float(out.x[1]), "alpha": float(out.x[2]), "C": float(out.x[3]), "lam": lam}


def _spread(lo: int, hi: int) -> np.ndarray:
    """Up to EVAL_POINTS indices spread evenly over ``lo .. hi - 1``, both ends included."""
    return np.unique(np.linspace(lo, hi - 1, min(EVAL_POINTS, hi - lo)).round().astype(np.int64))


def fit(
    steps: Any,
    lrs: Any,
    losses: Any,
    law: str = "mpl",
    holdout: float = 0.2,
    *,
    lr_curve: Any = None,
    lam: float = 0.999,
) -> Fit:
    """Fit ``law`` to the first ``1 - holdout`` of a logged run; report the error on the rest.

    Args:
        steps: update indices of the logged points (0-based: the loss after update ``s``; a Hugging Face
            ``log_history`` ``step`` counts updates, so pass ``step - 1``), increasing.
        lrs: the lr logged at each step; losses: the loss logged at each step (> 0).
        law: ``"mpl"`` or ``"annealing"``.
        holdout: the fraction of logged points (the last ones) kept out of the fit, in [0.05, 0.9].
        lr_curve: the lr of every update (a Spec, or an array of at least ``steps[-1] + 1`` values); without
            it the lr between logged steps is interpolated linearly.
        lam: the annealing law's momentum decay (kept fixed, as in the paper).

    Raises:
        SpecError: naming ``steps``, ``lrs``, ``losses`` (with the index of a bad value), ``law``,
            ``holdout``, ``lr_curve`` or ``lam``.
    """
    name = law_of(law).name
    s, lr, y = check_log(steps, lrs, losses)
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or not 0.05 <= holdout <= 0.9:
        raise SpecError("holdout", "must be a fraction >= 0.05 and <= 0.9 (the end of the run kept out)", holdout)
    lam = LAWS["annealing"].params[-1].check(lam, "lam")
    eta, lr_note = run_lrs(s, lr, lr_curve)
    # Fitted as it will predict: from the lr before training, 0 (predict.from_rest); indices shift by ``lead``.
    eta, lead = from_rest(eta)
    s = s + lead
    first = int(np.argmax(eta > 0))
    keep = s >= first
    if keep.sum() < MIN_POINTS or eta[first] <= 0:
        raise SpecError("steps", f"must have at least {MIN_POINTS} points after the lr first becomes > 0")
    s, y = s[keep], y[keep]
    n_train = math.ceil(len(s) * (1.0 - holdout))
    n_train = min(max(n_train, MIN_POINTS // 2), len(s) - 1)
    pick = np.unique(np.linspace(0, n_train - 1, min(FIT_POINTS, n_train)).round().astype(np.int64))
    start = int(np.argmax(eta))  # the momentum of the annealing law starts where the lr first peaks
    notes = [lr_note]
    if np.all(eta[: s[n_train - 1] + 1] >= eta[start]) or eta[s[n_train - 1]] >= eta.max() * (1 - 1e-9):
        notes.append(
            "the fitted part of the run has no lr decay: the loss drop a decay brings is not learnt "
            "from it, so predictions for decaying schedules rest on the law's form alone"
        )
    params = _fit_mpl(eta, s[pick], y[pick]) if name == "mpl" else _fit_annealing(eta, s[pick], y[pick], start, lam)
    # The errors are measured at up to EVAL_POINTS points of each part, evenly spread, the last one included.
    shown = np.unique(np.concatenate([_spread(0, n_train), _spread(n_train, len(s))]))
    pred, _ = evaluate(name, eta, s[shown], params, start)
    rel = np.abs(pred - y[shown]) / y[shown]
    held = shown >= n_train
    fitted_on = FittedOn(
        (float(eta.max()), float(eta.max())),
        int(s[-1]) + 1 - lead,
        f"your run: {len(s)} logged points, fitted on the first {n_train}",
    )
    return Fit(
        law=name,
        params=params,
        heldout_error=float(rel[held].mean()),
        heldout_worst=float(rel[held].max()),
        heldout_final=float(pred[-1] - y[-1]),
        train_error=float(rel[~held].mean()),
        split_step=int(s[n_train]) - lead,
        n_train=n_train,
        n_heldout=len(s) - n_train,
        fitted_on=fitted_on,
        notes=tuple(notes),
    )
