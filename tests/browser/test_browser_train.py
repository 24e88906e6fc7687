"""The Train page in a real browser, reached the way a person gets there: from the explore page's
"Train with this schedule" link, carrying the schedule in the link. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from harness.browser import ConsoleErrors, wait_for_chart
from harness.server import running_app

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"
LOSS_CHART = ".st-key-tr_loss_chart .js-plotly-plot"
#: Short enough to train in seconds on a busy machine: 200 steps, 20 of warmup, Adam's peak that spikes.
SPEC = {"name": "short warmup demo", "total_steps": 200, "lr": 0.02, "warmup": {"steps": 20},
        "schedule": {"type": "cosine"}}


def test_explore_link_opens_the_train_page_and_its_loss_chart(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    page = new_page()
    page.goto(f"{app_url}/?spec={quote(json.dumps(SPEC, separators=(',', ':')))}")
    wait_for_chart(page, timeout_ms=60_000)
    link = page.get_by_role("link", name="Train with this schedule")
    link.scroll_into_view_if_needed()
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(lambda u: urlsplit(u).path.endswith("/train") and "spec=" in u, timeout=60_000)
    loss = wait_for_chart(page, timeout_ms=240_000, selector=LOSS_CHART)
    names = [t["name"] for t in loss["traces"]]
    assert "short warmup demo" in names and "no warmup" in names
    assert all(t["n"] > 1 for t in loss["traces"] if not t["name"].endswith("diverged"))
    spec = json.loads(parse_qs(urlsplit(page.url).query)["spec"][0])
    assert spec["total_steps"] == 200 and spec["warmup"]["steps"] == 20
    expect(page.get_by_text("Without warmup the first 3 updates", exact=False)).to_be_visible()
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    page.screenshot(path=artifacts / "train-1-from-explore.png")
    mechanism = page.locator(".st-key-tr_mechanism_chart")
    mechanism.scroll_into_view_if_needed()
    wait_for_chart(page, timeout_ms=60_000, selector=".st-key-tr_mechanism_chart .js-plotly-plot")
    page.screenshot(path=artifacts / "train-2-mechanism.png")
    assert console.errors == []


def test_a_share_link_sets_the_training_controls_and_a_change_updates_it(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
):
    query = {"spec": json.dumps(SPEC, separators=(",", ":")), "opt": "rmsprop", "alpha": "0.95", "seeds": "1",
             "steps": "50"}
    page = new_page()
    page.goto(f"{app_url}/train?" + "&".join(f"{k}={quote(v)}" for k, v in query.items()))
    wait_for_chart(page, timeout_ms=240_000, selector=LOSS_CHART)
    expect(page.get_by_role("combobox", name="optimizer")).to_have_value("RMSprop")
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    # The page writes the same settings back (nothing at its default is added; the spec in its full form).
    back = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert {k: v for k, v in back.items() if k != "spec"} == {k: v for k, v in query.items() if k != "spec"}
    assert json.loads(back["spec"])["total_steps"] == 200
    page.get_by_text("digits (scikit-learn)").click()
    page.wait_for_url(lambda u: "task=digits" in u, timeout=60_000)
    # The rerun has finished training when the progress bar reports its runs.
    expect(page.get_by_text("2 runs of 50 steps in", exact=False)).to_be_visible(timeout=240_000)
    wait_for_chart(page, timeout_ms=240_000, selector=LOSS_CHART)
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    assert parse_qs(urlsplit(page.url).query)["opt"] == ["rmsprop"]
    page.screenshot(path=artifacts / "train-3-share-link.png")
    # A link opened on /train directly: Streamlit's frontend first probes /train/_stcore/{health,host-config}
    # for a base path and the console reports those two 404s; anything else is an error.
    probes = [e for e in console.errors if "/train/_stcore/health" in e or "/train/_stcore/host-config" in e]
    assert [e for e in console.errors if e not in probes] == [] and len(probes) <= 2


def test_the_first_visitor_of_a_fresh_server_opening_train_directly_gets_the_apps_navigation(
    browser, tmp_path: Path, console: ConsoleErrors
):
    """Before any run has called st.navigation, Streamlit took pages/ for an old-style multipage app: the
    first visitor who opened /train got pages/*.py as pages of their own (a sidebar of "app, explore, finder,
    train"). The launcher turns that off; this opens /train as the very first request of a new server."""
    with running_app(tmp_path / "fresh.log") as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = console.watch(context.new_page())
        page.goto(f"{url}/train?" + "&".join(f"{k}={quote(v)}" for k, v in
                                            {"spec": json.dumps(SPEC, separators=(",", ":")), "steps": "50",
                                             "seeds": "1"}.items()))
        wait_for_chart(page, timeout_ms=240_000, selector=LOSS_CHART)
        links = page.locator("[data-testid='stSidebarNav'] a")
        expect(links).to_have_count(3)
        # Each link reads "<icon name>\n\n<title>".
        assert [t.split("\n")[-1].strip() for t in links.all_inner_texts()] == ["Explore", "LR range test", "Train"]
        context.close()
    assert [e for e in console.errors if "/train/_stcore/" not in e] == []
