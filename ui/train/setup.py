"""What the Train page trains: the optimizer choices and their controls, and the set of schedules (the current
one, its no-warmup twin, the compared ones) within the page's cost bounds. Pure: no Streamlit.

Cost bound: at most :data:`MAX_SCHEDULES` schedules x :data:`MAX_SEEDS` seeds x :data:`MAX_STEPS` steps
= 24,000 training steps for a fresh page (about 40 s on one core of this 2-core machine), each run cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schedules import Spec, load_spec
from ui.common.curves import no_warmup_twin
from ui.common.link_state import State

MAX_SEEDS = 4
MAX_STEPS = 1000
MIN_STEPS = 50
#: The steps slider's grid.
STEPS_GRID = 10
#: The current schedule, its twin and up to four compared ones.
MAX_SCHEDULES = 6
DEFAULT_SEEDS = 3

#: The page's optimizer choices: label -> (``tasks.optimizers`` name, the hyperparameters it shows).
OPTIMIZERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "SGD": ("sgd", ("weight_decay",)),
    "SGD + momentum": ("sgd", ("momentum", "nesterov", "weight_decay")),
    "AdaGrad": ("adagrad", ("eps", "weight_decay")),
    "RMSprop": ("rmsprop", ("alpha", "eps", "momentum", "weight_decay")),
    "Adam": ("adam", ("beta1", "beta2", "eps", "weight_decay")),
    "AdamW": ("adamw", ("beta1", "beta2", "eps", "weight_decay")),
}
DEFAULT_OPTIMIZER = "Adam"

#: Control defaults per optimizer (torch.optim's, except SGD + momentum's 0.9).
HYPER_DEFAULTS: dict[str, dict[str, Any]] = {
    "SGD": {"weight_decay": 0.0},
    "SGD + momentum": {"momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
    "AdaGrad": {"eps": 1e-10, "weight_decay": 0.0},
    "RMSprop": {"alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0},
    "Adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "AdamW": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2},
}

#: What each hyperparameter control accepts (inclusive), for the controls and for a share link's values.
HYPER_RANGES: dict[str, tuple[float, float]] = {
    "momentum": (0.0, 0.9999), "alpha": (0.0, 0.9999), "beta1": (0.0, 0.9999), "beta2": (0.0, 0.9999),
    "eps": (1e-12, 1.0), "weight_decay": (0.0, 1.0),
}

#: The page's own starting schedule when no link or explore state gives one: the measured warmup demo
#: (Adam at peak 0.02 with a 60-step linear warmup, cosine to 0 over 600 steps).
DEMO_SPEC = {"name": "warmup demo: 60-step warmup, cosine, peak 0.02", "total_steps": 600, "lr": 0.02,
             "warmup": {"steps": 60}, "schedule": {"type": "cosine"}}


def demo_spec() -> Spec:
    return load_spec(DEMO_SPEC)


def default_steps(spec: Spec) -> int:
    """The spec's own length when it fits (to the slider's 10-step grid), else 600 (then compressed)."""
    return int(min(max(round(spec.total_steps / STEPS_GRID) * STEPS_GRID, MIN_STEPS), 600))


def optimizer_args(label: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The ``tasks.optimizers`` name and hyperparameters of a page choice and its control values."""
    name, shown = OPTIMIZERS[label]
    hyper: dict[str, Any] = {}
    for key in shown:
        value = values.get(key, HYPER_DEFAULTS[label][key])
        if key in ("beta1", "beta2"):
            continue
        hyper[key] = bool(value) if key == "nesterov" else float(value)
    if "beta1" in shown:
        hyper["betas"] = (float(values.get("beta1", 0.9)), float(values.get("beta2", 0.999)))
    if label == "SGD + momentum" and hyper["momentum"] == 0.0:
        hyper["nesterov"] = False
    return name, hyper


@dataclass(frozen=True)
class Plan:
    """The schedules to train, by display name, and what was left out (with why)."""

    specs: dict[str, Spec]
    twin_of: str | None
    skipped: tuple[str, ...]


def plan(state: State, twin: bool) -> Plan:
    """The current schedule, its no-warmup twin (if ``twin`` and it has a warmup), then the compared schedules,
    at most :data:`MAX_SCHEDULES` in all; names are unique."""
    main = state.spec.name or "schedule"
    specs: dict[str, Spec] = {main: state.spec}
    twin_spec = no_warmup_twin(state.spec) if twin else None
    twin_name = None
    if twin_spec is not None:
        twin_name = _unique("no warmup", specs)
        specs[twin_name] = twin_spec
    skipped = []
    for item in state.compare:
        if len(specs) >= MAX_SCHEDULES:
            skipped.append(item.name)
            continue
        specs[_unique(item.name, specs)] = item.spec
    return Plan(specs=specs, twin_of=main if twin_name else None, skipped=tuple(skipped))


def _unique(name: str, taken: dict[str, Spec]) -> str:
    k, out = 2, name
    while out in taken:
        out, k = f"{name} ({k})", k + 1
    return out


def twin_name(p: Plan) -> str | None:
    """The display name of the twin in ``p`` (the entry right after the current schedule), if any."""
    return list(p.specs)[1] if p.twin_of is not None else None
