"""Drive the real app in Chromium: launch it, read the charts' figures from the DOM, move sliders, type
exact values.

Shared by the browser tests and the app benchmark (``scripts/bench_app.py``), so both measure the same
browser and DOM reads. The server comes from :mod:`harness.server`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Playwright, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
#: The explore page's schedule chart: the graph div plotly.js draws inside the element Streamlit renders for
#: ``st.plotly_chart(..., key="ex_chart")`` (a widget key becomes the ``st-key-<key>`` class).
PLOT = ".st-key-ex_chart .js-plotly-plot"
#: A drawn chart's light fingerprint, cheap enough to poll while timing a redraw: per trace its x axis (the
#: explore page's warmup close-up is the subplot on ``x2``), name, point count and the sum of its y values
#: (changes when the chart is redrawn with other values).
PRINT_JS = """(sel) => { const gd = document.querySelector(sel); if (!gd || !gd._fullData) return null;
  return JSON.stringify(gd._fullData.map(t => [t.xaxis, t.name, t.y ? t.y.length : 0,
                                               t.y ? Array.from(t.y).reduce((s, v) => s + v, 0) : 0])); }"""

#: What the page's figure holds, read from the graph div plotly.js draws: per trace its name, point
#: count and a fingerprint of its y values (first, last, sum), plus the total length of x and y as JSON.
#: ``_fullData`` holds decoded arrays whether the server sent plain lists or base64 typed arrays.
CHART_JS = """
(sel) => {
  const gd = document.querySelector(sel);
  if (!gd || !gd._fullData) return null;
  const traces = gd._fullData.filter(t => t.visible !== false && t.y && t.y.length).map(t => {
    const y = Array.from(t.y);
    return {name: t.name, n: y.length, first: y[0], last: y[y.length - 1],
            sum: y.reduce((a, b) => a + b, 0)};
  });
  const bytes = gd.data.reduce((a, t) => a + JSON.stringify(t.x ?? []).length + JSON.stringify(t.y ?? []).length, 0);
  return {traces, bytes};
}
"""


def launch_chromium(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class ConsoleErrors:
    """Every console error and uncaught page exception of the pages it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.errors.append(f"console.error: {msg.text} ({msg.location.get('url', '')})")


def chart(page: Page, selector: str = PLOT) -> dict[str, Any] | None:
    """The drawn chart's fingerprint (see :data:`CHART_JS`), or None before plotly has drawn it."""
    return page.evaluate(CHART_JS, selector)


def wait_for_chart(page: Page, timeout_ms: float = 120_000, selector: str = PLOT) -> dict[str, Any]:
    """Wait until plotly has drawn a chart (the explore page's, unless ``selector`` names another graph div)
    with at least one trace; return its fingerprint."""
    page.wait_for_function(
        "(sel) => { const gd = document.querySelector(sel); return !!(gd && gd._fullData && gd._fullData.length); }",
        arg=selector, timeout=timeout_ms,
    )
    data = chart(page, selector)
    assert data is not None
    return data


def wait_for_chart_change(page: Page, before: dict[str, Any], timeout_ms: float = 120_000) -> dict[str, Any]:
    """Wait until the drawn chart's fingerprint differs from ``before``; return the new one."""
    page.wait_for_function(
        "([js, sel, before]) => {"
        " const now = eval(js)(sel); return now && JSON.stringify(now) !== JSON.stringify(before); }",
        arg=[CHART_JS, PLOT, before], timeout=timeout_ms,
    )
    data = chart(page)
    assert data is not None
    return data


def chart_prints(page: Page, selectors: Sequence[str]) -> list[str | None]:
    """The :data:`PRINT_JS` fingerprint of each chart in ``selectors`` (None for one not drawn)."""
    return [page.evaluate(PRINT_JS, sel) for sel in selectors]


def wait_redrawn(page: Page, selectors: Sequence[str], before: Sequence[str | None],
                 timeout_ms: float = 120_000) -> list[str | None]:
    """Wait until every chart in ``selectors`` is drawn with a fingerprint other than ``before``'s; return
    the new fingerprints."""
    return redrawn_at(page, selectors, before, timeout_ms)[1]


def redrawn_at(page: Page, selectors: Sequence[str], before: Sequence[str | None],
               timeout_ms: float = 120_000) -> tuple[float, list[str | None]]:
    """:func:`wait_redrawn`, with the ``time.perf_counter()`` at which the redraw was seen: the charts are
    checked in every animation frame (just before the browser paints it), and the time is taken when that
    check answers, before the new fingerprints are read back (a second call into a page that may be busy
    drawing the rest of its update)."""
    page.wait_for_function(
        "([js, sels, before]) => { const f = eval(js);"
        " return sels.every((s, i) => { const now = f(s); return now && now !== before[i]; }); }",
        arg=[PRINT_JS, list(selectors), list(before)], timeout=timeout_ms,
    )
    seen = time.perf_counter()
    return seen, chart_prints(page, selectors)


def wait_idle(page: Page, timeout_ms: float = 120_000) -> None:
    """Wait until Streamlit has finished the current rerun (its status widget says nothing is running)."""
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget'] [data-testid='stStatusWidgetRunningIcon']\")"
        " && !document.querySelector(\"[data-testid='stApp'][data-test-script-state='running']\")",
        timeout=timeout_ms,
    )


def set_number_input(page: Page, key: str, value: int | float | str) -> None:
    """Type ``value`` into the ``st.number_input`` (or ``st.text_input``) with widget key ``key`` and commit
    it (Enter)."""
    box = page.locator(f".st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")


def show_exact_boxes(page: Page, toggle_key: str = "ex_exact_values", timeout_ms: float = 120_000) -> None:
    """Turn the explore page's "Type exact values" toggle on (a box beside every slider), unless it is on."""
    toggle = page.locator(f".st-key-{toggle_key} input[type='checkbox']")
    if not toggle.is_checked():
        page.locator(f".st-key-{toggle_key} label").click()
        page.wait_for_function("(sel) => document.querySelector(sel)?.checked === true",
                               arg=f".st-key-{toggle_key} input[type='checkbox']", timeout=timeout_ms)
        wait_idle(page, timeout_ms=timeout_ms)


def type_exact(page: Page, key: str, value: int | float | str) -> None:
    """Type ``value`` into the exact box of the editor's number ``key`` (turning the boxes on first) and
    commit it (Enter)."""
    show_exact_boxes(page)
    set_number_input(page, key, value)


def open_import(page: Page) -> None:
    """Open the explore page's import section (its widgets are drawn only while its expander is open) and
    wait for its paste box."""
    page.locator(".st-key-ex_import-open summary").click()
    page.locator(".st-key-ex_import-text textarea").wait_for(timeout=60_000)


def pick_import_file(page: Page, name: str, data: bytes, mime: str = "application/octet-stream",
                     tries: int = 3) -> None:
    """Pick a file in the open import section's uploader and wait until it shows the file's name.

    A file picked while the page redraws after a previous import can land on the input being replaced, and
    the uploader then still shows the previous file: it is picked again, as a person would."""
    for _ in range(tries):
        wait_idle(page, timeout_ms=90_000)
        page.locator(".st-key-ex_import-file input[type='file']").set_input_files(
            files=[{"name": name, "mimeType": mime, "buffer": data}])
        with contextlib.suppress(AssertionError):
            expect(page.locator(".st-key-ex_import-file").get_by_text(name)).to_be_visible(timeout=30_000)
            return
    raise AssertionError(f"the uploader never showed {name}")


def slider_input(page: Page, key: str) -> Locator:
    """The range input behind the ``st.select_slider``/``st.slider`` with widget key ``key`` (visually hidden;
    it takes the keyboard: focus it and press the arrow keys)."""
    return page.locator(f".st-key-{key} input[type='range']")


def slider_thumb(page: Page, key: str) -> Locator:
    """The thumb a person drags on the slider with widget key ``key``."""
    return page.locator(f".st-key-{key} div:has(> div > input[type='range'])")


def drag_slider(page: Page, key: str, dx: float) -> None:
    """Drag the slider's thumb ``dx`` pixels with the mouse (press, move in small steps, release)."""
    box = slider_thumb(page, key).bounding_box()
    assert box is not None, f"slider {key!r} is not on screen"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=8)
    page.mouse.up()


def slider_text(page: Page, key: str) -> str:
    """The value the slider shows (its ``aria-valuetext``, the label over the thumb)."""
    return slider_input(page, key).get_attribute("aria-valuetext") or ""
