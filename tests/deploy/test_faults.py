"""Faults a shared server meets, against the real server (``scripts/serve.py``) through Streamlit's own
websocket protocol: sweeps cut short in every way a visitor can cut them, a full queue, and a session that
breaks while others work.

The server runs with one heavy slot (``STUDIO_HEAVY_SLOTS=1``), so a slot leaked by an interrupted sweep
would make the next sweep wait forever, and a second sweep must queue behind the first. Its range-test
worker spends at least 5 ms per batch (``STUDIO_SWEEP_MIN_BATCH_SECONDS``): a sweep then lasts ~2 s, long
enough to be cut short on purpose (unslowed it takes ~0.1 s).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.WidgetStates_pb2 import WidgetState

from harness.protocol import ProtocolError, Run, Session
from harness.server import running_app

BUSY = "Busy, queued"


@pytest.fixture(scope="module")
def one_slot_url(artifacts: Path) -> Iterator[str]:
    env = {"STUDIO_HEAVY_SLOTS": "1", "STUDIO_SWEEP_MIN_BATCH_SECONDS": "0.005"}
    with running_app(artifacts / "streamlit-one-slot.log", env=env) as url:
        yield url


def is_training(element: Element) -> bool:
    """The sweep's progress bar counting batches: it is training, so it holds a heavy slot."""
    return element.WhichOneof("type") == "progress" and element.progress.text.startswith("batch")


def finder(url: str) -> Session:
    session = Session(url)
    session.connect()
    session.open()
    session.navigate("finder")
    return session


def start_sweep(session: Session, iters: int = 400) -> None:
    """Press "Run the range test" and return once the sweep is training (its progress bar arrived).

    The lr stops short of where the loss blows up, so the sweep trains every batch (~2 s here)."""
    session.rerun([session.widget_state("finder_iters", double_array_value={"data": [iters]}),
                   session.widget_state("finder_end", double_value=0.01)])
    session.send_rerun([session.widget_state("finder_run", trigger_value=True)])
    run = session.wait_run(until=is_training)
    assert run.status is None, "the sweep ended before it could be interrupted"


def assert_sweep_completes(run: Run) -> None:
    assert run.exceptions == []
    assert "finder_chart" in run.charts
    figure = json.loads(run.charts["finder_chart"])["figure"]
    assert {"loss (raw)", "loss (smoothed)"} <= {t.get("name") for t in figure["data"]}


def test_a_second_sweep_waits_its_turn_with_a_notice(one_slot_url: str):
    first, second = finder(one_slot_url), finder(one_slot_url)
    try:
        start_sweep(first)
        second.send_rerun([second.widget_state("finder_run", trigger_value=True)])
        queued = second.wait_run(until=lambda e: e.WhichOneof("type") == "alert" and BUSY in e.alert.body)
        assert "1 heavy computations are running and 1 waiting" in queued.texts("alert")[-1]
        assert_sweep_completes(first.wait_run())
        assert_sweep_completes(second.wait_run())
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("how", ["change a slider", "go to another page", "close the tab", "press run again"])
def test_an_interrupted_sweep_leaves_no_stuck_state(one_slot_url: str, how: str):
    session = finder(one_slot_url)
    try:
        for _ in range(2):  # twice: with one slot, a leaked one would already block the second sweep
            start_sweep(session)
            if how == "change a slider":
                run = session.rerun([session.widget_state("finder_iters", double_array_value={"data": [100]})])
                assert run.exceptions == [] and run.status is not None
            elif how == "go to another page":
                run = session.navigate("")
                assert run.exceptions == [] and "ex_chart" in run.charts
                session.navigate("finder")
            elif how == "press run again":
                # The interrupted sweep lets go of its slot at its next progress redraw, so the new one may
                # show the queue notice for a moment; it must then run to the end.
                assert_sweep_completes(session.rerun([session.widget_state("finder_run", trigger_value=True)]))
            else:
                session.close()
                session = finder(one_slot_url)
    finally:
        session.close()
    # A new visitor's sweep gets the only slot and finishes: a slot kept by any of the interrupted sweeps
    # would hold it in the queue until the client gives up (ProtocolError).
    fresh = finder(one_slot_url)
    fresh.timeout = 60
    try:
        assert_sweep_completes(fresh.rerun([fresh.widget_state("finder_run", trigger_value=True)]))
    finally:
        fresh.close()


def share_link(total: int, warmup: int) -> str:
    spec = {"total_steps": total, "lr": 3e-4, "warmup": {"steps": warmup}, "schedule": {"type": "cosine"}}
    return urlencode({"spec": json.dumps(spec, separators=(",", ":"))})


def test_one_sessions_error_does_not_affect_another(one_slot_url: str):
    good = Session(one_slot_url)
    bad = Session(one_slot_url)
    with good, bad:
        before = good.open(share_link(50_000, 1_000))
        assert before.exceptions == [] and "ex_chart" in before.charts
        bad.open()
        # What no browser sends: values of the wrong type for the page's widgets. The script run of that
        # session fails (its page shows the exception); nothing else may notice.
        broken = bad.rerun([bad.widget_state("ex_warmup_steps_slider", string_value="a lot"),
                            bad.widget_state("ex_export-target", int_value=-5)])
        assert broken.exceptions, "the hostile session's run was expected to fail"
        bad.rerun([WidgetState(id="$$ID-0-not_a_widget", json_value="{")])
        after = good.rerun(query_string=share_link(50_000, 7_000))
        assert after.exceptions == []
        assert after.charts["ex_chart"] != before.charts["ex_chart"]
        assert "7000" in (after.query_string or good.query_string)
        # A frame that is not a BackMsg at all: the server drops that connection, only that one.
        bad.send_raw(b"\x00\xffnot a protobuf\xff" * 10)
        with pytest.raises(ProtocolError):
            bad.wait_run()
        again = good.rerun(query_string=share_link(60_000, 3_000))
        assert again.exceptions == [] and again.charts["ex_chart"] != after.charts["ex_chart"]
    with Session(one_slot_url) as fresh:
        run = fresh.open(share_link(50_000, 7_000))
        assert run.exceptions == [] and run.charts["ex_chart"] == after.charts["ex_chart"]
