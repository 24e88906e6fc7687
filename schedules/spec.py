"""Spec v1: the JSON contract, parsed into a frozen, hashable :class:`Spec`.

``load_spec`` accepts a dict, JSON text or a path, checks every field against the registry and raises
:class:`~schedules.errors.SpecError` naming the first bad field. ``Spec.to_dict`` writes every default out,
so ``load_spec(spec.to_dict()) == spec``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schedules.errors import SpecError
from schedules.families import Ctx
from schedules.params import MAX_STEPS, Param, to_number
from schedules.registry import FAMILIES, LR_MAX, WARMUP_SHAPES

VERSION = 1
MAX_SPEC_BYTES = 64 * 1024
MAX_NAME = 80
MAX_GROUPS = 16

TOP_KEYS = (
    "version", "name", "total_steps", "lr", "warmup", "schedule",
    "steps_per_epoch", "interval", "param_groups", "momentum", "main_steps",
)


@dataclass(frozen=True)
class Warmup:
    """Rise from ``start_lr`` to the main schedule's first value over ``steps`` updates.

    ``overlay`` (timm's ``warmup_prefix=False``): the main schedule runs on the run's own clock ``t`` and
    the warmup replaces its first ``steps`` values, instead of the main schedule starting after warmup.
    """

    steps: int = 0
    shape: str = "linear"
    start_lr: float = 0.0
    overlay: bool = False


@dataclass(frozen=True)
class Schedule:
    """The main schedule: a registry family and its resolved parameters (in registry order)."""

    type: str
    params: tuple[tuple[str, Any], ...] = ()

    def get(self, name: str) -> Any:
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class ParamGroup:
    """A named optimizer param group whose lr is ``lr(t) * lr_scale``."""

    name: str
    lr_scale: float = 1.0


@dataclass(frozen=True)
class Momentum:
    """Momentum (or Adam beta1) cycled inversely to the lr: between ``base`` and ``max``."""

    base: float = 0.85
    max: float = 0.95


@dataclass(frozen=True)
class Spec:
    """A validated schedule spec (v1). Build it with :func:`load_spec`, not directly."""

    total_steps: int
    lr: float
    schedule: Schedule
    warmup: Warmup = field(default_factory=Warmup)
    name: str = ""
    steps_per_epoch: int | None = None
    interval: str = "step"
    param_groups: tuple[ParamGroup, ...] = ()
    momentum: Momentum | None = None
    version: int = VERSION
    #: The main schedule's length when it is not the rest of the run (``main_steps`` in JSON); None: derived.
    main_length: int | None = None

    @property
    def family(self):  # -> registry.Family
        return FAMILIES[self.schedule.type]

    @property
    def main_steps(self) -> int:
        """D: the main schedule's length. ``main_steps`` when given, else ``total_steps - warmup.steps``
        (``total_steps`` with an overlaid warmup), at least 1 (see :func:`derived_length`)."""
        if self.main_length is not None:
            return self.main_length
        return derived_length(self.total_steps, self.warmup)

    @property
    def warmup_outlasts_run(self) -> bool:
        """Whether the run ends during the warmup (``warmup.steps >= total_steps``): the lr never reaches
        the main schedule, as in a Hugging Face scheduler given ``num_warmup_steps >= num_training_steps``."""
        return self.warmup.steps >= self.total_steps

    @property
    def main_offset(self) -> int:
        """Where the main schedule's clock starts: ``u = t - main_offset`` (0 for an overlaid warmup)."""
        return 0 if self.warmup.overlay else self.warmup.steps

    @property
    def extensions(self) -> tuple[str, ...]:
        """The field paths this spec uses beyond the first spec v1 layout (an overlaid warmup, an explicit
        main_steps); the code exporters refuse them by name rather than approximate."""
        used = []
        if self.warmup_outlasts_run:
            used.append("warmup.steps")
        if self.warmup.overlay:
            used.append("warmup.overlay")
        if self.main_length is not None:
            used.append("main_steps")
        params = self.schedule.as_dict()
        if params.get("periodic") and self.main_offset + self.main_steps < self.total_steps - 1:
            # Only a run that goes past the decay's end (u > D) sees the rise; before that it is the cosine.
            used.append("schedule.periodic")
        if params.get("cycles") is not None:
            used.append("schedule.cycles")
        return tuple(used)

    def ctx(self) -> Ctx:
        return Ctx(lr=self.lr, length=self.main_steps, params=self.schedule.as_dict())

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data with every default written out.

        ``warmup.overlay`` and ``main_steps`` are written only when set, so a spec that does not use them
        reads and writes exactly as before they existed.
        """
        warmup: dict[str, Any] = {
            "steps": self.warmup.steps, "shape": self.warmup.shape, "start_lr": self.warmup.start_lr,
        }
        if self.warmup.overlay:
            warmup["overlay"] = True
        data: dict[str, Any] = {
            "version": self.version,
            "name": self.name,
            "total_steps": self.total_steps,
            "lr": self.lr,
            "warmup": warmup,
            "schedule": {"type": self.schedule.type, **_written_params(self.schedule)},
            "steps_per_epoch": self.steps_per_epoch,
            "interval": self.interval,
            "param_groups": [{"name": g.name, "lr_scale": g.lr_scale} for g in self.param_groups],
            "momentum": None if self.momentum is None else {"base": self.momentum.base, "max": self.momentum.max},
        }
        if self.main_length is not None:
            data["main_steps"] = self.main_length
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def replace(self, **changes: Any) -> Spec:
        """A new validated spec with top-level fields changed (values as in JSON)."""
        data = self.to_dict()
        data.update(changes)
        return load_spec(data)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _written_params(schedule: Schedule) -> dict[str, Any]:
    """The schedule's parameters as JSON data: every one, except a later addition left at its default."""
    family = FAMILIES[schedule.type]
    out = {}
    for key, value in schedule.params:
        p = family.param(key)
        if p.omit_default and value == p.default:
            continue
        out[key] = _jsonable(value)
    return out


def derived_length(total: int, warmup: Warmup) -> int:
    """D when ``main_steps`` is not given: ``total_steps - warmup.steps`` (``total_steps`` with an overlaid
    warmup). A warmup that outlasts the run leaves the main schedule no step; its length is then 1, as
    Hugging Face's ``max(1, num_training_steps - num_warmup_steps)`` (``transformers/optimization.py``,
    every ``_get_*_schedule_with_warmup_lr_lambda``), which only its target at u = 0 depends on."""
    return max(1, total - (0 if warmup.overlay else warmup.steps))


def read_spec_source(obj: Any) -> Any:
    """Turn a dict, JSON text or a path into plain data (not yet validated)."""
    if isinstance(obj, (dict, list)):
        return obj
    if isinstance(obj, Spec):
        return obj.to_dict()
    if isinstance(obj, (bytes, bytearray)):
        try:
            obj = bytes(obj).decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError("spec", "must be UTF-8 JSON text") from None
    if isinstance(obj, os.PathLike) or (isinstance(obj, str) and not obj.lstrip().startswith(("{", "["))):
        path = Path(obj)
        try:
            if path.stat().st_size > MAX_SPEC_BYTES:
                raise SpecError("spec", f"must be at most {MAX_SPEC_BYTES // 1024} KB", path.stat().st_size)
            obj = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError("spec", "must be a readable UTF-8 JSON file", str(obj), type(exc).__name__) from None
    if not isinstance(obj, str):
        raise SpecError("spec", "must be an object, JSON text or a file path", type(obj).__name__)
    return parse_json_text(obj)


def parse_json_text(obj: str) -> Any:
    """Parse spec JSON text (size-capped; a NaN or Infinity is refused naming its field)."""
    if len(obj) > MAX_SPEC_BYTES:
        raise SpecError("spec", f"must be at most {MAX_SPEC_BYTES // 1024} KB", len(obj))
    try:
        data = json.loads(obj)  # NaN, Infinity, -Infinity read as floats: refused below, by field
    except json.JSONDecodeError as exc:
        raise SpecError("spec", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    check_finite(data)
    return data


def check_finite(data: Any) -> None:
    """Raise SpecError naming the first field (in document order) that holds NaN or an infinity, e.g.
    ``schedule.gamma: must be finite (got NaN)``. Iterative, so deeply nested input cannot overflow."""
    stack: list[tuple[str, Any]] = [("", data)]
    seen: set[int] = set()  # YAML aliases can share one list many times over: visit each container once
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            written = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
            raise SpecError(path or "spec", "must be finite", context=f"got {written}")
        if isinstance(value, (dict, list)):
            if id(value) in seen:
                continue
            seen.add(id(value))
        if isinstance(value, dict):
            items = [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(items))


def load_spec(obj: Any) -> Spec:
    """Validate a spec given as a dict, JSON text or a path; return the frozen :class:`Spec`.

    Raises:
        SpecError: the first invalid field, e.g. ``schedule.min_lr: must be <= lr (got 0.001,
            lr 0.0003)``.
    """
    data = read_spec_source(obj)
    if not isinstance(data, dict):
        raise SpecError("spec", "must be a JSON object", type(data).__name__)
    _no_unknown(data, TOP_KEYS, "")
    version = data.get("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        raise SpecError("version", f"must be {VERSION}", version)
    name = _name(data.get("name", ""), "name")
    total = _field_int(data, "total_steps", None, low=1, high=MAX_STEPS)
    lr = _field_float(data, "lr", None, low=0.0, high=LR_MAX, low_open=True)
    warmup = _warmup(data.get("warmup"))
    main_length = data.get("main_steps")
    if main_length is not None:
        main_length = _field_int(data, "main_steps", None, low=1, high=MAX_STEPS)
    length = main_length if main_length is not None else derived_length(total, warmup)
    steps_per_epoch = data.get("steps_per_epoch")
    if steps_per_epoch is not None:
        steps_per_epoch = _field_int(data, "steps_per_epoch", None, low=1, high=MAX_STEPS)
    interval = data.get("interval", "step")
    if interval not in ("step", "epoch"):
        raise SpecError("interval", "must be one of step, epoch", interval)
    if interval == "epoch" and steps_per_epoch is None:
        raise SpecError("interval", "'epoch' needs steps_per_epoch", interval)
    schedule = _schedule(data.get("schedule"), lr, length, warmup.steps)
    groups = _param_groups(data.get("param_groups"))
    momentum = _momentum(data.get("momentum"), schedule.type)
    spec = Spec(
        total_steps=total, lr=lr, schedule=schedule, warmup=warmup, name=name,
        steps_per_epoch=steps_per_epoch, interval=interval, param_groups=groups, momentum=momentum,
        main_length=main_length,
    )
    _check_warmup_target(spec)
    return spec


def loads_spec(text: str) -> Spec:
    """Validate a spec given as JSON text (never read as a path)."""
    return load_spec(parse_json_text(text))


def _no_unknown(data: dict, allowed: tuple[str, ...] | list[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            path = f"{prefix}{key}" if isinstance(key, str) else f"{prefix}?"
            raise SpecError(path, "is not a known field; allowed: " + ", ".join(allowed))


def _name(value: Any, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SpecError(path, "must be text", value)
    if len(value) > MAX_NAME:
        raise SpecError(path, f"must be at most {MAX_NAME} characters", len(value))
    if any(ord(ch) < 32 for ch in value):
        raise SpecError(path, "must not contain control characters (newlines, tabs)", value)
    return value


def _field_int(data: dict, key: str, prefix: str | None, *, low: int, high: int) -> int:
    path = f"{prefix}.{key}" if prefix else key
    if key not in data or data[key] is None:
        raise SpecError(path, "is required (a whole number)")
    value = to_number(data[key], path, integer=True)
    if value < low or value > high:
        raise SpecError(path, f"must be >= {low} and <= {high}", value)
    return value


def _field_float(
    data: dict, key: str, prefix: str | None, *, low: float, high: float, low_open: bool = False
) -> float:
    path = f"{prefix}.{key}" if prefix else key
    if key not in data or data[key] is None:
        raise SpecError(path, "is required (a number)")
    value = to_number(data[key], path, integer=False)
    if (value <= low if low_open else value < low) or value > high:
        raise SpecError(path, f"must be {'>' if low_open else '>='} {low:g} and <= {high:g}", value)
    return value


def _warmup(value: Any) -> Warmup:
    if value is None:
        return Warmup()
    if not isinstance(value, dict):
        raise SpecError("warmup", "must be an object like {\"steps\": 500}", value)
    _no_unknown(value, ("steps", "shape", "start_lr", "overlay"), "warmup.")
    # A warmup may outlast the run (the lr then never reaches its peak): trainers run such configs.
    steps = _field_int(value, "steps", "warmup", low=0, high=MAX_STEPS) if "steps" in value else 0
    shape = value.get("shape", "linear")
    if not isinstance(shape, str) or shape not in WARMUP_SHAPES:
        raise SpecError("warmup.shape", "must be one of " + ", ".join(WARMUP_SHAPES), shape)
    start = _field_float(value, "start_lr", "warmup", low=0.0, high=LR_MAX) if "start_lr" in value else 0.0
    if shape == "exponential" and start <= 0.0:
        raise SpecError("warmup.start_lr", "must be > 0 for an exponential warmup", start)
    overlay = value.get("overlay", False)
    if not isinstance(overlay, bool):
        raise SpecError("warmup.overlay", "must be true or false", overlay)
    return Warmup(steps=steps, shape=shape, start_lr=start, overlay=overlay)


def _schedule(value: Any, lr: float, length: int, warmup_steps: int) -> Schedule:
    if not isinstance(value, dict):
        raise SpecError("schedule", "must be an object like {\"type\": \"cosine\"}", value)
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in FAMILIES:
        raise SpecError("schedule.type", "must be one of " + ", ".join(FAMILIES), kind)
    family = FAMILIES[kind]
    _no_unknown(value, ["type", *(p.name for p in family.params)], "schedule.")
    params: dict[str, Any] = {}
    for p in family.params:
        raw = value.get(p.name, p.default)
        params[p.name] = p.coerce(raw, f"schedule.{p.name}")
    _resolve_derived(kind, params, length, warmup_steps, set(value))
    ctx = Ctx(lr=lr, length=length, params=params)
    if family.check is not None:
        family.check(ctx)
    return Schedule(type=kind, params=tuple(params.items()))


def _resolve_derived(kind: str, params: dict[str, Any], length: int, warmup_steps: int, given: set[str]) -> None:
    """Fill the parameters whose default depends on the rest of the spec (written out by to_dict); ``given``
    holds the keys the schedule object wrote."""
    if kind == "cosine_restarts":
        if params["cycles"] is not None and "period" not in given:
            params["period"] = None  # cycles set the cycle length; the default period does not apply
        elif params["period"] is None and params["cycles"] is None:
            params["period"] = FAMILIES[kind].param("period").default
    if kind == "inverse_sqrt" and params["timescale"] is None:
        params["timescale"] = warmup_steps or 10_000
    if kind == "wsd":
        if params["decay_steps"] is None and params["decay_fraction"] is None:
            params["decay_fraction"] = 0.1
        if params["shape"] == "exponential" and params["half_life"] is None:
            decay = params["decay_steps"] or max(1, round(params["decay_fraction"] * length))
            params["half_life"] = max(1.0, decay / 5.0)


def _param_groups(value: Any) -> tuple[ParamGroup, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError("param_groups", "must be a list of {\"name\", \"lr_scale\"} objects", value)
    if len(value) > MAX_GROUPS:
        raise SpecError("param_groups", f"must have at most {MAX_GROUPS} groups", len(value))
    groups = []
    seen = set()
    for i, item in enumerate(value):
        path = f"param_groups[{i}]"
        if not isinstance(item, dict):
            raise SpecError(path, "must be an object like {\"name\": \"head\", \"lr_scale\": 1.0}", item)
        _no_unknown(item, ("name", "lr_scale"), path + ".")
        name = _name(item.get("name", f"group{i}"), path + ".name") or f"group{i}"
        if name in seen:
            raise SpecError(path + ".name", "must be unique", name)
        seen.add(name)
        scale = (
            _field_float(item, "lr_scale", path, low=0.0, high=1000.0, low_open=True)
            if "lr_scale" in item else 1.0
        )
        groups.append(ParamGroup(name=name, lr_scale=scale))
    return tuple(groups)


def _momentum(value: Any, kind: str) -> Momentum | None:
    if value is None:
        return None
    if FAMILIES[kind].momentum is None:
        raise SpecError("momentum", "is only scheduled by cyclic and one_cycle", kind)
    if not isinstance(value, dict):
        raise SpecError("momentum", "must be an object like {\"base\": 0.85, \"max\": 0.95}", value)
    _no_unknown(value, ("base", "max"), "momentum.")
    base = _field_float(value, "base", "momentum", low=0.0, high=1.0) if "base" in value else 0.85
    top = _field_float(value, "max", "momentum", low=0.0, high=1.0) if "max" in value else 0.95
    if base > top:
        raise SpecError("momentum.base", "must be <= momentum.max", base, f"max {top!r}")
    return Momentum(base=base, max=top)


def _check_warmup_target(spec: Spec) -> None:
    """Exponential warmup needs a finite ratio target / start; guard against a zero start."""
    if spec.warmup.steps and spec.warmup.shape == "exponential":
        start = spec.warmup.start_lr
        if not math.isfinite(spec.lr / start):
            raise SpecError("warmup.start_lr", "is too small for an exponential warmup", start)


def param_for(kind: str, name: str) -> Param:
    """The registry's description of ``schedule.<name>`` for family ``kind``."""
    return FAMILIES[kind].param(name)
