"""The explore page's sliders in a real browser: drag with the mouse and step with the arrow keys, and the
chart and the warmup close-up redraw; a typed off-grid lr is exact in the export and the share link; every
family is one click away. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
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
    drag_slider,
    show_exact_boxes,
    slider_input,
    slider_text,
    slider_thumb,
    type_exact,
    wait_for_chart,
    wait_idle,
    wait_redrawn,
)
from schedules import FAMILIES, load_spec
from ui.common.chart import chart_data
from ui.common.link_state import decode
from ui.explore import keys
from ui.explore.main_chart import FILENAME, explore_figure

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"
CMP_CLOSEUP = ".st-key-ex_compare_closeup_chart .js-plotly-plot"
#: Generous: the machine is shared by several people running tests.
WAIT_MS = 120_000


def subplots(fingerprint: str) -> dict[str, list]:
    """A chart's fingerprint split by subplot: the main chart's traces (``x``), the warmup close-up's (``x2``)."""
    out: dict[str, list] = {}
    for axis, *rest in json.loads(fingerprint):
        out.setdefault(axis, []).append(rest)
    return out


def both_charts(page: Page) -> str:
    """The chart's fingerprint: the main chart and the warmup close-up (its lower subplot) together."""
    return chart_prints(page, (PLOT,))[0]


def wait_both_change(page: Page, before: str) -> str:
    """Wait until the chart is redrawn with other values, and check that both of its plots changed."""
    after = wait_redrawn(page, (PLOT,), (before,), timeout_ms=WAIT_MS)[0]
    old, new = subplots(before), subplots(after)
    assert set(new) == {"x", "x2"} and new["x"] != old["x"] and new["x2"] != old["x2"]
    return after


def url_spec(page: Page):
    return load_spec((parse_qs(urlsplit(page.url).query).get("spec") or ["{}"])[0])


def open_app(new_page: Callable[[], Page], url: str) -> Page:
    page = new_page()
    page.goto(url)
    wait_for_chart(page, timeout_ms=WAIT_MS)
    return page


def test_drag_and_arrow_keys_redraw_the_chart_and_the_close_up(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page = open_app(new_page, app_url)
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)  # the viewer toolbar
    expect(page.get_by_text("Warmup close-up", exact=False)).to_be_visible()
    page.screenshot(path=artifacts / "sliders-1-opened-with-close-up.png")
    lr_key, warmup_key = keys.K_LR + keys.SLIDER, keys.K_WARMUP_STEPS + keys.SLIDER

    # The log lr slider, one arrow key: 3e-4 -> 3.5e-4.
    assert slider_text(page, lr_key) == "3e-4"
    before = both_charts(page)
    slider_input(page, lr_key).focus()
    slider_input(page, lr_key).press("ArrowRight")
    after = wait_both_change(page, before)
    expect(page.locator(f".st-key-{keys.K_LR} input")).to_have_count(0)  # on its grid: the slider alone says it
    expect(slider_input(page, lr_key)).to_have_attribute("aria-valuetext", "3.5e-4", timeout=WAIT_MS)
    page.wait_for_url(lambda u: '"lr":0.00035' in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    assert all(n > 1 for _, n, _ in subplots(after)["x"] + subplots(after)["x2"])

    # The same slider dragged with the mouse to the right: a larger lr (a smaller one would fall below
    # min_lr, which the editor refuses), both charts redrawn.
    drag_slider(page, lr_key, 30)
    after = wait_both_change(page, after)
    page.wait_for_url(lambda u: '"lr":0.00035' not in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    assert url_spec(page).lr > 3.5e-4

    # The warmup slider: arrow key up one grid point (2,000 -> 2,500), then dragged down.
    assert slider_text(page, warmup_key) == "2,000"
    slider_input(page, warmup_key).focus()
    slider_input(page, warmup_key).press("ArrowRight")
    after = wait_both_change(page, after)
    expect(slider_input(page, warmup_key)).to_have_attribute("aria-valuetext", "2,500", timeout=WAIT_MS)
    page.wait_for_url(lambda u: '"steps":2500' in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    # A warmup move on a cosine schedule changes nothing else in the editor: only the view and the ratio
    # caption rerun (ui.explore.slider_moves.on_slide); the editor's other widgets stay on the page.
    expect(page.get_by_text("= 1 % of the total steps", exact=False)).to_be_visible(timeout=WAIT_MS)
    expect(slider_input(page, keys.K_TOTAL + keys.SLIDER)).to_be_visible()
    expect(page.get_by_text("Warmup shape")).to_be_visible()
    page.screenshot(path=artifacts / "sliders-2-warmup-by-keyboard.png")
    drag_slider(page, warmup_key, -80)
    wait_both_change(page, after)
    page.wait_for_url(lambda u: '"steps":2500' not in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    spec = url_spec(page)
    assert 0 < spec.warmup.steps < 2500
    expect(page.get_by_text(f"the first {max(3 * spec.warmup.steps, 50):,} steps", exact=False)).to_be_visible()
    expect(page.get_by_text(f"gives back {spec.warmup.steps:,})", exact=False)).to_be_visible()
    page.screenshot(path=artifacts / "sliders-3-warmup-dragged.png")
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    assert console.errors == []


CHART_DIV = ".st-key-ex_chart .studio-chart"


def chart_counts(page: Page) -> tuple[int, int, str]:
    """The explore chart's figures drawn so far, how many of them it asked for itself, and the revision shown."""
    data = page.evaluate("(s) => ({...document.querySelector(s).dataset})", CHART_DIV)
    return int(data.get("draws", 0)), int(data.get("redraws", 0)), data.get("revision", "")


def page_revision(page: Page) -> str:
    """The revision of the figure the server computes for the page's state (its URL)."""
    state, notices = decode({k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()})
    assert notices == []
    return chart_data(explore_figure(state)[0], FILENAME)["revision"]


def test_the_chart_redraws_itself_while_a_slider_moves(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    """A slider move is drawn from the chart's own request (ui.explore.main_chart), ahead of the page's rerun; the
    rerun's figure is the same one and is not drawn again; a mouse drag redraws the chart before the release."""
    page = open_app(new_page, app_url)
    warmup_key = keys.K_WARMUP_STEPS + keys.SLIDER
    wait_idle(page, timeout_ms=WAIT_MS)
    draws, redraws, _ = chart_counts(page)
    assert redraws == 0
    before = both_charts(page)
    slider_input(page, warmup_key).focus()
    slider_input(page, warmup_key).press("ArrowRight")
    after = wait_both_change(page, before)
    page.wait_for_url(lambda u: '"steps":2500' in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    wait_idle(page, timeout_ms=WAIT_MS)
    page.wait_for_timeout(500)
    now_draws, now_redraws, revision = chart_counts(page)
    assert now_redraws >= 1 and now_draws == draws + now_redraws  # the rerun's figure: already on screen
    assert revision == page_revision(page)

    # Dragged with the mouse: the chart follows the thumb before the release (Streamlit reruns on release).
    box = slider_thumb(page, warmup_key).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    seen = {after}
    for i in range(6):
        page.mouse.move(x - 12 * (i + 1), y, steps=2)
        page.wait_for_timeout(400)
        seen.add(both_charts(page))
    page.screenshot(path=artifacts / "sliders-5-warmup-while-dragging.png")
    page.mouse.up()
    assert len(seen) >= 3, "the chart did not follow the thumb during the drag"
    page.wait_for_url(lambda u: '"steps":2500' not in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    wait_idle(page, timeout_ms=WAIT_MS)
    page.wait_for_timeout(500)
    assert chart_counts(page)[2] == page_revision(page)  # after the release: exactly the page's figure
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    assert console.errors == []


def test_a_typed_off_grid_lr_is_exact_in_the_export_and_the_share_link(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page = open_app(new_page, app_url)
    show_exact_boxes(page)  # "Type exact values": a box beside every slider
    page.screenshot(path=artifacts / "sliders-4a-exact-boxes.png")
    before = both_charts(page)
    type_exact(page, keys.K_LR, "3.7e-4")
    wait_both_change(page, before)
    page.wait_for_url(lambda u: '"lr":0.00037' in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    assert url_spec(page).lr == 3.7e-4
    expect(page.locator(f".st-key-{keys.K_LR + keys.SLIDER} input[type='range']")).to_have_attribute(
        "aria-valuetext", "3.5e-4", timeout=WAIT_MS)  # the slider shows the nearest grid point
    page.locator(".st-key-ex_export-target").get_by_role("radio", name="JSON").click()
    code = page.locator("[data-testid='stCode']").last
    expect(code).to_contain_text('"lr": 0.00037', timeout=WAIT_MS)
    assert json.loads(code.inner_text())["lr"] == 3.7e-4
    code.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "sliders-4-off-grid-lr-exported.png")

    # A new visitor (boxes off) sees the lr's own box, as it is off the slider's grid, and no other.
    shared = open_app(new_page, page.url)
    expect(shared.locator(f".st-key-{keys.K_LR} input")).to_have_value("0.00037", timeout=WAIT_MS)
    expect(shared.locator(f".st-key-{keys.K_WARMUP_STEPS} input")).to_have_count(0)
    assert url_spec(shared).lr == 3.7e-4
    assert chart(shared, PLOT) == chart(page, PLOT)

    # The slider taken but not moved (a key that moves nothing, a click on the thumb), or dragged away and
    # back: Streamlit reruns nothing, and the chart still shows the exact 3.7e-4, not its grid point 3.5e-4.
    lr_key = keys.K_LR + keys.SLIDER
    wait_idle(shared, timeout_ms=WAIT_MS)
    exact_revision = page_revision(shared)
    assert chart_counts(shared)[2] == exact_revision
    slider_input(shared, lr_key).focus()
    slider_input(shared, lr_key).press("Shift")
    box = slider_thumb(shared, lr_key).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    shared.mouse.click(x, y)
    shared.wait_for_timeout(1000)
    assert chart_counts(shared)[1:] == (0, exact_revision)
    before = both_charts(shared)
    shared.mouse.move(x, y)
    shared.mouse.down()
    shared.mouse.move(x + 40, y, steps=4)
    wait_redrawn(shared, (PLOT,), (before,), timeout_ms=WAIT_MS)  # the chart follows the thumb...
    shared.mouse.move(x, y, steps=4)
    shared.mouse.up()
    shared.wait_for_function("(r) => document.querySelector('.st-key-ex_chart .studio-chart').dataset.revision === r",
                             arg=exact_revision, timeout=WAIT_MS)  # ...and comes back to the exact lr's figure
    wait_idle(shared, timeout_ms=WAIT_MS)
    shared.wait_for_timeout(500)
    assert url_spec(shared).lr == 3.7e-4 and chart_counts(shared)[2] == exact_revision
    expect(shared.locator(NO_EXCEPTION)).to_have_count(0)
    assert console.errors == []


def test_every_family_is_one_click_and_the_comparison_close_up(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page = open_app(new_page, app_url)
    picker = page.locator(f".st-key-{keys.K_FAMILY}")
    for name, family in FAMILIES.items():
        if url_spec(page).schedule.type == name:
            continue
        picker.get_by_role("button", name=family.label, exact=True).or_(
            picker.get_by_role("radio", name=family.label, exact=True)).first.click()
        page.wait_for_url(lambda u, n=name: f'"type":"{n}"' in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                          timeout=WAIT_MS)
        # The link is written after the chart in the same run: the chart on the page is this family's.
        wait_idle(page, timeout_ms=WAIT_MS)
        assert chart(page, PLOT)["traces"]
        expect(page.get_by_text(family.help, exact=True)).to_be_visible()
        expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    page.screenshot(path=artifacts / "sliders-5-last-family.png")

    # Two warmups compared: their first steps overlaid in the comparison's close-up.
    a = {"total_steps": 20_000, "lr": 1e-3, "warmup": {"steps": 200}, "schedule": {"type": "cosine"}}
    b = {**a, "warmup": {"steps": 1000, "shape": "cosine"}}
    cmp = json.dumps([{"name": "1% linear warmup", "spec": a}, {"name": "5% cosine warmup", "spec": b}])
    page = open_app(new_page, f"{app_url}/?{urlencode({'cmp': cmp})}")
    closeup = wait_for_chart(page, timeout_ms=WAIT_MS, selector=CMP_CLOSEUP)
    assert [t["name"] for t in closeup["traces"]] == ["1% linear warmup", "5% cosine warmup"]
    page.locator(".st-key-ex_compare_closeup_chart").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "sliders-6-compare-close-up.png")
    assert console.errors == []


def test_the_budget_calculator_sets_the_step_counts(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page = open_app(new_page, app_url)
    page.get_by_text("Step counts from a training budget").click()
    size = page.locator(f".st-key-{keys.K_BUDGET}dataset_size input")
    expect(size).to_be_visible(timeout=WAIT_MS)
    size.fill("120000")
    size.press("Enter")
    # 120,000 / 32 = 3,750 batches per epoch, 3 epochs: 11,250 steps.
    expect(page.get_by_text("11,250 total steps", exact=False)).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Use these step counts").click()
    page.wait_for_url(lambda u: '"total_steps":11250' in (parse_qs(urlsplit(u).query).get("spec") or [""])[0],
                      timeout=WAIT_MS)
    spec = url_spec(page)
    assert (spec.total_steps, spec.steps_per_epoch) == (11_250, 3_750)
    expect(page.locator(f".st-key-{keys.K_TOTAL} input")).to_have_value("11250", timeout=WAIT_MS)  # off its grid
    page.screenshot(path=artifacts / "sliders-7-budget.png")
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    assert console.errors == []
