"""The explore chart's own redraw while a slider moves (``ui.explore.main_chart``, served by ``asgi.py``): for every
slider of every family, the route answers the figure the page's rerun then draws, revision for revision;
the request names every slider the editor shows; anything that is not a request, or values the spec
refuses, gets a one-line answer naming the field; and the route answers over HTTP on the real server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from schedules import FAMILIES
from tests.explore.test_app_explore import editor_errors, run_app, set_and_run
from tests.support.apptest_charts import payloads
from ui.common.chart import chart_data
from ui.common.link_state import State
from ui.explore import editor_values, keys
from ui.explore.main_chart import FILENAME, MAX_TEXT, ROUTE, explore_figure, redraw


def chart_payload(at: AppTest, key: str = "ex_chart") -> dict[str, Any]:
    """What the page sent the chart ``key``: the figure, its revision and the redraw request."""
    drawn = payloads(at)
    assert key in drawn, f"no chart {key!r} (drawn: {sorted(drawn)})"
    return drawn[key]


def ask(payload: dict[str, Any], slider_key: str, index: int) -> tuple[int, dict[str, Any]]:
    """The route's answer for the slider moved to grid point ``index``, as the chart asks for it."""
    request = payload["redraw"]
    slider = request["sliders"][slider_key]
    return redraw({"values": request["values"], "view": request["view"], "key": slider["key"],
                   "value": slider["values"][index]})


@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_route_answers_the_figure_the_rerun_draws_for_every_slider(family: str):
    at = set_and_run(run_app(), "button_group", keys.K_FAMILY, family)
    for slider_key in list(chart_payload(at)["redraw"]["sliders"]):
        payload = chart_payload(at)
        request = payload["redraw"]
        grid = editor_values.slider_grids(request["values"], State().spec)[request["sliders"][slider_key]["key"]]
        current = grid.values.index(at.select_slider(key=slider_key).value)
        index = len(grid.values) // 3 if len(grid.values) // 3 != current else len(grid.values) // 2
        status, answer = ask(payload, slider_key, index)
        at.select_slider(key=slider_key).set_value(grid.values[index])
        at.run()
        assert not at.exception, at.exception
        after = chart_payload(at)
        if status == 200:
            assert editor_errors(at) == [], slider_key
            assert answer["revision"] == after["revision"], slider_key
            assert answer["figure"] == after["figure"]
        else:  # a point the spec refuses with these values: the editor says the same, the chart stays
            assert status == 422 and editor_errors(at) == [answer["error"]], (slider_key, answer)
            assert after["revision"] == payload["revision"]
            assert after.get("redraw") is None  # no shortcut while the editor shows an error
            at = set_and_run(run_app(), "button_group", keys.K_FAMILY, family)


def test_the_request_lists_every_slider_of_the_editor_with_its_grid():
    for family in ("cosine", "onecycle", "step"):
        at = set_and_run(run_app(), "button_group", keys.K_FAMILY, family)
        sliders = chart_payload(at)["redraw"]["sliders"]
        on_page = {w.key for w in at.select_slider if w.key and w.key.endswith(keys.SLIDER)}
        assert set(sliders) == on_page
        for key, slider in sliders.items():
            assert len(slider["values"]) == len(at.select_slider(key=key).options), key
            assert slider["key"] + keys.SLIDER == key


def test_a_move_answers_the_figure_of_the_same_page_state():
    at = run_app()
    payload = chart_payload(at)
    request = payload["redraw"]
    status, answer = redraw({**request, "key": keys.K_WARMUP_STEPS, "value": 700})
    spec, error = editor_values.build_spec({**request["values"], keys.K_WARMUP_STEPS: 700})
    assert status == 200 and error is None and spec.warmup.steps == 700
    expected = chart_data(explore_figure(State(spec=spec))[0], FILENAME)
    assert answer == expected


GOOD = {"values": {keys.K_FAMILY: "cosine"}, "view": {"log_y": False, "x_axis": "step", "twin": True, "at_step": None},
        "key": keys.K_FAMILY, "value": "cosine"}


@pytest.mark.parametrize(("request_", "field"), [
    ([], "request"),
    ({**GOOD, "values": "x"}, "values"),
    ({**GOOD, "values": {str(i): 1 for i in range(100)}}, "values"),
    ({**GOOD, "values": {keys.K_FAMILY: [1]}}, f"values.{keys.K_FAMILY}"),
    ({**GOOD, "value": {"a": 1}}, "values.value"),
    ({**GOOD, "value": float("nan")}, "values.value"),
    ({**GOOD, "value": "x" * (MAX_TEXT + 1)}, "values.value"),
    ({**GOOD, "key": "nope"}, "key"),
    ({**GOOD, "values": {keys.K_LR: "1e-3"}, "key": keys.K_LR}, f"values.{keys.K_FAMILY}"),
    ({**GOOD, "view": None}, "view"),
    ({**GOOD, "view": {**GOOD["view"], "log_y": "yes"}}, "view.log_y"),
    ({**GOOD, "view": {**GOOD["view"], "x_axis": "time"}}, "view.x_axis"),
    ({**GOOD, "view": {**GOOD["view"], "at_step": -1}}, "view.at_step"),
    ({**GOOD, "view": {**GOOD["view"], "at_step": True}}, "view.at_step"),
])
def test_what_is_not_a_request_is_refused_naming_the_field(request_: Any, field: str):
    status, answer = redraw(request_)
    assert status == 400 and answer["error"].startswith(f"{field}") and "\n" not in answer["error"]


def test_values_the_spec_refuses_get_the_editor_s_one_line_error():
    at = run_app()
    request = chart_payload(at)["redraw"]
    # A warmup outlasting the run is one the trainers run; a negative one no spec holds.
    status, answer = redraw({**request, "key": keys.K_WARMUP_STEPS, "value": -1})
    assert status == 422 and "warmup" in answer["error"] and "\n" not in answer["error"]
    status, answer = redraw({**request, "key": keys.K_WARMUP_STEPS, "value": request["values"][keys.K_TOTAL]})
    assert status == 200
    # Values far from a spec (a family's parameters missing) are refused the same way: the first field named.
    status, answer = redraw({**request, "values": {keys.K_FAMILY: "cosine"}, "key": keys.K_FAMILY, "value": "cosine"})
    assert status == 422 and ": must be" in answer["error"] and "\n" not in answer["error"]


def post(url: str, body: bytes) -> tuple[int, dict[str, Any] | None]:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        text = exc.read()
        return exc.code, json.loads(text) if text.startswith(b"{") else None


def test_the_route_answers_over_http_on_the_real_server(app_url: str):
    request = chart_payload(run_app())["redraw"]
    url = app_url + ROUTE
    status, answer = post(url, json.dumps({**request, "key": keys.K_WARMUP_STEPS, "value": 900}).encode())
    assert status == 200 and set(answer) == {"figure", "config", "revision"}
    assert answer["figure"]["data"] and answer["config"]["toImageButtonOptions"]["filename"] == FILENAME
    assert post(url, b"{not json") == (400, {"error": "request: must be JSON"})
    status, answer = post(url, json.dumps({**request, "key": keys.K_WARMUP_STEPS, "value": -5}).encode())
    assert status == 422 and "warmup" in answer["error"]
    status, answer = post(url, b" " * 70_000)
    assert status == 413 and answer["error"].startswith("request:")
