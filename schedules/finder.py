"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates"; fastai ``lr_find``) and its suggestion rules.

Pure: NumPy and the standard library only. The pieces are separate so each can be tested on a known curve:

- :func:`lr_sweep` gives the lr tried at each mini-batch, exponential (default) or linear.
- :func:`smooth` is the bias-corrected exponential moving average fastai, Lightning and the CLR write-ups use.
- :func:`stop_index` finds where the smoothed loss diverges (``> k * best`` or not finite).
- :func:`run_range_test` drives a user's one-batch training step through the sweep.
- :func:`suggest` runs every suggestion rule side by side on one curve and returns where each one lands.

Every invalid input raises :class:`FinderError` (a ``ValueError``) naming the field and the rule broken.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules.errors import _MISSING, format_value

#: Sweep modes: the lr grows geometrically ("exp") or arithmetically ("linear").
MODES = ("exp", "linear")
#: Suggestion rule names in the order :func:`suggest` returns them.
RULES = ("steepest", "minimum", "valley", "clr_bounds")
#: Fewest points a suggestion rule is run on (after trimming).
MIN_POINTS = 5
#: Longest sweep :func:`lr_sweep` builds (a range test is a few hundred batches; this is a sanity cap).
MAX_ITERATIONS = 100_000

DEFAULT_BETA = 0.98
DEFAULT_DIVERGE = 4.0
DEFAULT_CLR_DIVISOR = 4.0


class FinderError(ValueError):
    """An invalid range-test input: ``field: rule (got value)``, like :class:`~schedules.errors.SpecError`.

    ``field`` and ``rule`` stay attributes so a page can show the message beside the control that caused it.
    """

    def __init__(self, field: str, rule: str, value: Any = _MISSING, context: str = "") -> None:
        self.field = field
        self.rule = rule
        self.value = value
        detail = "" if value is _MISSING else f"got {format_value(value)}"
        if context:
            detail = f"{detail}, {context}" if detail else context
        super().__init__(f"{field}: {rule}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class RangeTestResult:
    """What a range test recorded: the lr of each batch, its raw loss and the smoothed loss.

    ``stopped_reason`` is ``"completed"`` (all ``n`` batches ran), ``"diverged"`` (the smoothed loss went
    above ``k`` times its best; that batch is kept so the rise shows) or ``"non-finite"`` (the loss was inf or
    NaN; that batch is dropped, since no rule can use it).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_reason: str


@dataclass(frozen=True)
class Suggestion:
    """One rule's answer. ``index`` points into the untrimmed arrays; ``min_lr`` is set by bound rules only."""

    rule: str
    lr: float
    min_lr: float | None
    index: int
    note: str


def check_beta(beta: float) -> float:
    """``beta`` as a float, checked to lie in [0, 1) (the EMA weight of :func:`smooth`)."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not math.isfinite(beta):
        raise FinderError("beta", "must be a finite number", beta)
    if not 0.0 <= beta < 1.0:
        raise FinderError("beta", "must be in [0, 1)", beta)
    return float(beta)


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise FinderError(name, "must be an integer", value)
    if value < low or (high is not None and value > high):
        rule = f"must be >= {low}" if high is None else f"must be in [{low}, {high}]"
        raise FinderError(name, rule, int(value))
    return int(value)


def _check_positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FinderError(name, "must be a finite number", value)
    if value <= 0:
        raise FinderError(name, "must be > 0", value)
    return float(value)


def lr_sweep(start: float, end: float, n: int, mode: str = "exp") -> np.ndarray:
    """The ``n`` learning rates a range test tries, from ``start`` to ``end`` inclusive.

    Exponential (fastai ``lr_find``, torch-lr-finder ``step_mode="exp"``, Lightning ``mode="exponential"``)::

        lr_i = start * (end / start) ** (i / (n - 1))

    Linear (torch-lr-finder ``step_mode="linear"``)::

        lr_i = start + (end - start) * i / (n - 1)

    Raises:
        FinderError: ``start``/``end`` not positive and finite, ``end <= start``, ``n < 2``, unknown ``mode``.
    """
    start = _check_positive("start_lr", start)
    end = _check_positive("end_lr", end)
    if end <= start:
        raise FinderError("end_lr", "must be > start_lr", end, f"start_lr {start!r}")
    n = _check_int("num_iter", n, 2, MAX_ITERATIONS)
    if mode not in MODES:
        raise FinderError("mode", "must be one of " + ", ".join(MODES), mode)
    frac = np.arange(n, dtype=np.float64) / (n - 1)
    lrs = start * (end / start) ** frac if mode == "exp" else start + (end - start) * frac
    # Pin the last value: the power above can miss ``end`` by an ulp, and the sweep promises both endpoints.
    lrs[-1] = end
    return lrs


def smooth(losses: Sequence[float] | np.ndarray, beta: float = DEFAULT_BETA) -> np.ndarray:
    """Bias-corrected exponential moving average of ``losses`` (fastai ``Recorder.smooth_loss``, Lightning).

    ::

        avg_i = beta * avg_{i-1} + (1 - beta) * loss_i,   avg_{-1} = 0
        smoothed_i = avg_i / (1 - beta ** (i + 1))

    The division removes the pull toward the zero start, so ``smoothed_0 == loss_0``. ``beta = 0`` returns the
    losses unchanged (use it for curves that were smoothed already). A non-finite loss poisons every later value,
    which is what :func:`stop_index` looks for.

    Raises:
        FinderError: ``beta`` outside [0, 1).
    """
    beta = check_beta(beta)
    x = np.asarray(losses, dtype=np.float64).reshape(-1)
    out = np.empty_like(x)
    avg = 0.0
    # A recurrence: each value depends on the last, so this is a loop; range tests are a few hundred points.
    with np.errstate(over="ignore", invalid="ignore"):
        for i, value in enumerate(x):
            avg = beta * avg + (1.0 - beta) * value
            out[i] = avg / (1.0 - beta ** (i + 1))
    return out


def stop_index(smoothed: Sequence[float] | np.ndarray, k: float = DEFAULT_DIVERGE) -> int | None:
    """First index where the test should stop, or ``None`` if it never should.

    Stops at the first ``i`` whose smoothed loss is not finite, or exceeds ``k`` times the best (lowest) smoothed
    loss seen before it (fastai ``stop_div`` and Lightning use ``k = 4``, torch-lr-finder ``k = 5``). The ratio
    test only applies while the best loss is positive: for a loss that can go below zero a ratio means nothing.

    Raises:
        FinderError: ``k`` not a finite number > 1.
    """
    k = _check_positive("diverge", k)
    if k <= 1.0:
        raise FinderError("diverge", "must be > 1", k)
    s = np.asarray(smoothed, dtype=np.float64).reshape(-1)
    if s.size == 0:
        return None
    finite = np.isfinite(s)
    bad = ~finite
    # Best loss strictly before i; non-finite values never count as a best.
    best_incl = np.minimum.accumulate(np.where(finite, s, np.inf))
    best_before = np.concatenate(([np.inf], best_incl[:-1]))
    with np.errstate(invalid="ignore", over="ignore"):
        diverged = finite & (best_before > 0) & np.isfinite(best_before) & (s > k * best_before)
    hits = np.flatnonzero(bad | diverged)
    return int(hits[0]) if hits.size else None


def run_range_test(
    step_fn: Callable[[float], float],
    start: float = 1e-7,
    end: float = 10.0,
    n: int = 100,
    mode: str = "exp",
    beta: float = DEFAULT_BETA,
    k: float = DEFAULT_DIVERGE,
    on_progress: Callable[[int, int], None] | None = None,
) -> RangeTestResult:
    """Run the range test: train one mini-batch at each lr of :func:`lr_sweep` until the loss diverges.

    ``step_fn(lr)`` must train one mini-batch with that learning rate and return its loss (before the update, as
    every framework's finder records it). The smoothed loss is updated as in :func:`smooth`; the test stops at the
    first batch :func:`stop_index` would flag. ``on_progress(done, n)`` is called after each batch.

    Raises:
        FinderError: invalid sweep, ``beta`` or ``k``; ``step_fn`` returning something that is not a number.
    """
    lrs = lr_sweep(start, end, n, mode)
    beta = check_beta(beta)
    k = _check_positive("diverge", k)
    if k <= 1.0:
        raise FinderError("diverge", "must be > 1", k)
    losses: list[float] = []
    smoothed: list[float] = []
    avg = 0.0
    best = math.inf
    reason = "completed"
    for i, lr in enumerate(lrs):
        raw = step_fn(float(lr))
        try:
            loss = float(raw)
        except (TypeError, ValueError):
            raise FinderError("step_fn", "must return a number (the batch loss)", raw) from None
        if not math.isfinite(loss):
            reason = "non-finite"
            break
        avg = beta * avg + (1.0 - beta) * loss
        value = avg / (1.0 - beta ** (i + 1))
        losses.append(loss)
        smoothed.append(value)
        if on_progress is not None:
            on_progress(i + 1, n)
        if not math.isfinite(value):
            reason = "non-finite"
            losses.pop()
            smoothed.pop()
            break
        if 0 < best < math.inf and value > k * best:
            reason = "diverged"
            break
        best = min(best, value)
    m = len(losses)
    return RangeTestResult(
        lrs=lrs[:m].copy(),
        losses=np.asarray(losses, dtype=np.float64),
        smoothed=np.asarray(smoothed, dtype=np.float64),
        stopped_reason=reason,
    )


def validate_curve(lrs: Sequence[float] | np.ndarray, losses: Sequence[float] | np.ndarray) -> tuple[np.ndarray, ...]:
    """``lrs`` and ``losses`` as float64 arrays, checked: same length, finite, lr positive and strictly increasing.

    Raises:
        FinderError: naming ``lrs`` or ``losses`` and the first offending position.
    """
    try:
        x = np.asarray(lrs, dtype=np.float64)
        y = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        raise FinderError("lrs", "must be lists of numbers (lrs and losses)") from None
    if x.ndim != 1 or y.ndim != 1:
        raise FinderError("lrs", "must be one-dimensional lists of numbers")
    if x.size != y.size:
        raise FinderError("losses", "must have one value per lr", y.size, f"{x.size} lrs")
    for name, arr in (("lrs", x), ("losses", y)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise FinderError(name, "must all be finite numbers", float(arr[bad[0]]), f"at row {int(bad[0])}")
    nonpos = np.flatnonzero(x <= 0)
    if nonpos.size:
        raise FinderError("lrs", "must all be > 0", float(x[nonpos[0]]), f"at row {int(nonpos[0])}")
    steps = np.flatnonzero(np.diff(x) <= 0)
    if steps.size:
        i = int(steps[0]) + 1
        raise FinderError("lrs", "must be strictly increasing", float(x[i]), f"at row {i}, after {x[i - 1]!r}")
    return x, y


def _longest_valley(y: np.ndarray) -> tuple[int, int]:
    """fastai's ``valley`` span: the end of the longest strictly falling subsequence, and its length back.

    ``lds[i]`` is the length of the longest strictly decreasing subsequence ending at ``i`` (fastai computes it
    with an O(n^2) double loop; patience sorting gives the same numbers in O(n log n), so a 100k-row upload is
    still instant). The valley ends at the first ``i`` with the largest ``lds`` and starts ``lds`` points
    before it, as fastai counts it.
    """
    tails: list[float] = []
    best_len, best_end = 0, 0
    for i, value in enumerate(-y):
        # Strictly decreasing in y == strictly increasing in -y: bisect_left keeps it strict.
        pos = bisect.bisect_left(tails, value)
        if pos == len(tails):
            tails.append(value)
        else:
            tails[pos] = value
        length = pos + 1
        if length > best_len:
            best_len, best_end = length, i
    return max(best_end - best_len, 0), best_end


def suggest(
    lrs: Sequence[float] | np.ndarray,
    losses: Sequence[float] | np.ndarray,
    beta: float = DEFAULT_BETA,
    skip_start: int = 10,
    skip_end: int = 5,
    clr_divisor: float = DEFAULT_CLR_DIVISOR,
) -> list[Suggestion]:
    """Every suggestion rule on one range test, side by side (order of :data:`RULES`).

    The raw ``losses`` are smoothed over the whole run (:func:`smooth` with ``beta``; pass 0 for a curve that
    was smoothed already), then the first ``skip_start`` and last ``skip_end`` points are dropped (fastai drops
    the first 10% and the last 5, torch-lr-finder the first 10 and the last 5): the start is flat noise and the
    end is the blow-up. On the ``m`` points left, with ``s`` the smoothed loss and ``x = log10(lr)``:

    - ``steepest``: the lr where ``ds/dx`` is most negative, ``np.gradient(s, x)`` (torch-lr-finder takes
      ``np.gradient`` over the index, Lightning over the raw lr; on log10 spacing both exponential and linear
      sweeps give the slope a log-x plot shows; fastai's ``steep`` is the same idea on forward differences).
    - ``minimum``: ``lr[argmin s] / 10`` (fastai ``minimum``: one tenth of the lr at the lowest loss).
    - ``valley``: fastai's default ``valley``: the longest strictly falling subsequence of ``s``, and the point
      ``int(L/3) + int(L/6)`` into it (about half way), where ``L`` is its span in points.
    - ``clr_bounds``: Smith's bounds for a cyclical schedule: ``max_lr`` where the loss stops falling
      (``lr[argmin s]``) and ``min_lr = max_lr / clr_divisor`` (the CLR paper and fast.ai use 3 to 4).

    The result is deterministic: ties go to the earliest point.

    Raises:
        FinderError: invalid curve (see :func:`validate_curve`), ``beta``, trims that leave fewer than
            :data:`MIN_POINTS` points, or ``clr_divisor <= 1``.
    """
    x, y = validate_curve(lrs, losses)
    beta = check_beta(beta)
    n = x.size
    skip_start = _check_int("skip_start", skip_start, 0)
    skip_end = _check_int("skip_end", skip_end, 0)
    clr_divisor = _check_positive("clr_divisor", clr_divisor)
    if clr_divisor <= 1.0:
        raise FinderError("clr_divisor", "must be > 1", clr_divisor)
    m = n - skip_start - skip_end
    if m < MIN_POINTS:
        raise FinderError(
            "skip_start",
            f"must leave at least {MIN_POINTS} points after trimming (skip_start + skip_end <= {n - MIN_POINTS})",
            skip_start,
            f"skip_end {skip_end}, {n} points",
        )
    s_all = smooth(y, beta)
    if not np.all(np.isfinite(s_all)):
        raise FinderError("losses", "are too large to smooth (the moving average overflows)")
    lo, hi = skip_start, n - skip_end
    s = s_all[lo:hi]
    lx = np.log10(x[lo:hi])

    grad = np.gradient(s, lx)
    i_steep = lo + int(np.argmin(grad))
    i_min = lo + int(np.argmin(s))
    v_start, v_end = _longest_valley(s)
    span = v_end - v_start
    i_valley = lo + min(v_start + int(span / 3) + int(span / 6), m - 1)

    def lr_at(i: int) -> float:
        return float(x[i])

    max_lr = lr_at(i_min)
    out = [
        Suggestion(
            "steepest",
            lr_at(i_steep),
            None,
            i_steep,
            f"steepest fall of the smoothed loss per decade of lr (slope {float(grad[i_steep - lo]):.3g})",
        ),
        Suggestion("minimum", max_lr / 10.0, None, i_min, f"one tenth of the lr at the lowest loss ({max_lr:.3g})"),
        Suggestion(
            "valley",
            lr_at(i_valley),
            None,
            i_valley,
            f"half way down the longest falling stretch (points {lo + v_start} to {lo + v_end})",
        ),
        Suggestion(
            "clr_bounds",
            max_lr,
            max_lr / clr_divisor,
            i_min,
            f"max_lr where the loss stops falling; min_lr = max_lr / {clr_divisor:g}",
        ),
    ]
    return out


#: Families that shape their own rise from a low lr, so a warmup in front of them is dropped.
SELF_WARMING = ("cyclic", "one_cycle")


def spec_from_suggestion(base: Any, family: str, lr: float, min_lr: float | None = None, name: str = "") -> Any:
    """A spec v1 (validated with :func:`schedules.load_spec`) whose peak lr comes from a range test.

    ``base`` (a :class:`~schedules.spec.Spec`) gives the run: total_steps, steps_per_epoch, interval, param
    groups and (unless ``family`` is one of :data:`SELF_WARMING`) the warmup. When ``family`` is the base's,
    its parameters are kept and lr-valued ones (``min_lr``, ``end_lr``) keep their ratio to the peak; otherwise the
    registry defaults apply. ``min_lr``, when given (the CLR bounds rule), sets the family's ``min_lr``: the bottom
    of a cyclic schedule, the floor of a cosine. The peak is ``lr`` (torch CyclicLR ``max_lr``, OneCycleLR
    ``max_lr``, the decays' initial lr).

    Raises:
        SpecError: the resulting spec is invalid (unknown family, lr out of range, a floor above the peak...).
    """
    from schedules.registry import FAMILIES
    from schedules.spec import load_spec

    data = base.to_dict()
    schedule: dict[str, Any] = {"type": family}
    if family == base.schedule.type:
        ratio = float(lr) / base.lr
        for key, value in base.schedule.params:
            param = FAMILIES[family].param(key)
            scaled = param.scale == "lr" and isinstance(value, float)
            # to_dict leaves out parameters at their defaults (cosine's periodic): those keep their default
            schedule[key] = value * ratio if scaled else data["schedule"].get(key, value)
    else:
        data["momentum"] = None
    if min_lr is not None and family in FAMILIES and any(p.name == "min_lr" for p in FAMILIES[family].params):
        schedule["min_lr"] = float(min_lr)
    if family in SELF_WARMING:
        data["warmup"] = {"steps": 0, "shape": "linear", "start_lr": 0.0}
    data.update(lr=float(lr), schedule=schedule, name=name)
    return load_spec(data)
