"""ui.explore.phases: phase spans cover the run without gaps and match the engine's own boundaries."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import assume, given, settings

import schedules
from schedules import SpecError, load_preset, load_spec, preset_names
from tests.support.spec_strategies import valid_spec_dicts
from ui.explore.phases import MAX_SPANS, phase_spans


def labels(spec) -> list[str]:
    return [p.label for p in phase_spans(spec)]


def test_warmup_then_decay():
    spec = load_preset("gpt_cosine")
    assert [(p.start, p.end, p.kind) for p in phase_spans(spec)] == [(0, 2000, "warmup"), (2000, 250_000, "decay")]


def test_wsd_stable_and_decay():
    spec = load_preset("minicpm_wsd")
    spans = phase_spans(spec)
    assert labels(spec) == ["warmup", "stable", "decay"]
    lr = schedules.curve(spec)
    # The stable phase holds the peak; the decay starts right where it first drops.
    assert np.all(lr[spans[1].start:spans[1].end] == spec.lr)
    assert lr[spans[2].start + 1] < spec.lr


def test_restarts_cycles_begin_where_the_lr_jumps_back_up():
    spec = load_preset("sgdr")
    spans = phase_spans(spec)
    assert labels(spec) == ["cycle 1", "cycle 2", "cycle 3", "cycle 4"]
    lr = schedules.curve(spec)
    jumps = np.flatnonzero(np.diff(lr) > 0) + 1
    assert [p.start for p in spans[1:]] == jumps.tolist()


def test_one_cycle_rise_then_anneal_at_the_peak():
    spec = load_preset("one_cycle")
    rise, anneal = phase_spans(spec)
    assert int(np.argmax(schedules.curve(spec))) == rise.end - 1
    assert anneal.end == spec.total_steps


def test_many_cycles_are_capped():
    spec = load_spec({"total_steps": 10_000_000, "lr": 1.0, "schedule": {"type": "cyclic", "step_size": 1000}})
    spans = phase_spans(spec)
    assert len(spans) == MAX_SPANS + 1
    assert spans[-1].label == f"cycles {MAX_SPANS + 1}+" and spans[-1].end == spec.total_steps


@pytest.mark.parametrize("name", preset_names())
def test_presets_are_covered_without_gaps(name: str):
    spec = load_preset(name)
    spans = phase_spans(spec)
    assert spans[0].start == 0 and spans[-1].end == spec.total_steps
    assert all(a.end == b.start for a, b in pairwise(spans))


@settings(max_examples=80, deadline=None)
@given(valid_spec_dicts())
def test_any_spec_is_covered_without_gaps(data: dict):
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
    spans = phase_spans(spec)
    assert spans[0].start == 0 and spans[-1].end == spec.total_steps
    assert all(a.end == b.start and a.end > a.start for a, b in pairwise(spans))
