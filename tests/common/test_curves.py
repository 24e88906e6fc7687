"""ui.common.curves: what the explore page draws for one spec (decimated, exact summary), its twin and CSV."""

from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import schedules
from schedules import SpecError, load_preset, load_spec
from tests.support.spec_strategies import valid_spec_dicts
from ui.common.curves import MAX_POINTS, analyze, curves_csv, no_warmup_twin


def test_analyze_keeps_the_true_extremes_and_summary():
    spec = load_preset("sgdr")
    view = analyze(spec, at_step=100)
    lr = schedules.curve(spec)
    _, values = view.groups["lr"]
    assert len(values) <= MAX_POINTS
    assert values.max() == lr.max() and values.min() == lr.min()
    assert view.summary.peak == lr.max() and view.summary.at_value == lr[100]
    assert view.momentum is None


def assert_same_view(streamed, whole) -> None:
    """The same kept points and summary; the mean up to its summation order."""
    assert streamed.groups.keys() == whole.groups.keys()
    for name, (steps, values) in whole.groups.items():
        np.testing.assert_array_equal(streamed.groups[name][0], steps)
        np.testing.assert_array_equal(streamed.groups[name][1], values)
    got, want = dataclasses.asdict(streamed.summary), dataclasses.asdict(whole.summary)
    assert got.pop("mean") == pytest.approx(want.pop("mean"), rel=1e-12)
    assert got == want


@settings(max_examples=300, deadline=None)
@given(valid_spec_dicts(), st.integers(4, 40), st.data())
def test_a_run_analysed_block_by_block_gives_the_whole_runs_view(data: dict, max_points: int,
                                                                 draw: st.DataObject) -> None:
    # Few points make many small buckets, so short random runs exercise blocks, tails and crossing rows.
    try:
        spec = load_spec(data)
    except SpecError:
        assume(False)
        raise
    at_step = draw.draw(st.none() | st.integers(-5, spec.total_steps + 5))
    whole = analyze(spec, at_step, max_points=max_points, stream_from=10**12)
    assert_same_view(analyze(spec, at_step, max_points=max_points, stream_from=0), whole)


@pytest.mark.parametrize("name", ["gpt_cosine", "one_cycle", "sgdr", "clr_triangular", "bert"])
def test_a_ten_million_step_run_is_analysed_block_by_block_exactly(name: str) -> None:
    spec = load_preset(name).replace(total_steps=10_000_000)
    assert_same_view(analyze(spec, 1_234_567), analyze(spec, 1_234_567, stream_from=10**12))


def test_param_groups_and_momentum():
    spec = load_spec({**load_preset("one_cycle").to_dict(),
                      "param_groups": [{"name": "body", "lr_scale": 0.1}, {"name": "head", "lr_scale": 1.0}]})
    view = analyze(spec)
    assert list(view.groups) == ["body", "head"]
    assert view.groups["body"][1].max() == pytest.approx(0.1 * spec.lr)
    assert view.momentum is not None and view.momentum[1].min() == pytest.approx(0.85)


def test_twin_drops_warmup_only():
    spec = load_preset("bert")
    twin = no_warmup_twin(spec)
    assert twin is not None and twin.warmup.steps == 0
    assert twin.replace(warmup=spec.to_dict()["warmup"], name=spec.name) == spec
    assert schedules.curve(twin)[0] == spec.lr
    assert no_warmup_twin(twin) is None


def test_twin_of_an_exponential_warmup_is_valid():
    spec = load_spec({"total_steps": 100, "lr": 1.0, "warmup": {"steps": 10, "shape": "exponential",
                      "start_lr": 1e-3}, "schedule": {"type": "cosine"}})
    assert no_warmup_twin(spec).warmup.steps == 0


def test_csv_has_one_column_per_schedule_and_group():
    short = load_spec({"total_steps": 4, "lr": 1.0, "schedule": {"type": "linear"}})
    grouped = load_spec({"total_steps": 6, "lr": 1.0, "schedule": {"type": "constant"},
                         "param_groups": [{"name": "a", "lr_scale": 0.5}]})
    rows = list(csv.reader(io.StringIO(curves_csv({"=short": short, "g": grouped}))))
    assert rows[0] == ["step", "'=short", "g / a"]
    assert [float(r[1]) for r in rows[1:5]] == [1.0, 0.75, 0.5, 0.25]
    assert rows[5][1] == "" and rows[6] == ["5", "", "0.5"]


def test_csv_of_a_long_run_is_strided():
    spec = load_spec({"total_steps": 3000, "lr": 1.0, "schedule": {"type": "linear"}})
    lines = curves_csv({"lr": spec}, max_rows=1000).splitlines()
    assert len(lines) - 1 == 1000
    assert lines[2].split(",")[0] == "3"
    assert float(lines[-1].split(",")[1]) == schedules.curve(spec, [2997])[0]
    assert np.isclose(float(lines[1].split(",")[1]), 1.0)
