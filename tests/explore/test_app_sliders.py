"""The explore page's sliders under AppTest: every slider of every family moves the spec, typed exact values
stay exact, ranges follow the other fields, invalid combinations give the one-line field error, the warmup
close-up and the budget calculator."""

from __future__ import annotations

from typing import Any

import pytest

import schedules
from schedules import FAMILIES
from tests.explore.test_app_explore import (
    chart,
    editor_errors,
    page_tables,
    run_app,
    set_and_run,
    url_spec,
    warmup_numbers_table,
    ys,
)
from ui.common.curves import no_warmup_twin
from ui.common.link_state import Compared, State, encode
from ui.explore import keys
from ui.explore.closeup import warmup_numbers


def slider(at, key: str):
    return at.select_slider(key=key + keys.SLIDER)


def exact(at, key: str) -> Any:
    for kind in ("text_input", "number_input"):
        try:
            return getattr(at, kind)(key=key).value
        except KeyError:
            continue
    raise KeyError(key)


def move(at, key: str, value: Any):
    slider(at, key).set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


def number_keys(family: str) -> list[tuple[str, Any]]:
    return [(keys.param_key(family, p.name), p) for p in FAMILIES[family].params if p.kind in ("int", "float")]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_slider_of_every_family_moves_the_spec(family: str):
    at = set_and_run(run_app(), "button_group", keys.K_FAMILY, family)
    assert url_spec(at).schedule.type == family and editor_errors(at) == []
    for key, p in number_keys(family):
        labels = list(slider(at, key).options)
        assert len(labels) >= 2, key
        # A point a third of the way along (another one if the slider is already there).
        values = [_parse(label) for label in labels]
        target = values[len(values) // 3]
        if target == slider(at, key).value:
            target = values[len(values) // 2]
        at = move(at, key, target)
        box = exact(at, key)
        if target is None:
            assert box in (None, ""), key
        else:
            assert float(box) == float(target), (key, box, target)
        if editor_errors(at):  # a combination the registry refuses (one-cycle's rising phase too short): one line
            assert len(editor_errors(at)) == 1 and "\n" not in editor_errors(at)[0]
        elif target is not None:
            assert url_spec(at).schedule.get(p.name) == target, key
        assert chart(at)["data"]
    # The top-level sliders: total steps, peak lr, warmup steps, start lr.
    at = move(at, keys.K_WARMUP_STEPS, 1000)
    at = move(at, keys.K_LR, 1e-3)
    at = move(at, keys.K_WARMUP_START, 1e-5)
    if not editor_errors(at):
        spec = url_spec(at)
        assert (spec.warmup.steps, spec.lr, spec.warmup.start_lr) == (1000, 1e-3, 1e-5)


def _parse(label: str) -> Any:
    """A slider label back to its value: ``auto`` -> None, ``2,000`` -> 2000, ``3e-4`` -> 0.0003."""
    if label == "auto":
        return None
    text = label.replace(",", "")
    number = float(text)
    return int(number) if "." not in text and "e" not in text and number.is_integer() else number


def test_a_typed_off_grid_lr_stays_exact_and_the_slider_shows_the_nearest_point():
    at = run_app()
    at.text_input(key=keys.K_LR).input("3.7e-4").run()
    assert not at.exception and editor_errors(at) == []
    assert url_spec(at).lr == 3.7e-4
    assert slider(at, keys.K_LR).value == 3.5e-4
    assert ys(chart(at))[0].max() == pytest.approx(3.7e-4, rel=1e-12)
    at = move(at, keys.K_LR, 4e-4)  # moving the slider afterwards takes its grid value
    assert at.text_input(key=keys.K_LR).value == "0.0004" and url_spec(at).lr == 4e-4


def test_gamma_near_one_is_reachable_on_the_slider():
    at = set_and_run(run_app(), "button_group", keys.K_FAMILY, "exponential")
    key = keys.param_key("exponential", "gamma")
    assert "0.99995" in slider(at, key).options
    at = move(at, key, 0.99995)
    assert url_spec(at).schedule.get("gamma") == 0.99995


def test_ranges_follow_the_other_fields():
    at = run_app()
    at = set_and_run(at, "number_input", keys.K_TOTAL, 10_000)
    assert slider(at, keys.K_WARMUP_STEPS).options[-1] == "9,999"  # warmup < total steps
    assert slider(at, keys.param_key("cosine", "min_lr")).options[-1] == "3e-4"  # floor <= peak lr
    at = set_and_run(at, "button_group", keys.K_FAMILY, "step")
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 1000)
    assert slider(at, keys.param_key("step", "step_size")).options[-1] == "9,000"  # <= main steps
    # A short warmup on a 10M-step run is a slider point.
    at = set_and_run(at, "number_input", keys.K_TOTAL, 10_000_000)
    assert {"20", "50", "2,000"} <= set(slider(at, keys.K_WARMUP_STEPS).options)


def test_a_value_beyond_the_slider_is_clamped_on_the_slider_and_refused_with_its_rule():
    at = run_app()
    at.text_input(key=keys.param_key("cosine", "min_lr")).input("0.01").run()
    assert not at.exception
    assert slider(at, keys.param_key("cosine", "min_lr")).value == 3e-4  # shown at the top of its range
    errors = editor_errors(at)
    assert len(errors) == 1 and errors[0].startswith("schedule.min_lr: must be <= lr")
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 250_000)
    assert slider(at, keys.K_WARMUP_STEPS).value == 249_999
    assert len(editor_errors(at)) == 1
    at.text_input(key=keys.K_LR).input("fast").run()
    assert not at.exception and editor_errors(at)[0].startswith("lr: must be a number")


def test_the_warmup_close_up_and_its_numbers():
    at = run_app()
    fig = chart(at, plot="x2")
    name = url_spec(at).name
    assert [t["name"] for t in fig["data"]] == [name, "no warmup"]
    assert [t["name"] for t in chart(at)["data"]] == [name, "no warmup"]
    assert fig["data"][1]["fill"] == "tonexty"
    assert fig["layout"]["xaxis2"]["range"] == [0, 5999]
    assert any("Warmup close-up" in a["text"] and "first 6,000 steps" in a["text"]
               for a in chart(at, plot=None)["layout"]["annotations"])
    spec = url_spec(at)
    numbers = warmup_numbers(spec, no_warmup_twin(spec))["lr"]
    table = warmup_numbers_table(at)
    assert table.loc["reaches 50 % of peak at step", "schedule"] == "1,000"
    assert table.loc["reaches 100 % of peak at step", "schedule"] == "2,000"
    assert float(table.loc["lr-sum given up vs no warmup", "schedule"]) == pytest.approx(numbers.given_up, rel=1e-3)
    # Log-y and the twin toggle apply to both plots.
    at = set_and_run(at, "toggle", "ex_log_y", True)
    layout = chart(at)["layout"]
    assert layout["yaxis"]["type"] == layout["yaxis3"]["type"] == "log"
    at = set_and_run(at, "toggle", "ex_twin", False)
    assert len(chart(at, plot="x2")["data"]) == 1
    at = move(at, keys.K_WARMUP_STEPS, 0)
    fig = chart(at, plot="x2")
    assert not fig["data"] and "xaxis2" not in fig["layout"]
    assert not [t for t in page_tables(at) if "lr-sum given up vs no warmup" in t.index]


def test_the_comparison_close_up_overlays_first_steps():
    a = schedules.load_spec({"total_steps": 10_000, "lr": 1e-3, "warmup": {"steps": 100},
                             "schedule": {"type": "cosine"}})
    b = a.replace(warmup={"steps": 500, "shape": "cosine"})
    at = run_app(encode(State(compare=(Compared("1% linear", a), Compared("5% cosine", b)))))
    fig = chart(at, "ex_compare_closeup_chart")
    assert [t["name"] for t in fig["data"]] == ["1% linear", "5% cosine"]
    assert fig["layout"]["xaxis"]["range"] == [0, 1499]


def test_the_budget_calculator_writes_step_counts():
    at = run_app()
    assert not [x for x in at.number_input if str(x.key).startswith(keys.K_BUDGET)]  # drawn only when opened
    at.session_state[keys.K_BUDGET + "open"] = True
    at.run()
    for name, value in {"dataset_size": 50_000, "batch_size": 32, "devices": 2, "grad_accum": 4}.items():
        at.number_input(key=keys.K_BUDGET + name).set_value(value)
    at.number_input(key=keys.K_BUDGET + "epochs").set_value(3.0)
    at.number_input(key=keys.K_BUDGET + "warmup_ratio").set_value(0.03)
    at.run()
    assert any("588 total steps" in x.value for x in at.caption)
    at.button(key=keys.K_BUDGET + "apply").click().run()
    assert not at.exception
    spec = url_spec(at)
    assert (spec.total_steps, spec.steps_per_epoch, spec.warmup.steps) == (588, 196, 18)
    assert at.number_input(key=keys.K_TOTAL).value == 588 and slider(at, keys.K_TOTAL).value == 600  # nearest point


def boxes(at) -> set[str]:
    """Keys of the exact-value boxes drawn beside the sliders."""
    sliders = {s.key[: -len(keys.SLIDER)] for s in at.select_slider if s.key and s.key.endswith(keys.SLIDER)}
    return {w.key for w in [*at.text_input, *at.number_input] if w.key in sliders}


def test_without_exact_values_a_slider_stands_alone_unless_its_value_is_off_its_grid():
    at = run_app(exact=False)
    assert not at.toggle(key=keys.K_EXACT).value and boxes(at) == set()
    at = move(at, keys.K_WARMUP_STEPS, 2500)
    at = move(at, keys.K_LR, 6e-4)
    assert (url_spec(at).warmup.steps, url_spec(at).lr) == (2500, 6e-4) and boxes(at) == set()
    # A link's off-grid numbers keep their exact values, each shown in its own box; the rest stay sliders.
    link = {"spec": '{"total_steps":100000,"lr":3.7e-4,"warmup":{"steps":1234},"schedule":{"type":"cosine"}}'}
    at = run_app(link, exact=False)
    assert boxes(at) == {keys.K_LR, keys.K_WARMUP_STEPS}
    assert at.text_input(key=keys.K_LR).value == "0.00037" and at.number_input(key=keys.K_WARMUP_STEPS).value == 1234
    assert slider(at, keys.K_LR).value == 3.5e-4 and url_spec(at).lr == 3.7e-4
    # Moving its slider puts the value back on the grid, and the box goes.
    at = move(at, keys.K_WARMUP_STEPS, 2000)
    assert boxes(at) == {keys.K_LR} and url_spec(at).warmup.steps == 2000


def test_the_exact_values_toggle_shows_every_box_and_keeps_typed_values():
    at = run_app(exact=False)
    at = set_and_run(at, "toggle", keys.K_EXACT, True)
    expected = {keys.K_TOTAL, keys.K_LR, keys.K_WARMUP_STEPS, keys.K_WARMUP_START, keys.param_key("cosine", "min_lr")}
    assert expected <= boxes(at)
    at.text_input(key=keys.K_LR).input("3.7e-4").run()
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 2000)
    at = set_and_run(at, "toggle", keys.K_EXACT, False)
    assert boxes(at) == {keys.K_LR}  # off its grid: still shown, as typed
    assert at.text_input(key=keys.K_LR).value == "3.7e-4" and url_spec(at).lr == 3.7e-4
    at.run()  # and on the next run (Streamlit drops the values of widgets not drawn: none is lost)
    assert url_spec(at).lr == 3.7e-4 and url_spec(at).warmup.steps == 2000 and not editor_errors(at)
    at = set_and_run(at, "toggle", keys.K_EXACT, True)
    assert at.number_input(key=keys.K_WARMUP_STEPS).value == 2000 and at.text_input(key=keys.K_LR).value == "3.7e-4"
