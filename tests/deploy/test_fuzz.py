"""Bad input at volume: hypothesis-generated share links and uploads, against the page (AppTest), the
upload parsers, and the live server (Streamlit's websocket protocol). The rule everywhere: no traceback, the
page still draws its chart, and every refusal is one line.

How many cases ran is written to ``test-artifacts/fuzz-counts.json`` (one file per pytest worker).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from harness.protocol import Session
from schedules.finder import FinderError
from schedules.finder_io import parse_finder_output
from schedules.imports.common import MAX_TREE_BYTES
from tests.support.apptest_charts import figures
from tests.support.refusals import one_line
from tests.support.spec_strategies import valid_spec_dicts
from ui.common.link_state import KNOWN_KEYS
from ui.explore.import_panel import read_source

ROOT = Path(__file__).resolve().parents[2]
COUNTS: Counter[str] = Counter()
# AppTest runs outside a `streamlit run` server; its "missing ScriptRunContext" notes are expected here.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True

EDGE_TEXT = ["", " ", "NaN", "Infinity", "-0", "1e999", "null", "[]", "{}", "{", "}", "[[[[", "\x00", "%00", "%",
             "&", "=", "../../etc/passwd", "/etc/passwd", "<script>alert(1)</script>", "**bold** `x` $x$",
             "9" * 400, "{" * 300 + "}" * 300, "[" * 2000, "é漢字🙂", "\u202e", "\r\n"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_spec_json(draw: st.DrawFn) -> str:
    """A valid spec with one field replaced, removed or added, as JSON text (sometimes cut short)."""
    spec = draw(valid_spec_dicts(max_steps=200_000))
    action = draw(st.sampled_from(["replace", "remove", "add", "nested", "truncate", "keep"]))
    key = draw(st.sampled_from(sorted(spec)))
    if action == "replace":
        spec[key] = draw(json_values)
    elif action == "remove":
        spec.pop(key)
    elif action == "add":
        spec[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    elif action == "nested" and isinstance(spec.get("schedule"), dict):
        spec["schedule"][draw(st.sampled_from(["type", "min_lr", "gamma", "x", "step_size"]))] = draw(json_values)
    text = json.dumps(spec)
    if action == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    return text


def json_or_text(text: str) -> Any:
    """The parsed value of a spec's JSON text, or the text itself where a mutation left it unparsable."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@st.composite
def compare_json(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(
        st.builds(lambda n, s: {"name": n, "spec": json_or_text(s)}, st.text(max_size=100), mutated_spec_json()),
        json_values,
    ), max_size=10))
    return json.dumps(items)


param_values = st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=80), mutated_spec_json(), compare_json())
share_params = st.dictionaries(
    st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1, max_size=12)), param_values, max_size=6,
)


def record(kind: str) -> None:
    COUNTS[kind] += 1


@pytest.fixture(scope="module", autouse=True)
def write_counts(artifacts: Path) -> Iterator[None]:
    yield
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (artifacts / f"fuzz-counts-{worker}.json").write_text(json.dumps(dict(COUNTS), indent=1, sort_keys=True))
    print(f"\nfuzz cases run ({worker}): {dict(COUNTS)}")


# --- the page, in AppTest ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(params=share_params)
def test_any_share_link_in_apptest(app: AppTest, params: dict[str, str]):
    app.query_params.clear()
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    record("share links (AppTest)")
    assert not app.exception, [e.message for e in app.exception]
    assert "ex_chart" in figures(app)
    for message in [w.value for w in app.warning] + [e.value for e in app.error]:
        one_line(message)


# --- the upload parsers -------------------------------------------------------------------------------------

def spec_texts(spec: dict[str, Any]) -> list[tuple[bytes, str]]:
    return [(json.dumps(spec).encode(), "spec.json"), (yaml.safe_dump(spec).encode(), "spec.yaml")]


@st.composite
def spec_uploads(draw: st.DrawFn) -> tuple[bytes, str]:
    name = draw(st.sampled_from(["spec.json", "spec.yaml", "spec.yml", "pasted.txt"]))
    kind = draw(st.sampled_from(["binary", "truncated", "mutated", "oversized", "text"]))
    if kind == "binary":
        return draw(st.binary(max_size=2000)), name
    if kind == "truncated":
        data, name = draw(st.sampled_from(spec_texts(draw(valid_spec_dicts()))))
        return data[: draw(st.integers(0, len(data)))], name
    if kind == "mutated":
        return draw(mutated_spec_json()).encode(), name
    if kind == "oversized":
        data, name = draw(st.sampled_from(spec_texts(draw(valid_spec_dicts()))))
        return data + b" " * (MAX_TREE_BYTES + 1 - len(data) + draw(st.integers(0, 1000))), name
    return draw(st.text(max_size=500)).encode("utf-8", "surrogatepass"), name


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(upload=spec_uploads())
def test_any_spec_upload_is_read_or_refused_in_one_line(upload: tuple[bytes, str]):
    data = upload[0]  # the panel detects the format from the text, whatever the file is called
    record("spec uploads (parser)")
    outcome = read_source(data, None, {})
    exc = outcome.error
    if exc is not None:
        one_line(str(exc))
        assert str(exc).startswith(exc.field + ":") or str(exc).startswith(exc.field + " ")
    else:
        assert outcome.imported is not None or outcome.state is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=3000), st.text(max_size=2000).map(str.encode),
                      st.lists(st.tuples(st.floats(), st.floats()), max_size=50).map(
                          lambda rows: ("lr,loss\n" + "\n".join(f"{a},{b}" for a, b in rows)).encode()),
                      st.builds(lambda d: json.dumps(d).encode(), json_values)))
def test_any_range_test_upload_is_read_or_refused_in_one_line(data: bytes):
    record("range-test uploads (parser)")
    try:
        parse_finder_output(data)
    except FinderError as exc:
        one_line(str(exc))


# --- the live server, through the websocket protocol -------------------------------------------------------

@pytest.fixture(scope="module")
def live(app_url: str) -> Iterator[Session]:
    with Session(app_url) as session:
        session.open()
        yield session


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(params=share_params, raw=st.one_of(st.none(), st.text(max_size=300)))
def test_any_share_link_on_the_live_server(live: Session, params: dict[str, str], raw: str | None):
    # Either well-formed parameters, or any text as the raw query string (as typed into the address bar).
    query = urlencode(params) if raw is None else raw
    run = live.rerun(query_string=query)
    record("share links (live server)")
    assert run.exceptions == []
    assert "ex_chart" in run.charts
    for message in run.texts("alert"):
        one_line(message)


def test_a_key_with_a_newline_is_named_on_one_line():
    with pytest.raises(FinderError) as caught:
        parse_finder_output(b'{"\\n": null}')
    one_line(str(caught.value))


# --- uploads in the browser: the uploader, the upload endpoint and the import panel together ---------------

UPLOADS = {
    "binary.json": bytes(range(256)) * 8,
    "truncated.json": b'{"total_steps": 1000, "lr": 0.1, "schedule": {"type": "cos',
    "truncated.yaml": b"total_steps: 1000\nlr: 0.1\nschedule:\n  type: [cosine\n",
    "too-big.yaml": b"total_steps: 1000\nlr: 0.1\nschedule:\n  type: cosine\n" + b"#" * (MAX_TREE_BYTES + 10),
    "not-a-spec.yaml": b"- just\n- a list\n",
    "nan.json": b'{"total_steps": 1000, "lr": NaN, "schedule": {"type": "cosine"}}',
}


@pytest.mark.browser
def test_bad_and_rapid_uploads_in_the_browser(new_page, app_url: str, artifacts: Path):
    from playwright.sync_api import expect

    from harness.browser import open_import, pick_import_file, wait_for_chart, wait_idle

    page = new_page()
    page.goto(app_url)
    wait_for_chart(page, timeout_ms=120_000)
    open_import(page)
    file_input = page.locator(".st-key-ex_import-file input[type='file']")
    load_button = page.locator(".st-key-ex_import-load button")
    panel_errors = page.locator("[data-testid='stAlertContentError']")

    for name, data in UPLOADS.items():
        pick_import_file(page, name, data)  # read as soon as it is picked
        error = panel_errors.last
        expect(error).to_contain_text(":", timeout=90_000)
        text = error.locator("[data-testid='stMarkdownContainer']").inner_text().strip()  # without the icon
        field = text.split(":", 1)[0]
        assert "\n" not in text and field in ("config", "lr", "spec"), text
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        record("bad uploads (browser)")
    page.screenshot(path=artifacts / "fuzz-bad-upload.png")
    # Many uploads in a row without waiting, then one import: the last file is the one read.
    wait_idle(page, timeout_ms=90_000)
    rapid = {}
    for i in range(12):
        good = {"total_steps": 1000 + i, "lr": 0.1, "schedule": {"type": "cosine"}, "name": f"rapid {i}"}
        rapid[f"rapid-{i}.json"] = json.dumps(good).encode()
        file_input.set_input_files(files=[{"name": f"rapid-{i}.json", "mimeType": "application/json",
                                           "buffer": rapid[f"rapid-{i}.json"]}])
        record("rapid uploads (browser)")
    pick_import_file(page, "rapid-11.json", rapid["rapid-11.json"])  # picked again if a redraw lost it
    load_button.click()
    page.wait_for_url(lambda u: "rapid+11" in u or "rapid%2011" in u or "rapid 11" in u, timeout=180_000)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
