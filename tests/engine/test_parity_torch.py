"""The engine's curves equal PyTorch's native schedulers (torch 2.13), stepped as a training loop steps them.

Every case runs ``lr = opt.param_groups[0]["lr"]; opt.step(); sched.step()`` and compares the lr used by
each update with ``schedules.curve(spec)`` (and ``momentum_curve`` for CyclicLR / OneCycleLR) at every step.
A linear warmup from ``start_lr > 0`` is ``SequentialLR([LinearLR(start_lr / lr, 1, W), X], milestones=[W])``.

Tolerance: relative 1e-12 for classes that compute each value from the step index (CosineAnnealingWarmRestarts,
CyclicLR, OneCycleLR), 1e-9 for torch's recursive classes, whose value is the previous one times a ratio, so
rounding accumulates with the step count; the absolute floor is 1e-15 * lr (see ``parity_helpers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from torch.optim import lr_scheduler as tls

import schedules
from tests.support.parity_helpers import (
    RTOL_CLOSED,
    RTOL_RECURSIVE,
    assert_rel,
    make_spec,
    new_optimizer,
    run_torch,
    run_torch_both,
)

Factory = Callable[[Any], Any]


@dataclass(frozen=True)
class Case:
    """A spec and the torch scheduler that should produce the same curve."""

    id: str
    spec: dict[str, Any]
    build: Factory
    recursive: bool = True


def warmed(w: int, start_factor: float, main: Factory) -> Factory:
    """``SequentialLR([LinearLR(start_factor, 1.0, W), main], milestones=[W])``."""

    def build(opt: Any) -> Any:
        warm = tls.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=w)
        return tls.SequentialLR(opt, [warm, main(opt)], milestones=[w])

    return build


def spec_of(total: int, lr: float, family: str, w: int = 0, start_lr: float = 0.0, **params: Any) -> dict[str, Any]:
    return {"total": total, "lr": lr, "family": family, "warmup": w, "start_lr": start_lr, **params}


CASES = [
    # constant: ConstantLR is the engine's constant warmup shape; LinearLR alone is a linear warmup to B.
    Case("constant-ConstantLR-factor0.25-W400",
         {**spec_of(3000, 0.1, "constant", 400, 0.025), "warmup_shape": "constant"},
         lambda o: tls.ConstantLR(o, factor=0.25, total_iters=400)),
    Case("constant-LinearLR-warmup-W500-from1e-3",
         spec_of(3000, 0.1, "constant", 500, 1e-3),
         lambda o: tls.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=500)),
    # linear: LinearLR(1, end/B, D).
    Case("linear-to0", spec_of(3000, 0.1, "linear", end_lr=0.0),
         lambda o: tls.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=3000)),
    Case("linear-to1e-3-W300", spec_of(3000, 0.1, "linear", 300, 0.002, end_lr=1e-3),
         warmed(300, 0.02, lambda o: tls.LinearLR(o, start_factor=1.0, end_factor=0.01, total_iters=2700))),
    # cosine: CosineAnnealingLR(T_max = D).
    Case("cosine-min0", spec_of(3000, 0.1, "cosine"), lambda o: tls.CosineAnnealingLR(o, T_max=3000)),
    Case("cosine-min1e-5-W500", spec_of(4000, 3e-4, "cosine", 500, 3e-6, min_lr=1e-5),
         warmed(500, 0.01, lambda o: tls.CosineAnnealingLR(o, T_max=3500, eta_min=1e-5))),
    Case("cosine-min1e-3-W1", spec_of(2000, 0.5, "cosine", 1, 0.05, min_lr=1e-3),
         warmed(1, 0.1, lambda o: tls.CosineAnnealingLR(o, T_max=1999, eta_min=1e-3))),
    # polynomial: PolynomialLR(total_iters = D, power), end_lr 0.
    Case("polynomial-p1", spec_of(3000, 0.1, "polynomial", power=1.0),
         lambda o: tls.PolynomialLR(o, total_iters=3000, power=1.0)),
    Case("polynomial-p2", spec_of(3000, 0.1, "polynomial", power=2.0),
         lambda o: tls.PolynomialLR(o, total_iters=3000, power=2.0)),
    Case("polynomial-p0.5-W200", spec_of(3000, 0.05, "polynomial", 200, 5e-4, power=0.5),
         warmed(200, 0.01, lambda o: tls.PolynomialLR(o, total_iters=2800, power=0.5))),
    # exponential: ExponentialLR(gamma) is decay_steps 1, not staircase.
    Case("exponential-g0.999", spec_of(3000, 0.1, "exponential", gamma=0.999),
         lambda o: tls.ExponentialLR(o, gamma=0.999)),
    Case("exponential-g0.9995-W250", spec_of(3000, 0.1, "exponential", 250, 0.01, gamma=0.9995),
         warmed(250, 0.1, lambda o: tls.ExponentialLR(o, gamma=0.9995))),
    # step: StepLR(step_size, gamma).
    Case("step-500-g0.5", spec_of(3000, 0.1, "step", step_size=500, gamma=0.5),
         lambda o: tls.StepLR(o, step_size=500, gamma=0.5)),
    Case("step-7-g0.97", spec_of(2000, 0.2, "step", step_size=7, gamma=0.97),
         lambda o: tls.StepLR(o, step_size=7, gamma=0.97)),
    Case("step-1000-g0.1-W300", spec_of(4000, 0.1, "step", 300, 0.001, step_size=1000, gamma=0.1),
         warmed(300, 0.01, lambda o: tls.StepLR(o, step_size=1000, gamma=0.1))),
    # multistep: MultiStepLR(milestones, gamma), decays at u == milestone.
    Case("multistep-1000-2500", spec_of(3000, 0.1, "multistep", milestones=[1000, 2500], gamma=0.1),
         lambda o: tls.MultiStepLR(o, milestones=[1000, 2500], gamma=0.1)),
    Case("multistep-1-2-500-W100", spec_of(3000, 0.1, "multistep", 100, 0.02, milestones=[1, 2, 500], gamma=0.5),
         warmed(100, 0.2, lambda o: tls.MultiStepLR(o, milestones=[1, 2, 500], gamma=0.5))),
    # cosine_restarts: CosineAnnealingWarmRestarts(T_0, integer T_mult, eta_min), peak_decay 1.
    Case("cosine_restarts-T500-m1", spec_of(3000, 0.1, "cosine_restarts", period=500),
         lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=500), recursive=False),
    Case("cosine_restarts-T100-m2-min1e-4", spec_of(3500, 0.1, "cosine_restarts", period=100, period_mult=2.0,
                                                    min_lr=1e-4),
         lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=100, T_mult=2, eta_min=1e-4), recursive=False),
    # T_mult 3 restarts at 1, 4, 13, 40, 121, ...: where a log-based cycle index can land in the wrong cycle.
    Case("cosine_restarts-T1-m3", spec_of(3300, 0.1, "cosine_restarts", period=1, period_mult=3.0),
         lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=1, T_mult=3), recursive=False),
    Case("cosine_restarts-T10-m3", spec_of(4000, 0.1, "cosine_restarts", period=10, period_mult=3.0),
         lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=3), recursive=False),
    Case("cosine_restarts-T250-m2-W300", spec_of(3300, 0.1, "cosine_restarts", 300, 0.001, period=250,
                                                 period_mult=2.0, min_lr=1e-5),
         warmed(300, 0.01, lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=250, T_mult=2, eta_min=1e-5))),
]

CYCLIC = [
    # (id, spec params, CyclicLR kwargs); lr = max_lr = 0.01, min_lr = base_lr.
    ("triangular", {"mode": "triangular", "min_lr": 1e-4, "step_size": 250},
     {"mode": "triangular", "base_lr": 1e-4, "step_size_up": 250}),
    ("triangular-min0-odd", {"mode": "triangular", "min_lr": 0.0, "step_size": 97},
     {"mode": "triangular", "base_lr": 0.0, "step_size_up": 97}),
    ("triangular2-down", {"mode": "triangular2", "min_lr": 1e-4, "step_size": 200, "step_size_down": 350},
     {"mode": "triangular2", "base_lr": 1e-4, "step_size_up": 200, "step_size_down": 350}),
    ("exp_range", {"mode": "exp_range", "min_lr": 1e-4, "step_size": 300, "gamma": 0.9995},
     {"mode": "exp_range", "base_lr": 1e-4, "step_size_up": 300, "gamma": 0.9995}),
    ("exp_range-down", {"mode": "exp_range", "min_lr": 5e-4, "step_size": 150, "step_size_down": 50, "gamma": 0.999},
     {"mode": "exp_range", "base_lr": 5e-4, "step_size_up": 150, "step_size_down": 50, "gamma": 0.999}),
]

ONE_CYCLE = [
    # (id, total, spec params, OneCycleLR kwargs); lr = max_lr = 0.1.
    ("2phase-cos-default", 1000, {}, {}),
    ("2phase-linear", 3000, {"anneal": "linear", "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0},
     {"anneal_strategy": "linear", "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0}),
    ("2phase-cos-odd", 2999, {"pct_start": 0.37}, {"pct_start": 0.37}),
    ("3phase-cos", 3000, {"three_phase": True, "pct_start": 0.3}, {"three_phase": True, "pct_start": 0.3}),
    ("3phase-linear", 2000, {"three_phase": True, "anneal": "linear", "pct_start": 0.2, "div_factor": 5.0},
     {"three_phase": True, "anneal_strategy": "linear", "pct_start": 0.2, "div_factor": 5.0}),
]


def build_spec(d: dict[str, Any]) -> schedules.Spec:
    d = dict(d)
    return make_spec(d.pop("total"), d.pop("lr"), d.pop("family"), warmup=d.pop("warmup"),
                     start_lr=d.pop("start_lr"), warmup_shape=d.pop("warmup_shape", "linear"), **d)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_torch_scheduler_matches_curve(case: Case, record_property) -> None:
    spec = build_spec(case.spec)
    opt = new_optimizer(spec.lr)
    ref = run_torch(opt, case.build(opt), spec.total_steps)
    rtol = RTOL_RECURSIVE if case.recursive else RTOL_CLOSED
    assert_rel(schedules.curve(spec), ref, rtol, spec.lr, record_property)


@pytest.mark.parametrize(("params", "kwargs"), [c[1:] for c in CYCLIC], ids=[c[0] for c in CYCLIC])
def test_cyclic_lr_and_momentum_match_cycliclr(params: dict[str, Any], kwargs: dict[str, Any],
                                                 record_property) -> None:
    lr, total = 0.01, 3000
    spec = make_spec(total, lr, "cyclic", momentum=(0.8, 0.95), **params)
    opt = new_optimizer(lr, momentum=0.9)
    sched = tls.CyclicLR(opt, max_lr=lr, cycle_momentum=True, base_momentum=0.8, max_momentum=0.95, **kwargs)
    ref_lr, ref_mom = run_torch_both(opt, sched, total)
    assert_rel(schedules.curve(spec), ref_lr, RTOL_CLOSED, lr, record_property)
    assert_rel(schedules.momentum_curve(spec), ref_mom, RTOL_CLOSED, 1.0, record_property, "momentum")


@pytest.mark.parametrize(("total", "params", "kwargs"), [c[1:] for c in ONE_CYCLE], ids=[c[0] for c in ONE_CYCLE])
def test_one_cycle_lr_and_momentum_match_onecyclelr(total: int, params: dict[str, Any], kwargs: dict[str, Any],
                                                     record_property) -> None:
    lr = 0.1
    spec = make_spec(total, lr, "one_cycle", momentum=(0.85, 0.95), **params)
    opt = new_optimizer(lr, momentum=0.9)
    sched = tls.OneCycleLR(opt, max_lr=lr, total_steps=total, base_momentum=0.85, max_momentum=0.95, **kwargs)
    ref_lr, ref_mom = run_torch_both(opt, sched, total)
    assert_rel(schedules.curve(spec), ref_lr, RTOL_CLOSED, lr, record_property)
    assert_rel(schedules.momentum_curve(spec), ref_mom, RTOL_CLOSED, 1.0, record_property, "momentum")


def test_one_cycle_documented_landmarks() -> None:
    """OneCycleLR(max_lr=0.1, total_steps=1000): 0.004 at step 0, peak at step 299, 4e-7 at step 999."""
    lrs = schedules.curve(make_spec(1000, 0.1, "one_cycle"))
    assert lrs[0] == pytest.approx(0.004, rel=1e-15)
    assert int(np.argmax(lrs)) == 299
    assert lrs[299] == pytest.approx(0.1, rel=1e-15)
    assert lrs[999] == pytest.approx(4e-7, rel=1e-12)


@pytest.mark.parametrize(
    ("family", "params", "build"),
    [
        pytest.param("step", {"step_size": 250, "gamma": 0.5}, lambda o: tls.StepLR(o, step_size=5, gamma=0.5),
                     id="StepLR-5epochs"),
        pytest.param("cosine", {"min_lr": 1e-4}, lambda o: tls.CosineAnnealingLR(o, T_max=60, eta_min=1e-4),
                     id="CosineAnnealingLR-60epochs"),
        pytest.param("multistep", {"milestones": [1000, 2250]},
                     lambda o: tls.MultiStepLR(o, milestones=[20, 45], gamma=0.1), id="MultiStepLR-20-45epochs"),
    ],
)
def test_epoch_interval_matches_scheduler_stepped_per_epoch(family: str, params: dict[str, Any], build: Factory,
                                                            record_property) -> None:
    """interval "epoch": the scheduler steps once per epoch; its parameters in epochs are the spec's / spe."""
    spe, epochs, lr = 50, 60, 0.1
    spec = schedules.load_spec({"total_steps": spe * epochs, "lr": lr, "steps_per_epoch": spe, "interval": "epoch",
                                "schedule": {"type": family, **params}})
    opt = new_optimizer(lr)
    ref = run_torch(opt, build(opt), spec.total_steps, per_epoch=spe)
    assert_rel(schedules.curve(spec), ref, RTOL_RECURSIVE, lr, record_property)
    assert np.all(schedules.curve(spec).reshape(epochs, spe) == schedules.curve(spec)[::spe, None])


def test_cosine_long_run_matches_cosineannealinglr(record_property) -> None:
    """250k updates: SequentialLR(LinearLR warmup, CosineAnnealingLR) stays within 1e-9 of the closed form."""
    total, w, lr = 250_000, 2_500, 3e-4
    spec = make_spec(total, lr, "cosine", warmup=w, start_lr=3e-6, min_lr=3e-5)
    opt = new_optimizer(lr)
    sched = warmed(w, 0.01, lambda o: tls.CosineAnnealingLR(o, T_max=total - w, eta_min=3e-5))(opt)
    cosine = sched._schedulers[1]
    ref, closed = np.empty(total), np.empty(total - w)
    group = opt.param_groups[0]
    for t in range(total):
        ref[t] = group["lr"]
        if t >= w:
            # torch's own closed form at the cosine's local step, next to the value the recursion produced.
            closed[t - w] = cosine._get_closed_form_lr()[0]
        opt.step()
        sched.step()
    engine = schedules.curve(spec)
    rel = assert_rel(engine, ref, RTOL_RECURSIVE, lr, record_property)
    # The recursion's drift grows with the step count but stays far below the tolerance...
    assert rel < 1e-11
    # ...and the closed form, computed from the step index, agrees to a few ulps.
    assert_rel(engine[w:], closed, RTOL_CLOSED, lr, record_property, "closed_form")


PERIODIC = [
    # (id, T_max, run, eta_min, warmup W (a LinearLR from lr / 100 in a SequentialLR), lr)
    ("T_max1-run20", 1, 20, 0.0, 0, 0.1),
    ("T_max10-run95", 10, 95, 0.0, 0, 0.1),
    ("T_max100-run1000-eta", 100, 1000, 1e-4, 0, 0.1),
    ("T_max1000-run3500-eta", 1000, 3500, 1e-5, 0, 3e-4),
    ("T_max3000-run10000-W200", 3000, 10_000, 3e-5, 200, 3e-4),
    ("T_max100000-run230000-eta", 100_000, 230_000, 1e-4, 0, 0.1),
]


@pytest.mark.parametrize(("t_max", "run", "eta", "w", "lr"), [c[1:] for c in PERIODIC], ids=[c[0] for c in PERIODIC])
def test_cosineannealinglr_past_t_max_is_the_periodic_cosine(t_max: int, run: int, eta: float, w: int, lr: float,
                                                              record_property) -> None:
    """CosineAnnealingLR stepped past T_max rises again (period 2 T_max): the spec's ``periodic`` cosine with
    ``main_steps = T_max``. torch's recursion follows its closed form through every trough and peak."""
    data: dict[str, Any] = {"total_steps": run, "lr": lr, "main_steps": t_max,
                            "schedule": {"type": "cosine", "min_lr": eta, "periodic": True}}
    if w:
        data["warmup"] = {"steps": w, "start_lr": lr / 100}
    spec = schedules.load_spec(data)
    opt = new_optimizer(lr)

    def cosine(o: Any) -> Any:
        return tls.CosineAnnealingLR(o, T_max=t_max, eta_min=eta)

    ref = run_torch(opt, warmed(w, 0.01, cosine)(opt) if w else cosine(opt), run)
    engine = schedules.curve(spec)
    assert_rel(engine, ref, RTOL_RECURSIVE, lr, record_property)
    # It does rise again: back at the peak at u = 2 T_max, as torch's closed form says.
    if w + 2 * t_max < run:
        assert engine[w + 2 * t_max] == pytest.approx(lr, rel=1e-12) and ref[w + 2 * t_max] == pytest.approx(lr)
    assert engine[w + t_max] == pytest.approx(eta, abs=1e-15 * lr)
