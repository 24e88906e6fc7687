"""The predicted loss in a real browser: a share link with a law draws the predicted curves; a trainer_state.json
uploaded is fitted and drawn against its log, and the share link then carries the fit; the law's suggestion is
drawn beside the schedule and loads into the editor. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness.browser import ConsoleErrors, wait_for_chart, wait_idle
from tests.explore.test_loss_panel import RUN, trainer_state
from ui.common.link_state import State, encode

pytestmark = pytest.mark.browser

LOSS_PLOT = ".st-key-ex_law_chart .js-plotly-plot"
FIT_PLOT = ".st-key-ex_law_fit_chart .js-plotly-plot"
NAMES_JS = """
(sel) => {
  const gd = document.querySelector(sel);
  return gd && gd._fullData ? gd._fullData.map(t => t.name) : null;
}
"""


def names(page: Page, sel: str) -> list[str] | None:
    return page.evaluate(NAMES_JS, sel)


def wait_names(page: Page, sel: str, name: str) -> None:
    """Wait (generously: the machine is shared) until the figure in ``sel`` has a trace called ``name``."""
    page.wait_for_function(
        "([sel, name]) => { const g = document.querySelector(sel); "
        "return !!(g && g._fullData && g._fullData.some(t => t.name === name)); }",
        arg=[sel, name], timeout=90_000)


def query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query).items()}


def open_box(page: Page, key: str) -> None:
    page.locator(f".st-key-{key} summary").click()
    wait_idle(page, timeout_ms=90_000)


def test_law_upload_fit_and_suggestion(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
) -> None:
    page = new_page()
    link = urllib.parse.urlencode(encode(State(spec=RUN, law="mpl-400m")))
    page.goto(f"{app_url}/?{link}")
    wait_for_chart(page, timeout_ms=120_000)
    wait_names(page, LOSS_PLOT, "schedule")
    assert {"schedule", "no warmup"} <= set(names(page, LOSS_PLOT) or [])
    page.locator(".st-key-ex_law_chart").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "loss-1-predicted.png"))

    open_box(page, "ex_law_fit_open")
    page.locator(".st-key-ex_law_file input[type='file']").set_input_files(
        files=[{"name": "trainer_state.json", "mimeType": "application/json", "buffer": trainer_state()}])
    wait_names(page, FIT_PLOT, "fitted law")
    expect(page.get_by_text("Held-out error", exact=False)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("combobox", name="Law and parameters")).to_have_value(
        "Fitted to your run (multi-power law)", timeout=60_000)
    page.wait_for_function("() => new URLSearchParams(location.search).get('law')?.startsWith('{')", timeout=60_000)
    assert json.loads(query(page)["law"])["law"] == "mpl"
    page.locator(".st-key-ex_law_fit_chart").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "loss-2-fitted.png"))

    open_box(page, "ex_law_find_open")
    page.get_by_role("button", name="Find", exact=True).click()
    wait_names(page, LOSS_PLOT, "suggested")
    page.locator(".st-key-ex_law_load").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "loss-3-suggested.png"))
    page.get_by_role("button", name="Load into the editor").click()
    page.wait_for_function(
        "() => JSON.parse(new URLSearchParams(location.search).get('spec') || '{}').schedule?.type === 'wsd'",
        timeout=90_000)
    spec = json.loads(query(page)["spec"])
    assert spec["total_steps"] == RUN.total_steps and spec["lr"] == RUN.lr
    assert page.locator("[data-testid='stException']").count() == 0
    assert console.errors == [], console.errors
