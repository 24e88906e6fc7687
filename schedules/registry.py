"""The one registry of schedule families and warmup shapes.

Validation (``schedules.spec``), the app's controls and the exporters all read these tables; adding a
family means one entry here plus its formula in ``schedules.families`` and its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from schedules import families as f
from schedules.params import MAX_STEPS, Param

Formula = Callable[[np.ndarray, f.Ctx], np.ndarray]
MomentumFormula = Callable[[np.ndarray, f.Ctx, float, float], np.ndarray]
# Optional fast path: fill(lo, hi, ctx, out) writes formula(arange(lo, hi)) into out, bitwise equal.
RangeFormula = Callable[[int, int, f.Ctx, np.ndarray], None]

LR_MAX = 100.0


def lr_param(name: str, default: float, help: str) -> Param:
    """A learning-rate valued parameter: >= 0, finite, shown on a log scale."""
    return Param(name, "float", default, help, low=0.0, high=LR_MAX, scale="lr")


def gamma_param(default: float | None, help: str) -> Param:
    """A multiplicative decay factor in (0, 1]."""
    return Param(name="gamma", kind="float", default=default, help=help, low=0.0, high=1.0,
                 low_open=True, scale="factor")


def steps_param(name: str, default: int | None, help: str, *, nullable: bool = False) -> Param:
    """A duration in optimizer updates (local steps of the main schedule), >= 1."""
    return Param(name, "int", default, help, low=1, high=MAX_STEPS, scale="steps", nullable=nullable)


@dataclass(frozen=True)
class Family:
    """A main-schedule family: its formula, parameters, cross-field rule and references."""

    name: str
    label: str
    help: str
    params: tuple[Param, ...]
    formula: Formula
    check: Callable[[f.Ctx], None] | None = None
    momentum: MomentumFormula | None = None
    reference: str = ""
    fill: RangeFormula | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


FAMILIES: dict[str, Family] = {
    fam.name: fam
    for fam in (
        Family("constant", "Constant", "Holds the peak lr for the whole run.", (), f.constant,
               reference="HF get_constant_schedule"),
        Family(
            "linear", "Linear decay", "Falls in a straight line from lr to end_lr at the last step.",
            (lr_param("end_lr", 0.0, "lr reached at the end of training"),),
            f.linear, f.check_linear, reference="HF linear (get_linear_schedule_with_warmup)", fill=f.linear_fill,
        ),
        Family(
            "cosine", "Cosine decay", "Half a cosine from lr down to min_lr; stays at min_lr after.",
            (
                lr_param("min_lr", 0.0, "floor reached at the last step"),
                Param("periodic", "bool", False, "past the end of the decay, rise again along the cosine (back to "
                      "lr at twice its length), as torch CosineAnnealingLR does past T_max",
                      omit_default=True),
            ),
            f.cosine, f.check_cosine,
            reference="torch CosineAnnealingLR, HF cosine, optax warmup_cosine_decay_schedule, Keras CosineDecay",
            fill=f.cosine_fill,
        ),
        Family(
            "polynomial", "Polynomial decay", "(1 - progress)^power from lr to end_lr.",
            (
                lr_param("end_lr", 0.0, "lr reached at the end of training"),
                Param("power", "float", 1.0, "exponent; 1 is linear, 2 falls fast early",
                      low=0.0, high=10.0, low_open=True, scale="factor"),
            ),
            f.polynomial, f.check_polynomial, reference="HF polynomial, optax polynomial_schedule",
        ),
        Family(
            "exponential", "Exponential decay", "Multiplies the lr by gamma every decay_steps steps.",
            (
                gamma_param(0.999, "factor applied per decay_steps"),
                Param("decay_steps", "float", 1.0, "steps over which the lr is multiplied by gamma once",
                      low=1e-3, high=MAX_STEPS, scale="steps"),
                Param("staircase", "bool", False, "decay in discrete jumps instead of smoothly"),
            ),
            f.exponential, reference="torch ExponentialLR, Keras ExponentialDecay, optax exponential_decay",
        ),
        Family(
            "step", "Step decay", "Multiplies the lr by gamma every step_size steps.",
            (steps_param("step_size", 1000, "steps between decays"), gamma_param(0.1, "factor per decay")),
            f.step, f.check_step, reference="torch StepLR",
        ),
        Family(
            "multistep", "Multi-step decay", "Multiplies the lr by gamma at each milestone.",
            (
                Param("milestones", "int_list", (1000,), "steps (after warmup) where the lr drops",
                      low=1, high=MAX_STEPS, scale="steps"),
                gamma_param(0.1, "factor per milestone"),
            ),
            f.multistep, f.check_multistep, reference="torch MultiStepLR",
        ),
        Family(
            "inverse_sqrt", "Inverse square root", "lr * sqrt(timescale / (step + timescale)); the Noam decay.",
            (steps_param("timescale", None, "steps for the lr to fall by 1/sqrt(2); default: warmup steps, "
                         "or 10000 without warmup", nullable=True),),
            f.inverse_sqrt, reference="HF inverse_sqrt",
        ),
        Family(
            "cosine_restarts", "Cosine with restarts (SGDR)",
            "Cosine cycles back to the peak; cycles can lengthen and their peaks shrink.",
            (
                steps_param("period", 1000, "length of the first cycle (or use cycles)", nullable=True),
                Param("period_mult", "float", 1.0, "each cycle is this many times longer than the last",
                      low=1.0, high=10.0, scale="factor"),
                Param("peak_decay", "float", 1.0, "each cycle's peak is this fraction of the last",
                      low=0.0, high=1.0, low_open=True, scale="factor"),
                lr_param("min_lr", 0.0, "floor at the end of each cycle"),
                Param("cycles", "float", None, "equal cycles over the main schedule, fractional allowed (HF "
                      "cosine_with_restarts num_cycles); replaces period", low=0.0, high=f.MAX_HF_CYCLES,
                      low_open=True, scale="factor", nullable=True, omit_default=True),
            ),
            f.cosine_restarts, f.check_cosine_restarts,
            reference="torch CosineAnnealingWarmRestarts; timm CosineLRScheduler (cycle_decay); HF "
                      "cosine_with_restarts (cycles)",
            fill=f.cosine_restarts_fill,
        ),
        Family(
            "wsd", "Warmup-stable-decay",
            "Holds the peak, then decays in the last decay_steps (or decay_fraction) of the run.",
            (
                steps_param("decay_steps", None, "length of the decay phase (or use decay_fraction)",
                            nullable=True),
                Param("decay_fraction", "float", None, "decay phase as a fraction of the main schedule",
                      low=0.0, high=1.0, low_open=True, scale="factor", nullable=True),
                Param("shape", "choice", "sqrt", "decay curve: linear, cosine, 1-sqrt or half-life exponential",
                      choices=("linear", "cosine", "sqrt", "exponential")),
                lr_param("min_lr", 0.0, "floor of the decay"),
                Param("half_life", "float", None, "steps to halve the lr (exponential shape only); "
                      "default: a fifth of the decay phase", low=1e-3, high=MAX_STEPS,
                      scale="steps", nullable=True),
            ),
            f.wsd, f.check_wsd,
            reference="HF warmup_stable_decay (sqrt = 1-sqrt); MiniCPM exponential half-life decay",
            fill=f.wsd_fill,
        ),
        Family(
            "cyclic", "Cyclical (CLR)", "Triangles between min_lr and lr; triangular2 halves each cycle.",
            (
                Param("mode", "choice", "triangular", "amplitude policy",
                      choices=("triangular", "triangular2", "exp_range")),
                lr_param("min_lr", 0.0, "bottom of each cycle (torch base_lr)"),
                steps_param("step_size", 2000, "steps from bottom to top (half a cycle)"),
                steps_param("step_size_down", None, "steps from top to bottom; default: step_size",
                            nullable=True),
                gamma_param(1.0, "exp_range: amplitude factor per step"),
            ),
            f.cyclic, f.check_cyclic, momentum=f.cyclic_momentum, reference="torch CyclicLR",
        ),
        Family(
            "one_cycle", "One-cycle",
            "Rises from lr/div_factor to lr, then anneals far below the start.",
            (
                Param("pct_start", "float", 0.3, "fraction of steps spent rising",
                      low=0.0, high=1.0, low_open=True, high_open=True, scale="factor"),
                Param("div_factor", "float", 25.0, "starting lr = lr / div_factor",
                      low=1.0, high=1e6, scale="factor"),
                Param("final_div_factor", "float", 1e4, "final lr = starting lr / final_div_factor",
                      low=1.0, high=1e9, scale="factor"),
                Param("anneal", "choice", "cos", "annealing curve", choices=("cos", "linear")),
                Param("three_phase", "bool", False, "fall back to the starting lr before the final anneal"),
            ),
            f.one_cycle, f.check_one_cycle, momentum=f.one_cycle_momentum, reference="torch OneCycleLR",
            fill=f.one_cycle_fill,
        ),
    )
}

#: Warmup shapes (rise from start_lr to the main schedule's value at u = 0 over W steps).
WARMUP_SHAPES: dict[str, str] = {
    "linear": "start + (target - start) * t / W: HF *_with_warmup, optax, timm",
    "cosine": "start + (target - start) * (1 - cos(pi t / W)) / 2",
    "exponential": "start * (target / start) ** (t / W); needs start_lr > 0",
    "constant": "start_lr until W, then the main schedule",
    "quadratic": "start + (target - start) * (t / W) ** 2: axolotl lr_quadratic_warmup",
}
