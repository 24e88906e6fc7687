"""The explore page under Streamlit's AppTest: widgets set by key, the chart read back from the page.

Covers loading, every preset, each control changing the chart, share-link round trips, hostile links,
invalid combinations, the comparison set, and random widget values (hypothesis).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from schedules import FAMILIES, load_preset, load_spec, preset_names
from schedules.export import export
from schedules.imports import import_config
from tests.support.apptest_charts import figure
from tests.support.markdown_tables import page_tables
from ui.common.link_state import Compared, State, compact_spec_json, default_spec, encode
from ui.explore import editor_values, keys

APP = "../../app.py"
K_IMPORT_OPEN = "ex_import-open"  # pages/explore.py: the import section's expander


def run_app(query: dict[str, str] | None = None, exact: bool = True) -> AppTest:
    """The app opened (on ``?query``), with the editor's "Type exact values" on unless ``exact`` is False:
    most tests type into the boxes beside the sliders, as a user does after turning it on."""
    at = AppTest.from_file(APP, default_timeout=60)
    if exact:
        at.session_state[keys.K_EXACT] = True
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def chart(at: AppTest, key: str = "ex_chart", plot: str | None = "x") -> dict[str, Any]:
    """The figure of the chart ``key``, its traces narrowed to one plot: ``"x"`` the main chart, ``"x2"``
    the warmup close-up stacked under it (traces, phase shapes and labels); ``None`` keeps them all."""
    fig = figure(at, key)
    if plot is not None:
        fig["data"] = [t for t in fig["data"] if t.get("xaxis", "x") == plot]
        for part in ("shapes", "annotations"):
            if part in fig["layout"]:
                fig["layout"][part] = [x for x in fig["layout"][part] if x.get("xref") == plot]
    return fig


def array(value: Any) -> np.ndarray:
    """Plotly sends arrays as ``{"dtype", "bdata"}`` (base64) or as plain lists."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value, dtype=np.float64)


def ys(fig: dict[str, Any]) -> list[np.ndarray]:
    return [array(t["y"]) for t in fig["data"]]


def url_spec(at: AppTest):
    return load_spec(at.query_params["spec"])


def editor_errors(at: AppTest) -> list[str]:
    """The editor's own error messages (other panels, such as export, may report their own limits)."""
    return [e.value.replace("\\", "") for e in at.error if e.icon == ":material/error:"]


def numbers(at: AppTest) -> Any:
    """The edited schedule's number table (peak, final, mean...)."""
    return next(t for t in page_tables(at) if "peak lr" in t.index)


def warmup_numbers_table(at: AppTest) -> Any:
    """The warmup close-up's number table."""
    return next(t for t in page_tables(at) if "lr-sum given up vs no warmup" in t.index)


def open_import(at: AppTest) -> AppTest:
    """Open the import section's expander, as a click on it does: its widgets are drawn only while open."""
    at.session_state[K_IMPORT_OPEN] = True
    return at.run()


def set_and_run(at: AppTest, kind: str, key: str, value: Any) -> AppTest:
    getattr(at, kind)(key=key).set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_loads_with_the_default_schedule_and_its_twin():
    at = run_app()
    fig = chart(at)
    assert [t["name"] for t in fig["data"]] == [default_spec().name, "no warmup"]
    assert all(len(y) <= 4000 for y in ys(fig))
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["warmup", "decay"]
    assert url_spec(at) == default_spec()
    assert at.text_input(key=keys.K_LR).value == "0.0003"
    table = numbers(at)
    assert list(table.columns) == ["schedule", "no-warmup twin"]
    assert table.loc["peak lr", "schedule"] == "3.000e-04" and table.loc["peak at step", "schedule"] == "2,000"
    assert any(d.key == "ex_download_csv" for d in at.get("download_button"))


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_renders(name: str):
    at = run_app()
    at = set_and_run(at, "selectbox", keys.K_PRESET, name)
    spec = load_preset(name)
    assert url_spec(at) == spec
    assert at.text_input(key=keys.K_LR).value == editor_values.format_lr(spec.lr)
    assert at.button_group(key=keys.K_FAMILY).value == spec.schedule.type
    assert at.selectbox(key=keys.K_PRESET).value is None  # ready to pick again
    fig = chart(at)
    assert max(y.max() for y in ys(fig)[:1]) == pytest.approx(schedules_peak(spec))
    assert editor_errors(at) == []


def schedules_peak(spec) -> float:
    import schedules

    return float(schedules.curve(spec).max())


def test_family_change_changes_the_chart():
    at = run_app()
    before = ys(chart(at))[0]
    at = set_and_run(at, "button_group", keys.K_FAMILY, "step")
    after = ys(chart(at))[0]
    assert not np.array_equal(before, after)
    assert url_spec(at).schedule.type == "step"
    assert at.number_input(key=keys.param_key("step", "step_size")) is not None


def test_warmup_steps_change_the_chart_and_the_link():
    at = run_app()
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 20_000)
    assert url_spec(at).warmup.steps == 20_000
    fig = chart(at)
    assert fig["layout"]["shapes"][0]["x1"] == 20_000
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 0)
    # no twin without warmup; the edited default says it is no longer the preset it came from
    assert [t["name"] for t in chart(at)["data"]] == [default_spec().name + " (edited)"]


def test_lr_text_sets_the_peak():
    at = run_app()
    at.text_input(key=keys.K_LR).input("1e-7").run()
    assert not at.exception
    # min_lr 3e-5 is now above the peak: the rule is shown, the last valid chart stays.
    assert "schedule.min_lr: must be <= lr" in editor_errors(at)[0]
    at.text_input(key=keys.param_key("cosine", "min_lr")).input("0").run()
    assert editor_errors(at) == []
    assert ys(chart(at))[0].max() == pytest.approx(1e-7)
    assert url_spec(at).lr == 1e-7


def test_log_axis_and_epoch_axis():
    at = run_app()
    assert chart(at)["layout"]["yaxis"]["type"] == "linear"
    at = set_and_run(at, "toggle", "ex_log_y", True)
    assert chart(at)["layout"]["yaxis"]["type"] == "log"
    assert at.query_params["log"] == "1"
    at = set_and_run(at, "number_input", keys.K_SPE, 1000)
    before = array(chart(at)["data"][0]["x"])
    at = set_and_run(at, "radio", "ex_x_axis", "epoch")
    fig = chart(at)
    assert fig["layout"]["xaxis"]["title"]["text"] == "epoch"
    assert array(fig["data"][0]["x"])[-1] == pytest.approx(before[-1] / 1000)
    assert at.query_params["x"] == "epoch"


def test_at_step_reads_the_lr():
    at = run_app()
    at = set_and_run(at, "number_input", "ex_at_step", 1000)
    table = numbers(at)
    assert "lr at step 1,000" in table.index
    assert float(table.loc["lr at step 1,000", "schedule"]) == pytest.approx(1.5e-4, rel=1e-3)
    assert at.query_params["at"] == "1000"


def full_state() -> State:
    return State(
        spec=load_preset("one_cycle"),
        compare=(Compared("bert", load_preset("bert")), Compared("sgdr run", load_preset("sgdr"))),
        log_y=True, x_axis="epoch", twin=False, at_step=500,
    )


def test_share_link_restores_widgets_and_comparison():
    state = full_state()
    at = run_app(encode(state))
    assert not at.warning or all(w.icon == ":material/stethoscope:" for w in at.warning)
    assert at.button_group(key=keys.K_FAMILY).value == "one_cycle"
    assert at.number_input(key=keys.K_TOTAL).value == 11730
    assert at.number_input(key=keys.K_SPE).value == 391
    assert at.checkbox(key=keys.K_MOMENTUM).value is True
    assert at.toggle(key="ex_log_y").value is True
    assert at.radio(key="ex_x_axis").value == "epoch"
    assert at.number_input(key="ex_at_step").value == 500
    assert [t["name"] for t in chart(at, "ex_compare_chart")["data"]] == ["bert", "sgdr run"]
    assert chart(at)["data"][-1]["yaxis"] == "y2"  # momentum on the right axis
    assert dict(at.query_params) == encode(state)


def test_public_contract_spec_parameter():
    text = '{"total_steps":5000,"lr":0.001,"warmup":{"steps":100},"schedule":{"type":"cosine","min_lr":1e-5}}'
    at = run_app({"spec": text})
    assert url_spec(at) == load_spec(text)
    assert at.number_input(key=keys.K_TOTAL).value == 5000


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"spec": "{not json"}, "not valid JSON"),
        ({"spec": '{"total_steps":1000,"lr":-1,"schedule":{"type":"cosine"}}'}, "lr: must be > 0"),
        ({"spec": '{"total_steps":1e300,"lr":1,"schedule":{"type":"cosine"}}'}, "total_steps"),
        ({"spec": "{" + "a" * 100_000}, "characters"),
        ({"spec": "[" * 20_000}, "spec"),
        ({"hack": "<script>alert(1)</script>"}, "Unknown link parameter"),
        ({"cmp": '{"a":1}', "at": "-1", "log": "yes please"}, "cmp"),
    ],
)
def test_hostile_links_show_a_notice_and_fall_back(query: dict[str, str], fragment: str):
    at = run_app(query)
    notices = " ".join(w.value.replace("\\", "") for w in at.warning)
    assert fragment in notices
    assert chart(at)["data"]
    assert url_spec(at) == default_spec()


def test_invalid_combination_shows_the_rule_and_keeps_the_chart():
    at = run_app()
    before = ys(chart(at))
    at.text_input(key=keys.param_key("cosine", "min_lr")).input("0.001").run()
    assert editor_errors(at)[0].startswith("schedule.min_lr: must be <= lr")
    after = ys(chart(at))
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert url_spec(at) == default_spec()
    at.text_input(key=keys.K_LR).input("0.002").run()
    assert editor_errors(at) == [] and url_spec(at).lr == 0.002


def test_bad_milestones_name_the_field():
    at = run_app()
    at = set_and_run(at, "button_group", keys.K_FAMILY, "multistep")
    at.text_input(key=keys.param_key("multistep", "milestones")).input("100, oops").run()
    assert not at.exception
    assert "schedule.milestones" in editor_errors(at)[0]


def test_compare_add_rename_remove_and_load():
    at = run_app()
    at.text_input(key="ex_cmp_name").input("gpt").run()
    at.button(key="ex_cmp_add").click().run()
    at = set_and_run(at, "selectbox", keys.K_PRESET, "bert")
    at.button(key="ex_cmp_add").click().run()
    assert [t["name"] for t in chart(at, "ex_compare_chart")["data"]] == ["gpt", load_preset("bert").name]
    assert [x["name"] for x in json.loads(at.query_params["cmp"])] == ["gpt", load_preset("bert").name]
    at.text_input(key="ex_cmp_rename_1").input("fine-tune").run()
    assert [x["name"] for x in json.loads(at.query_params["cmp"])] == ["gpt", "fine-tune"]
    compared = next(t for t in page_tables(at) if "family" in t.columns)
    assert list(compared.index) == ["gpt", "fine-tune"]
    assert list(compared["family"]) == [FAMILIES["cosine"].label, FAMILIES[load_preset("bert").schedule.type].label]
    at.button(key="ex_cmp_load_0").click().run()
    assert url_spec(at) == default_spec() and at.text_input(key=keys.K_LR).value == "0.0003"
    at.button(key="ex_cmp_remove_0").click().run()
    assert not at.exception
    assert [x["name"] for x in json.loads(at.query_params["cmp"])] == ["fine-tune"]
    assert at.text_input(key="ex_cmp_rename_0").value == "fine-tune"


WIDGETS = st.fixed_dictionaries({
    "family": st.sampled_from(list(FAMILIES)),
    "total": st.integers(1, 2_000_000),
    "warmup": st.integers(0, 3_000_000),
    "lr": st.sampled_from(["3e-4", "1e-7", "10", "0", "-1", "abc", "1e309", ""]),
    "start": st.sampled_from(["0", "1e-8", "0.5", "x"]),
    "shape": st.sampled_from(["linear", "cosine", "exponential", "constant"]),
    "spe": st.none() | st.integers(1, 5000),
    "interval": st.sampled_from(["step", "epoch"]),
    "log": st.booleans(),
})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WIDGETS)
def test_random_widget_values_never_raise(w: dict[str, Any]):
    at = run_app()
    at.button_group(key=keys.K_FAMILY).set_value(w["family"])
    at.number_input(key=keys.K_TOTAL).set_value(w["total"])
    at.number_input(key=keys.K_WARMUP_STEPS).set_value(w["warmup"])
    at.text_input(key=keys.K_LR).input(w["lr"])
    at.text_input(key=keys.K_WARMUP_START).input(w["start"])
    at.button_group(key=keys.K_WARMUP_SHAPE).set_value(w["shape"])
    at.number_input(key=keys.K_SPE).set_value(w["spe"])
    at.radio(key=keys.K_INTERVAL).set_value(w["interval"])
    at.toggle(key="ex_log_y").set_value(w["log"])
    at.run()
    assert not at.exception, at.exception
    assert chart(at)["data"]
    if not editor_errors(at):
        spec = url_spec(at)
        assert (spec.total_steps, spec.schedule.type) == (w["total"], w["family"])
    assert compact_spec_json(url_spec(at))


def test_returning_with_an_empty_url_keeps_the_session_state():
    # Streamlit clears query parameters on a page switch; the session's state must survive that.
    at = run_app()
    at = set_and_run(at, "toggle", "ex_log_y", True)
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 5000)
    at.query_params.clear()
    at.run()
    assert not at.exception
    assert at.toggle(key="ex_log_y").value is True
    assert url_spec(at).warmup.steps == 5000 and at.query_params["log"] == "1"


@pytest.mark.parametrize("moved_first", [False, True])
def test_a_visit_to_the_range_test_page_keeps_the_schedule(moved_first: bool):
    """Away and back through the app's navigation (as the page menu does: the URL is cleared): the editor,
    the chart and the link show the schedule they showed on leaving. A warmup off the slider's grid (its box
    shown) used to come back as the warmup of the page's first schedule (the default's 2,000 steps)."""
    at = run_app(exact=False)
    if moved_first:  # a grid point first, so the box's key held a plain session value before it became a widget
        at.select_slider(key=keys.K_WARMUP_STEPS + keys.SLIDER).set_value(70)
        at.run()
    link = {"total_steps": 100_000, "lr": 3e-4, "warmup": {"steps": 5946}, "schedule": {"type": "wsd"}}
    at.query_params["spec"] = json.dumps(link)
    at.run()
    before = chart(at, plot=None)
    assert url_spec(at).warmup.steps == 5946 and at.number_input(key=keys.K_WARMUP_STEPS).value == 5946
    for page_path in ("pages/finder.py", "pages/explore.py"):
        at.query_params.clear()
        at.switch_page(page_path)
        at.run()
        assert not at.exception, at.exception
    assert at.session_state[keys.K_WARMUP_STEPS] == 5946 and at.number_input(key=keys.K_WARMUP_STEPS).value == 5946
    assert url_spec(at) == load_spec(link) and chart(at, plot=None) == before


def test_import_loads_the_spec_into_the_editor_and_export_lists_every_schedule():
    at = run_app(encode(State(compare=(Compared("bert", load_preset("bert")),))))
    picker = at.selectbox(key="ex_export-spec")  # export offers the edited schedule and the compared one
    assert len(picker.options) == 2 and picker.options[1] == "bert"
    picker.select_index(1)
    at.button_group(key="ex_export-target").set_value("torch").run()
    assert at.code[-1].value == export(load_preset("bert"), "torch").rstrip("\n")
    assert not at.text_area  # the import panel's widgets are drawn only while its expander is open
    open_import(at)
    at.text_area(key="ex_import-text").input(compact_spec_json(load_preset("noam"))).run()
    at.button(key="ex_import-load").click().run()
    assert not at.exception
    assert url_spec(at) == load_preset("noam")
    assert at.button_group(key=keys.K_FAMILY).value == "inverse_sqrt"


NANOGPT = "learning_rate = 1e-3\nmax_iters = 5000\nlr_decay_iters = 4000\nmin_lr = 1e-4\nwarmup_iters = 100\n"
TIMM_OVERLAID = ("sched: cosine\nepochs: 30\nlr: 0.1\nmin_lr: 1.0e-5\nwarmup_epochs: 3\nwarmup_lr: 1.0e-4\n"
                 "warmup_prefix: false\n")


@pytest.mark.parametrize(("text", "budget", "extension"), [
    (NANOGPT, {}, "main_steps"), (TIMM_OVERLAID, {"steps_per_epoch": 10}, "warmup.overlay"),
])
def test_specs_with_the_later_fields_load_into_the_editor_exactly(text: str, budget: dict, extension: str):
    """A nanoGPT config (explicit schedule length) and a timm config (warmup overlaid on the decay) load into
    the editor, whose controls then hold and rebuild the identical spec; editing keeps the field."""
    at = open_import(run_app())
    at.text_area(key="ex_import-text").input(text).run()
    for name, value in budget.items():  # the run's numbers, asked for once a config is pasted
        at.number_input(key=f"ex_import-{name}").set_value(value)
    at.run()
    imported = import_config(text, **budget).spec
    assert extension in imported.extensions
    at.button(key="ex_import-load").click().run()
    assert not at.exception
    assert url_spec(at) == imported
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, imported.warmup.steps + 1)
    assert not at.exception and extension in url_spec(at).extensions
    assert url_spec(at).warmup.steps == imported.warmup.steps + 1


def test_editing_a_loaded_schedule_marks_its_name_edited_once():
    at = set_and_run(run_app(), "selectbox", keys.K_PRESET, "gpt_cosine")
    preset_name = load_preset("gpt_cosine").name
    assert url_spec(at).name == preset_name
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 1234)
    assert url_spec(at).name == preset_name + " (edited)"
    assert at.text_input(key=keys.K_NAME).value == preset_name + " (edited)"
    at = set_and_run(at, "button_group", keys.K_FAMILY, "linear")
    assert url_spec(at).name == preset_name + " (edited)"  # not twice
    at = set_and_run(at, "text_input", keys.K_NAME, "my run")
    at = set_and_run(at, "number_input", keys.K_WARMUP_STEPS, 99)
    assert url_spec(at).name == "my run"  # a name the user chose is theirs
