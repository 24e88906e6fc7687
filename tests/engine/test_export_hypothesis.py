"""Generated specs exported to PyTorch and plain Python and run: the real torch scheduler, stepped like a
training loop, and ``lr_at(t)`` for every t equal ``schedules.curve`` at every update.

A spec a target cannot express exactly (cycled momentum without a native torch scheduler) must raise a
``SpecError`` naming a field; that outcome is accepted, counted, and must stay the exception.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
from hypothesis import HealthCheck, assume, given, settings

import schedules
from schedules.export import export
from tests.engine.test_export_torch import drive, exec_snippet, make_optimizer
from tests.support.spec_strategies import valid_spec_dicts

#: Relative tolerance. The absolute floor ``ATOL_FRACTION * lr * scale`` covers values near 0 (a warmup
#: from 0, a decay to ~0, gamma**t underflowing), where a relative error measures rounding, not a bug.
RTOL = 1e-9
ATOL_FRACTION = 1e-12
MIN_EXAMPLES = 50


def within(got: np.ndarray, want: np.ndarray, floor: np.ndarray | float) -> bool:
    return bool(np.all(np.abs(got - want) <= RTOL * np.abs(want) + floor))


def run_torch(spec: schedules.Spec) -> np.ndarray:
    namespace = exec_snippet(export(spec, "torch"))
    optimizer = make_optimizer(spec)
    scheduler = namespace["build_scheduler"](optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notices about SequentialLR internals
        lrs, _ = drive(spec, optimizer, lambda k: scheduler.step())
    return lrs


def run_python(spec: schedules.Spec) -> np.ndarray:
    lr_at = exec_snippet(export(spec, "python"))["lr_at"]
    return np.asarray([lr_at(t) for t in range(spec.total_steps)])


def test_generated_specs_export_exactly() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(valid_spec_dicts(main_steps=True))
    def check(data: dict) -> None:
        try:
            spec = schedules.load_spec(data)
        except schedules.SpecError:
            assume(False)
            return
        want = schedules.curve(spec)
        scales = np.asarray([g.lr_scale for g in spec.param_groups] or [1.0])
        floor = ATOL_FRACTION * spec.lr

        got = run_python(spec)
        assert within(got, want, floor), ("python", data)
        outcomes["python"] += 1

        try:
            lrs = run_torch(spec)
        except schedules.SpecError as exc:
            # Only cycled momentum can make the torch export refuse a valid spec.
            assert spec.momentum is not None, data
            assert exc.field and str(exc).startswith(exc.field + ":"), str(exc)
            outcomes["torch refused"] += 1
        else:
            assert within(lrs, want[:, None] * scales[None, :], floor * scales[None, :]), ("torch", data)
            outcomes["torch"] += 1

    check()
    assert outcomes["python"] >= MIN_EXAMPLES, outcomes
    assert outcomes["torch"] + outcomes["torch refused"] == outcomes["python"], outcomes
    assert outcomes["torch refused"] < outcomes["python"] / 2, outcomes
