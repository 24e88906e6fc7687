"""The real app in a real browser: ``streamlit run app.py`` served locally and driven by Chromium.

Checks what only a browser shows: the Plotly chart is drawn, a control redraws it, the page URL is a share
link that restores the same chart elsewhere, and the browser console stays free of errors. Screenshots go
to ``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from harness.browser import (
    PLOT,
    ConsoleErrors,
    chart,
    chart_prints,
    slider_input,
    slider_text,
    type_exact,
    wait_for_chart,
    wait_for_chart_change,
    wait_idle,
    wait_redrawn,
)
from ui.explore.keys import K_WARMUP_STEPS, SLIDER

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"


def open_app(new_page: Callable[[], Page], url: str) -> tuple[Page, dict]:
    page = new_page()
    page.goto(url)
    return page, wait_for_chart(page)


def test_change_a_control_and_share_the_link(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page, first = open_app(new_page, app_url)
    assert first["traces"] and all(t["n"] > 1 for t in first["traces"])
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    # The default schedule warms up from lr 0: the doctor's warning is on the page.
    expect(page.get_by_text("lr is 0 at step 0", exact=False)).to_be_visible()
    page.screenshot(path=artifacts / "explore-1-opened.png")

    # The default schedule warms up over 2000 steps; a longer warmup moves the curve's start.
    type_exact(page, K_WARMUP_STEPS, 20_000)
    changed = wait_for_chart_change(page, first)
    assert changed != first
    page.wait_for_url(lambda u: "20000" in (parse_qs(urlsplit(u).query).get("spec") or [""])[0])
    page.screenshot(path=artifacts / "explore-2-warmup-changed.png")

    shared, restored = open_app(new_page, page.url)
    assert restored == changed
    assert slider_text(shared, K_WARMUP_STEPS + SLIDER) == "20,000"  # a grid point: the slider alone says it
    expect(shared.locator(NO_EXCEPTION)).to_have_count(0)
    shared.screenshot(path=artifacts / "explore-3-share-link.png")
    assert console.errors == []


def test_the_chart_loads_plotly_js_once_and_redraws_in_place(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    """The explore page's chart (ui/common/chart.py) loads plotly.js's basic bundle, not Streamlit's Plotly element,
    and a slider move redraws the same graph div: the zoom a visitor set is still there."""
    page = new_page()
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url.rsplit("/", 1)[-1]) if r.resource_type == "script" else None)
    page.goto(app_url)
    wait_for_chart(page)
    wait_idle(page)
    page.evaluate("(sel) => { const gd = document.querySelector(sel); gd.dataset.mark = 'first';"
                  " return Plotly.relayout(gd, {'xaxis.range': [0, 5000]}); }", PLOT)
    before = chart_prints(page, [PLOT])
    thumb = slider_input(page, K_WARMUP_STEPS + SLIDER)
    thumb.focus()
    thumb.press("ArrowRight")
    wait_redrawn(page, [PLOT], before)
    graph = page.evaluate("(sel) => { const gd = document.querySelector(sel);"
                          " return [gd.dataset.mark || null, gd.layout.xaxis.range]; }", PLOT)
    assert graph == ["first", [0, 5000]]
    page.screenshot(path=artifacts / "explore-1a-zoom-kept.png")
    # The chart follows its column's width.
    wide = page.evaluate("(sel) => document.querySelector(sel)._fullLayout.width", PLOT)
    page.set_viewport_size({"width": 1000, "height": 1000})
    page.wait_for_function("([sel, wide]) => document.querySelector(sel)._fullLayout.width < wide - 100",
                           arg=[PLOT, wide])
    assert scripts.count("plotly-basic.min.js") == 1
    assert not [s for s in scripts if s.startswith("PlotlyChart.")]
    assert console.errors == []


def test_a_broken_share_link_shows_a_notice_not_a_traceback(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    bad = '{"total_steps":1000,"lr":-1,"schedule":{"type":"cosine"}}'
    page, _ = open_app(new_page, f"{app_url}/?spec={bad}")
    expect(page.get_by_text("lr: must be > 0", exact=False).first).to_be_visible()
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    page.screenshot(path=artifacts / "explore-4-broken-link.png")
    assert console.errors == []


def test_export_shows_code_once_a_framework_is_picked(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page, _ = open_app(new_page, app_url)
    panel = page.locator(".st-key-ex_export-target")
    expect(page.get_by_text("Pick a framework", exact=False)).to_be_visible()
    panel.get_by_role("radio", name="PyTorch").click()
    code = page.locator("[data-testid='stCode']").last
    expect(code).to_contain_text("from torch.optim import lr_scheduler", timeout=120_000)
    expect(page.get_by_role("button", name="Download .py")).to_be_visible()
    panel.get_by_role("radio", name="YAML", exact=True).click()
    expect(code).to_contain_text("total_steps:", timeout=120_000)
    code.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "explore-5-export-yaml.png")
    # A trainer's own config: the axolotl keys, with the spec on its comment line.
    panel.get_by_role("radio", name="axolotl YAML", exact=True).click()
    expect(code).to_contain_text("lr_scheduler:", timeout=120_000)
    expect(code).to_contain_text("# spec v1: ")
    expect(page.get_by_role("button", name="Download .yaml")).to_be_visible()
    code.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "explore-6-export-axolotl.png")
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    assert console.errors == []


def test_range_test_page_runs_and_opens_its_schedule_in_explore(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page, _ = open_app(new_page, app_url)
    # Through the app's navigation, as a person gets there. (Opening /finder directly also works, but the
    # frontend first probes /finder/_stcore/health for a base path, a 404 the console reports.)
    page.get_by_role("link", name="LR range test").click()
    page.get_by_role("button", name="Run the range test").click()
    finder_chart = wait_for_chart(page, timeout_ms=120_000, selector=".st-key-finder_chart .js-plotly-plot")
    names = [t["name"] for t in finder_chart["traces"]]
    assert "loss (raw)" in names and "loss (smoothed)" in names
    expect(page.get_by_text("Use it in a schedule")).to_be_visible()
    link = page.get_by_role("link", name="Open this schedule in explore")
    expect(link).to_be_visible()
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    page.screenshot(path=artifacts / "finder-1-sweep.png", full_page=True)

    link.click()
    page.wait_for_url(lambda u: "spec=" in u, timeout=120_000)
    explore = wait_for_chart(page, timeout_ms=120_000)
    assert explore["traces"] and all(t["n"] > 1 for t in explore["traces"])
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    page.screenshot(path=artifacts / "finder-2-opened-in-explore.png")
    assert console.errors == []


def test_a_visit_to_another_page_keeps_the_schedule(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    """Away to the range test and back through the page menu: the chart, the link and the warmup box show
    the schedule the visitor left (a warmup off the slider's grid used to come back as the default's 2,000)."""
    spec = '{"total_steps":100000,"lr":0.0003,"warmup":{"steps":5946},"schedule":{"type":"cosine"}}'
    page = new_page()
    page.goto(f"{app_url}/?{urlencode({'spec': spec})}")
    wait_for_chart(page)
    wait_idle(page)
    left = chart(page)
    page.get_by_role("link", name="LR range test").click()
    page.get_by_role("button", name="Run the range test").click()
    wait_for_chart(page, timeout_ms=120_000, selector=".st-key-finder_chart .js-plotly-plot")
    page.get_by_role("link", name="Explore", exact=True).click()
    page.wait_for_url(lambda u: "spec=" in u, timeout=120_000)
    wait_for_chart(page)
    wait_idle(page)
    assert chart(page) == left
    assert '"steps":5946' in parse_qs(urlsplit(page.url).query)["spec"][0]
    expect(page.locator(f".st-key-{K_WARMUP_STEPS} input")).to_have_value("5946")
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    page.screenshot(path=artifacts / "explore-4-back-from-range-test.png")
    assert console.errors == []
