"""The export panel in a real Streamlit script run (AppTest): every target's code for every preset."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import schedules
from schedules import SpecError
from schedules.export import TARGETS, export
from ui.export_panel import timm_verified


def _app(names: list[str]) -> None:
    import schedules as s
    from ui.export_panel import render_export_panel

    render_export_panel({n: s.load_preset(n) for n in names}, key="exp")


def expected(names: list[str]) -> tuple[list[str], list[str]]:
    """Code blocks and error lines in page order: target by target, spec by spec."""
    codes, errors = [], []
    for target in TARGETS:
        for n in names:
            try:
                # st.code drops the text's final newline; the download button carries the exact text.
                codes.append(export(schedules.load_preset(n), target).rstrip("\n"))
            except SpecError as exc:
                errors.append(f"{target} cannot express this schedule: {exc}")
    return codes, errors


@pytest.mark.parametrize("name", schedules.preset_names())
def test_every_target_for_every_preset(name: str) -> None:
    at = AppTest.from_function(_app, args=([name],), default_timeout=120).run()
    assert not at.exception
    codes, errors = expected([name])
    assert [c.value for c in at.code] == codes
    assert [e.value.replace("\\", "") for e in at.info] == errors
    assert len(at.tabs) == len(TARGETS)
    assert [t.label for t in at.tabs] == list(TARGETS)


def test_comparison_set_shows_one_block_per_spec() -> None:
    names = ["bert", "sgdr", "one_cycle"]
    at = AppTest.from_function(_app, args=(names,), default_timeout=120).run()
    assert not at.exception
    codes, _ = expected(names)
    assert [c.value for c in at.code] == codes
    labels = [m.value for m in at.markdown]
    assert labels.count("**bert**") == len(TARGETS)


def test_timm_tab_label_follows_the_exporter() -> None:
    at = AppTest.from_function(_app, args=(["bert"],), default_timeout=120).run()
    caption = [c.value for c in at.tabs[list(TARGETS).index("timm")].caption]
    assert caption == ["timm output: " + ("verified against timm" if timm_verified() else "unverified")]
