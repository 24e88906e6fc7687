"""The Train page under AppTest: every optimizer, the twin on and off, a comparison set from the link, a
diverging run marked on the chart, and broken links that leave a one-line notice and no traceback.

Runs are short (50-100 steps, one or two seeds) so the whole module takes seconds; the warmup effect itself
at full length is asserted in tests/train/test_train.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest_charts import figure, figures
from ui.common.link_state import Compared, State, encode
from ui.train import setup as ts

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "train.py")
DEMO = ts.DEMO_SPEC


def page(steps: int = 50, seeds: int = 1, query: dict[str, str] | None = None, **session: object) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.session_state["tr_steps"] = steps
    at.session_state["tr_seeds"] = seeds
    for key, value in session.items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def loss_traces(at: AppTest) -> list[str]:
    fig = figure(at, "tr_loss_chart")
    assert fig["layout"]["yaxis"]["type"] == "log"
    return [t.get("name", "") for t in fig["data"] if t.get("showlegend", True) is not False]


def table(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("| | final train loss"))


def test_opens_on_the_demo_with_its_twin_and_reads_the_difference() -> None:
    at = page(steps=100, seeds=2)
    names = loss_traces(at)
    assert any(n.startswith("warmup demo") for n in names) and "no warmup" in names
    assert set(figures(at)) == {"tr_loss_chart", "tr_lr_chart", "tr_eval_chart", "tr_mechanism_chart"}
    assert table(at).count("\n") == 3  # header, rule, two schedules
    assert at.info[0].value.startswith("Without warmup the first 3 updates moved the weights by")
    assert at.query_params["spec"].startswith("{")
    mech = figure(at, "tr_mechanism_chart")
    # The mechanism panels hold the update ratio, grad norm, Adam's effective step and the dead ReLUs.
    assert len({t.get("yaxis", "y") for t in mech["data"]}) == 4


@pytest.mark.parametrize("label", list(ts.OPTIMIZERS))
def test_every_optimizer_trains_and_draws(label: str) -> None:
    at = page(tr_optimizer=label)
    assert {"no warmup"} <= set(loss_traces(at))
    assert label in at.expander[0].label
    mech = figure(at, "tr_mechanism_chart")
    has_adam_panel = any(t.get("yaxis") == "y3" for t in mech["data"])
    assert has_adam_panel == (label in ("Adam", "AdamW"))


def test_twin_off_trains_only_the_schedule() -> None:
    at = page()
    at.toggle(key="tr_twin").set_value(False).run()
    assert not at.exception
    assert "no warmup" not in loss_traces(at)
    assert table(at).count("\n") == 2
    assert at.query_params["twin"] == "0"
    assert not at.info


def test_compare_set_from_the_link_is_trained_beside_the_schedule() -> None:
    from schedules import load_spec

    state = State(spec=load_spec(DEMO), compare=(
        Compared("constant 0.005", load_spec({"total_steps": 600, "lr": 0.005, "schedule": {"type": "constant"}})),
        Compared("linear decay", load_spec({"total_steps": 600, "lr": 0.01, "schedule": {"type": "linear"}})),
    ))
    at = page(query=encode(state))
    names = loss_traces(at)
    assert {"constant 0.005", "linear decay", "no warmup"} <= set(names)
    assert table(at).count("\n") == 5


def test_a_diverging_run_is_marked_and_stopped_not_an_error() -> None:
    at = page(tr_optimizer="RMSprop")
    assert "no warmup: diverged" in loss_traces(at)
    warning = next(w.value for w in at.warning if w.value.startswith("Diverged"))
    assert "no warmup" in warning and "at step" in warning
    assert "diverged" in at.info[0].value
    assert "1 of 1" in table(at)


@pytest.mark.parametrize(("query", "says"), [
    ({"spec": '{"total_steps":600,"lr":-1,"schedule":{"type":"cosine"}}'}, "lr: must be > 0"),
    ({"spec": "not json"}, "spec: must be JSON"),
    ({"cmp": "[1, 2"}, "'cmp' ignored: not valid JSON"),
    ({"twin": "maybe"}, "'twin' ignored"),
    ({"bogus": "1"}, "Unknown link parameter"),
])
def test_bad_link_parameters_give_a_one_line_notice(query: dict[str, str], says: str) -> None:
    at = page(query=query)
    notices = [w.value for w in at.warning]
    assert any(says in n.replace("\\", "") for n in notices), notices
    assert all("\n" not in n for n in notices)
    assert loss_traces(at)


def test_param_groups_train_their_layers_at_their_scale() -> None:
    spec = {**DEMO, "param_groups": [{"name": "backbone", "lr_scale": 0.1}, {"name": "head"}]}
    at = page(query={"spec": json.dumps(spec), "twin": "0"})
    caption = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "backbone ×0.1 trains layers 1–4" in caption and "head ×1 trains layers 5–8" in caption


def test_a_long_schedule_is_compressed_and_said_so() -> None:
    spec = {"total_steps": 250_000, "lr": 0.003, "warmup": {"steps": 2000}, "schedule": {"type": "cosine"}}
    at = page(query={"spec": json.dumps(spec)})
    caption = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "250,000 steps are mapped onto the 50 trained" in caption


def test_training_controls_round_trip_through_the_link() -> None:
    at = page(steps=60, seeds=2)
    at.selectbox(key="tr_optimizer").set_value("RMSprop").run()
    at.number_input(key="tr_h_RMSprop_alpha").set_value(0.95)
    at.number_input(key="tr_h_RMSprop_momentum").set_value(0.5)
    at.radio(key="tr_task").set_value("digits")
    at.slider(key="tr_steps").set_value(80)
    at.run()
    assert not at.exception
    link = {k: at.query_params[k] for k in at.query_params}
    assert {k: link[k] for k in ("opt", "alpha", "momentum", "task", "seeds", "steps")} == {
        "opt": "rmsprop", "alpha": "0.95", "momentum": "0.5", "task": "digits", "seeds": "2", "steps": "80"}
    assert "eps" not in link and "weight_decay" not in link  # at their defaults: left out

    # A new visitor (a fresh session, nothing preset) opening the link gets every control back.
    fresh = AppTest.from_file(PAGE, default_timeout=300)
    for key, value in link.items():
        fresh.query_params[key] = value
    fresh.run()
    assert not fresh.exception
    # No notice about the link (RMSprop's no-warmup twin diverging is the one warning, on both pages).
    assert [w.value for w in fresh.warning] == [w.value for w in at.warning]
    assert all(w.value.startswith("Diverged") for w in fresh.warning)
    assert fresh.selectbox(key="tr_optimizer").value == "RMSprop"
    assert fresh.number_input(key="tr_h_RMSprop_alpha").value == 0.95
    assert fresh.number_input(key="tr_h_RMSprop_momentum").value == 0.5
    assert fresh.number_input(key="tr_h_RMSprop_eps").value == 1e-8
    assert fresh.radio(key="tr_task").value == "digits"
    assert (fresh.slider(key="tr_seeds").value, fresh.slider(key="tr_steps").value) == (2, 80)
    assert {k: fresh.query_params[k] for k in fresh.query_params} == link
    # The same runs: the summary table is identical.
    assert table(fresh) == table(at)


def test_a_new_link_on_an_open_page_sets_every_control() -> None:
    at = page(steps=60, tr_optimizer="AdaGrad")
    spec = at.query_params["spec"]
    at.query_params.clear()
    for key, value in {"spec": spec, "opt": "sgd_momentum", "nesterov": "1", "steps": "50", "seeds": "1"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.selectbox(key="tr_optimizer").value == "SGD + momentum"
    assert at.checkbox(key="tr_h_SGD + momentum_nesterov").value is True
    assert at.number_input(key="tr_h_SGD + momentum_momentum").value == 0.9
    assert at.query_params["nesterov"] == "1" and at.query_params["opt"] == "sgd_momentum"


def test_a_visit_to_another_page_keeps_the_training_controls() -> None:
    """Away to the range-test page and back through the app's navigation (the URL cleared, as the page menu
    does): the controls a link set are still set, and the link says so (they used to come back at their
    defaults: 600 steps, 3 seeds); so are the view's controls, which no link holds."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/train.py")
    at.query_params.update({"spec": json.dumps(DEMO), "opt": "sgd_momentum", "nesterov": "1", "steps": "60",
                            "seeds": "1"})
    at.run()
    assert not at.exception
    at.slider(key="tr_smooth").set_value(0.5)
    at.number_input(key="tr_target").set_value(1.0)
    at.toggle(key="tr_early").set_value(False)
    at.run()
    link = {k: at.query_params[k] for k in at.query_params}
    for page_path in ("pages/finder.py", "pages/train.py"):
        at.query_params.clear()
        at.switch_page(page_path)
        at.run()
        assert not at.exception
    assert (at.slider(key="tr_seeds").value, at.slider(key="tr_steps").value) == (1, 60)
    assert at.selectbox(key="tr_optimizer").value == "SGD + momentum"
    assert at.checkbox(key="tr_h_SGD + momentum_nesterov").value is True
    assert {k: at.query_params[k] for k in at.query_params} == link
    # The view's controls (not in the link) are kept too.
    assert (at.slider(key="tr_smooth").value, at.number_input(key="tr_target").value) == (0.5, 1.0)
    assert at.toggle(key="tr_early").value is False


@pytest.mark.parametrize(("query", "field", "control", "default"), [
    ({"opt": "lion"}, "opt", "tr_optimizer", "Adam"),
    ({"beta1": "1.5"}, "beta1", "tr_h_Adam_beta1", 0.9),
    ({"eps": "nan"}, "eps", "tr_h_Adam_eps", 1e-8),
    ({"weight_decay": "-0.1"}, "weight_decay", "tr_h_Adam_weight_decay", 0.0),
    ({"alpha": "0.9"}, "alpha", "tr_optimizer", "Adam"),
    ({"opt": "sgd_momentum", "nesterov": "maybe"}, "nesterov", "tr_h_SGD + momentum_nesterov", False),
    ({"task": "imagenet"}, "task", "tr_task", "teacher"),
    ({"seeds": "9"}, "seeds", "tr_seeds", ts.DEFAULT_SEEDS),
    ({"steps": "55", "spec": json.dumps(DEMO)}, "steps", "tr_steps", 600),
    ({"steps": "²"}, "steps", "tr_steps", 600),
])
def test_bad_training_settings_in_the_link_fall_back_with_a_notice(query: dict[str, str], field: str,
                                                                    control: str, default: object) -> None:
    at = page(query=query)
    notices = [w.value.replace("\\", "") for w in at.warning]
    assert any(n.startswith(f"Link parameter '{field}' ignored: ") for n in notices), notices
    assert all("\n" not in n for n in notices)
    widget = next(w for w in at.main if getattr(w, "key", None) == control)
    assert widget.value == default
    assert loss_traces(at)
