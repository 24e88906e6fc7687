"""The load test's users work against the real server: a short Locust run with no failure, so `make load`
keeps speaking the protocol the installed Streamlit speaks (its figures come from `make load`, not here)."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlencode

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from harness.protocol import Session

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_locust_run_has_no_failures(app_url: str, tmp_path: Path):
    prefix = tmp_path / "smoke"
    done = subprocess.run(
        [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "scripts/locustfile.py"), "--headless", "-u", "2", "-r", "2",
         "-t", "20s", "--host", app_url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = list(csv.DictReader(f))
    assert failures == [], failures
    assert int(total["Request Count"]) >= 2, done.stderr[-2000:]
    assert int(total["Failure Count"]) == 0


def test_a_slider_move_reruns_the_editor_fragment_only(app_url: str):
    """The protocol client asks for the editor's fragment when its slider moves, as the frontend does (and
    as the load test's users do), and the rest of the page stays. (The locustfile is not imported here:
    importing locust monkey-patches the whole test process for gevent.)"""
    spec = '{"total_steps":100000,"lr":3e-4,"warmup":{"steps":1234},"schedule":{"type":"cosine"}}'
    with Session(app_url) as session:
        opened = session.open(urlencode({"spec": spec}))
        assert opened.status == ForwardMsg.FINISHED_SUCCESSFULLY and "ex_warmup_steps_slider" in session.fragments
        moved = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["2,000"]})
        assert moved.status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY and moved.exceptions == []
        assert moved.charts["ex_chart"] != opened.charts["ex_chart"] and "ex_cmp_add" not in moved.widgets
        assert "ex_cmp_add" in session.widgets  # drawn by the full run, outside the fragment: still on the page
        assert '"steps":2000' in unquote(session.query_string)


def test_a_round_trip_to_the_range_test_keeps_the_schedule(app_url: str):
    """What the load test's users do: a share link, the range test on its page, then back, by the link (a
    browser's back button) or by the page menu (no query string). The page shows the link's schedule again;
    a warmup off the slider's grid used to come back as the session's first schedule's (the default's 2,000)."""
    spec = '{"total_steps":100000,"lr":3e-4,"warmup":{"steps":5946},"schedule":{"type":"cosine"}}'
    with Session(app_url) as session:
        session.open()
        opened = session.rerun(query_string=urlencode({"spec": spec}))
        link = session.query_string
        assert '"steps":5946' in unquote(link)
        for back_with in (link, ""):
            session.navigate("finder")
            ran = session.click("finder_run")
            assert ran.exceptions == [] and "finder_chart" in ran.charts  # the sweep ran and drew its curve
            session.page_script_hash = session.pages[""]
            back = session.rerun(query_string=back_with)
            assert back.exceptions == [] and back.charts["ex_chart"] == opened.charts["ex_chart"]
            assert session.query_string == link


def test_a_slider_move_that_changes_nothing_else_in_the_editor_reruns_the_view_only(app_url: str):
    """A warmup move on a cosine schedule redraws the charts, numbers, export panel and the warmup-ratio
    caption, not the editor's widgets (ui.explore.slider_moves.on_slide); a move that changes the other sliders' grids
    (total steps), or one whose slider had its exact box beside it, reruns the whole editor."""
    spec = '{"total_steps":100000,"lr":3e-4,"warmup":{"steps":1234},"schedule":{"type":"cosine"}}'
    with Session(app_url) as session:
        opened = session.open(urlencode({"spec": spec}))
        assert "ex_warmup_steps" in opened.widgets  # 1,234 is off the slider's grid: its box is drawn
        boxed = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["2,000"]})
        assert boxed.status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY and "ex_warmup_steps" not in boxed.widgets
        assert "ex_total_steps_slider" in boxed.widgets  # the editor reran: the box is gone
        moved = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["5,000"]})
        assert moved.status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY and moved.exceptions == []
        assert moved.charts["ex_chart"] != boxed.charts["ex_chart"] and '"steps":5000' in unquote(session.query_string)
        assert not {"ex_total_steps_slider", "ex_warmup_steps_slider", "ex_family"} & set(moved.widgets)
        # Nor what only the whole editor changes: the view options, the "lr at step" box, the explanations.
        assert not {"ex_log_y", "ex_twin", "ex_x_axis", "ex_at_step"} & set(moved.widgets)
        assert not moved.expanders
        # Nor the export panel's pickers (they follow the set of schedules); its code follows the move.
        assert "ex_export-target" not in moved.widgets and "ex_export-target" in session.widgets
        picked = session.set_widget("ex_export-target", string_array_value={"data": ["JSON"]})
        assert any('"steps": 5000' in t or '"steps":5000' in t for t in picked.texts("code"))
        # The pick reran the editor after the box of 1,234 had gone: the move still reruns the view alone.
        coded = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["6,000"]})
        assert coded.status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY and "ex_export-target" not in coded.widgets
        assert any('"steps": 6000' in t or '"steps":6000' in t for t in coded.texts("code"))
        moved = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["5,000"]})
        assert any("= 5 % of the total steps" in t for t in moved.texts("markdown"))
        assert {"ex_total_steps_slider", "ex_twin", "ex_at_step"} <= set(session.widgets)  # still on the page
        # Warmup off, then on again: the twin toggle and the warmup's explanation follow, so the editor reruns.
        off = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["0"]})
        assert {"ex_warmup_steps_slider", "ex_twin"} <= set(off.widgets) and "About Warmup" not in off.expanders
        on = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["5,000"]})
        assert {"ex_warmup_steps_slider", "ex_twin"} <= set(on.widgets) and "About Warmup" in on.expanders
        # An explanation's text is sent only while its expander is open.
        assert not any("Ramps the lr" in t for t in on.texts("markdown"))
        opened = session.set_widget("ex_about_warmup", bool_value=True)
        assert any("Ramps the lr" in t for t in opened.texts("markdown")) and opened.exceptions == []
        total = session.set_widget("ex_total_steps_slider", string_array_value={"data": ["200,000"]})
        assert {"ex_total_steps_slider", "ex_warmup_steps_slider"} <= set(total.widgets)
        assert '"total_steps":200000' in unquote(session.query_string)
    with Session(app_url) as session:  # the default preset: the first move renames it "... (edited)"
        session.open()
        renamed = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["5,000"]})
        assert "ex_name" in renamed.widgets and "(edited)" in unquote(session.query_string)
        again = session.set_widget("ex_warmup_steps_slider", string_array_value={"data": ["3,000"]})
        assert "ex_name" not in again.widgets and '"steps":3000' in unquote(session.query_string)
