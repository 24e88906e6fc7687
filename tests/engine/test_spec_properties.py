"""Property tests over random specs: valid ones give sane curves, invalid ones name their field."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from schedules import SpecError, curve, load_spec, momentum_curve, reduce_blocks
from schedules.registry import FAMILIES
from tests.support.spec_strategies import valid_spec_dicts

SETTINGS = settings(max_examples=300, deadline=None)


def _load(data: dict):
    try:
        return load_spec(data)
    except SpecError:
        assume(False)
        raise


@SETTINGS
@given(valid_spec_dicts(main_steps=True))
def test_valid_specs_give_finite_non_negative_curves_of_the_right_length(data: dict) -> None:
    spec = _load(data)
    lr = curve(spec)
    assert lr.shape == (spec.total_steps,)
    assert lr.dtype == np.float64
    assert np.all(np.isfinite(lr))
    assert np.all(lr >= 0.0)
    if spec.momentum is not None:
        mom = momentum_curve(spec)
        assert np.all(np.isfinite(mom)) and np.all((mom >= 0) & (mom <= 1))


@SETTINGS
@given(valid_spec_dicts(main_steps=True), st.data())
def test_curve_at_steps_equals_indexing_the_full_curve(data: dict, draw: st.DataObject) -> None:
    spec = _load(data)
    full = curve(spec)
    steps = np.array(draw.draw(st.lists(st.integers(0, spec.total_steps - 1), min_size=1, max_size=50)))
    np.testing.assert_array_equal(curve(spec, steps), full[steps])
    grid = steps.reshape(-1, 1)
    assert curve(spec, grid).shape == grid.shape


@SETTINGS
@given(valid_spec_dicts(main_steps=True), st.data())
def test_reduced_blocks_are_the_curve_bit_for_bit(data: dict, draw: st.DataObject) -> None:
    spec = _load(data)
    n = spec.total_steps
    start = draw.draw(st.integers(0, n))
    stop = draw.draw(st.integers(start, n))
    block = draw.draw(st.integers(1, max(1, n)))
    parts = reduce_blocks(spec, lambda lo, values: (lo, values.copy()), block, start, stop)
    assert [lo for lo, _ in parts] == list(range(start, stop, block))
    got = np.concatenate([values for _, values in parts]) if parts else np.empty(0)
    np.testing.assert_array_equal(got, curve(spec)[start:stop])


@SETTINGS
@given(valid_spec_dicts(main_steps=True))
def test_json_round_trip(data: dict) -> None:
    spec = _load(data)
    again = load_spec(json.loads(spec.to_json()))
    assert again == spec
    assert again.to_dict() == spec.to_dict()


@SETTINGS
@given(valid_spec_dicts(families=("linear", "cosine", "polynomial", "constant", "wsd")))
def test_warmup_is_monotone_and_decays_stay_between_floor_and_peak(data: dict) -> None:
    spec = _load(data)
    lr = curve(spec)
    w = spec.warmup.steps
    if spec.interval == "step" and w > 1:
        rising = np.diff(lr[: w + 1])
        if spec.warmup.start_lr <= spec.lr:
            assert np.all(rising >= -1e-15 * spec.lr)
    main = lr[w:] if spec.interval == "step" else lr[lr.size :]
    params = spec.schedule.as_dict()
    floor = params.get("min_lr", params.get("end_lr", 0.0))
    tol = 1e-12 * spec.lr
    assert np.all(main <= spec.lr + tol)
    assert np.all(main >= floor - tol)


TOP_MUTATIONS = [
    ("version", 2),
    ("version", "1"),
    ("total_steps", 0),
    ("total_steps", -5),
    ("total_steps", 1.5),
    ("total_steps", "1000"),
    ("total_steps", True),
    ("total_steps", 10**9),
    ("lr", 0.0),
    ("lr", -1e-3),
    ("lr", float("nan")),
    ("lr", float("inf")),
    ("lr", "3e-4"),
    ("lr", None),
    ("interval", "batch"),
    ("steps_per_epoch", 0),
    ("name", "x" * 81),
    ("name", "two\nlines"),
    ("name", 5),
    ("param_groups", {"name": "a"}),
    ("bogus", 1),
]


@settings(max_examples=200, deadline=None)
@given(valid_spec_dicts(), st.sampled_from(TOP_MUTATIONS))
def test_invalid_top_level_fields_raise_spec_error_naming_the_field(data: dict, mutation: tuple) -> None:
    _load(data)
    key, value = mutation
    bad = copy.deepcopy(data)
    bad[key] = value
    try:
        load_spec(bad)
    except SpecError as exc:
        assert exc.field.split(".")[0].split("[")[0] == key, str(exc)
        assert str(exc).startswith(exc.field + ": ")
    else:
        raise AssertionError(f"{key}={value!r} was accepted")


@settings(max_examples=200, deadline=None)
@given(valid_spec_dicts(), st.data())
def test_invalid_schedule_parameters_raise_spec_error_naming_the_parameter(data: dict, draw: st.DataObject) -> None:
    spec = _load(data)
    params = [p for p in spec.family.params]
    assume(params)
    p = draw.draw(st.sampled_from(params))
    bad_values: list = ["text", {"a": 1}] + ([] if p.kind == "int_list" else [[1, 2]])
    if p.kind in ("float", "int"):
        bad_values += [float("nan"), float("inf"), -1.0 if p.low is None or p.low >= 0 else p.low - 1]
        if p.high is not None:
            bad_values.append(p.high * 2 + 1)
    if p.kind == "int_list":
        bad_values += [[5, 3], [0], [2, 2], []]
    if p.kind == "choice":
        bad_values += ["nope"]
    value = draw.draw(st.sampled_from(bad_values))
    bad = copy.deepcopy(data)
    bad["schedule"][p.name] = value
    try:
        load_spec(bad)
    except SpecError as exc:
        assert exc.field.startswith(f"schedule.{p.name}"), str(exc)
    else:
        raise AssertionError(f"schedule.{p.name}={value!r} was accepted")


FILL_FAMILIES = tuple(name for name, fam in FAMILIES.items() if fam.fill is not None)


@SETTINGS
@given(data=st.data())
def test_a_familys_fast_fill_is_its_formula_bit_for_bit(data: st.DataObject):
    """``Family.fill`` (the long-range path of ``schedules.curve``) writes exactly ``formula(arange(lo, hi))``
    for any range, including past the end of the schedule."""
    raw = data.draw(valid_spec_dicts(max_steps=200_000, families=FILL_FAMILIES, main_steps=True))
    spec = _load(raw)
    ctx = spec.ctx()
    length = ctx.length
    lo = data.draw(st.integers(0, 2 * length))
    hi = data.draw(st.integers(lo, lo + min(3 * length, 300_000)))
    out = np.full(hi - lo, np.nan)
    spec.family.fill(lo, hi, ctx, out)
    expected = spec.family.formula(np.arange(lo, hi, dtype=np.float64), ctx)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("family", ["linear", "cosine", "wsd", "one_cycle"])
def test_the_long_curves_of_these_families_take_the_fast_fill(family: str):
    assert family in FILL_FAMILIES


@SETTINGS
@given(valid_spec_dicts(main_steps=True, families=("cosine",)), st.data())
def test_a_periodic_cosine_is_torchs_closed_form_at_every_step(data: dict, draw: st.DataObject) -> None:
    """``periodic``: ``min + (lr - min) (1 + cos(pi u / D)) / 2`` for every u, past D too (torch
    CosineAnnealingLR's closed form), so it repeats every 2D and mirrors around D."""
    data["schedule"]["periodic"] = True
    spec = _load(data)
    d, lo = spec.main_steps, spec.schedule.get("min_lr")
    u = np.array(draw.draw(st.lists(st.integers(0, 6 * d), min_size=1, max_size=40)), dtype=np.float64)
    got = spec.family.formula(u, spec.ctx())
    want = lo + (spec.lr - lo) * (1.0 + np.cos(np.pi * u / d)) / 2.0
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15 * spec.lr)
    np.testing.assert_array_equal(spec.family.formula(u + 2 * d, spec.ctx()), got)
    np.testing.assert_array_equal(spec.family.formula(np.abs(2 * d - u), spec.ctx()), got)
