"""The engine's curves equal transformers' ``get_scheduler`` schedules (transformers 5.23).

Each schedule is a ``LambdaLR`` whose lr is ``B * lambda(s)``, computed afresh from the step count in
float64, so the comparison is relative 1e-12 at every step (absolute floor 1e-15 * lr where the reference
is ~0, see ``parity_helpers``). The loop is the Trainer's: read the lr, ``opt.step()``, ``sched.step()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from transformers import get_scheduler

import schedules
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel, make_spec, new_optimizer, run_torch

LR = 3e-4

# (id, HF name, warmup W, training steps T, scheduler_specific_kwargs, engine family, engine params, warmup extras)
CASES: list[tuple[str, str, int, int, dict[str, Any], str, dict[str, Any], dict[str, Any]]] = [
    ("constant", "constant", 0, 2000, {}, "constant", {}, {}),
    ("constant_with_warmup-W250", "constant_with_warmup", 250, 2000, {}, "constant", {}, {}),
    ("constant_with_warmup-W1", "constant_with_warmup", 1, 500, {}, "constant", {}, {}),
    ("linear-W0", "linear", 0, 3000, {}, "linear", {}, {}),
    ("linear-W300", "linear", 300, 3000, {}, "linear", {}, {}),
    ("linear-W2999", "linear", 2999, 3000, {}, "linear", {}, {}),
    ("cosine-W0", "cosine", 0, 3000, {}, "cosine", {}, {}),
    ("cosine-W500", "cosine", 500, 4000, {}, "cosine", {}, {}),
    ("cosine-W7-odd", "cosine", 7, 1237, {}, "cosine", {}, {}),
    ("polynomial-p1-end1e-7-W0", "polynomial", 0, 3000, {"lr_end": 1e-7, "power": 1.0},
     "polynomial", {"end_lr": 1e-7, "power": 1.0}, {}),
    ("polynomial-p2-end1e-5-W100", "polynomial", 100, 3000, {"lr_end": 1e-5, "power": 2.0},
     "polynomial", {"end_lr": 1e-5, "power": 2.0}, {}),
    ("polynomial-p0.5-end0-W400", "polynomial", 400, 2500, {"lr_end": 0.0, "power": 0.5},
     "polynomial", {"end_lr": 0.0, "power": 0.5}, {}),
    ("inverse_sqrt-W400", "inverse_sqrt", 400, 4000, {}, "inverse_sqrt", {}, {}),
    ("inverse_sqrt-W0-timescale10000", "inverse_sqrt", 0, 3000, {}, "inverse_sqrt", {}, {}),
    ("inverse_sqrt-W100-timescale1000", "inverse_sqrt", 100, 3000, {"timescale": 1000},
     "inverse_sqrt", {"timescale": 1000}, {}),
    ("wsd-cosine-W200", "warmup_stable_decay", 200, 3000, {"num_decay_steps": 600},
     "wsd", {"decay_steps": 600, "shape": "cosine"}, {}),
    ("wsd-linear-W0", "warmup_stable_decay", 0, 3000, {"num_decay_steps": 1000, "decay_type": "linear"},
     "wsd", {"decay_steps": 1000, "shape": "linear"}, {}),
    ("wsd-1sqrt-W300", "warmup_stable_decay", 300, 3000, {"num_decay_steps": 270, "decay_type": "1-sqrt"},
     "wsd", {"decay_steps": 270, "shape": "sqrt"}, {}),
    ("wsd-1sqrt-cosine_warmup-minratio0.1", "warmup_stable_decay", 300, 3000,
     {"num_decay_steps": 500, "decay_type": "1-sqrt", "warmup_type": "cosine", "min_lr_ratio": 0.1},
     "wsd", {"decay_steps": 500, "shape": "sqrt", "min_lr": 0.1 * LR},
     {"warmup_shape": "cosine", "start_lr": 0.1 * LR}),
    ("wsd-linear-minratio0.05-all_decay", "warmup_stable_decay", 100, 2000,
     {"num_decay_steps": 1900, "decay_type": "linear", "min_lr_ratio": 0.05},
     "wsd", {"decay_steps": 1900, "shape": "linear", "min_lr": 0.05 * LR}, {"start_lr": 0.05 * LR}),
    ("wsd-cosine-minratio0.1-W0", "warmup_stable_decay", 0, 2500,
     {"num_decay_steps": 250, "decay_type": "cosine", "min_lr_ratio": 0.1},
     "wsd", {"decay_steps": 250, "shape": "cosine", "min_lr": 0.1 * LR}, {}),
    # cosine_with_restarts: HF's own phase (cycles * u / D) % 1, for counts that do not divide the decay.
    ("restarts-3-of-1000", "cosine_with_restarts", 0, 1000, {"num_cycles": 3}, "cosine_restarts", {"cycles": 3}, {}),
    ("restarts-7-W100", "cosine_with_restarts", 100, 1000, {"num_cycles": 7}, "cosine_restarts", {"cycles": 7}, {}),
    ("restarts-2.5-W13-odd", "cosine_with_restarts", 13, 997, {"num_cycles": 2.5},
     "cosine_restarts", {"cycles": 2.5}, {}),
    ("restarts-0.3-W250", "cosine_with_restarts", 250, 5000, {"num_cycles": 0.3},
     "cosine_restarts", {"cycles": 0.3}, {}),
    ("restarts-17-of-12345", "cosine_with_restarts", 0, 12345, {"num_cycles": 17},
     "cosine_restarts", {"cycles": 17}, {}),
    ("restarts-1.5-W30", "cosine_with_restarts", 30, 300, {"num_cycles": 1.5}, "cosine_restarts", {"cycles": 1.5}, {}),
    ("restarts-333.3-shorter-than-a-step", "cosine_with_restarts", 0, 200, {"num_cycles": 333.3},
     "cosine_restarts", {"cycles": 333.3}, {}),
    # A warmup as long as the run or longer: every update is a warmup step, the peak is never reached.
    ("linear-W3000-T2000", "linear", 3000, 2000, {}, "linear", {}, {}),
    ("cosine-W2000-T2000", "cosine", 2000, 2000, {}, "cosine", {}, {}),
    ("constant_with_warmup-W900-T300", "constant_with_warmup", 900, 300, {}, "constant", {}, {}),
    ("restarts-W500-T400", "cosine_with_restarts", 500, 400, {"num_cycles": 2.5},
     "cosine_restarts", {"cycles": 2.5}, {}),
    ("inverse_sqrt-W800-T500", "inverse_sqrt", 800, 500, {}, "inverse_sqrt", {}, {}),
    ("wsd-W700-T500", "warmup_stable_decay", 700, 500, {"num_decay_steps": 100, "min_lr_ratio": 0.1},
     "wsd", {"decay_steps": 1, "shape": "cosine", "min_lr": 0.1 * LR}, {"start_lr": 0.1 * LR}),
]


def hf_curve(name: str, w: int, total: int, kwargs: dict[str, Any], n: int | None = None) -> Any:
    opt = new_optimizer(LR)
    if name == "constant":
        sched = get_scheduler(name, opt)
    else:
        sched = get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=total,
                              scheduler_specific_kwargs=kwargs or None)
    return run_torch(opt, sched, n or total)


@pytest.mark.parametrize(("name", "w", "total", "kwargs", "family", "params", "warm"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_get_scheduler_matches_curve(name: str, w: int, total: int, kwargs: dict[str, Any], family: str,
                                     params: dict[str, Any], warm: dict[str, Any], record_property) -> None:
    spec = make_spec(total, LR, family, warmup=w, **warm, **params)
    assert_rel(schedules.curve(spec), hf_curve(name, w, total, kwargs), RTOL_CLOSED, LR, record_property)


@pytest.mark.parametrize(("name", "kwargs", "family", "params"), [
    pytest.param("linear", {}, "linear", {}, id="linear"),
    pytest.param("polynomial", {"lr_end": 1e-6, "power": 3.0}, "polynomial", {"end_lr": 1e-6, "power": 3.0},
                 id="polynomial"),
    pytest.param("warmup_stable_decay", {"num_decay_steps": 400, "decay_type": "linear"}, "wsd",
                 {"decay_steps": 400, "shape": "linear"}, id="wsd"),
])
def test_values_past_the_end_match_clamped_schedules(name: str, kwargs: dict[str, Any], family: str,
                                                     params: dict[str, Any], record_property) -> None:
    """linear, polynomial and WSD hold their floor past total_steps, as the engine does."""
    w, total, extra = 100, 1000, 500
    spec = make_spec(total, LR, family, warmup=w, **params)
    ref = hf_curve(name, w, total, kwargs, n=total + extra)
    assert_rel(schedules.curve(spec, np.arange(total + extra)), ref, RTOL_CLOSED, LR, record_property)


def test_cosine_long_run_matches_hf(record_property) -> None:
    """250k updates with a 2k-step warmup: every step within 1e-12 relative."""
    total, w = 250_000, 2_000
    spec = make_spec(total, LR, "cosine", warmup=w)
    assert_rel(schedules.curve(spec), hf_curve("cosine", w, total, {}), RTOL_CLOSED, LR, record_property)


@pytest.mark.parametrize(("name", "family", "w"), [
    pytest.param("cosine", "cosine", 300, id="cosine-W300"),
    pytest.param("linear", "linear", 0, id="linear-W0"),
    pytest.param("inverse_sqrt", "inverse_sqrt", 200, id="inverse_sqrt-W200"),
])
def test_param_groups_scale_the_whole_curve(name: str, family: str, w: int, record_property) -> None:
    """LambdaLR multiplies each group's own lr by the same lambda: group_curves is curve * lr_scale."""
    total, scales = 2000, {"body": 1.0, "head": 0.1, "embeddings": 2.5}
    spec = schedules.load_spec({
        "total_steps": total, "lr": LR, "warmup": {"steps": w}, "schedule": {"type": family},
        "param_groups": [{"name": k, "lr_scale": v} for k, v in scales.items()],
    })
    params = [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64)) for _ in scales]
    opt = torch.optim.SGD([{"params": [p], "lr": LR * s} for p, s in zip(params, scales.values(), strict=True)],
                          lr=LR)
    sched = get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=total)
    ref = np.empty((len(scales), total))
    for t in range(total):
        ref[:, t] = [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    curves = schedules.group_curves(spec)
    assert list(curves) == list(scales)
    for i, (group, scale) in enumerate(scales.items()):
        assert_rel(curves[group], ref[i], RTOL_CLOSED, LR * scale, record_property, group)
