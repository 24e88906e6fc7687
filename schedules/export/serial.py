"""Export a spec as data: JSON (``spec.to_json()``) or YAML written with the standard library.

The YAML is block style with every string double-quoted and escaped, floats written so YAML 1.1 reads
them as floats (``1e-05`` becomes ``1.0e-05``: PyYAML's resolver needs the dot), so
``yaml.safe_load(render(spec, "yaml")) == spec.to_dict()`` for any valid spec, hostile names included.
"""

from __future__ import annotations

from typing import Any

from schedules.errors import SpecError
from schedules.export.spec_line import spec_line
from schedules.spec import Spec

#: Characters YAML allows unescaped in a double-quoted scalar (its printable set minus the line breaks
#: NEL, LS and PS and the byte-order mark, which a reader would fold or strip).
_UNSAFE = {"\x85", "\u2028", "\u2029", "\ufeff"}


def _printable(ch: str) -> bool:
    code = ord(ch)
    if ch in _UNSAFE:
        return False
    return (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar for ``text`` (quotes, backslashes and non-printables escaped)."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif _printable(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def yaml_float(value: float) -> str:
    """A float literal YAML 1.1 resolves as a float and that round-trips exactly."""
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent[0] not in "+-":
            exponent = "+" + exponent
        text = f"{mantissa}e{exponent}"
    return text


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return yaml_float(value)
    if isinstance(value, str):
        return yaml_string(value)
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"not a YAML scalar: {type(value).__name__}")


def _block(data: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines += _block(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{indent}{key}:")
            for item in value:
                inner = _block(item, indent + "    ")
                lines.append(indent + "  - " + inner[0].lstrip())
                lines += inner[1:]
        else:
            lines.append(f"{indent}{key}: {_scalar(value)}")
    return lines


def yaml_lines(data: dict[str, Any]) -> str:
    """Block-style YAML for ``data`` (strings double-quoted, floats YAML-1.1 safe), one key per line."""
    return "\n".join(_block(data, "")) + "\n"


def to_yaml(spec: Spec) -> str:
    """The spec as YAML text (keys in spec order, every default written out), after its ``# spec v1:`` line."""
    return ("# Learning-rate schedule spec v1\n" + spec_line(spec) + "\n"
            + "\n".join(_block(spec.to_dict(), "")) + "\n")


def render(spec: Spec, target: str) -> str:
    """``target`` is ``"json"`` (``spec.to_json()``) or ``"yaml"``."""
    if target == "json":
        return spec.to_json() + "\n"
    if target == "yaml":
        return to_yaml(spec)
    raise SpecError("target", "must be json or yaml", target)
