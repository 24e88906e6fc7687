"""Locust users of the studio, speaking Streamlit's websocket protocol (``harness/protocol.py``).

Each user is one browser tab: it opens the app on a share link, then every few seconds does what people do
there: opens a new share link (a new schedule, 10k to 10M steps), moves a control, adds the schedule to the
comparison, switches the export target, or runs the range test on the other page and comes back. A task counts
as done when the server's script run has finished and, where the task changes the schedule, the run sent a new
figure. A slider move also asks the app's redraw route for the chart's figure first, as the page's chart does
(``ui.explore.main_chart``; its own request in the stats, done when the figure is in). A run with an exception
element, a run without the figure, a return to the explore page that shows another schedule than the one left,
or a dropped websocket counts as a failure.

``NewLinkUser`` is the other scenario: a team sharing schedules in a chat. Each user opens a share link of a
1M-step schedule nobody opened before (cosine, cyclic, WSD or exponential, with a peak lr of its own) about
every 5 s, six times, then leaves; nothing it asks for is in a cache.

Run through ``scripts/load.py`` (``make load``), or directly:
``locust -f scripts/locustfile.py --headless -u 20 -r 5 -t 60s --host http://127.0.0.1:8501 StudioUser``.
"""

from __future__ import annotations

import json
import random
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from locust import User, between, events, task  # noqa: E402
from locust.exception import StopUser  # noqa: E402

from harness.protocol import ProtocolError, Run, Session  # noqa: E402
from ui.explore.export_panel import TARGET_LABELS, TARGETS  # noqa: E402
from ui.explore.grids import steps_grid  # noqa: E402
from ui.explore.keys import K_WARMUP_STEPS  # noqa: E402
from ui.explore.main_chart import ROUTE  # noqa: E402

#: The page's widgets the users touch, by user key, with the WidgetState field their value goes in. The
#: one place to update when the page's controls change; a task whose widget is not on the page falls back
#: to the same change made through the share link (the URL format is stable).
WIDGETS: dict[str, tuple[str, str]] = {
    "warmup": ("ex_warmup_steps_slider", "string_array_value"),  # a select_slider: its point's label
    "add_to_comparison": ("ex_cmp_add", "trigger_value"),
    "export_target": ("ex_export-target", "string_array_value"),  # a segmented control: its labels
    "run_range_test": ("finder_run", "trigger_value"),
}
EXPORT_LABELS = tuple(TARGET_LABELS[t] for t in TARGETS)
#: Schedule lengths of the share links, and how often each is drawn (most runs are short).
SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
SIZE_WEIGHTS = (4, 3, 2, 1)
FAMILIES = ("cosine", "linear", "one_cycle", "wsd")
MAIN_CHART = "ex_chart"
#: Points of the warmup slider below 5,000 steps (on every schedule here: the shortest has 10,000 steps).
WARMUP_GRID = steps_grid(1, SIZES[0] - 1, zero=True)
WARMUP_POINTS = [p for p in WARMUP_GRID.values if p is not None and p < 5000]


def share_link(total: int, warmup: int, family: str, lr: float, compare: list[dict] | None = None) -> str:
    spec = {"total_steps": total, "lr": lr, "warmup": {"steps": warmup}, "schedule": {"type": family}}
    if family == "one_cycle":
        spec["warmup"] = {"steps": 0}
    params = {"spec": json.dumps(spec, separators=(",", ":"))}
    if compare:
        params["cmp"] = json.dumps(compare, separators=(",", ":"))
    return urlencode(params)


def link_spec(query_string: str) -> str:
    """The ``spec`` parameter of a share link's query string ("" if it has none)."""
    return parse_qs(query_string).get("spec", [""])[-1]


class Visitor(User):
    """One visitor's tab: a change every ~5 s (3 to 7 s of think time), each measured as one request."""

    abstract = True
    wait_time = between(3, 7)
    #: The name of the request that opens the first share link.
    FIRST_LINK = "open share link"

    def on_start(self) -> None:
        self.random = random.Random()
        # Each tab gets its own route cookie, as each browser does from the proxy: users spread over replicas.
        self.session = Session(self.host, cookies={"studio_route": uuid.uuid4().hex}, timeout=180)
        self.chart = ""
        self.warmup = -1  # the warmup of the schedule on the page (a move picks another one)
        # The last few actions (name, warmup after it, whether it drew a new main chart), for a failure's message.
        self.history: deque[tuple[str, int, bool]] = deque(maxlen=5)
        self._record(self.FIRST_LINK, self._connect)

    def on_stop(self) -> None:
        self.session.close()

    # --- measuring ------------------------------------------------------------------------------------------

    def _connect(self) -> Run:
        self.session.close()
        self.session.connect()
        return self.session.open(self._new_link())

    def _record(self, name: str, action: Callable[[], Run], new_figure: bool = True,
                shows: str | None = None) -> None:
        """Run ``action`` as one Locust request named ``name``; ``shows``: the share link whose schedule the
        page must show after it."""
        started = time.perf_counter()
        error: Exception | None = None
        size = 0
        try:
            run = action()
            size = run.bytes
            chart = run.charts.get(MAIN_CHART, self.chart)
            if run.exceptions:
                error = RuntimeError(f"exception on the page: {run.exceptions[0][:200]}")
            elif new_figure and chart == self.chart:
                # What the page said and where it was, and the actions before: enough to tell why.
                alerts = [e.alert.body[:60] for e in run.elements if e.WhichOneof("type") == "alert"]
                error = RuntimeError(f"the run finished without a new figure (warmup {self.warmup}, page "
                                     f"{unquote(self.session.query_string)[:300]}, status {run.status}, "
                                     f"chart sent: {MAIN_CHART in run.charts}, alerts {alerts}, "
                                     f"before: {list(self.history)})")
            elif shows is not None and link_spec(self.session.query_string) != link_spec(shows):
                error = RuntimeError(f"the page shows another schedule than the link's: "
                                     f"{link_spec(self.session.query_string)[:300]}, not {link_spec(shows)[:300]}")
            self.history.append((name, self.warmup, chart != self.chart))
            self.chart = chart
        except (ProtocolError, OSError) as exc:
            error = exc
        events.request.fire(request_type="rerun", name=name, response_time=(time.perf_counter() - started) * 1000,
                            response_length=size, exception=error, context={})
        if isinstance(error, (ProtocolError, OSError)):
            # A dropped session: the browser would reconnect; so does this user, counted as its own request.
            self._record("reconnect", self._connect)

    def _ask_for_redraw(self, warmup: int) -> None:
        """What the page's chart does when the warmup slider moves: post the redraw request the last figure
        came with, with the new warmup, to the app's route; a failure unless the answer is a figure."""
        request = json.loads(self.chart).get("redraw") if self.chart else None
        if not request:
            return
        body = json.dumps({"values": request["values"], "view": request["view"], "key": K_WARMUP_STEPS,
                           "value": warmup}).encode()
        post = urllib.request.Request(self.host + ROUTE, data=body, method="POST",
                                      headers={"Content-Type": "application/json"})
        started = time.perf_counter()
        error: Exception | None = None
        size = 0
        try:
            with urllib.request.urlopen(post, timeout=180) as response:
                answer = response.read()
            size = len(answer)
            if "revision" not in json.loads(answer):
                error = RuntimeError(f"the redraw route answered no figure: {answer[:200]!r}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = exc
        events.request.fire(request_type="POST", name="chart's own redraw (route)",
                            response_time=(time.perf_counter() - started) * 1000, response_length=size,
                            exception=error, context={})

    def _widget(self, name: str, value: object) -> Run:
        key, field = WIDGETS[name]
        return self.session.set_widget(key, **{field: value})

    def _on_page(self, name: str) -> bool:
        return WIDGETS[name][0] in self.session.widgets

    def _new_link(self, compare: list[dict] | None = None) -> str:
        raise NotImplementedError


class StudioUser(Visitor):
    """The mix: new share links of 10k to 10M steps, slider moves, the comparison, export, the range test."""

    def _new_link(self, compare: list[dict] | None = None) -> str:
        total = self.random.choices(SIZES, SIZE_WEIGHTS)[0]
        family = self.random.choice(FAMILIES)
        # The link's own warmup (one_cycle's share links have none), off the slider's grid mostly.
        warmup = self.warmup = 0 if family == "one_cycle" else self.random.randrange(0, total // 10)
        # A peak lr of its own, so that no two links draw the same figure.
        lr = round(self.random.uniform(1e-4, 1e-3), 9)
        return share_link(total, warmup, family, lr, compare)

    # --- what visitors do -----------------------------------------------------------------------------------

    @task(5)
    def open_new_share_link(self) -> None:
        self._record("open share link", lambda: self.session.rerun(query_string=self._new_link()))

    @task(4)
    def move_a_control(self) -> None:
        if self._on_page("warmup"):
            # Another point than the one the slider shows (the grid point nearest the page's warmup: moving
            # there would rightly draw no new figure). The slider is in the editor's fragment: only that
            # reruns, as in a browser.
            shown = WARMUP_GRID.nearest(self.warmup)
            warmup = self.random.choice([w for w in self.random.sample(WARMUP_POINTS, 2) if w != shown])
            self.warmup = warmup
            self._ask_for_redraw(warmup)
            self._record("move a control", lambda: self._widget("warmup", {"data": [f"{warmup:,}"]}))
        else:
            self.open_new_share_link()

    @task(1)
    def add_to_comparison(self) -> None:
        if self._on_page("add_to_comparison") and self.session.query_string.count("%22name%22") < 8:
            # The main chart stays; the comparison chart is the new figure.
            self._record("add to comparison", lambda: self._widget("add_to_comparison", True), new_figure=False)
        else:
            self.open_new_share_link()

    @task(1)
    def switch_export_target(self) -> None:
        if self._on_page("export_target"):
            self._record("switch export target",
                         lambda: self._widget("export_target", {"data": [self.random.choice(EXPORT_LABELS)]}),
                         new_figure=False)

    @task(1)
    def run_the_range_test(self) -> None:
        link = self.session.query_string
        self._record("open range-test page", lambda: self.session.navigate("finder"), new_figure=False)
        if self._on_page("run_range_test"):
            self._record("run range test", lambda: self._widget("run_range_test", True), new_figure=False)
        self.chart = ""
        self._record("back to explore", lambda: self._back(link), shows=link)

    def _back(self, link: str) -> Run:
        self.session.page_script_hash = self.session.pages.get("", "")
        return self.session.rerun(query_string=link)


class NewLinkUser(Visitor):
    """A teammate opening the share links others post: a new 1M-step schedule every ~5 s, six in all."""

    #: Every link is new: its own family, warmup and peak lr, so no cache has its curve.
    LINK_FAMILIES = ("cosine", "cyclic", "wsd", "exponential")
    LINK_STEPS = 1_000_000
    LINKS = 6

    FIRST_LINK = "open a new 1M-step link"

    def on_start(self) -> None:
        super().on_start()
        self.opened = 1

    def _new_link(self, compare: list[dict] | None = None) -> str:
        family = self.random.choice(self.LINK_FAMILIES)
        warmup = self.warmup = self.random.randrange(0, self.LINK_STEPS // 10)
        lr = round(self.random.uniform(1e-4, 1e-3), 9)
        spec = {"total_steps": self.LINK_STEPS, "lr": lr, "warmup": {"steps": warmup}, "schedule": {"type": family}}
        if family == "exponential":
            spec["schedule"]["gamma"] = 0.999995  # decays over the run instead of to nothing in a few thousand
        return urlencode({"spec": json.dumps(spec, separators=(",", ":"))})

    @task
    def open_new_share_link(self) -> None:
        if self.opened >= self.LINKS:
            raise StopUser
        self._record(self.FIRST_LINK, lambda: self.session.rerun(query_string=self._new_link()))
        self.opened += 1
