"""Typed parameter descriptions: the single source for validation, UI controls and exporters.

A :class:`Param` knows its type, range, default and one-line help. ``Param.coerce`` turns a JSON value
into the typed value or raises :class:`~schedules.errors.SpecError` naming the field and the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from schedules.errors import SpecError

Kind = Literal["float", "int", "bool", "choice", "int_list"]
#: How a number is best shown: ``lr`` spans decades (log control), ``steps`` counts updates,
#: ``factor`` is a dimensionless multiplier or fraction.
Scale = Literal["lr", "steps", "factor", "none"]

MAX_STEPS = 100_000_000


@dataclass(frozen=True)
class Param:
    """One schedule parameter.

    ``low``/``high`` bound numbers (``low_open``/``high_open`` make a bound strict); ``nullable`` params
    accept ``null`` meaning "derive it" (the spec resolves it at load time where the rule is fixed).
    ``omit_default`` marks a parameter added to spec v1 later: ``Spec.to_dict`` writes it only when it is not
    its default, so a spec that does not use it reads and writes exactly as before it existed.
    """

    name: str
    kind: Kind
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    scale: Scale = "none"
    nullable: bool = False
    omit_default: bool = False

    def rule(self) -> str:
        """The range rule in words, e.g. ``must be > 0 and <= 1``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {_num(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {_num(self.high)}")
        return "must be " + " and ".join(parts) if parts else ""

    def coerce(self, value: Any, path: str) -> Any:
        """Validate ``value`` (a JSON value) and return it typed; raise SpecError otherwise."""
        if value is None:
            if self.nullable:
                return None
            raise SpecError(path, f"is required ({self._type_words()})", value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise SpecError(path, "must be true or false", value)
            return value
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise SpecError(path, "must be one of " + ", ".join(self.choices), value)
            return value
        if self.kind == "int_list":
            return self._coerce_int_list(value, path)
        number = to_number(value, path, integer=self.kind == "int")
        self._check_range(number, path)
        return number

    def _type_words(self) -> str:
        return {
            "float": "a number",
            "int": "a whole number",
            "bool": "true or false",
            "choice": "one of " + ", ".join(self.choices),
            "int_list": "a list of whole numbers",
        }[self.kind]

    def _check_range(self, number: float, path: str) -> None:
        low_bad = self.low is not None and (number <= self.low if self.low_open else number < self.low)
        high_bad = self.high is not None and (
            number >= self.high if self.high_open else number > self.high
        )
        if low_bad or high_bad:
            raise SpecError(path, self.rule(), number)

    def _coerce_int_list(self, value: Any, path: str) -> tuple[int, ...]:
        if not isinstance(value, (list, tuple)):
            raise SpecError(path, "must be a list of whole numbers", value)
        if not value:
            raise SpecError(path, "must not be empty", value)
        if len(value) > 1000:
            raise SpecError(path, "must have at most 1000 entries", len(value))
        items = []
        for i, item in enumerate(value):
            number = to_number(item, f"{path}[{i}]", integer=True)
            self._check_range(number, f"{path}[{i}]")
            items.append(number)
        for i in range(1, len(items)):
            if items[i] <= items[i - 1]:
                raise SpecError(path, "must be strictly increasing", list(value))
        return tuple(items)


def to_number(value: Any, path: str, *, integer: bool) -> Any:
    """Accept an int or float (not bool), finite; for ``integer`` a whole value such as ``1e4``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(path, "must be a whole number" if integer else "must be a number", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(path, "must be finite", value)
    if integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise SpecError(path, "must be a whole number", value)
            value = int(value)
        if abs(value) > 10 * MAX_STEPS:
            raise SpecError(path, f"must be <= {10 * MAX_STEPS}", value)
        return int(value)
    return float(value)


def _num(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))
