"""The Train page's own controls in its share link: optimizer, hyperparameters, task, seed count and steps.

Pure: no Streamlit. The schedule, its comparison set and the twin flag travel as on the explore page
(``spec``, ``cmp``, ``twin``: ``ui.common.link_state``); this module adds the training settings beside them.
``encode(settings, default_steps)`` gives the query parameters, ``decode(params)`` reads them back and never
raises: a malformed or out-of-range value is dropped (its default stands in) and a one-line notice names the
parameter and the rule.

Query parameters (all plain text; a value at its default is left out of the link):

- ``opt``: the optimizer, one of :data:`SLUGS` (``sgd``, ``sgd_momentum``, ``adagrad``, ``rmsprop``, ``adam``,
  ``adamw``).
- the chosen optimizer's hyperparameters by their torch.optim names: ``momentum``, ``nesterov`` (1 or 0),
  ``alpha``, ``eps``, ``beta1``, ``beta2``, ``weight_decay``; each within the range its control allows
  (:data:`ui.train.setup.HYPER_RANGES`).
- ``task``: ``teacher`` or ``digits``.
- ``seeds``: 1 to :data:`ui.train.setup.MAX_SEEDS`.
- ``steps``: a multiple of 10 from :data:`ui.train.setup.MIN_STEPS` to :data:`ui.train.setup.MAX_STEPS`
  (left out: the schedule's own length, ``ui.train.setup.default_steps``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.datasets import TASKS
from ui.common.link_state import STREAMLIT_KEYS
from ui.common.link_state import _short as short
from ui.train import setup as ts

#: Page label -> the ``opt`` value of a link.
SLUGS: dict[str, str] = {"SGD": "sgd", "SGD + momentum": "sgd_momentum", "AdaGrad": "adagrad",
                         "RMSprop": "rmsprop", "Adam": "adam", "AdamW": "adamw"}
LABELS = {slug: label for label, slug in SLUGS.items()}
HYPER_KEYS = ("momentum", "nesterov", "alpha", "eps", "beta1", "beta2", "weight_decay")
TRAIN_KEYS = ("opt", "task", "seeds", "steps", *HYPER_KEYS)
#: The schedule's keys (``ui.common.link_state``) a Train page link carries.
SCHEDULE_KEYS = ("spec", "cmp", "twin")
DEFAULT_TASK = "teacher"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class TrainSettings:
    """The Train page's controls: the optimizer's page label, its hyperparameters (every one its controls
    show), the task, the seed count, and the steps (None: the schedule's own length)."""

    optimizer: str = ts.DEFAULT_OPTIMIZER
    hyper: Mapping[str, Any] = field(default_factory=lambda: dict(ts.HYPER_DEFAULTS[ts.DEFAULT_OPTIMIZER]))
    task: str = DEFAULT_TASK
    seeds: int = ts.DEFAULT_SEEDS
    steps: int | None = None


def encode(settings: TrainSettings, default_steps: int) -> dict[str, str]:
    """The query parameters restoring ``settings`` (values at their default left out). ``default_steps`` is
    the schedule's own length, which a link without ``steps`` trains."""
    params: dict[str, str] = {}
    if settings.optimizer != ts.DEFAULT_OPTIMIZER:
        params["opt"] = SLUGS[settings.optimizer]
    defaults = ts.HYPER_DEFAULTS[settings.optimizer]
    for key, default in defaults.items():
        value = settings.hyper.get(key, default)
        if value != default:
            params[key] = ("1" if value else "0") if key == "nesterov" else repr(float(value))
    if settings.task != DEFAULT_TASK:
        params["task"] = settings.task
    if settings.seeds != ts.DEFAULT_SEEDS:
        params["seeds"] = str(settings.seeds)
    if settings.steps is not None and settings.steps != default_steps:
        params["steps"] = str(settings.steps)
    return params


def decode(params: Mapping[str, Any]) -> tuple[TrainSettings, list[str]]:
    """Read the training settings from query parameters; never raises.

    Parameters of the schedule (``spec``, ``cmp``, ``twin``) and Streamlit's own are left to their readers;
    any other unknown one gets a notice.

    Returns:
        The settings (defaults for every missing or rejected parameter) and one notice per rejected
        parameter, e.g. ``Link parameter 'beta2' ignored: must be a number from 0 to 0.9999 (got '1.5').``
    """
    notices: list[str] = []
    try:
        return _decode(params, notices), notices
    except Exception as exc:  # a last guard: a share link must never break the page
        return TrainSettings(), [*notices, f"Training settings in the link ignored ({type(exc).__name__})."]


def _decode(params: Mapping[str, Any], notices: list[str]) -> TrainSettings:
    values: dict[str, str] = {}
    unknown: list[str] = []
    for key, raw in params.items():
        value = raw[-1] if isinstance(raw, (list, tuple)) and raw else raw
        if key in TRAIN_KEYS and isinstance(value, str):
            values[key] = value
        elif key not in SCHEDULE_KEYS and key not in STREAMLIT_KEYS:
            unknown.append(short(str(key)))
    if unknown:
        shown = ", ".join(repr(k) for k in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        notices.append(f"Unknown link parameter(s) ignored: {shown}; known: "
                       f"{', '.join((*SCHEDULE_KEYS, *TRAIN_KEYS))}.")

    label = ts.DEFAULT_OPTIMIZER
    if "opt" in values:
        slug = values["opt"].strip().lower()
        if slug in LABELS:
            label = LABELS[slug]
        else:
            notices.append(f"Link parameter 'opt' ignored: must be one of {', '.join(SLUGS.values())} "
                           f"(got {short(values['opt'])!r}).")
    hyper = dict(ts.HYPER_DEFAULTS[label])
    for key in HYPER_KEYS:
        if key not in values:
            continue
        if key not in hyper:
            notices.append(f"Link parameter '{key}' ignored: {label} has no {key} "
                           f"(its hyperparameters: {', '.join(hyper)}).")
        elif key == "nesterov":
            flag = _flag(values[key])
            if flag is None:
                notices.append(f"Link parameter 'nesterov' ignored: must be 1 or 0 (got {short(values[key])!r}).")
            else:
                hyper[key] = flag
        else:
            number = _number(values[key], *ts.HYPER_RANGES[key])
            if number is None:
                lo, hi = ts.HYPER_RANGES[key]
                notices.append(f"Link parameter '{key}' ignored: must be a number from {lo:g} to {hi:g} "
                               f"(got {short(values[key])!r}).")
            else:
                hyper[key] = number

    task = DEFAULT_TASK
    if "task" in values:
        if values["task"] in TASKS:
            task = values["task"]
        else:
            notices.append(f"Link parameter 'task' ignored: must be one of {', '.join(TASKS)} "
                           f"(got {short(values['task'])!r}).")
    seeds = ts.DEFAULT_SEEDS
    if "seeds" in values:
        count = _integer(values["seeds"])
        if count is not None and 1 <= count <= ts.MAX_SEEDS:
            seeds = count
        else:
            notices.append(f"Link parameter 'seeds' ignored: must be a whole number from 1 to {ts.MAX_SEEDS} "
                           f"(got {short(values['seeds'])!r}).")
    steps = None
    if "steps" in values:
        count = _integer(values["steps"])
        if count is not None and ts.MIN_STEPS <= count <= ts.MAX_STEPS and count % ts.STEPS_GRID == 0:
            steps = count
        else:
            notices.append(f"Link parameter 'steps' ignored: must be a multiple of {ts.STEPS_GRID} from "
                           f"{ts.MIN_STEPS} to {ts.MAX_STEPS} (got {short(values['steps'])!r}).")
    return TrainSettings(optimizer=label, hyper=hyper, task=task, seeds=seeds, steps=steps)


def _flag(text: str) -> bool | None:
    low = text.strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


def _number(text: str, lo: float, hi: float) -> float | None:
    """``float(text)`` when it is a finite number in ``[lo, hi]``, else None (short texts only: no 10⁵-digit
    integers to parse)."""
    if len(text) > 40:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and lo <= value <= hi else None


def _integer(text: str) -> int | None:
    stripped = text.strip()
    # isascii: str.isdigit also accepts digits such as '²' that int() refuses.
    return int(stripped) if stripped.isascii() and stripped.isdigit() and len(stripped) <= 6 else None
