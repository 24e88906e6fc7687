"""The fast cosine decay (schedules.cospi) against Hugging Face's expression evaluated with libm."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules import cospi

# Worst relative error seen over many lengths is 4.6e-14; the contract is 1e-13 (parity allows 1e-12).
RTOL = 1e-13


def hf_cosine(k: np.ndarray, length: int, peak: float, floor: float) -> np.ndarray:
    """transformers' cosine (with min lr) lambda times the peak, written the way it is in the library."""
    progress = np.minimum(k, length) / length
    factor = 0.5 * (1.0 + np.cos(math.pi * 0.5 * 2.0 * progress))
    return floor + (peak - floor) * factor


def fill(lo: int, hi: int, length: int, peak: float, floor: float) -> np.ndarray:
    out = np.full(hi - lo, np.nan)
    cospi.cosine_fill(lo, hi, length, peak, floor, out)
    return out


def relative_error(got: np.ndarray, ref: np.ndarray, peak: float) -> float:
    big = ref > 1e-6 * peak
    assert np.all(np.abs(got[~big] - ref[~big]) <= 1e-15 * peak)
    return float(np.max(np.abs(got[big] - ref[big]) / ref[big])) if big.any() else 0.0


@pytest.mark.parametrize("length", [cospi.FAST_FROM, 40_000, 100_003, 1_000_000, 9_999_989])
@pytest.mark.parametrize(("peak", "floor"), [(1.0, 0.0), (3e-4, 3e-5), (2.0, 1.999)])
def test_whole_range_is_within_tolerance_and_exact_where_it_cancels(length: int, peak: float, floor: float) -> None:
    k = np.arange(length + 100, dtype=np.float64)
    got = fill(0, length + 100, length, peak, floor)
    ref = hf_cosine(k, length, peak, floor)
    assert relative_error(got, ref, peak) <= RTOL
    exact = (k < cospi.B) | (k >= length - (length >> cospi.TAIL_SHIFT))
    np.testing.assert_array_equal(got[exact], ref[exact])
    assert got[0] == peak
    np.testing.assert_array_equal(got[length:], floor)
    np.testing.assert_array_equal(cospi.cosine_at(k, length, peak, floor), got)


def test_short_decays_use_the_exact_expression() -> None:
    length = cospi.FAST_FROM - 1
    k = np.arange(length + 5, dtype=np.float64)
    np.testing.assert_array_equal(fill(0, length + 5, length, 3e-4, 0.0), hf_cosine(k, length, 3e-4, 0.0))
    np.testing.assert_array_equal(cospi.cosine_at(k, length, 3e-4, 0.0), hf_cosine(k, length, 3e-4, 0.0))


def test_hundred_million_steps_sampled() -> None:
    length = 100_000_000
    k = np.random.default_rng(0).integers(0, length + 10, 200_000).astype(np.float64)
    got = cospi.cosine_at(k, length, 1e-3, 1e-5)
    assert relative_error(got, hf_cosine(k, length, 1e-3, 1e-5), 1e-3) <= RTOL


@settings(max_examples=150, deadline=None)
@given(
    length=st.integers(cospi.FAST_FROM, 3_000_000),
    start=st.floats(0.0, 1.05),
    size=st.integers(1, 50_000),
    peak=st.floats(1e-7, 10.0),
    floor_fraction=st.floats(0.0, 1.0),
)
def test_any_range_equals_the_gather_path_bitwise(length: int, start: float, size: int, peak: float,
                                                  floor_fraction: float) -> None:
    floor = peak * floor_fraction
    lo = int(start * length)
    got = fill(lo, lo + size, length, peak, floor)
    k = np.arange(lo, lo + size, dtype=np.float64)
    np.testing.assert_array_equal(got, cospi.cosine_at(k, length, peak, floor))
    assert relative_error(got, hf_cosine(k, length, peak, floor), peak) <= RTOL
    assert np.all(got <= peak) and np.all(got >= floor)
