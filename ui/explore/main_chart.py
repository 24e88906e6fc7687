"""The explore page's chart: the figure a page state shows, and the same figure for a slider being moved,
computed without a Streamlit rerun.

:func:`explore_figure` is what the page draws: the schedule with its no-warmup twin and, when it has a
warmup, the warmup close-up stacked under it. A slider move also reruns the page's view (the tables, the
exported code and the link follow the new value), but a rerun reaches the browser only after Streamlit's
own run-start messages have been rendered for the whole page. So the chart asks for its next figure itself
(``ui/common/chart.js``): :func:`redraw_request` tells it the editor's values, the view options and every slider's
grid; when a slider moves, the chart posts the values with the slider's new grid point to :data:`ROUTE`
(served by ``asgi.py``) and draws the answer of :func:`redraw`. That is this module's own
:func:`explore_figure` for the spec the rerun will build from the same values, so the rerun's figure has the
same revision and the chart does not draw it again. Whatever the route cannot answer (a value the spec
rejects, an unreadable request) the chart leaves to the rerun, which shows the field error as always.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from schedules import Spec
from ui.common import run_timing
from ui.common.chart import chart_data
from ui.common.curves import no_warmup_twin
from ui.common.figures import PALETTE, Trace, figure_dict, lr_traces, with_closeup
from ui.common.link_state import X_AXES, State
from ui.explore import editor_values, keys
from ui.explore.cached import view_of
from ui.explore.closeup_panel import closeup_figure
from ui.explore.phases import phase_spans

#: Where the chart posts a moved slider (relative to the app's base URL, which a proxy may prefix).
ROUTE = "/api/explore/redraw"
#: What the chart's camera button names the PNG.
FILENAME = "lr_schedule"
#: Bounds on a request: the editor has a few dozen values, each a number or a short text.
MAX_VALUES = 64
MAX_TEXT = 2_000


def explore_figure(state: State) -> tuple[dict, dict | None]:
    """The explore chart for ``state`` and the warmup's numbers (None without a warmup).

    The main chart is the schedule (its param groups) and, with ``state.twin``, the same spec with
    ``warmup.steps = 0`` dashed; phases shaded; momentum on a second axis where the spec cycles it. With a
    warmup, the close-up of :func:`ui.explore.closeup_panel.closeup_figure` is stacked under it (one figure: the
    browser redraws one chart per move)."""
    spec = state.spec
    twin = no_warmup_twin(spec) if state.twin else None
    with run_timing.part("analysis"):
        view = view_of(spec, state.at_step)
    with run_timing.part("twin analysis"):
        twin_view = view_of(twin, state.at_step) if twin is not None else None
    with run_timing.part("figure"):
        traces = lr_traces(spec.name or "schedule", view, PALETTE[0])
        if twin_view is not None:
            traces += lr_traces("no warmup", twin_view, PALETTE[1], dash="dash")
        momentum = Trace("momentum", *view.momentum) if view.momentum is not None else None
        figure = figure_dict(traces, phases=phase_spans(spec), log_y=state.log_y, x_axis=state.x_axis,
                             steps_per_epoch=spec.steps_per_epoch, momentum=momentum)
    numbers = None
    if spec.warmup.steps:
        with run_timing.part("closeup"):
            closeup, title, numbers = closeup_figure(state)
            figure = with_closeup(figure, closeup, title)
    # Zoom and hidden legend entries survive a redraw until the axes themselves change.
    figure["layout"]["uirevision"] = f"{spec.total_steps}|{state.x_axis}|{state.log_y}|{spec.warmup.steps > 0}"
    return figure, numbers


def redraw_request(values: Mapping[str, Any], state: State, loaded_name: str | None) -> dict[str, Any]:
    """What the chart needs to ask for its next figure while a slider moves: the editor's ``values`` as a
    slider move leaves them (the name marked "(edited)" the way the move's callback marks it), the view
    options of ``state``, and each slider's grid as the values its points set, by the slider's widget key."""
    name = values.get(keys.K_NAME)
    values = {**values, keys.K_NAME: editor_values.edited_name(name, loaded_name) if name else name}
    integers = editor_values.integer_sliders(values[keys.K_FAMILY])
    sliders = {key + keys.SLIDER: {"key": key,
                                   "values": [editor_values.slider_value(v, key in integers) for v in grid.values]}
               for key, grid in editor_values.slider_grids(values, state.spec).items()}
    view = {"log_y": state.log_y, "x_axis": state.x_axis, "twin": state.twin, "at_step": state.at_step}
    return {"route": ROUTE.lstrip("/"), "values": values, "view": view, "sliders": sliders}


def redraw(request: Any) -> tuple[int, dict[str, Any]]:
    """Answer a chart's request (:func:`redraw_request`'s values and view, plus ``key`` and ``value``: the
    moved slider's value key and its new value): ``(200, chart data)`` with the figure the page's rerun
    will draw, ``(400, {"error"})`` for a request that is not one, ``(422, {"error"})`` when the values make
    no valid spec (the one-line field error the editor shows). Never raises on any JSON value."""
    problem = _request_problem(request)
    if problem is not None:
        return 400, {"error": problem}
    values = {**request["values"], request["key"]: request["value"]}
    spec, error = editor_values.build_spec(values)
    if spec is None:
        return 422, {"error": str(error)}
    return 200, chart_data(explore_figure(_view_state(spec, request["view"]))[0], FILENAME)


def _view_state(spec: Spec, view: Mapping[str, Any]) -> State:
    """The page state the view options describe, fitted to ``spec`` as the page fits them (an epoch axis
    needs steps per epoch; the "lr at step" stays inside the run)."""
    x_axis = view["x_axis"] if spec.steps_per_epoch is not None else "step"
    at_step = None if view["at_step"] is None else min(view["at_step"], spec.total_steps - 1)
    return replace(State(spec=spec), log_y=view["log_y"], x_axis=x_axis, twin=view["twin"], at_step=at_step)


def _request_problem(request: Any) -> str | None:
    """The first thing that makes ``request`` not a redraw request, as "<field>: <rule>"; None if it is one."""
    if not isinstance(request, dict):
        return "request: must be a JSON object"
    values, view, key = request.get("values"), request.get("view"), request.get("key")
    if not isinstance(values, dict) or len(values) > MAX_VALUES:
        return f"values: must be an object of at most {MAX_VALUES} editor values"
    for name, value in [*values.items(), ("value", request.get("value"))]:
        if not _is_scalar(value):
            return f"values.{name}: must be a number, a text of at most {MAX_TEXT} characters, true/false or null"
    if not isinstance(key, str) or key not in values:
        return "key: must name one of the values"
    if keys.K_FAMILY not in values:
        return f"values.{keys.K_FAMILY}: required"
    if not isinstance(view, dict):
        return "view: must be an object"
    if not isinstance(view.get("log_y"), bool) or not isinstance(view.get("twin"), bool):
        return "view.log_y, view.twin: must be true or false"
    if view.get("x_axis") not in X_AXES:
        return f"view.x_axis: must be one of {', '.join(X_AXES)}"
    at_step = view.get("at_step")
    if at_step is not None and (not isinstance(at_step, int) or isinstance(at_step, bool) or at_step < 0):
        return "view.at_step: must be a step (an integer >= 0) or null"
    return None


def _is_scalar(value: Any) -> bool:
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= MAX_TEXT
