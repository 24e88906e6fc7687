"""Specs for the trainer-config exports: the cases each trainer runs natively, and a strategy that
mostly draws specs a trainer can express (the rest must be refused naming a field)."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

import schedules
from schedules.spec import Schedule, Spec, Warmup
from tests.support.spec_strategies import valid_spec_dicts


def presets() -> dict[str, schedules.Spec]:
    return {f"preset:{n}": schedules.load_preset(n) for n in schedules.preset_names()}


def specs(cases: dict[str, dict[str, Any]]) -> dict[str, schedules.Spec]:
    """Every preset plus the given cases."""
    out = presets()
    out.update({k: schedules.load_spec(v) for k, v in cases.items()})
    return out


def unknown_shape(spec: Spec) -> Spec:
    """The spec with a warmup shape no exporter knows (as a future registry entry would add)."""
    return dataclasses.replace(spec, warmup=Warmup(steps=max(1, spec.warmup.steps), shape="quadratic"))


def unknown_kind(spec: Spec) -> Spec:
    """The spec with a schedule type no exporter knows."""
    return dataclasses.replace(spec, schedule=Schedule(type="rex", params=()))


@st.composite
def trainer_spec_dicts(draw: st.DrawFn, families: tuple[str, ...], max_steps: int = 300,
                       start_at_floor: bool = False) -> dict:
    """A valid spec dict, usually cleaned of what config exports refuse (per-epoch stepping, groups,
    momentum, non-linear warmups); ``start_at_floor`` starts a wsd warmup at its min_lr (HF WSD)."""
    data = draw(valid_spec_dicts(max_steps=max_steps, families=families))
    if draw(st.integers(0, 7)):
        data.pop("param_groups", None)
        data.pop("momentum", None)
        data["interval"] = "step"
        warm = data["warmup"]
        warm["shape"] = "linear"
        floor = data["schedule"].get("min_lr", 0.0) if start_at_floor and data["schedule"]["type"] == "wsd" else 0.0
        warm["start_lr"] = floor
    return data
