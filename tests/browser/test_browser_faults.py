"""Nothing the visitor made is lost when a server goes away: the page reconnects and rebuilds itself from its
URL. Real servers (``scripts/serve.py``), the deployment's nginx rules, and Chromium.

- restart: the server a page is connected to is killed and started again on the same port; the page
  reconnects on its own and draws the same schedule, comparison set and view options.
- failover: two replicas behind nginx (``deploy/nginx/studio.conf.template``); a spec is uploaded through
  the proxy (the upload must reach the replica holding the session), then that replica is killed and the page
  comes back on the other one with the same schedule.

The browser console is not checked here: a dropped websocket is reported there by the frontend, by design.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, WebSocket, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from harness.browser import (
    CHART_JS,
    PLOT,
    open_import,
    pick_import_file,
    wait_for_chart,
    wait_for_chart_change,
    wait_idle,
)
from harness.protocol import FINISHED
from harness.proxy import running_proxy, upstream_of
from harness.server import free_port, start_server, stop_server, wait_healthy

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"
COMPARE_PLOT = ".st-key-ex_compare_chart .js-plotly-plot"
class Sockets:
    """The page's websockets and, per socket, how many script runs the server reported finished on it
    (``script_finished`` in the ``ForwardMsg`` frames, decoded with Streamlit's own proto)."""

    def __init__(self, page: Page) -> None:
        self.finished_runs: list[int] = []
        page.on("websocket", self._opened)

    def _opened(self, ws: WebSocket) -> None:
        index = len(self.finished_runs)
        self.finished_runs.append(0)

        def received(payload: bytes | str) -> None:
            if isinstance(payload, bytes):
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "script_finished" and msg.script_finished in FINISHED:
                    self.finished_runs[index] += 1

        ws.on("framereceived", received)

    def rerun_on_new_connection(self, page: Page, opened_before: int, timeout_s: float = 90.0) -> None:
        """Ask for a rerun (Streamlit's "r" shortcut, what a visitor's next click does) until a websocket
        opened after the first ``opened_before`` has seen a script run finish, then wait for the page to idle.

        On reconnecting, the frontend keeps what it shows and does not rerun by itself; the next
        interaction runs the script on the new server, which has none of the old session's state and
        rebuilds the page from the URL and the widget values the browser sends."""
        deadline = time.monotonic() + timeout_s
        while not any(self.finished_runs[opened_before:]):
            if time.monotonic() > deadline:
                raise AssertionError(f"no script run on a new connection within {timeout_s:.0f} s "
                                     f"(websockets opened: {len(self.finished_runs)})")
            page.locator("h1").first.click()  # keyboard focus on the page, not in an input
            page.keyboard.press("r")
            page.wait_for_timeout(1000)
        wait_idle(page, timeout_ms=120_000)


def figures(page: Page) -> dict[str, object]:
    return {sel: page.evaluate(CHART_JS, sel) for sel in (PLOT, COMPARE_PLOT)}


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


@pytest.fixture
def server_on(artifacts: Path) -> Iterator[Callable[[int, str], subprocess.Popen]]:
    """Start app servers on given ports; every one still running is stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(port: int, log_name: str) -> subprocess.Popen:
        proc = start_server(port, artifacts / log_name)
        started.append(proc)
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        return proc

    yield start
    for proc in started:
        stop_server(proc)


SHARED = {
    "spec": json.dumps({"total_steps": 120_000, "lr": 6e-4, "warmup": {"steps": 4_000},
                        "schedule": {"type": "cosine", "min_lr": 6e-5}, "name": "restart me"}),
    "cmp": json.dumps([
        {"name": "wsd", "spec": {"total_steps": 120_000, "lr": 6e-4, "warmup": {"steps": 2_000},
                                 "schedule": {"type": "wsd", "decay_fraction": 0.2}}},
        {"name": "linear", "spec": {"total_steps": 90_000, "lr": 3e-4, "schedule": {"type": "linear"}}},
    ]),
    "log": "1",
    "twin": "0",
}


def test_a_server_restart_keeps_the_page(
    new_page: Callable[[], Page], server_on: Callable[[int, str], subprocess.Popen], artifacts: Path
):
    port = free_port()
    proc = server_on(port, "streamlit-restart.log")
    page = new_page()
    sockets = Sockets(page)
    page.goto(f"http://127.0.0.1:{port}/?{urlencode(SHARED)}")
    wait_for_chart(page, timeout_ms=120_000)
    wait_for_chart(page, timeout_ms=120_000, selector=COMPARE_PLOT)
    wait_idle(page)
    before, url_before = figures(page), query(page)
    assert len(before[COMPARE_PLOT]["traces"]) == 2
    page.screenshot(path=artifacts / "fault-1-before-restart.png")

    proc.kill()  # a crash, not a polite shutdown
    proc.wait(timeout=30)
    opened = len(sockets.finished_runs)
    server_on(port, "streamlit-restart.log")
    sockets.rerun_on_new_connection(page, opened)

    assert figures(page) == before
    assert query(page) == url_before
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    page.screenshot(path=artifacts / "fault-2-after-restart.png")


def test_a_replica_failure_behind_the_proxy_keeps_the_uploaded_schedule(
    new_page: Callable[[], Page], server_on: Callable[[int, str], subprocess.Popen], artifacts: Path,
    tmp_path: Path,
):
    ports = [free_port(), free_port()]
    procs = {f"127.0.0.1:{p}": server_on(p, f"streamlit-replica-{i}.log") for i, p in enumerate(ports)}
    with running_proxy(tmp_path / "nginx", free_port(), ports) as proxy:
        page = new_page()
        sockets = Sockets(page)
        page.goto(proxy)
        first = wait_for_chart(page, timeout_ms=120_000)
        # The charts' plotly.js bundle leaves the proxy compressed.
        bundle = urllib.request.urlopen(urllib.request.Request(f"{proxy}/app/static/plotly-basic.min.js",
                                                               headers={"Accept-Encoding": "gzip"}), timeout=30)
        assert bundle.headers["Content-Encoding"] == "gzip" and len(bundle.read()) < 600_000

        uploaded = {"name": "uploaded through the proxy", "total_steps": 77_777, "lr": 2e-3,
                    "warmup": {"steps": 7_000}, "schedule": {"type": "cosine", "min_lr": 1e-5}}
        open_import(page)
        pick_import_file(page, "spec.json", json.dumps(uploaded).encode(), "application/json")
        page.locator(".st-key-ex_import-load button").click()  # the panel reads the file as it is picked
        loaded = wait_for_chart_change(page, first, timeout_ms=120_000)
        page.wait_for_url(lambda u: "77777" in (parse_qs(urlsplit(u).query).get("spec") or [""])[0])
        wait_idle(page)
        loaded, url_before = figures(page), query(page)
        assert loaded[PLOT] is not None and loaded[PLOT]["traces"][0]["name"] == uploaded["name"]
        page.screenshot(path=artifacts / "fault-3-uploaded-via-proxy.png")

        route = next(c["value"] for c in page.context.cookies() if c["name"] == "studio_route")
        holder = upstream_of(proxy, route)
        assert holder in procs, f"the proxy answered from {holder!r}, not one of {sorted(procs)}"
        opened = len(sockets.finished_runs)
        procs[holder].kill()
        procs[holder].wait(timeout=30)
        sockets.rerun_on_new_connection(page, opened)

        assert upstream_of(proxy, route) not in ("", holder)
        assert figures(page) == loaded
        assert query(page) == url_before
        expect(page.locator(NO_EXCEPTION)).to_have_count(0)
        page.screenshot(path=artifacts / "fault-4-after-failover.png")
