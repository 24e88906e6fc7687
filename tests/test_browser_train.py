"""The Train page in a real browser, reached the way a person gets there: from the explore page's
"Train with this schedule" link, carrying the schedule in the link. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from browser_support import ConsoleErrors, wait_for_chart
from playwright.sync_api import Page, expect

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
