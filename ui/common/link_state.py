"""The share link's state (the schedule, the comparison set, the view options), and its round trip
through the URL's query string.

Pure: no Streamlit. ``encode(state)`` gives the query parameters a share link carries; ``decode(params)``
reads them back. ``decode`` never raises: a malformed, oversized or hostile parameter is dropped (the
default stands in for it) and a one-line notice says which one and why.

Query parameters (all values are plain text):

- ``spec``: the edited schedule as compact spec v1 JSON (``{"total_steps":...,"lr":...,"schedule":{...}}``).
  Other pages open the explore page on a schedule by linking to ``?spec=<JSON>``.
- ``cmp``: the comparison set, a JSON list of ``{"name": ..., "spec": {...}}`` (at most 8).
- ``log=1`` log-scale lr axis; ``x=epoch`` epochs on the x axis; ``twin=0`` hides the no-warmup twin;
  ``at=<step>`` the step whose lr is read out.
- ``law``: the predicted-loss law's parameters: a published set by name (``mpl-400m``), or a fit to the
  visitor's run as JSON (``schedules.laws.Fit.to_dict``: the fitted numbers, never the log they came from).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from schedules import Spec, SpecError, load_preset, load_spec
from schedules.laws import PRESETS, Fit, fit_from_dict
from schedules.params import MAX_STEPS

DEFAULT_PRESET = "gpt_cosine"
MAX_COMPARE = 8
MAX_VALUE_CHARS = 64 * 1024
MAX_QUERY_CHARS = 256 * 1024
MAX_NAME = 80
KNOWN_KEYS = ("spec", "cmp", "log", "x", "twin", "at", "law")
#: Parameters Streamlit itself reads from the URL; never reported as unknown.
STREAMLIT_KEYS = ("embed", "embed_options")
X_AXES = ("step", "epoch")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Compared:
    """One schedule stored in the comparison set under a display name."""

    name: str
    spec: Spec


@dataclass(frozen=True)
class State:
    """Everything the explore page shows: the edited spec, the comparison set and the view options."""

    spec: Spec = field(default_factory=lambda: default_spec())
    compare: tuple[Compared, ...] = ()
    log_y: bool = False
    x_axis: str = "step"
    twin: bool = True
    at_step: int | None = None
    #: The loss law's parameters: a published set's name, a fit to the visitor's run, or None (no prediction).
    law: str | Fit | None = None


def default_spec() -> Spec:
    """The schedule a fresh page opens on."""
    return load_preset(DEFAULT_PRESET)


def compact_spec_json(spec: Spec) -> str:
    """Spec v1 as short JSON text: fields at their default are left out (``load_spec`` restores them)."""
    data = spec.to_dict()
    if data["name"] == "":
        del data["name"]
    for key, empty in (("steps_per_epoch", None), ("interval", "step"), ("param_groups", []), ("momentum", None)):
        if data[key] == empty:
            del data[key]
    if data["warmup"] == {"steps": 0, "shape": "linear", "start_lr": 0.0}:
        del data["warmup"]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def encode(state: State) -> dict[str, str]:
    """The query parameters of a share link that restores ``state`` exactly."""
    params = {"spec": compact_spec_json(state.spec)}
    if state.compare:
        items = [{"name": c.name, "spec": json.loads(compact_spec_json(c.spec))} for c in state.compare]
        params["cmp"] = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    if state.log_y:
        params["log"] = "1"
    if state.x_axis != "step":
        params["x"] = state.x_axis
    if not state.twin:
        params["twin"] = "0"
    if state.at_step is not None:
        params["at"] = str(state.at_step)
    if isinstance(state.law, str):
        params["law"] = state.law
    elif state.law is not None:
        params["law"] = json.dumps(state.law.to_dict(), separators=(",", ":"), ensure_ascii=False)
    return params


def decode(params: Mapping[str, Any]) -> tuple[State, list[str]]:
    """Read a state from query parameters; never raises.

    Returns:
        The state (defaults for every missing or rejected parameter) and one notice per rejected
        parameter, e.g. ``Link parameter 'spec' ignored: lr: must be > 0 and <= 100 (got -1.0)``.
    """
    notices: list[str] = []
    try:
        return _decode(params, notices), notices
    except Exception as exc:  # a last guard: a share link must never break the page
        return State(), [*notices, f"Link ignored: it could not be read ({type(exc).__name__})."]


def _decode(params: Mapping[str, Any], notices: list[str]) -> State:
    values: dict[str, str] = {}
    unknown: list[str] = []
    total = 0
    for key, raw in params.items():
        value = raw[-1] if isinstance(raw, (list, tuple)) and raw else raw
        if not isinstance(key, str) or not isinstance(value, str):
            unknown.append(_short(str(key)))
            continue
        total += len(key) + len(value)
        if key in KNOWN_KEYS:
            values[key] = value
        elif key not in STREAMLIT_KEYS:
            unknown.append(_short(key))
    if unknown:
        shown = ", ".join(repr(k) for k in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        notices.append(f"Unknown link parameter(s) ignored: {shown}; known: {', '.join(KNOWN_KEYS)}.")
    if total > MAX_QUERY_CHARS:
        notices.append(f"Link ignored: its parameters hold {total} characters, more than {MAX_QUERY_CHARS}.")
        return State()
    for key, value in list(values.items()):
        if len(value) > MAX_VALUE_CHARS:
            notices.append(f"Link parameter '{key}' ignored: {len(value)} characters, more than {MAX_VALUE_CHARS}.")
            del values[key]

    state = State()
    if "spec" in values:
        spec = _spec(values["spec"], "spec", notices)
        if spec is not None:
            state = replace(state, spec=spec)
    if "cmp" in values:
        state = replace(state, compare=_compare(values["cmp"], notices))
    if "log" in values:
        state = replace(state, log_y=_flag(values["log"], "log", False, notices))
    if "twin" in values:
        state = replace(state, twin=_flag(values["twin"], "twin", True, notices))
    if "x" in values:
        x_axis = values["x"]
        if x_axis not in X_AXES:
            notices.append(f"Link parameter 'x' ignored: must be one of step, epoch (got {_short(x_axis)!r}).")
        elif x_axis == "epoch" and state.spec.steps_per_epoch is None:
            notices.append("Link parameter 'x' ignored: an epoch axis needs the spec's steps_per_epoch.")
        else:
            state = replace(state, x_axis=x_axis)
    if "at" in values:
        state = replace(state, at_step=_step(values["at"], notices))
    if "law" in values:
        state = replace(state, law=_law(values["law"], notices))
    return state


def _law(text: str, notices: list[str]) -> str | Fit | None:
    if not text.lstrip().startswith("{"):
        if text in PRESETS:
            return text
        notices.append(
            f"Link parameter 'law' ignored: must be one of {', '.join(PRESETS)} or a fit's JSON "
            f"(got {_short(text)!r})."
        )
        return None
    try:
        return fit_from_dict(json.loads(text))
    except (ValueError, RecursionError) as exc:
        message = str(exc) if isinstance(exc, SpecError) else f"not valid JSON ({_short(str(exc), 120)})"
        notices.append(f"Link parameter 'law' ignored: {_short(message, 200)}")
        return None


def _spec(text: str, where: str, notices: list[str]) -> Spec | None:
    try:
        return load_spec(text if text.lstrip().startswith("{") else _not_json(text))
    except (ValueError, RecursionError, TypeError) as exc:
        notices.append(f"Link parameter '{where}' ignored: {_short(str(exc), 200)}")
        return None


def _not_json(text: str) -> str:
    # load_spec would read non-JSON text as a file path; a link must never name a file on the server.
    raise ValueError(f"spec: must be JSON text starting with '{{' (got {_short(text)!r})")


def _compare(text: str, notices: list[str]) -> tuple[Compared, ...]:
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as exc:
        notices.append(f"Link parameter 'cmp' ignored: not valid JSON ({_short(str(exc), 120)}).")
        return ()
    if not isinstance(items, list):
        notices.append("Link parameter 'cmp' ignored: must be a JSON list of {\"name\", \"spec\"} objects.")
        return ()
    if len(items) > MAX_COMPARE:
        notices.append(f"Link parameter 'cmp': only the first {MAX_COMPARE} of {len(items)} schedules are kept.")
        items = items[:MAX_COMPARE]
    out: list[Compared] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - {"name", "spec"} or not isinstance(item.get("spec"), dict):
            notices.append(f"Link parameter 'cmp[{i}]' ignored: must be an object with a name and a spec.")
            continue
        try:
            spec = load_spec(item["spec"])
        except (ValueError, RecursionError, TypeError) as exc:
            notices.append(f"Link parameter 'cmp[{i}]' ignored: {_short(str(exc), 200)}")
            continue
        name = clean_name(item.get("name"), fallback=spec.name or f"schedule {i + 1}")
        out.append(Compared(unique_name(name, [c.name for c in out]), spec))
    return tuple(out)


def _flag(text: str, key: str, default: bool, notices: list[str]) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    notices.append(f"Link parameter '{key}' ignored: must be 1 or 0 (got {_short(text)!r}).")
    return default


def _step(text: str, notices: list[str]) -> int | None:
    stripped = text.strip()
    # isascii: str.isdigit also accepts digits such as '²' that int() refuses.
    if not (stripped.isascii() and stripped.isdigit()) or len(stripped) > 12 or int(stripped) >= MAX_STEPS:
        notices.append(f"Link parameter 'at' ignored: must be a step from 0 to {MAX_STEPS - 1} (got {_short(text)!r}).")
        return None
    return int(stripped)


def clean_name(value: Any, fallback: str) -> str:
    """A display name: text without control characters, at most 80 characters; ``fallback`` if empty."""
    if not isinstance(value, str):
        return fallback[:MAX_NAME]
    text = "".join(ch for ch in value if ord(ch) >= 32).strip()[:MAX_NAME]
    return text or fallback[:MAX_NAME]


def unique_name(name: str, taken: list[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... so that it differs from every name in ``taken``."""
    if name not in taken:
        return name
    k = 2
    while f"{name} ({k})" in taken:
        k += 1
    return f"{name[: MAX_NAME - 6]} ({k})"


def escape_markdown(text: str) -> str:
    """Text shown verbatim by a markdown element: every markdown and HTML character is escaped."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()<>#+-.!|~$:" else ch for ch in text)


def _short(text: str, limit: int = 40) -> str:
    text = "".join(ch if ord(ch) >= 32 else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
