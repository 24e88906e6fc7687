"""ui.explore.grids: every registry number gets a slider grid that fits its range, reaches what the issue names
(1e-7 lr, a 20-step warmup on a 10M run, gamma 0.99995), reads well and snaps typed values to the nearest point."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from schedules import FAMILIES
from schedules.params import MAX_STEPS
from schedules.registry import LR_MAX
from ui.explore.grids import factor_grid, gamma_grid, label, lr_grid, param_grid, steps_grid


def test_lr_grid_is_log_with_at_least_ten_points_per_decade_and_exact_values():
    grid = lr_grid(LR_MAX, zero=False)
    values = grid.values
    assert values[0] == 1e-7 and values[-1] == LR_MAX
    for k in range(-7, 2):
        assert sum(10.0**k <= v < 10.0 ** (k + 1) for v in values) >= 10
    assert 3e-4 in values and 2.5e-5 in values  # written exactly, not 3 * 1e-4
    assert [grid.label(v) for v in (3e-4, 2.5e-5, 0.01, 1.0, 100.0)] == ["3e-4", "2.5e-5", "0.01", "1", "100"]
    assert all(a < b for a, b in pairwise(values))


def test_lr_grid_with_zero_and_a_bound():
    grid = lr_grid(3e-4, zero=True)
    assert grid.values[0] == 0.0 and grid.values[-1] == 3e-4 and max(grid.values) == 3e-4
    assert grid.nearest(0.0) == 0.0 and grid.nearest(1e-12) == 0.0
    assert grid.nearest(3.7e-4) == 3e-4  # above the bound: the top


@pytest.mark.parametrize(("typed", "shown"),
                         [(3.7e-4, 3.5e-4), (3.8e-4, 4e-4), (1.05e-5, 1e-5), (1.15e-5, 1.2e-5), (7e-3, 7e-3)])
def test_an_off_grid_lr_shows_the_nearest_point_in_log_distance(typed: float, shown: float):
    assert lr_grid(LR_MAX, zero=False).nearest(typed) == shown


def test_steps_grid_reaches_short_warmups_on_a_ten_million_step_run():
    grid = steps_grid(1, 10_000_000 - 1, zero=True)
    assert grid.values[:12] == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15)
    assert 20 in grid.values and 2000 in grid.values and grid.values[-1] == 9_999_999
    assert len(grid.values) < 80
    assert grid.nearest(2100) == 2000 and grid.nearest(0) == 0 and grid.label(250_000) == "250,000"


def test_gamma_grid_is_fine_near_one():
    grid = gamma_grid(0.0, 1.0, True)
    assert 0.99995 in grid.values and 0.9999999 in grid.values and 1.0 in grid.values and 0.1 in grid.values
    assert 0.0 not in grid.values  # gamma > 0
    assert grid.nearest(0.999951) == 0.99995 and grid.nearest(0.0011) == 0.001
    assert grid.label(0.99995) == "0.99995"


def test_factor_grids_linear_or_log_by_range():
    pct = factor_grid(0.0, 1.0, True, True)
    assert pct.values[0] == 0.01 and pct.values[-1] == 0.99 and pct.layout == "linear"
    div = factor_grid(1.0, 1e6, False, False)
    assert div.layout == "log" and div.values[0] == 1.0 and div.values[-1] == 1e6 and 25.0 in div.values
    assert len(factor_grid(1.0, 10.0, False, False).values) == 91  # period_mult in 0.1 steps


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_number_parameter_has_a_grid_inside_its_rule(family: str):
    for p in FAMILIES[family].params:
        grid = param_grid(p, main_steps=248_000, peak_lr=3e-4)
        if p.kind not in ("int", "float"):
            assert grid is None
            continue
        numbers = [v for v in grid.values if v is not None]
        assert numbers, p.name
        for v in numbers:
            p.coerce(int(v) if p.kind == "int" else float(v), p.name)  # raises if outside the rule
        assert (grid.values[0] is None) == p.nullable
        if p.scale == "steps":
            assert max(numbers) == 248_000  # bounded by the main schedule's length
        if p.scale == "lr":
            assert max(numbers) == 3e-4  # floors stay <= the peak lr
        if p.default is not None:
            nearest = grid.nearest(float(p.default))
            assert nearest is not None and math.isfinite(nearest)


def test_labels():
    assert label(None, "lr") == "auto" and label(0.0, "lr") == "0" and label(MAX_STEPS, "steps") == "100,000,000"


def test_grid_caches_are_bounded_whatever_schedules_visitors_bring():
    """The grids' bounds come from each share link (its total steps, its peak lr): a server that has seen
    thousands of links keeps at most GRID_CACHE_ENTRIES of each grid kind."""
    from ui.explore.grids import GRID_CACHE_ENTRIES, lr_grid, steps_grid

    for n in range(1, GRID_CACHE_ENTRIES + 200):
        steps_grid(1, 1000 + n, zero=True)
        lr_grid(1e-4 + n * 1e-7, zero=True)
    assert steps_grid.cache_info().currsize <= GRID_CACHE_ENTRIES
    assert lr_grid.cache_info().currsize <= GRID_CACHE_ENTRIES
