"""The one exception type every invalid spec raises."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def format_value(value: Any) -> str:
    """Render a user-supplied value for an error message, short and unambiguous."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(format_value(v) for v in list(value)[:6])
        return "[" + inner + (", ..." if len(value) > 6 else "") + "]"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return str(value)


class SpecError(ValueError):
    """An invalid spec: names the field path, the rule and the offending value.

    The message reads ``schedule.min_lr: must be <= lr (got 0.001, lr 0.0003)``.
    ``field`` and ``rule`` are kept as attributes so a UI can place the message next to a control.
    """

    def __init__(self, field: str, rule: str, value: Any = _MISSING, context: str = "") -> None:
        # A field path can hold a user's key (an unknown field): escape what would break the one line.
        self.field = field if field.isprintable() else field.encode("unicode_escape").decode("ascii")
        self.rule = rule
        self.value = value
        detail = ""
        if value is not _MISSING:
            detail = f"got {format_value(value)}"
        if context:
            detail = f"{detail}, {context}" if detail else context
        message = f"{self.field}: {rule}" + (f" ({detail})" if detail else "")
        super().__init__(message)
