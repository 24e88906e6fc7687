"""The schedule editor's values and the spec they describe, both ways; and the sliders' grids.

Pure: no Streamlit. Every editor widget holds its value in session state under a key of
:mod:`ui.explore.keys`; :func:`widget_values` gives those values for a spec (to seed the widgets from a link,
a preset or an import), :func:`build_spec` turns them back into a validated spec, reporting the first bad
field as a :class:`~schedules.SpecError`. :func:`slider_grids` is the one place the sliders' grids come from
(the editor draws with it; the chart's redraw request lists it).

Numbers are held as the exact text typed (``3e-4``, ``0.99995``) or whole numbers; a slider shows the grid
point nearest to its box's value (:func:`slider_point`) and a move writes its point back
(:func:`slider_value`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from schedules import FAMILIES, Spec, SpecError, load_spec
from schedules.params import MAX_STEPS, Param
from schedules.registry import LR_MAX
from ui.explore import keys
from ui.explore.grids import Grid, factor_grid, lr_grid, param_grid, steps_grid

#: What a loaded schedule's name gets once it is edited (see :func:`edited_name`).
EDITED = " (edited)"


def format_lr(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (``3e-05``, ``0.0003``, ``0.1``)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def parse_lr(text: Any, field: str) -> float:
    """A learning rate typed as text (``3e-4``, ``0.0003``, ``3E-4``); SpecError naming ``field`` otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    raw = str(text).strip().replace(" ", "").replace("_", "")
    try:
        value = float(raw)
    except ValueError:
        raise SpecError(field, "must be a number like 3e-4 or 0.001", str(text)) from None
    if not math.isfinite(value):
        raise SpecError(field, "must be finite", str(text))
    return value


def format_int_list(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def parse_int_list(text: Any, field: str) -> list[int]:
    """``"1000, 2000, 3e3"`` -> ``[1000, 2000, 3000]``; SpecError naming ``field`` on anything else."""
    parts = [p for p in re.split(r"[,\s;]+", str(text).strip()) if p]
    if not parts:
        raise SpecError(field, "needs at least one step, e.g. 1000, 2000")
    if len(parts) > 1000:
        raise SpecError(field, "must have at most 1000 entries", len(parts))
    out = []
    for part in parts:
        try:
            number = float(part.replace("_", ""))
        except ValueError:
            raise SpecError(field, "must be whole numbers separated by commas, e.g. 1000, 2000", part) from None
        if not math.isfinite(number) or not number.is_integer():
            raise SpecError(field, "must be whole numbers separated by commas, e.g. 1000, 2000", part)
        out.append(int(number))
    return out


def format_groups(spec: Spec) -> str:
    return ", ".join(f"{g.name}={format_lr(g.lr_scale)}" for g in spec.param_groups)


def parse_groups(text: Any) -> list[dict[str, Any]]:
    """``"backbone=0.1, head=1"`` -> param_groups; empty text means no groups."""
    items = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        name, sep, scale = part.partition("=")
        if not sep or not name.strip():
            raise SpecError("param_groups", "write name=lr_scale pairs separated by commas, e.g. "
                            "backbone=0.1, head=1", part)
        items.append({"name": name.strip(), "lr_scale": parse_lr(scale, f"param_groups.{name.strip()}")})
    return items


def family_values(family: str, spec: Spec) -> dict[str, Any]:
    """Widget values for ``family``'s parameters: the spec's own when it is of that family, otherwise the
    registry defaults, with step counts that would not fit the spec's main schedule scaled into it."""
    fam = FAMILIES[family]
    own = spec.schedule.as_dict() if spec.schedule.type == family else None
    length = spec.main_steps
    values = {}
    for p in fam.params:
        value = own[p.name] if own is not None else _fitted_default(p, length)
        values[keys.param_key(family, p.name)] = _to_widget(p, value)
    return values


def _fitted_default(p: Param, length: int) -> Any:
    if p.scale != "steps" or p.default is None:
        return p.default
    if p.kind == "int_list":
        if p.default[-1] < length:
            return p.default
        n = len(p.default)
        return tuple(sorted({max(1, length * (k + 1) // (n + 1)) for k in range(n)}))
    return p.default if p.default <= length // 2 else max(1, length // 4)


def _to_widget(p: Param, value: Any) -> Any:
    if value is None:
        return "" if p.kind == "float" else None
    if p.kind == "int_list":
        return format_int_list(value)
    if p.kind == "float":
        return format_lr(value)
    return value


def _from_widget(p: Param, value: Any, field: str) -> Any:
    if p.kind == "int_list":
        return parse_int_list(value, field)
    if p.kind == "float":
        if p.nullable and (value is None or not str(value).strip()):
            return None
        return parse_lr(value, field)
    return value


def widget_values(spec: Spec) -> dict[str, Any]:
    """Every editor widget's value for ``spec`` (the keys above plus the family's parameter keys)."""
    momentum = spec.momentum
    return {
        keys.K_NAME: spec.name,
        keys.K_FAMILY: spec.schedule.type,
        keys.K_TOTAL: spec.total_steps,
        keys.K_SPE: spec.steps_per_epoch,
        keys.K_INTERVAL: spec.interval,
        keys.K_LR: format_lr(spec.lr),
        keys.K_WARMUP_STEPS: spec.warmup.steps,
        keys.K_WARMUP_SHAPE: spec.warmup.shape,
        keys.K_WARMUP_START: format_lr(spec.warmup.start_lr),
        keys.K_WARMUP_OVERLAY: spec.warmup.overlay,
        keys.K_MAIN_STEPS: spec.main_length,
        keys.K_GROUPS: format_groups(spec),
        keys.K_MOMENTUM: momentum is not None,
        keys.K_MOM_BASE: format_lr(momentum.base if momentum else 0.85),
        keys.K_MOM_MAX: format_lr(momentum.max if momentum else 0.95),
        **family_values(spec.schedule.type, spec),
    }


def spec_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """The spec v1 dict the widget values describe (not yet validated by ``load_spec``).

    Raises:
        SpecError: a text field that does not parse (lr, start_lr, float parameters, momentum, milestones,
            param groups).
    """
    family = values[keys.K_FAMILY]
    fam = FAMILIES[family]
    schedule: dict[str, Any] = {"type": family}
    for p in fam.params:
        schedule[p.name] = _from_widget(p, values.get(keys.param_key(family, p.name)), f"schedule.{p.name}")
    data: dict[str, Any] = {
        "version": 1,
        "name": values.get(keys.K_NAME) or "",
        "total_steps": values[keys.K_TOTAL],
        "lr": parse_lr(values[keys.K_LR], "lr"),
        "warmup": {
            "steps": values[keys.K_WARMUP_STEPS],
            "shape": values[keys.K_WARMUP_SHAPE],
            "start_lr": parse_lr(values[keys.K_WARMUP_START], "warmup.start_lr"),
        },
        "schedule": schedule,
        "steps_per_epoch": values.get(keys.K_SPE),
        "interval": values.get(keys.K_INTERVAL) or "step",
        "param_groups": parse_groups(values.get(keys.K_GROUPS) or ""),
        "momentum": None,
    }
    # The two later spec v1 fields are written only when used, as Spec.to_dict writes them.
    if values.get(keys.K_WARMUP_OVERLAY):
        data["warmup"]["overlay"] = True
    if values.get(keys.K_MAIN_STEPS) is not None:
        data["main_steps"] = values[keys.K_MAIN_STEPS]
    if fam.momentum is not None and values.get(keys.K_MOMENTUM):
        data["momentum"] = {"base": parse_lr(values[keys.K_MOM_BASE], "momentum.base"),
                            "max": parse_lr(values[keys.K_MOM_MAX], "momentum.max")}
    return data


def build_spec(values: Mapping[str, Any]) -> tuple[Spec | None, SpecError | None]:
    """The validated spec the widgets describe, or the first error (never raises)."""
    try:
        return load_spec(spec_data(values)), None
    except SpecError as exc:
        return None, exc
    except (KeyError, TypeError, ValueError) as exc:
        return None, SpecError("spec", "could not be built from the controls", type(exc).__name__)


def edited_name(name: str, loaded_name: str | None) -> str:
    """``name`` after an edit of the schedule: "(edited)" added when it is still the name the schedule was
    loaded with (see :func:`mark_edited`)."""
    if name and name == loaded_name and not name.endswith(EDITED):
        return name[: 80 - len(EDITED)] + EDITED
    return name


def slider_grids(values: Mapping[str, Any], fallback: Spec) -> dict[str, Grid]:
    """The grid of every slider the editor draws for ``values`` (its values by key, see
    :func:`editor_values`), by the key of the value it sets. Ranges follow the other fields: the warmup stays
    under the total steps, a family's step counts within the main schedule, its lr floors under the peak lr.

    ``fallback`` stands in for a total steps or peak lr whose box holds something that is not a number."""
    family = values[keys.K_FAMILY]
    total = int_or(values.get(keys.K_TOTAL), fallback.total_steps)
    peak = float_or(values.get(keys.K_LR), fallback.lr)
    warmup = int_or(values.get(keys.K_WARMUP_STEPS), fallback.warmup.steps)
    grids = {
        keys.K_TOTAL: steps_grid(1, MAX_STEPS),
        keys.K_LR: lr_grid(LR_MAX, zero=False),
        keys.K_WARMUP_STEPS: steps_grid(1, max(1, total - 1), zero=True),
        keys.K_WARMUP_START: lr_grid(max(peak, 1e-7), zero=True),
    }
    main_steps = main_schedule_steps(total, warmup)
    for p in FAMILIES[family].params:
        grid = param_grid(p, main_steps=main_steps, peak_lr=peak)
        if grid is not None:
            grids[keys.param_key(family, p.name)] = grid
    grids[keys.K_MAIN_STEPS] = steps_grid(1, total, auto=True)
    if FAMILIES[family].momentum is not None and values.get(keys.K_MOMENTUM):
        grids[keys.K_MOM_BASE] = grids[keys.K_MOM_MAX] = factor_grid(0.0, 1.0, False, False)
    return grids


def integer_sliders(family: str) -> set[str]:
    """The keys of the sliders that set whole numbers (step counts) for ``family``."""
    return {keys.K_TOTAL, keys.K_WARMUP_STEPS, keys.K_MAIN_STEPS} | {
        keys.param_key(family, p.name) for p in FAMILIES[family].params if p.kind == "int"}


def main_schedule_steps(total: int, warmup: int) -> int:
    """The main schedule's length the editor bounds its step-count sliders by (total − warmup, at least 1)."""
    return max(1, total - min(warmup, total - 1))


def int_or(value: Any, default: int) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def float_or(value: Any, default: float) -> float:
    try:
        number = parse_lr(value, "value")
    except (SpecError, TypeError):
        return default
    return number if number > 0 else default


def exact_number(value: Any) -> float | None:
    """The number an exact box holds (None when empty or not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return parse_lr(value, "value")
    except (SpecError, TypeError):
        return None


def slider_point(grid: Grid, exact: Any, previous: Any = None) -> Any:
    """The grid point a slider shows for its box's value: the nearest one; "auto" for an empty box where
    the grid has it; the slider's previous point (or the first) while the box holds text that is no number."""
    number = exact_number(exact)
    if number is None:
        if (exact is None or not str(exact).strip()) and grid.values[0] is None:
            return None
        return previous if previous in grid.values else grid.values[0]
    return grid.nearest(number)


def shows_other_value(point: Any, exact: Any) -> bool:
    """Whether a slider at ``point`` misreads the exact value ``exact``: a number off the grid (or beyond its
    range), or text that is no number. An empty value on an "auto" point reads right."""
    if exact is None or (isinstance(exact, str) and not exact.strip()):
        return point is not None
    number = exact_number(exact)
    return number is None or number != point


def slider_value(point: float | None, integer: bool) -> int | str | None:
    """The editor value a slider's grid point stands for (what its exact box would hold): an int for step
    counts, the shortest exact text for other numbers, empty for the "auto" point."""
    if point is None:
        return None if integer else ""
    return int(point) if integer else format_lr(point)
