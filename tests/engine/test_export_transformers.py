"""The transformers export, run with the real transformers.get_scheduler, compared with schedules.curve."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import schedules
from schedules.export import export
from tests.engine.test_export_torch import (
    EXTENDED,
    RTOL,
    SPECS,
    exec_snippet,
    expected,
    make_optimizer,
    max_rel,
    ruff_clean,
    within,
)

HF = {
    "hf_linear": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "linear"}},
    "hf_cosine_min": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "cosine",
                      "min_lr": 0.01}, "param_groups": [{"name": "a", "lr_scale": 0.5}, {"name": "b"}]},
    "hf_poly": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 5}, "schedule": {"type": "polynomial",
                "end_lr": 0.001, "power": 2.0}},
    "hf_wsd": {"total_steps": 80, "lr": 0.1, "warmup": {"steps": 8}, "schedule": {"type": "wsd", "shape": "cosine",
               "decay_steps": 20}},
    "hf_constant": {"total_steps": 30, "lr": 0.1, "warmup": {"steps": 4}, "schedule": {"type": "constant"}},
}
ALL = {**SPECS, **{k: schedules.load_spec(v) for k, v in HF.items()}}


def run_like_trainer(spec: schedules.Spec, text: str) -> np.ndarray:
    """Trainer's loop: read the lrs, optimizer.step(), then scheduler.step() after EVERY update."""
    optimizer = make_optimizer(spec)
    scheduler = exec_snippet(text)["build_scheduler"](optimizer)
    lrs = np.empty((spec.total_steps, len(optimizer.param_groups)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notices about SequentialLR internals
        for t in range(spec.total_steps):
            lrs[t] = [g["lr"] for g in optimizer.param_groups]
            optimizer.step()
            scheduler.step()
    return lrs


@pytest.mark.parametrize("key", sorted(ALL))
def test_transformers_matches_curve_stepped_like_trainer(key: str) -> None:
    spec = ALL[key]
    if spec.interval == "epoch" and spec.momentum is not None:
        with pytest.raises(schedules.SpecError) as info:
            export(spec, "transformers")
        assert info.value.field == "interval"
        return
    text = export(spec, "transformers")
    assert "once per optimizer update" in text
    assert max_rel(run_like_trainer(spec, text), expected(spec)) <= RTOL


def test_per_epoch_spec_holds_its_lr_through_each_epoch_under_trainer() -> None:
    spec = schedules.load_spec({"total_steps": 120, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch",
                                "warmup": {"steps": 20}, "schedule": {"type": "step", "step_size": 30}})
    lrs = run_like_trainer(spec, export(spec, "transformers"))[:, 0]
    assert np.all(lrs.reshape(12, 10) == lrs.reshape(12, 10)[:, :1])
    assert max_rel(lrs[:, None], expected(spec)) <= RTOL


def test_native_names() -> None:
    for key in (*HF, "preset:bert", "preset:noam", "inverse_sqrt"):
        assert "get_scheduler(" in export(ALL[key], "transformers"), key


def test_transformers_snippets_pass_ruff() -> None:
    ruff_clean({k: export(s, "transformers") for k, s in ALL.items()})


@pytest.mark.parametrize("key", sorted(EXTENDED))
def test_extended_specs_stepped_like_trainer(key: str) -> None:
    spec = schedules.load_spec(EXTENDED[key][0])
    text = export(spec, "transformers")
    assert within(run_like_trainer(spec, text), spec)
    # HF's own schedulers where they are the spec: its restarts (to 0), and a warmup from 0 that outlasts the run.
    native = "# Path: native transformers" in text
    assert native == (key in ("restarts in 7 cycles to 0", "warmup from 0 outlasting the run")), key
    if key == "restarts in 7 cycles to 0":
        assert "'cosine_with_restarts'" in text and '"num_cycles": 7.0' in text
