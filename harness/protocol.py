"""A Streamlit client without a browser: the websocket protocol the frontend speaks, from Streamlit's own protos.

The frontend opens ``/_stcore/stream`` (subprotocol ``streamlit``), sends a ``BackMsg`` whose
``rerun_script`` is a ``ClientState`` (query string, page, widget values) and receives ``ForwardMsg`` s:
``new_session``, one ``delta`` per element drawn, ``page_info_changed`` when the script writes the query
string, and ``script_finished`` when the run is over. This module does the same with the message classes of
the installed Streamlit (``streamlit.proto``), so it follows the server's protocol version by construction.

Used by the load test (``scripts/locustfile.py``) and the fault and fuzz tests. Blocking sockets
(``websocket-client``): under Locust they become cooperative through gevent's monkey-patching.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

from ui.common.chart import NAME as CHART  # the app's chart component: its JSON data holds the figure

#: Runs that end one of these ways are over; an "early for rerun" end means another run follows.
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


class ProtocolError(RuntimeError):
    """The server closed the connection or answered outside the protocol."""


def user_key(widget_id: str) -> str | None:
    """The user key inside a widget id (``$$ID-<hash>-<key>``), None for a widget without one."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "$$ID" and parts[2] != "None" else None


@dataclass
class Run:
    """What one script run sent: its elements by kind, widget ids by user key, and how it ended."""

    seconds: float = 0.0
    status: int | None = None
    elements: list[Element] = field(default_factory=list)
    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)  # user key -> (widget id, element kind)
    charts: dict[str, str] = field(default_factory=dict)  # user key (or "#n") -> figure JSON (the component's data)
    fragments: dict[str, str] = field(default_factory=dict)  # user key -> id of the fragment drawing it
    expanders: list[str] = field(default_factory=list)  # the labels of the expanders drawn
    query_string: str | None = None
    page_script_hash: str | None = None
    pages: dict[str, str] = field(default_factory=dict)  # url path name -> page script hash
    messages: int = 0
    bytes: int = 0

    @property
    def exceptions(self) -> list[str]:
        """The message of every exception element (a traceback on the page)."""
        return [f"{e.exception.type}: {e.exception.message}" for e in self.elements
                if e.WhichOneof("type") == "exception"]

    def texts(self, kind: str) -> list[str]:
        """The bodies of the elements of one kind (``alert``, ``markdown``, ``code``...)."""
        out = []
        for e in self.elements:
            if e.WhichOneof("type") == kind:
                inner = getattr(e, kind)
                out.append(getattr(inner, "body", "") or getattr(inner, "code_text", ""))
        return out


class Session:
    """One browser tab's worth of Streamlit session over one websocket.

    ``base_url`` is ``http://host:port`` (a server or the proxy in front of several); ``cookies`` are sent with
    the upgrade request, as a browser sends its cookies (the proxy's affinity cookie among them).
    """

    def __init__(self, base_url: str, cookies: dict[str, str] | None = None, timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        self.ws_url = f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        self.cookies = dict(cookies or {})
        self.timeout = timeout
        self.query_string = ""
        self.page_script_hash = ""
        self.pages: dict[str, str] = {}
        self.widgets: dict[str, tuple[str, str]] = {}
        self.fragments: dict[str, str] = {}
        self.session_id: str | None = None
        self._ws: websocket.WebSocket | None = None

    # --- connection ------------------------------------------------------------------------------------

    def connect(self) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items()) or None
        self._ws = websocket.create_connection(self.ws_url, subprotocols=["streamlit"], cookie=cookie,
                                               timeout=self.timeout, enable_multithread=False)

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            finally:
                self._ws = None

    def __enter__(self) -> Session:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, data: bytes) -> None:
        """Send a frame as is (the fuzz and fault tests send malformed ones)."""
        assert self._ws is not None, "connect() first"
        self._ws.send_binary(data)

    # --- script runs -----------------------------------------------------------------------------------

    def open(self, query_string: str = "", page: str | None = None) -> Run:
        """Open the app on ``?query_string`` (a share link), on page ``page`` (its url path) if given."""
        self.query_string = query_string
        if page is not None:
            self.page_script_hash = self.pages.get(page, "")
        return self.rerun(page_name=page or "")

    def rerun(self, widgets: list[WidgetState] | None = None, query_string: str | None = None,
              page_name: str = "") -> Run:
        """Ask for a script run, as the frontend does after a widget changes, and wait until it finishes."""
        if query_string is not None:
            self.query_string = query_string
        self.send_rerun(widgets, page_name=page_name)
        return self.wait_run()

    def send_rerun(self, widgets: list[WidgetState] | None = None, page_name: str = "", fragment_id: str = "") -> None:
        """Ask for a script run and return at once (a run in progress is interrupted by it, as in a browser).
        With ``fragment_id``, only that fragment reruns (what the frontend asks for when a widget inside an
        ``st.fragment`` changes)."""
        state = ClientState(query_string=self.query_string, page_script_hash=self.page_script_hash,
                            page_name=page_name, widget_states=WidgetStates(widgets=widgets or []),
                            fragment_id=fragment_id)
        self.send_raw(BackMsg(rerun_script=state).SerializeToString())

    def widget_state(self, key: str, **value: Any) -> WidgetState:
        """The state the frontend sends for the widget with user key ``key`` set to ``value``."""
        if key not in self.widgets:
            raise KeyError(f"no widget with key {key!r} on the page (keys: {sorted(self.widgets)})")
        return WidgetState(id=self.widgets[key][0], **value)

    def set_widget(self, key: str, **value: Any) -> Run:
        """Rerun with the widget whose user key is ``key`` set, e.g. ``set_widget("k", int_value=3)``; a
        widget drawn by a fragment reruns that fragment only, as in a browser."""
        self.send_rerun([self.widget_state(key, **value)], fragment_id=self.fragments.get(key, ""))
        return self.wait_run()

    def click(self, key: str) -> Run:
        """Press the button whose user key is ``key``."""
        return self.set_widget(key, trigger_value=True)

    def navigate(self, url_path: str) -> Run:
        """Go to another page of the app (its ``url_path``; "" for the default page)."""
        if url_path not in self.pages:
            raise KeyError(f"no page {url_path!r} (pages: {sorted(self.pages)})")
        self.page_script_hash = self.pages[url_path]
        self.query_string = ""
        return self.rerun(page_name=url_path)

    def wait_run(self, until: Callable[[Element], bool] | None = None) -> Run:
        """Read messages until a script run is over; the run's elements and end status.

        With ``until``, return as soon as an element for which it is true arrives (``status`` stays None).
        """
        assert self._ws is not None, "connect() first"
        run = Run()
        started = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        n_chart = 0
        while True:
            if time.monotonic() > deadline:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f} s")
            try:
                opcode, data = self._ws.recv_data()
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError) as exc:
                raise ProtocolError(f"connection lost: {exc!r}") from exc
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ProtocolError("the server closed the websocket")
            if opcode != websocket.ABNF.OPCODE_BINARY:
                continue
            run.messages += 1
            run.bytes += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self._read_new_session(msg)
                run.elements.clear()
                run.charts.clear()
                run.expanders.clear()
                n_chart = 0
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
                run.query_string = self.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "add_block":
                if msg.delta.add_block.WhichOneof("type") == "expandable":
                    expander = msg.delta.add_block.expandable
                    run.expanders.append(expander.label)
                    key = user_key(expander.id) if expander.id else None
                    if key is not None:  # an expander that tracks its state: a widget
                        run.widgets[key] = (expander.id, "expandable")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                run.elements.append(element)
                element_kind = element.WhichOneof("type")
                inner = getattr(element, element_kind) if element_kind else None
                widget_id = getattr(inner, "id", "") if inner is not None else ""
                key = user_key(widget_id) if widget_id else None
                if key is not None:
                    run.widgets[key] = (widget_id, element_kind)
                    if msg.delta.fragment_id:
                        run.fragments[key] = msg.delta.fragment_id
                if element_kind == "bidi_component" and element.bidi_component.component_name == CHART:
                    # The app's own chart component (ui/common/chart.py): its data holds the figure.
                    n_chart += 1
                    run.charts[key or f"#{n_chart}"] = element.bidi_component.json
                if until is not None and until(element):
                    run.seconds = time.perf_counter() - started
                    return run
            elif kind == "script_finished" and msg.script_finished in FINISHED:
                run.status = msg.script_finished
                run.seconds = time.perf_counter() - started
                run.pages = dict(self.pages)
                run.page_script_hash = self.page_script_hash
                if msg.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    # A fragment redrew its own part of the page: the rest is still there.
                    self.widgets.update(run.widgets)
                    self.fragments.update(run.fragments)
                else:
                    self.widgets, self.fragments = dict(run.widgets), dict(run.fragments)
                return run

    def _read_new_session(self, msg: ForwardMsg) -> None:
        self.session_id = msg.new_session.initialize.session_id or self.session_id
        if msg.new_session.page_script_hash:
            self.page_script_hash = msg.new_session.page_script_hash
