"""The heavy-work bound: at most HEAVY_SLOTS long analyses at once, light ones never queue, and every way
out of a slot gives it back."""

from __future__ import annotations

import contextlib
import threading

import pytest

from schedules import load_spec
from ui.common import heavy

LONG = load_spec({"total_steps": 2_000_000, "lr": 1e-3, "schedule": {"type": "cosine"}})
SHORT = load_spec({"total_steps": 10_000, "lr": 1e-3, "schedule": {"type": "cosine"}})


def test_long_and_short_specs():
    assert heavy.is_heavy(LONG) and not heavy.is_heavy(SHORT)
    with_momentum = load_spec({"total_steps": heavy.HEAVY_POINTS // 2, "lr": 1e-3, "schedule": {"type": "one_cycle"},
                               "momentum": {"base": 0.85, "max": 0.95}})
    assert heavy.is_heavy(with_momentum)


def test_a_long_analysis_waits_for_a_slot_and_a_short_one_does_not():
    results: dict[str, object] = {}
    with contextlib.ExitStack() as held:
        for _ in range(heavy.HEAVY_SLOTS):
            held.enter_context(heavy.heavy_slot("test"))
        assert heavy.load() == (heavy.HEAVY_SLOTS, 0)
        waiter = threading.Thread(target=lambda: results.update(long=heavy.bounded_analyze(LONG)))
        waiter.start()
        # Light work goes through while every slot is taken.
        results["short"] = heavy.bounded_analyze(SHORT)
        waiter.join(timeout=1.0)
        assert waiter.is_alive() and "long" not in results
        assert heavy.load() == (heavy.HEAVY_SLOTS, 1)
    waiter.join(timeout=120)
    assert not waiter.is_alive()
    assert results["long"].summary.peak == pytest.approx(1e-3)
    assert heavy.load() == (0, 0)


def test_an_exception_gives_the_slot_back():
    for _ in range(heavy.HEAVY_SLOTS + 2):
        with pytest.raises(KeyError), heavy.heavy_slot("test"):
            raise KeyError("stopped mid-run")
    assert heavy.load() == (0, 0)
    with contextlib.ExitStack() as held:  # every slot is still there
        for _ in range(heavy.HEAVY_SLOTS):
            assert heavy._slots.acquire(blocking=False)
            held.callback(heavy._slots.release)


def test_the_cache_budget_is_written_down():
    assert heavy.VIEW_CACHE_ENTRIES * heavy.MAX_VIEW_BYTES < 40e6
    view = heavy.bounded_analyze(load_spec({
        "total_steps": 1_000_000, "lr": 1e-3, "schedule": {"type": "cosine"},
        "param_groups": [{"name": f"g{i}", "lr_scale": 1.0 / (i + 1)} for i in range(16)],
    }))
    steps = next(iter(view.groups.values()))[0]
    kept = steps.nbytes + sum(values.nbytes for _, values in view.groups.values())
    assert kept <= heavy.MAX_VIEW_BYTES
