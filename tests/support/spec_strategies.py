"""Hypothesis strategies for valid spec v1 dicts, built from the family registry."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from schedules import FAMILIES, WARMUP_SHAPES
from schedules.params import Param

lrs = st.floats(min_value=1e-7, max_value=10.0, allow_nan=False, allow_infinity=False)


def _param_value(draw: st.DrawFn, p: Param, lr: float, length: int) -> Any:
    if p.kind == "bool":
        return draw(st.booleans())
    if p.kind == "choice":
        return draw(st.sampled_from(p.choices))
    if p.kind == "int_list":
        if length < 2:
            return None
        picks = draw(st.lists(st.integers(1, length - 1), min_size=1, max_size=5, unique=True))
        return sorted(picks)
    if p.name == "cycles":
        return draw(st.floats(min_value=0.01, max_value=50.0))
    if p.scale == "lr":
        return draw(st.floats(min_value=0.0, max_value=lr, allow_nan=False))
    if p.kind == "int":
        return draw(st.integers(1, max(1, length)))
    low = p.low if p.low is not None else 0.0
    high = p.high if p.high is not None else 1e6
    if p.scale == "steps":
        high = min(high, float(max(2, length)))
    value = draw(st.floats(min_value=low, max_value=high, allow_nan=False, exclude_min=p.low_open,
                           exclude_max=p.high_open))
    return value


@st.composite
def valid_spec_dicts(draw: st.DrawFn, max_steps: int = 3000, families: tuple[str, ...] | None = None,
                     main_steps: bool = False) -> dict:
    """A spec dict that load_spec should accept (callers still `assume` it loads: cross-field rules).

    Now and then the warmup outlasts the run (the lr never reaches its peak) and restarts are given as
    ``cycles``; with ``main_steps`` the main schedule's length is drawn too (shorter or longer than the rest
    of the run, a cosine then often ``periodic``), which only the targets that write ``main_steps`` take.
    """
    total = draw(st.integers(1, max_steps))
    lr = draw(lrs)
    kind = draw(st.sampled_from(families or tuple(FAMILIES)))
    outlasts = draw(st.integers(0, 9)) == 0  # a warmup as long as the run or longer, one time in ten
    warm_steps = draw(st.integers(total, 2 * total) if outlasts else st.integers(0, total - 1))
    shape = draw(st.sampled_from(tuple(WARMUP_SHAPES)))
    start = draw(st.floats(min_value=1e-8 if shape == "exponential" else 0.0, max_value=lr))
    length = max(1, total - warm_steps)
    if main_steps and draw(st.booleans()):
        length = draw(st.integers(1, 2 * max(1, total - warm_steps)))
    schedule: dict[str, Any] = {"type": kind}
    for p in FAMILIES[kind].params:
        if p.nullable and draw(st.booleans()):
            continue
        value = _param_value(draw, p, lr, length)
        if value is not None:
            schedule[p.name] = value
    if kind == "wsd" and "decay_steps" in schedule and "decay_fraction" in schedule:
        del schedule["decay_fraction"]
    if kind == "cosine_restarts":
        if draw(st.integers(0, 2)):
            schedule.pop("cycles", None)
            schedule.setdefault("period", draw(st.integers(1, length)))
        else:  # Hugging Face's restarts: equal cycles, any count
            schedule["cycles"] = _param_value(draw, FAMILIES[kind].param("cycles"), lr, length)
            schedule.pop("period", None)
            schedule["period_mult"] = schedule["peak_decay"] = 1.0
    spec: dict[str, Any] = {
        "version": 1,
        "total_steps": total,
        "lr": lr,
        "warmup": {"steps": warm_steps, "shape": shape, "start_lr": start},
        "schedule": schedule,
    }
    if length != max(1, total - warm_steps):
        spec["main_steps"] = length
    if draw(st.booleans()):
        spec["steps_per_epoch"] = draw(st.integers(1, max(1, total)))
        spec["interval"] = draw(st.sampled_from(("step", "epoch")))
    if draw(st.booleans()):
        spec["param_groups"] = [
            {"name": f"g{i}", "lr_scale": draw(st.floats(min_value=0.01, max_value=10.0))}
            for i in range(draw(st.integers(1, 3)))
        ]
    if FAMILIES[kind].momentum is not None and draw(st.booleans()):
        base = draw(st.floats(0.0, 1.0))
        spec["momentum"] = {"base": base, "max": draw(st.floats(base, 1.0))}
    return spec
