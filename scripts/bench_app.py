"""How fast the explore page answers, measured in one run and printed beside its targets.

- server: one rerun after the warmup slider moves (Streamlit's AppTest, the page's real code and caches; the
  run a move makes: on this cosine schedule, the page's view alone), at 100k, 1M and 10M steps with 4
  schedules in the comparison set; median of several reruns, each with a warmup not seen before so no cache
  can answer it;
- browser: the real server (``scripts/serve.py``: ``streamlit run asgi.py``) and Chromium: from typing a new
  warmup to the redrawn chart at 10M steps, and from opening the page to the first chart (a new visitor, and
  a returning one whose browser has cached the app's scripts);
- bytes: the length of the figure JSON the server sends for the 10M-step chart;
- sliders: from a slider release (an arrow key on the warmup slider, each press a new, uncached warmup) to
  the main chart and the warmup close-up both redrawn (the chart draws the figure it asks the server for
  itself, ``ui.explore.main_chart``), at 1M steps and at 10M steps with 4 compared; to the rest of the page
  updated by the rerun (its address changed, the rerun's last update); and the rerun's server time on the
  wire (first websocket frame sent to the last one received). Beside them, the same release on the floor page
  (``scripts/bench_floor_slider_app.py``: one slider, one chart of the same size), moves alternated.

A change counts as drawn in the first animation frame whose check finds every chart's new figure (the check
runs just before the browser paints that frame); the clock stops when that check answers, not after reading
the figure back out of a page that may still be busy drawing the rest of its update.

Run with ``.venv/bin/python scripts/bench_app.py``. A script, not a test: it prints, it does not judge.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from harness.browser import (  # noqa: E402
    PLOT,
    ConsoleErrors,
    chart_prints,
    launch_chromium,
    redrawn_at,
    show_exact_boxes,
    slider_input,
    type_exact,
    wait_for_chart,
    wait_idle,
)
from harness.server import running_app  # noqa: E402
from ui.common.chart import NAME as CHART  # noqa: E402
from ui.explore.keys import K_WARMUP_STEPS, SLIDER  # noqa: E402

# AppTest runs outside a `streamlit run` server; its "missing ScriptRunContext" notes are expected here.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True

SIZES = (100_000, 1_000_000, 10_000_000)
#: A websocket frame at least this big after a change is the redrawn chart's figure arriving.
FIGURE_FRAME_BYTES = 50_000
RERUNS = 7
BROWSER_CHANGES = 5
FIRST_LOADS = 6
RETURN_LOADS = 3
#: Streamlit and one small Plotly chart, nothing of the app: the first-chart floor, measured alongside.
FLOOR_APP = "scripts/bench_floor_app.py"
FLOOR_PLOT = ".st-key-floor_chart .js-plotly-plot"
#: Streamlit, one slider and one chart of the main chart's size: the slider timings' floor, measured alongside.
FLOOR_SLIDER_APP = "scripts/bench_floor_slider_app.py"
FLOOR_SLIDER_KEY = "floor_warmup"
SLIDER_MOVES = 11  # a release varies by ±100 ms here: enough moves for a median that holds still


def edited(total: int) -> dict:
    """The schedule being edited: warmup then cosine to 10% of the peak."""
    return {"total_steps": total, "lr": 3e-4, "warmup": {"steps": 2000},
            "schedule": {"type": "cosine", "min_lr": 3e-5}}


def compared(total: int) -> list[dict]:
    """Four schedules in the comparison set, of four different families, all ``total`` steps long."""
    return [
        {"name": "linear", "spec": {"total_steps": total, "lr": 3e-4, "schedule": {"type": "linear"}}},
        {"name": "wsd", "spec": {"total_steps": total, "lr": 3e-4, "warmup": {"steps": 1000},
                                 "schedule": {"type": "wsd", "decay_fraction": 0.2}}},
        {"name": "step", "spec": {"total_steps": total, "lr": 3e-4,
                                  "schedule": {"type": "step", "step_size": total // 4, "gamma": 0.3}}},
        {"name": "one-cycle", "spec": {"total_steps": total, "lr": 3e-4, "schedule": {"type": "one_cycle"}}},
    ]


def query(total: int) -> dict[str, str]:
    return {"spec": json.dumps(edited(total), separators=(",", ":")),
            "cmp": json.dumps(compared(total), separators=(",", ":"))}


def server_rerun(total: int) -> tuple[float, int]:
    """Median seconds of one AppTest rerun after a warmup-slider move (the page as a visitor first sees it,
    exact-value boxes off), and the figure JSON's length."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in query(total).items():
        at.query_params[key] = value
    at.run()
    if at.exception:
        raise RuntimeError(f"the page raised at {total} steps: {at.exception[0].message}")
    slider = K_WARMUP_STEPS + SLIDER
    # Slider points past the page's 2,000-step warmup, each a warmup not seen before.
    points = [v for v in at.select_slider(key=slider).options if int(v.replace(",", "")) > 2000][:RERUNS]
    times = []
    for point in points:
        if slider not in {w.key for w in at.select_slider}:
            # The last move reran the view alone (ui.explore.slider_moves.on_slide): AppTest's tree holds that run's
            # elements only. A plain rerun (untimed) draws the editor again.
            at.run()
        at.select_slider(key=slider).set_value(int(point.replace(",", "")))
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(f"the page raised at {total} steps: {at.exception[0].message}")
    # The page's charts: its chart component's elements (ui.common.chart), the figure in each one's JSON data.
    charts = [e for e in at.get("bidi_component") if e.proto.component_name == CHART]
    return statistics.median(times), sum(len(c.proto.json) for c in charts)


def first_chart(browser: Browser, url: str, console: ConsoleErrors, selector: str = PLOT) -> float:
    """Seconds from opening ``url`` in a new browser profile (empty cache) to its chart drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = console.watch(context.new_page())
    start = time.perf_counter()
    page.goto(url)
    wait_for_chart(page, timeout_ms=120_000, selector=selector)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def browser_times(total: int) -> dict[str, float]:
    """First-chart, returning-visitor and control-to-redraw times in seconds (medians), and console errors."""
    console = ConsoleErrors()
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "streamlit.log") as url, \
            running_app(Path(tmp) / "floor.log", FLOOR_APP) as floor_url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        # The floor page's own first (cold) run goes first: it also takes the browser's one-time start-up
        # (renderer process, caches), which is not the app server's cold start being measured next.
        first_chart(browser, floor_url, console, FLOOR_PLOT)
        cold = first_chart(browser, url, console)
        firsts, floors = [], []
        for i in range(FIRST_LOADS):
            # Alternate which page goes first, so neither always follows the other.
            if i % 2:
                floors.append(first_chart(browser, floor_url, console, FLOOR_PLOT))
            firsts.append(first_chart(browser, url, console))
            if not i % 2:
                floors.append(first_chart(browser, floor_url, console, FLOOR_PLOT))
        # A returning visitor: the same browser profile opens the page again, its cache holding the
        # app's scripts (and V8's compiled code for them).
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = console.watch(context.new_page())
        returns = []
        for i in range(RETURN_LOADS + 1):
            start = time.perf_counter()
            page.goto(url)
            wait_for_chart(page, timeout_ms=120_000)
            if i:
                returns.append(time.perf_counter() - start)
        context.close()
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = console.watch(context.new_page())
        big_frames: list[float] = []
        page.on("websocket", lambda ws: ws.on(
            "framereceived",
            lambda payload: big_frames.append(time.perf_counter()) if len(payload) >= FIGURE_FRAME_BYTES else None,
        ))
        page.goto(f"{url}/?{urlencode(query(total))}")
        wait_for_chart(page, timeout_ms=120_000)
        show_exact_boxes(page)  # the warmup is typed into its box
        wait_for_chart(page, timeout_ms=120_000)
        prints = chart_prints(page, [PLOT])
        redraws, arrivals = [], []
        for i in range(BROWSER_CHANGES):
            page.wait_for_timeout(1000)  # let the previous rerun finish sending
            start = time.perf_counter()
            type_exact(page, K_WARMUP_STEPS, 3000 + 41 * (i + 1))
            seen, prints = redrawn_at(page, [PLOT], prints)
            redraws.append(seen - start)
            arrivals.append(min((t for t in big_frames if t > start), default=float("nan")) - start)
        context.close()
        browser.close()
    return {"cold": cold, "first": statistics.median(firsts), "floor": statistics.median(floors),
            "returning": statistics.median(returns), "redraw": statistics.median(redraws),
            "arrival": statistics.median(arrivals), "errors": len(console.errors)}


class Wire:
    """Timestamps of the page's websocket frames, to time a rerun as the server delivers it."""

    def __init__(self) -> None:
        self.sent: list[float] = []
        self.received: list[float] = []

    def watch(self, page) -> None:
        page.on("websocket", lambda ws: (ws.on("framesent", lambda _: self.sent.append(time.perf_counter())),
                                         ws.on("framereceived", lambda _: self.received.append(time.perf_counter()))))

    def rerun_seconds(self, since: float) -> float:
        """From the first frame sent after ``since`` (the widget's new value) to the last frame received."""
        start = min((t for t in self.sent if t >= since), default=float("nan"))
        return max((t for t in self.received if t >= start), default=float("nan")) - start


class FloorSlider:
    """The floor page open in its own tab: one slider, one chart; :meth:`move` times a release to redraw."""

    def __init__(self, browser: Browser, url: str, console: ConsoleErrors) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = console.watch(self.context.new_page())
        self.page.goto(url)
        wait_for_chart(self.page, timeout_ms=120_000, selector=FLOOR_PLOT)
        self.prints = chart_prints(self.page, [FLOOR_PLOT])
        self.thumb = slider_input(self.page, FLOOR_SLIDER_KEY)

    def move(self) -> float:
        wait_idle(self.page, timeout_ms=120_000)
        self.page.wait_for_timeout(800)
        self.thumb.focus()
        start = time.perf_counter()
        self.thumb.press("ArrowRight")
        seen, self.prints = redrawn_at(self.page, [FLOOR_PLOT], self.prints)
        return seen - start

    def close(self) -> None:
        self.context.close()


def slider_times(browser: Browser, url: str, total: int, with_compare: bool, console: ConsoleErrors,
                 floor: FloorSlider) -> dict:
    """Median seconds from a warmup-slider release (arrow key) to both charts redrawn, the rerun's wire time
    (the editor's fragment rerun as the server delivers it), and the floor page's release-to-redraw, its moves
    alternated with these."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = console.watch(context.new_page())
    wire = Wire()
    wire.watch(page)
    params = query(total) if with_compare else {"spec": query(total)["spec"]}
    page.goto(f"{url}/?{urlencode(params)}")
    wait_for_chart(page, timeout_ms=120_000)
    prints = chart_prints(page, [PLOT])  # the warmup close-up is the chart's lower subplot
    thumb = slider_input(page, K_WARMUP_STEPS + SLIDER)
    redraws, wires, floors, follows = [], [], [], []
    for i in range(SLIDER_MOVES):
        if i % 2:
            floors.append(floor.move())
        wait_idle(page, timeout_ms=120_000)
        page.wait_for_timeout(800)  # let the previous rerun's last frames arrive
        thumb.focus()
        address = page.evaluate("location.search")
        start = time.perf_counter()
        thumb.press("ArrowRight")  # one grid point up: a warmup not seen before
        seen, prints = redrawn_at(page, [PLOT], prints)
        redraws.append(seen - start)
        # The chart draws the figure it asked for itself (ui.explore.main_chart); the rest of the page (tables,
        # exported code, the link) follows with the rerun, whose last update is the page's address.
        page.wait_for_function("(before) => location.search !== before", arg=address, polling="raf",
                               timeout=120_000)
        follows.append(time.perf_counter() - start)
        wait_idle(page, timeout_ms=120_000)
        page.wait_for_timeout(800)
        wires.append(wire.rerun_seconds(start))
        if not i % 2:
            floors.append(floor.move())
    context.close()
    return {"redraw": statistics.median(redraws), "wire": statistics.median(wires),
            "follows": statistics.median(follows),
            "spread": (min(redraws), max(redraws)), "floor": statistics.median(floors)}


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    plot_bytes = 0
    for total in SIZES:
        seconds, plot_bytes = server_rerun(total)
        target = "<= 150 ms" if total == 1_000_000 else ""
        rows.append((f"server rerun after a warmup-slider move, {total:,} steps + 4 compared",
                     f"{seconds * 1000:.0f} ms", target))
    b = browser_times(SIZES[-1])
    rows += [
        (f"browser: control change to redrawn chart, {SIZES[-1]:,} steps + 4 compared",
         f"{b['redraw'] * 1000:.0f} ms", "<= 500 ms"),
        ("  of which: until the new figure reaches the browser (server rerun + transfer)",
         f"{b['arrival'] * 1000:.0f} ms", ""),
        ("browser: open the page to first chart (first visit, server cold)", f"{b['cold']:.2f} s", "<= 3 s"),
        ("browser: open the page to first chart (new visitors, server warm)", f"{b['first']:.2f} s", "<= 3 s"),
        ("  floor: a bare Streamlit page with one small Plotly chart, same visits", f"{b['floor']:.2f} s", ""),
        ("  the explore page over the floor", f"{(b['first'] - b['floor']) * 1000:+.0f} ms",
         f"x{b['first'] / b['floor']:.2f}"),
        ("browser: open the page to first chart (returning visitor, browser cache warm)", f"{b['returning']:.2f} s",
         ""),
        (f"plot data sent for the {SIZES[-1]:,}-step chart (figure JSON)", f"{plot_bytes / 1e6:.3f} MB", "<= 1 MB"),
        ("browser console errors during the run", str(b["errors"]), "0"),
    ]
    console = ConsoleErrors()
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "streamlit.log") as url, \
            running_app(Path(tmp) / "floor.log", FLOOR_SLIDER_APP) as floor_url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        floor = FloorSlider(browser, floor_url, console)
        slides = {(total, cmp): slider_times(browser, url, total, cmp, console, floor)
                  for total, cmp in ((1_000_000, False), (10_000_000, True))}
        floor.close()
        browser.close()
    for (total, cmp), t in slides.items():
        what = f"{total:,} steps" + (" + 4 compared" if cmp else "")
        rows += [
            (f"slider release to main chart and close-up redrawn, {what}", f"{t['redraw'] * 1000:.0f} ms",
             "<= 300 ms" if total == 1_000_000 else "<= 500 ms"),
            (f"  (fastest .. slowest of {SLIDER_MOVES})",
             f"{t['spread'][0] * 1000:.0f}..{t['spread'][1] * 1000:.0f}", ""),
            ("  floor: a bare Streamlit page, one slider and one chart of that size, moves alternated",
             f"{t['floor'] * 1000:.0f} ms", ""),
            ("  the explore page over the floor", f"{(t['redraw'] - t['floor']) * 1000:+.0f} ms",
             f"x{t['redraw'] / t['floor']:.2f}"),
            ("  the rest of the page (tables, code, link) updated by the rerun, to the page's new address",
             f"{t['follows'] * 1000:.0f} ms", ""),
            ("  the rerun on the wire: first frame sent to last received, as Playwright reports them (late when busy)",
             f"{t['wire'] * 1000:.0f} ms", ""),
        ]
    rows.append(("browser console errors during the slider runs", str(len(console.errors)), "0"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")
    print(f"(server: median of {RERUNS} reruns; browser: median of {BROWSER_CHANGES} changes, of {FIRST_LOADS} "
          f"visits of each page, alternated,\n and of {RETURN_LOADS} returns; every visit but a return opens a new "
          "browser profile, its cache empty)")


if __name__ == "__main__":
    main()
