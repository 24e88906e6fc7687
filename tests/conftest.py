"""Shared fixtures: the real app served by ``streamlit run`` and a real Chromium, for the browser tests.

The server and the browser start once per session, and only when a test asks for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from harness.browser import ConsoleErrors, launch_chromium
from harness.server import ROOT, running_app

ARTIFACTS = ROOT / "test-artifacts"
#: Browser waits are generous: the machine running the tests may be shared and busy.
BROWSER_TIMEOUT_MS = 120_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)

# CI explores the same examples on every run, so a submission never fails on a draw it did not see locally;
# local runs keep hypothesis's random search (and its example database) to find new failures.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots and the server log, kept after the run for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_url(artifacts: Path) -> Iterator[str]:
    """Base URL of ``streamlit run app.py`` on a free 127.0.0.1 port; stopped after the session."""
    with running_app(artifacts / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def console() -> ConsoleErrors:
    """Collects console errors and uncaught exceptions of every page opened through ``new_page``."""
    return ConsoleErrors()


@pytest.fixture
def new_page(browser: Browser, console: ConsoleErrors) -> Iterator[Callable[[], Page]]:
    """Open pages in a fresh browser context (no shared storage, like a link opened elsewhere).

    Streamlit scrolls inside its own container, so a screenshot shows the viewport only: a tall one keeps
    the chart, the numbers and the warnings in the picture."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1800})
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        return console.watch(context.new_page())

    yield make
    for context in contexts:
        context.close()
