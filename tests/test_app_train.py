"""The Train page under AppTest: every optimizer, the twin on and off, a comparison set from the link, a
diverging run marked on the chart, and broken links that leave a one-line notice and no traceback.

Runs are short (50-100 steps, one or two seeds) so the whole module takes seconds; the warmup effect itself
at full length is asserted in tests/test_train.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import train_setup as ts
from ui.state import Compared, State, encode

ROOT = Path(__file__).resolve().parents[1]
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
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["layout"]["yaxis"]["type"] == "log"
    return [t.get("name", "") for t in fig["data"] if t.get("showlegend", True) is not False]


def table(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("| | final train loss"))


def test_opens_on_the_demo_with_its_twin_and_reads_the_difference() -> None:
    at = page(steps=100, seeds=2)
    names = loss_traces(at)
    assert any(n.startswith("warmup demo") for n in names) and "no warmup" in names
    assert len(at.get("plotly_chart")) == 4  # loss, lr, held-out, mechanism
    assert table(at).count("\n") == 3  # header, rule, two schedules
    assert at.info[0].value.startswith("Without warmup the first 3 updates moved the weights by")
    assert at.query_params["spec"].startswith("{")
    mech = json.loads(at.get("plotly_chart")[3].proto.spec)
    # The mechanism panels hold the update ratio, grad norm, Adam's effective step and the dead ReLUs.
    assert len({t.get("yaxis", "y") for t in mech["data"]}) == 4


@pytest.mark.parametrize("label", list(ts.OPTIMIZERS))
def test_every_optimizer_trains_and_draws(label: str) -> None:
    at = page(tr_optimizer=label)
    assert {"no warmup"} <= set(loss_traces(at))
    assert label in at.expander[0].label
    mech = json.loads(at.get("plotly_chart")[3].proto.spec)
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
