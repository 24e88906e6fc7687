"""Shared pieces of the config importers: safe parsing, number coercion, the budget and its rounding rules.

Nothing a user pastes is ever executed: JSON through :mod:`json`, YAML through a ``yaml.SafeLoader`` that
also refuses aliases (so a "billion laughs" document cannot expand), Python through :mod:`ast` only
(see :mod:`schedules.imports.pysafe`). Every size is capped before parsing.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from schedules.errors import SpecError

#: Text sources larger than this are refused before parsing (a trainer_state.json of a long run fits).
MAX_TEXT_BYTES = 8 * 1024 * 1024
#: YAML and Python are parsed into trees: a smaller cap keeps their parse time and memory bounded.
MAX_TREE_BYTES = 256 * 1024
#: Nesting deeper than this is refused (no config nests anywhere near it).
MAX_DEPTH = 64

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Budget:
    """What the config may not say: the run's length inputs, given by the caller."""

    total_steps: int | None = None
    steps_per_epoch: int | None = None
    dataset_size: int | None = None
    batch_size: int | None = None
    devices: int = 1
    grad_accum: int | None = None
    epochs: float | None = None
    #: Whether ``devices`` was given (a config saying "auto" needs it) rather than the default 1.
    devices_given: bool = False


@dataclass
class Result:
    """A spec dict plus the lines that say how it was derived."""

    spec: dict[str, Any]
    assumptions: list[str] = field(default_factory=list)


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader (plain data only) that also refuses anchors and aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise SpecError("config", "must not use YAML aliases (*name)",
                            f"line {event.start_mark.line + 1}")
        return super().compose_node(parent, index)


def parse_data(text: str) -> Any:
    """JSON or YAML text -> plain data (dicts, lists, strings, numbers, bools, None).

    Raises:
        SpecError: too large, too deep, aliases, or not parsable.
    """
    if len(text) > MAX_TEXT_BYTES:
        raise SpecError("config", f"must be at most {MAX_TEXT_BYTES // (1024 * 1024)} MB", f"{len(text)} bytes")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            # NaN and Infinity parse to floats: a field that is used is refused by name where it is read
            # ("lr: must be finite"), and a diverged run's NaN losses in a trainer_state.json do no harm.
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError("config", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") \
                from None
        except RecursionError:
            raise SpecError("config", f"is nested too deeply (more than {MAX_DEPTH} levels)") from None
        check_depth(data)
        return data
    if len(text) > MAX_TREE_BYTES:
        raise SpecError("config", f"YAML must be at most {MAX_TREE_BYTES // 1024} KB", f"{len(text)} bytes")
    if _yaml_too_deep(text):
        raise SpecError("config", f"is nested too deeply (more than {MAX_DEPTH} levels)")
    try:
        # The safe loader itself (what yaml.safe_load builds), so plain data is all it can make.
        loader = _NoAliasLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise SpecError("config", f"is not valid YAML: {problem}{where}") from None
    except RecursionError:
        raise SpecError("config", f"is nested too deeply (more than {MAX_DEPTH} levels)") from None
    check_depth(data)
    return data


def _yaml_too_deep(text: str) -> bool:
    """Flow-style brackets nested past MAX_DEPTH (PyYAML's composer recurses once per level)."""
    depth = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth = max(0, depth - 1)
    return False


def check_depth(data: Any) -> None:
    """Refuse data nested deeper than MAX_DEPTH (iteratively: no recursion on hostile input)."""
    stack = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SpecError("config", f"is nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def number(value: Any, path: str, *, integer: bool = False, low: float | None = None) -> Any:
    """A finite number from a config value; numeric strings such as ``"5e-5"`` (YAML 1.1 reads
    exponents without a dot as strings) are accepted as numbers."""
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        value = float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(path, "must be a whole number" if integer else "must be a number", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(path, "must be finite", value)
    if integer and isinstance(value, float):
        if not value.is_integer():
            raise SpecError(path, "must be a whole number", value)
        value = int(value)
    if low is not None and value < low:
        raise SpecError(path, f"must be >= {low:g}", value)
    return value


def get(cfg: dict[str, Any], key: str, default: Any, path: str | None = None, *, integer: bool = False,
        low: float | None = None) -> Any:
    """``cfg[key]`` as a number (default when absent or null)."""
    value = cfg.get(key)
    if value is None:
        return default
    return number(value, path or key, integer=integer, low=low)


def flag(cfg: dict[str, Any], key: str, default: bool) -> bool:
    """A boolean config value (YAML true/false, or the strings "true"/"false")."""
    value = cfg.get(key, default)
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise SpecError(key, "must be true or false", value)
    return value


def text_value(cfg: dict[str, Any], key: str, default: str) -> str:
    value = cfg.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise SpecError(key, "must be text", value)
    return value


def fmt_int(n: int | float) -> str:
    """``4688`` -> ``4,688`` (assumption lines)."""
    return f"{n:,}" if isinstance(n, int) else f"{n:,g}"


def run_length(supplied: int | None, natural: int | None, lines: list[str], missing: SpecError) -> int:
    """The run's length for a schedule function (Keras, optax): the supplied total, else the step where the
    schedule ends by itself; ``missing`` is raised when there is neither. Says which in ``lines``."""
    if supplied is not None:
        lines.append(f"total_steps = {fmt_int(supplied)} (supplied)")
        return supplied
    if natural is not None:
        lines.append(f"total_steps = {fmt_int(natural)} (where the schedule ends)")
        return natural
    raise missing


def need_budget(what: str, fmt_label: str) -> SpecError:
    """The error for a run length the config does not give."""
    return SpecError(
        "total_steps",
        f"the {fmt_label} config does not give the run's length; supply {what}",
    )


def batches_per_epoch(b: Budget, per_device: int, *, drop_last: bool, label: str) -> tuple[int, str]:
    """Batches per epoch on one device: steps_per_epoch is updates, so this comes from dataset_size only."""
    if b.dataset_size is None:
        raise need_budget("dataset_size (and batch_size), or steps_per_epoch, or total_steps", label)
    world = per_device * b.devices
    if drop_last:
        n = b.dataset_size // world
        rule = f"floor({fmt_int(b.dataset_size)} / ({per_device} × {b.devices} devices)) = {fmt_int(n)}"
    else:
        n = -(-b.dataset_size // world)
        rule = f"ceil({fmt_int(b.dataset_size)} / ({per_device} × {b.devices} devices)) = {fmt_int(n)}"
    if n < 1:
        raise SpecError("dataset_size", "is smaller than one batch", b.dataset_size)
    return n, rule
