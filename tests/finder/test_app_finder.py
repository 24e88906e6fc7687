"""The LR range test page under AppTest: built-in run, uploads (good and broken), controls that move the
suggestions, and the link that opens the explore page on the chosen schedule."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from schedules import load_spec
from tests.support.apptest_charts import figure, figures
from ui.common.link_state import decode

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "finder.py")
CSV = "lr,loss\n" + "".join(
    f"{1e-5 * 10 ** (i / 10)},{2.3 - 0.02 * i if i < 50 else 1.3 + 0.1 * (i - 49)}\n" for i in range(60)
)


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def ran() -> AppTest:
    at = page()
    at.button(key="finder_run").click()
    at.run()
    assert not at.exception
    return at


def table_lrs(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["lr"])


def upload(at: AppTest, name: str, payload: bytes) -> AppTest:
    at.radio(key="finder_source").set_value("Upload your own")
    at.run()
    at.file_uploader[0].set_value((name, payload, "text/plain"))
    at.run()
    return at


def test_page_opens_with_a_prompt_and_no_curve() -> None:
    at = page()
    assert "Run the built-in test" in at.info[0].value
    assert figures(at) == {}


def test_built_in_run_draws_the_curve_and_every_rule(ran: AppTest) -> None:
    assert not at_errors(ran)
    assert "built-in" in ran.subheader[0].value
    fig = figure(ran, "finder_chart")
    names = [t.get("name", "") for t in fig["data"]]
    assert names[:2] == ["loss (raw)", "loss (smoothed)"]
    assert sum(n.startswith(("steepest", "minimum", "valley", "CLR")) for n in names) == 4
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert len(table_lrs(ran)) == 4
    assert "stopped: diverged" in ran.caption[-1].value or "non-finite" in ran.caption[-1].value


def at_errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_smoothing_and_trim_controls_move_the_suggestions(ran: AppTest) -> None:
    before = table_lrs(ran)
    ran.slider(key="finder_beta").set_value(0.5)
    ran.run()
    assert not ran.exception and table_lrs(ran) != before
    ran.number_input(key="finder_skip_start").set_value(40)
    ran.run()
    assert not ran.exception and not at_errors(ran)
    ran.slider(key="finder_beta").set_value(0.98)
    ran.number_input(key="finder_skip_start").set_value(10)
    ran.run()
    assert table_lrs(ran) == before


def test_trims_that_leave_too_few_points_give_a_one_line_message(ran: AppTest) -> None:
    n = int(ran.number_input(key="finder_skip_start").max)
    ran.number_input(key="finder_skip_start").set_value(n - 2)
    ran.run()
    assert not ran.exception
    assert at_errors(ran) and at_errors(ran)[0].startswith("skip_start: must leave at least 5 points")
    ran.number_input(key="finder_skip_start").set_value(10)
    ran.run()
    assert not at_errors(ran)


def test_send_to_explore_builds_a_valid_spec_for_the_chosen_family(ran: AppTest) -> None:
    ran.selectbox(key="finder_rule").set_value("clr_bounds")
    ran.selectbox(key="finder_family").set_value("cyclic")
    ran.run()
    assert not ran.exception and not at_errors(ran)
    text = ran.session_state["finder_spec_json"]
    spec = load_spec(text)
    assert spec.schedule.type == "cyclic"
    assert spec.schedule.get("min_lr") == pytest.approx(spec.lr / 4, rel=1e-12)
    assert json.loads(ran.code[-1].value) == json.loads(text)
    state, notices = decode({"spec": text})  # what the explore page does with ?spec=
    assert notices == [] and state.spec == spec


def test_the_link_carries_the_spec_when_run_inside_the_app() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/finder.py")
    at.run()
    at.button(key="finder_run").click()
    at.run()
    assert not at.exception
    link = at.get("page_link")[0].proto
    assert link.page == "explore"
    spec_text = parse_qs(link.query_string)["spec"][0]
    assert load_spec(spec_text) == load_spec(at.session_state["finder_spec_json"])


def test_a_visit_to_another_page_keeps_the_settings_and_the_curve() -> None:
    """Away to the explore page and back through the app's navigation (the URL cleared, as the page menu
    does): the sweep's settings and the suggestion controls are as the visitor left them, and so is the curve."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/finder.py")
    at.run()
    at.number_input(key="finder_end").set_value(1.0)
    at.slider(key="finder_iters").set_value(100)
    at.select_slider(key="finder_batch").set_value(64)
    at.button(key="finder_run").click()
    at.run()
    at.slider(key="finder_beta").set_value(0.9)
    at.number_input(key="finder_divisor").set_value(3.0)
    at.selectbox(key="finder_rule").set_value("steepest")
    at.run()
    assert not at.exception
    shown = (table_lrs(at), at.code[-1].value)
    for page_path in ("pages/explore.py", "pages/finder.py"):
        at.query_params.clear()
        at.switch_page(page_path)
        at.run()
        assert not at.exception
    assert at.number_input(key="finder_end").value == 1.0
    assert (at.slider(key="finder_iters").value, at.select_slider(key="finder_batch").value) == (100, 64)
    assert (at.slider(key="finder_beta").value, at.number_input(key="finder_divisor").value) == (0.9, 3.0)
    assert at.selectbox(key="finder_rule").value == "steepest"
    assert (table_lrs(at), at.code[-1].value) == shown


def test_upload_of_a_csv_replaces_the_curve() -> None:
    at = upload(page(), "finder.csv", CSV.encode())
    assert not at.exception and not at_errors(at)
    assert "finder.csv (CSV)" in at.subheader[0].value
    assert "read 60 rows" in at.caption[-1].value or "read 60 rows" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "file: must be UTF-8 text"),
        (b'{"lr": [0.1, 0.01, 0.001, 0.0001, 0.00001], "loss": [1, 2, 3, 4, 5]}', "lr: must be strictly increasing"),
        (b'{"lr": [1e-5, 1e-4, ', "file: is not valid JSON"),
        (b'{"lrs": [1, 2, 3, 4, 5, 6], "losses": ["a", "b", "c", "d", "e", "f"]}', "losses: must hold numbers only"),
    ],
)
def test_broken_uploads_show_one_line_errors(payload: bytes, message: str) -> None:
    at = upload(page(), "broken.json", payload)
    assert not at.exception
    assert at_errors(at) and at_errors(at)[0].startswith(message)
    assert "\n" not in at_errors(at)[0]


def test_snippet_is_offered_with_the_upload() -> None:
    at = page()
    at.radio(key="finder_source").set_value("Upload your own")
    at.run()
    assert any("def lr_range_test(" in c.value for c in at.code)
